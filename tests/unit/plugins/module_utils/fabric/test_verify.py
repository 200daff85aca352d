"""fabric_verify's comparison: sessions against the plan, and every node's blocks at every endpoint."""
import pytest

from ansible_collections.kubefabric.bgp.plugins.module_utils.common.errors import FabricError
from ansible_collections.kubefabric.bgp.plugins.module_utils.fabric import verify

# seed 001's shape: two nodes peering one ToR (eBGP), nodes also in a mesh
PLAN = {"sessions": {
    "nodes": {"node1": [{"peer_address": "172.20.0.12", "peer_name": "node2", "peer_as": 64512},
                        {"peer_address": "172.20.0.1", "peer_name": "leaf1", "peer_as": 65001}],
              "node2": [{"peer_address": "172.20.0.11", "peer_name": "node1", "peer_as": 64512},
                        {"peer_address": "172.20.0.1", "peer_name": "leaf1", "peer_as": 65001}]},
    "devices": {"leaf1": [{"peer_address": "172.20.0.11", "peer_name": "node1", "remote_as": 64512},
                          {"peer_address": "172.20.0.12", "peer_name": "node2", "remote_as": 64512}]}}}
POOLS = ["192.168.0.0/16"]


def _peer(address):
    return {"peer_address": address, "info": "Established", "state": "up"}


def _status(peers, routes):
    return {"ipv4": [_peer(a) for a in peers], "ipv6": [], "routes": {"routesV4": routes, "routesV6": []}}


def _own(block):
    return {"type": "FIB", "destination": block, "gateway": "", "interface": "",
            "learnedFrom": {"sourceType": "Static"}}


def _learned(block, via, kind="NodeMesh", fib=True):
    return {"type": "FIB" if fib else "RIB", "destination": block, "gateway": via, "interface": "eth0",
            "learnedFrom": {"sourceType": kind, "peerIP": via}}


SERVICE = {"type": "FIB", "destination": "10.96.0.0/12", "gateway": "", "interface": "",
           "learnedFrom": {"sourceType": "Static"}}


def nodes_ok():
    return {"node1": _status(["172.20.0.12", "172.20.0.1"],
                             [_own("192.168.10.0/26"), SERVICE, _learned("192.168.20.0/26", "172.20.0.12")]),
            "node2": _status(["172.20.0.11", "172.20.0.1"],
                             [_own("192.168.20.0/26"), SERVICE, _learned("192.168.10.0/26", "172.20.0.1", "BGPPeer")])}


def devices_ok():
    return {"leaf1": {"sessions": [{"peer_address": a, "established": True, "state": "Established", "remote_as": 64512}
                                   for a in ("172.20.0.11", "172.20.0.12")],
                      "routes": [{"prefix": "192.168.10.0/26", "next_hop": "172.20.0.11", "protocol": "bgp",
                                  "active": True},
                                 {"prefix": "192.168.20.0/26", "next_hop": "172.20.0.12", "protocol": "bgp",
                                  "active": True}]}}


def test_everything_in_place():
    result = verify.verify_result(PLAN, nodes_ok(), devices_ok(), check_routes=True, pools=POOLS)
    assert result["ok"] and result["problems"] == [] and result["route_problems"] == []
    assert result["established"] == result["expected"] == 6
    # a block at the other node and at the device, per block; the service CIDR is outside the pools
    assert result["blocks"] == {"node1": ["192.168.10.0/26"], "node2": ["192.168.20.0/26"]}
    assert result["prefixes_expected"] == result["prefixes_present"] == 4
    assert "4/4 prefixes present" in result["table"]


def test_without_pools_a_block_is_a_static_route_of_one_node():
    # the service CIDR is static on both nodes: not a block
    result = verify.verify_result(PLAN, nodes_ok(), devices_ok(), check_routes=True)
    assert result["ok"] and result["blocks"] == {"node1": ["192.168.10.0/26"], "node2": ["192.168.20.0/26"]}
    # inside the pools it would be one (and it is not learned by the other node: its own static wins)
    wide = verify.verify_result(PLAN, nodes_ok(), devices_ok(), check_routes=True, pools=POOLS + ["10.96.0.0/12"])
    assert wide["blocks"]["node1"] == ["10.96.0.0/12", "192.168.10.0/26"] and not wide["ok"]


