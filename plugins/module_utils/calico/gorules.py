# -*- coding: utf-8 -*-
# Copyright: kubefabric.bgp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Calico API server's own checks (``projectcalico.org/v3``): decoding into the Go types,
the Go validator tags and struct validators (``libcalico-go/lib/validator/v3``), and the clientv3
checks around them (default-only fields, existing BGPFilters, IPPool overlaps).
"""

from __future__ import annotations

import ipaddress
import json
import re

from .addr import parse_cidr_or_ip, parse_ip, parse_peer_ip
from .asn import ASN_MAX, parse_asn
from .fielderrors import FORBIDDEN, INVALID, TOO_LONG, TYPE_INVALID, k8s_value
from .gosyntax import (LARGE_COMMUNITY, NAME_MESSAGE, NAME_RE, STANDARD_COMMUNITY, is_label_value,
                       is_qualified_name, parse_go_duration, selector_error)
from .schema import DEFAULT_ONLY_GO_NAMES, NODE_BGP_SPEC
from .schemacheck import Ctx, join


def tag_error(ctx, path, go_name, value, tag, fix=None):
    ctx.add(path, value, "Reason: failed to validate Field: %s because of Tag: %s " % (go_name, tag),
            source="go", field=go_name, fix=fix, detail="%s: Invalid value: %s: failed to validate because of Tag: %s"
            % (path, k8s_value(value), tag))


def _go_name(key, spec):
    return spec.go or (key[:1].upper() + key[1:])


def decode_v3(value, spec, path, ctx, go_name):
    """Calico's JSON decoding into the v3 Go types: AS numbers, durations, unsigned ints.

    Returns the decoded value (AS numbers become ints); decode errors go to ``ctx``.
    """
    if value is None:
        return value
    if spec.kind == "object" and isinstance(value, dict) and not spec.preserve_unknown:
        out = dict(value)
        for key, child in spec.props.items():
            if key in out:
                out[key] = decode_v3(out[key], child, join(path, key), ctx, _go_name(key, child))
        return out
    if spec.kind == "array" and isinstance(value, list):
        return [decode_v3(item, spec.items, "%s[%d]" % (path, i), ctx, "%s[%d]" % (go_name, i))
                for i, item in enumerate(value)]
    if spec.asn:
        try:
            return parse_asn(value)
        except ValueError as exc:
            ctx.add(path, value, str(exc), source="decode", field=go_name,
                    detail="%s: Invalid value: %s: %s" % (path, k8s_value(value), exc),
                    fix="write the AS number as an integer 0..%d or as X.Y (each 0..65535)" % ASN_MAX)
            return value
    if spec.duration and isinstance(value, str):
        try:
            parse_go_duration(value)
        except ValueError as exc:
            ctx.add(path, value, str(exc), source="decode", field=go_name,
                    detail="%s: Invalid value: %s: %s" % (path, k8s_value(value), exc),
                    fix="write a Go duration such as 120s, 2m or 1h30m")
    if spec.go_uint and isinstance(value, int) and not isinstance(value, bool) and not 0 <= value < (1 << spec.go_uint):
        message = "json: cannot unmarshal number %d into Go struct field of type uint%d" % (value, spec.go_uint)
        ctx.add(path, value, message, source="decode", field=go_name,
                detail="%s: Invalid value: %d: %s" % (path, value, message),
                fix="use a value from 0 to %d" % ((1 << spec.go_uint) - 1))
    return value


def go_tags(value, spec, path, ctx, go_name):
    if value is None:
        return
    if spec.kind == "object" and isinstance(value, dict) and not spec.preserve_unknown:
        for key, child in spec.props.items():
            if child.go_required and value.get(key) in (None, "", []):
                tag_error(ctx, join(path, key), _go_name(key, child), value.get(key) or "", "required",
                          fix="set %s" % join(path, key))
            elif key in value:
                go_tags(value[key], child, join(path, key), ctx, _go_name(key, child))
        return
    if spec.kind == "array" and isinstance(value, list):
        for tag, check in spec.go_checks:  # "dive" checks on a list of strings
            for index, item in enumerate(value):
                if isinstance(item, str) and item != "" and not check(item):
                    tag_error(ctx, "%s[%d]" % (path, index), "%s[%d]" % (go_name, index), item, tag)
        for index, item in enumerate(value):
            go_tags(item, spec.items, "%s[%d]" % (path, index), ctx, "%s[%d]" % (go_name, index))
        return
    if spec.kind == "array":
        return
    for tag, check in spec.go_checks:
        if isinstance(value, str) and value != "" and not check(value):
            fix = None
            if tag == "selector":
                fix = "fix the selector syntax: %s" % (selector_error(value) or "")
            elif tag == "IP:port":
                fix = 'write "<IP>", "<IPv4>:<port>" or "[<IPv6>]:<port>" with a port from 1 to 65535'
            elif tag == "name":
                fix = "use a lower-case DNS-1123 name"
            tag_error(ctx, path, go_name, value, tag, fix)


ANNOTATIONS_MAX_BYTES = 256 * 1024  # Kubernetes' total size limit of an object's annotations


def _go_annotations(annotations, ctx):
    """Kubernetes' annotation checks, which Calico's validator runs on the metadata too."""
    if not isinstance(annotations, dict):
        return
    for key in annotations:
        if not is_qualified_name(str(key).lower()):
            ctx.add("metadata.annotations", key, "name part must consist of alphanumeric characters, '-', '_' or "
                    "'.', and must start and end with an alphanumeric character", source="go",
                    field="Metadata.Annotations (key)", fix="use a key of the form [prefix/]name")
    size = sum(len(str(k)) + len(str(v)) for k, v in annotations.items())
    if size > ANNOTATIONS_MAX_BYTES:
        ctx.add("metadata.annotations", None, "annotations size %d is larger than the limit of %d bytes"
                % (size, ANNOTATIONS_MAX_BYTES), TOO_LONG, source="go", field="Metadata.Annotations (size)",
                fix="keep the annotations under %d bytes in all" % ANNOTATIONS_MAX_BYTES)


def go_object_meta(obj, ctx):
    meta = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
    name = meta.get("name")
    if isinstance(name, str):
        if len(name) > 253:
            ctx.add("metadata.name", name, "name is too long by %d bytes" % (len(name) - 253), source="go",
                    field="Metadata.Name", fix="use at most 253 characters")
        if not NAME_RE.match(name):
            ctx.add("metadata.name", name, NAME_MESSAGE, source="go", field="Metadata.Name",
                    fix="use lower-case letters, digits, '-' and '.', starting and ending with a letter or digit")
    _go_annotations(meta.get("annotations"), ctx)
    for key, val in (meta.get("labels") or {}).items():
        if not is_qualified_name(key):
            ctx.add("metadata.labels", key, "name part must consist of alphanumeric characters, '-', '_' or '.', "
                    "and must start and end with an alphanumeric character", source="go",
                    field="Metadata.Labels (label)")
        if not is_label_value(val):
            ctx.add("metadata.labels", val, "a valid label must be an empty string or consist of alphanumeric "
                    "characters, '-', '_' or '.', and must start and end with an alphanumeric character",
                    source="go", field="Metadata.Labels (value)")


def _go_bgppeer(spec, ctx):
    reach, peer = spec.get("reachableBy"), spec.get("peerIP")
    if isinstance(reach, str) and reach and isinstance(peer, str) and peer:
        reach_ip = parse_ip(reach)
        if reach_ip is None:
            ctx.add("spec.reachableBy", reach, "ReachableBy is invalid address", source="go", field="ReachableBy")
            return
        try:
            peer_ip, _port = parse_peer_ip(peer)
        except ValueError:
            ctx.add("spec.peerIP", peer, "PeerIP is invalid address", source="go", field="PeerIP")
            return
        if parse_ip(peer_ip).version != reach_ip.version:
            ctx.add("spec.reachableBy", reach, "ReachableBy and PeerIP address family mismatched", source="go",
                    field="ReachableBy", fix="use a gateway address of the same family as peerIP")


def _community_errors(value, field, ctx, path):
    """Calico's isValidCommunity + validateCommunityValue; returns False when the format is wrong."""
    if STANDARD_COMMUNITY.match(value):
        bits = 16
    elif LARGE_COMMUNITY.match(value):
        bits = 32
    else:
        return False
    for part in re.findall(r"[0-9]+", value):
        if int(part) >= (1 << bits):
            ctx.add(path, value, "invalid community value, expected %d bit value" % bits, source="go", field=field,
                    fix="standard communities are aa:nn with 16-bit parts, large ones aa:nn:mm with 32-bit parts")
    return True


