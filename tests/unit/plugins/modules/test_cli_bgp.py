"""comware_bgp's and frr_bgp's main() (one module body): argument handling, results, check mode and errors,
with a fake CLI connection; each test runs once per platform.

exit_json/fail_json are intercepted before Ansible's no_log masking, so a secret that leaks into a
result or diff is seen here.
"""
import json
from pathlib import Path

import pytest

from ansible_collections.kubefabric.bgp.plugins.module_utils.common.errors import FabricError
from ansible_collections.kubefabric.bgp.plugins.module_utils.devices import comware, frr, ssh
from ansible_collections.kubefabric.bgp.plugins.modules import comware_bgp, frr_bgp

from tests.unit.plugins.module_utils.devices.fake_cli import FakeCli, comware_readback, frr_readback

FIX = Path(__file__).resolve().parents[3] / "unit" / "fixtures"
CONN = {"hostname": "198.18.0.2", "username": "admin", "password": "ssh-pw-hidden", "host_key_checking": False}
BGP_PW = "bgp-pw-hidden"

# What differs between the two platforms: the module, the device's dialect, and the lines expected.
PLATFORMS = {
    "comware": dict(module=comware_bgp, driver=comware, device_type="hp_comware", prompt="[leaf1-bgp-default]",
                    readback=comware_readback, one=FIX / "comware" / "display_current-configuration_configuration_bgp_one_peer.txt",
                    rr_line="  peer 172.20.0.13 reflect-client", password_line=" peer 172.20.0.13 password simple %s",
                    first_line="bgp 65001"),
    "frr": dict(module=frr_bgp, driver=frr, device_type="cisco_ios", prompt="leaf1(config-router)#",
                readback=frr_readback, one=FIX / "frr" / "show_running-config_bgpd_one_peer.txt",
                rr_line="  neighbor 172.20.0.13 route-reflector-client", password_line=" neighbor 172.20.0.13 password %s",
                first_line="router bgp 65001"),
}


@pytest.fixture(params=sorted(PLATFORMS))
def platform(request):
    return dict(PLATFORMS[request.param], one=PLATFORMS[request.param]["one"].read_text())


@pytest.fixture
def run(monkeypatch, platform, run_main):  # pylint: disable=redefined-outer-name
    def invoke(args, conn=None, check=False, expect_fail=False, connect_error=None):
        def connect(params, device_type):
            assert device_type == platform["device_type"]
            if connect_error:
                raise connect_error
            if conn is None:
                pytest.fail("the module connected in an offline state")
            return conn
        monkeypatch.setattr(ssh, "connect", connect)
        return run_main(platform["module"], args, check=check, expect_fail=expect_fail)
    return invoke


def device(platform, read_only=False):
    return FakeCli("leaf1", platform["prompt"], {platform["driver"].SHOW_CONFIG: [platform["one"]]},
                   read_only=read_only, readback=platform["readback"])


CONFIG = {"asn": "65001", "neighbors": [{"address": "172.20.0.13", "remote_as": "65001",
                                         "route_reflector_client": True, "password": BGP_PW}]}


def test_merged_check_mode_and_diff(run, platform):
    conn = device(platform, read_only=True)
    result = run(dict(CONN, config=CONFIG), conn=conn, check=True)
    assert result["changed"] is True and result["saved"] is False
    # 172.20.0.12 has no ownership marker: the operator's, neither shown nor touched
    assert result["diff"]["before"]["neighbors"] == []
    assert [n["address"] for n in result["diff"]["after"]["neighbors"]] == ["172.20.0.13"]
    assert not [line for line in result["commands"] if "172.20.0.12" in line]
    assert platform["rr_line"] in result["commands"]
    assert BGP_PW not in json.dumps(result) and "ssh-pw-hidden" not in json.dumps(result)


def test_merged_applies_and_saves(run, platform):
    conn = device(platform)
    result = run(dict(CONN, config=CONFIG), conn=conn)
    assert result["changed"] is True and result["saved"] is True and conn.saves == 1
    assert platform["password_line"] % BGP_PW in conn.sent
    assert BGP_PW not in json.dumps(result)


def test_rendered_and_parsed_need_no_connection(run, platform):
    result = run({"config": CONFIG, "state": "rendered"})
    assert result["rendered"][0] == platform["first_line"] and BGP_PW not in json.dumps(result)
    result = run({"running_config": platform["one"], "state": "parsed"})
    assert result["parsed"]["neighbors"][0]["remote_as"] == 65001


def test_state_needs_config(run):
    result = run(dict(CONN, state="merged"), expect_fail=True)
    assert "config" in result["msg"]


def test_connection_error_is_structured(run):
    error = FabricError("SSH authentication as 'admin' to 198.18.0.2:22 failed", host="198.18.0.2",
                        field="password", fix="check username and password for this device")
    result = run(dict(CONN, state="gathered"), connect_error=error, expect_fail=True)
    assert result["error"]["field"] == "password" and "authentication" in result["msg"]


def test_bad_input_fails_before_connecting(run):
    result = run(dict(CONN, config={"asn": "65001", "neighbors": [{"address": "10.0.0.1", "remote_as": "0"}]}),
                 expect_fail=True)
    assert result["error"]["field"] == "config.neighbors[0].remote_as"
