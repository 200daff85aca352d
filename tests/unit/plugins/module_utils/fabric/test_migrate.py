"""module_utils/fabric/migrate.py: what the migration roles wait for and undo."""
import pytest

from ansible_collections.kubefabric.bgp.plugins.module_utils.common.errors import FabricError
from ansible_collections.kubefabric.bgp.plugins.module_utils.fabric import migrate

EXPECTED = {
    "n1": [{"peer_address": "10.0.0.3", "peer_name": "rr3", "peer_type": "node specific"}],
    "n2": [{"peer_address": "10.0.0.3", "peer_name": "rr3", "peer_type": "node specific"},
           {"peer_address": "10.0.0.1", "peer_name": "n1", "peer_type": "node-to-node mesh"}],
    "rr3": [{"peer_address": "10.0.0.1", "peer_name": "n1", "peer_type": "node specific"},
            {"peer_address": "10.0.0.2", "peer_name": "n2", "peer_type": "node specific"}],
}


def row(address, peer_type, info="Established", state="up"):
    return {"peer_address": address, "peer_type": peer_type, "state": state, "since": "09:00:00", "info": info}


def test_missing_sessions_lists_what_is_not_established():
    status = {
        "n1": {"ipv4": [row("10.0.0.3", "node specific"), row("10.0.0.2", "node-to-node mesh")]},
        "n2": {"ipv4": [row("10.0.0.3", "node specific", "Connect", "start")]},
    }
    missing = migrate.missing_sessions(EXPECTED, status, ["node specific"])
    assert [(m["node"], m["peer_address"], m["observed"]) for m in missing] == [
        ("n2", "10.0.0.3", "node specific start (Connect)"),
        ("rr3", "10.0.0.1", "no status"), ("rr3", "10.0.0.2", "no status")]
    table = migrate.missing_table(missing)
    assert "| n2   | 10.0.0.3     | rr3  | node specific | node specific start (Connect) |" in table


def test_a_mesh_session_does_not_count_for_a_node_specific_one():
    status = {"n1": {"ipv4": [row("10.0.0.3", "node-to-node mesh")]}}
    missing = migrate.missing_sessions({"n1": EXPECTED["n1"]}, status)
    assert missing[0]["observed"] == "node-to-node mesh up (Established)"


def test_exclude_nodes_and_peer_types():
    status = {"n2": {"ipv4": [row("10.0.0.1", "node-to-node mesh")]}}
    assert migrate.missing_sessions(EXPECTED, status, ["node-to-node mesh"], ["rr3"]) == []
    status = {"n2": {"ipv4": []}}
    missing = migrate.missing_sessions(EXPECTED, status, ["node-to-node mesh"], ["rr3"])
    assert [(m["node"], m["observed"]) for m in missing] == [("n2", "absent")]


def _route(block, source, peer=None, fib=True):
    learned = {"sourceType": source}
    if peer:
        learned["peerIP"] = peer
    return {"type": "FIB" if fib else "RIB", "destination": block, "gateway": peer or "", "interface": "eth0",
            "learnedFrom": learned}


def _routes(*rows):
    return {"routesV4": list(rows), "routesV6": []}


SERVICE = "10.96.0.0/12"


def test_missing_routes_wants_each_block_through_the_new_peers():
    # mesh still on: the mesh route is selected (FIB); n1 also has n2's block from the RR (RIB): learned.
    # n2 has n1's block only from the mesh; rr3 has n1's block from n1 but not n2's block at all.
    status = {
        "n1": {"routes": _routes(_route("192.168.1.0/26", "Static"), _route(SERVICE, "Static"),
                                 _route("192.168.2.0/26", "NodeMesh", "10.0.0.2"),
                                 _route("192.168.2.0/26", "BGPPeer", "10.0.0.3", fib=False),
                                 _route("192.168.3.0/26", "BGPPeer", "10.0.0.3"))},
        "n2": {"routes": _routes(_route("192.168.2.0/26", "Static"), _route(SERVICE, "Static"),
                                 _route("192.168.1.0/26", "NodeMesh", "10.0.0.1"),
                                 _route("192.168.3.0/26", "BGPPeer", "10.0.0.3"))},
        "rr3": {"routes": _routes(_route("192.168.3.0/26", "Static"), _route(SERVICE, "Static"),
                                  _route("192.168.1.0/26", "BGPPeer", "10.0.0.1"))},
    }
    missing = migrate.missing_routes(EXPECTED, status)
    assert [(m["node"], m["prefix"], m["origin"], m["observed"]) for m in missing] == [
        ("n2", "192.168.1.0/26", "n1", "only from NodeMesh"), ("rr3", "192.168.2.0/26", "n2", "absent")]
    table = migrate.missing_table(missing)
    assert "BLOCK" in table and "| rr3  | 192.168.2.0/26 | n2      | absent" in table and "PEER TYPE" not in table
    # the way back (rr -> mesh): clients' blocks through the mesh, the route reflector left out
    assert migrate.missing_routes(EXPECTED, status, ["NodeMesh"], ["rr3"]) == []
    # everything learned: nothing missing
    status["n2"]["routes"]["routesV4"].append(_route("192.168.1.0/26", "BGPPeer", "10.0.0.3", fib=False))
    status["rr3"]["routes"]["routesV4"].append(_route("192.168.2.0/26", "BGPPeer", "10.0.0.2"))
    assert migrate.missing_routes(EXPECTED, status) == []


