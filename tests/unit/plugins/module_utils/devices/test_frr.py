"""Unit tests of devices/frr.py with output captured from FRR 8.4.4 (tests/unit/fixtures/frr)."""
import json
import functools
from pathlib import Path

import pytest

from ansible_collections.kubefabric.bgp.plugins.module_utils.common.errors import FabricError
from ansible_collections.kubefabric.bgp.plugins.module_utils.devices import owner
from ansible_collections.kubefabric.bgp.plugins.module_utils.devices import frr, model, resource

from tests.unit.plugins.module_utils.devices import fake_cli
from tests.unit.plugins.module_utils.devices.fake_cli import FakeCli, frr_readback

FIX = Path(__file__).resolve().parents[4] / "unit" / "fixtures" / "frr"
FULL = (FIX / "show_running-config_bgpd.txt").read_text()
EMPTY = (FIX / "show_running-config_bgpd_empty.txt").read_text()
ONE = (FIX / "show_running-config_bgpd_one_peer.txt").read_text()
PARTIAL = (FIX / "show_running-config_bgpd_partial.txt").read_text()
NO_DEFAULT = (FIX / "show_running-config_bgpd_no_default_ipv4.txt").read_text()
PARAMS = {"hostname": "leaf1", "username": "netops", "password": "pw-not-in-results"}


fake = functools.partial(fake_cli.device, frr)
driver_with = functools.partial(fake_cli.connected, frr, PARAMS)


def test_parse_full_config():
    cfg = frr.parse_config(FULL)
    assert cfg["asn"] == 65001 and cfg["router_id"] == "172.20.0.1"
    spine = model.find(cfg["neighbors"], "address", "10.9.9.9")
    assert spine == {"address": "10.9.9.9", "remote_as": 65000, "description": "spine-1", "password": "topsecret",
                     "route_reflector_client": False, "multihop": True, "update_source": "172.20.0.1",
                     "hold_time": 90, "keepalive_time": 30, "bfd": True, "passive": False, "import_policy": "IN",
                     "export_policy": "OUT", "address_families": ["ipv4"]}
    client = model.find(cfg["neighbors"], "address", "172.20.0.12")
    assert client["route_reflector_client"] is True and client["remote_as"] == 65001
    assert resource.user_view(cfg)["listen_ranges"] == [
        {"prefix": "172.20.0.0/24", "remote_as": 64512, "peer_group": "CALICO"}]
    # the peer group is not a neighbor
    assert [n["address"] for n in cfg["neighbors"]] == ["10.9.9.9", "172.20.0.12"]


def test_parse_without_bgp_and_without_default_ipv4():
    assert frr.parse_config(EMPTY) == model.empty_config()
    cfg = frr.parse_config(NO_DEFAULT)
    assert model.find(cfg["neighbors"], "address", "10.6.6.6")["address_families"] == ["ipv6"]
    assert model.find(cfg["neighbors"], "address", "10.5.5.5")["address_families"] == ["ipv4"]


def test_roundtrip_and_rendered():
    cfg = frr.parse_config(FULL)
    assert frr.render_transition(cfg, cfg) == []
    driver = frr.FrrDriver({}, offline=True, connect=lambda *a: pytest.fail("rendered connected"))
    result = resource.run(driver, "rendered", config={
        "asn": 65002, "neighbors": [{"address": "173.20.0.11", "remote_as": 65002, "route_reflector_client": True,
                                     "password": "pw-not-in-results"}],
        "listen_ranges": [{"prefix": "173.20.0.0/24", "remote_as": 64512, "peer_group": "calico"}]})
    assert result["rendered"] == [
        "router bgp 65002", " no bgp ebgp-requires-policy",
        " neighbor 173.20.0.11 remote-as 65002",
        " neighbor 173.20.0.11 description kubefabric:default/%s"
        % owner.fingerprint("pw-not-in-results", "default", "173.20.0.11"),
        " neighbor 173.20.0.11 password ********",
        " neighbor calico peer-group", " neighbor calico description kubefabric:default",
        " neighbor calico remote-as 64512",
        " bgp listen range 173.20.0.0/24 peer-group calico",
        " address-family ipv4 unicast", "  neighbor 173.20.0.11 route-reflector-client", " exit-address-family",
        "exit"]


def plan_lines(have_text, config, state):
    have = frr.parse_config(have_text)
    want = resource.validate_params(state, config)
    plan = resource.compute(want, have, state, frr.FrrDriver.password_readable)
    return frr.render_transition(plan.have, plan.after, default_ipv4=frr.parse_raw(have_text)["default_ipv4"])


