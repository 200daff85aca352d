"""Unit tests of devices/routeros.py against the fake RouterOS API (tests/.../fake_routeros.py)."""
import socket
import ssl

import pytest
from librouteros.exceptions import TrapError

from ansible_collections.kubefabric.bgp.plugins.module_utils.common.errors import FabricError
from ansible_collections.kubefabric.bgp.plugins.module_utils.devices import owner
from ansible_collections.kubefabric.bgp.plugins.module_utils.devices import model, resource, routeros, sessions
from ansible_collections.kubefabric.bgp.plugins.module_utils.devices import rows as rowlib

from tests.unit.plugins.module_utils.devices.fake_routeros import FakeRouterOS

VERSIONS = ["6.49.10", "7.10.2", "7.19.1", "7.20.1"]

PARAMS = {"hostname": "r1", "username": "admin", "password": "x"}

SEED = {  # seed 004: the ToR router peers with the in-cluster route reflector
    "asn": 64513, "router_id": "172.16.30.254",
    "neighbors": [
        {"address": "172.16.30.102", "remote_as": 64513, "description": "ubuntu-2 route reflector",
         "route_reflector_client": True, "hold_time": 90, "keepalive_time": 30, "password": "s3cret",
         "import_policy": "k8s-in", "address_families": ["ipv4"]},
        {"address": "172.16.30.103", "remote_as": 65000, "multihop": True, "bfd": True},
    ],
}
RANGES = {"listen_ranges": [{"prefix": "172.16.40.0/24", "remote_as": 64513, "peer_group": "autoscale"},
                            {"prefix": "172.16.41.0/24", "remote_as": 64513}]}


def operator_rows(version):
    """Rows an operator made by hand; the collection must never change or remove them."""
    if version.startswith("6"):
        return [("routing/bgp/instance", {"name": "default", "as": 65530, "router-id": "0.0.0.0"}),
                ("routing/bgp/peer", {"name": "upstream", "instance": "default", "remote-address": "192.0.2.1",
                                      "remote-as": 65100, "comment": "ISP"})]
    rows = []
    if version.startswith("7.20"):
        rows.append(("routing/bgp/instance", {"name": "default", "as": 65530}))
    rows.append(("routing/bgp/template", {"name": "default", "as": 65530}))
    conn = {"name": "upstream", "remote.address": "192.0.2.1", "remote.as": 65100, "local.role": "ebgp",
            "as": 65530, "comment": "ISP"}
    if version.startswith("7.20"):
        conn["instance"] = "default"
    rows.append(("routing/bgp/connection", conn))
    return rows


def make(version, read_only=False, extra=()):
    return FakeRouterOS(version, read_only=read_only, rows=operator_rows(version) + list(extra))


def run(fake, state, config=None, check_mode=False, **kw):
    driver = routeros.RouterOSDriver(PARAMS, api_factory=fake.api)
    return resource.run(driver, state, config=config, check_mode=check_mode, host="r1", **kw)


def peer_path(version):
    return "routing/bgp/peer" if version.startswith("6") else "routing/bgp/connection"


def global_path(version):
    return "routing/bgp/instance" if version.startswith(("6.", "7.20")) else "routing/bgp/template"


