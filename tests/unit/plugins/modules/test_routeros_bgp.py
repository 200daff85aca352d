"""routeros_bgp and bgp_session_info main() against the fake RouterOS API (results seen before no_log masking)."""
import pytest

from ansible_collections.kubefabric.bgp.plugins.module_utils.devices import routeros
from ansible_collections.kubefabric.bgp.plugins.modules import bgp_session_info, routeros_bgp
from tests.unit.plugins.module_utils.devices.fake_routeros import FakeRouterOS

CONN = {"hostname": "198.18.0.2", "username": "admin", "password": "api-s3cret"}
CONFIG = {"asn": "64513", "router_id": "172.16.30.254",
          "neighbors": [{"address": "172.16.30.102", "remote_as": "64513", "password": "bgp-s3cret",
                         "description": "ubuntu-2"}],
          "listen_ranges": [{"prefix": "172.16.30.0/24", "remote_as": "64513", "peer_group": "k8s"}]}


@pytest.fixture
def invoke(monkeypatch, run_main):  # pylint: disable=redefined-outer-name
    def call(module, args, fake=None, check=False, diff=True, expect_fail=False):
        if fake is not None:
            fake.read_only = check
            monkeypatch.setattr(routeros, "connect", fake.api)
        else:
            monkeypatch.setattr(routeros, "connect", lambda params: pytest.fail("must not connect"))
        try:
            return run_main(module, args, check=check, diff=diff, expect_fail=expect_fail)
        finally:
            if fake is not None:
                fake.read_only = False
    return call


@pytest.mark.parametrize("version", ["7.10.2", "7.20.1"])
def test_module_check_apply_idempotent(invoke, version):
    fake = FakeRouterOS(version)
    args = dict(CONN, config=CONFIG)
    checked = invoke(routeros_bgp, args, fake, check=True)
    assert checked["changed"] is True and fake.writes == []
    applied = invoke(routeros_bgp, args, fake)
    assert applied["changed"] is True and applied["commands"] == checked["commands"]
    assert applied["routeros_version"] == version
    assert applied["diff"]["after"]["listen_ranges"] == [{"prefix": "172.16.30.0/24", "remote_as": 64513,
                                                          "peer_group": "k8s"}]
    for secret in ("bgp-s3cret", "api-s3cret"):
        assert secret not in repr(applied) and secret not in repr(checked)
    count = len(fake.writes)
    again = invoke(routeros_bgp, args, fake)
    assert again["changed"] is False and len(fake.writes) == count
    gathered = invoke(routeros_bgp, dict(CONN, state="gathered"), fake)
    assert gathered["gathered"] == applied["after"]


def test_module_bad_input_fails_before_connecting(invoke):
    result = invoke(routeros_bgp, dict(CONN, config={"asn": "99999999999"}), expect_fail=True)
    assert result["error"]["field"] == "config.asn" and result["error"]["host"] == "198.18.0.2"
    bad_ip = {"asn": 1, "neighbors": [{"address": "1.2.3.4.5", "remote_as": 1}]}
    result = invoke(routeros_bgp, dict(CONN, config=bad_ip), expect_fail=True)
    assert result["error"]["field"] == "config.neighbors[0].address"


def test_module_version_lacks_field(invoke):
    fake = FakeRouterOS("6.49.10")
    result = invoke(routeros_bgp, dict(CONN, config=CONFIG), fake, expect_fail=True)
    assert result["error"]["field"] == "config.listen_ranges[0]" and fake.writes == []
    assert "198.18.0.2" in result["msg"]


def test_module_offline_states(invoke):
    rendered = invoke(routeros_bgp, {"config": CONFIG, "state": "rendered", "routeros_version": "7.20"})
    assert rendered["changed"] is False and rendered["rendered"][0].startswith("/routing/bgp/instance/add")
    assert "bgp-s3cret" not in repr(rendered)
    parsed = invoke(routeros_bgp, {"running_config": "\n".join(rendered["rendered"]), "state": "parsed"})
    assert parsed["parsed"]["neighbors"][0]["address"] == "172.16.30.102"
    assert parsed["parsed"]["listen_ranges"][0]["peer_group"] == "k8s"
    missing = invoke(routeros_bgp, {"config": CONFIG, "state": "rendered"}, expect_fail=True)
    assert "routeros_version" in missing["msg"]
    missing = invoke(routeros_bgp, {"config": CONFIG, "state": "merged"}, expect_fail=True)
    assert "hostname" in missing["msg"]


def test_session_info_routeros(invoke):
    fake = FakeRouterOS("7.10.2", sessions=[
        {"remote.address": "172.16.30.102", "remote.as": 64513, "local.as": 64513, "established": True,
         "uptime": "2m", "prefix-count": 3}])
    result = invoke(bgp_session_info, dict(CONN, platform="routeros",
                                           expect=[{"query": "established", "equals": 1}]), fake)
    assert result["sessions"] == [{"peer_address": "172.16.30.102", "remote_as": 64513, "local_as": 64513,
                                   "state": "Established", "established": True, "uptime": 120,
                                   "prefixes_received": 3}]
    assert result["changed"] is False and fake.writes == []
    failed = invoke(bgp_session_info, dict(CONN, platform="routeros", expect="not_established > `0`"), fake,
                    expect_fail=True)
    assert "expectation" in failed["msg"]


def test_session_info_routes(invoke):
    fake = FakeRouterOS("7.10.2", sessions=[
        {"remote.address": "172.16.30.102", "remote.as": 64513, "local.as": 64513, "established": True,
         "uptime": "2m", "prefix-count": 1}], routes=[
        {"dst-address": "192.168.10.0/26", "gateway": "172.16.30.102", "active": "true", "bgp": "true"},
        {"dst-address": "172.16.30.0/24", "gateway": "ether2", "active": "true", "connect": "true", "bgp": "false"}])
    result = invoke(bgp_session_info, dict(CONN, platform="routeros", routes=True, expect=[
        {"query": "routes[?prefix=='192.168.10.0/26'].next_hop | [0]", "equals": "172.16.30.102"}]), fake)
    assert result["routes"] == [{"prefix": "192.168.10.0/26", "next_hop": "172.16.30.102", "protocol": "bgp",
                                 "active": True}]
    assert result["established"] == 1 and fake.connections == 1 and fake.closed == 1
    # without routes: no routes key, the routing table is not read
    fake.queries.clear()
    result = invoke(bgp_session_info, dict(CONN, platform="routeros"), fake)
    assert "routes" not in result and fake.queries == []