def test_a_block_missing_at_a_node_and_at_the_device():
    nodes = nodes_ok()
    nodes["node2"]["routes"]["routesV4"][2] = _learned("192.168.10.0/26", "172.20.0.1", "BGPPeer", fib=False)
    devices = devices_ok()
    devices["leaf1"]["routes"][1]["active"] = False
    result = verify.verify_result(PLAN, nodes, devices, check_routes=True, pools=POOLS)
    assert not result["ok"] and result["problems"] == []  # every session is up; routes are not
    assert [(r["endpoint"], r["prefix"], r["origin"], r["observed"]) for r in result["route_problems"]] == [
        ("node2", "192.168.10.0/26", "node1", "absent"), ("leaf1", "192.168.20.0/26", "node2", "absent")]
    assert "192.168.20.0/26" in result["table"] and "ORIGIN NODE" in result["table"]
    assert result["prefixes_present"] == 2


def test_an_endpoint_without_route_data_is_a_problem():
    nodes = nodes_ok()
    del nodes["node1"]["routes"]
    devices = devices_ok()
    devices["leaf1"].pop("routes")
    result = verify.verify_result(PLAN, nodes, devices, check_routes=True, pools=POOLS)
    assert {(r["endpoint"], r["observed"]) for r in result["route_problems"]} == {
        ("node1", "no routes reported"), ("leaf1", "no routes reported")}
    unreachable = verify.verify_result(PLAN, nodes_ok(), {"leaf1": None}, check_routes=True, pools=POOLS)
    assert [r["observed"] for r in unreachable["route_problems"]] == ["unreachable"]
    assert {r["verdict"] for r in unreachable["problems"]} == {verify.MISSING}


def test_sessions_only_ignores_routes():
    devices = devices_ok()
    devices["leaf1"].pop("routes")
    result = verify.verify_result(PLAN, nodes_ok(), devices)
    assert result["ok"] and "route_problems" not in result


def test_session_verdicts():
    nodes = nodes_ok()
    nodes["node1"]["ipv4"][1]["info"] = "Active Socket: Connection refused"
    nodes["node2"]["ipv4"].append(_peer("172.20.0.99"))
    devices = devices_ok()
    devices["leaf1"]["sessions"][0]["remote_as"] = 64999
    devices["leaf1"]["sessions"].pop(1)
    result = verify.verify_result(PLAN, nodes, devices)
    verdicts = {(r["endpoint"], r["peer_address"]): r["verdict"] for r in result["problems"]}
    assert verdicts == {("node1", "172.20.0.1"): verify.DOWN, ("node2", "172.20.0.99"): verify.UNEXPECTED,
                        ("leaf1", "172.20.0.11"): verify.WRONG_AS, ("leaf1", "172.20.0.12"): verify.MISSING}
    assert not result["ok"] and result["established"] == 3


def test_expect_is_jmespath_on_the_result():
    verify.verify_result(PLAN, nodes_ok(), devices_ok(), expect="prefixes_present == `4`", check_routes=True,
                         pools=POOLS)
    with pytest.raises(FabricError) as err:
        verify.verify_result(PLAN, nodes_ok(), devices_ok(), expect="length(route_problems) > `0`",
                             check_routes=True, pools=POOLS)
    assert err.value.field == "expect"


def test_many_missing_routes_are_cut_in_the_table():
    nodes = {"n%d" % i: _status([], [_own("192.168.%d.0/26" % i)]) for i in range(12)}
    plan = {"sessions": {"nodes": {name: [] for name in nodes}, "devices": {}}}
    result = verify.verify_result(plan, nodes, {}, check_routes=True, pools=POOLS)
    assert len(result["route_problems"]) == 12 * 11
    assert "... and %d more missing route(s)" % (132 - verify.ROUTE_ROWS_SHOWN) in result["table"]


def test_the_operators_own_device_sessions_are_not_unexpected():
    def row(address):
        return {"peer_address": address, "state": "Established", "established": True, "remote_as": 64512}

    nodes = {"node1": _status(["172.20.0.12", "172.20.0.1"], []), "node2": _status(["172.20.0.11", "172.20.0.1"], [])}
    # 10.99.0.1 is no address of the fabric (a firewall the operator peers with); 172.20.0.12 ... is
    devices = {"leaf1": {"sessions": [row("172.20.0.11"), row("172.20.0.12"), row("10.99.0.1")]}}
    result = verify.compare(PLAN["sessions"], nodes, devices)
    assert result["ok"], result["problems"]
    # a session to a fabric address that the plan does not give this device is still unexpected
    devices["leaf1"]["sessions"].append(row("172.20.0.1"))
    bad = verify.compare(PLAN["sessions"], nodes, devices)["problems"]
    assert [(r["endpoint"], r["peer_address"], r["verdict"]) for r in bad] == [("leaf1", "172.20.0.1", "unexpected")]