@pytest.mark.parametrize("version", VERSIONS)
def test_merged_creates_rows_then_second_run_sends_nothing(version):
    fake = make(version)
    first = run(fake, "merged", SEED)
    assert first["changed"] is True
    assert fake.connections == 1 and fake.closed == 1
    # one read per path, writes only after all reads; then the same reads again (the read-back)
    assert sorted(fake.reads) == sorted(["system/resource", global_path(version), peer_path(version)] * 2)
    assert fake.writes[0][:2] == (global_path(version), "add")
    rr = fake.row(peer_path(version), name="kubefabric-172.16.30.102")
    assert rr["comment"] == "kubefabric:default/%s ubuntu-2 route reflector" % owner.fingerprint(
        "s3cret", "default", "172.16.30.102")
    assert rr["hold-time"] == "1m30s"
    assert rr["tcp-md5-key"] == "s3cret"
    if version.startswith("6"):
        assert rr["route-reflect"] == "yes" and rr["instance"] == "kubefabric" and rr["in-filter"] == "k8s-in"
        assert rr["address-families"] == "ip"
    else:
        assert rr["local.role"] == "ibgp-rr" and rr["as"] == "64513" and rr["input.filter"] == "k8s-in"
        ebgp = fake.row(peer_path(version), name="kubefabric-172.16.30.103")
        assert ebgp["local.role"] == "ebgp" and ebgp["multihop"] == "yes" and ebgp["use-bfd"] == "yes"
        if version.startswith("7.10"):
            assert rr["address-families"] == "ip" and rr["router-id"] == "172.16.30.254"
        elif version.startswith("7.19"):  # afi replaced address-families; router-id still on the connection
            assert rr["afi"] == "ip" and "address-families" not in rr and rr["router-id"] == "172.16.30.254"
        else:
            assert rr["afi"] == "ip" and rr["instance"] == "kubefabric" and "router-id" not in rr
    assert fake.row(global_path(version), name="kubefabric")["as"] == "64513"
    # nothing secret in the result
    assert "s3cret" not in repr(first)
    assert any("tcp-md5-key=******" in line for line in first["commands"])
    assert first["after"]["neighbors"][0]["route_reflector_client"] is True

    fake.writes.clear()
    second = run(fake, "merged", SEED)
    assert second["changed"] is False, second["commands"]
    assert fake.writes == [] and second["commands"] == []
    assert second["before"] == second["after"] == first["after"]
    # gathered equals what merged predicted
    assert run(fake, "gathered")["gathered"] == first["after"]
    # the operator's row is untouched and not gathered
    assert fake.row(peer_path(version), name="upstream")["comment"] == "ISP"


@pytest.mark.parametrize("version", VERSIONS)
def test_check_mode_sends_no_write(version):
    fake = make(version, read_only=True)
    result = run(fake, "merged", SEED, check_mode=True)
    assert result["changed"] is True and result["commands"]
    assert result["after"]["asn"] == 64513
    assert fake.writes == []


@pytest.mark.parametrize("version", VERSIONS)
def test_check_mode_with_a_real_change_on_a_populated_device(version):
    fake = make(version)
    run(fake, "merged", SEED)
    ro = make(version)
    ro.data = fake.data
    ro.read_only = True
    result = run(ro, "overridden", {"asn": 64513, "neighbors": [{"address": "10.1.1.1", "remote_as": 1}]},
                 check_mode=True)
    assert result["changed"] is True and ro.writes == []


@pytest.mark.parametrize("version", VERSIONS)
def test_replaced_resets_fields_and_is_idempotent(version):
    fake = make(version)
    run(fake, "merged", SEED)
    want = {"asn": 64513, "router_id": "172.16.30.254",
            "neighbors": [{"address": "172.16.30.102", "remote_as": 64513}]}
    result = run(fake, "replaced", want)
    assert result["changed"] is True
    row = fake.row(peer_path(version), name="kubefabric-172.16.30.102")
    assert "hold-time" not in row or row["hold-time"] == "3m"
    # the description is reset; the key (write-only, not in the task) stays, and so does its fingerprint
    assert row["comment"] == "kubefabric:default/%s" % owner.fingerprint("s3cret", "default", "172.16.30.102")
    after = model.find(result["after"]["neighbors"], "address", "172.16.30.102")
    assert after["route_reflector_client"] is False and after["hold_time"] is None
    assert run(fake, "gathered")["gathered"] == result["after"]
    fake.writes.clear()
    again = run(fake, "replaced", want)
    assert again["changed"] is False and fake.writes == [], again["commands"]


