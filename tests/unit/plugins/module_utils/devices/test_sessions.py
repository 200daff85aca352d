"""Unit tests of devices/sessions.py: the normalised session row."""
import pytest

from ansible_collections.kubefabric.bgp.plugins.module_utils.common.errors import FabricError
from ansible_collections.kubefabric.bgp.plugins.module_utils.devices import sessions
from ansible_collections.kubefabric.bgp.plugins.module_utils.devices import rows as rowlib


@pytest.mark.parametrize("text, seconds", [
    ("1h2m3s", 3723), ("1w2d", 777600), ("45s", 45), ("3m10s250ms", 190), ("01:02:03", 3723),
    ("2d01:00:00", 176400), ("0286h47m", 1032420), (17, 17), ("", None), (None, None), ("soon", None),
])
def test_parse_duration(text, seconds):
    assert rowlib.parse_duration(text) == seconds


@pytest.mark.parametrize("text, state", [
    ("established", "Established"), ("Established", "Established"), ("open-sent", "OpenSent"),
    ("active", "Active"), (None, "Idle"), ("up", "Established"),
])
def test_normalise_state(text, state):
    assert rowlib.normalise_state(text) == state


def test_session_row():
    row = rowlib.session_row("172.16.30.102/32", "64513", 64513, established=True, uptime="1m", prefixes_received=3)
    assert row == {"peer_address": "172.16.30.102", "remote_as": 64513, "local_as": 64513, "state": "Established",
                   "established": True, "uptime": 60, "prefixes_received": 3}
    down = rowlib.session_row("2001:db8:0::1", 1, 2, state="active", uptime="1m")
    assert down["established"] is False and down["uptime"] is None and down["peer_address"] == "2001:db8::1"


def test_read_unknown_and_missing_platform():
    with pytest.raises(FabricError) as err:
        sessions.read("junos", {"hostname": "r1"})
    assert err.value.field == "platform"


def test_sort_rows():
    rows = [rowlib.session_row("10.0.0.10"), rowlib.session_row("10.0.0.9")]
    assert [r["peer_address"] for r in rowlib.sort_rows(rows)] == ["10.0.0.9", "10.0.0.10"]


def test_route_row():
    assert rowlib.route_row("192.168.10.5/26", "172.20.0.11%ether2") == {
        "prefix": "192.168.10.0/26", "next_hop": "172.20.0.11", "protocol": "bgp", "active": True}
    assert rowlib.route_row("2001:db8:0::/64", "", active=False) == {
        "prefix": "2001:db8::/64", "next_hop": None, "protocol": "bgp", "active": False}
    assert rowlib.route_row("10.0.0.0/8", "ether1")["next_hop"] is None  # an interface, not an address


def test_sort_routes_by_network_then_next_hop():
    given = [("2001:db8::/64", "fe80::1"), ("10.0.0.128/25", "10.1.0.2"), ("10.0.0.0/24", "10.1.0.9"),
             ("9.0.0.0/8", None), ("10.0.0.0/25", "10.1.0.1"), ("10.0.0.0/24", "10.1.0.10"), ("10.0.0.0/24", "10.1.0.9")]
    rows = [rowlib.route_row(p, h) for p, h in given]
    assert [(r["prefix"], r["next_hop"]) for r in rowlib.sort_routes(rows)] == [
        ("9.0.0.0/8", None), ("10.0.0.0/24", "10.1.0.9"), ("10.0.0.0/24", "10.1.0.10"), ("10.0.0.0/25", "10.1.0.1"),
        ("10.0.0.128/25", "10.1.0.2"), ("2001:db8::/64", "fe80::1")]


def test_read_state_unknown_platform_and_dispatch(monkeypatch):
    with pytest.raises(FabricError) as err:
        sessions.read_state("junos", {"hostname": "r1"}, routes=True)
    assert err.value.field == "platform"
    calls = []

    def fake_read_state(params, routes=False):
        calls.append(routes)
        return {"sessions": [rowlib.session_row("10.0.0.10"), rowlib.session_row("10.0.0.9")],
                "routes": [rowlib.route_row("10.2.0.0/16", "10.0.0.9"), rowlib.route_row("10.1.0.0/16", "10.0.0.9")]
                if routes else None}
    monkeypatch.setattr(sessions._driver("frr"), "read_state", fake_read_state)  # pylint: disable=protected-access
    state = sessions.read_state("frr", {"hostname": "leaf1"}, routes=True)
    assert [r["peer_address"] for r in state["sessions"]] == ["10.0.0.9", "10.0.0.10"]
    assert [r["prefix"] for r in state["routes"]] == ["10.1.0.0/16", "10.2.0.0/16"]
    assert sessions.read_state("frr", {"hostname": "leaf1"})["routes"] is None and calls == [True, False]
