"""Every shipped example converges in the lab: its pattern playbook, then BIRD's own view and pod pings.

Most examples are already brought up to convergence by another lab test (``COVERED``: the molecule
scenarios, whose verify checks every session and pod pings, and the migration and lab CLI tests); this
test asserts that those tests still name them and brings up the others, so that the default run adds
no second lab of the same example (the whole set, one after the other, took 264 s on 2 cores).
``KUBEFABRIC_LONG=1`` brings up every example here too.

Each directory of examples/ is brought up in the lab under a private name (the migration tests' lab
helpers), its pattern playbook (``playbooks/<fabric_pattern>.yml``: plan, cluster side, devices,
verify) must succeed, every BGP protocol of every node's real BIRD must be Established, and a pod of
the first node must reach a pod of every other node (through the racks' devices where there are any).
``examples/scale_200`` is left out: 200 nodes take minutes and most of the memory of a CI runner (it is
measured by benchmarks/bench_lab_scale.py instead).  ``tor_three_racks`` is the one that did not
converge before (both nodes of a rack in one AS: BIRD dropped the other's block as an AS-path loop).
"""
import os
import subprocess
from pathlib import Path

import pytest
import yaml

from .migration.conftest import LabHandle, private_inventory

REPO = Path(__file__).resolve().parents[2]
SKIPPED = {"scale_200": "200 nodes: too big for CI (benchmarks/bench_lab_scale.py measures it)"}
EXAMPLES = sorted(p.name for p in (REPO / "examples").iterdir() if (p / "inventory.yml").is_file())
LONG = os.environ.get("KUBEFABRIC_LONG") == "1"
# example -> the test that brings it up and checks that it converges (and the text that shows it does)
COVERED = {
    "demo": ("tests/integration/test_lab_cli.py", '"examples" / "demo"'),
    "full_mesh": ("extensions/molecule/full_mesh/molecule.yml", "examples/full_mesh/"),
    "seed001_rr_per_leaf": ("extensions/molecule/rr_per_leaf/molecule.yml", "examples/seed001_rr_per_leaf/"),
    "seed002_route_reflector": ("extensions/molecule/route_reflector/molecule.yml", "examples/seed002_route_reflector/"),
    "seed004_tor_routeros": ("extensions/molecule/tor/molecule.yml", "examples/seed004_tor_routeros/"),
    "seed001_as_change": ("tests/integration/migration/test_as_change.py", 'lab_from_example("seed001_as_change"'),
    "seed004_as_change": ("tests/integration/migration/test_as_change.py", 'lab_from_example("seed004_as_change"'),
    "seed002_mesh_first": ("tests/integration/migration/test_mesh_to_rr.py", 'lab_from_example("seed002_mesh_first"'),
    "seed004_mesh_first": ("tests/integration/migration/test_mesh_to_tor.py", 'lab_from_example("seed004_mesh_first"'),
    "multi_cluster": ("tests/integration/test_multi_cluster.py", 'EXAMPLE = "multi_cluster"'),
}


def test_every_example_is_covered():
    """Each example is skipped (with a reason), brought up by another lab test, or brought up here."""
    assert set(SKIPPED) <= set(EXAMPLES)
    for example, (path, text) in COVERED.items():
        assert example in EXAMPLES, example
        assert text in (REPO / path).read_text(), "%s no longer brings up %s" % (path, example)
    assert [e for e in EXAMPLES if e not in SKIPPED and e not in COVERED], "no example left to bring up here"


HERE = [e for e in EXAMPLES if e not in SKIPPED and (LONG or e not in COVERED)]


def _all_established(sessions):
    return all(protos and all(v == "Established" for v in protos.values()) for protos in sessions.values())


def _ping(lab, source, target):
    nodes = lab.state["nodes"]
    out = subprocess.run(["ip", "netns", "exec", nodes[source]["pod_ns"], "ping", "-c", "3", "-i", "0.2", "-W", "2",
                          nodes[target]["pod_ip"]], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                         check=False, timeout=30)
    return out.returncode == 0, out.stdout


@pytest.mark.parametrize("example", HERE)
def test_example_converges(example, tmp_path):
    if os.geteuid() != 0:
        pytest.skip("the lab needs root (network namespaces)")
    pattern = yaml.safe_load((REPO / "examples" / example / "inventory.yml").read_text())["all"]["vars"]["fabric_pattern"]
    # a lab name of its own per example (the name is the first 8 characters of "<tag><pid>")
    lab = LabHandle(private_inventory(tmp_path, example, "e" + "abcdefghijklmnopqrstuvwxyz"[EXAMPLES.index(example)]))
    lab.up()
    try:
        log = tmp_path / "playbook.log"
        rc = lab.playbook("%s.yml" % pattern, log=log)
        assert rc == 0, "%s: the %s playbook failed:\n%s" % (example, pattern, log.read_text()[-5000:])
        sessions = lab.wait_sessions(_all_established, timeout=60, what="%s: every BIRD session Established" % example)
        assert sum(len(p) for p in sessions.values()) > 0
        names = sorted(lab.state["nodes"])
        for target in names[1:]:
            ok, text = _ping(lab, names[0], target)
            assert ok, "%s: the pod of %s does not reach the pod of %s:\n%s" % (example, names[0], target, text)
    finally:
        lab.down()