@pytest.mark.parametrize("version", VERSIONS)
def test_overridden_keeps_operator_rows(version):
    fake = make(version)
    run(fake, "merged", SEED)
    want = {"asn": 64513, "router_id": "172.16.30.254",
            "neighbors": [{"address": "172.16.30.101", "remote_as": 64513}]}
    result = run(fake, "overridden", want)
    assert [n["address"] for n in result["after"]["neighbors"]] == ["172.16.30.101"]
    names = sorted(r.get("name") for r in fake.rows(peer_path(version)))
    assert names == ["kubefabric-172.16.30.101", "upstream"]
    removes = [w for w in fake.writes if w[1] == "remove"]
    assert len(removes) == 1 and removes[0][2][".id"].count(",") == 1  # one batched remove of two rows
    fake.writes.clear()
    assert run(fake, "overridden", want)["changed"] is False and fake.writes == []


@pytest.mark.parametrize("version", VERSIONS)
def test_deleted(version):
    fake = make(version)
    run(fake, "merged", SEED)
    result = run(fake, "deleted", {"neighbors": [{"address": "172.16.30.103"}]})
    assert [n["address"] for n in result["after"]["neighbors"]] == ["172.16.30.102"]
    result = run(fake, "deleted")
    assert result["after"] == model.empty_config()
    assert [r.get("name") for r in fake.rows(peer_path(version))] == ["upstream"]
    assert fake.row(global_path(version), name="kubefabric") is None
    assert fake.row(global_path(version), name="default") is not None
    fake.writes.clear()
    assert run(fake, "deleted")["changed"] is False and fake.writes == []


@pytest.mark.parametrize("version", VERSIONS[1:])
def test_listen_ranges_are_prefix_connections(version):
    fake = make(version)
    cfg = dict(SEED, **RANGES)
    result = run(fake, "merged", cfg)
    assert result["changed"] is True
    named = fake.row("routing/bgp/connection", name="autoscale")
    assert named["remote.address"] == "172.16.40.0/24" and named["local.role"] == "ibgp"
    assert fake.row("routing/bgp/connection", name="kubefabric-range-172.16.41.0_24") is not None
    gathered = run(fake, "gathered")["gathered"]
    assert gathered["listen_ranges"] == [
        {"prefix": "172.16.40.0/24", "remote_as": 64513, "peer_group": "autoscale"},
        {"prefix": "172.16.41.0/24", "remote_as": 64513, "peer_group": None}]
    fake.writes.clear()
    assert run(fake, "merged", cfg)["changed"] is False and fake.writes == []
    # a new peer group renames the connection in place
    run(fake, "merged", {"listen_ranges": [{"prefix": "172.16.41.0/24", "remote_as": 64513, "peer_group": "x"}]})
    assert fake.writes[-1][1] == "set" and fake.writes[-1][2]["name"] == "x"


def test_listen_ranges_on_routeros6_fail_before_any_write():
    fake = make("6.49.10", read_only=True)
    with pytest.raises(FabricError) as err:
        run(fake, "merged", dict(SEED, **RANGES))
    assert err.value.field == "config.listen_ranges[0]" and "6.49" in err.value.message
    assert fake.writes == []