def test_a_device_read_error_is_an_error_of_its_own_not_missing_sessions():
    observed = {"leaf1": {verify.ERROR_KEY: "leaf1: the driver crashed: KeyError: 'peerState'"}}
    result = verify.verify_result(PLAN, nodes_ok(), observed, check_routes=True, pools=POOLS)
    assert not result["ok"] and result["read_errors"] == ["leaf1"]
    leaf = [r for r in result["problems"] if r["endpoint"] == "leaf1"]
    assert {r["verdict"] for r in leaf} == {verify.READ_ERROR}
    assert len(leaf) == 2 and "KeyError" in leaf[0]["observed"]
    assert [r for r in result["route_problems"] if r["endpoint"] == "leaf1"][0]["verdict"] == verify.READ_ERROR
    assert "read error" in result["table"] and "missing" not in [r["verdict"] for r in leaf]
    # unreachable (None) stays what it was: the sessions are missing
    result = verify.verify_result(PLAN, nodes_ok(), {"leaf1": None})
    assert {r["verdict"] for r in result["problems"] if r["endpoint"] == "leaf1"} == {verify.MISSING}
    assert result["read_errors"] == []


def test_a_node_that_could_not_be_observed_is_said_so_and_is_no_problem():
    nodes = nodes_ok()
    del nodes["node2"]
    result = verify.verify_result(PLAN, nodes, devices_ok(), check_routes=True, pools=POOLS,
                                  unobserved={"node2": "no CalicoNodeStatus object"})
    assert result["ok"] and result["not_observed"] == ["node2"]
    rows = [r for r in result["rows"] if r["endpoint"] == "node2"]
    assert {r["verdict"] for r in rows} == {verify.NOT_OBSERVED} and len(rows) == 2
    assert result["established"] == 4 and result["expected"] == 6
    assert "not observed (no fault of the fabric, nothing to read): node2 (no CalicoNodeStatus object)" in result["table"]
    # without the mark, the same observation is a missing node
    failed = verify.verify_result(PLAN, nodes, devices_ok(), check_routes=True, pools=POOLS)
    assert not failed["ok"] and failed["not_observed"] == []
    # an observed problem still fails
    broken = devices_ok()
    broken["leaf1"]["sessions"][0]["established"] = False
    assert not verify.verify_result(PLAN, nodes, broken, unobserved={"node2": "x"})["ok"]


# -- routes_on: where the routes are checked ------------------------------------------------------------
# rr_per_leaf's shape: rr1 reflects for c1 and c2 and peers leaf1 (eBGP); the clients peer rr1 only
RR_PLAN = {"sessions": {
    "nodes": {"rr1": [{"peer_address": "10.1.0.21", "peer_name": "c1", "rr_client": True},
                      {"peer_address": "10.1.0.22", "peer_name": "c2", "rr_client": True},
                      {"peer_address": "10.1.0.254", "peer_name": "leaf1", "rr_client": False}],
              "c1": [{"peer_address": "10.1.0.11", "peer_name": "rr1", "rr_client": False}],
              "c2": [{"peer_address": "10.1.0.11", "peer_name": "rr1", "rr_client": False}]},
    "devices": {"leaf1": [{"peer_address": "10.1.0.11", "peer_name": "rr1", "remote_as": 64512}]}}}
BLOCKS = {"rr1": "192.168.1.0/26", "c1": "192.168.2.0/26", "c2": "192.168.3.0/26"}


def _bgp_only(peers):
    return {"ipv4": [_peer(a) for a in peers], "ipv6": [], "routes": {}}


def rr_nodes(c2_at_rr=True):
    routes = [_own(BLOCKS["rr1"]), _learned(BLOCKS["c1"], "10.1.0.21", "BGPPeer")]
    if c2_at_rr:
        routes.append(_learned(BLOCKS["c2"], "10.1.0.22", "BGPPeer"))
    return {"rr1": _status(["10.1.0.21", "10.1.0.22", "10.1.0.254"], routes),
            "c1": _bgp_only(["10.1.0.11"]), "c2": _bgp_only(["10.1.0.11"])}


def rr_devices(prefixes=tuple(BLOCKS.values())):
    return {"leaf1": {"sessions": [{"peer_address": "10.1.0.11", "established": True, "state": "Established",
                                    "remote_as": 64512}],
                      "routes": [{"prefix": p, "next_hop": "10.1.0.11", "active": True} for p in prefixes]}}


def _big_plan(nodes, rr=False, devices=False):
    names = ["n%03d" % i for i in range(nodes)]
    plan = {"nodes": {n: [{"peer_address": "10.0.0.1", "peer_name": names[0], "rr_client": rr and n == names[0]}]
                      for n in names}, "devices": {}}
    if devices:
        plan["devices"] = {"leaf1": [{"peer_address": "10.0.0.1", "peer_name": names[0]}]}
    return plan


