"""A migration of one cluster on a fabric shared with another (docs/multi_cluster.md, docs/migrations.md).

The lab: examples/multi_cluster with cluster blue changed to one rack b1 of two nodes on leaf1 (FRR), b1-n1 its
route reflector (``tor_peering: route_reflectors``, as seed 004); cluster green as in the example (rack g1 on
leaf1, rack g2 on the RouterOS leaf2). Blue starts as the lab installs it: node-to-node mesh, no BGPPeer, no
device neighbour. Green's team brings green to the tor pattern with green's own inventory. Then, with the whole
fabric's inventory:

- ``drift`` (check mode) reports blue's missing objects and neighbours and writes nothing, on either cluster;
- ``mesh_to_tor`` without ``kubefabric_cluster`` is refused before anything is changed;
- ``mesh_to_tor -e kubefabric_cluster=blue`` migrates blue through blue's own API: blue ends with its BGPPeers,
  the mesh off and b1-n1 peering leaf1 (neighbours of owner scope ``dc1.blue``), both BIRDs Established without
  mesh sessions; green's BGPPeers, BGPConfiguration, Kubernetes nodes and every green neighbour on both leaves
  (and the fabric's uplinks) are exactly as before, and green's BIRD sessions stay Established;
- ``status`` prints every node's table, each cluster read through its own API (green's nodes exist only in
  green's), and ``drift`` afterwards finds nothing to change;
- ``change_as -e kubefabric_cluster=blue`` changes rack b1's AS through blue's API and blue's owner scope on leaf1:
  green's objects and neighbours stay as they are, every session ends Established, and drift with the new AS in
  blue's group vars finds nothing to change.
"""
import json
import os
import re

import pytest
import yaml

from .migration.conftest import LabHandle, private_inventory
from .test_multi_cluster import bgp_peers, kubectl, leaves, run

BLUE = ["b1-n1", "b1-n2"]
GREEN = ["g1-n1", "g2-n1"]


def _fabric(data):
    """The example with blue as one rack of two nodes on leaf1 (b1-n1 the rack's route reflector)."""
    blue = data["all"]["children"]["kubefabric_clusters"]["children"]["blue"]
    blue["vars"].update(tor_peering="route_reflectors", route_reflector_label="route-reflector",
                        fabric_racks={"b1": {"asn": 64601, "cluster_id": "244.0.0.1"}})
    blue["hosts"] = {"b1-n1": {"bgp_ipv4_address": "10.11.0.11/24", "rack": "b1", "route_reflector": True},
                     "b1-n2": {"bgp_ipv4_address": "10.11.0.12/24", "rack": "b1"}}
    data["all"]["children"]["network_devices"]["hosts"]["leaf2"]["racks"] = {"g2": "10.22.0.254"}
    return data


def _green_only(data):
    clusters = data["all"]["children"]["kubefabric_clusters"]["children"]
    del clusters["blue"]
    data["all"]["children"]["k8s_nodes"]["children"] = {"green": {}}
    for device in data["all"]["children"]["network_devices"]["hosts"].values():
        if "racks" in device:
            device["racks"] = {r: a for r, a in device["racks"].items() if r.startswith("g")}
    return data


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    if os.geteuid() != 0:
        pytest.skip("the lab needs root (network namespaces)")
    path = private_inventory(tmp_path_factory.mktemp("mcm"), "multi_cluster", "mm")
    path.write_text(yaml.safe_dump(_fabric(yaml.safe_load(path.read_text()))))
    handle = LabHandle(path)
    handle.up()
    try:
        yield handle
    finally:
        handle.down()


def _established(hosts, mesh):
    def check(sessions):
        for host in hosts:
            protos = sessions.get(host) or {}
            if not protos or any(v != "Established" for v in protos.values()):
                return False
            if any(p.startswith("Mesh_") for p in protos) != mesh:
                return False
        return True
    return check


def calico_state(lab, cluster):
    """What a run may change in a cluster's API: BGPPeers, the default BGPConfiguration, the nodes' labels and
    annotations."""
    config = json.loads(kubectl(lab, cluster, "get", "bgpconfigurations.crd.projectcalico.org", "-o", "json"))
    nodes = json.loads(kubectl(lab, cluster, "get", "nodes", "-o", "json"))
    return {"peers": bgp_peers(lab, cluster),
            "config": {i["metadata"]["name"]: i["spec"] for i in config["items"]},
            "nodes": {n["metadata"]["name"]: (n["metadata"].get("labels"), n["metadata"].get("annotations"),
                                              n.get("spec", {}).get("unschedulable"))
                      for n in nodes["items"]}}


def _recap(out, host):
    found = re.search(r"^%s\s*:\s*ok=\d+\s+changed=(\d+)\s+unreachable=0\s+failed=(\d+)" % re.escape(host), out, re.M)
    assert found, out[-3000:]
    return int(found.group(1)), int(found.group(2))