@pytest.mark.parametrize("version", VERSIONS)
def test_asn_change_updates_global_and_connections(version):
    fake = make(version)
    run(fake, "merged", SEED)
    result = run(fake, "merged", {"asn": 65001})
    assert result["changed"] is True
    assert fake.row(global_path(version), name="kubefabric")["as"] == "65001"
    if not version.startswith("6"):
        rr = fake.row("routing/bgp/connection", name="kubefabric-172.16.30.102")
        assert rr["as"] == "65001" and rr["local.role"] == "ibgp-rr"
        assert fake.row("routing/bgp/connection", name="kubefabric-172.16.30.103")["local.role"] == "ebgp"
    fake.writes.clear()
    assert run(fake, "merged", {"asn": 65001})["changed"] is False and fake.writes == []


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("password_update", ["on_create", "on_change", "always"])
def test_password_is_read_back_and_compared(version, password_update):
    """RouterOS prints tcp-md5-key (MikroTik: an ordinary string property), so the key is compared like
    any field: a new key is sent once whatever password_update says, and never shown."""
    fake = make(version)
    run(fake, "merged", SEED)
    assert fake.row(peer_path(version), name="kubefabric-172.16.30.102")["tcp-md5-key"] == "s3cret"
    changed = dict(SEED, neighbors=[dict(SEED["neighbors"][0], password="n3w")])
    fake.writes.clear()
    result = run(fake, "merged", changed, password_update=password_update)
    assert result["changed"] is True and "n3w" not in repr(result) and "s3cret" not in repr(result)
    assert [w[2].get("tcp-md5-key") for w in fake.writes] == ["n3w"]
    assert fake.row(peer_path(version), name="kubefabric-172.16.30.102")["tcp-md5-key"] == "n3w"
    fake.writes.clear()
    assert run(fake, "merged", changed, password_update=password_update)["changed"] is False and fake.writes == []
    # a key changed on the router by hand is seen and set back
    fake.row(peer_path(version), name="kubefabric-172.16.30.102")["tcp-md5-key"] = "by-hand"
    result = run(fake, "merged", changed, password_update=password_update)
    assert result["changed"] is True and [w[2].get("tcp-md5-key") for w in fake.writes] == ["n3w"]
    assert "by-hand" not in repr(result) and "n3w" not in repr(run(fake, "gathered"))


@pytest.mark.parametrize("version", VERSIONS)
def test_unmanaged_peer_to_same_address_is_an_error(version):
    fake = make(version, read_only=True)
    with pytest.raises(FabricError) as err:
        run(fake, "merged", {"asn": 64513, "neighbors": [{"address": "192.0.2.1", "remote_as": 65100}]})
    assert "upstream" in err.value.message and "kubefabric:" in err.value.fix


@pytest.mark.parametrize("version, neighbor, field", [
    ("7.10.2", {"update_source": "ether2"}, "config.neighbors[0].update_source"),
    ("7.20.1", {"address_families": ["evpn"]}, "config.neighbors[0].address_families"),
    ("6.49.10", {"address_families": ["evpn"]}, "config.neighbors[0].address_families"),
])
def test_what_the_version_lacks_fails_before_any_write(version, neighbor, field):
    fake = make(version, read_only=True)
    with pytest.raises(FabricError) as err:
        run(fake, "merged", {"asn": 1, "neighbors": [dict({"address": "10.0.0.1", "remote_as": 2}, **neighbor)]})
    assert err.value.field == field and err.value.host == "r1"


def test_neighbors_without_asn_fail():
    fake = make("7.10.2", read_only=True)
    with pytest.raises(FabricError) as err:
        run(fake, "merged", {"neighbors": [{"address": "10.0.0.1", "remote_as": 2}]})
    assert err.value.field == "config.asn"


def test_v6_update_source_interface_is_allowed():
    fake = make("6.49.10")
    run(fake, "merged", {"asn": 1, "neighbors": [{"address": "10.0.0.1", "remote_as": 2, "update_source": "lo0"}]})
    assert fake.row("routing/bgp/peer", name="kubefabric-10.0.0.1")["update-source"] == "lo0"
    fake.writes.clear()
    run(fake, "replaced", {"asn": 1, "neighbors": [{"address": "10.0.0.1", "remote_as": 2}]})
    assert fake.writes[0][2]["update-source"] == "none"
    fake.writes.clear()
    again = run(fake, "replaced", {"asn": 1, "neighbors": [{"address": "10.0.0.1", "remote_as": 2}]})
    assert again["changed"] is False and fake.writes == [], again["commands"]


