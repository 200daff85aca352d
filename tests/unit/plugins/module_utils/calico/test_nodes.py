import json

import pytest

from ansible_collections.kubefabric.bgp.plugins.module_utils.calico import nodes
from ansible_collections.kubefabric.bgp.plugins.module_utils.common.errors import FabricError


def k8s_node(name="worker-1", labels=None, annotations=None):
    meta = {"name": name, "uid": "u-1", "resourceVersion": "7"}
    if labels is not None:
        meta["labels"] = labels
    if annotations is not None:
        meta["annotations"] = annotations
    return {"apiVersion": "v1", "kind": "Node", "metadata": meta, "spec": {}}


FULL = k8s_node(labels={"kubernetes.io/hostname": "worker-1", "rack": "r1"}, annotations={
    nodes.ANN_IPV4: "10.0.0.5/24", nodes.ANN_IPV6: "fd00::5/64", nodes.ANN_ASN: "1.10",
    nodes.ANN_RR_CLUSTER_ID: "244.0.0.1", nodes.ANN_IPIP_TUNNEL: "10.244.1.1",
    nodes.ANN_LABELS: json.dumps({"rack": "r9", "route-reflector": "true"}),
    nodes.ANN_VXLAN_TUNNEL: "10.244.1.2", "other.example/x": "y"})


def test_calico_view_of_a_node():
    view = nodes.calico_node_from_k8s(FULL)
    assert view["apiVersion"] == "projectcalico.org/v3" and view["kind"] == "Node"
    assert view["metadata"]["name"] == "worker-1"
    assert view["metadata"]["labels"] == {"kubernetes.io/hostname": "worker-1", "rack": "r1",  # k8s wins
                                          "route-reflector": "true"}
    assert json.loads(view["metadata"]["annotations"][nodes.ANN_KUBE_LABELS]) == FULL["metadata"]["labels"]
    assert view["spec"]["bgp"] == {"ipv4Address": "10.0.0.5/24", "ipv6Address": "fd00::5/64", "asNumber": 65546,
                                   "routeReflectorClusterID": "244.0.0.1", "ipv4IPIPTunnelAddr": "10.244.1.1"}
    assert view["spec"]["ipv4VXLANTunnelAddr"] == "10.244.1.2"
    assert nodes.calico_labels_from_k8s(FULL)["route-reflector"] == "true"


@pytest.mark.parametrize("annotation, value", [
    (nodes.ANN_IPV4, "fd00::5/64"), (nodes.ANN_IPV4, "garbage"), (nodes.ANN_IPV6, "10.0.0.5"),
    (nodes.ANN_ASN, "AS65000"), (nodes.ANN_ASN, "4294967296"), (nodes.ANN_RR_CLUSTER_ID, "fd00::1"),
    (nodes.ANN_RR_CLUSTER_ID, "244.0.0.1/32"), (nodes.ANN_IPIP_TUNNEL, "x"),
])
def test_invalid_annotations_are_ignored_with_a_warning(annotation, value):
    warnings = []
    view = nodes.calico_node_from_k8s(k8s_node(annotations={annotation: value, nodes.ANN_IPV4: "10.0.0.9"}
                                               if annotation != nodes.ANN_IPV4 else {annotation: value}), warnings)
    bgp = view["spec"].get("bgp", {})
    field = dict((a, f) for f, a in nodes.BGP_ANNOTATIONS)[annotation]
    assert field not in bgp
    assert warnings == ["ignoring invalid annotation %s=%r" % (annotation, value)]


def test_bare_node_and_bad_labels_json():
    warnings = []
    view = nodes.calico_node_from_k8s(k8s_node(annotations={nodes.ANN_LABELS: "{not json"}), warnings)
    assert view["spec"] == {} and "labels" not in view["metadata"]
    assert warnings and nodes.ANN_LABELS in warnings[0]
    assert nodes.calico_node_from_k8s({"metadata": {"name": "n"}})["spec"] == {}


def test_round_trip_is_a_no_op():
    view = nodes.calico_node_from_k8s(FULL)
    assert nodes.bgp_patch_for_k8s_node(FULL, view["spec"]["bgp"], view["metadata"]["labels"]) == {}
    assert nodes.bgp_patch_for_k8s_node(FULL, dict(view["spec"]["bgp"], asNumber="1.10"), None) == {}


def test_set_bgp_on_a_bare_node():
    node = k8s_node(labels={"kubernetes.io/hostname": "w"})
    bgp = {"asNumber": "64086.59904", "ipv4Address": "10.0.0.7/24", "routeReflectorClusterID": "244.0.0.1"}
    patch = nodes.bgp_patch_for_k8s_node(node, bgp, {"kubernetes.io/hostname": "w", "rr": "true"})
    assert patch == {"metadata": {"annotations": {nodes.ANN_ASN: "4200000000", nodes.ANN_IPV4: "10.0.0.7/24",
                                                  nodes.ANN_RR_CLUSTER_ID: "244.0.0.1",
                                                  nodes.ANN_LABELS: '{"rr":"true"}'}}}
    after = nodes.apply_merge_patch(node, patch)
    view = nodes.calico_node_from_k8s(after)
    assert view["spec"]["bgp"] == {"asNumber": 4200000000, "ipv4Address": "10.0.0.7/24",
                                   "routeReflectorClusterID": "244.0.0.1"}
    assert view["metadata"]["labels"] == {"kubernetes.io/hostname": "w", "rr": "true"}
    assert nodes.bgp_patch_for_k8s_node(after, view["spec"]["bgp"], view["metadata"]["labels"]) == {}


