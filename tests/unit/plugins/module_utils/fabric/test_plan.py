"""The fabric planner on the example inventories, and every validation rule on a broken variant."""
import copy
import ipaddress
from pathlib import Path

import pytest
import yaml

from ansible_collections.kubefabric.bgp.plugins.module_utils.common.errors import FabricError
from ansible_collections.kubefabric.bgp.plugins.module_utils.fabric.module import OPTION_VARS
from ansible_collections.kubefabric.bgp.plugins.module_utils.fabric.plan import build_plan
from ansible_collections.kubefabric.bgp.plugins.modules import fabric_plan as fabric_plan_module

from tests.conftest import shared_path

EXAMPLES = Path(__file__).resolve().parents[5] / "examples"


def fabric_of(example):
    """The planner input the action plugin builds from an example inventory."""
    inv = yaml.safe_load((EXAMPLES / example / "inventory.yml").read_text())
    top = inv["all"]
    variables = top.get("vars", {})
    hosts = {}

    def walk(group, path):
        for host, hv in (group.get("hosts") or {}).items():
            hosts.setdefault(path, {})[host] = hv or {}
        for child_name, child in (group.get("children") or {}).items():
            walk(child or {}, path)

    walk(top["children"]["k8s_nodes"], "nodes")
    walk(top["children"]["network_devices"], "devices")
    fabric = {option: variables.get(var) for option, var in OPTION_VARS.items()}
    fabric.update(nodes=hosts.get("nodes", {}), devices=hosts.get("devices", {}))
    return fabric


@pytest.mark.parametrize("example,total,per_node", [
    ("seed001_rr_per_leaf", 12, {"node1": 3, "node3": 2, "node6": 2}),
    ("seed002_route_reflector", 9, {"ip-172-31-40-30": 3, "ip-172-31-42-47": 4}),
    ("seed004_tor_routeros", 3, {"ubuntu-1": 1, "ubuntu-2": 3, "ubuntu-3": 1}),
    ("tor_three_racks", 9, {"r1-n1": 1, "r3-n2": 1}),
    # full_mesh: 4 nodes keep the node-to-node mesh, 4*3/2 = 6 node-node sessions, and the global
    # BGPPeer to tor1 adds one session per node, 4; 6 + 4 = 10.  Each node: 3 mesh peers + tor1 = 4.
    ("full_mesh", 10, {"mesh-1": 4, "mesh-2": 4, "mesh-3": 4, "mesh-4": 4}),
])
def test_example_session_counts(example, total, per_node):
    plan = build_plan(fabric_of(example))
    assert plan["sessions"]["total"] == total
    for node, count in per_node.items():
        assert len(plan["sessions"]["nodes"][node]) == count


def test_full_mesh_device_side():
    """tor1 (global peer) expects exactly the four nodes, in its own AS against the cluster's."""
    plan = build_plan(fabric_of("full_mesh"))
    assert [(r["peer_name"], r["remote_as"], r["local_as"]) for r in plan["sessions"]["devices"]["tor1"]] == [
        ("mesh-1", 64512, 65010), ("mesh-2", 64512, 65010), ("mesh-3", 64512, 65010), ("mesh-4", 64512, 65010)]


@pytest.mark.parametrize("example", ["seed001_rr_per_leaf", "seed002_route_reflector",
                                     "seed004_tor_routeros", "tor_three_racks", "full_mesh"])
def test_every_session_has_both_ends(example):
    plan = build_plan(fabric_of(example))
    ends = set()
    for side in ("nodes", "devices"):
        for name, rows in plan["sessions"][side].items():
            for row in rows:
                assert row["peer_name"], "%s: %s has no named other end" % (name, row["peer_address"])
                ends.add((name, row["peer_name"]))
    for a, b in ends:
        assert (b, a) in ends, "%s -> %s is not mirrored" % (a, b)