def _go_bgpconfig(spec, ctx):
    communities = spec.get("communities") or []
    for index, community in enumerate(communities):
        value = community.get("value") if isinstance(community, dict) else None
        if not isinstance(value, str):
            continue
        if not _community_errors(value, "Spec.Communities[].Value", ctx, "spec.communities[%d].value" % index):
            ctx.add("spec.communities[%d].value" % index, value, "invalid community value or format used.",
                    source="go", field="Spec.Communities[].Value", fix="write aa:nn or aa:nn:mm")
    adverts = spec.get("prefixAdvertisements") or []
    if not adverts and communities:
        ctx.add("spec.communities", communities, "communities are defined but not used in Spec.PrefixAdvertisement[].",
                source="go", field="Spec.Communities[]")
    names = [c.get("name") for c in communities if isinstance(c, dict)]
    for index, advert in enumerate(adverts):
        if not isinstance(advert, dict):
            continue
        cidr = advert.get("cidr")
        if isinstance(cidr, str):
            try:
                parse_cidr_or_ip(cidr)
            except ValueError:
                ctx.add("spec.prefixAdvertisements[%d].cidr" % index, cidr, "invalid CIDR value.", source="go",
                        field="Spec.PrefixAdvertisement[].CIDR")
        for cindex, value in enumerate(advert.get("communities") or []):
            if not isinstance(value, str):
                continue
            path = "spec.prefixAdvertisements[%d].communities[%d]" % (index, cindex)
            if not _community_errors(value, "Spec.PrefixAdvertisement[].Communities[]", ctx, path) \
                    and value not in names:
                ctx.add(path, value, "community used is invalid or not defined.", source="go",
                        field="Spec.PrefixAdvertisement[].Communities[]",
                        fix="use aa:nn, aa:nn:mm or the name of an entry in spec.communities")


