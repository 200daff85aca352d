# -*- coding: utf-8 -*-
# Copyright: kubefabric.bgp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Calico resource model: BGPConfiguration, BGPPeer, CalicoNodeStatus, IPPool, BGPFilter.

One declarative description of each kind (field types, enums, patterns, bounds, defaults, the CRDs'
CEL rules, Calico's Go validators and clientv3 checks) that both the collection's modules and the
lab's Kubernetes API emulator validate with.

What is enforced depends on who serves the API group (docs/calico-validation.md):

``crd.projectcalico.org/v1`` (and native ``projectcalico.org/v3`` CRDs, ``api_server=False``)
    the CRD's OpenAPI schema, its defaults and its ``x-kubernetes-validations`` (CEL) rules only.
    No selector syntax, no ``peerIP`` format, no default-only fields, no IPPool defaults.
``projectcalico.org/v3`` served by the Calico API server (``api_server=True``, the default)
    Calico's decoding (AS numbers as ``X.Y`` text, durations), the Go validators
    (``libcalico-go/lib/validator/v3``), the CRD schema and CEL rules, and the clientv3 checks
    (default-only BGPConfiguration fields, existing BGPFilters, IPPool defaults and overlaps).

``validate(obj, group)`` returns a list of :class:`FieldError`; nothing here raises for bad input.
``format_field_errors`` renders Calico's text, ``format_k8s_invalid`` the Kubernetes API server's.
Pure Python, standard library only; the selector parser is imported lazily.
"""

from __future__ import annotations

import copy
import json
import re

from .addr import is_ipv4, is_ipv6, parse_cidr_or_ip, parse_ip, parse_peer_ip
from .asn import ASN_MAX, INT32_MAX, INT32_MIN, parse_asn

GROUP_V1 = "crd.projectcalico.org/v1"
GROUP_V3 = "projectcalico.org/v3"
GROUPS = (GROUP_V1, GROUP_V3)

_MISSING = object()

# Kubernetes field error types (k8s.io/apimachinery/pkg/util/validation/field), as used in the
# ``reason`` of a StatusCause and in the CRDs' CEL rules.
INVALID = "FieldValueInvalid"
REQUIRED = "FieldValueRequired"
FORBIDDEN = "FieldValueForbidden"
NOT_SUPPORTED = "FieldValueNotSupported"
TOO_LONG = "FieldValueTooLong"
TOO_MANY = "FieldValueTooMany"
DUPLICATE = "FieldValueDuplicate"
TYPE_INVALID = "FieldValueTypeInvalid"


class FieldError:
    """One problem with one field.

    ``path`` is the JSON path (``spec.peerIP``, ``spec.importV4[0].cidr``); ``value`` the offending
    value (None when Calico prints none); ``message`` the reason in the wording of whoever enforces
    it; ``reason`` the Kubernetes cause type; ``source`` one of ``schema``, ``cel``, ``decode``,
    ``go``, ``clientv3``, ``k8s``; ``field`` the name Calico prints (Go field name for Go checks, the
    JSON path otherwise); ``fix`` a hint for the user.
    """

    __slots__ = ("path", "value", "message", "reason", "source", "field", "fix", "detail")

    def __init__(self, path, value, message, reason=INVALID, source="schema", field=None, fix=None, detail=None):
        self.path = path
        self.value = value
        self.message = message
        self.reason = reason
        self.source = source
        self.field = field or path
        self.fix = fix
        self.detail = detail

    def calico_text(self):
        """Calico's ``ErroredField.String()``: ``Name = 'value' (reason)``."""
        text = self.field if self.value is None else "%s = '%s'" % (self.field, _go_value(self.value))
        if self.message:
            text += " (%s)" % self.message
        return text

    def k8s_text(self):
        """The Kubernetes API server's ``field.Error.Error()`` for this problem."""
        return self.detail or "%s: Invalid value: %s: %s" % (self.path, _k8s_value(self.value), self.message)

    def as_dict(self):
        return {"path": self.path, "value": self.value, "message": self.message, "reason": self.reason,
                "source": self.source, "field": self.field, "fix": self.fix}

    def __eq__(self, other):
        return isinstance(other, FieldError) and self.as_dict() == other.as_dict()

    def __hash__(self):
        return hash((self.path, self.message))

    def __repr__(self):
        return "FieldError(%r, %r, %r)" % (self.path, self.value, self.message)


def _go_value(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + " ".join(_go_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "map[" + " ".join("%s:%s" % (k, _go_value(v)) for k, v in sorted(value.items())) + "]"
    return str(value)


def _k8s_value(value):
    if isinstance(value, dict):
        return '"object"'
    if isinstance(value, list):
        return '"array"'
    return json.dumps(value)


def _type_name(value):
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return "null"


# ---------------------------------------------------------------------------------------------
# Go-compatible helpers
# ---------------------------------------------------------------------------------------------

_NAME_LABEL = "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
NAME_SUBDOMAIN_FMT = _NAME_LABEL + "(\\." + _NAME_LABEL + ")*"
_NAME_RE = re.compile("^" + NAME_SUBDOMAIN_FMT + r"\Z")
NAME_MESSAGE = ("name must consist of lower case alphanumeric characters, '-' or '.' (regex: %s)"
                % NAME_SUBDOMAIN_FMT)
_K8S_NAME_MESSAGE = ("a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', "
                     "and must start and end with an alphanumeric character (e.g. 'example.com', regex used for "
                     "validation is '%s')" % NAME_SUBDOMAIN_FMT)
_IGNORED_INTERFACE_RE = re.compile(r"^[a-zA-Z0-9_.*-]{1,15}\Z")
_BGPFILTER_INTERFACE_RE = re.compile(r"^[a-zA-Z0-9_.*-]{1,15}\Z")
_STANDARD_COMMUNITY = re.compile(r"^([0-9]+):([0-9]+)\Z")
_LARGE_COMMUNITY = re.compile(r"^([0-9]+):([0-9]+):([0-9]+)\Z")
_QUALIFIED_NAME_PART = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]\Z")
_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?\Z")

_DURATION_UNITS = {"ns": 1, "us": 1000, "\u00b5s": 1000, "\u03bcs": 1000, "ms": 10 ** 6, "s": 10 ** 9,
                   "m": 60 * 10 ** 9, "h": 3600 * 10 ** 9}
_DURATION_PART = re.compile(r"([0-9]*)(?:\.([0-9]*))?([^0-9.]*)")


def go_regex(pattern):
    """Compile a Go (RE2) pattern from a CRD with Go's meaning: ``$`` is end of text, ``\\d`` ASCII."""
    text = pattern.replace("^(?i)", "(?i)^").replace("$", r"\Z")
    return re.compile(text, re.ASCII)


def is_valid_name(name):
    return isinstance(name, str) and len(name) <= 253 and bool(_NAME_RE.match(name))


def parse_go_duration(text):
    """Go ``time.ParseDuration``: nanoseconds, or ``ValueError`` with Go's message."""
    quoted = json.dumps(text)
    if not isinstance(text, str):
        raise ValueError("json: cannot unmarshal %s into Go value of type string" % _type_name(text))
    rest = text
    sign = 1
    if rest[:1] in ("-", "+"):
        sign = -1 if rest[0] == "-" else 1
        rest = rest[1:]
    if rest == "0":
        return 0
    if rest == "":
        raise ValueError("time: invalid duration %s" % quoted)
    total = 0
    while rest:
        match = _DURATION_PART.match(rest)
        whole, frac, unit = match.group(1), match.group(2), match.group(3)
        if not whole and not frac:
            raise ValueError("time: invalid duration %s" % quoted)
        if unit == "":
            raise ValueError("time: missing unit in duration %s" % quoted)
        known = None
        for name in sorted(_DURATION_UNITS, key=len, reverse=True):
            if unit.startswith(name):
                known = name
                break
        if known is None:
            raise ValueError("time: unknown unit %s in duration %s" % (json.dumps(unit), quoted))
        scale = _DURATION_UNITS[known]
        total += int(whole or "0") * scale
        if frac:
            total += int(frac) * scale // (10 ** len(frac))
        rest = rest[match.start(3) + len(known):]
    if total > (1 << 63) - 1:
        raise ValueError("time: invalid duration %s" % quoted)
    return sign * total


def _selector_error(text):
    """None when the selector parses, else the parser's message (selector.py, imported lazily)."""
    try:
        from . import selector as _selector  # pylint: disable=import-outside-toplevel
    except ImportError:  # pragma: no cover - the parser ships with the collection
        return None
    try:
        _selector.parse(text)
    except ValueError as exc:
        return str(exc)
    return None


def _is_qualified_name(key):
    """Kubernetes IsQualifiedName: ``[prefix/]name``, name at most 63, prefix a DNS subdomain."""
    if not isinstance(key, str):
        return False
    parts = key.split("/")
    if len(parts) == 1:
        name = parts[0]
    elif len(parts) == 2:
        prefix, name = parts
        if not prefix or len(prefix) > 253 or not _NAME_RE.match(prefix):
            return False
    else:
        return False
    return 0 < len(name) <= 63 and bool(_QUALIFIED_NAME_PART.match(name))


def _is_label_value(value):
    return isinstance(value, str) and len(value) <= 63 and bool(_LABEL_VALUE.match(value))


def _k8s_cidr_format(text):
    """The ``cidr`` string format of Kubernetes' OpenAPI validation (``ParseCIDRSloppy``)."""
    if not isinstance(text, str) or "/" not in text:
        return False
    ip_text, _sep, length = text.partition("/")
    if "." in ip_text and ":" not in ip_text:
        octets = ip_text.split(".")
        if len(octets) == 4 and all(o.isdigit() and o.isascii() and len(o) <= 3 for o in octets):
            ip_text = ".".join(str(int(o)) for o in octets)
    try:
        parse_cidr_or_ip(ip_text + "/" + length)
    except ValueError:
        return False
    return True


class _Cidr:
    """The Kubernetes CEL ``cidr()`` value (``netip.ParsePrefix``)."""

    def __init__(self, text):
        if not isinstance(text, str) or "/" not in text or "%" in text:
            raise ValueError("network address parse error during conversion from string: %r" % (text,))
        ip_text, _sep, length = text.partition("/")
        addr = parse_ip(ip_text)
        import ipaddress  # pylint: disable=import-outside-toplevel
        try:
            raw = ipaddress.ip_address(ip_text)
        except ValueError:
            raise ValueError("network address parse error during conversion from string: %r" % (text,))
        if addr is None or raw.version != addr.version or not re.match(r"^(0|[1-9][0-9]*)\Z", length):
            raise ValueError("network address parse error during conversion from string: %r" % (text,))
        if int(length) > raw.max_prefixlen:
            raise ValueError("network address parse error during conversion from string: %r" % (text,))
        self.ip = raw
        self.prefix_length = int(length)
        self.network = ipaddress.ip_network("%s/%s" % (raw, length), strict=False)

    @property
    def family(self):
        return self.ip.version

    def masked(self):
        return self.network.network_address == self.ip

    def contains_ip(self, ip_text):
        import ipaddress  # pylint: disable=import-outside-toplevel
        other = ipaddress.ip_address(ip_text)
        return other.version == self.ip.version and other in self.network

    def contains_cidr(self, other):
        return other.family == self.family and other.network.subnet_of(self.network)


# ---------------------------------------------------------------------------------------------
# The declarative schema
# ---------------------------------------------------------------------------------------------


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
                 map_keys=None, props=None, required=(), min_props=None, max_props=None, default=_MISSING,
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


def _selector_check(text):
    return _selector_error(text) is None


def _name_check(text):
    return bool(_NAME_RE.match(text))


def _peer_ip_check(text):
    try:
        parse_peer_ip(text)
    except ValueError:
        return False
    return True


def _net_check(text):
    """Calico's ``net`` tag: an IP, or a strictly masked CIDR."""
    try:
        ip, net = parse_cidr_or_ip(text)
    except ValueError:
        return False
    return net.network_address == ip


def _netv_check(version):
    def check(text):
        try:
            ip, net = parse_cidr_or_ip(text)
        except ValueError:
            return False
        return ip.version == version and net.network_address == ip
    return check


def _cidrv_check(version):
    def check(text):
        try:
            return parse_cidr_or_ip(text)[0].version == version
        except ValueError:
            return False
    return check


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
    "filters": List(Str(), list_type="atomic", go_checks=(("name", _name_check),)),
    "keepOriginalNextHop": Bool(),
    "keepaliveTime": Str(duration=True),
    "localASNumber": Int(fmt="int32", asn=True, go="LocalASNumber"),
    "localWorkloadSelector": Str(max_length=1024, go_checks=(("selector", _selector_check),)),
    "maxRestartTime": Str(duration=True),
    "nextHopMode": Str(enum=("Auto", "Self", "Keep")),
    "node": Str(max_length=253, go_checks=(("name", _name_check),)),
    "nodeSelector": Str(max_length=1024, go_checks=(("selector", _selector_check),)),
    "numAllowedLocalASNumbers": Int(fmt="int32"),
    "password": _secret_ref(),
    "peerIP": Str(max_length=64, go="PeerIP", go_checks=(("IP:port", _peer_ip_check),)),
    "peerSelector": Str(max_length=1024, go_checks=(("selector", _selector_check),)),
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


def _cidr_block(go_checks=(("net", _net_check),)):
    return List(Obj({"cidr": Str(fmt="cidr", go="CIDR", go_checks=go_checks)}, map_type="atomic"), list_type="atomic")


BGPCONFIG_SPEC = Obj({
    "asNumber": Int(fmt="int32", asn=True, go="ASNumber", default_only=True),
    "bindMode": Str(enum=("None", "NodeIP")),
    "communities": List(
        Obj({"name": Str(max_length=253, go_checks=(("name", _name_check),), go_required=True),
             "value": Str(max_length=40, pattern=r"^(\d+):(\d+)$|^(\d+):(\d+):(\d+)$", go_required=True)}),
        max_items=500, list_type="atomic"),
    "ignoredInterfaces": List(
        Str(go_checks=(("ignoredInterface", lambda v: v != "*" and bool(_IGNORED_INTERFACE_RE.match(v))),)),
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
    "node": Str(go_checks=(("name", _name_check),)),
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
    return _Cidr(s.get("cidr"))


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
         lambda s, o: not _Cidr("169.254.0.0/16").contains_ip(str(_cidr_of(s).ip))
         and not _cidr_of(s).contains_ip("169.254.0.0"),
         "!cidr('169.254.0.0/16').containsIP(cidr(self.cidr).ip()) && !cidr(self.cidr).containsIP('169.254.0.0')",
         INVALID),
    Rule("IPPool CIDR overlaps with IPv6 link local range fe80::/10",
         lambda s, o: not _Cidr("fe80::/10").contains_ip(str(_cidr_of(s).ip)) and not _cidr_of(s).contains_ip("fe80::"),
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
    "namespaceSelector": Str(max_length=1024, go_checks=(("selector", _selector_check),)),
    "natOutgoing": Bool(go="NATOutgoing"),
    "nodeSelector": Str(default="all()", max_length=1024, go_checks=(("selector", _selector_check),)),
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
                    go_checks=(("netv%d" % version, _netv_check(version)),)),
        "communities": Obj({"values": List(community, max_items=1, min_items=1, list_type="atomic")},
                           required=("values",), map_type="atomic"),
        "interface": Str(max_length=15, go_checks=(
            ("bgpFilterInterface", lambda v: v == "*" or bool(_BGPFILTER_INTERFACE_RE.match(v))),)),
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
    "ipv4Address": Str(go="IPv4Address", go_checks=(("cidrv4", _cidrv_check(4)),)),
    "ipv6Address": Str(go="IPv6Address", go_checks=(("cidrv6", _cidrv_check(6)),)),
    "ipv4IPIPTunnelAddr": Str(go="IPv4IPIPTunnelAddr", go_checks=(("ipv4", is_ipv4),)),
    "routeReflectorClusterID": Str(go="RouteReflectorClusterID", go_checks=(("ipv4", is_ipv4),)),
})

# --- kinds ------------------------------------------------------------------------------------


class KindInfo:
    """What an API server needs to serve a kind: names, scope, subresources, per group."""

    def __init__(self, kind, plural, singular, spec, status=None, short_names=None, status_subresource=()):
        self.kind = kind
        self.plural = plural
        self.singular = singular
        self.list_kind = kind + "List"
        self.namespaced = False
        self.spec = spec
        self.status = status
        self._short_names = short_names or {}
        self._status_subresource = tuple(status_subresource)

    def short_names(self, group):
        return list(self._short_names.get(group, ()))

    def has_status_subresource(self, group):
        return group in self._status_subresource

    def crd_name(self, group):
        return "%s.%s" % (self.plural, group.split("/")[0])

    def as_dict(self, group):
        return {"kind": self.kind, "plural": self.plural, "singular": self.singular, "listKind": self.list_kind,
                "namespaced": self.namespaced, "shortNames": self.short_names(group),
                "statusSubresource": self.has_status_subresource(group)}


KINDS = {
    "BGPConfiguration": KindInfo("BGPConfiguration", "bgpconfigurations", "bgpconfiguration", BGPCONFIG_SPEC,
                                 short_names={GROUP_V3: ("bgpconfig", "bgpconfigs")}),
    "BGPPeer": KindInfo("BGPPeer", "bgppeers", "bgppeer", BGPPEER_SPEC),
    "CalicoNodeStatus": KindInfo("CalicoNodeStatus", "caliconodestatuses", "caliconodestatus", NODESTATUS_SPEC,
                                 status=NODESTATUS_STATUS, status_subresource=GROUPS),
    "IPPool": KindInfo("IPPool", "ippools", "ippool", IPPOOL_SPEC, status=IPPOOL_STATUS,
                       status_subresource=GROUPS),
    "BGPFilter": KindInfo("BGPFilter", "bgpfilters", "bgpfilter", BGPFILTER_SPEC),
}


def kind_for_resource(name):
    """The kind for a plural, singular or short name (``bgppeers``, ``bgpconfig``), or None."""
    lowered = name.lower()
    for info in KINDS.values():
        if lowered in (info.plural, info.singular, info.kind.lower()) or any(
                lowered in info.short_names(g) for g in GROUPS):
            return info.kind
    return None


def _object_schema(info, group):
    props = {"apiVersion": Str(), "kind": Str(), "metadata": Obj(preserve_unknown=True), "spec": info.spec}
    if info.status is not None:
        props["status"] = info.status
    required = ("metadata", "spec") if group == GROUP_V3 else ()
    return Obj(props, required=required)


# ---------------------------------------------------------------------------------------------
# Schema walking
# ---------------------------------------------------------------------------------------------


class _Ctx:
    def __init__(self, v3server, update):
        self.v3server = v3server
        self.update = update
        self.errors = []

    def add(self, path, value, message, reason=INVALID, source="schema", detail=None, fix=None, field=None):
        self.errors.append(FieldError(path, value, message, reason, source, field=field, fix=fix, detail=detail))


def _join(path, key):
    return "%s.%s" % (path, key) if path else key


def _check(value, spec, path, ctx, old=_MISSING):
    """Validate ``value`` against ``spec`` (schema then rules). Returns True when the subtree is clean."""
    before = len(ctx.errors)
    if value is None:
        return True
    kind = spec.kind
    if kind == "object":
        if not isinstance(value, dict):
            ctx.add(path, value, "must be of type object", TYPE_INVALID,
                    detail='%s: Invalid value: "%s": %s in body must be of type object: "%s"'
                    % (path, _type_name(value), path, _type_name(value)))
            return False
        _check_object(value, spec, path, ctx, old)
    elif kind == "array":
        if not isinstance(value, list):
            ctx.add(path, value, "must be of type array", TYPE_INVALID,
                    detail='%s: Invalid value: "%s": %s in body must be of type array: "%s"'
                    % (path, _type_name(value), path, _type_name(value)))
            return False
        _check_array(value, spec, path, ctx)
    elif kind == "string":
        _check_string(value, spec, path, ctx)
    elif kind == "integer":
        _check_integer(value, spec, path, ctx)
    elif kind == "boolean":
        if not isinstance(value, bool):
            ctx.add(path, value, "must be of type boolean", TYPE_INVALID,
                    detail='%s: Invalid value: "%s": %s in body must be of type boolean: "%s"'
                    % (path, _type_name(value), path, _type_name(value)))
    if len(ctx.errors) == before:
        for rule in spec.rules:
            if rule.transition and (not ctx.update or old is _MISSING or old is None):
                continue
            try:
                ok = rule.check(value, None if old is _MISSING else old)
            except (ValueError, TypeError, KeyError) as exc:
                ok = False
                ctx.add(path, None, rule.message, rule.reason, "cel",
                        detail="%s: Invalid value: %s: %s (%s)" % (path or "<nil>", _k8s_value(value), rule.message, exc),
                        fix=rule.fix)
                continue
            if not ok:
                if rule.reason == FORBIDDEN:
                    detail = "%s: Forbidden: %s" % (path or "<nil>", rule.message)
                else:
                    detail = "%s: Invalid value: %s: %s" % (path or "<nil>", '"%s"' % _type_name(value)
                                                            if isinstance(value, (dict, list)) else
                                                            _k8s_value(value), rule.message)
                ctx.add(path, None, rule.message, rule.reason, "cel", detail=detail, fix=rule.fix)
    return len(ctx.errors) == before


def _check_object(value, spec, path, ctx, old):
    for key in spec.required:
        if value.get(key) is None:
            ctx.add(_join(path, key), None, "Required value", REQUIRED, detail="%s: Required value" % _join(path, key),
                    fix="set %s" % _join(path, key))
    present = [k for k, v in value.items() if v is not None]
    if spec.min_props is not None and len(present) < spec.min_props:
        ctx.add(path, value, "should have at least %d properties" % spec.min_props,
                detail="%s: Invalid value: %d: %s in body should have at least %d properties"
                % (path, len(present), path, spec.min_props))
    if spec.max_props is not None and len(present) > spec.max_props:
        ctx.add(path, value, "should have at most %d properties" % spec.max_props, TOO_MANY,
                detail="%s: Too many: %d: must have at most %d items" % (path, len(present), spec.max_props))
    if spec.preserve_unknown:
        return
    for key, child in spec.props.items():
        if key in value:
            child_old = old.get(key, _MISSING) if isinstance(old, dict) else _MISSING
            _check(value[key], child, _join(path, key), ctx, child_old)


def _check_array(value, spec, path, ctx):
    if spec.max_items is not None and len(value) > spec.max_items:
        ctx.add(path, value, "must have at most %d items" % spec.max_items, TOO_MANY,
                detail="%s: Too many: %d: must have at most %d items" % (path, len(value), spec.max_items))
    if spec.min_items is not None and len(value) < spec.min_items:
        ctx.add(path, value, "should have at least %d items" % spec.min_items,
                detail="%s: Invalid value: %d: %s in body should have at least %d items"
                % (path, len(value), path, spec.min_items))
    for index, item in enumerate(value):
        if item is None and not spec.items.nullable:
            # Kubernetes prunes nulls from object fields only; a null list item is a type error.
            ctx.add("%s[%d]" % (path, index), None, "must be of type %s" % spec.items.kind, TYPE_INVALID,
                    detail='%s[%d]: Invalid value: "null": %s[%d] in body must be of type %s: "null"'
                    % (path, index, path, index, spec.items.kind))
            continue
        _check(item, spec.items, "%s[%d]" % (path, index), ctx)
    if spec.list_type == "set":
        seen = []
        for index, item in enumerate(value):
            if item in seen:
                ctx.add("%s[%d]" % (path, index), item, "Duplicate value", DUPLICATE,
                        detail="%s[%d]: Duplicate value: %s" % (path, index, _k8s_value(item)))
            else:
                seen.append(item)
    elif spec.list_type == "map":
        seen = []
        for index, item in enumerate(value):
            if not isinstance(item, dict):
                continue
            key = tuple(item.get(k) for k in spec.map_keys)
            if key in seen:
                ctx.add("%s[%d]" % (path, index), item, "Duplicate value", DUPLICATE,
                        detail="%s[%d]: Duplicate value: %s" % (path, index, json.dumps(dict(zip(spec.map_keys, key)))))
            else:
                seen.append(key)


def _check_string(value, spec, path, ctx):
    if not isinstance(value, str):
        ctx.add(path, value, "must be of type string", TYPE_INVALID,
                detail='%s: Invalid value: "%s": %s in body must be of type string: "%s"'
                % (path, _type_name(value), path, _type_name(value)))
        return
    if spec.max_length is not None and len(value) > spec.max_length:
        ctx.add(path, value, "may not be more than %d bytes" % spec.max_length, TOO_LONG,
                detail="%s: Too long: may not be more than %d bytes" % (path, spec.max_length))
    if spec.min_length is not None and len(value) < spec.min_length:
        ctx.add(path, value, "should be at least %d chars long" % spec.min_length,
                detail="%s: Invalid value: %s: %s in body should be at least %d chars long"
                % (path, json.dumps(value), path, spec.min_length))
    if spec.enum is not None and value not in spec.enum:
        ctx.add(path, value, "supported values: %s" % ", ".join('"%s"' % e for e in spec.enum), NOT_SUPPORTED,
                detail="%s: Unsupported value: %s: supported values: %s"
                % (path, json.dumps(value), ", ".join('"%s"' % e for e in spec.enum)),
                fix="use one of %s" % ", ".join(spec.enum))
    if spec.regex is not None and not spec.regex.search(value):
        ctx.add(path, value, "should match '%s'" % spec.pattern,
                detail="%s: Invalid value: %s: %s in body should match '%s'"
                % (path, json.dumps(value), path, spec.pattern))
    if spec.fmt == "cidr" and not _k8s_cidr_format(value):
        ctx.add(path, value, "must be of type cidr",
                detail='%s: Invalid value: %s: %s in body must be of type cidr: %s'
                % (path, json.dumps(value), path, json.dumps(value)), fix="write a CIDR such as 10.0.0.0/24")
    if spec.fmt == "date-time" and not re.match(
            r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$", value, re.ASCII):
        ctx.add(path, value, "must be of type date-time",
                detail='%s: Invalid value: %s: %s in body must be of type date-time: %s'
                % (path, json.dumps(value), path, json.dumps(value)))


def _check_integer(value, spec, path, ctx):
    if ctx.v3server and spec.asn:
        return  # decoded (and range-checked) by _decode_v3
    if isinstance(value, bool) or not isinstance(value, int):
        ctx.add(path, value, "must be of type integer", TYPE_INVALID,
                detail='%s: Invalid value: "%s": %s in body must be of type integer: "%s"'
                % (path, _type_name(value), path, _type_name(value)))
        return
    if spec.fmt == "int32" and not INT32_MIN <= value <= INT32_MAX:
        ctx.add(path, value, "must be of type integer with format int32",
                detail="%s: Invalid value: %d: %s in body must be of type int32: \"%d\"" % (path, value, path, value),
                fix="Kubernetes 1.36+ enforces int32 here; %s" % (
                    "write 4-byte AS numbers through projectcalico.org/v3 or on the Node" if spec.asn
                    else "use a smaller value"))
    if spec.fmt == "int64" and not -(1 << 63) <= value < (1 << 63):
        ctx.add(path, value, "must be of type integer with format int64")
    if spec.minimum is not None and value < spec.minimum:
        ctx.add(path, value, "should be greater than or equal to %d" % spec.minimum,
                detail="%s: Invalid value: %d: %s in body should be greater than or equal to %d"
                % (path, value, path, spec.minimum))
    if spec.maximum is not None and value > spec.maximum:
        ctx.add(path, value, "should be less than or equal to %d" % spec.maximum,
                detail="%s: Invalid value: %d: %s in body should be less than or equal to %d"
                % (path, value, path, spec.maximum))


# ---------------------------------------------------------------------------------------------
# Defaults
# ---------------------------------------------------------------------------------------------


def _apply_schema_defaults(value, spec):
    if spec.kind == "object" and isinstance(value, dict) and not spec.preserve_unknown:
        for key, child in spec.props.items():
            if value.get(key) is None and child.default is not _MISSING:
                value[key] = copy.deepcopy(child.default)
            if key in value:
                _apply_schema_defaults(value[key], child)
    elif spec.kind == "array" and isinstance(value, list):
        for item in value:
            _apply_schema_defaults(item, spec.items)


def _prune_nulls(value, spec):
    if spec.kind == "object" and isinstance(value, dict) and not spec.preserve_unknown:
        for key in list(value):
            child = spec.props.get(key)
            if value[key] is None and not (child is not None and child.nullable):
                del value[key]
            elif child is not None:
                _prune_nulls(value[key], child)
    elif spec.kind == "array" and isinstance(value, list):
        for item in value:
            _prune_nulls(item, spec.items)


def apply_defaults(obj, group=GROUP_V1, api_server=True, _canonical=True):
    """A deep copy of ``obj`` with the defaults the serving side applies.

    Every group gets the CRD defaults (``logSeverityScreen: Info``,
    ``serviceLoadBalancerAggregation: Enabled``, IPPool ``assignmentMode: Automatic`` and
    ``nodeSelector: all()``, password ``secretKeyRef.name: ""``). The Calico API server
    (``projectcalico.org/v3`` with ``api_server=True``) also defaults IPPools the way clientv3
    does: ``blockSize`` 26 / 122, ``ipipMode`` and ``vxlanMode`` Never, ``allowedUses``
    [Workload, Tunnel], and writes the CIDR in canonical form.
    """
    out = copy.deepcopy(obj)
    info = KINDS.get(out.get("kind")) if isinstance(out, dict) else None
    if info is None:
        return out
    schema = _object_schema(info, group)
    _prune_nulls(out, schema)
    if isinstance(out.get("spec"), dict):
        _apply_schema_defaults(out["spec"], info.spec)
    if info.status is not None and isinstance(out.get("status"), dict):
        _apply_schema_defaults(out["status"], info.status)
    if group == GROUP_V3 and api_server and info.kind == "IPPool" and isinstance(out.get("spec"), dict):
        spec = out["spec"]
        try:
            ip, net = parse_cidr_or_ip(spec.get("cidr"))
        except ValueError:
            ip = net = None
        if net is not None:
            if _canonical and net.network_address == ip:
                spec["cidr"] = str(net)
            if not spec.get("blockSize"):
                spec["blockSize"] = 26 if ip.version == 4 else 122
        if not spec.get("ipipMode"):
            spec["ipipMode"] = "Never"
        if not spec.get("vxlanMode"):
            spec["vxlanMode"] = "Never"
        if not spec.get("nodeSelector"):
            spec["nodeSelector"] = "all()"
        if not spec.get("allowedUses"):
            spec["allowedUses"] = ["Workload", "Tunnel"]
    return out


# ---------------------------------------------------------------------------------------------
# The Calico API server's own checks (projectcalico.org/v3)
# ---------------------------------------------------------------------------------------------


def _tag_error(ctx, path, go_name, value, tag, fix=None):
    ctx.add(path, value, "Reason: failed to validate Field: %s because of Tag: %s " % (go_name, tag),
            source="go", field=go_name, fix=fix, detail="%s: Invalid value: %s: failed to validate because of Tag: %s"
            % (path, _k8s_value(value), tag))


def _go_name(key, spec):
    return spec.go or (key[:1].upper() + key[1:])


def _decode_v3(value, spec, path, ctx, go_name):
    """Calico's JSON decoding into the v3 Go types: AS numbers, durations, unsigned ints.

    Returns the decoded value (AS numbers become ints); decode errors go to ``ctx``.
    """
    if value is None:
        return value
    if spec.kind == "object" and isinstance(value, dict) and not spec.preserve_unknown:
        out = dict(value)
        for key, child in spec.props.items():
            if key in out:
                out[key] = _decode_v3(out[key], child, _join(path, key), ctx, _go_name(key, child))
        return out
    if spec.kind == "array" and isinstance(value, list):
        return [_decode_v3(item, spec.items, "%s[%d]" % (path, i), ctx, "%s[%d]" % (go_name, i))
                for i, item in enumerate(value)]
    if spec.asn:
        try:
            return parse_asn(value)
        except ValueError as exc:
            ctx.add(path, value, str(exc), source="decode", field=go_name,
                    detail="%s: Invalid value: %s: %s" % (path, _k8s_value(value), exc),
                    fix="write the AS number as an integer 0..%d or as X.Y (each 0..65535)" % ASN_MAX)
            return value
    if spec.duration and isinstance(value, str):
        try:
            parse_go_duration(value)
        except ValueError as exc:
            ctx.add(path, value, str(exc), source="decode", field=go_name,
                    detail="%s: Invalid value: %s: %s" % (path, _k8s_value(value), exc),
                    fix="write a Go duration such as 120s, 2m or 1h30m")
    if spec.go_uint and isinstance(value, int) and not isinstance(value, bool) and not 0 <= value < (1 << spec.go_uint):
        message = "json: cannot unmarshal number %d into Go struct field of type uint%d" % (value, spec.go_uint)
        ctx.add(path, value, message, source="decode", field=go_name,
                detail="%s: Invalid value: %d: %s" % (path, value, message),
                fix="use a value from 0 to %d" % ((1 << spec.go_uint) - 1))
    return value


def _go_tags(value, spec, path, ctx, go_name):
    if value is None:
        return
    if spec.kind == "object" and isinstance(value, dict) and not spec.preserve_unknown:
        for key, child in spec.props.items():
            if child.go_required and value.get(key) in (None, "", []):
                _tag_error(ctx, _join(path, key), _go_name(key, child), value.get(key) or "", "required",
                           fix="set %s" % _join(path, key))
            elif key in value:
                _go_tags(value[key], child, _join(path, key), ctx, _go_name(key, child))
        return
    if spec.kind == "array" and isinstance(value, list):
        for tag, check in spec.go_checks:  # "dive" checks on a list of strings
            for index, item in enumerate(value):
                if isinstance(item, str) and item != "" and not check(item):
                    _tag_error(ctx, "%s[%d]" % (path, index), "%s[%d]" % (go_name, index), item, tag)
        for index, item in enumerate(value):
            _go_tags(item, spec.items, "%s[%d]" % (path, index), ctx, "%s[%d]" % (go_name, index))
        return
    if spec.kind == "array":
        return
    for tag, check in spec.go_checks:
        if isinstance(value, str) and value != "" and not check(value):
            fix = None
            if tag == "selector":
                fix = "fix the selector syntax: %s" % (_selector_error(value) or "")
            elif tag == "IP:port":
                fix = 'write "<IP>", "<IPv4>:<port>" or "[<IPv6>]:<port>" with a port from 1 to 65535'
            elif tag == "name":
                fix = "use a lower-case DNS-1123 name"
            _tag_error(ctx, path, go_name, value, tag, fix)


ANNOTATIONS_MAX_BYTES = 256 * 1024  # Kubernetes' total size limit of an object's annotations


def _go_annotations(annotations, ctx):
    """Kubernetes' annotation checks, which Calico's validator runs on the metadata too."""
    if not isinstance(annotations, dict):
        return
    for key in annotations:
        if not _is_qualified_name(str(key).lower()):
            ctx.add("metadata.annotations", key, "name part must consist of alphanumeric characters, '-', '_' or "
                    "'.', and must start and end with an alphanumeric character", source="go",
                    field="Metadata.Annotations (key)", fix="use a key of the form [prefix/]name")
    size = sum(len(str(k)) + len(str(v)) for k, v in annotations.items())
    if size > ANNOTATIONS_MAX_BYTES:
        ctx.add("metadata.annotations", None, "annotations size %d is larger than the limit of %d bytes"
                % (size, ANNOTATIONS_MAX_BYTES), TOO_LONG, source="go", field="Metadata.Annotations (size)",
                fix="keep the annotations under %d bytes in all" % ANNOTATIONS_MAX_BYTES)


def _go_object_meta(obj, ctx):
    meta = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
    name = meta.get("name")
    if isinstance(name, str):
        if len(name) > 253:
            ctx.add("metadata.name", name, "name is too long by %d bytes" % (len(name) - 253), source="go",
                    field="Metadata.Name", fix="use at most 253 characters")
        if not _NAME_RE.match(name):
            ctx.add("metadata.name", name, NAME_MESSAGE, source="go", field="Metadata.Name",
                    fix="use lower-case letters, digits, '-' and '.', starting and ending with a letter or digit")
    _go_annotations(meta.get("annotations"), ctx)
    for key, val in (meta.get("labels") or {}).items():
        if not _is_qualified_name(key):
            ctx.add("metadata.labels", key, "name part must consist of alphanumeric characters, '-', '_' or '.', "
                    "and must start and end with an alphanumeric character", source="go",
                    field="Metadata.Labels (label)")
        if not _is_label_value(val):
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
    if _STANDARD_COMMUNITY.match(value):
        bits = 16
    elif _LARGE_COMMUNITY.match(value):
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
    import ipaddress  # pylint: disable=import-outside-toplevel
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
                        _tag_error(ctx, "spec.%s[%d].prefixLength.%s" % (section, index, key),
                                   key[:1].upper() + key[1:], val, "bgpFilterPrefixLengthV%d" % (4 if bits == 32 else 6))


_GO_KIND_CHECKS = {"BGPPeer": _go_bgppeer, "BGPConfiguration": _go_bgpconfig, "IPPool": _go_ippool,
                   "CalicoNodeStatus": _go_nodestatus, "BGPFilter": _go_bgpfilter}


def _clientv3(obj, spec, ctx, context):
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


# ---------------------------------------------------------------------------------------------
# Entry points
# ---------------------------------------------------------------------------------------------


def validate(obj, group=GROUP_V1, api_server=True, old=None, context=None, clientv3=True):
    """Validate a Calico object as the side serving ``group`` would; a list of :class:`FieldError`.

    ``group``: ``crd.projectcalico.org/v1`` or ``projectcalico.org/v3``; ``api_server`` says
    whether ``projectcalico.org/v3`` is served by the Calico API server (True) or by native CRDs.
    ``old`` is the stored object on update (for transition rules). ``context`` may hold
    ``{"bgpfilters": [names], "ippools": {name: cidr}}`` for the clientv3 existence/overlap checks.
    The object is validated after the server's defaults are applied, as the server does.
    ``clientv3=False`` leaves out what the Calico API server's client library adds around Calico's
    validator (IPPool defaults, default-only and existence checks): ``validator.Validate()`` alone.
    """
    if group not in GROUPS:
        raise ValueError("unknown Calico API group %r (expected one of %s)" % (group, ", ".join(GROUPS)))
    if not isinstance(obj, dict):
        return [FieldError("", obj, "must be of type object", TYPE_INVALID)]
    if obj.get("kind") == "Node":
        return _validate_node(obj)
    info = KINDS.get(obj.get("kind"))
    if info is None:
        return [FieldError("kind", obj.get("kind"), "unknown Calico kind (expected one of %s, Node)"
                           % ", ".join(KINDS), NOT_SUPPORTED)]
    v3server = group == GROUP_V3 and api_server
    ctx = _Ctx(v3server, update=old is not None)
    if v3server and obj.get("spec") is None:
        obj = dict(obj, spec={})  # Calico decodes a missing or null spec as the empty spec struct
    obj = apply_defaults(obj, group, api_server and clientv3, _canonical=False)
    old_spec = apply_defaults(old, group, api_server and clientv3, _canonical=False).get("spec", _MISSING) if isinstance(old, dict) else _MISSING
    spec = obj.get("spec")
    meta = obj.get("metadata")
    name = meta.get("name") if isinstance(meta, dict) else None
    if name is None or name == "":
        if not (isinstance(meta, dict) and meta.get("generateName")):
            ctx.add("metadata.name", None, "name or generateName is required", REQUIRED, "k8s",
                    detail="metadata.name: Required value: name or generateName is required",
                    fix="set metadata.name")
    elif isinstance(name, str) and not v3server and (len(name) > 253 or not _NAME_RE.match(name)):
        ctx.add("metadata.name", name, _K8S_NAME_MESSAGE, INVALID, "k8s",
                detail="metadata.name: Invalid value: %s: %s" % (json.dumps(name), _K8S_NAME_MESSAGE),
                fix="use lower-case letters, digits, '-' and '.'")
    if v3server:
        # Calico decodes the JSON into its Go types first: a value of the wrong JSON type fails there,
        # and nothing else is checked.
        shape = _Ctx(True, False)
        _check(spec, info.spec, "spec", shape)
        if info.status is not None and "status" in obj:
            _check(obj.get("status"), info.status, "status", shape)
        decode_errors = [e for e in shape.errors if e.reason == TYPE_INVALID]
        if decode_errors:
            for err in decode_errors:
                err.source = "decode"
                err.fix = err.fix or "give %s as %s" % (err.path, err.message.replace("must be of type ", "a JSON "))
            return ctx.errors + decode_errors
        _go_object_meta(obj, ctx)
        if isinstance(spec, dict):
            spec = _decode_v3(spec, info.spec, "spec", ctx, "Spec")
            obj = dict(obj, spec=spec)
            if isinstance(old_spec, dict):
                old_spec = _decode_v3(old_spec, info.spec, "spec", _Ctx(True, True), "Spec")
            _go_tags(spec, info.spec, "spec", ctx, "Spec")
            _GO_KIND_CHECKS[info.kind](spec, ctx)
    schema = _object_schema(info, group)
    for key in schema.required:
        if obj.get(key) is None:
            ctx.add(key, None, "Required value", REQUIRED, detail="%s: Required value" % key, fix="set %s" % key)
    for key in ("apiVersion", "kind"):
        _check(obj.get(key), schema.props[key], key, ctx)
    if "spec" in obj:
        _check(spec, info.spec, "spec", ctx, old_spec)
    if info.status is not None and "status" in obj:
        _check(obj.get("status"), info.status, "status", ctx)
    if v3server and clientv3 and isinstance(spec, dict):
        _clientv3(obj, spec, ctx, context)
    return _dedupe(ctx.errors)


def _dedupe(errors):
    seen = set()
    out = []
    for err in errors:
        key = (err.path, err.message, err.source)
        if key not in seen:
            seen.add(key)
            out.append(err)
    return out


def validate_node_bgp(bgp):
    """Calico's checks of a Node's ``spec.bgp`` (v3 shape); a list of :class:`FieldError`."""
    ctx = _Ctx(True, False)
    if not isinstance(bgp, dict):
        ctx.add("spec.bgp", bgp, "must be of type object", TYPE_INVALID, "go", field="BGP")
        return ctx.errors
    if not any(v not in (None, "", 0) for v in bgp.values()):
        ctx.add("spec.bgp", None, "Spec.BGP should not be empty", source="go", field="BGP",
                fix="give at least one of asNumber, ipv4Address, ipv6Address, routeReflectorClusterID")
        return ctx.errors
    decoded = _decode_v3(bgp, NODE_BGP_SPEC, "spec.bgp", ctx, "BGP")
    _go_tags(decoded, NODE_BGP_SPEC, "spec.bgp", ctx, "BGP")
    for key, value in bgp.items():
        if key in NODE_BGP_SPEC.props and NODE_BGP_SPEC.props[key].kind == "string" and value is not None \
                and not isinstance(value, str):
            ctx.add("spec.bgp." + key, value, "must be of type string", TYPE_INVALID, "decode",
                    field=_go_name(key, NODE_BGP_SPEC.props[key]))
    return ctx.errors


def _validate_node(obj):
    """A ``projectcalico.org/v3`` Node (the Calico view of a Kubernetes Node): name, labels, spec.bgp."""
    ctx = _Ctx(True, False)
    _go_object_meta(obj, ctx)
    spec = obj.get("spec")
    if spec is not None and not isinstance(spec, dict):
        ctx.add("spec", spec, "must be of type object", TYPE_INVALID, "decode", field="Spec")
    elif spec and spec.get("bgp") is not None:
        ctx.errors.extend(validate_node_bgp(spec["bgp"]))
    return ctx.errors


def unknown_fields(obj):
    """JSON paths of fields the kind's schema does not know (Kubernetes prunes them, or refuses
    them with ``fieldValidation=Strict``: ``unknown field "spec.x"``)."""
    info = KINDS.get(obj.get("kind")) if isinstance(obj, dict) else None
    if info is None:
        return []
    out = []

    def walk(value, spec, path):
        if spec.kind == "object" and isinstance(value, dict) and not spec.preserve_unknown:
            for key, child in value.items():
                if key not in spec.props:
                    out.append(_join(path, key))
                else:
                    walk(child, spec.props[key], _join(path, key))
        elif spec.kind == "array" and isinstance(value, list):
            for index, item in enumerate(value):
                walk(item, spec.items, "%s[%d]" % (path, index))

    walk(obj, _object_schema(info, GROUP_V3), "")
    return out


def format_field_errors(kind=None, name=None, errors=()):
    """Calico's ``ErrorValidation.Error()`` text for ``errors``.

    One error: ``error with field X = 'v' (msg)``; several: ``error with the following fields:``
    then one ``-  ...`` line each. ``kind`` and ``name`` are accepted for symmetry with
    :func:`validation_error_for_module`, which puts them in front.
    """
    del kind, name
    errors = list(errors)
    if not errors:
        return "unknown validation error"
    if len(errors) == 1:
        return "error with field %s" % errors[0].calico_text()
    return "error with the following fields:\n" + "".join("-  %s\n" % e.calico_text() for e in errors)


def format_k8s_invalid(kind, group, name, errors):
    """The Kubernetes API server's 422 message: ``Kind.group "name" is invalid: ...``."""
    errors = list(errors)
    texts = [e.k8s_text() for e in errors]
    body = texts[0] if len(texts) == 1 else "[" + ", ".join(texts) + "]"
    return '%s.%s "%s" is invalid: %s' % (kind, group.split("/")[0], name, body)


def k8s_status_causes(errors):
    """``details.causes`` of a Kubernetes Status for ``errors``."""
    causes = []
    for err in errors:
        text = err.k8s_text()
        prefix = err.path + ": "
        causes.append({"reason": err.reason, "message": text[len(prefix):] if text.startswith(prefix) else text,
                       "field": err.path})
    return causes


def validation_error_for_module(kind, name, errors):
    """A FabricError naming the object, the first failing field and how to fix it."""
    from ..common.errors import FabricError  # pylint: disable=import-outside-toplevel
    errors = list(errors)
    message = format_field_errors(kind, name, errors).rstrip("\n")
    first = errors[0] if errors else None
    fixes = []
    for err in errors:
        if err.fix and err.fix not in fixes:
            fixes.append(err.fix)
    fix = "; ".join(fixes) if fixes else ("correct %s" % first.path if first else None)
    return FabricError(message, host="%s/%s" % (kind, name), field=first.path if first else None, fix=fix,
                       details={"errors": [e.as_dict() for e in errors]})


def check(obj, group=GROUP_V1, api_server=True, old=None, context=None):
    """Validate and raise the module FabricError when anything is wrong."""
    errors = validate(obj, group, api_server=api_server, old=old, context=context)
    if errors:
        name = (obj.get("metadata") or {}).get("name") if isinstance(obj, dict) else None
        raise validation_error_for_module(obj.get("kind") if isinstance(obj, dict) else None, name, errors)
    return obj
