"""comware_bgp's main(): argument handling, results, check mode and errors, with a fake CLI connection.

exit_json/fail_json are intercepted before Ansible's no_log masking, so a secret that leaks into a
result or diff is seen here.
"""
import json
from pathlib import Path

import pytest

from ansible_collections.kubefabric.bgp.plugins.module_utils.common.errors import FabricError
from ansible_collections.kubefabric.bgp.plugins.module_utils.devices import comware, ssh
from ansible_collections.kubefabric.bgp.plugins.modules import comware_bgp

from tests.unit.plugins.module_utils.devices.fake_cli import FakeCli, comware_readback

FIX = Path(__file__).resolve().parents[3] / "unit" / "fixtures" / "comware"
ONE = (FIX / "display_current-configuration_configuration_bgp_one_peer.txt").read_text()
CONN = {"hostname": "198.18.0.2", "username": "admin", "password": "ssh-pw-hidden", "host_key_checking": False}
BGP_PW = "bgp-pw-hidden"


@pytest.fixture
def run(monkeypatch, run_main):
    def invoke(args, conn=None, check=False, expect_fail=False, connect_error=None):
        def connect(params, device_type):
            assert device_type == "hp_comware"
            if connect_error:
                raise connect_error
            if conn is None:
                pytest.fail("the module connected in an offline state")
            return conn
        monkeypatch.setattr(ssh, "connect", connect)
        return run_main(comware_bgp, args, check=check, expect_fail=expect_fail)
    return invoke


def device(read_only=False):
    return FakeCli("leaf1", "[leaf1-bgp-default]", {comware.SHOW_CONFIG: [ONE]}, read_only=read_only,
                   readback=comware_readback)


CONFIG = {"asn": "65001", "neighbors": [{"address": "172.20.0.13", "remote_as": "65001",
                                         "route_reflector_client": True, "password": BGP_PW}]}


def test_merged_check_mode_and_diff(run):
    conn = device(read_only=True)
    result = run(dict(CONN, config=CONFIG), conn=conn, check=True)
    assert result["changed"] is True and result["saved"] is False
    # 172.20.0.12 has no ownership marker: the operator's, neither shown nor touched
    assert result["diff"]["before"]["neighbors"] == []
    assert [n["address"] for n in result["diff"]["after"]["neighbors"]] == ["172.20.0.13"]
    assert not [line for line in result["commands"] if "172.20.0.12" in line]
    assert "  peer 172.20.0.13 reflect-client" in result["commands"]
    assert BGP_PW not in json.dumps(result) and "ssh-pw-hidden" not in json.dumps(result)


def test_merged_applies_and_saves(run):
    conn = device()
    result = run(dict(CONN, config=CONFIG), conn=conn)
    assert result["changed"] is True and result["saved"] is True and conn.saves == 1
    assert " peer 172.20.0.13 password simple %s" % BGP_PW in conn.sent
    assert BGP_PW not in json.dumps(result)


def test_rendered_and_parsed_need_no_connection(run):
    result = run({"config": CONFIG, "state": "rendered"})
    assert result["rendered"][0] == "bgp 65001" and BGP_PW not in json.dumps(result)
    result = run({"running_config": ONE, "state": "parsed"})
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
