# -*- coding: utf-8 -*-
# Copyright: kubefabric.bgp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""calico_apply against the fake API: peers -> nodes -> BGPConfiguration written back to back after every
read, the same entry validation as the single-object modules, check mode, diff, exclusive, secrets."""
import json

import pytest

from ansible_collections.kubefabric.bgp.plugins.modules import calico_apply as module
from ansible_collections.kubefabric.bgp.plugins.module_utils.calico import k8s

PEERS = [{"name": "rack1-tor", "peer_ip": "172.16.30.254", "as_number": "64513", "node_selector": "rack == 'rack1'"}]
NODES = [{"name": "ubuntu-1", "as_number": "64601", "labels": {"rack": "rack1"}},
         {"name": "ubuntu-2", "as_number": "64601", "labels": {"rack": "rack1"}}]
CONFIG = {"name": "default", "as_number": "64512", "node_to_node_mesh_enabled": False}
ARGS = {"peers": PEERS, "nodes": NODES, "bgp_configuration": CONFIG, "exclusive": True}


@pytest.fixture
def cluster(fake):
    for name in ("ubuntu-1", "ubuntu-2"):
        fake.add("nodes", {"apiVersion": "v1", "kind": "Node", "metadata": {"name": name, "labels": {}}})
    fake.add("bgppeers", {"apiVersion": k8s.V3, "kind": "BGPPeer", "spec": {"peerIP": "10.9.9.9", "asNumber": 65009},
                          "metadata": {"name": "stale", "labels": {"app.kubernetes.io/managed-by": "kubefabric"}}})
    return fake


def test_reads_everything_then_writes_peers_nodes_configuration(run, cluster):
    checked = run(module, ARGS, check=True)
    assert checked["changed"] and cluster.writes == 0
    cluster.requests.clear()
    result = run(module, ARGS)
    methods = [m for m, _path, _query in cluster.requests]
    first_write = next(i for i, m in enumerate(methods) if m in ("post", "put", "patch", "delete"))
    # one burst: no read between the writes, every read before the first write
    assert all(m in ("post", "put", "patch", "delete") for m in methods[first_write:]), methods
    kinds = [(row["kind"], row["action"]) for row in result["objects"] if row["action"] != "unchanged"]
    assert kinds == [("BGPPeer", "created"), ("BGPPeer", "deleted"), ("Node", "updated"), ("Node", "updated"),
                     ("BGPConfiguration", "created")]
    written = [path for m, path, _q in cluster.requests if m in ("post", "put", "patch", "delete")]
    assert "bgppeers" in written[0] and "bgppeers" in written[1] and "/nodes/" in written[2]
    assert "bgpconfigurations" in written[-1]
    assert result["writes"] == 5 and result["bgp_configuration"]["nodeToNodeMeshEnabled"] is False
    assert set(result["diff"]["after"]) == {"BGPPeer/rack1-tor", "BGPPeer/stale", "Node/ubuntu-1", "Node/ubuntu-2",
                                            "BGPConfiguration/default"}
    assert result["diff"]["after"]["BGPPeer/stale"] is None and result["diff"]["before"]["BGPPeer/stale"]
    # the rack label comes in the same run: the selector is checked against the nodes as the run leaves them
    assert not result.get("warnings")
    assert cluster.names("bgppeers") == ["rack1-tor"]
    cluster.requests.clear()
    again = run(module, ARGS)
    assert again["changed"] is False and again["writes"] == 0
    assert all(m in ("get", "list") for m, _p, _q in cluster.requests)


def test_bad_entry_anywhere_fails_before_any_write(run, cluster):
    bad = dict(ARGS, bgp_configuration=dict(CONFIG, as_number="4294967296"))
    result = run(module, bad, expect_fail=True)
    assert cluster.writes == 0 and "asNumber" in json.dumps(result)
    typo = dict(ARGS, nodes=[{"name": "ubuntu-1", "as_nmber": "64601"}])
    result = run(module, typo, expect_fail=True)
    assert result["msg"].startswith("nodes[0] (ubuntu-1): ") and "as_nmber" in result["msg"]
    wrong_choice = dict(ARGS, peers=[dict(PEERS[0], next_hop_mode="Sometimes")])
    assert "next_hop_mode" in run(module, wrong_choice, expect_fail=True)["msg"] and cluster.writes == 0


def test_passwords_are_secrets_and_never_shown(run, cluster):
    args = dict(ARGS, peers=[dict(PEERS[0], password="Sup3r-S3cret")])
    result = run(module, args)
    assert cluster.obj("secrets", "kubefabric-bgppeer-rack1-tor", "kube-system") is not None
    assert "Sup3r-S3cret" not in json.dumps(result)
    assert run(module, args)["changed"] is False


def test_omitted_parts_are_left_alone(run, cluster):
    result = run(module, {"nodes": NODES[:1]})
    assert [row["kind"] for row in result["objects"]] == ["Node"]
    assert cluster.names("bgppeers") == ["stale"]           # peers omitted: not purged even by default
    assert "bgp_configuration" not in result
