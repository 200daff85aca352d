# -*- coding: utf-8 -*-
# Copyright: kubefabric.bgp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""fabric_verify's action plugin: how a failed device read is classified."""

from ansible_collections.kubefabric.bgp.plugins.action import fabric_verify
from ansible_collections.kubefabric.bgp.plugins.module_utils.common.errors import FabricError
from ansible_collections.kubefabric.bgp.plugins.module_utils.fabric import verify


def test_a_connection_failure_is_unreachable_a_read_error_or_crash_is_an_error_of_its_own():
    down = FabricError("cannot reach 198.18.0.2 over SSH (timed out)", host="leaf1", field="hostname")
    assert fabric_verify.device_outcome("leaf1", down) is None
    refused = FabricError("reading 'show bgp summary json' failed: % Unknown command", host="leaf1", field="config")
    assert fabric_verify.device_outcome("leaf1", refused) == {verify.ERROR_KEY: str(refused)}
    crash = fabric_verify.device_outcome("leaf1", KeyError("peerState"))
    assert "the driver crashed: KeyError" in crash[verify.ERROR_KEY]


def test_a_round_whose_inputs_did_not_change_reuses_the_comparison(monkeypatch):
    calls = []

    def counted(*args, **kwargs):
        calls.append(kwargs["routes_on"])
        return {"ok": False, "round": len(calls)}

    monkeypatch.setattr(fabric_verify, "verify_result", counted)
    action = object.__new__(fabric_verify.ActionModule)
    action._routes_on, action._check_routes = "reflectors", True
    memo = []
    view = {"nodes": {}, "pending": ["n2"], "unobserved": {}, "versions": {"n1": "7", "n2": "3"}}
    devices = {"leaf1": {"sessions": [], "routes": []}}
    first = action._compare({}, view, devices, None, 0.0, memo)
    assert action._compare({}, dict(view), {"leaf1": {"sessions": [], "routes": []}}, None, 0.0, memo) is first
    assert calls == ["reflectors"]
    # a new resourceVersion, then a changed device row: compared again each time
    action._compare({}, dict(view, versions={"n1": "8", "n2": "3"}), devices, None, 0.0, memo)
    action._compare({}, dict(view, versions={"n1": "8", "n2": "3"}), {"leaf1": None}, None, 0.0, memo)
    assert len(calls) == 3
