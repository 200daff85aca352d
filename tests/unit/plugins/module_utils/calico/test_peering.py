# -*- coding: utf-8 -*-
# Copyright: kubefabric.bgp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The peering engine, one Calico rule per test (SEMANTICS.md section 2)."""

from __future__ import annotations

import pytest

from ansible_collections.kubefabric.bgp.plugins.module_utils.calico import peering, selector
from ansible_collections.kubefabric.bgp.plugins.module_utils.calico.peering import compute_peerings
from ansible_collections.kubefabric.bgp.plugins.module_utils.common.errors import FabricError

V3 = "projectcalico.org/v3"


def node(name, v4=None, v6=None, asn=None, rr=None, labels=None):
    bgp = {}
    if v4:
        bgp["ipv4Address"] = v4
    if v6:
        bgp["ipv6Address"] = v6
    if asn is not None:
        bgp["asNumber"] = asn
    if rr:
        bgp["routeReflectorClusterID"] = rr
    meta = {"name": name}
    if labels:
        meta["labels"] = labels
    return {"apiVersion": V3, "kind": "Node", "metadata": meta, "spec": {"bgp": bgp}}


def peer(name, **spec):
    return {"apiVersion": V3, "kind": "BGPPeer", "metadata": {"name": name}, "spec": spec}


def config(name="default", **spec):
    return {"apiVersion": V3, "kind": "BGPConfiguration", "metadata": {"name": name}, "spec": spec}


NO_MESH = config(nodeToNodeMeshEnabled=False)


def names(result, name):
    return [p.name for p in result[name]]


def by_name(result, name):
    return {p.name: p for p in result[name]}


# ---------------------------------------------------------------- mesh


def test_mesh_is_on_by_default_and_skips_self():
    res = [node("a", "10.0.0.1/24"), node("b", "10.0.0.2/24"), node("c", "10.0.0.3/24")]
    out = compute_peerings(res)
    assert names(out, "a") == ["Mesh_10_0_0_2", "Mesh_10_0_0_3"]
    mesh = by_name(out, "b")["Mesh_10_0_0_1"]
    assert (mesh.peer_type_label, mesh.peer_as, mesh.local_as, mesh.ibgp) == ("node-to-node mesh", 64512, 64512, True)
    assert mesh.source_address == "10.0.0.2" and mesh.ttl_security == 0 and mesh.peer_node == "a"


def test_mesh_passive_is_a_lexical_comparison():
    res = [node("nine", "10.0.0.9/24"), node("ten", "10.0.0.10/24")]
    out = compute_peerings(res)
    # "10.0.0.9" > "10.0.0.10" as text although 9 < 10 as a number
    assert by_name(out, "ten")["Mesh_10_0_0_9"].passive is True
    assert by_name(out, "nine")["Mesh_10_0_0_10"].passive is False


def test_route_reflectors_leave_the_mesh():
    res = [node("a", "10.0.0.1/24"), node("b", "10.0.0.2/24"), node("rr", "10.0.0.3/24", rr="244.0.0.1")]
    out = compute_peerings(res)
    assert out["rr"] == []
    assert names(out, "a") == ["Mesh_10_0_0_2"]


def test_mesh_disabled_and_families():
    res = [NO_MESH, node("a", "10.0.0.1/24"), node("b", "10.0.0.2/24")]
    assert compute_peerings(res) == {"a": [], "b": []}
    res = [node("a", "10.0.0.1/24", "fd00::1/64"), node("b", "10.0.0.2/24"), node("c", v6="fd00::3/64")]
    out = compute_peerings(res)
    assert names(out, "a") == ["Mesh_10_0_0_2", "Mesh_fd00__3"]
    assert [p.ip_version for p in out["a"]] == [4, 6]
    assert names(out, "b") == ["Mesh_10_0_0_1"]


def test_mesh_as_of_a_peer_without_its_own_as_head_versus_v3_31():
    res = [config(asNumber=64600), node("a", "10.0.0.1/24", asn=65001), node("b", "10.0.0.2/24")]
    head = by_name(compute_peerings(res), "a")["Mesh_10_0_0_2"]
    legacy = by_name(compute_peerings(res, calico_version="v3.31"), "a")["Mesh_10_0_0_2"]
    assert (head.peer_as, head.local_as, head.ibgp) == (65001, 65001, True)
    assert (legacy.peer_as, legacy.local_as, legacy.ibgp) == (64600, 65001, False)
    assert legacy.export_internal is True and legacy.multihop is False
    assert by_name(compute_peerings(res), "b")["Mesh_10_0_0_1"].peer_as == 65001