def test_rr_per_leaf_device_side():
    plan = build_plan(fabric_of("seed001_rr_per_leaf"))
    leaf1 = plan["devices"]["leaf1"]
    assert leaf1["platform"] == "comware"
    assert [(n["address"], n["remote_as"]) for n in leaf1["config"]["neighbors"]] == [
        ("10.255.0.0", 65000), ("172.20.0.11", 64512), ("172.20.0.12", 64512)]
    spine = plan["devices"]["spine1"]["config"]
    assert [(n["address"], n["remote_as"]) for n in spine["neighbors"]] == [
        ("10.255.0.1", 65001), ("10.255.0.3", 65002)]
    node1 = plan["calico"]["nodes"]["node1"]
    assert node1["bgp"]["routeReflectorClusterID"] == "172.20.0.11"
    assert node1["labels"] == {"rack": "rack1", "rr-id": "rack1", "rr-group": "rack1"}
    assert plan["calico"]["nodes"]["node4"]["bgp"]["asNumber"] == 64513
    assert plan["calico"]["bgp_configuration"]["spec"]["nodeToNodeMeshEnabled"] is False
    assert "graph fabric" in plan["dot"] and '"leaf1" -- "spine1"' in plan["dot"]


def test_seed004_single_rr_warns():
    plan = build_plan(fabric_of("seed004_tor_routeros"))
    assert any("one route reflector" in w for w in plan["warnings"])


@pytest.mark.parametrize("scenario", ["seed002_route_reflectors", "seed004_tor_rr_routeros"])
def test_plan_matches_acceptance_tables(scenario):
    """The example inventories plan exactly the rows real Calico showed in the seeds."""
    accept = yaml.safe_load(shared_path("acceptance", scenario + ".yaml").read_text())
    step = accept["steps"][-1]
    example = {"seed002_route_reflectors": "seed002_route_reflector",
               "seed004_tor_rr_routeros": "seed004_tor_routeros"}[scenario]
    plan = build_plan(fabric_of(example))
    for node, rows in step["expect"]["nodes"].items():
        got = [(r["peer_address"], r["peer_type"]) for r in plan["sessions"]["nodes"][node]]
        assert got == [(r["peer_address"], r["peer_type"]) for r in rows]
    node_pairs = {frozenset((n, r["peer_name"])) for n, rows in plan["sessions"]["nodes"].items() for r in rows}
    assert len(node_pairs) == step["expect"]["sessions_total"]


def broken(example, mutate):
    fabric = copy.deepcopy(fabric_of(example))
    mutate(fabric)
    return fabric


@pytest.mark.parametrize("example,mutate,host,field,words", [
    ("seed001_rr_per_leaf", lambda f: f["devices"]["leaf1"].update(bgp_asn="70000000000"),
     "leaf1", "bgp_asn", "is not an AS number"),
    ("seed001_rr_per_leaf", lambda f: f["nodes"]["node1"].update(bgp_ipv4_address="172.20.0.300/24"),
     "node1", "bgp_ipv4_address", "not an address"),
    ("seed001_rr_per_leaf", lambda f: [f["nodes"][n].update(route_reflector=False) for n in ("node4", "node5")],
     "rack rack2", "route_reflector", "no route reflector"),
    ("seed001_rr_per_leaf", lambda f: f["racks"]["rack2"].update(asn=64512),
     "rack rack2", "fabric_racks.rack2.asn", "AS-path loop"),
    ("seed001_rr_per_leaf", lambda f: f["devices"]["leaf2"].update(router_id="10.255.255.11"),
     "leaf2", "router_id", "also used by leaf1"),
    ("seed001_rr_per_leaf", lambda f: f["nodes"]["node6"].update(bgp_ipv4_address="173.20.0.12/24"),
     "node6", "bgp_ipv4_address", "also used by node5"),
    ("seed002_route_reflector", lambda f: f.update(route_reflector_cluster_id=None),
     "ip-172-31-37-123", "route_reflector_cluster_id", "without a cluster ID"),
    ("seed002_route_reflector", lambda f: [n.update(route_reflector=False) for n in f["nodes"].values()],
     "peer-to-rrs", "peerSelector", "matches no node"),
    ("tor_three_racks", lambda f: f["devices"].pop("tor2"),
     "rack r2", "racks", "has nodes (r2-n1) but no ToR"),
    ("tor_three_racks", lambda f: [d.update(bgp_password="s3cret") for d in f["devices"].values()],
     None, None, None),
])
def test_validation_rules_fire(example, mutate, host, field, words):
    fabric = broken(example, mutate)
    if words is None:  # a password on a device is carried to both sides: no error
        plan = build_plan(fabric)
        peer = next(p for p in plan["calico"]["bgp_peers"] if p["metadata"]["name"] == "r1-tor1")
        assert peer["spec"]["password"]["secretKeyRef"]["name"] == "kubefabric-bgp-tor1"
        assert all(n.get("password") == "s3cret" for n in plan["devices"]["tor1"]["config"]["neighbors"])
        return
    with pytest.raises(FabricError) as err:
        build_plan(fabric)
    assert err.value.host == host
    assert err.value.field == field
    assert words in str(err.value)
    assert err.value.fix