@pytest.fixture(scope="module")
def green_converged(lab):
    lab.wait_sessions(_established(BLUE, mesh=True), timeout=120, what="blue's initial node-to-node mesh")
    path = lab.inventory.parent / "green-only.yml"
    path.write_text(yaml.safe_dump(_green_only(yaml.safe_load(lab.inventory.read_text()))))
    rc, out = run(lab, path, log=lab.inventory.parent / "green.log")
    assert rc == 0, out[-6000:]
    lab.wait_sessions(_established(GREEN, mesh=False), timeout=60, what="green's ToR sessions")
    return out


def test_drift_before_reports_blue_only_and_writes_nothing(lab, green_converged):
    before = {c: calico_state(lab, c) for c in ("blue", "green")}
    devices = leaves(lab)
    rc, out = run(lab, name="drift.yml", log=lab.inventory.parent / "drift-before.log")
    assert rc == 0, out[-6000:]
    changed, _failed = _recap(out, "localhost")
    assert changed > 0, out[-3000:]   # blue's BGPPeers, nodes and BGPConfiguration would change
    assert _recap(out, "leaf1")[0] > 0  # blue's neighbours on leaf1 would be added
    assert _recap(out, "leaf2")[0] == 0 and _recap(out, "spine")[0] == 0  # nothing of blue there; green converged
    assert {c: calico_state(lab, c) for c in ("blue", "green")} == before and leaves(lab) == devices


def test_a_migration_of_a_multi_cluster_inventory_needs_the_cluster(lab, green_converged):
    before = {c: calico_state(lab, c) for c in ("blue", "green")}
    rc, out = run(lab, name="mesh_to_tor.yml", log=lab.inventory.parent / "refused.log")
    assert rc != 0
    assert "localhost: kubefabric_cluster: the inventory has several clusters (blue, green)" in out, out[-3000:]
    assert "Fix: choose the cluster to migrate: -e kubefabric_cluster=<one of blue, green>" in out
    assert "Pre-flight - Calico dry run" not in out and "Take the fabric lock" not in out  # refused before them
    assert {c: calico_state(lab, c) for c in ("blue", "green")} == before


def test_mesh_to_tor_of_blue_leaves_green_untouched(lab, green_converged):
    green = calico_state(lab, "green")
    devices = leaves(lab)
    green_neighbours = {leaf: {a: d for a, d in found.items() if not (d or "").startswith("kubefabric:dc1.blue")}
                        for leaf, found in devices.items()}
    assert any((d or "").startswith("kubefabric:dc1.green") for d in green_neighbours["leaf1"].values())
    assert not any((d or "").startswith("kubefabric:dc1.blue") for found in devices.values() for d in found.values())
    handle = LabHandle(lab.inventory)
    handle.state = lab.state
    log = lab.inventory.parent / "mesh_to_tor.log"
    rc = handle.playbook("mesh_to_tor.yml", "-e", "kubefabric_cluster=blue", log=log)
    out = log.read_text()
    assert rc == 0, out[-6000:]
    assert "cluster blue: its Calico objects through its own credentials; device neighbours of owner scope dc1.blue" \
        in out
    # blue converged: its peers and mesh off in blue's API, b1-n1 (the rack's route reflector) peers leaf1
    blue = calico_state(lab, "blue")
    assert blue["peers"], blue
    assert blue["config"]["default"]["nodeToNodeMeshEnabled"] is False
    after = leaves(lab)
    assert after["leaf1"]["10.11.0.11"].startswith("kubefabric:dc1.blue"), after["leaf1"]
    assert "10.11.0.12" not in after["leaf1"]  # a client peers its route reflector only
    sessions = lab.wait_sessions(_established(BLUE + GREEN, mesh=False), timeout=60,
                                 what="blue's ToR/RR sessions and green's, all Established, no mesh")
    assert any(p.endswith("10_11_0_254") for p in sessions["b1-n1"]), sessions["b1-n1"]
    # green untouched: Calico objects in green's API, and every neighbour not of dc1.blue on both leaves
    assert calico_state(lab, "green") == green
    for leaf, found in after.items():
        assert {a: d for a, d in found.items() if not (d or "").startswith("kubefabric:dc1.blue")} \
            == green_neighbours[leaf], leaf
    assert [a for a, d in after["leaf2"].items() if (d or "").startswith("kubefabric:dc1.blue")] == []


def test_status_and_drift_per_cluster_after_the_migration(lab, green_converged):
    rc, out = run(lab, name="status.yml", log=lab.inventory.parent / "status.log")
    assert rc == 0, out[-6000:]
    # one read per cluster, each through its own API: green's nodes exist only in green's
    assert re.search(r"item=blue: 2 nodes", out) and re.search(r"item=green: 2 nodes", out), out[-3000:]
    for host in BLUE + GREEN:
        table = re.search(r"ok: \[%s\] => \{\s*\"msg\": \[(.*?)\]\s*\}" % re.escape(host), out, re.S)
        assert table and "Established" in table.group(1), (host, out[-3000:])
    rc, out = run(lab, name="drift.yml", log=lab.inventory.parent / "drift-after.log")
    assert rc == 0, out[-6000:]
    for host in ("localhost", "spine", "leaf1", "leaf2"):
        assert _recap(out, host) == (0, 0), (host, out[-3000:])