def test_mesh_password_restart_time_and_ports():
    res = [config(nodeMeshPassword={"secretKeyRef": {"name": "mesh", "key": "pw"}}, nodeMeshMaxRestartTime="1m30s",
                  listenPort=1790),
           config("node.b", listenPort=1791),
           node("a", "10.0.0.1/24"), node("b", "10.0.0.2/24"),
           {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "mesh", "namespace": "kube-system"},
            "data": {"pw": "c2VjcmV0"}}]
    out = compute_peerings(res)
    to_b = by_name(out, "a")["Mesh_10_0_0_2"]
    assert (to_b.port, to_b.graceful_restart, to_b.password) == (1791, 90, "secret")
    assert by_name(out, "b")["Mesh_10_0_0_1"].port == 1790
    assert "secret" not in repr(to_b)


# ---------------------------------------------------------------- explicit peers


def test_global_peer_by_ip_that_is_a_calico_node():
    res = [config(nodeToNodeMeshEnabled=False, listenPort=150, asNumber=64567),
           node("a", "10.192.0.2/16"), node("b", "10.192.0.3/16"),
           peer("to-b", peerIP="10.192.0.3", asNumber=64567), peer("ext", peerIP="10.192.0.9", asNumber=64567)]
    out = compute_peerings(res)
    to_b = by_name(out, "a")["Global_10_192_0_3_port_150"]
    assert (to_b.port, to_b.passive, to_b.peer_node) == (150, True, "b")
    ext = by_name(out, "a")["Global_10_192_0_9"]
    assert (ext.port, ext.passive, ext.peer_node) == (None, False, None)
    # b skips the peering to itself but gets the reverse peering back to a (node specific)
    assert names(out, "b") == ["Global_10_192_0_9", "Node_10_192_0_2_port_150"]
    assert by_name(out, "b")["Node_10_192_0_2_port_150"].reverse is True


def test_node_specific_peering_that_duplicates_a_global_one_is_dropped():
    res = [NO_MESH, node("a", "10.0.0.1/24", labels={"x": "y"}),
           peer("g", peerIP="10.9.9.9", asNumber=65000),
           peer("n", peerIP="10.9.9.9", asNumber=65001, nodeSelector="has(x)")]
    out = compute_peerings(res)
    assert names(out, "a") == ["Global_10_9_9_9"]
    assert out["a"][0].peer_as == 65000


def test_node_and_node_selector_and_label_types():
    res = [NO_MESH, node("a", "10.0.0.1/24", labels={"rr": True, "rack": 7}), node("b", "10.0.0.2/24"),
           peer("p1", peerIP="10.9.9.1", asNumber=65000, node="b"),
           peer("p2", peerIP="10.9.9.2", asNumber=65000, nodeSelector="rr == 'true' && rack in {'7'}")]
    out = compute_peerings(res)
    assert names(out, "a") == ["Node_10_9_9_2"]
    assert names(out, "b") == ["Node_10_9_9_1"]
    assert out["a"][0].peer_type_label == "node specific"


def test_selector_peerings_reverse_and_manual():
    nodes = [node("rr", "10.0.0.1/24", labels={"route-reflector": "true"}), node("c1", "10.0.0.2/24"),
             node("c2", "10.0.0.3/24")]
    to_rr = peer("p", nodeSelector="all()", peerSelector="route-reflector == 'true'")
    auto = compute_peerings([NO_MESH] + nodes + [to_rr])
    assert names(auto, "rr") == ["Node_10_0_0_2", "Node_10_0_0_3"]
    assert names(auto, "c1") == ["Node_10_0_0_1"]
    manual_peer = peer("p", nodeSelector="all()", reversePeering="Manual", peerSelector="route-reflector == 'true'")
    manual = compute_peerings([NO_MESH] + nodes + [manual_peer])
    assert manual["rr"] == [] and names(manual, "c1") == ["Node_10_0_0_1"]


