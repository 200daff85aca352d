"""molecule scenario extensions/molecule/full_mesh (see test_scenarios.py)."""
from tests.molecule.test_scenarios import run_scenario


def test_molecule_full_mesh(tmp_path):
    run_scenario("full_mesh", tmp_path)