@pytest.mark.parametrize("state,config,expected", [
    ("merged", {"neighbors": [{"address": "172.20.0.12", "remote_as": 65001, "password": "n3w-pw"}]},
     ["router bgp 65001", " neighbor 172.20.0.12 password n3w-pw", "exit"]),
    ("merged", {"neighbors": [{"address": "172.20.0.12", "remote_as": 65001}]}, []),
    ("merged", {"neighbors": [{"address": "172.20.0.12", "remote_as": 65009}]},
     ["router bgp 65001", " neighbor 172.20.0.12 remote-as 65009", "exit"]),
    ("replaced", {"asn": 65001, "neighbors": [{"address": "172.20.0.12", "remote_as": 65001}]},
     ["router bgp 65001", " no bgp router-id", "exit"]),
    ("overridden", {"asn": 65001, "router_id": "172.20.0.1",
                    "neighbors": [{"address": "172.20.0.13", "remote_as": 65001, "address_families": ["ipv6"]}]},
     ["router bgp 65001", " no neighbor 172.20.0.12", " neighbor 172.20.0.13 remote-as 65001",
      " address-family ipv4 unicast", "  no neighbor 172.20.0.13 activate", " exit-address-family",
      " address-family ipv6 unicast", "  neighbor 172.20.0.13 activate", " exit-address-family", "exit"]),
    ("deleted", {"neighbors": [{"address": "172.20.0.12"}]}, ["router bgp 65001", " no neighbor 172.20.0.12", "exit"]),
    ("deleted", None, ["no router bgp 65001"]),
])
def test_states(state, config, expected):
    assert plan_lines(ONE, config, state) == expected


def test_password_is_compared_because_frr_shows_it():
    assert plan_lines(FULL, {"neighbors": [{"address": "10.9.9.9", "remote_as": 65000, "password": "topsecret"}]},
                      "merged") == []


def test_without_default_ipv4_new_neighbors_are_activated():
    lines = plan_lines(NO_DEFAULT, {"neighbors": [{"address": "10.8.8.8", "remote_as": 65010}]}, "merged")
    assert lines == ["router bgp 65001", " neighbor 10.8.8.8 remote-as 65010", " address-family ipv4 unicast",
                     "  neighbor 10.8.8.8 activate", " exit-address-family", "exit"]


def test_listen_range_needs_a_peer_group():
    with pytest.raises(FabricError) as err:
        frr.check_supported({"listen_ranges": [{"prefix": "10.0.0.0/24", "remote_as": 1, "peer_group": None}]})
    assert err.value.field == "config.listen_ranges[0].peer_group"


def test_as_change_is_refused_before_any_write():
    conn = fake([ONE], read_only=True)
    with pytest.raises(FabricError) as err:
        resource.run(driver_with(conn), "merged", config={"asn": 65002})
    assert err.value.field == "config.asn" and conn.sent == []


CONFIG = {"asn": 65001, "neighbors": [{"address": "10.5.5.5", "remote_as": 65010, "description": "spine-5",
                                       "import_policy": "BAD", "password": "pw-not-in-results"}]}


def test_check_mode_sends_nothing_that_changes_config():
    conn = fake([ONE], read_only=True)
    result = resource.run(driver_with(conn), "merged", config=CONFIG, check_mode=True)
    assert result["changed"] is True and " neighbor 10.5.5.5 password ********" in result["commands"]
    assert [e[0] for e in conn.events] == ["show"]
    assert "pw-not-in-results" not in json.dumps(result)


def test_merged_applies_in_one_configure_session_and_writes_memory():
    conn = fake([ONE])
    result = resource.run(driver_with(conn), "merged", config=CONFIG)
    assert result["changed"] is True
    kinds = [e[0] for e in conn.events]
    assert kinds.count("config_mode") == 1 and kinds[-3:] == ["save", "exit_config_mode", "show"]  # then the read-back
    assert conn.sent[0] == "router bgp 65001" and " neighbor 10.5.5.5 password pw-not-in-results" in conn.sent
    assert "pw-not-in-results" not in json.dumps(result)


def test_rejected_line_rolls_back():
    conn = fake([ONE, PARTIAL], reject=r"route-map BAD", error_text="% Command incomplete: route-map BAD")
    with pytest.raises(FabricError) as err:
        resource.run(driver_with(conn), "merged", config=CONFIG)
    assert "neighbor 10.5.5.5 route-map BAD in" in str(err.value) and "rolled back" in str(err.value)
    failed_at = conn.sent.index("  neighbor 10.5.5.5 route-map BAD in")
    assert conn.sent[failed_at + 1:] == ["router bgp 65001", " no neighbor 10.5.5.5", "exit"]
    assert conn.saves == 0