def test_status_sliced_each_slice_reports_its_own_part(lab, green_converged, tmp_path):
    """status as an AWX sliced job (2 slices at once through ansible-runner, AWX's slicing rule): each slice
    prints the tables of its own nodes (read through their cluster's API) and devices, together every host once."""
    from . import awxslice  # pylint: disable=import-outside-toplevel
    flat = awxslice.with_lab(awxslice.flatten(yaml.safe_load(lab.inventory.read_text())),
                             json.loads(open(lab.state["lab_inventory"]).read()))
    parts, pdds = [], []
    for number in (1, 2):
        script, hosts = awxslice.awx_slice(flat, number, 2)
        parts.append(hosts)
        pdds.append(awxslice.private_data_dir(tmp_path, "status-slice%d" % number, script, "kubefabric.bgp.status", {}))
    results = awxslice.run_all(pdds)
    printed = []
    for hosts, (_stats, _events, out) in zip(parts, results):
        tables = set(re.findall(r"^ok: \[([^\]]+)\] => \{\s*\"msg\": \[", out, re.M))
        assert tables == hosts, (hosts, tables, out[-3000:])
        for host in tables & set(BLUE + GREEN):
            table = re.search(r"ok: \[%s\] => \{\s*\"msg\": \[(.*?)\]\s*\}" % re.escape(host), out, re.S)
            assert "Established" in table.group(1), (host, out[-3000:])
        printed += sorted(tables)
    assert sorted(printed) == sorted(BLUE + GREEN + ["spine", "leaf1", "leaf2"])


def test_change_as_of_blue_leaves_green_untouched(lab, green_converged):
    """change_as of one cluster (after blue's mesh_to_tor above): rack b1's AS 64601 -> 64611 (b1-n1, its only
    route reflector, and its client b1-n2 in one step), through blue's API, on leaf1 within owner scope dc1.blue.
    Green's Calico objects and every neighbour not of dc1.blue on both leaves are exactly as before, every session
    ends Established, and with the new AS written into blue's group vars drift finds nothing to change."""
    handle = LabHandle(lab.inventory)
    handle.state = lab.state
    green = calico_state(lab, "green")
    devices = leaves(lab)
    others = {leaf: {a: d for a, d in found.items() if not (d or "").startswith("kubefabric:dc1.blue")}
              for leaf, found in devices.items()}
    assert devices["leaf1"]["10.11.0.11"].startswith("kubefabric:dc1.blue"), devices["leaf1"]
    log = lab.inventory.parent / "change_as.log"
    rc = handle.playbook("change_as.yml", "-e", "kubefabric_cluster=blue",
                         "-e", json.dumps({"kubefabric_as_nodes": {"b1-n1": 64611, "b1-n2": 64611}}), log=log)
    out = log.read_text()
    assert rc == 0, out[-6000:]
    assert "cluster blue: its nodes and Calico objects through its own credentials; device neighbours of owner " \
        "scope dc1.blue on" in out, out[-3000:]
    # blue's nodes have the new AS in blue's API; green's API and green's neighbours are exactly as before
    blue = calico_state(lab, "blue")
    assert {n: (a or {}).get("projectcalico.org/ASNumber") for n, (_l, a, _u) in blue["nodes"].items()} \
        == {"b1-n1": "64611", "b1-n2": "64611"}, blue["nodes"]
    assert calico_state(lab, "green") == green
    after = leaves(lab)
    for leaf, found in after.items():
        assert {a: d for a, d in found.items() if not (d or "").startswith("kubefabric:dc1.blue")} == others[leaf], leaf
    assert after["leaf1"]["10.11.0.11"].startswith("kubefabric:dc1.blue"), after["leaf1"]
    lab.wait_sessions(_established(BLUE + GREEN, mesh=False), timeout=60,
                      what="blue's sessions in the new AS and green's, all Established, no mesh")
    # the new AS in blue's group vars: the pattern's plan and the cluster agree (drift changes nothing anywhere)
    data = yaml.safe_load(lab.inventory.read_text())
    data["all"]["children"]["kubefabric_clusters"]["children"]["blue"]["vars"]["fabric_racks"]["b1"]["asn"] = 64611
    path = lab.inventory.parent / "blue-new-as.yml"
    path.write_text(yaml.safe_dump(data))
    rc, out = run(lab, path, name="drift.yml", log=lab.inventory.parent / "drift-new-as.log")
    assert rc == 0, out[-6000:]
    for host in ("localhost", "spine", "leaf1", "leaf2"):
        assert _recap(out, host) == (0, 0), (host, out[-3000:])