def test_missing_routes_without_route_status():
    status = {"n1": {"ipv4": []}, "n2": {"routes": _routes(_route("192.168.2.0/26", "Static"))}}
    missing = migrate.missing_routes(EXPECTED, status)
    assert [(m["node"], m["observed"]) for m in missing] == [("n1", "no routes reported"), ("rr3", "no status")]
    both = migrate.missing_table(missing + migrate.missing_sessions({"n1": EXPECTED["n1"]}, {}))
    assert "PEER TYPE" in both and "BLOCK" in both


def test_bad_expected_is_a_fabric_error():
    with pytest.raises(FabricError) as err:
        migrate.missing_sessions([], {})
    assert err.value.field == "expected"


def test_route_reflectors_and_undo():
    args = {"nodes": [
        {"name": "a", "route_reflector_cluster_id": "224.0.0.1", "labels": {"calico-route-reflector": ""}},
        {"name": "b", "route_reflector_cluster_id": "", "labels": {}}]}
    assert migrate.route_reflectors(args) == ["a"]
    assert migrate.unset_route_reflectors(args, "route-reflector") == [
        {"name": "a", "route_reflector_cluster_id": "",
         "labels": {"calico-route-reflector": None, "route-reflector": None}}]


HOSTS = {"rr1": {"route_reflector": True, "rack": "r1"}, "rr2": {"route_reflector": True, "rack": "r1"},
         "c1": {"rack": "r1"}, "c2": {"rack": "r1"}, "rr3": {"route_reflector": True, "rack": "r2"},
         "c3": {"rack": "r2"}}


def test_as_steps_keep_an_old_rr_until_the_clients_moved():
    targets = dict.fromkeys(HOSTS, "64600")
    assert migrate.as_steps(targets, HOSTS, list(HOSTS)) == [
        ["rr1"], ["c1", "c2"], ["rr2"],      # rack r1: two RRs, the last one after the clients
        ["rr3", "c3"]]                        # rack r2: one RR, it changes with its clients


def test_as_steps_single_node_and_rr_that_stays():
    assert migrate.as_steps({"c1": "64514"}, HOSTS, list(HOSTS)) == [["c1"]]
    assert migrate.as_steps({"rr1": "1", "c2": "1"}, HOSTS, list(HOSTS)) == [["rr1"], ["c2"]]


def test_global_targets_and_helpers():
    args = {"nodes": [{"name": "a"}, {"name": "b", "as_number": "64513"}]}
    assert migrate.global_as_targets(args, 64600) == {"a": "64600"}
    assert migrate.node_asn_item({"name": "a", "labels": {}}) == {"name": "a", "as_number": ""}
    assert migrate.rack_asn({"asn": 64512, "cluster_id": "1.1.1.1"}, "64512", 64600) == {"asn": 64600,
                                                                                         "cluster_id": "1.1.1.1"}
    assert migrate.rack_asn({"asn": 64513}, "64512", 64600) == {"asn": 64513}


@pytest.mark.parametrize("targets,host,field,words", [
    ({"node9": 64514}, "node9", "kubefabric_as_nodes", "not a node of the node group"),
    ({"node1": 0}, "node1", "kubefabric_as_nodes", "AS 0 is reserved"),
    ({"node1": "23456"}, "node1", "kubefabric_as_nodes", "AS_TRANS"),
    ({"node1": 65000.1}, "node1", "kubefabric_as_nodes", "quote it"),
])
def test_as_steps_refuse_unknown_nodes_and_bad_as(targets, host, field, words):
    hostvars = {"node1": {"rack": "r1", "route_reflector": "false"}, "node2": {"rack": "r1", "route_reflector": True}}
    with pytest.raises(FabricError) as err:
        migrate.as_steps(targets, hostvars, ["node1", "node2"])
    assert (err.value.host, err.value.field) == (host, field) and words in str(err.value) and err.value.fix


def test_as_steps_read_route_reflector_strictly():
    """An INI route_reflector=false is a client (changes with the clients), not a route reflector."""
    hostvars = {"node1": {"rack": "r1", "route_reflector": "false"}, "node2": {"rack": "r1", "route_reflector": "yes"},
                "node3": {"rack": "r1", "route_reflector": True}}
    assert migrate.as_steps({"node1": 64514, "node2": 64514}, hostvars, ["node1", "node2", "node3"]) == [
        ["node2"], ["node1"]]


@pytest.mark.parametrize("new", [0, "0", 23456, "abc", 65000.1])
def test_global_targets_refuse_bad_as(new):
    with pytest.raises(FabricError) as err:
        migrate.global_as_targets({"nodes": [{"name": "a"}]}, new)
    assert err.value.field == "kubefabric_as_global" and err.value.fix
