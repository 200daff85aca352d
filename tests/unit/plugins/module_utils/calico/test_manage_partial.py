# -*- coding: utf-8 -*-
# Copyright: kubefabric.bgp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Calico writes that fail part-way (reported, resumable), 409 conflicts (re-read, re-apply, bounded),
and BGPPeers whose nodeSelector matches no node (warned)."""

import pytest

from ansible_collections.kubefabric.bgp.plugins.module_utils.calico import manage
from ansible_collections.kubefabric.bgp.plugins.module_utils.common.errors import FabricError
from tests.unit.plugins.module_utils.calico.fake_kube import FakeKube, client


def peer(name, ip, asn=65001, selector=None):
    entry = {"name": name, "peer_ip": ip, "as_number": asn}
    if selector:
        entry["node_selector"] = selector
    return entry


PEERS = [peer("a", "10.0.0.1"), peer("b", "10.0.0.2"), peer("c", "10.0.0.3")]


class StopsAnswering(FakeKube):
    """Answers until ``budget`` writes went through, then every request times out (an API that hangs)."""

    def __init__(self, budget, **kwargs):
        super().__init__(**kwargs)
        self.budget = budget

    def request(self, method, path, body=None, query=None, content_type=None, what=None):
        if method != "get" and self.writes >= self.budget:
            raise FabricError("cannot reach the Kubernetes API server at %s: connection timed out" % self.host,
                              host=self.host, field="host", fix="check host/kubeconfig/context")
        return super().request(method, path, body, query, content_type, what)


def test_a_write_that_fails_part_way_names_what_was_written_and_a_rerun_completes():
    fake = StopsAnswering(budget=2)
    plan = manage.plan_peers(client(fake), {"peers": PEERS, "state": "present"})
    with pytest.raises(FabricError) as info:
        plan.run()
    error = info.value
    assert error.details["written"] == ["BGPPeer/a", "BGPPeer/b"]
    assert error.details["not_written"] == ["BGPPeer/c"]
    assert "written: BGPPeer/a, BGPPeer/b" in error.message and "not written: BGPPeer/c" in error.message
    assert "connection timed out" in error.message and "rerun" in error.fix
    assert fake.names("bgppeers") == ["a", "b"]
    # the API answers again: a rerun leaves a and b alone and writes c
    fake.budget = 100
    fake.requests.clear()
    plan = manage.plan_peers(client(fake), {"peers": PEERS, "state": "present"})
    assert [row["action"] for row in plan.objects] == ["unchanged", "unchanged", "created"]
    plan.run()
    assert plan.written == ["BGPPeer/c"] and fake.names("bgppeers") == ["a", "b", "c"]


def test_one_write_that_fails_keeps_its_own_error_and_says_nothing_was_written():
    fake = StopsAnswering(budget=0)
    plan = manage.plan_peers(client(fake), {"peers": PEERS[:1], "state": "present"})
    with pytest.raises(FabricError) as info:
        plan.run()
    assert info.value.details["written"] == [] and info.value.details["not_written"] == ["BGPPeer/a"]
    assert info.value.field == "host"


class ChangedUnderneath(FakeKube):
    """Another client updates the object right before each of our first ``times`` replaces."""

    def __init__(self, times, **kwargs):
        super().__init__(**kwargs)
        self.times = times
        self.puts = 0

    def request(self, method, path, body=None, query=None, content_type=None, what=None):
        if method == "put":
            self.puts += 1
            if self.times > 0:
                self.times -= 1
                key = ("bgppeers", None, body["metadata"]["name"])
                other = dict(self.store[key])
                other["spec"] = dict(other["spec"], keepaliveTime="7s")
                self.add("bgppeers", other)  # a new resourceVersion: our body is now stale
        return super().request(method, path, body, query, content_type, what)


def seeded(fake):
    fake.add("bgppeers", {"apiVersion": "projectcalico.org/v3", "kind": "BGPPeer",
                          "metadata": {"name": "a", "labels": {"app.kubernetes.io/managed-by": "kubefabric"}},
                          "spec": {"peerIP": "10.0.0.1", "asNumber": 65000}})
    return fake


def test_a_409_conflict_is_re_read_and_re_applied():
    fake = seeded(ChangedUnderneath(times=2))
    plan = manage.plan_peers(client(fake), {"peers": PEERS[:1], "state": "present"})
    plan.run()
    assert fake.puts == 3
    spec = fake.obj("bgppeers", "a")["spec"]
    assert spec["asNumber"] == 65001 and spec["peerIP"] == "10.0.0.1"
    assert plan.written == ["BGPPeer/a"]


def test_conflicts_without_end_stop_after_a_bounded_number_of_tries():
    fake = seeded(ChangedUnderneath(times=100))
    plan = manage.plan_peers(client(fake), {"peers": PEERS[:1], "state": "present"})
    with pytest.raises(FabricError) as info:
        plan.run()
    assert fake.puts == manage.CONFLICT_RETRIES + 1
    assert info.value.details["status"] == 409 and "another client keeps changing BGPPeer/a" in info.value.fix


def test_check_mode_tries_every_write_and_reports_every_refusal():
    class RefusesTwo(FakeKube):
        def request(self, method, path, body=None, query=None, content_type=None, what=None):
            if method == "post" and body["metadata"]["name"] in ("a", "c"):
                raise self._error(422, "Invalid", "BGPPeer %s is invalid" % body["metadata"]["name"], what)
            return super().request(method, path, body, query, content_type, what)
    fake = RefusesTwo(read_only=True)
    plan = manage.plan_peers(client(fake, check_mode=True), {"peers": PEERS, "state": "present"})
    with pytest.raises(FabricError) as info:
        plan.run(keep_going=True)
    assert info.value.details["failed"] == ["BGPPeer/a", "BGPPeer/c"]
    assert "BGPPeer c is invalid" in info.value.message and fake.dry_runs == 1 and fake.writes == 0


def test_a_peer_whose_node_selector_matches_no_node_is_warned_about():
    fake = FakeKube()
    fake.add("nodes", {"apiVersion": "v1", "kind": "Node",
                       "metadata": {"name": "n1", "labels": {"kubernetes.io/hostname": "n1"},
                                    "annotations": {"projectcalico.org/labels": '{"rack":"r1"}'}}})
    peers = [peer("to-r1", "10.0.0.1", selector="rack == 'r1'"), peer("to-r9", "10.0.0.9", selector="rack == 'r9'")]
    plan = manage.plan_peers(client(fake), {"peers": peers, "state": "present"})
    assert len(plan.warnings) == 1
    assert "BGPPeer to-r9" in plan.warnings[0] and "rack == 'r9'" in plan.warnings[0]
    assert plan.result()["warnings"] == plan.warnings