@pytest.mark.parametrize("example", ["tor_three_racks", "seed004_tor_routeros", "full_mesh"])
def test_dynamic_neighbors_keep_the_device_sessions(example):
    """With listen ranges the device reports every dynamic peer by its address: same expected sessions."""
    static = build_plan(fabric_of(example))
    fabric = fabric_of(example)
    fabric["dynamic_neighbors"] = True
    dynamic = build_plan(fabric)
    assert dynamic["sessions"] == static["sessions"]
    nodes = fabric_of(example)["nodes"]
    node_addresses = {spec["bgp_ipv4_address"].split("/")[0] for spec in nodes.values()}
    for name, device in dynamic["devices"].items():
        config = device["config"]
        assert not node_addresses & {n["address"] for n in config["neighbors"]}, name
        for row in dynamic["sessions"]["devices"][name]:
            if row["peer_address"] in node_addresses:
                ranges = [r for r in config["listen_ranges"]
                          if ipaddress.ip_address(row["peer_address"]) in ipaddress.ip_network(r["prefix"])]
                assert [r["remote_as"] for r in ranges] == [row["remote_as"]], (name, row)
    # every node session to a device ends inside a listen range of that device, with the node's AS
    addresses = {spec["bgp_ipv4_address"].split("/")[0]: name for name, spec in nodes.items()}
    checked = 0
    for node, rows in dynamic["sessions"]["nodes"].items():
        for row in rows:
            if row["peer_name"] in dynamic["devices"]:
                node_address = next(a for a, n in addresses.items() if n == node)
                ranges = dynamic["devices"][row["peer_name"]]["config"]["listen_ranges"]
                assert any(ipaddress.ip_address(node_address) in ipaddress.ip_network(r["prefix"])
                           and r["remote_as"] == row["local_as"] for r in ranges), (node, row)
                checked += 1
    assert checked


def test_dynamic_neighbors_tor_three_racks_rows():
    fabric = fabric_of("tor_three_racks")
    fabric["dynamic_neighbors"] = True
    plan = build_plan(fabric)
    assert plan["devices"]["tor1"]["config"]["listen_ranges"] == [
        {"prefix": "10.1.0.0/24", "remote_as": 64601, "peer_group": "k8s-0"}]
    assert [(r["peer_address"], r["peer_name"], r["remote_as"]) for r in plan["sessions"]["devices"]["tor1"]] == [
        ("10.1.0.11", "r1-n1", 64601), ("10.1.0.12", "r1-n2", 64601), ("10.255.0.0", "spine", 65000)]


def test_dynamic_neighbors_documented():
    doc = yaml.safe_load(fabric_plan_module.DOCUMENTATION)["options"]["dynamic_neighbors"]["description"]
    text = " ".join(doc)
    assert "C(plan.sessions.devices)" in text and "one session per node in a listen range" in text


