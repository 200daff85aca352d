"""The lab calico-node's own Calico reading: selectors, core/v1 Nodes, sessions (fixtures test the rest)."""
import pytest

from lab import confd
from lab.calico_selector import compile_selector


@pytest.mark.parametrize("text, labels, expected", [
    ("all()", {}, True),
    ("global()", {"a": "b"}, True),
    ("has(rack)", {"rack": "r1"}, True),
    ("has(rack)", {}, False),
    ("rack == 'r1'", {"rack": "r1"}, True),
    ('rack == "r1"', {"rack": "r2"}, False),
    ("rack != 'r1'", {}, True),
    ("rack in {'r1', 'r2'}", {"rack": "r2"}, True),
    ("rack not in {'r1', 'r2'}", {"rack": "r3"}, True),
    ("!has(route-reflector) && rack == 'r1'", {"rack": "r1"}, True),
    ("!has(route-reflector) && rack == 'r1'", {"rack": "r1", "route-reflector": "true"}, False),
    ("(a == 'x' || b == 'y') && !(c == 'z')", {"b": "y"}, True),
    ("name starts with 'leaf'", {"name": "leaf1"}, True),
    ("name ends with '1'", {"name": "leaf2"}, False),
    ("name contains 'af'", {"name": "leaf2"}, True),
    ("", {"a": "b"}, False),
])
def test_selector(text, labels, expected):
    assert compile_selector(text)(labels) is expected


def test_unreadable_selector_is_an_error():
    with pytest.raises(ValueError):
        compile_selector("rack ==")


def k8s_node(name, k8s_labels=None, **annotations):
    return {"apiVersion": "v1", "kind": "Node",
            "metadata": {"name": name, "labels": k8s_labels or {},
                         "annotations": {"projectcalico.org/" + k: v for k, v in annotations.items()}}}


def test_core_v1_node_annotations():
    node = confd.node_from_object(k8s_node("n1", {"rack": "r1"}, IPv4Address="10.0.0.1/24",
                                           IPv6Address="fd00::1/64", ASNumber="1.10",
                                           RouteReflectorClusterID="244.0.0.1",
                                           labels='{"calico-only": "yes"}'))
    assert (node.ipv4, node.ipv4_cidr, node.ipv6, node.asn, node.rr_cluster_id) == (
        "10.0.0.1", "10.0.0.1/24", "fd00::1", 65546, "244.0.0.1")
    assert node.labels == {"rack": "r1", "calico-only": "yes"}


def test_mesh_then_global_peer_sessions():
    objects = [
        k8s_node("a", IPv4Address="10.0.0.1/24"), k8s_node("b", IPv4Address="10.0.0.2/24", ASNumber="65002"),
        {"kind": "BGPPeer", "metadata": {"name": "tor"}, "spec": {"peerIP": "10.0.0.254", "asNumber": 65000}},
    ]
    model = confd.Model(objects)
    sessions = confd.node_sessions(model, "a")
    assert [(s.name, s.peer_as, s.local_as, s.passive) for s in sessions] == [
        ("Global_10_0_0_254", 65000, 64512, False), ("Mesh_10_0_0_2", 65002, 64512, True)]
    assert [s.name for s in confd.node_sessions(model, "b")] == ["Global_10_0_0_254", "Mesh_10_0_0_1"]