@pytest.mark.parametrize("version", VERSIONS)
def test_rendered_then_parsed_round_trip(version):
    cfg = dict(SEED, **({} if version.startswith("6") else RANGES))
    driver = routeros.RouterOSDriver(dict(PARAMS, routeros_version=version), version=version,
                                     api_factory=lambda p: pytest.fail("rendered must not connect"))
    rendered = resource.run(driver, "rendered", config=cfg)["rendered"]
    assert rendered and all(line.startswith("/routing/bgp/") for line in rendered)
    assert "s3cret" not in "\n".join(rendered)
    driver = routeros.RouterOSDriver({"hostname": "r1", "routeros_version": version},
                                     api_factory=lambda p: pytest.fail("parsed must not connect"))
    parsed = resource.run(driver, "parsed", running_config="\n".join(rendered))["parsed"]
    assert parsed == model.present(model.normalise(cfg))


def test_rendered_needs_version():
    driver = routeros.RouterOSDriver(PARAMS)
    with pytest.raises(FabricError) as err:
        resource.run(driver, "rendered", config=SEED)
    assert err.value.field == "routeros_version"


EXPORT_7_10 = """\
# nov/23/2026 18:00:00 by RouterOS 7.10.2
# software id = ABCD-1234
#
/routing bgp template
set default as=65530
add as=64513 comment="kubefabric: BGP instance managed by kubefabric.bgp" name=kubefabric \\
    router-id=172.16.30.254
/routing bgp connection
add as=64513 comment="kubefabric: ubuntu-2" hold-time=1m30s local.role=ibgp-rr \\
    name=kubefabric-172.16.30.102 remote.address=172.16.30.102/32 remote.as=64513 \\
    router-id=172.16.30.254 address-families=ip,ipv6
add as=64513 local.role=ibgp name=k8s-peer-1 remote.address=172.16.30.101 remote.as=64513
"""


def test_parse_export_text():
    parsed = routeros.parse_export(EXPORT_7_10)
    assert parsed["asn"] == 64513 and parsed["router_id"] == "172.16.30.254"
    assert len(parsed["neighbors"]) == 1  # the seed's hand-made k8s-peer-1 is not ours
    n = parsed["neighbors"][0]
    assert n["address"] == "172.16.30.102" and n["hold_time"] == 90 and n["route_reflector_client"] is True
    assert n["address_families"] == ["ipv4", "ipv6"] and n["description"] == "kubefabric: ubuntu-2"
    assert resource.user_view(parsed)["neighbors"][0]["description"] == "ubuntu-2"  # legacy marker


def test_parse_export_v6():
    text = ('/routing bgp instance\nadd as=64513 name=kubefabric router-id=10.0.0.1\n'
            '/routing bgp peer\nadd comment="kubefabric:" instance=kubefabric name=kubefabric-10.0.0.2 '
            'remote-address=10.0.0.2 remote-as=65000 route-reflect=yes update-source=none\n')
    parsed = routeros.parse_export(text)
    assert parsed["neighbors"][0]["route_reflector_client"] is True
    assert parsed["neighbors"][0]["update_source"] is None and parsed["asn"] == 64513


def test_gather_rejects_unreadable_managed_row():
    fake = FakeRouterOS("7.10.2", rows=[("routing/bgp/connection", {
        "name": "x", "comment": "kubefabric:", "remote.address": "172.16.30.102", "remote.as": "banana",
        "local.role": "ibgp"})])
    with pytest.raises(FabricError) as err:
        run(fake, "gathered")
    assert "kubefabric:" in err.value.fix


# --------------------------------------------------------------------------- sessions

