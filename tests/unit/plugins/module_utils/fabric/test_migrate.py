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