def test_error_without_percent_is_detected():
    conn = fake([EMPTY], reject=r"^router bgp", error_text="BGP is already running; AS is 65001")
    with pytest.raises(FabricError) as err:
        resource.run(driver_with(conn), "merged", config={"asn": 65002})
    assert "BGP is already running" in str(err.value)


def test_sessions_from_summary_json():
    rows = frr.parse_summary((FIX / "show_bgp_summary_json.json").read_text())
    dynamic = [r for r in rows if r["peer_address"] == "172.20.0.11"][0]
    assert dynamic == {"peer_address": "172.20.0.11", "remote_as": 64512, "local_as": 65001, "state": "Established",
                       "established": True, "uptime": 4, "prefixes_received": 1}
    assert [r["state"] for r in rows if r["peer_address"] != "172.20.0.11"] == ["Active", "Active"]
    assert frr.parse_summary((FIX / "show_bgp_summary_json_empty.json").read_text()) == []


ROUTES_JSON = (FIX / "show_ip_route_bgp_json.json").read_text()

# zebra's shapes for the cases the captured table lacks: an iBGP route whose next hop is resolved
# recursively (the resolving next hop is not a next hop of the route), ECMP, a BGP route that lost
# to a connected one, and a route of another protocol (not listed by "route bgp", ignored anyway)
ROUTES_EDGE = {
    "10.233.68.0/26": [{"prefix": "10.233.68.0/26", "protocol": "bgp", "selected": True, "installed": True,
                        "distance": 200, "nexthops": [
                            {"flags": 5, "ip": "10.255.0.2", "afi": "ipv4", "active": True, "recursive": True},
                            {"flags": 3, "fib": True, "ip": "173.20.0.254", "afi": "ipv4", "interfaceName": "swp1",
                             "resolver": True, "active": True}]}],
    "10.233.69.0/26": [{"prefix": "10.233.69.0/26", "protocol": "bgp", "selected": True, "nexthops": [
        {"fib": True, "ip": "173.21.0.12", "interfaceName": "swp2", "active": True},
        {"fib": True, "ip": "173.21.0.11", "interfaceName": "swp2", "active": True}]}],
    "173.20.0.0/24": [{"prefix": "173.20.0.0/24", "protocol": "bgp", "distance": 20, "nexthops": [
        {"ip": "173.20.0.11", "afi": "ipv4", "interfaceName": "swp1", "active": True}]}],
    "10.9.0.0/16": [{"prefix": "10.9.0.0/16", "protocol": "static", "selected": True,
                     "nexthops": [{"ip": "173.20.0.254", "active": True}]}],
}
ROUTES_V6 = {"2001:db8:66::/64": [{"prefix": "2001:db8:66::/64", "protocol": "bgp", "selected": True, "nexthops": [
    {"fib": True, "ip": "fe80::a8bb:ccff:fe00:11", "afi": "ipv6", "interfaceName": "swp1", "active": True}]}]}


def test_routes_from_show_ip_route_bgp_json():
    assert frr.parse_routes(ROUTES_JSON) == [
        {"prefix": "192.168.60.0/26", "next_hop": "172.16.40.2", "protocol": "bgp", "active": True}]
    assert frr.parse_routes("{}") == []


def test_routes_recursive_ecmp_inactive_and_other_protocols():
    assert frr.parse_routes(json.dumps(ROUTES_EDGE)) == [
        {"prefix": "10.233.68.0/26", "next_hop": "10.255.0.2", "protocol": "bgp", "active": True},
        {"prefix": "10.233.69.0/26", "next_hop": "173.21.0.12", "protocol": "bgp", "active": True},
        {"prefix": "10.233.69.0/26", "next_hop": "173.21.0.11", "protocol": "bgp", "active": True},
        {"prefix": "173.20.0.0/24", "next_hop": "173.20.0.11", "protocol": "bgp", "active": False},
    ]


def test_non_json_routes_are_a_clear_error():
    with pytest.raises(FabricError) as err:
        frr.parse_routes("% Unknown command: show ip route bgp json", host="leaf1")
    assert err.value.host == "leaf1" and "zebra" in err.value.fix