def test_explicit_forward_peering_is_not_overwritten_by_a_reverse_one():
    res = [NO_MESH, node("a", "10.0.0.1/24", labels={"role": "a"}), node("b", "10.0.0.2/24", labels={"role": "b"}),
           peer("a-to-b", nodeSelector="role == 'a'", peerSelector="role == 'b'", ttlSecurity=3),
           peer("b-to-a", nodeSelector="role == 'b'", peerSelector="role == 'a'", ttlSecurity=5)]
    out = compute_peerings(res)
    assert by_name(out, "a")["Node_10_0_0_2"].ttl_security == 3
    assert by_name(out, "a")["Node_10_0_0_2"].reverse is False
    assert by_name(out, "b")["Node_10_0_0_1"].ttl_security == 5


def test_selector_peers_do_not_copy_local_as_but_ip_peers_do():
    res = [NO_MESH, node("a", "10.0.0.1/24", labels={"s": "1"}), node("b", "10.0.0.2/24", labels={"t": "1"}),
           peer("sel", nodeSelector="has(s)", peerSelector="has(t)", localASNumber=65100, numAllowedLocalASNumbers=2),
           peer("ip", node="a", peerIP="10.9.9.9", asNumber=65200, localASNumber=65100, numAllowedLocalASNumbers=2)]
    out = by_name(compute_peerings(res), "a")
    assert (out["Node_10_0_0_2"].local_as_override, out["Node_10_0_0_2"].allow_local_as) == (None, None)
    ip = out["Node_10_9_9_9"]
    assert (ip.local_as_override, ip.local_as, ip.node_as, ip.allow_local_as, ip.ibgp) == (65100, 65100, 64512, 2,
                                                                                           False)


def test_next_hop_modes_and_deprecated_keep_original_next_hop():
    res = [NO_MESH, node("a", "10.0.0.1/24"),
           peer("self", peerIP="10.9.9.1", asNumber=64512, nextHopMode="Self"),
           peer("keep", peerIP="10.9.9.2", asNumber=64512, nextHopMode="Keep"),
           peer("old-ebgp", peerIP="10.9.9.3", asNumber=65000, keepOriginalNextHop=True),
           peer("old-ibgp", peerIP="10.9.9.4", asNumber=64512, keepOriginalNextHop=True)]
    out = by_name(compute_peerings(res), "a")
    assert [out["Global_10_9_9_%d" % i].next_hop for i in (1, 2, 3, 4)] == ["self", "keep", "keep", None]


def test_route_reflector_clients():
    res = [config(nodeToNodeMeshEnabled=False, asNumber=64513),
           node("rr1", "10.0.0.1/24", rr="244.0.0.1", labels={"rr": "y"}),
           node("rr2", "10.0.0.2/24", rr="244.0.0.1", labels={"rr": "y"}),
           node("rr3", "10.0.0.3/24", rr="244.0.0.9", labels={"rr": "y"}),
           node("c", "10.0.0.4/24"),
           peer("mesh-rr", nodeSelector="has(rr)", peerSelector="has(rr)"),
           peer("clients", nodeSelector="!has(rr)", peerSelector="has(rr)"),
           peer("tor", nodeSelector="has(rr)", peerIP="10.0.0.254", asNumber=64513),
           peer("ext", nodeSelector="has(rr)", peerIP="10.0.0.253", asNumber=65000)]
    rr1 = by_name(compute_peerings(res), "rr1")
    assert rr1["Node_10_0_0_2"].rr_client is False           # same cluster ID: plain iBGP
    assert rr1["Node_10_0_0_3"].rr_client is True            # other cluster ID
    assert (rr1["Node_10_0_0_4"].rr_client, rr1["Node_10_0_0_4"].rr_cluster_id) == (True, "244.0.0.1")
    assert rr1["Node_10_0_0_254"].rr_client is True          # iBGP ToR, no cluster ID known
    assert rr1["Node_10_0_0_253"].rr_client is False         # eBGP
    assert "Node_10_0_0_1" not in rr1                        # self
    assert by_name(compute_peerings(res), "c")["Node_10_0_0_1"].rr_client is False


def test_session_options():
    res = [NO_MESH, node("a", "10.0.0.1/24", "fd00::1/64"),
           peer("p", peerIP="[fd00::99]:1790", asNumber="1.10", sourceAddress="None", ttlSecurity=2,
                maxRestartTime="1.6s", keepaliveTime="30s", reachableBy="fd00::fe",
                password={"secretKeyRef": {"name": "s", "key": "k"}}, filters=["f1"])]
    out = compute_peerings(res)["a"]
    assert [p.name for p in out] == ["Global_fd00__99_port_1790"]
    p = out[0]
    assert (p.peer_ip, p.port, p.peer_as, p.source_address, p.ttl_security) == ("fd00::99", 1790, 65546, None, 2)
    assert (p.graceful_restart, p.keepalive, p.reachable_by, p.filters) == (2, 30, "fd00::fe", ("f1",))
    assert p.password is None and p.password_ref["name"] == "s"   # secret missing: no password line


