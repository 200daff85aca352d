"""molecule scenario extensions/molecule/route_reflector (see test_scenarios.py)."""
from tests.molecule.test_scenarios import run_scenario


def test_molecule_route_reflector(tmp_path):
    run_scenario("route_reflector", tmp_path)
