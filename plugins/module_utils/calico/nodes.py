# -*- coding: utf-8 -*-
# Copyright: kubefabric.bgp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Calico Node <-> core/v1 Node in the Kubernetes datastore (libcalico-go ``resources/node.go``).

In the Kubernetes datastore a Calico Node *is* the core/v1 Node: its BGP settings live in
annotations and its Calico-only labels in the ``projectcalico.org/labels`` annotation (JSON).

Reading (:func:`calico_node_from_k8s`): the Calico labels are the Kubernetes labels merged over the
Calico-only labels (Kubernetes wins); the Kubernetes labels are stashed in the
``projectcalico.org/kube-labels`` annotation of the Calico view so a write can tell them apart.
Annotation values that do not parse are ignored, as Calico does (with a warning here).

Writing (:func:`bgp_patch_for_k8s_node`): the smallest JSON merge patch (RFC 7386) for the core/v1
Node that gives it the wanted BGP spec and Calico labels. ``bgp=None`` removes all five BGP
annotations (Calico does that when ``spec.bgp`` is nil). Labels that are Kubernetes labels are never
written to the annotation; asking for a different value of such a label is refused, because Calico
would silently ignore it.
"""

from __future__ import annotations

import json

from ..common.errors import FabricError
from .addr import is_cidr_v4, is_cidr_v6, is_ipv4
from .asn import parse_asn
from .fielderrors import format_field_errors
from .gorules import validate_node_bgp
from .gosyntax import is_label_value, is_qualified_name

ANN_PREFIX = "projectcalico.org/"
ANN_IPV4 = "projectcalico.org/IPv4Address"
ANN_IPV6 = "projectcalico.org/IPv6Address"
ANN_ASN = "projectcalico.org/ASNumber"
ANN_RR_CLUSTER_ID = "projectcalico.org/RouteReflectorClusterID"
ANN_IPIP_TUNNEL = "projectcalico.org/IPv4IPIPTunnelAddr"
ANN_VXLAN_TUNNEL = "projectcalico.org/IPv4VXLANTunnelAddr"
ANN_VXLAN_MAC = "projectcalico.org/VXLANTunnelMACAddr"
ANN_VXLAN_TUNNEL_V6 = "projectcalico.org/IPv6VXLANTunnelAddr"
ANN_VXLAN_MAC_V6 = "projectcalico.org/VXLANTunnelMACAddrV6"
ANN_LABELS = "projectcalico.org/labels"
ANN_ANNOTATIONS = "projectcalico.org/annotations"
ANN_KUBE_LABELS = "projectcalico.org/kube-labels"

# spec.bgp field -> annotation, in Calico's order. These five go when spec.bgp is nil.
BGP_ANNOTATIONS = (
    ("ipv4Address", ANN_IPV4),
    ("ipv4IPIPTunnelAddr", ANN_IPIP_TUNNEL),
    ("ipv6Address", ANN_IPV6),
    ("asNumber", ANN_ASN),
    ("routeReflectorClusterID", ANN_RR_CLUSTER_ID),
)
_BGP_FIELDS = dict(BGP_ANNOTATIONS)

_READERS = {
    "ipv4Address": lambda v: v if is_cidr_v4(v) else None,
    "ipv6Address": lambda v: v if is_cidr_v6(v) else None,
    "ipv4IPIPTunnelAddr": lambda v: v if is_ipv4(v) else None,
    "routeReflectorClusterID": lambda v: v if is_ipv4(v) else None,
    "asNumber": parse_asn,
}


def _go_json(value):
    """``json.Marshal`` of a map[string]string: sorted keys, no spaces."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def _json_map(text):
    try:
        value = json.loads(text)
    except (TypeError, ValueError):
        return None
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        return None
    return value


def _str_map(value):
    """Labels/annotations as the API server holds them: a map of strings (anything else is dropped)."""
    if not isinstance(value, dict):
        return {}
    return dict((k, v) for k, v in value.items() if isinstance(k, str) and isinstance(v, str))


def _meta(node):
    meta = node.get("metadata") if isinstance(node, dict) else None
    return meta if isinstance(meta, dict) else {}