def test_only_changed_annotations_are_patched():
    bgp = dict(nodes.calico_node_from_k8s(FULL)["spec"]["bgp"], routeReflectorClusterID="244.0.0.2")
    del bgp["ipv6Address"]
    patch = nodes.bgp_patch_for_k8s_node(FULL, bgp)
    assert patch == {"metadata": {"annotations": {nodes.ANN_RR_CLUSTER_ID: "244.0.0.2", nodes.ANN_IPV6: None}}}


def test_bgp_none_removes_the_five_bgp_annotations_only():
    patch = nodes.bgp_patch_for_k8s_node(FULL, None)
    assert patch == {"metadata": {"annotations": dict((a, None) for _f, a in nodes.BGP_ANNOTATIONS)}}
    assert nodes.bgp_patch_for_k8s_node(FULL, {}) == patch            # an empty spec.bgp is nil
    assert nodes.bgp_patch_for_k8s_node(k8s_node(), None) == {}


def test_label_changes():
    view = nodes.calico_node_from_k8s(FULL)
    labels = dict(view["metadata"]["labels"])
    del labels["route-reflector"]
    patch = nodes.bgp_patch_for_k8s_node(FULL, view["spec"]["bgp"], labels)
    # rack is shadowed by the k8s label: the Calico-only value stays, nothing Calico sees changes
    assert patch == {"metadata": {"annotations": {nodes.ANN_LABELS: '{"rack":"r9"}'}}}
    bare = k8s_node(labels={"a": "1"}, annotations={nodes.ANN_LABELS: '{"x": "y"}'})
    assert nodes.bgp_patch_for_k8s_node(bare, None, {"a": "1"}) == {"metadata": {"annotations": {
        nodes.ANN_LABELS: None}}}
    assert nodes.bgp_patch_for_k8s_node(bare, None, {"a": "1", "x": "y"}) == {}   # same map, other spelling


@pytest.mark.parametrize("bgp, field, text", [
    ({"routeReflectorClusterID": "fd00::1"}, "bgp.routeReflectorClusterID",
     "error with field RouteReflectorClusterID = 'fd00::1' (Reason: failed to validate Field: RouteReflectorClusterID "
     "because of Tag: ipv4 )"),
    ({"asNumber": "65000.70000"}, "bgp.asNumber",
     "error with field ASNumber = '65000.70000' (invalid AS Number format (65000.70000))"),
    ({"ipv4Address": "fd00::1"}, "bgp.ipv4Address", None),
    ({"ipv6Address": "10.0.0.1/24"}, "bgp.ipv6Address", None),
    ({"bfd": True}, "bgp.bfd", "unknown Node BGP field(s): bfd"),
    ("10.0.0.1", "bgp", "spec.bgp must be a mapping"),
])
def test_invalid_bgp_refused_before_any_patch(bgp, field, text):
    with pytest.raises(FabricError) as err:
        nodes.bgp_patch_for_k8s_node(FULL, bgp, None)
    assert err.value.host == "Node/worker-1" and err.value.field == field and err.value.fix
    if text:
        assert err.value.message == text


@pytest.mark.parametrize("labels, field", [
    ({"kubernetes.io/hostname": "worker-1", "rack": "r2"}, "labels.rack"),  # shadowed by a k8s label
    ({"rack": "r1"}, "labels.kubernetes.io/hostname"),                       # k8s labels cannot be removed
    ({"kubernetes.io/hostname": "worker-1", "rack": "r1", "bad key!": "x"}, "labels"),
    ({"kubernetes.io/hostname": "worker-1", "rack": "r1", "ok": "bad value!"}, "labels"),
    (["rack"], "labels"),
])
def test_invalid_labels_refused(labels, field):
    with pytest.raises(FabricError) as err:
        nodes.bgp_patch_for_k8s_node(FULL, None, labels)
    assert err.value.field == field and err.value.fix


def test_label_values_are_strings():
    node = k8s_node()
    patch = nodes.bgp_patch_for_k8s_node(node, None, {"rr": True, "rack": 3, "gone": None})
    assert patch == {"metadata": {"annotations": {nodes.ANN_LABELS: '{"rack":"3","rr":"true"}'}}}


def test_apply_merge_patch():
    assert nodes.apply_merge_patch({"a": {"b": 1, "c": 2}}, {"a": {"b": None, "d": 3}}) == {"a": {"c": 2, "d": 3}}


def test_odd_metadata_shapes_do_not_break_the_view():
    odd = {"metadata": {"name": "n", "labels": {"a": 1, "b": "2"}, "annotations": "oops"}}
    view = nodes.calico_node_from_k8s(odd)
    assert view["metadata"]["labels"] == {"b": "2"} and view["spec"] == {}
    assert nodes.calico_node_from_k8s({"metadata": None})["metadata"]["name"] is None
    assert nodes.bgp_patch_for_k8s_node(odd, {"asNumber": 65000}, None) == {
        "metadata": {"annotations": {nodes.ANN_ASN: "65000"}}}
