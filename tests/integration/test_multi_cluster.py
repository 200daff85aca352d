"""Several clusters on one fabric in the lab (docs/multi_cluster.md): examples/multi_cluster converges.

The lab brings up the example's two clusters (one Kubernetes API emulator and one calico-node emulator
each) on shared leaves and a spine: leaf1 is FRR (real FRR behind OpenSSH), leaf2 the RouterOS
emulator. The tor playbook, unchanged, plans the whole fabric, writes each cluster's Calico objects
through that cluster's own API, configures every device once per owner scope and verifies each
cluster. Then:

- every node's real BIRD has its sessions Established, a pod of cluster blue reaches the pods of both
  clusters, and a second run changes nothing;
- each cluster's API holds only its own BGPPeers and AS, each leaf's neighbours carry the owner scope
  of their cluster (``kubefabric:dc1.blue`` ...) and the uplinks the fabric's (``kubefabric:dc1``), as
  read from FRR's running configuration and the RouterOS API;
- cluster blue's own inventory (blue only: green's team keeps green's) decommissions rack b2 with
  ``overridden``: blue's neighbour on leaf2 goes, green's neighbours on both leaves stay exactly as
  they were, and green's BGPPeers and sessions are untouched.

The rerun and the run that brings rack b2 back are ``KUBEFABRIC_LONG=1`` (all of it took 10 minutes on
a loaded 2-core machine, the default part about two thirds of that).
"""
import json
import os
import re
import ssl
import subprocess
from pathlib import Path

import pytest
import yaml

from .migration.conftest import LabHandle, private_inventory
from .test_examples import _ping

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = "multi_cluster"  # tests/integration/test_examples.py counts on this test to bring it up
LONG = os.environ.get("KUBEFABRIC_LONG") == "1"
NODES = {"blue": ["b1-n1", "b2-n1"], "green": ["g1-n1", "g2-n1"]}


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    if os.geteuid() != 0:
        pytest.skip("the lab needs root (network namespaces)")
    handle = LabHandle(private_inventory(tmp_path_factory.mktemp("mc"), EXAMPLE, "mc"))
    handle.up()
    try:
        yield handle
    finally:
        handle.down()


def run(lab, inventory=None, name="tor.yml", log=None):
    handle = lab if inventory is None else LabHandle(inventory)
    handle.state = lab.state
    log = log or (lab.inventory.parent / "playbook.log")
    rc = handle.playbook(name, log=log)
    return rc, Path(log).read_text()


def kubectl(lab, cluster, *args):
    env = dict(os.environ, KUBECONFIG=lab.state["clusters"][cluster]["kubeconfig"])
    out = subprocess.run(["kubectl"] + list(args), env=env, text=True, check=False, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, timeout=120)
    assert out.returncode == 0, out.stdout
    return out.stdout


def bgp_peers(lab, cluster):
    items = json.loads(kubectl(lab, cluster, "get", "bgppeers.crd.projectcalico.org", "-o", "json"))["items"]
    return {item["metadata"]["name"]: item["spec"] for item in items}


def _creds(lab, host):
    inventory = json.loads(Path(lab.state["lab_inventory"]).read_text())
    return inventory["all"]["children"]["network_devices"]["hosts"][host]


def frr_neighbors(lab, host):
    """``{address: description}`` from the FRR device's running configuration (vtysh in its namespace)."""
    from lab.netns import Netns, sh  # pylint: disable=import-outside-toplevel
    device = lab.state["devices"][host]
    socket = Netns(device["ns"]).dir / ("frr-%s" % host)
    text = sh(["vtysh", "--vty_socket", str(socket), "-c", "show running-config"], ns=device["ns"])
    remote = set(re.findall(r"^\s*neighbor (\S+) remote-as \d+\s*$", text, re.M))
    described = dict(re.findall(r"^\s*neighbor (\S+) description (.*?)\s*$", text, re.M))
    return {address: described.get(address) for address in remote}


def routeros_neighbors(lab, host):
    """``{address: comment}`` of the RouterOS device's BGP connections, read with librouteros."""
    import librouteros  # pylint: disable=import-outside-toplevel
    creds = _creds(lab, host)
    ctx = ssl.create_default_context(cafile=creds["bgp_device_ca_path"])
    ctx.check_hostname = False
    api = librouteros.connect(host=lab.state["devices"][host]["mgmt"], username=creds["bgp_device_username"],
                              password=creds["bgp_device_password"], port=8729, ssl_wrapper=ctx.wrap_socket)
    try:
        return {str(row.get("remote.address")).split("/", maxsplit=1)[0]: row.get("comment")
                for row in api.path("routing", "bgp", "connection")}
    finally:
        api.close()


def leaves(lab):
    return {"leaf1": frr_neighbors(lab, "leaf1"), "leaf2": routeros_neighbors(lab, "leaf2")}


def _established(hosts):
    def check(sessions):
        return all(sessions.get(h) and all(v == "Established" for v in sessions[h].values()) for h in hosts)
    return check


@pytest.fixture(scope="module")
def converged(lab):
    rc, out = run(lab)
    assert rc == 0, out[-6000:]
    return out


