# -*- coding: utf-8 -*-
# Copyright: kubefabric.bgp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""calico_bgp_peer against the fake API: check mode, apply, idempotence, diff, secrets, purge, bad input."""
import base64
import json

import pytest

from ansible_collections.kubefabric.bgp.plugins.modules import calico_bgp_peer as module
from ansible_collections.kubefabric.bgp.plugins.module_utils.calico import k8s
from tests.unit.plugins.module_utils.calico.fake_kube import FakeKube

SEED_PEERS = [
    # seed 000: a global peer and a rack-1 peer; seed 004: the ToR peer and the RR peer
    {"name": "my-global-peer", "peer_ip": "192.20.30.40", "as_number": "64567"},
    {"name": "rack1-tor", "peer_ip": "172.16.30.254", "as_number": "64513", "node_selector": "rack == 'rack-1'"},
    {"name": "peer-with-route-reflectors", "node_selector": "all()", "peer_selector": "route-reflector == 'true'"},
]


@pytest.mark.parametrize("groups,group", [((k8s.V3, k8s.V1), k8s.V3), ((k8s.V1,), k8s.V1)])
def test_check_apply_idempotent_absent(run, groups, group):
    fake = FakeKube(groups=groups)
    args = {"peers": SEED_PEERS}
    checked = run(module, args, check=True, server=fake)          # read_only: any real write fails
    assert checked["changed"] is True and fake.names("bgppeers") == [] and fake.dry_runs == 3
    applied = run(module, args, server=fake)
    assert applied["changed"] is True and applied["api_group"] == group
    assert fake.names("bgppeers") == sorted(p["name"] for p in SEED_PEERS)
    tor = fake.obj("bgppeers", "rack1-tor")
    assert tor["apiVersion"] == group
    assert tor["spec"] == {"peerIP": "172.16.30.254", "asNumber": 64513, "nodeSelector": "rack == 'rack-1'"}
    assert tor["metadata"]["labels"] == {"app.kubernetes.io/managed-by": "kubefabric"}
    writes = fake.writes
    again = run(module, args, server=fake)
    assert again["changed"] is False and fake.writes == writes and again["writes"] == 0
    assert again["diff"] == {"before": {}, "after": {}}
    gone = run(module, {"peers": [{"name": "rack1-tor"}], "state": "absent"}, server=fake)
    assert gone["changed"] is True and "rack1-tor" not in fake.names("bgppeers")
    assert run(module, {"peers": [{"name": "rack1-tor"}], "state": "absent"}, server=fake)["changed"] is False


def test_update_shows_before_and_after(run, fake):
    run(module, {"peers": SEED_PEERS[:1]})
    result = run(module, {"peers": [dict(SEED_PEERS[0], as_number="1.10", max_restart_time="120s")]})
    before = result["diff"]["before"]["BGPPeer/my-global-peer"]
    after = result["diff"]["after"]["BGPPeer/my-global-peer"]
    assert before["spec"]["asNumber"] == 64567
    assert after["spec"]["asNumber"] == 65546 and after["spec"]["maxRestartTime"] == "120s"
    assert fake.obj("bgppeers", "my-global-peer")["spec"]["asNumber"] == 65546


def test_every_field_is_written(run, fake):
    fake.add("bgpfilters", {"apiVersion": k8s.V3, "kind": "BGPFilter", "metadata": {"name": "f1"}, "spec": {}})
    peer = {"name": "full", "peer_ip": "10.0.0.1:179", "as_number": "65001", "node": "node-1",
            "source_address": "None", "next_hop_mode": "Self", "max_restart_time": "2m",
            "keepalive_time": "30s", "ttl_security": 2, "num_allowed_local_as_numbers": 1,
            "local_as_number": "65010", "reachable_by": "10.0.0.254", "reverse_peering": "Manual",
            "filters": ["f1"], "password_secret": {"name": "tor-secret", "key": "pw"}}
    run(module, {"peers": [peer]})
    assert fake.obj("bgppeers", "full")["spec"] == {
        "peerIP": "10.0.0.1:179", "asNumber": 65001, "node": "node-1", "sourceAddress": "None",
        "nextHopMode": "Self", "maxRestartTime": "2m", "keepaliveTime": "30s", "ttlSecurity": 2,
        "numAllowedLocalASNumbers": 1, "localASNumber": 65010, "reachableBy": "10.0.0.254",
        "reversePeering": "Manual", "filters": ["f1"], "password": {"secretKeyRef": {"name": "tor-secret", "key": "pw"}}}