def calico_bgp_from_annotations(annotations, warnings=None):
    """The Calico ``spec.bgp`` read from Node annotations; invalid values are left out."""
    bgp = {}
    for field, ann in BGP_ANNOTATIONS:
        raw = _str_map(annotations).get(ann)
        if raw is None or raw == "":
            continue
        try:
            value = _READERS[field](raw)
        except ValueError:
            value = None
        if value is None:
            if warnings is not None:
                warnings.append("ignoring invalid annotation %s=%r" % (ann, raw))
            continue
        bgp[field] = value
    return bgp


def calico_node_from_k8s(node, warnings=None):
    """The ``projectcalico.org/v3`` Node view of a core/v1 Node dict."""
    meta = _meta(node)
    annotations = _str_map(meta.get("annotations"))
    k8s_labels = _str_map(meta.get("labels"))
    labels = {}
    raw_labels = annotations.get(ANN_LABELS)
    if raw_labels:
        parsed = _json_map(raw_labels)
        if parsed is None:
            if warnings is not None:
                warnings.append("ignoring invalid annotation %s=%r" % (ANN_LABELS, raw_labels))
        else:
            labels.update(parsed)
    labels.update(k8s_labels)
    calico_annotations = {}
    raw_annotations = annotations.get(ANN_ANNOTATIONS)
    if raw_annotations:
        parsed = _json_map(raw_annotations)
        if parsed is not None:
            calico_annotations.update(parsed)
        elif warnings is not None:
            warnings.append("ignoring invalid annotation %s=%r" % (ANN_ANNOTATIONS, raw_annotations))
    calico_annotations[ANN_KUBE_LABELS] = _go_json(k8s_labels)
    out_meta = {"name": meta.get("name"), "annotations": calico_annotations}
    for key in ("uid", "resourceVersion", "creationTimestamp"):
        if meta.get(key) is not None:
            out_meta[key] = meta[key]
    if labels:
        out_meta["labels"] = labels
    spec = {}
    bgp = calico_bgp_from_annotations(annotations, warnings)
    if bgp:
        spec["bgp"] = bgp
    for field, ann in (("ipv4VXLANTunnelAddr", ANN_VXLAN_TUNNEL), ("vxlanTunnelMACAddr", ANN_VXLAN_MAC),
                       ("ipv6VXLANTunnelAddr", ANN_VXLAN_TUNNEL_V6), ("vxlanTunnelMACAddrV6", ANN_VXLAN_MAC_V6)):
        if annotations.get(ann):
            spec[field] = annotations[ann]
    return {"apiVersion": "projectcalico.org/v3", "kind": "Node", "metadata": out_meta, "spec": spec}


def calico_labels_from_k8s(node):
    """The labels Calico selectors (nodeSelector, peerSelector) see for this Node."""
    return dict(((calico_node_from_k8s(node).get("metadata") or {}).get("labels")) or {})


def _annotation_value(field, value):
    if field == "asNumber":
        return str(parse_asn(value))
    return str(value)


def _same(field, current, wanted):
    if current is None or wanted is None:
        return current == wanted
    if field == "asNumber":
        try:
            return parse_asn(current) == parse_asn(wanted)
        except ValueError:
            return False
    return current == wanted


def _label_errors(name, labels):
    problems = []
    for key, value in labels.items():
        if not is_qualified_name(key):
            problems.append("label key %r is not a valid qualified name" % (key,))
        if not is_label_value(value):
            problems.append("label %s has an invalid value %r" % (key, value))
    if problems:
        raise FabricError("; ".join(problems), host="Node/%s" % name, field="labels",
                          fix="label keys are [prefix/]name (name at most 63 characters of [A-Za-z0-9._-]), "
                              "values at most 63 such characters, starting and ending alphanumeric")


