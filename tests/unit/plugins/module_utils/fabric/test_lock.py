# -*- coding: utf-8 -*-
# Copyright: kubefabric.bgp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fabric lock (a coordination.k8s.io Lease) against the fake API."""

import datetime
import json

import pytest

from ansible_collections.kubefabric.bgp.plugins.module_utils.common.errors import FabricError
from ansible_collections.kubefabric.bgp.plugins.module_utils.fabric import lock
from tests.unit.plugins.module_utils.calico.fake_kube import FakeKube, client

T0 = datetime.datetime(2026, 12, 6, 1, 0, 0, tzinfo=datetime.timezone.utc)
A = lock.new_holder("run-a", "ctl-a", 111)
B = lock.new_holder("run-b", "ctl-b", 222)


def at(seconds):
    return lambda: T0 + datetime.timedelta(seconds=seconds)


def lease(fake):
    return fake.obj("leases", lock.DEFAULT_NAME, lock.DEFAULT_NAMESPACE)


def test_first_run_takes_it_a_second_is_refused_naming_the_holder_and_the_fix():
    fake = FakeKube()
    result = lock.acquire(client(fake), A, duration=60, now=at(0))
    assert result["acquired"] and lease(fake)["spec"]["holderIdentity"] == A
    assert lease(fake)["spec"]["leaseDurationSeconds"] == 60
    with pytest.raises(FabricError) as info:
        lock.acquire(client(fake), B, duration=60, now=at(10))
    text = str(info.value)
    assert "locked by another run" in text and "run run-a on ctl-a (pid 111)" in text
    assert "2026-12-06T01:01:00.000000Z" in text  # valid until: renewTime + 60 s
    assert "kubectl -n kube-system delete lease kubefabric-fabric-lock" in info.value.fix
    assert info.value.details["holder"] == A
    assert lease(fake)["spec"]["holderIdentity"] == A  # untouched


def test_the_holder_renews_and_a_lost_lock_fails_the_renewal():
    fake = FakeKube()
    lock.acquire(client(fake), A, duration=60, now=at(0))
    result = lock.acquire(client(fake), A, duration=60, now=at(30), renew_only=True)
    assert result["renewed"] and lease(fake)["spec"]["renewTime"] == "2026-12-06T01:00:30.000000Z"
    assert lease(fake)["spec"]["acquireTime"] == "2026-12-06T01:00:00.000000Z"
    # still held at 80 s (renewed at 30 s), expired at 91 s
    with pytest.raises(FabricError):
        lock.acquire(client(fake), B, duration=60, now=at(80))
    taken = lock.acquire(client(fake), B, duration=60, now=at(91))
    assert taken["acquired"] and taken["took_over"] == A
    assert lease(fake)["spec"]["leaseTransitions"] == 1
    with pytest.raises(FabricError) as info:
        lock.acquire(client(fake), A, duration=60, now=at(92), renew_only=True)
    assert "lost the fabric lock" in str(info.value)


def test_release_only_by_the_holder():
    fake = FakeKube()
    lock.acquire(client(fake), A, now=at(0))
    assert lock.release(client(fake), B) == {"released": False, "reason": "held by run run-a on ctl-a (pid 111)"}
    assert lease(fake) is not None
    assert lock.release(client(fake), A) == {"released": True}
    assert lease(fake) is None
    assert lock.release(client(fake), A)["released"] is False


def test_a_dead_holder_on_this_controller_is_taken_over_at_once():
    fake = FakeKube()
    dead = lock.new_holder("run-x", lock.socket.gethostname(), 2 ** 22 + 12345)
    lock.acquire(client(fake), dead, duration=900, now=at(0))
    result = lock.acquire(client(fake), A, duration=900, now=at(5))
    assert result["took_over"] == dead


def test_two_runs_racing_for_a_free_lock_one_gets_a_409_and_is_refused():
    class Racy(FakeKube):
        """B's create lands between A's read and A's create."""
        def request(self, method, path, body=None, query=None, content_type=None, what=None):
            if method == "post" and "leases" in path and body["spec"]["holderIdentity"] == A:
                super().request("post", path, dict(body, spec=dict(body["spec"], holderIdentity=B)), query,
                                content_type, what)
            return super().request(method, path, body, query, content_type, what)
    fake = Racy()
    with pytest.raises(FabricError) as info:
        lock.acquire(client(fake), A, now=at(0))
    assert "run run-b on ctl-b" in str(info.value)
    assert lease(fake)["spec"]["holderIdentity"] == B


def test_holder_identity_names_run_host_and_pid():
    data = json.loads(lock.new_holder("r1", "h1", 42))
    assert data == {"run": "r1", "host": "h1", "pid": 42}
    assert lock.describe_holder("garbage") == "'garbage'"


def test_check_mode_only_reads(monkeypatch):
    fake = FakeKube(read_only=True)
    params = {"name": None, "namespace": None, "state": "acquired"}
    monkeypatch.setattr(lock.k8s, "connect", lambda _params, check_mode=False: client(fake, check_mode=True))
    result = lock.run(params, check_mode=True, holder=A)
    assert result == {"changed": False, "holder": A, "held_by": None} and fake.writes == 0
