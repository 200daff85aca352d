"""The lab calico-node's CalicoNodeStatus routes, from BIRD 1.6 ``show route`` text."""
from lab.bird import parse_show_route
from lab.calico_node import node_routes

# Real BIRD 1.6.8 output (a Calico node in a mesh and peering its ToR), alternatives indented.
SHOW_ROUTE = """\
BIRD 1.6.8 ready.
10.9.0.0/24        dev eth0 [direct1 03:26:57] * (240)
192.168.10.0/26    blackhole [static1 03:26:57] * (200)
192.168.20.0/26    via 172.16.30.103 on eth0 [Mesh_172_16_30_103 03:27:01] * (100/0) [i]
                   via 172.16.30.254 on eth0 [Node_172_16_30_254 03:27:02 from 172.16.30.254] (100/0) [AS65000i]
192.168.30.0/26    via 172.16.30.254 on eth0 [Global_172_16_30_254_port_1179 03:27:02] * (100/0) [AS65000i]
0.0.0.0/0          via 10.9.0.254 on eth0 [kernel1 03:26:57] * (10)
"""


def test_parse_show_route_keeps_alternatives():
    rows = parse_show_route(SHOW_ROUTE)
    assert [(r["destination"], r["protocol"], r["primary"]) for r in rows] == [
        ("10.9.0.0/24", "direct1", True), ("192.168.10.0/26", "static1", True),
        ("192.168.20.0/26", "Mesh_172_16_30_103", True), ("192.168.20.0/26", "Node_172_16_30_254", False),
        ("192.168.30.0/26", "Global_172_16_30_254_port_1179", True), ("0.0.0.0/0", "kernel1", True)]
    assert rows[2]["gateway"] == "172.16.30.103" and rows[2]["interface"] == "eth0"
    assert rows[1]["gateway"] == "" and rows[0]["interface"] == "eth0"


def test_node_routes_name_the_source_as_calico_node_does():
    rows = node_routes(parse_show_route(SHOW_ROUTE))
    by = {(r["destination"], r["type"]): r["learnedFrom"] for r in rows}
    assert by[("192.168.10.0/26", "FIB")] == {"sourceType": "Static"}
    assert by[("192.168.20.0/26", "FIB")] == {"sourceType": "NodeMesh", "peerIP": "172.16.30.103"}
    assert by[("192.168.20.0/26", "RIB")] == {"sourceType": "BGPPeer", "peerIP": "172.16.30.254"}
    assert by[("192.168.30.0/26", "FIB")] == {"sourceType": "BGPPeer", "peerIP": "172.16.30.254"}
    assert by[("0.0.0.0/0", "FIB")] == {"sourceType": "Kernel"}
    assert by[("10.9.0.0/24", "FIB")] == {"sourceType": "Direct"}
    assert len(rows) == 6