def test_read_sessions_v7():
    fake = FakeRouterOS("7.10.2", sessions=[
        {"name": "kubefabric-172.16.30.102-1", "remote.address": "172.16.30.102", "remote.as": 64513,
         "local.as": 64513, "established": True, "uptime": "5m3s", "prefix-count": 4},
        {"name": "x-1", "remote.address": "172.16.30.9", "remote.as": 65000, "local.as": 64513,
         "established": False},
    ])
    rows = routeros.read_sessions(PARAMS, api_factory=fake.api)
    # the driver keeps the device's order; sessions.read() sorts by address for every platform
    assert [r["peer_address"] for r in rows] == ["172.16.30.102", "172.16.30.9"]
    assert rowlib.sort_rows(rows) == [
        {"peer_address": "172.16.30.9", "remote_as": 65000, "local_as": 64513, "state": "Active",
         "established": False, "uptime": None, "prefixes_received": None},
        {"peer_address": "172.16.30.102", "remote_as": 64513, "local_as": 64513, "state": "Established",
         "established": True, "uptime": 303, "prefixes_received": 4},
    ]
    assert fake.closed == 1 and fake.writes == []


def test_read_sessions_v6():
    fake = FakeRouterOS("6.49.10", rows=[("routing/bgp/instance", {"name": "default", "as": 64513})],
                        sessions=[{"name": "p", "instance": "default", "remote-address": "172.16.30.102",
                                   "remote-as": 64513, "state": "established", "established": True,
                                   "uptime": "1h", "prefix-count": 2}])
    rows = routeros.read_sessions(PARAMS, api_factory=fake.api)
    assert rows == [{"peer_address": "172.16.30.102", "remote_as": 64513, "local_as": 64513,
                     "state": "Established", "established": True, "uptime": 3600, "prefixes_received": 2}]


# --------------------------------------------------------------------------- routes

# /ip/route as RouterOS 7 prints it: a connected, a static and three BGP routes (one not active, one
# with a link-local style "%interface" gateway)
ROUTES_V7 = [
    {"dst-address": "172.16.30.0/24", "gateway": "ether2", "immediate-gw": "ether2", "distance": "0",
     "active": "true", "connect": "true", "static": "false", "bgp": "false", "routing-table": "main"},
    {"dst-address": "0.0.0.0/0", "gateway": "198.18.0.1", "distance": "1", "active": "true", "static": "true",
     "bgp": "false", "routing-table": "main"},
    {"dst-address": "192.168.10.0/26", "gateway": "172.16.30.102", "immediate-gw": "172.16.30.102%ether2",
     "distance": "200", "active": "true", "bgp": "true", "routing-table": "main"},
    {"dst-address": "192.168.10.64/26", "gateway": "172.16.30.103%ether2", "distance": "200", "active": "true",
     "bgp": "true", "routing-table": "main"},
    {"dst-address": "172.16.30.0/24", "gateway": "172.16.30.102", "distance": "200", "active": "false",
     "inactive": "true", "bgp": "true", "routing-table": "main"},
]
EXPECTED_V7 = [
    {"prefix": "192.168.10.0/26", "next_hop": "172.16.30.102", "protocol": "bgp", "active": True},
    {"prefix": "192.168.10.64/26", "next_hop": "172.16.30.103", "protocol": "bgp", "active": True},
    {"prefix": "172.16.30.0/24", "next_hop": "172.16.30.102", "protocol": "bgp", "active": False},
]


def test_read_state_v7_sessions_and_bgp_routes_on_one_connection():
    fake = FakeRouterOS("7.10.2", routes=ROUTES_V7, sessions=[
        {"name": "kubefabric-172.16.30.102-1", "remote.address": "172.16.30.102", "remote.as": 64513,
         "local.as": 64513, "established": True, "uptime": "5m3s", "prefix-count": 1}])
    state = routeros.read_state(PARAMS, routes=True, api_factory=fake.api)
    assert [r["peer_address"] for r in state["sessions"]] == ["172.16.30.102"]
    assert state["routes"] == EXPECTED_V7
    assert fake.connections == 1 and fake.closed == 1 and fake.writes == []
    # only the BGP routes are asked for, and only the fields used
    assert fake.queries == [("ip/route", ("dst-address", "gateway", "active", "bgp"), ("?=bgp=true",))]


