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
