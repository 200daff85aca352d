# -*- coding: utf-8 -*-
# Copyright: kubefabric.bgp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The declarative schema of the Calico kinds: field types, enums, patterns, bounds, defaults, the
CRDs' CEL rules (written in Python) and the Go validator tags attached to each field.
"""

from __future__ import annotations

from .addr import is_ipv4, is_ipv6, parse_ip
from .fielderrors import FORBIDDEN, INVALID
from .gosyntax import (BGPFILTER_INTERFACE_RE, IGNORED_INTERFACE_RE, Cidr, cidrv_check, go_regex,
                       name_check, net_check, netv_check, peer_ip_check, selector_check)

GROUP_V1 = "crd.projectcalico.org/v1"
GROUP_V3 = "projectcalico.org/v3"
GROUPS = (GROUP_V1, GROUP_V3)

MISSING = object()


class Rule:
    """A cross-field rule of a CRD (``x-kubernetes-validations``), written in Python.

    ``check(self, old)`` returns True when the object is valid; ``rule`` keeps the CEL text for
    reference; ``transition`` rules (using ``oldSelf``) are evaluated only on update.
    """

    def __init__(self, message, check, rule, reason=INVALID, transition=False, fix=None):
        self.message = message
        self.check = check
        self.rule = rule
        self.reason = reason
        self.transition = transition
        self.fix = fix


class Field:
    """One schema node. ``kind`` is string / integer / boolean / array / object."""

    def __init__(self, kind, *, enum=None, pattern=None, max_length=None, min_length=None, fmt=None,
                 minimum=None, maximum=None, items=None, max_items=None, min_items=None, list_type=None,
                 map_keys=None, props=None, required=(), min_props=None, max_props=None, default=MISSING,
                 nullable=False, rules=(), go=None, go_checks=(), asn=False, duration=False, go_uint=None,
                 default_only=False, preserve_unknown=False, map_type=None, go_required=False):
        self.kind = kind
        self.enum = enum
        self.pattern = pattern
        self.regex = go_regex(pattern) if pattern else None
        self.max_length = max_length
        self.min_length = min_length
        self.fmt = fmt
        self.minimum = minimum
        self.maximum = maximum
        self.items = items
        self.max_items = max_items
        self.min_items = min_items
        self.list_type = list_type
        self.map_keys = map_keys
        self.props = props or {}
        self.required = tuple(required)
        self.min_props = min_props
        self.max_props = max_props
        self.default = default
        self.nullable = nullable
        self.rules = tuple(rules)
        self.go = go                      # Go struct field name, when it differs from the JSON name
        self.go_checks = tuple(go_checks)  # (tag, predicate) pairs of the Go validator (v3 server)
        self.asn = asn                    # numorstring.ASNumber in the v3 Go type
        self.duration = duration          # metav1.Duration in the v3 Go type
        self.go_uint = go_uint            # bits of an unsigned Go integer type (v3 decode)
        self.default_only = default_only  # BGPConfiguration: only on "default" (clientv3)
        self.preserve_unknown = preserve_unknown
        self.map_type = map_type
        self.go_required = go_required    # the Go struct tag ``required``: absent or empty is refused


def Str(**kw):
    return Field("string", **kw)


def Int(**kw):
    return Field("integer", **kw)


def Bool(**kw):
    return Field("boolean", **kw)


def List(items, **kw):
    return Field("array", items=items, **kw)


def Obj(props=None, **kw):
    return Field("object", props=props, **kw)


def _has(obj, key):
    """CEL ``has(self.key)`` (null counts as absent: Kubernetes prunes nulls first)."""
    return isinstance(obj, dict) and obj.get(key) is not None


def _set(obj, key):
    """``has(self.key) && size(self.key) > 0`` for strings and lists."""
    return _has(obj, key) and len(obj[key]) > 0


def _secret_ref():
    return Obj({"secretKeyRef": Obj({"key": Str(), "name": Str(default=""), "optional": Bool()}, required=("key",))})


COMMUNITY_VALUE_PATTERN = (
    "^(([0-9]|[1-9][0-9]{1,3}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5]):"
    "([0-9]|[1-9][0-9]{1,3}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5])|"
    "([0-9]|[1-9][0-9]{1,8}|[1-3][0-9]{9}|4[0-1][0-9]{8}|42[0-8][0-9]{7}|429[0-3][0-9]{6}|4294[0-8][0-9]{5}"
    "|42949[0-5][0-9]{4}|429496[0-6][0-9]{3}|4294967[0-1][0-9]{2}|42949672[0-8][0-9]|429496729[0-5]):"
    "([0-9]|[1-9][0-9]{1,8}|[1-3][0-9]{9}|4[0-1][0-9]{8}|42[0-8][0-9]{7}|429[0-3][0-9]{6}|4294[0-8][0-9]{5}"
    "|42949[0-5][0-9]{4}|429496[0-6][0-9]{3}|4294967[0-1][0-9]{2}|42949672[0-8][0-9]|429496729[0-5]):"
    "([0-9]|[1-9][0-9]{1,8}|[1-3][0-9]{9}|4[0-1][0-9]{8}|42[0-8][0-9]{7}|429[0-3][0-9]{6}|4294[0-8][0-9]{5}"
    "|42949[0-5][0-9]{4}|429496[0-6][0-9]{3}|4294967[0-1][0-9]{2}|42949672[0-8][0-9]|429496729[0-5]))$")


# --- BGPPeer --------------------------------------------------------------------------------

BGPPEER_RULES = (
    Rule("node and nodeSelector cannot both be set",
         lambda s, o: not _set(s, "node") or not _set(s, "nodeSelector"),
         "(!has(self.node) || size(self.node) == 0) || (!has(self.nodeSelector) || size(self.nodeSelector) == 0)",
         FORBIDDEN, fix="set either node (one node) or nodeSelector (a label selector), not both"),
    Rule("peerIP and peerSelector cannot both be set",
         lambda s, o: not _set(s, "peerIP") or not _set(s, "peerSelector"),
         "(!has(self.peerIP) || size(self.peerIP) == 0) || (!has(self.peerSelector) || size(self.peerSelector) == 0)",
         FORBIDDEN, fix="peer with an address (peerIP + asNumber) or with Calico nodes (peerSelector), not both"),
    Rule("asNumber must be empty when peerSelector is set",
         lambda s, o: not _set(s, "peerSelector") or not _has(s, "asNumber") or s["asNumber"] == 0,
         "(!has(self.peerSelector) || size(self.peerSelector) == 0) || !has(self.asNumber) || self.asNumber == 0",
         FORBIDDEN, fix="remove asNumber: with peerSelector the remote AS is each selected node's own AS"),
    Rule("peerIP must be empty when localWorkloadSelector is set",
         lambda s, o: not _set(s, "localWorkloadSelector") or not _set(s, "peerIP"),
         "(!has(self.localWorkloadSelector) || size(self.localWorkloadSelector) == 0) || "
         "(!has(self.peerIP) || size(self.peerIP) == 0)",
         FORBIDDEN, fix="remove peerIP when peering with local workloads"),
    Rule("peerSelector must be empty when localWorkloadSelector is set",
         lambda s, o: not _set(s, "localWorkloadSelector") or not _set(s, "peerSelector"),
         "(!has(self.localWorkloadSelector) || size(self.localWorkloadSelector) == 0) || "
         "(!has(self.peerSelector) || size(self.peerSelector) == 0)",
         FORBIDDEN, fix="remove peerSelector when peering with local workloads"),
    Rule("asNumber is required when localWorkloadSelector is set",
         lambda s, o: not _set(s, "localWorkloadSelector") or (_has(s, "asNumber") and s["asNumber"] != 0),
         "(!has(self.localWorkloadSelector) || size(self.localWorkloadSelector) == 0) || "
         "(has(self.asNumber) && self.asNumber != 0)",
         INVALID, fix="set asNumber to the workloads' AS number"),
    Rule("reachableBy must be empty when peerIP is empty",
         lambda s, o: not _set(s, "reachableBy") or _set(s, "peerIP"),
         "!has(self.reachableBy) || size(self.reachableBy) == 0 || (has(self.peerIP) && size(self.peerIP) > 0)",
         FORBIDDEN, fix="set peerIP, or remove reachableBy"),
    Rule("keepOriginalNextHop and nextHopMode cannot both be set; keepOriginalNextHop is deprecated, "
         "use nextHopMode instead",
         lambda s, o: not _has(s, "keepOriginalNextHop") or not s["keepOriginalNextHop"] or not _has(s, "nextHopMode"),
         "!has(self.keepOriginalNextHop) || !self.keepOriginalNextHop || !has(self.nextHopMode)",
         FORBIDDEN, fix="remove keepOriginalNextHop and use nextHopMode: Keep"),
)

BGPPEER_SPEC = Obj({
    "asNumber": Int(fmt="int32", asn=True, go="ASNumber"),
    "filters": List(Str(), list_type="atomic", go_checks=(("name", name_check),)),
    "keepOriginalNextHop": Bool(),
    "keepaliveTime": Str(duration=True),
    "localASNumber": Int(fmt="int32", asn=True, go="LocalASNumber"),
    "localWorkloadSelector": Str(max_length=1024, go_checks=(("selector", selector_check),)),
    "maxRestartTime": Str(duration=True),
    "nextHopMode": Str(enum=("Auto", "Self", "Keep")),
    "node": Str(max_length=253, go_checks=(("name", name_check),)),
    "nodeSelector": Str(max_length=1024, go_checks=(("selector", selector_check),)),
    "numAllowedLocalASNumbers": Int(fmt="int32"),
    "password": _secret_ref(),
    "peerIP": Str(max_length=64, go="PeerIP", go_checks=(("IP:port", peer_ip_check),)),
    "peerSelector": Str(max_length=1024, go_checks=(("selector", selector_check),)),
    "reachableBy": Str(max_length=64, go_checks=(("reachableBy", lambda v: parse_ip(v) is not None),)),
    "reversePeering": Str(enum=("Auto", "Manual")),
    "sourceAddress": Str(enum=("UseNodeIP", "None")),
    "ttlSecurity": Int(go="TTLSecurity", go_uint=8),
}, rules=BGPPEER_RULES)

# --- BGPConfiguration -------------------------------------------------------------------------

BGPCONFIG_RULES = (
    Rule("nodeMeshPassword cannot be set when nodeToNodeMeshEnabled is false",
         lambda s, o: not _has(s, "nodeMeshPassword") or not _has(s, "nodeToNodeMeshEnabled")
         or s["nodeToNodeMeshEnabled"] is True,
         "!has(self.nodeMeshPassword) || !has(self.nodeToNodeMeshEnabled) || self.nodeToNodeMeshEnabled == true",
         FORBIDDEN, fix="remove nodeMeshPassword, or enable the node-to-node mesh"),
    Rule("nodeMeshMaxRestartTime cannot be set when nodeToNodeMeshEnabled is false",
         lambda s, o: not _has(s, "nodeMeshMaxRestartTime") or not _has(s, "nodeToNodeMeshEnabled")
         or s["nodeToNodeMeshEnabled"] is True,
         "!has(self.nodeMeshMaxRestartTime) || !has(self.nodeToNodeMeshEnabled) || self.nodeToNodeMeshEnabled == true",
         FORBIDDEN, fix="remove nodeMeshMaxRestartTime, or enable the node-to-node mesh"),
    Rule("communities are defined but not used in prefixAdvertisements",
         lambda s, o: not _set(s, "communities") or _set(s, "prefixAdvertisements"),
         "!has(self.communities) || size(self.communities) == 0 || "
         "(has(self.prefixAdvertisements) && size(self.prefixAdvertisements) > 0)",
         INVALID, fix="add prefixAdvertisements that use the communities, or remove the communities"),
)


def _cidr_block(go_checks=(("net", net_check),)):
    return List(Obj({"cidr": Str(fmt="cidr", go="CIDR", go_checks=go_checks)}, map_type="atomic"), list_type="atomic")


BGPCONFIG_SPEC = Obj({
    "asNumber": Int(fmt="int32", asn=True, go="ASNumber", default_only=True),
    "bindMode": Str(enum=("None", "NodeIP")),
    "communities": List(
        Obj({"name": Str(max_length=253, go_checks=(("name", name_check),), go_required=True),
             "value": Str(max_length=40, pattern=r"^(\d+):(\d+)$|^(\d+):(\d+):(\d+)$", go_required=True)}),
        max_items=500, list_type="atomic"),
    "ignoredInterfaces": List(
        Str(go_checks=(("ignoredInterface", lambda v: v != "*" and bool(IGNORED_INTERFACE_RE.match(v))),)),
        list_type="set"),
    "ipv4NormalRoutePriority": Int(minimum=1, maximum=2147483646),
    "ipv6NormalRoutePriority": Int(minimum=1, maximum=2147483646),
    "listenPort": Int(minimum=1, maximum=65535, go_uint=16),
    "localWorkloadPeeringIPV4": Str(go="LocalWorkloadPeeringIPV4", go_checks=(("ipv4", is_ipv4),)),
    "localWorkloadPeeringIPV6": Str(go="LocalWorkloadPeeringIPV6", go_checks=(("ipv6", is_ipv6),)),
    "logSeverityScreen": Str(default="Info", pattern=r"^(?i)(Trace|Debug|Info|Warning|Error|Fatal)?$"),
    "nodeMeshMaxRestartTime": Str(duration=True, default_only=True),
    "nodeMeshPassword": _secret_ref(),
    "nodeToNodeMeshEnabled": Bool(default_only=True),
    "prefixAdvertisements": List(
        Obj({"cidr": Str(fmt="cidr", go="CIDR", go_required=True),
             "communities": List(Str(), max_items=50, list_type="atomic", go_required=True)}),
        max_items=500, list_type="atomic"),
    "programClusterRoutes": Str(enum=("Enabled", "Disabled", "EnabledIPIPOnly", "EnabledNoEncapOnly")),
    "serviceClusterIPs": _cidr_block(),
    "serviceExternalIPs": _cidr_block(),
    "serviceLoadBalancerAggregation": Str(default="Enabled", enum=("Enabled", "Disabled")),
    "serviceLoadBalancerIPs": _cidr_block(),
}, rules=BGPCONFIG_RULES)
BGPCONFIG_SPEC.props["nodeMeshPassword"].default_only = True
BGPCONFIG_SPEC.props["serviceClusterIPs"].default_only = True
BGPCONFIG_SPEC.props["serviceExternalIPs"].default_only = True
BGPCONFIG_SPEC.props["serviceLoadBalancerIPs"].default_only = True

# Calico's clientv3 names the default-only fields this way in its errors.
DEFAULT_ONLY_GO_NAMES = {
    "nodeToNodeMeshEnabled": ("NodeToNodeMeshEnabled", "nodeToNodeMeshEnabled"),
    "asNumber": ("ASNumber", "ASNumber"),
    "serviceLoadBalancerIPs": ("ServiceLoadBalancerIPs", "ServiceLoadBalancerIPs"),
    "serviceExternalIPs": ("ServiceExternalIPs", "ServiceExternalIPs"),
    "serviceClusterIPs": ("ServiceClusterIPs", "ServiceClusterIPs"),
    "nodeMeshPassword": ("NodeMeshPassword", "NodeMeshPassword"),
    "nodeMeshMaxRestartTime": ("NodeMeshMaxRestartTime", "NodeMeshMaxRestartTime"),
}

# --- CalicoNodeStatus -------------------------------------------------------------------------

_BIRD_STATUS = Obj({
    "lastBootTime": Str(), "lastReconfigurationTime": Str(), "routerID": Str(),
    "state": Str(enum=("Ready", "NotReady")), "version": Str()})
_PEER_STATUS = Obj({
    "peerIP": Str(go_checks=(("ip", lambda v: parse_ip(v) is not None),)), "since": Str(),
    "state": Str(enum=("Idle", "Connect", "Active", "OpenSent", "OpenConfirm", "Established", "Close")),
    "type": Str(enum=("NodeMesh", "NodePeer", "GlobalPeer"))})
_ROUTE_STATUS = Obj({
    "destination": Str(), "gateway": Str(), "interface": Str(),
    "learnedFrom": Obj({"peerIP": Str(),
                        "sourceType": Str(enum=("Kernel", "Static", "Direct", "NodeMesh", "BGPPeer"))}),
    "type": Str(enum=("FIB", "RIB"))})

NODESTATUS_SPEC = Obj({
    "classes": List(Str(enum=("Agent", "BGP", "Routes")), list_type="set"),
    "node": Str(go_checks=(("name", name_check),)),
    "updatePeriodSeconds": Int(fmt="int32", go_uint=32),
})
NODESTATUS_STATUS = Obj({
    "agent": Obj({"birdV4": _BIRD_STATUS, "birdV6": _BIRD_STATUS}),
    "bgp": Obj({"numberEstablishedV4": Int(), "numberEstablishedV6": Int(), "numberNotEstablishedV4": Int(),
                "numberNotEstablishedV6": Int(), "peersV4": List(_PEER_STATUS, list_type="atomic"),
                "peersV6": List(_PEER_STATUS, list_type="atomic")},
               required=("numberEstablishedV4", "numberEstablishedV6", "numberNotEstablishedV4",
                         "numberNotEstablishedV6")),
    "lastUpdated": Str(fmt="date-time", nullable=True),
    "routes": Obj({"routesV4": List(_ROUTE_STATUS, list_type="atomic"), "routesV6": List(_ROUTE_STATUS, list_type="atomic")}),
})

# --- IPPool -----------------------------------------------------------------------------------


def _lb(s):
    return "LoadBalancer" in (s.get("allowedUses") or [])


def _mode_on(s, key):
    return _has(s, key) and s[key] != "" and s[key] != "Never"


def _cidr_of(s):
    return Cidr(s.get("cidr"))


def _block_size_ok(s):
    if not _has(s, "blockSize") or s["blockSize"] == 0:
        return True
    if _cidr_of(s).family == 4:
        return 20 <= s["blockSize"] <= 32
    return 116 <= s["blockSize"] <= 128


def _pool_size_ok(s):
    if _has(s, "disabled") and s["disabled"]:
        return True
    cidr = _cidr_of(s)
    if _has(s, "blockSize") and s["blockSize"] != 0:
        block = s["blockSize"]
    else:
        block = 26 if cidr.family == 4 else 122
    return cidr.prefix_length <= block


IPPOOL_RULES = (
    Rule("ipipMode and vxlanMode cannot both be enabled",
         lambda s, o: not _mode_on(s, "ipipMode") or not _mode_on(s, "vxlanMode"),
         "!has(self.ipipMode) || !has(self.vxlanMode) || self.ipipMode == 'Never' || self.vxlanMode == 'Never' || "
         "size(self.ipipMode) == 0 || size(self.vxlanMode) == 0", FORBIDDEN,
         fix="choose one encapsulation: set ipipMode or vxlanMode to Never"),
    Rule("LoadBalancer IP pool cannot have IPIP or VXLAN enabled",
         lambda s, o: not _lb(s) or (not _mode_on(s, "ipipMode") and not _mode_on(s, "vxlanMode")),
         "!has(self.allowedUses) || !self.allowedUses.exists(u, u == 'LoadBalancer') || ...", FORBIDDEN,
         fix="set ipipMode and vxlanMode to Never on a LoadBalancer pool"),
    Rule("LoadBalancer cannot be combined with Workload or Tunnel allowed uses",
         lambda s, o: not _lb(s) or not ({"Workload", "Tunnel"} & set(s.get("allowedUses") or [])),
         "!has(self.allowedUses) || !self.allowedUses.exists(u, u == 'LoadBalancer') || "
         "!self.allowedUses.exists(u, u == 'Workload' || u == 'Tunnel')", FORBIDDEN,
         fix="use a separate pool for LoadBalancer addresses"),
    Rule("IPIP is not supported on IPv6 pools",
         lambda s, o: not _mode_on(s, "ipipMode") or _cidr_of(s).family != 6,  # CEL's || absorbs errors
         "cidr(self.cidr).ip().family() != 6 || !has(self.ipipMode) || self.ipipMode == 'Never' || "
         "size(self.ipipMode) == 0", FORBIDDEN, fix="set ipipMode: Never on an IPv6 pool"),
    Rule("LoadBalancer IP pools cannot disable BGP export",
         lambda s, o: not _lb(s) or not _has(s, "disableBGPExport") or not s["disableBGPExport"],
         "!has(self.allowedUses) || !self.allowedUses.exists(u, u == 'LoadBalancer') || "
         "!has(self.disableBGPExport) || !self.disableBGPExport", FORBIDDEN, fix="remove disableBGPExport"),
    Rule("IP Pool with AllowedUse LoadBalancer must have nodeSelector set to all()",
         lambda s, o: not _lb(s) or s.get("nodeSelector") == "all()",
         "!has(self.allowedUses) || !self.allowedUses.exists(u, u == 'LoadBalancer') || "
         "self.nodeSelector == 'all()'", INVALID, fix="set nodeSelector: all()"),
    Rule("IP Pool with AllowedUse Tunnel cannot have namespaceSelector",
         lambda s, o: "Tunnel" not in (s.get("allowedUses") or []) or not _set(s, "namespaceSelector"),
         "!has(self.allowedUses) || !self.allowedUses.exists(u, u == 'Tunnel') || !has(self.namespaceSelector) || "
         "size(self.namespaceSelector) == 0", FORBIDDEN, fix="remove namespaceSelector or the Tunnel use"),
    Rule("global() selector is not valid for IPPool nodeSelector",
         lambda s, o: not _has(s, "nodeSelector") or "global(" not in s["nodeSelector"],
         "!has(self.nodeSelector) || !self.nodeSelector.contains('global(')", INVALID),
    Rule("global() selector is not valid for IPPool namespaceSelector",
         lambda s, o: not _has(s, "namespaceSelector") or "global(" not in s["namespaceSelector"],
         "!has(self.namespaceSelector) || !self.namespaceSelector.contains('global(')", INVALID),
    Rule("IPPool CIDR must be strictly masked",
         lambda s, o: _cidr_of(s).masked(),
         "cidr(self.cidr) == cidr(self.cidr).masked()", INVALID, fix="use the network address, e.g. 10.244.0.0/16"),
    Rule("IPPool CIDR overlaps with IPv4 link local range 169.254.0.0/16",
         lambda s, o: not Cidr("169.254.0.0/16").contains_ip(str(_cidr_of(s).ip))
         and not _cidr_of(s).contains_ip("169.254.0.0"),
         "!cidr('169.254.0.0/16').containsIP(cidr(self.cidr).ip()) && !cidr(self.cidr).containsIP('169.254.0.0')",
         INVALID),
    Rule("IPPool CIDR overlaps with IPv6 link local range fe80::/10",
         lambda s, o: not Cidr("fe80::/10").contains_ip(str(_cidr_of(s).ip)) and not _cidr_of(s).contains_ip("fe80::"),
         "!cidr('fe80::/10').containsIP(cidr(self.cidr).ip()) && !cidr(self.cidr).containsIP('fe80::')", INVALID),
    Rule("blockSize must be between 20 and 32 for IPv4 pools, and between 116 and 128 for IPv6 pools",
         lambda s, o: _block_size_ok(s),
         "!has(self.blockSize) || self.blockSize == 0 || (cidr(self.cidr).ip().family() == 4 ? ... : ...)", INVALID),
    Rule("IP pool size is too small for use with Calico IPAM. It must be equal to or greater than the block size.",
         lambda s, o: _pool_size_ok(s),
         "(has(self.disabled) && self.disabled) || cidr(self.cidr).prefixLength() <= (...)", INVALID,
         fix="use a larger CIDR (shorter prefix) or a smaller block (larger blockSize)"),
)

_IMMUTABLE_CIDR = Rule("CIDR cannot be changed; follow IP pool migration guide to avoid corruption.",
                       lambda s, o: s == o, "self == oldSelf", INVALID, transition=True,
                       fix="create a new pool and migrate; the CIDR of an IPPool cannot change")
_IMMUTABLE_BLOCK = Rule("Block size cannot be changed; follow IP pool migration guide to avoid corruption.",
                        lambda s, o: s == o, "self == oldSelf", INVALID, transition=True,
                        fix="create a new pool and migrate; the blockSize of an IPPool cannot change")

IPPOOL_SPEC = Obj({
    "allowedUses": List(Str(enum=("Workload", "Tunnel", "LoadBalancer")), max_items=10, list_type="set"),
    "assignmentMode": Str(default="Automatic", enum=("Automatic", "Manual")),
    "blockSize": Int(minimum=0, maximum=128, rules=(_IMMUTABLE_BLOCK,)),
    "cidr": Str(fmt="cidr", max_length=48, go="CIDR", rules=(_IMMUTABLE_CIDR,)),
    "disableBGPExport": Bool(go="DisableBGPExport"),
    "disabled": Bool(),
    "ipipMode": Str(enum=("Never", "Always", "CrossSubnet"), go="IPIPMode"),
    "namespaceSelector": Str(max_length=1024, go_checks=(("selector", selector_check),)),
    "natOutgoing": Bool(go="NATOutgoing"),
    "nodeSelector": Str(default="all()", max_length=1024, go_checks=(("selector", selector_check),)),
    "vxlanMode": Str(enum=("Never", "Always", "CrossSubnet"), go="VXLANMode"),
}, required=("cidr",), rules=IPPOOL_RULES)

IPPOOL_STATUS = Obj({"conditions": List(Obj({
    "lastTransitionTime": Str(fmt="date-time"),
    "message": Str(max_length=32768),
    "observedGeneration": Int(fmt="int64", minimum=0),
    "reason": Str(max_length=1024, min_length=1, pattern=r"^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$"),
    "status": Str(enum=("True", "False", "Unknown")),
    "type": Str(max_length=316, pattern=r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?"
                                        r"(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$"),
}, required=("lastTransitionTime", "message", "reason", "status", "type")), list_type="map", map_keys=("type",))})

# --- BGPFilter --------------------------------------------------------------------------------

BGPFILTER_RULE_RULES = (
    Rule("cidr and matchOperator must both be set or both be empty",
         lambda s, o: _set(s, "cidr") == _set(s, "matchOperator"),
         "(has(self.cidr) && size(self.cidr) > 0) == (has(self.matchOperator) && size(self.matchOperator) > 0)",
         INVALID, fix="give cidr and matchOperator together"),
    Rule("cidr is required when prefixLength is set",
         lambda s, o: not _has(s, "prefixLength") or _set(s, "cidr"),
         "!has(self.prefixLength) || (has(self.cidr) && size(self.cidr) > 0)", INVALID,
         fix="add cidr (and matchOperator) to use prefixLength"),
    Rule("operations may only be used with action Accept",
         lambda s, o: not _set(s, "operations") or s.get("action") == "Accept",
         "!has(self.operations) || size(self.operations) == 0 || self.action == 'Accept'", INVALID,
         fix="use action: Accept with operations"),
)


def _filter_rule(version):
    bits = 32 if version == 4 else 128
    community = Str(max_length=32, pattern=COMMUNITY_VALUE_PATTERN)
    return Obj({
        "action": Str(enum=("Accept", "Reject")),
        "asPathPrefix": List(Int(fmt="int32", asn=True), list_type="atomic"),
        "cidr": Str(fmt="cidr", max_length=18 if version == 4 else 43, go="CIDR",
                    go_checks=(("netv%d" % version, netv_check(version)),)),
        "communities": Obj({"values": List(community, max_items=1, min_items=1, list_type="atomic")},
                           required=("values",), map_type="atomic"),
        "interface": Str(max_length=15, go_checks=(
            ("bgpFilterInterface", lambda v: v == "*" or bool(BGPFILTER_INTERFACE_RE.match(v))),)),
        "matchOperator": Str(enum=("Equal", "NotEqual", "In", "NotIn")),
        "operations": List(Obj({
            "addCommunity": Obj({"value": community}, required=("value",), map_type="atomic"),
            "prependASPath": Obj({"prefix": List(Int(fmt="int32", asn=True), max_items=10, min_items=1,
                                                 list_type="atomic")}, required=("prefix",), map_type="atomic"),
            "setPriority": Obj({"value": Int(minimum=1, maximum=2147483646)}, required=("value",), map_type="atomic"),
        }, min_props=1, max_props=1, map_type="atomic"), max_items=10, min_items=1, list_type="atomic"),
        "peerType": Str(enum=("eBGP", "iBGP")),
        "prefixLength": Obj({"max": Int(fmt="int32", minimum=0, maximum=bits),
                             "min": Int(fmt="int32", minimum=0, maximum=bits)}, map_type="atomic"),
        "priority": Int(minimum=1, maximum=2147483646),
        "source": Str(enum=("RemotePeers",)),
    }, required=("action",), map_type="atomic", rules=BGPFILTER_RULE_RULES)


BGPFILTER_SPEC = Obj({
    "exportV4": List(_filter_rule(4), list_type="atomic"),
    "exportV6": List(_filter_rule(6), list_type="atomic"),
    "importV4": List(_filter_rule(4), list_type="atomic"),
    "importV6": List(_filter_rule(6), list_type="atomic"),
})

# --- Node (v3 shape, stored on the core/v1 Node in the Kubernetes datastore) --------------------

NODE_BGP_SPEC = Obj({
    "asNumber": Int(asn=True, go="ASNumber"),
    "ipv4Address": Str(go="IPv4Address", go_checks=(("cidrv4", cidrv_check(4)),)),
    "ipv6Address": Str(go="IPv6Address", go_checks=(("cidrv6", cidrv_check(6)),)),
    "ipv4IPIPTunnelAddr": Str(go="IPv4IPIPTunnelAddr", go_checks=(("ipv4", is_ipv4),)),
    "routeReflectorClusterID": Str(go="RouteReflectorClusterID", go_checks=(("ipv4", is_ipv4),)),
})

# --- kinds ------------------------------------------------------------------------------------


class KindInfo:
    """A Calico kind as the modules address it: names, scope, and its spec/status schema."""

    def __init__(self, kind, plural, singular, spec, status=None):
        self.kind = kind
        self.plural = plural
        self.singular = singular
        self.list_kind = kind + "List"
        self.namespaced = False
        self.spec = spec
        self.status = status


KINDS = {
    "BGPConfiguration": KindInfo("BGPConfiguration", "bgpconfigurations", "bgpconfiguration", BGPCONFIG_SPEC),
    "BGPPeer": KindInfo("BGPPeer", "bgppeers", "bgppeer", BGPPEER_SPEC),
    "CalicoNodeStatus": KindInfo("CalicoNodeStatus", "caliconodestatuses", "caliconodestatus", NODESTATUS_SPEC,
                                 status=NODESTATUS_STATUS),
    "IPPool": KindInfo("IPPool", "ippools", "ippool", IPPOOL_SPEC, status=IPPOOL_STATUS),
    "BGPFilter": KindInfo("BGPFilter", "bgpfilters", "bgpfilter", BGPFILTER_SPEC),
}


def object_schema(info, group):
    props = {"apiVersion": Str(), "kind": Str(), "metadata": Obj(preserve_unknown=True), "spec": info.spec}
    if info.status is not None:
        props["status"] = info.status
    required = ("metadata", "spec") if group == GROUP_V3 else ()
    return Obj(props, required=required)