def test_read_state_without_routes_does_not_read_the_routing_table():
    fake = FakeRouterOS("7.20.1", routes=ROUTES_V7)
    state = routeros.read_state(PARAMS, api_factory=fake.api)
    assert state == {"sessions": [], "routes": None}
    assert "ip/route" not in fake.reads and fake.queries == [] and fake.connections == 1 and fake.closed == 1


def test_read_state_v6_routes_with_ecmp_gateways():
    fake = FakeRouterOS("6.49.10", rows=[("routing/bgp/instance", {"name": "default", "as": 64513})], routes=[
        {"dst-address": "172.16.30.0/24", "gateway": "ether2", "active": "true", "connect": "true", "bgp": "false"},
        {"dst-address": "192.168.10.0/26", "gateway": "172.16.30.102,172.16.30.103",
         "gateway-status": "172.16.30.102 reachable via ether2,172.16.30.103 reachable via ether2",
         "active": "true", "bgp": "true", "distance": "200"},
        {"dst-address": "10.0.0.0/8", "gateway": "172.16.30.9", "active": "true", "static": "true", "bgp": "false"},
    ])
    state = routeros.read_state(PARAMS, routes=True, api_factory=fake.api)
    assert state["routes"] == [
        {"prefix": "192.168.10.0/26", "next_hop": "172.16.30.102", "protocol": "bgp", "active": True},
        {"prefix": "192.168.10.0/26", "next_hop": "172.16.30.103", "protocol": "bgp", "active": True},
    ]
    assert fake.connections == 1 and fake.closed == 1


def test_route_rows_filter_the_bgp_flag_even_when_the_query_is_ignored():
    rows = routeros.route_rows([{"dst-address": "10.1.0.0/16", "gateway": "10.0.0.1", "bgp": False, "active": True},
                                {"dst-address": "10.2.0.0/16", "gateway": "10.0.0.2", "bgp": True}])
    assert rows == [{"prefix": "10.2.0.0/16", "next_hop": "10.0.0.2", "protocol": "bgp", "active": False}]


def test_read_state_through_sessions_sorts_routes_by_prefix(monkeypatch):
    fake = FakeRouterOS("7.10.2", routes=ROUTES_V7)
    monkeypatch.setattr(routeros, "connect", fake.api)
    state = sessions.read_state("routeros", PARAMS, routes=True)
    assert [r["prefix"] for r in state["routes"]] == ["172.16.30.0/24", "192.168.10.0/26", "192.168.10.64/26"]
    assert fake.connections == 1 and fake.closed == 1


def test_read_state_trap_on_the_route_table_is_a_fabric_error_and_closes():
    fake = FakeRouterOS("7.10.2")
    del fake.tables["ip/route"]
    with pytest.raises(FabricError) as err:
        routeros.read_state(PARAMS, routes=True, api_factory=fake.api)
    assert "/ip/route" in str(err.value) and fake.closed == 1


# --------------------------------------------------------------------------- connection errors

@pytest.mark.parametrize("exc, field", [
    (TrapError("invalid user name or password (6)"), "password"),
    (ConnectionRefusedError(111, "Connection refused"), "hostname"),
    (socket.timeout("timed out"), "hostname"),
    (ssl.SSLCertVerificationError(1, "certificate verify failed"), "validate_certs"),
    (ssl.SSLError(1, "wrong version number"), "tls"),
])
def test_connect_errors_are_fabric_errors(monkeypatch, exc, field):
    def boom(*args, **kwargs):
        raise exc
    monkeypatch.setattr(routeros.librouteros, "connect", boom)
    with pytest.raises(FabricError) as err:
        routeros.connect(dict(PARAMS, tls=True))
    assert err.value.field == field and err.value.host == "r1" and err.value.fix