def test_the_example_converges_with_one_api_per_cluster(lab, converged):
    assert sorted(lab.state["clusters"]) == ["blue", "green"]
    # verify ran once per cluster, each through its own API, and every planned session came up
    assert len(re.findall(r"(\d+)/\1 session ends Established", converged)) >= 2, converged[-4000:]
    sessions = lab.wait_sessions(_established(NODES["blue"] + NODES["green"]), timeout=60,
                                 what="every BIRD session of both clusters Established")
    assert all(len(sessions[h]) == 1 for h in sessions)  # mesh off: each node peers with its leaf only
    # pods of one cluster reach the other cluster's pods through the shared leaves and the spine
    for target in ["b2-n1", "g1-n1", "g2-n1"]:
        ok, text = _ping(lab, "b1-n1", target)
        assert ok, "the pod of b1-n1 does not reach the pod of %s:\n%s" % (target, text)
    # each cluster's Calico objects are in its own API only
    assert sorted(bgp_peers(lab, "blue")) == ["b1-leaf1", "b2-leaf2"]
    assert sorted(bgp_peers(lab, "green")) == ["g1-leaf1", "g2-leaf2"]
    for cluster, asn in (("blue", 64512), ("green", 64513)):
        config = json.loads(kubectl(lab, cluster, "get", "bgpconfigurations.crd.projectcalico.org", "default",
                                    "-o", "json"))
        assert config["spec"]["asNumber"] == asn and config["spec"]["nodeToNodeMeshEnabled"] is False


def test_each_neighbour_carries_its_cluster_scope(lab, converged):
    found = leaves(lab)
    assert found["leaf1"]["10.11.0.11"].startswith("kubefabric:dc1.blue")
    assert found["leaf1"]["10.21.0.11"].startswith("kubefabric:dc1.green")
    assert found["leaf1"]["10.255.0.0"].split()[0] == "kubefabric:dc1"
    assert found["leaf2"]["10.12.0.11"].startswith("kubefabric:dc1.blue")
    assert found["leaf2"]["10.22.0.11"].startswith("kubefabric:dc1.green")
    assert found["leaf2"]["10.255.0.2"].split()[0] == "kubefabric:dc1"


@pytest.mark.skipif(not LONG, reason="a third playbook run (about 2 minutes on 2 cores): KUBEFABRIC_LONG=1")
def test_a_rerun_changes_nothing(lab, converged):
    rc, out = run(lab, log=lab.inventory.parent / "rerun.log")
    assert rc == 0, out[-6000:]
    for host in ("localhost", "spine", "leaf1", "leaf2"):
        assert re.search(r"%s\s*:\s*ok=\d+\s+changed=0\s" % host, out), out[-3000:]


def blue_only_without_rack_b2(path):
    """Cluster blue's own inventory: blue only (green's team keeps green's), rack b2 decommissioned."""
    data = yaml.safe_load((REPO / "examples" / EXAMPLE / "inventory.yml").read_text())
    clusters = data["all"]["children"]["kubefabric_clusters"]["children"]
    del clusters["green"]
    del clusters["blue"]["hosts"]["b2-n1"]
    del clusters["blue"]["vars"]["fabric_racks"]["b2"]
    data["all"]["children"]["k8s_nodes"]["children"] = {"blue": {}}
    for device in data["all"]["children"]["network_devices"]["hosts"].values():
        if "racks" in device:
            device["racks"] = {r: a for r, a in device["racks"].items() if r.startswith("b") and r != "b2"}
            if not device["racks"]:
                del device["racks"]
    path.write_text(yaml.safe_dump(data))
    return path


def test_overridden_on_one_cluster_leaves_the_other_cluster_untouched(lab, converged):
    before = leaves(lab)
    green_peers = bgp_peers(lab, "green")
    inventory = blue_only_without_rack_b2(lab.inventory.parent / "blue-only.yml")
    rc, out = run(lab, inventory, log=lab.inventory.parent / "blue-only.log")
    assert rc == 0, out[-6000:]
    after = leaves(lab)
    # blue's neighbour of the decommissioned rack is gone from leaf2 (overridden within dc1.blue) ...
    assert "10.12.0.11" in before["leaf2"] and "10.12.0.11" not in after["leaf2"]
    assert after["leaf1"]["10.11.0.11"] == before["leaf1"]["10.11.0.11"]
    # ... and every neighbour of green (not in this inventory at all) is exactly as it was
    for leaf in ("leaf1", "leaf2"):
        green = {a: d for a, d in before[leaf].items() if (d or "").startswith("kubefabric:dc1.green")}
        assert green and {a: after[leaf].get(a) for a in green} == green
        assert {a: d for a, d in after[leaf].items() if a not in before[leaf]} == {}
    assert sorted(bgp_peers(lab, "blue")) == ["b1-leaf1"]
    assert bgp_peers(lab, "green") == green_peers
    lab.wait_sessions(_established(NODES["green"] + ["b1-n1"]), timeout=60,
                      what="green's sessions and b1-n1's still Established")
    if not LONG:
        return
    # the whole fabric's run brings rack b2 back
    rc, out = run(lab, log=lab.inventory.parent / "restore.log")
    assert rc == 0, out[-6000:]
    assert leaves(lab)["leaf2"]["10.12.0.11"].startswith("kubefabric:dc1.blue")
