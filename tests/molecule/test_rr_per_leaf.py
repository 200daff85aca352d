"""molecule scenario extensions/molecule/rr_per_leaf (see test_scenarios.py)."""
from tests.molecule.test_scenarios import run_scenario


def test_molecule_rr_per_leaf(tmp_path):
    run_scenario("rr_per_leaf", tmp_path)