def _go_ippool(spec, ctx):
    cidr = spec.get("cidr")
    if cidr == "" or cidr is None:
        ctx.add("spec.cidr", cidr or "", "IPPool CIDR must be specified", source="go", field="IPpool.CIDR")
    try:
        ip, net = parse_cidr_or_ip(cidr)
    except ValueError:
        ctx.add("spec.cidr", cidr, "IPPool CIDR must be a valid subnet", source="go", field="IPpool.CIDR",
                fix="write a CIDR such as 10.244.0.0/16")
        return
    block = spec.get("blockSize") or (26 if ip.version == 4 else 122)
    if not spec.get("disabled") and isinstance(block, int) and net.prefixlen > block:
        ctx.add("spec.cidr", cidr, "IP pool size is too small for use with Calico IPAM. It must be equal to or "
                "greater than the block size.", source="go", field="IPpool.CIDR")
    if net.network_address != ip:
        ctx.add("spec.cidr", cidr, "IP pool CIDR is not strictly masked", source="go", field="IPpool.CIDR",
                fix="use %s" % net)
    if ip.version == 4 and net.overlaps(ipaddress.ip_network("169.254.0.0/16")):
        ctx.add("spec.cidr", cidr, "IP pool range overlaps with IPv4 Link Local range 169.254.0.0/16", source="go",
                field="IPpool.CIDR")
    if ip.version == 6 and net.overlaps(ipaddress.ip_network("fe80::/10")):
        ctx.add("spec.cidr", cidr, "IP pool range overlaps with IPv6 Link Local range fe80::/10", source="go",
                field="IPpool.CIDR")


def _go_nodestatus(spec, ctx):
    if not spec.get("node"):
        ctx.add("spec.node", None, "Reason: failed to validate Field: Node because of Tag: required ", source="go",
                field="Node", fix="set spec.node to the node's name")
    if spec.get("updatePeriodSeconds") is None:
        ctx.add("spec.updatePeriodSeconds", None,
                "Reason: failed to validate Field: UpdatePeriodSeconds because of Tag: required ", source="go",
                field="UpdatePeriodSeconds", fix="set updatePeriodSeconds (0 disables refresh)")
    elif isinstance(spec["updatePeriodSeconds"], int) and spec["updatePeriodSeconds"] > 86400:
        ctx.add("spec.updatePeriodSeconds", spec["updatePeriodSeconds"],
                "Reason: failed to validate Field: UpdatePeriodSeconds because of Tag: lte ", source="go",
                field="UpdatePeriodSeconds", fix="use at most 86400 seconds")


def _go_bgpfilter(spec, ctx):
    for section, bits in (("exportV4", 32), ("importV4", 32), ("exportV6", 128), ("importV6", 128)):
        for index, rule in enumerate(spec.get(section) or []):
            if not isinstance(rule, dict):
                continue
            plen = rule.get("prefixLength")
            if isinstance(plen, dict):
                for key in ("min", "max"):
                    val = plen.get(key)
                    if isinstance(val, int) and not 0 <= val <= bits:
                        tag_error(ctx, "spec.%s[%d].prefixLength.%s" % (section, index, key),
                                  key[:1].upper() + key[1:], val, "bgpFilterPrefixLengthV%d" % (4 if bits == 32 else 6))


