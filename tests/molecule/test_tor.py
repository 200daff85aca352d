"""molecule scenario extensions/molecule/tor (see test_scenarios.py)."""
from tests.molecule.test_scenarios import run_scenario


def test_molecule_tor(tmp_path):
    run_scenario("tor", tmp_path)