def test_clear_password_becomes_a_secret_and_never_shows(run, fake):
    peer = dict(SEED_PEERS[1], password="Sup3r-S3cret")
    result = run(module, {"peers": [peer]})
    secret = fake.obj("secrets", "kubefabric-bgppeer-rack1-tor", "kube-system")
    assert base64.b64decode(secret["data"]["password"]) == b"Sup3r-S3cret"
    assert secret["metadata"]["labels"] == {"app.kubernetes.io/managed-by": "kubefabric"}
    assert fake.obj("bgppeers", "rack1-tor")["spec"]["password"] == {
        "secretKeyRef": {"name": "kubefabric-bgppeer-rack1-tor", "key": "password"}}
    assert "Sup3r-S3cret" not in json.dumps(result)
    assert base64.b64encode(b"Sup3r-S3cret").decode() not in json.dumps(result)
    assert run(module, {"peers": [peer]})["changed"] is False
    changed = run(module, {"peers": [dict(peer, password="other-one")]}, check=True)
    assert changed["changed"] is True
    assert changed["diff"]["after"]["Secret/kube-system/kubefabric-bgppeer-rack1-tor"]["data"] == {
        "password": "<hidden, changed>"}
    assert changed["diff"]["before"]["Secret/kube-system/kubefabric-bgppeer-rack1-tor"]["data"] == {
        "password": "<hidden>"}
    assert "other-one" not in json.dumps(changed) and "BGPPeer/rack1-tor" not in changed["diff"]["after"]
    run(module, {"peers": [dict(peer, password="other-one")]})
    assert base64.b64decode(fake.obj("secrets", "kubefabric-bgppeer-rack1-tor", "kube-system")["data"]["password"]) \
        == b"other-one"
    run(module, {"peers": [{"name": "rack1-tor"}], "state": "absent"})
    assert fake.obj("secrets", "kubefabric-bgppeer-rack1-tor", "kube-system") is None


def test_secret_namespace_option(run, fake):
    run(module, {"peers": [dict(SEED_PEERS[0], password="x1")], "secret_namespace": "calico-system"})
    assert fake.obj("secrets", "kubefabric-bgppeer-my-global-peer", "calico-system") is not None


def test_exclusive_purges_only_managed_peers(run, fake):
    fake.add("bgppeers", {"apiVersion": k8s.V3, "kind": "BGPPeer", "metadata": {"name": "hand-made"},
                          "spec": {"peerIP": "10.1.1.1", "asNumber": 65000}})
    run(module, {"peers": SEED_PEERS})
    result = run(module, {"peers": SEED_PEERS[:1], "exclusive": True}, check=True)
    assert sorted(o["name"] for o in result["objects"] if o["action"] == "deleted") == [
        "peer-with-route-reflectors", "rack1-tor"]
    assert len(fake.names("bgppeers")) == 4
    run(module, {"peers": SEED_PEERS[:1], "exclusive": True})
    assert fake.names("bgppeers") == ["hand-made", "my-global-peer"]


BAD = [
    ({"name": "p", "peer_ip": "10.0.0.1", "as_number": "65536.1"}, "invalid AS Number format"),
    ({"name": "p", "peer_ip": "10.0.0.1", "as_number": "4294967296"}, "asNumber"),
    ({"name": "p", "peer_ip": "10.0.0.300", "as_number": "65000"}, "PeerIP"),
    ({"name": "p", "peer_ip": "10.0.0.1:70000", "as_number": "65000"}, "port"),
    ({"name": "p", "peer_ip": "10.0.0.1", "as_number": "65000", "node": "n1", "node_selector": "all()"},
     "node and nodeSelector cannot both be set"),
    ({"name": "p", "peer_ip": "10.0.0.1", "peer_selector": "all()"}, "peerIP and peerSelector cannot both be set"),
    ({"name": "p", "as_number": "65000", "peer_selector": "all()"}, "asNumber must be empty when peerSelector is set"),
    ({"name": "p", "node_selector": "rack == ", "peer_selector": "all()"}, "nodeSelector"),
    ({"name": "Bad_Name", "peer_ip": "10.0.0.1", "as_number": "65000"}, "name"),
]


@pytest.mark.parametrize("peer,wording", BAD)
def test_bad_input_is_refused_before_any_request_that_writes(run, fake, peer, wording):
    result = run(module, {"peers": [SEED_PEERS[0], peer]}, expect_fail=True)
    assert wording in result["msg"], result["msg"]
    assert fake.writes == 0 and fake.dry_runs == 0
    assert all(method == "get" for method, _path, _query in fake.requests)
    assert result["error"]["host"].startswith("BGPPeer/")


def test_missing_filter_is_refused(run, fake):
    result = run(module, {"peers": [{"name": "p", "peer_ip": "10.0.0.1", "as_number": "65000",
                                     "filters": ["nope"]}]}, expect_fail=True)
    assert "BGPFilter(s) not found" in result["msg"] and fake.writes == 0


def test_duplicate_names_are_refused(run, fake):
    result = run(module, {"peers": [SEED_PEERS[0], SEED_PEERS[0]]}, expect_fail=True)
    assert "more than once" in result["msg"]


def test_foreign_secret_is_not_overwritten(run, fake):
    fake.add("secrets", {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "kubefabric-bgppeer-my-global-peer"},
                         "data": {"password": "b2xk"}}, namespace="kube-system")
    result = run(module, {"peers": [dict(SEED_PEERS[0], password="new")]}, expect_fail=True)
    assert "not managed by kubefabric" in result["msg"] and fake.writes == 0


def test_secret_is_removed_when_no_longer_referenced(run, fake):
    run(module, {"peers": [dict(SEED_PEERS[0], password="pw-1")]})
    assert fake.obj("secrets", "kubefabric-bgppeer-my-global-peer", "kube-system") is not None
    result = run(module, {"peers": [SEED_PEERS[0]]})
    assert {"kind": "Secret", "name": "kubefabric-bgppeer-my-global-peer", "namespace": "kube-system",
            "action": "deleted"} in result["objects"]
    assert fake.obj("secrets", "kubefabric-bgppeer-my-global-peer", "kube-system") is None
    assert "password" not in fake.obj("bgppeers", "my-global-peer")["spec"]
    assert run(module, {"peers": [SEED_PEERS[0]]})["changed"] is False
