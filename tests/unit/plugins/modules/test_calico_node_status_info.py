# -*- coding: utf-8 -*-
# Copyright: kubefabric.bgp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""calico_node_status_info against the fake API (the fake fills the status like calico-node does)."""
import pytest

from ansible_collections.kubefabric.bgp.plugins.modules import calico_node_status_info as module
from ansible_collections.kubefabric.bgp.plugins.module_utils.calico import k8s, manage
from tests.unit.plugins.module_utils.calico.fake_kube import client

STATUS = {
    "lastUpdated": "2026-01-01T09:36:20Z",
    "bgp": {"numberEstablishedV4": 2, "numberNotEstablishedV4": 1, "numberEstablishedV6": 0,
            "numberNotEstablishedV6": 0,
            "peersV4": [{"peerIP": "172.16.30.101", "type": "NodePeer", "state": "Established", "since": "09:36:19"},
                        {"peerIP": "172.16.30.254", "type": "GlobalPeer", "state": "Established", "since": "05:27:01"},
                        {"peerIP": "172.16.30.103", "type": "NodeMesh", "state": "Active", "since": "09:36:19"}],
            "peersV6": []},
}


def reporter(fake, nodes=("ubuntu-2",)):
    def fill(obj):
        if obj["spec"]["node"] in nodes:
            obj["status"] = STATUS
    fake.status_hook = fill


def test_rows_like_calicoctl_node_status(run, fake):
    reporter(fake)
    result = run(module, {"nodes": ["ubuntu-2"], "timeout": 5})
    assert result["changed"] is False
    assert result["nodes"]["ubuntu-2"]["ipv4"] == [
        {"peer_address": "172.16.30.101", "peer_type": "node specific", "state": "up", "since": "09:36:19",
         "info": "Established"},
        {"peer_address": "172.16.30.254", "peer_type": "global", "state": "up", "since": "05:27:01",
         "info": "Established"},
        {"peer_address": "172.16.30.103", "peer_type": "node-to-node mesh", "state": "start", "since": "09:36:19",
         "info": "Active"}]
    assert result["nodes"]["ubuntu-2"]["counts"] == {"established_v4": 2, "not_established_v4": 1,
                                                     "established_v6": 0, "not_established_v6": 0}
    assert result["created"] == result["removed"] == ["kubefabric-ubuntu-2"]
    assert fake.names("caliconodestatuses") == []


def test_created_object_spec(run, fake):
    reporter(fake)
    seen = []
    fake.status_hook = lambda obj: (seen.append(dict(obj["spec"])), obj.update(status=STATUS))
    run(module, {"nodes": ["ubuntu-2"], "keep": True, "update_period_seconds": 5, "classes": ["BGP"]})
    assert seen[0] == {"node": "ubuntu-2", "classes": ["BGP"], "updatePeriodSeconds": 5}
    assert fake.names("caliconodestatuses") == ["kubefabric-ubuntu-2"]
    assert k8s.is_managed(fake.obj("caliconodestatuses", "kubefabric-ubuntu-2"))


def test_check_mode_reads_existing_only(run, fake):
    fake.add("caliconodestatuses", {"apiVersion": k8s.V3, "kind": "CalicoNodeStatus", "metadata": {"name": "mine"},
                                    "spec": {"node": "ubuntu-2", "classes": ["Agent", "BGP", "Routes"],
                                             "updatePeriodSeconds": 10}, "status": STATUS})
    result = run(module, {"nodes": ["ubuntu-2", "ubuntu-1"], "timeout": 0}, check=True)
    assert result["status_objects"] == {"ubuntu-2": "mine"} and result["missing"] == ["ubuntu-1"]
    assert result["nodes"]["ubuntu-2"]["counts"]["established_v4"] == 2
    assert fake.writes == 0 and fake.dry_runs == 0
    result = run(module, {"nodes": ["ubuntu-2"], "timeout": 0})
    assert result["created"] == [] and fake.names("caliconodestatuses") == ["mine"]  # reused, not removed


def test_timeout_without_status():
    fake_time = [0.0]

    def sleep(seconds):
        fake_time[0] += seconds

    from tests.unit.plugins.module_utils.calico.fake_kube import FakeKube
    fake = FakeKube()
    result = manage.gather_node_status(client(fake), {"nodes": ["ubuntu-3"], "timeout": 3},
                                       sleep=sleep, clock=lambda: fake_time[0])
    assert result["timed_out"] == ["ubuntu-3"] and result["nodes"] == {}
    assert result["removed"] == ["kubefabric-ubuntu-3"] and fake.names("caliconodestatuses") == []
    assert fake_time[0] >= 3


@pytest.mark.parametrize("expect,ok", [
    ([{"query": "nodes.\"ubuntu-2\".counts.established_v4", "equals": 2}], True),
    ("nodes.\"ubuntu-2\".counts.not_established_v4 == `0`", False),
])
def test_expect(run, fake, expect, ok):
    reporter(fake)
    result = run(module, {"nodes": ["ubuntu-2"], "timeout": 5, "expect": expect}, expect_fail=not ok)
    if not ok:
        assert "expectation(s) not met" in result["msg"] and result["nodes"]["ubuntu-2"]


def test_invalid_node_name_refused(run, fake):
    result = run(module, {"nodes": ["Bad_Name"]}, expect_fail=True)
    assert "CalicoNodeStatus" in result["msg"] and fake.writes == 0


def test_an_object_without_the_classes_asked_for_is_not_reused(run, fake):
    fake.add("caliconodestatuses", {"apiVersion": k8s.V3, "kind": "CalicoNodeStatus", "metadata": {"name": "bgp-only"},
                                    "spec": {"node": "ubuntu-2", "classes": ["BGP"], "updatePeriodSeconds": 10},
                                    "status": STATUS})
    result = run(module, {"nodes": ["ubuntu-2"], "timeout": 0, "classes": ["BGP", "Routes"]})
    assert result["created"] == ["kubefabric-ubuntu-2"] and result["status_objects"] == {"ubuntu-2": "kubefabric-ubuntu-2"}
    result = run(module, {"nodes": ["ubuntu-2"], "timeout": 0, "classes": ["BGP"]})
    assert result["created"] == [] and result["status_objects"] == {"ubuntu-2": "bgp-only"}
    # check mode creates nothing, so it reads the object there is
    result = run(module, {"nodes": ["ubuntu-2"], "timeout": 0, "classes": ["BGP", "Routes"]}, check=True)
    assert result["created"] == [] and result["status_objects"] == {"ubuntu-2": "bgp-only"}