def test_read_state_reads_summary_and_both_route_tables_on_one_connection(monkeypatch):
    conn = FakeCli("leaf1", "leaf1#", {frr.SHOW_SUMMARY: [(FIX / "show_bgp_summary_json.json").read_text()],
                                       frr.SHOW_ROUTES[0]: [ROUTES_JSON],
                                       frr.SHOW_ROUTES[1]: [json.dumps(ROUTES_V6)]}, read_only=True)
    opened = []
    monkeypatch.setattr(frr._ssh, "connect",  # pylint: disable=protected-access
                        lambda params, device_type: opened.append(device_type) or conn)
    state = frr.read_state(PARAMS, routes=True)
    assert opened == [frr.DEVICE_TYPE] and conn.disconnected
    assert conn.events == [("show", frr.SHOW_SUMMARY), ("show", "show ip route bgp json"),
                           ("show", "show ipv6 route bgp json")]
    assert "172.20.0.11" in [r["peer_address"] for r in state["sessions"]]
    assert state["routes"] == [
        {"prefix": "192.168.60.0/26", "next_hop": "172.16.40.2", "protocol": "bgp", "active": True},
        {"prefix": "2001:db8:66::/64", "next_hop": "fe80::a8bb:ccff:fe00:11", "protocol": "bgp", "active": True}]
    conn.events.clear()
    assert frr.read_state(PARAMS)["routes"] is None and conn.events == [("show", frr.SHOW_SUMMARY)]
    assert frr.read_sessions(PARAMS) == state["sessions"]


def test_non_json_summary_is_a_clear_error():
    with pytest.raises(FabricError) as err:
        frr.parse_summary("% Unknown command: show bgp summary json", host="leaf1")
    assert err.value.host == "leaf1" and "vtysh" in err.value.fix


def test_ipv6_neighbors_are_active_in_ipv4_by_default():
    text = (FIX / "show_running-config_bgpd_ipv6.txt").read_text()
    cfg = frr.parse_config(text)
    assert [(n["address"], n["address_families"]) for n in cfg["neighbors"]] == [
        ("2001:db8::1", ["ipv4"]), ("2001:db8::2", ["ipv6"])]
    assert frr.render_transition(cfg, cfg) == []
    lines = plan_lines(text, {"neighbors": [{"address": "2001:db8::3", "remote_as": 65002,
                                             "address_families": ["ipv6"]}]}, "merged")
    assert lines == ["router bgp 65001", " neighbor 2001:db8::3 remote-as 65002", " address-family ipv4 unicast",
                     "  no neighbor 2001:db8::3 activate", " exit-address-family", " address-family ipv6 unicast",
                     "  neighbor 2001:db8::3 activate", " exit-address-family", "exit"]


def test_a_lost_session_is_rolled_back_over_a_new_connection():
    first = fake([ONE], drop=r"description")
    # the second connection sees what the first one left: the neighbor without its marker
    second = fake([frr_readback(ONE, ["router bgp 65001", " neighbor 10.5.5.5 remote-as 65010", "exit"])])
    conns = [first, second]
    driver = frr.FrrDriver(PARAMS, connect=lambda p, t: conns.pop(0))
    with pytest.raises(FabricError) as err:
        resource.run(driver, "merged", config=CONFIG)
    assert err.value.field == "hostname" and "rolled back over a new connection" in err.value.message
    assert second.sent == ["router bgp 65001", " no neighbor 10.5.5.5", "exit"]
    assert first.saves == second.saves == 0 and "pw-not-in-results" not in str(err.value)


def test_a_lost_session_that_cannot_reconnect_says_the_next_run_completes():
    first = fake([ONE], drop=r"description")

    def connect(_params, _device_type, conns=[first]):  # pylint: disable=dangerous-default-value
        if conns:
            return conns.pop(0)
        raise FabricError("cannot connect", host="198.18.0.2", field="hostname", fix="check the link")

    with pytest.raises(FabricError) as err:
        resource.run(frr.FrrDriver(PARAMS, connect=connect), "merged", config=CONFIG)
    assert err.value.field == "hostname" and "line 3 of" in err.value.message
    assert "next run" in err.value.fix and "pw-not-in-results" not in str(err.value)


def test_an_instance_that_requires_policies_refuses_an_ebgp_neighbor_without_them():
    requiring = ONE.replace(" no bgp ebgp-requires-policy\n", "")
    conn = fake([requiring], read_only=True)
    with pytest.raises(FabricError) as err:
        resource.run(driver_with(conn), "merged", config={"neighbors": [{"address": "10.5.5.5", "remote_as": 65010}]})
    assert err.value.field == "config.neighbors[address=10.5.5.5].import_policy" and conn.sent == []
    assert "no bgp ebgp-requires-policy" in err.value.fix
    # iBGP, or eBGP with both policies, is fine there; and an instance that turned it off takes any
    for neighbor in ({"address": "10.5.5.5", "remote_as": 65001},
                     {"address": "10.5.5.5", "remote_as": 65010, "import_policy": "IN", "export_policy": "OUT"}):
        assert resource.run(driver_with(fake([requiring], read_only=True)), "merged", config={"neighbors": [neighbor]},
                            check_mode=True)["changed"]
    assert resource.run(driver_with(fake([ONE], read_only=True)), "merged", check_mode=True,
                        config={"neighbors": [{"address": "10.5.5.5", "remote_as": 65010}]})["changed"]