def bgp_patch_for_k8s_node(node, bgp, calico_labels=None):
    """A JSON merge patch for the core/v1 ``node`` so that Calico reads ``bgp`` and ``calico_labels``.

    ``bgp``: the wanted Calico ``spec.bgp`` (``asNumber``, ``ipv4Address``, ``ipv6Address``,
    ``routeReflectorClusterID``, ``ipv4IPIPTunnelAddr``) -- the whole spec, missing fields are
    removed -- or None to remove every BGP annotation. ``calico_labels``: the wanted label set of
    the Calico Node (as :func:`calico_node_from_k8s` shows it), or None to leave labels alone.

    Returns ``{}`` when nothing changes. Raises FabricError (Calico's wording in the message) for
    an invalid value, before anything is written.
    """
    meta = _meta(node)
    name = meta.get("name")
    annotations = _str_map(meta.get("annotations"))
    changes = {}
    if bgp is not None:
        if not isinstance(bgp, dict):
            raise FabricError("spec.bgp must be a mapping", host="Node/%s" % name, field="bgp",
                              fix="give asNumber, ipv4Address, ipv6Address, routeReflectorClusterID")
        unknown = sorted(k for k in bgp if k not in _BGP_FIELDS)
        if unknown:
            raise FabricError("unknown Node BGP field(s): %s" % ", ".join(unknown), host="Node/%s" % name,
                              field="bgp.%s" % unknown[0],
                              fix="use only %s" % ", ".join(f for f, _a in BGP_ANNOTATIONS))
        wanted = dict((k, v) for k, v in bgp.items() if v is not None and v != "")
        errors = validate_node_bgp(wanted) if wanted else []
        if errors:
            fixes = {"asNumber": "write the AS number as an integer 0..4294967295 or as X.Y",
                     "ipv4Address": "write an IPv4 address or CIDR, e.g. 10.0.0.5/24",
                     "ipv6Address": "write an IPv6 address or CIDR, e.g. fd00::5/64",
                     "routeReflectorClusterID": "the cluster ID is an IPv4 address, e.g. 244.0.0.1",
                     "ipv4IPIPTunnelAddr": "write an IPv4 address"}
            field = errors[0].path.rsplit(".", 1)[-1]
            raise FabricError(format_field_errors("Node", name, errors).rstrip("\n"), host="Node/%s" % name,
                              field="bgp.%s" % field, fix=fixes.get(field, "correct the value"),
                              details={"errors": [e.as_dict() for e in errors]})
        if not wanted:
            bgp = None
    for field, ann in BGP_ANNOTATIONS:
        current = annotations.get(ann)
        value = None if bgp is None else bgp.get(field)
        if value is None or value == "":
            if current is not None:
                changes[ann] = None
            continue
        if not _same(field, current, value):
            changes[ann] = _annotation_value(field, value)
    if calico_labels is not None:
        changes.update(_label_changes(name, meta, annotations, calico_labels))
    if not changes:
        return {}
    return {"metadata": {"annotations": changes}}


def _label_changes(name, meta, annotations, calico_labels):
    if not isinstance(calico_labels, dict):
        raise FabricError("labels must be a mapping", host="Node/%s" % name, field="labels",
                          fix="give labels as key: value")
    labels = dict((k, v) for k, v in calico_labels.items() if v is not None)
    for key, value in labels.items():
        if not isinstance(value, str):
            labels[key] = str(value).lower() if isinstance(value, bool) else str(value)
    _label_errors(name, labels)
    k8s_labels = _str_map(meta.get("labels"))
    shadowed = sorted(k for k in labels if k in k8s_labels and labels[k] != k8s_labels[k])
    if shadowed:
        raise FabricError("label(s) %s are Kubernetes labels of the node with other values; Calico ignores a "
                          "Calico label that a Kubernetes label shadows" % ", ".join(shadowed),
                          host="Node/%s" % name, field="labels.%s" % shadowed[0],
                          fix="change the Kubernetes label (kubectl label node %s %s=%s --overwrite) or use "
                              "another key" % (name, shadowed[0], labels[shadowed[0]]))
    dropped = sorted(k for k in k8s_labels if k not in calico_labels)
    if dropped:
        raise FabricError("label(s) %s are Kubernetes labels of the node and cannot be removed through Calico"
                          % ", ".join(dropped), host="Node/%s" % name, field="labels.%s" % dropped[0],
                          fix="remove them with kubectl label node %s %s-" % (name, dropped[0]))
    calico_only = dict((k, v) for k, v in labels.items() if k not in k8s_labels)
    current_raw = annotations.get(ANN_LABELS)
    current = (_json_map(current_raw) if current_raw else {}) or {}
    # A Calico-only label that a Kubernetes label shadows has no effect; keep it rather than write
    # a patch that changes nothing Calico sees (the patch stays minimal and idempotent).
    for key, value in current.items():
        if key in k8s_labels:
            calico_only[key] = value
    if calico_only:
        if current != calico_only:
            return {ANN_LABELS: _go_json(calico_only)}
    elif current_raw is not None:
        return {ANN_LABELS: None}
    return {}


def apply_merge_patch(target, patch):
    """RFC 7386 applied to a dict (what the server holds after the patch)."""
    if not isinstance(patch, dict):
        return patch
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = apply_merge_patch(result.get(key), value)
    return result