def test_peer_ips_take_go_text_form():
    res = [NO_MESH, node("a", "10.0.0.1/24", "FD00::1/64"),
           peer("mapped", peerIP="::ffff:10.9.9.9", asNumber=65000),
           peer("upper", peerIP="[FD00:0::9]:180", asNumber=65000)]
    out = compute_peerings(res)["a"]
    assert [(p.name, p.peer_ip, p.source_address) for p in out] == [
        ("Global_10_9_9_9", "10.9.9.9", "10.0.0.1"), ("Global_fd00__9_port_180", "fd00::9", "fd00::1")]


def test_selector_peer_families_follow_the_remote_node():
    res = [NO_MESH, node("a", "10.0.0.1/24", "fd00::1/64", labels={"l": "1"}),
           node("b", "10.0.0.2/24", labels={"r": "1"}), node("c", "10.0.0.3/24", "fd00::3/64", labels={"r": "1"}),
           peer("p", nodeSelector="has(l)", peerSelector="has(r)")]
    assert names(compute_peerings(res), "a") == ["Node_10_0_0_2", "Node_10_0_0_3", "Node_fd00__3"]


def test_core_v1_nodes_are_accepted_with_merged_labels():
    k8s = {"apiVersion": "v1", "kind": "Node",
           "metadata": {"name": "k1", "labels": {"rack": "r1"},
                        "annotations": {"projectcalico.org/IPv4Address": "10.0.0.1/24",
                                        "projectcalico.org/ASNumber": "65001",
                                        "projectcalico.org/labels": '{"calico-only":"x"}'}}}
    res = [NO_MESH, k8s, node("b", "10.0.0.2/24"),
           peer("p", nodeSelector="rack == 'r1' && calico-only == 'x'", peerIP="10.9.9.9", asNumber=65002)]
    out = compute_peerings(res)
    assert names(out, "k1") == ["Node_10_9_9_9"]
    assert out["k1"][0].local_as == 65001


def test_sessions_are_counted_once_per_pair():
    res = [node("a", "10.0.0.1/24"), node("b", "10.0.0.2/24"), node("c", "10.0.0.3/24"),
           peer("tor", peerIP="10.0.0.254", asNumber=65000)]
    model = peering.Model(res)
    out = compute_peerings(None, model=model)
    assert peering.count_sessions(out, model) == 3 + 3


def test_resources_in_a_list_object_and_bgppeer_reapplied():
    res = [{"apiVersion": V3, "kind": "NodeList", "items": [node("a", "10.0.0.1/24"), node("b", "10.0.0.2/24")]},
           NO_MESH, peer("p", peerIP="10.9.9.9", asNumber=65000), peer("p", peerIP="10.9.9.8", asNumber=65000)]
    assert names(compute_peerings(res), "a") == ["Global_10_9_9_8"]


# ---------------------------------------------------------------- errors


