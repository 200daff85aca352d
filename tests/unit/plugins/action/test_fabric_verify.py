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