def test_routes_on_auto_is_every_node_when_small_else_reflectors_and_devices():
    assert verify.resolve_routes_on(RR_PLAN["sessions"]) == "all"
    assert verify.resolve_routes_on(_big_plan(verify.ALL_NODES_UP_TO)) == "all"
    assert verify.resolve_routes_on(_big_plan(verify.ALL_NODES_UP_TO + 1, rr=True)) == "reflectors"
    assert verify.resolve_routes_on(_big_plan(verify.ALL_NODES_UP_TO + 1, devices=True)) == "reflectors"
    # a large mesh without reflectors and devices: only the nodes themselves can show the routes
    assert verify.resolve_routes_on(_big_plan(verify.ALL_NODES_UP_TO + 1)) == "all"
    assert verify.resolve_routes_on(RR_PLAN["sessions"], "devices") == "devices"
    assert verify.resolve_routes_on(RR_PLAN["sessions"], "all", check_routes=False) == "none"
    with pytest.raises(FabricError) as err:
        verify.resolve_routes_on(RR_PLAN["sessions"], "leaves")
    assert err.value.field == "routes_on"


def test_route_endpoints_per_routes_on():
    sessions = RR_PLAN["sessions"]
    assert verify.reflector_nodes(sessions) == ["rr1"]
    assert verify.route_endpoints(sessions, "all") == (["c1", "c2", "rr1"], ["leaf1"])
    assert verify.route_endpoints(sessions, "reflectors") == (["rr1"], ["leaf1"])
    assert verify.route_endpoints(sessions, "devices") == ([], ["leaf1"])
    assert verify.route_endpoints(sessions, "none") == ([], [])


def test_reflectors_every_block_at_every_reflector_and_device_from_their_own_tables():
    result = verify.verify_result(RR_PLAN, rr_nodes(), rr_devices(), check_routes=True, pools=POOLS,
                                  routes_on="reflectors")
    assert result["ok"], result["table"]
    assert result["routes_on"] == "reflectors" and result["routes_checked_at"] == ["rr1", "leaf1"]
    # the clients report no routes: their blocks come from rr1's table, their origin from the gateway
    assert result["blocks"] == {"rr1": [BLOCKS["rr1"]], "c1": [BLOCKS["c1"]], "c2": [BLOCKS["c2"]]}
    assert result["prefixes_expected"] == result["prefixes_present"] == 2 + 3  # rr1: the clients' two; leaf1: 3
    assert result["routes_where"] == "1 reflector node(s) + 1 device(s)"
    assert result["established"] == result["expected"] == 6  # sessions still at every node end


def test_reflectors_a_block_that_reached_the_device_but_not_the_reflector_is_missing_there():
    result = verify.verify_result(RR_PLAN, rr_nodes(c2_at_rr=False), rr_devices(), check_routes=True, pools=POOLS,
                                  routes_on="reflectors")
    assert not result["ok"]
    assert [(r["endpoint"], r["prefix"], r["verdict"]) for r in result["route_problems"]] == [
        ("rr1", BLOCKS["c2"], verify.NO_ROUTE)]
    # only seen at the device, whose next hop is rr1 (eBGP): the origin is not made up
    assert result["route_problems"][0]["origin"] == verify.UNKNOWN_ORIGIN


def test_reflectors_a_block_missing_at_the_device():
    result = verify.verify_result(RR_PLAN, rr_nodes(), rr_devices(prefixes=(BLOCKS["rr1"], BLOCKS["c1"])),
                                  check_routes=True, pools=POOLS, routes_on="reflectors")
    assert [(r["endpoint"], r["prefix"], r["origin"]) for r in result["route_problems"]] == [
        ("leaf1", BLOCKS["c2"], "c2")]


def test_all_on_the_same_observation_asks_the_clients_tables_too():
    result = verify.verify_result(RR_PLAN, rr_nodes(), rr_devices(), check_routes=True, pools=POOLS, routes_on="all")
    assert not result["ok"]
    assert sorted(r["endpoint"] for r in result["route_problems"]) == ["c1", "c2"]
    assert {r["observed"] for r in result["route_problems"]} == {"no routes reported"}


def test_devices_only_and_none():
    result = verify.verify_result(RR_PLAN, rr_nodes(), rr_devices(), check_routes=True, pools=POOLS,
                                  routes_on="devices")
    assert result["ok"] and result["routes_checked_at"] == ["leaf1"]
    assert result["prefixes_expected"] == 3 and result["routes_where"] == "1 device(s)"
    result = verify.verify_result(RR_PLAN, rr_nodes(), rr_devices(), check_routes=True, pools=POOLS, routes_on="none")
    assert result["ok"] and result["routes_on"] == "none" and "prefixes_expected" not in result