def test_connect_options(monkeypatch):
    seen = {}

    def fake_connect(host, username, password, **kwargs):
        seen.update(kwargs, host=host)
        return "api"
    monkeypatch.setattr(routeros.librouteros, "connect", fake_connect)
    assert routeros.connect(dict(PARAMS, tls=False)) == "api"
    assert seen["port"] == 8728 and "ssl_wrapper" not in seen
    seen.clear()
    routeros.connect(dict(PARAMS, tls=True, timeout=3))
    assert seen["port"] == 8729 and seen["timeout"] == 3 and seen["ssl_wrapper"] is not None
    wrapper_ctx = seen["ssl_wrapper"].__self__ if hasattr(seen["ssl_wrapper"], "__self__") else None
    assert wrapper_ctx is not None and wrapper_ctx.verify_mode == ssl.CERT_REQUIRED
    seen.clear()
    routeros.connect(dict(PARAMS, tls=True, validate_certs=False))
    assert seen["ssl_wrapper"].__self__.verify_mode == ssl.CERT_NONE


def test_version_parsing_and_layouts():
    assert routeros.parse_version("7.10.2 (stable)") == (7, 10, 2)
    assert routeros.Layout((7, 19, 0)).afi_field == "afi"
    assert routeros.Layout((7, 18, 3)).afi_field == "address-families"
    assert routeros.Layout((7, 20, 0)).global_path == "routing/bgp/instance"
    assert routeros.Layout((6, 49, 10)).peer_path == "routing/bgp/peer"
    with pytest.raises(FabricError):
        routeros.parse_version("banana")


def test_hold_time_zero_is_infinity_and_idempotent():
    fake = make("7.10.2")
    cfg = {"asn": 1, "neighbors": [{"address": "10.0.0.1", "remote_as": 2, "hold_time": 0}]}
    run(fake, "merged", cfg)
    assert fake.row("routing/bgp/connection", name="kubefabric-10.0.0.1")["hold-time"] == "infinity"
    fake.writes.clear()
    result = run(fake, "merged", cfg)
    assert result["changed"] is False and fake.writes == []
    assert result["after"]["neighbors"][0]["hold_time"] == 0


def test_non_ascii_description_fails_before_any_write():
    fake = make("7.20.1", read_only=True)
    with pytest.raises(FabricError) as err:
        run(fake, "merged", {"asn": 1, "neighbors": [{"address": "10.0.0.1", "remote_as": 2,
                                                     "description": "路由反射器"}]})
    assert err.value.field == "config.neighbors[0].description"


@pytest.mark.parametrize("version", VERSIONS)
def test_two_owners_share_a_router(version):
    fake = make(version)
    node = {"address": "172.16.30.102", "remote_as": 64513, "description": "ubuntu-2"}
    other = {"address": "172.16.30.103", "remote_as": 64513}
    run(fake, "merged", {"asn": 64513, "router_id": "172.16.30.254", "neighbors": [node]}, owner="fab-a")
    result = run(fake, "overridden", {"asn": 64513, "router_id": "172.16.30.254", "neighbors": [other]},
                 owner="fab-b")
    assert result["before"]["neighbors"] == [] and not [c for c in result["commands"] if "remove" in c]
    rows = {row["name"]: row for row in fake.rows(peer_path(version))}
    assert rows["kubefabric-172.16.30.102"]["comment"] == "kubefabric:fab-a ubuntu-2"
    assert rows["kubefabric-172.16.30.103"]["comment"] == "kubefabric:fab-b"
    run(fake, "deleted", owner="fab-b")
    names = [row["name"] for row in fake.rows(peer_path(version))]
    assert "kubefabric-172.16.30.102" in names and "kubefabric-172.16.30.103" not in names
    assert fake.row(global_path(version), name="kubefabric") is not None   # still fab-a's instance
    with pytest.raises(FabricError) as err:   # fab-b cannot plan fab-a's address
        run(fake, "merged", {"neighbors": [node]}, owner="fab-b")
    assert "fab-a" in err.value.fix