@pytest.mark.parametrize("resource,field,words", [
    (peer("bad", peerIP="10.0.0.1:99999", asNumber=1), "spec.peerIP", "port"),
    (peer("bad", peerIP="10.0.0", asNumber=1), "spec.peerIP", "invalid"),
    (peer("bad", peerIP="10.0.0.1", asNumber="65536.1"), "spec.asNumber", "AS Number"),
    (peer("bad", peerIP="10.0.0.1", asNumber=1, nodeSelector="has(x"), "spec.nodeSelector", "position 5"),
    (peer("bad", peerIP="10.0.0.1", asNumber=1, node="a", nodeSelector="all()"), "spec.node", "cannot both"),
    (peer("bad", peerSelector="all()", asNumber=1), "spec.asNumber", "peerSelector"),
    (peer("bad", peerIP="10.0.0.1", asNumber=1, keepOriginalNextHop=True, nextHopMode="Self"),
     "spec.keepOriginalNextHop", "deprecated"),
    (peer("bad", peerIP="10.0.0.1", asNumber=1, maxRestartTime="10 minutes"), "spec.maxRestartTime", "duration"),
    (node("bad", "10.0.0.500/24"), "spec.bgp.ipv4Address", "ipv4Address"),
    (node("bad", "fd00::1/64"), "spec.bgp.ipv4Address", "not an IPv4"),
    (node("bad", "10.0.0.1/24", rr="fd00::1"), "spec.bgp.routeReflectorClusterID", "IPv4"),
    (config(listenPort=70000), "spec.listenPort", "1-65535"),
    (peer("bad", peerIP="10.0.0.1", asNumber=1, ttlSecurity="2"), "spec.ttlSecurity", "whole number"),
    (peer("bad", peerIP="10.0.0.1", asNumber=1, numAllowedLocalASNumbers=-1), "spec.numAllowedLocalASNumbers",
     "whole number"),
])
def test_bad_input_names_object_field_and_fix(resource, field, words):
    with pytest.raises(FabricError) as err:
        compute_peerings([node("a", "10.0.0.1/24"), resource])
    assert err.value.field == field
    assert words in str(err.value)
    assert err.value.fix
    assert err.value.host.endswith("/bad") or err.value.host == "BGPConfiguration/default"


def test_unknown_node_and_version():
    with pytest.raises(FabricError):
        compute_peerings([node("a", "10.0.0.1/24")], node="zz")
    with pytest.raises(FabricError):
        compute_peerings([node("a", "10.0.0.1/24")], calico_version="v2")


def test_yaml_loader_keeps_community_text():
    docs = peering.load_documents("a: 5663:12\n---\nb: 64512\n")
    assert docs == [{"a": "5663:12"}, {"b": 64512}]
    with pytest.raises(FabricError):
        peering.load_documents("a: [")


# ---------------------------------------------------------------- scale: no needless N x N


def _rack_fabric(racks, per_rack):
    res = [config(nodeToNodeMeshEnabled=False, asNumber=64512)]
    for r in range(racks):
        res.append(peer("tor-%d" % r, peerIP="10.%d.255.254" % r, asNumber=65000 + r,
                        nodeSelector="rack == 'rack-%d' && has(rr)" % r))
        res.append(peer("rr-%d" % r, nodeSelector="rack == 'rack-%d' && !has(rr)" % r,
                        peerSelector="rack == 'rack-%d' && has(rr)" % r))
        for i in range(per_rack):
            labels = {"rack": "rack-%d" % r}
            rr = None
            if i < 2:
                labels["rr"] = "true"
                rr = "244.0.%d.1" % r
            res.append(node("n-%d-%d" % (r, i), "10.%d.0.%d/24" % (r, i + 1), rr=rr, labels=labels))
    return res


def test_selectors_are_answered_from_the_label_index(monkeypatch):
    """Selector evaluations grow with the nodes a selector can match, not with nodes x peers."""
    calls = {"n": 0}
    original = selector.Selector.evaluate

    def counting(self, labels):
        calls["n"] += 1
        return original(self, labels)

    monkeypatch.setattr(selector.Selector, "evaluate", counting)
    res = _rack_fabric(40, 50)
    out = compute_peerings(res)
    assert len(out) == 2000
    # every rack: RRs peer with the ToR and with their 48 clients; each client with its two RRs
    assert names(out, "n-7-0") == sorted(["Node_10_7_0_%d" % i for i in range(3, 51)] + ["Node_10_7_255_254"])
    assert names(out, "n-7-9") == ["Node_10_7_0_1", "Node_10_7_0_2"]
    assert sum(len(v) for v in out.values()) == 40 * (2 * 49 + 48 * 2)
    # 120 selectors, each evaluated only on its rack's 50 nodes (plus caching): far below 120 x 2000
    assert calls["n"] <= 120 * 50


def test_global_peer_work_is_shared_between_nodes(monkeypatch):
    built = {"n": 0}
    original = peering._ip_peer  # pylint: disable=protected-access

    def counting(model, res):
        built["n"] += 1
        return original(model, res)

    monkeypatch.setattr(peering, "_ip_peer", counting)
    res = _rack_fabric(10, 20) + [peer("everyone", peerIP="10.99.0.1", asNumber=65099)]
    out = compute_peerings(res)
    assert all("Global_10_99_0_1" in names(out, n) for n in out)
    assert built["n"] == 10 + 1          # one v1 peering per peerIP BGPPeer, not one per node