@pytest.mark.parametrize("mutate,host,field,words", [
    # two devices on one rack address, a device on a node's address, two uplinks with one address
    (lambda f: f["devices"]["tor2"]["racks"].update(r2="10.1.0.254"),
     "tor2", "racks", "address 10.1.0.254 is also used by tor1"),
    (lambda f: f["devices"]["tor2"]["racks"].update(r2="10.2.0.11"),
     "tor2", "racks", "address 10.2.0.11 is also used by r2-n1"),
    (lambda f: f["devices"]["tor2"].update(uplinks=[{"peer": "spine", "address": "10.255.0.1/31",
                                                     "peer_address": "10.255.0.0"}]),
     "tor2", "uplinks", "address 10.255.0.1 is also used by tor1"),
    # a listen range has one AS: a node of the subnet in another AS is not accepted
    (lambda f: (f["devices"]["tor1"].update(dynamic_neighbors=True), f["nodes"]["r1-n2"].update(bgp_asn=64700)),
     "tor1", "dynamic_neighbors", "node r1-n2 (AS 64700) is in the listen range 10.1.0.0/24 of AS 64601"),
    # an uplink neighbor on the device's own node address: the node's session meets the spine's AS
    (lambda f: f["devices"]["tor1"].update(dynamic_neighbors=True, uplinks=[
        {"peer": "spine", "address": "10.1.0.1/24", "peer_address": "10.1.0.11"}]),
     "tor1", "neighbors", "node session 10.1.0.11 -> 10.1.0.254 has no mirrored neighbor (AS 64601/65001)"),
    # an uplink whose other end is another rack's node: a node neighbor without a node-side session
    (lambda f: f["devices"]["tor1"].update(uplinks=[{"peer": "spine", "address": "10.2.0.1/24",
                                                     "peer_address": "10.2.0.11"}]),
     "tor1", "neighbors", "neighbor 10.2.0.11 has no session on the node side"),
])
def test_cross_side_rules_through_the_inventory(mutate, host, field, words):
    with pytest.raises(FabricError) as err:
        build_plan(broken("tor_three_racks", mutate))
    assert (err.value.host, err.value.field) == (host, field)
    assert words in str(err.value)
    assert err.value.fix


def test_mirrored_as_pair_guard():
    """The BGPPeers to a device always carry its AS, so only a planner bug reaches this guard."""
    from ansible_collections.kubefabric.bgp.plugins.module_utils.fabric import plan as planmod
    fabric = planmod.normalise_fabric(fabric_of("tor_three_racks"))
    calico = planmod.plan_calico(fabric)
    node_peers = planmod.peering.compute_peerings(planmod.calico_resources(calico))
    fabric["devices"]["tor1"]["asn"] = 65111
    devices = planmod.plan_devices(fabric, node_peers)
    with pytest.raises(FabricError) as err:
        planmod.check_consistency(fabric, node_peers, devices, calico)
    assert err.value.host == "tor1" and "(AS 64601/65001)" in str(err.value)


def test_password_on_one_side_only():
    from ansible_collections.kubefabric.bgp.plugins.module_utils.fabric import plan as planmod
    fabric = planmod.normalise_fabric(fabric_of("tor_three_racks"))
    calico = planmod.plan_calico(fabric)
    for device in fabric["devices"].values():
        device["password"] = "only-on-the-device"
    node_peers = planmod.peering.compute_peerings(planmod.calico_resources(calico))
    devices = planmod.plan_devices(fabric, node_peers)
    with pytest.raises(FabricError) as err:
        planmod.check_consistency(fabric, node_peers, devices, calico)
    assert err.value.host in fabric["devices"] and "one side only" in str(err.value)


def _dynamic(fabric):
    fabric["dynamic_neighbors"] = True
    return fabric


@pytest.mark.parametrize("mutate,words", [
    # a listen range has no password: the device would take the nodes' sessions without it
    (lambda f: [d.update(bgp_password="s3cret") for d in f["devices"].values()], "without the BGP password"),
    # iBGP to every node of the rack (tor_peering all_nodes): the nodes would have to be RR clients
    (lambda f: f["devices"]["tor1"].update(bgp_asn=64601), "route-reflector clients"),
])
def test_dynamic_neighbors_refuse_what_a_listen_range_cannot_carry(mutate, words):
    fabric = fabric_of("tor_three_racks")
    mutate(fabric)
    build_plan(copy.deepcopy(fabric))  # fine with static neighbors
    with pytest.raises(FabricError) as err:
        build_plan(_dynamic(fabric))
    assert (err.value.host, err.value.field) == ("tor1", "dynamic_neighbors")
    assert words in str(err.value) and "dynamic_neighbors: false on tor1" in err.value.fix


def test_full_mesh_planned_from_a_route_reflector_inventory():
    """rr_to_mesh plans full_mesh from an inventory whose RRs say route_reflector: true: not refused."""
    fabric = fabric_of("seed002_route_reflector")
    fabric.update(pattern="full_mesh", inventory_pattern="route_reflector")
    plan = build_plan(fabric)
    assert plan["calico"]["bgp_configuration"]["spec"]["nodeToNodeMeshEnabled"] is True
    fabric["inventory_pattern"] = "full_mesh"
    with pytest.raises(FabricError) as err:
        build_plan(fabric)
    assert err.value.field == "route_reflector"