GO_KIND_CHECKS = {"BGPPeer": _go_bgppeer, "BGPConfiguration": _go_bgpconfig, "IPPool": _go_ippool,
                  "CalicoNodeStatus": _go_nodestatus, "BGPFilter": _go_bgpfilter}


def clientv3_checks(obj, spec, ctx, context):
    kind = obj.get("kind")
    name = (obj.get("metadata") or {}).get("name")
    if kind == "BGPConfiguration" and name != "default":
        for key, (go, text) in DEFAULT_ONLY_GO_NAMES.items():
            val = spec.get(key)
            if val is None or (isinstance(val, list) and not val):
                continue
            ctx.add("spec." + key, None, "Cannot set %s on a non default BGP Configuration." % text,
                    FORBIDDEN, "clientv3", field="BGPConfiguration.Spec." + go,
                    detail="spec.%s: Forbidden: Cannot set %s on a non default BGP Configuration." % (key, text),
                    fix="set %s in the BGPConfiguration named default, or remove it from %s" % (key, name))
    if kind == "BGPPeer" and context is not None and context.get("bgpfilters") is not None:
        known = set(context["bgpfilters"])
        missing = [f for f in spec.get("filters") or [] if f not in known]
        if missing:
            ctx.add("spec.filters", None, "BGPFilter(s) not found", INVALID, "clientv3", field="BGPPeer.Spec.Filters",
                    detail="spec.filters: Not found: %s" % json.dumps(missing),
                    fix="create BGPFilter %s first, or remove it from filters" % ", ".join(missing))
    if kind == "IPPool" and context is not None and context.get("ippools"):
        try:
            _ip, net = parse_cidr_or_ip(spec.get("cidr"))
        except ValueError:
            return
        for other_name, other_cidr in sorted(context["ippools"].items()):
            if other_name == name:
                continue
            try:
                _oip, other = parse_cidr_or_ip(other_cidr)
            except ValueError:
                continue
            if other.version == net.version and other.overlaps(net):
                ctx.add("spec.cidr", None, "IPPool(%s) CIDR overlaps with IPPool(%s) CIDR %s" % (name, other_name,
                                                                                                 other_cidr),
                        INVALID, "clientv3", field="IPPool.Spec.CIDR",
                        fix="choose a CIDR that does not overlap IPPool %s (%s)" % (other_name, other_cidr))


def validate_node_bgp(bgp):
    """Calico's checks of a Node's ``spec.bgp`` (v3 shape); a list of :class:`FieldError`."""
    ctx = Ctx(True, False)
    if not isinstance(bgp, dict):
        ctx.add("spec.bgp", bgp, "must be of type object", TYPE_INVALID, "go", field="BGP")
        return ctx.errors
    if not any(v not in (None, "", 0) for v in bgp.values()):
        ctx.add("spec.bgp", None, "Spec.BGP should not be empty", source="go", field="BGP",
                fix="give at least one of asNumber, ipv4Address, ipv6Address, routeReflectorClusterID")
        return ctx.errors
    decoded = decode_v3(bgp, NODE_BGP_SPEC, "spec.bgp", ctx, "BGP")
    go_tags(decoded, NODE_BGP_SPEC, "spec.bgp", ctx, "BGP")
    for key, value in bgp.items():
        if key in NODE_BGP_SPEC.props and NODE_BGP_SPEC.props[key].kind == "string" and value is not None \
                and not isinstance(value, str):
            ctx.add("spec.bgp." + key, value, "must be of type string", TYPE_INVALID, "decode",
                    field=_go_name(key, NODE_BGP_SPEC.props[key]))
    return ctx.errors


def validate_node(obj):
    """A ``projectcalico.org/v3`` Node (the Calico view of a Kubernetes Node): name, labels, spec.bgp."""
    ctx = Ctx(True, False)
    go_object_meta(obj, ctx)
    spec = obj.get("spec")
    if spec is not None and not isinstance(spec, dict):
        ctx.add("spec", spec, "must be of type object", TYPE_INVALID, "decode", field="Spec")
    elif spec and spec.get("bgp") is not None:
        ctx.errors.extend(validate_node_bgp(spec["bgp"]))
    return ctx.errors
