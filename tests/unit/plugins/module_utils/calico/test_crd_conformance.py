"""The resource model against the upstream CRDs (../shared/reference/calico/crds, never copied).

The oracle is independent of the model: the CRD's ``openAPIV3Schema`` is checked with the
``jsonschema`` package (plus the Kubernetes extensions it does not know: Go regex semantics for
``pattern``, the ``cidr``/``int32`` formats, ``x-kubernetes-list-type`` set/map uniqueness, structural
defaults), and every ``x-kubernetes-validations`` rule is evaluated as CEL by ``cel-python`` with the
Kubernetes CIDR library functions (cidr, ip, family, masked, prefixLength, containsIP) supplied here.
For each object of the corpus the model must accept exactly what the oracle accepts, for
``crd.projectcalico.org/v1`` and for the native ``projectcalico.org/v3`` CRDs.
"""
import copy
import ipaddress
import re

import pytest
import yaml

from ansible_collections.kubefabric.bgp.plugins.module_utils.calico import resources
from ansible_collections.kubefabric.bgp.plugins.module_utils.calico import schema as model_schema
from tests.conftest import shared_path

jsonschema = pytest.importorskip("jsonschema")
celpy = pytest.importorskip("celpy", reason="cel-python (pip install cel-python) evaluates the CRDs' CEL rules")
celtypes = pytest.importorskip("celpy.celtypes")

KIND_FILES = {
    "BGPConfiguration": "bgpconfigurations",
    "BGPPeer": "bgppeers",
    "CalicoNodeStatus": "caliconodestatuses",
    "IPPool": "ippools",
    "BGPFilter": "bgpfilters",
}
GROUP_DIRS = {
    resources.GROUP_V1: ("crd.projectcalico.org_v1", "crd.projectcalico.org_%s.yaml"),
    resources.GROUP_V3: ("projectcalico.org_v3", "projectcalico.org_%s.yaml"),
}


_CRDS = {}


def load_crd(group, kind):
    if (group, kind) in _CRDS:
        return _CRDS[(group, kind)]
    folder, pattern = GROUP_DIRS[group]
    path = shared_path("reference", "calico", "crds", folder, pattern % KIND_FILES[kind])
    with open(path, encoding="utf-8") as handle:
        _CRDS[(group, kind)] = yaml.load(handle, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    return _CRDS[(group, kind)]


def crd_schema(group, kind):
    return load_crd(group, kind)["spec"]["versions"][0]["schema"]["openAPIV3Schema"]


# --- oracle: jsonschema + Kubernetes extensions ---------------------------------------------------

def _go_pattern(pattern):
    # RE2 vs Python: an inline (?i) after ^ is legal in Go; '$' is end of text; \d is ASCII.
    return re.compile(pattern.replace("^(?i)", "(?i)^").replace("$", r"\Z"), re.ASCII)


def _pattern(validator, pattern, instance, schema):
    if isinstance(instance, str) and not _go_pattern(pattern).search(instance):
        yield jsonschema.ValidationError("%r does not match %r" % (instance, pattern))


def _list_type(validator, list_type, instance, schema):
    if not isinstance(instance, list):
        return
    if list_type == "set":
        for i, item in enumerate(instance):
            if item in instance[:i]:
                yield jsonschema.ValidationError("duplicate set item %r" % (item,))
    elif list_type == "map":
        keys = schema.get("x-kubernetes-list-map-keys", [])
        seen = []
        for item in instance:
            key = tuple(item.get(k) for k in keys) if isinstance(item, dict) else None
            if key in seen:
                yield jsonschema.ValidationError("duplicate map key %r" % (key,))
            seen.append(key)


def _format(validator, fmt, instance, schema):
    if fmt == "int32" and isinstance(instance, int) and not -2 ** 31 <= instance < 2 ** 31:
        yield jsonschema.ValidationError("%r is not an int32" % instance)
    if fmt == "int64" and isinstance(instance, int) and not -2 ** 63 <= instance < 2 ** 63:
        yield jsonschema.ValidationError("%r is not an int64" % instance)
    if fmt == "cidr" and isinstance(instance, str):
        # kube-openapi's "cidr" format is netutils.ParseCIDRSloppy: leading zeros in IPv4 octets pass.
        text = re.sub(r"(?<![0-9:])0+([0-9])", r"\1", instance) if ":" not in instance else instance
        ok = "/" in text and "%" not in text
        if ok:
            try:
                net = ipaddress.ip_network(text, strict=False)
                ok = not (net.version == 6 and ipaddress.ip_address(text.split("/")[0]).ipv4_mapped)
            except ValueError:
                ok = False
        if not ok:
            yield jsonschema.ValidationError("%r is not a cidr" % instance)
    if fmt == "date-time" and isinstance(instance, str):
        if not re.match(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$", instance):
            yield jsonschema.ValidationError("%r is not a date-time" % instance)


K8sValidator = jsonschema.validators.extend(jsonschema.Draft4Validator, {
    "pattern": _pattern, "format": _format, "x-kubernetes-list-type": _list_type})


def _apply_defaults(value, schema):
    """Kubernetes' structural defaulting: nulls of non-nullable object fields are pruned (or defaulted)."""
    if isinstance(value, dict) and schema.get("type") == "object":
        for key, sub in (schema.get("properties") or {}).items():
            if key in value and value[key] is None and not sub.get("nullable"):
                del value[key]
            if key not in value and "default" in sub:
                value[key] = copy.deepcopy(sub["default"])
            if key in value:
                _apply_defaults(value[key], sub)
    elif isinstance(value, list) and "items" in schema:
        for item in value:
            _apply_defaults(item, schema["items"])


# --- oracle: CEL with the Kubernetes CIDR/IP library ---------------------------------------------

class K8sIP:
    def __init__(self, text):
        addr = ipaddress.ip_address(str(text))
        if "%" in str(text) or (addr.version == 6 and addr.ipv4_mapped is not None):
            raise ValueError("IP address %r not allowed" % text)
        self.addr = addr

    def __eq__(self, other):
        return isinstance(other, K8sIP) and self.addr == other.addr


class K8sCIDR:
    def __init__(self, text):
        text = str(text)
        ip_text, sep, length = text.partition("/")
        if not sep or not re.match(r"^(0|[1-9][0-9]*)$", length):
            raise ValueError("bad cidr %r" % text)
        self.ip = K8sIP(ip_text)
        self.length = int(length)
        self.net = ipaddress.ip_network("%s/%d" % (ip_text, self.length), strict=False)

    def __eq__(self, other):
        return isinstance(other, K8sCIDR) and self.ip == other.ip and self.length == other.length


def _cel_functions():
    def cidr(text):
        return K8sCIDR(text)

    def ip(value):
        if isinstance(value, K8sCIDR):
            return value.ip
        return K8sIP(value)

    def family(value):
        return celtypes.IntType(value.addr.version)

    def masked(value):
        return K8sCIDR("%s/%d" % (value.net.network_address, value.length))

    def prefix_length(value):
        return celtypes.IntType(value.length)

    def contains_ip(value, other):
        other = other if isinstance(other, K8sIP) else K8sIP(other)
        return celtypes.BoolType(other.addr.version == value.net.version and other.addr in value.net)

    return {"cidr": cidr, "ip": ip, "family": family, "masked": masked, "prefixLength": prefix_length,
            "containsIP": contains_ip}


_CEL_ENV = None
_CEL_CACHE = {}


def _cel_ok(rule, value, old):
    global _CEL_ENV  # pylint: disable=global-statement
    if _CEL_ENV is None:
        _CEL_ENV = celpy.Environment()
    if rule not in _CEL_CACHE:
        _CEL_CACHE[rule] = _CEL_ENV.program(_CEL_ENV.compile(rule), functions=_cel_functions())
    activation = {"self": celpy.json_to_cel(value)}
    if old is not None:
        activation["oldSelf"] = celpy.json_to_cel(old)
    try:
        result = _CEL_CACHE[rule].evaluate(activation)
    except Exception:  # pylint: disable=broad-except
        return False  # a CEL runtime error (no such key, bad cidr) fails the rule, as in Kubernetes
    return result is True or result == celtypes.BoolType(True)


def _cel_failures(value, schema, old, path, out):
    for rule in schema.get("x-kubernetes-validations", []):
        transition = "oldSelf" in rule["rule"]
        if transition and old is None:
            continue
        if not _cel_ok(rule["rule"], value, old if transition else None):
            out.append((path, rule["message"]))
    if isinstance(value, dict):
        for key, sub in (schema.get("properties") or {}).items():
            if key in value:
                _cel_failures(value[key], sub, old.get(key) if isinstance(old, dict) else None, path + "." + key, out)
    elif isinstance(value, list) and "items" in schema:
        for index, item in enumerate(value):
            _cel_failures(item, schema["items"], None, "%s[%d]" % (path, index), out)


def oracle(group, obj, old=None):
    """(schema errors, CEL failures) for ``obj`` under the upstream CRD of ``group``."""
    schema = crd_schema(group, obj["kind"])
    obj = copy.deepcopy(obj)
    _apply_defaults(obj, schema)
    if old is not None:
        old = copy.deepcopy(old)
        _apply_defaults(old, schema)
    errors = [e.message for e in K8sValidator(schema, format_checker=None).iter_errors(obj)]
    cel = []
    if not errors:
        _cel_failures(obj, schema, old, "", cel)
    return errors, cel


# --- the corpus ------------------------------------------------------------------------------------

def obj(kind, spec, name="obj-1"):
    return {"apiVersion": "projectcalico.org/v3", "kind": kind, "metadata": {"name": name}, "spec": spec}


PEER = {"peerIP": "192.0.2.1", "asNumber": 64513}
BGPPEER_SPECS = [
    {}, PEER, {"peerIP": "192.0.2.1:1790", "asNumber": 64513}, {"peerIP": "[2001:db8::1]:179", "asNumber": 1},
    {"node": "worker-1", **PEER}, {"nodeSelector": "rack == 'a'", **PEER},
    {"node": "worker-1", "nodeSelector": "all()", **PEER}, {"node": "", "nodeSelector": "all()", **PEER},
    {"node": "n" * 253, **PEER}, {"node": "n" * 254, **PEER},
    {"nodeSelector": "x" * 1024}, {"nodeSelector": "x" * 1025},
    {"peerIP": "192.0.2.1", "peerSelector": "all()"}, {"peerIP": "", "peerSelector": "all()"},
    {"peerSelector": "all()", "asNumber": 64512}, {"peerSelector": "all()", "asNumber": 0},
    {"peerSelector": "x" * 1025}, {"peerIP": "1" * 64}, {"peerIP": "1" * 65},
    {"localWorkloadSelector": "app == 'x'", "asNumber": 65001},
    {"localWorkloadSelector": "app == 'x'"}, {"localWorkloadSelector": "app == 'x'", "asNumber": 0},
    {"localWorkloadSelector": "app == 'x'", "asNumber": 65001, "peerIP": "192.0.2.1"},
    {"localWorkloadSelector": "app == 'x'", "asNumber": 65001, "peerSelector": "all()"},
    {"localWorkloadSelector": "", "peerIP": "192.0.2.1"}, {"localWorkloadSelector": "x" * 1025, "asNumber": 1},
    {"reachableBy": "192.0.2.254", **PEER}, {"reachableBy": "192.0.2.254"}, {"reachableBy": ""},
    {"reachableBy": "1" * 65, **PEER},
    {"keepOriginalNextHop": True, "nextHopMode": "Self", **PEER}, {"keepOriginalNextHop": False, "nextHopMode": "Self"},
    {"keepOriginalNextHop": True, **PEER}, {"nextHopMode": "Keep"}, {"nextHopMode": "Auto"}, {"nextHopMode": "keep"},
    {"reversePeering": "Manual"}, {"reversePeering": "Auto"}, {"reversePeering": "manual"},
    {"sourceAddress": "None"}, {"sourceAddress": "UseNodeIP"}, {"sourceAddress": "NodeIP"},
    {"asNumber": 2147483647}, {"asNumber": 2147483648}, {"asNumber": 4200000000}, {"asNumber": -1},
    {"asNumber": "64512"}, {"asNumber": "1.10"}, {"asNumber": True},
    {"localASNumber": 65000}, {"localASNumber": 3000000000}, {"localASNumber": "65000"},
    {"numAllowedLocalASNumbers": 3}, {"numAllowedLocalASNumbers": 2 ** 31}, {"ttlSecurity": 1},
    {"ttlSecurity": "1"}, {"maxRestartTime": "120s"}, {"maxRestartTime": 120}, {"keepaliveTime": "10s"},
    {"filters": ["f1", "f2"]}, {"filters": "f1"}, {"filters": [1]},
    {"password": {"secretKeyRef": {"name": "s", "key": "k"}}}, {"password": {"secretKeyRef": {"key": "k"}}},
    {"password": {"secretKeyRef": {"name": "s"}}}, {"password": {"secretKeyRef": {"key": "k", "optional": "yes"}}},
    {"peerIP": 1}, {"node": ["a"]}, {"keepOriginalNextHop": "true"}, {"peerIP": None, "node": None},
    {"filters": [None]}, {"filters": ["a", None]},
]

BGPCONFIG_SPECS = [
    {}, {"asNumber": 64512, "nodeToNodeMeshEnabled": True, "logSeverityScreen": "Info"},
    {"logSeverityScreen": "debug"}, {"logSeverityScreen": "WARNING"}, {"logSeverityScreen": ""},
    {"logSeverityScreen": "Verbose"}, {"logSeverityScreen": "Info\n"},
    {"nodeToNodeMeshEnabled": False, "nodeMeshPassword": {"secretKeyRef": {"name": "s", "key": "k"}}},
    {"nodeToNodeMeshEnabled": True, "nodeMeshPassword": {"secretKeyRef": {"name": "s", "key": "k"}}},
    {"nodeMeshPassword": {"secretKeyRef": {"name": "s", "key": "k"}}},
    {"nodeToNodeMeshEnabled": False, "nodeMeshMaxRestartTime": "120s"},
    {"nodeToNodeMeshEnabled": True, "nodeMeshMaxRestartTime": "120s"}, {"nodeMeshMaxRestartTime": "2m"},
    {"communities": [{"name": "c1", "value": "65000:100"}]},
    {"communities": [], "prefixAdvertisements": []},
    {"communities": [{"name": "c1", "value": "65000:100"}],
     "prefixAdvertisements": [{"cidr": "10.0.0.0/8", "communities": ["c1", "65000:1"]}]},
    {"communities": [{"name": "c1", "value": "65000:100:5"}], "prefixAdvertisements": [{"cidr": "10.0.0.0/8"}]},
    {"communities": [{"name": "c1", "value": "65000"}], "prefixAdvertisements": [{"cidr": "10.0.0.0/8"}]},
    {"communities": [{"name": "c1", "value": "a:b"}], "prefixAdvertisements": [{"cidr": "10.0.0.0/8"}]},
    {"communities": [{"name": "c1", "value": "1:2\n"}], "prefixAdvertisements": [{"cidr": "10.0.0.0/8"}]},
    {"communities": [{"name": "c1", "value": "1" * 20 + ":" + "2" * 20}],
     "prefixAdvertisements": [{"cidr": "10.0.0.0/8"}]},
    {"communities": [{"name": "n" * 254, "value": "1:2"}], "prefixAdvertisements": [{"cidr": "10.0.0.0/8"}]},
    {"communities": [{"name": "c%d" % i, "value": "1:2"} for i in range(501)],
     "prefixAdvertisements": [{"cidr": "10.0.0.0/8"}]},
    {"prefixAdvertisements": [{"cidr": "10.0.0.0/8", "communities": ["1:1"] * 50}]},
    {"prefixAdvertisements": [{"cidr": "10.0.0.0/8", "communities": ["1:1"] * 51}]},
    {"prefixAdvertisements": [{"cidr": "10.0.0.1"}]}, {"prefixAdvertisements": [{"cidr": "fd00::/64"}]},
    {"prefixAdvertisements": [{"cidr": "nonsense/8"}]}, {"prefixAdvertisements": [{"cidr": "010.0.0.0/8"}]},
    {"prefixAdvertisements": [{"cidr": "10.0.0.0/08"}]},
    {"serviceClusterIPs": [{"cidr": "10.96.0.0/12"}], "serviceExternalIPs": [{"cidr": "203.0.113.0/24"}],
     "serviceLoadBalancerIPs": [{"cidr": "198.51.100.0/24"}]},
    {"serviceClusterIPs": [{"cidr": "10.96.0.0"}]}, {"serviceExternalIPs": [{"cidr": "x"}]},
    {"serviceLoadBalancerIPs": [{"cidr": "fd00::/129"}]}, {"serviceClusterIPs": {"cidr": "10.96.0.0/12"}},
    {"listenPort": 179}, {"listenPort": 0}, {"listenPort": 65535}, {"listenPort": 65536}, {"listenPort": "179"},
    {"ipv4NormalRoutePriority": 1}, {"ipv4NormalRoutePriority": 0}, {"ipv6NormalRoutePriority": 2147483646},
    {"ipv6NormalRoutePriority": 2147483647},
    {"bindMode": "NodeIP"}, {"bindMode": "None"}, {"bindMode": "nodeip"},
    {"programClusterRoutes": "EnabledIPIPOnly"}, {"programClusterRoutes": "Yes"},
    {"serviceLoadBalancerAggregation": "Disabled"}, {"serviceLoadBalancerAggregation": "disabled"},
    {"ignoredInterfaces": ["eth*", "lo"]}, {"ignoredInterfaces": ["eth0", "eth0"]},
    {"localWorkloadPeeringIPV4": "169.254.0.1"}, {"localWorkloadPeeringIPV6": "fe80::1"},
    {"asNumber": 4294967295}, {"asNumber": "64512"}, {"nodeToNodeMeshEnabled": "false"},
]

IPPOOL_SPECS = [
    {"cidr": "10.244.0.0/16"}, {}, {"cidr": ""}, {"cidr": "010.244.0.0/16"}, {"cidr": "10.244.0.1/16"}, {"cidr": "10.244.0.0/33"},
    {"cidr": "fd00:10:244::/64"}, {"cidr": "fd00:10:244::1/64"}, {"cidr": "10.244.0.0"}, {"cidr": "x" * 49},
    {"cidr": "10.244.0.0/16", "blockSize": 26}, {"cidr": "10.244.0.0/16", "blockSize": 19},
    {"cidr": "10.244.0.0/16", "blockSize": 20}, {"cidr": "10.244.0.0/16", "blockSize": 32},
    {"cidr": "10.244.0.0/16", "blockSize": 33}, {"cidr": "10.244.0.0/16", "blockSize": 129},
    {"cidr": "10.244.0.0/16", "blockSize": -1}, {"cidr": "10.244.0.0/16", "blockSize": 0},
    {"cidr": "fd00::/64", "blockSize": 122}, {"cidr": "fd00::/64", "blockSize": 115}, {"cidr": "fd00::/64", "blockSize": 26},
    {"cidr": "10.244.0.0/27"}, {"cidr": "10.244.0.0/27", "disabled": True}, {"cidr": "10.244.0.0/27", "blockSize": 28},
    {"cidr": "fd00::/123"}, {"cidr": "fd00::/123", "blockSize": 124},
    {"cidr": "10.244.0.0/16", "ipipMode": "Always"}, {"cidr": "10.244.0.0/16", "ipipMode": "Always", "vxlanMode": "Always"},
    {"cidr": "10.244.0.0/16", "ipipMode": "CrossSubnet", "vxlanMode": "Never"},
    {"cidr": "10.244.0.0/16", "ipipMode": "always"}, {"cidr": "10.244.0.0/16", "vxlanMode": "Sometimes"},
    {"cidr": "fd00::/64", "ipipMode": "Always"}, {"cidr": "fd00::/64", "vxlanMode": "Always"},
    {"cidr": "fd00::/64", "ipipMode": "Never"},
    {"cidr": "10.244.0.0/16", "allowedUses": ["Workload", "Tunnel"]},
    {"cidr": "10.244.0.0/16", "allowedUses": ["Workload", "Workload"]},
    {"cidr": "10.244.0.0/16", "allowedUses": ["Other"]},
    {"cidr": "203.0.113.0/24", "allowedUses": ["LoadBalancer"]},
    {"cidr": "203.0.113.0/24", "allowedUses": ["LoadBalancer", "Workload"]},
    {"cidr": "203.0.113.0/24", "allowedUses": ["LoadBalancer"], "vxlanMode": "Always"},
    {"cidr": "203.0.113.0/24", "allowedUses": ["LoadBalancer"], "disableBGPExport": True},
    {"cidr": "203.0.113.0/24", "allowedUses": ["LoadBalancer"], "nodeSelector": "rack == 'a'"},
    {"cidr": "203.0.113.0/24", "allowedUses": ["LoadBalancer"], "nodeSelector": "all()"},
    {"cidr": "10.244.0.0/16", "allowedUses": ["Tunnel"], "namespaceSelector": "all()"},
    {"cidr": "10.244.0.0/16", "allowedUses": ["Workload"], "namespaceSelector": "all()"},
    {"cidr": "10.244.0.0/16", "nodeSelector": "global()"}, {"cidr": "10.244.0.0/16", "namespaceSelector": "global()"},
    {"cidr": "10.244.0.0/16", "nodeSelector": "x" * 1025}, {"cidr": "10.244.0.0/16", "namespaceSelector": "x" * 1025},
    {"cidr": "169.254.0.0/16"}, {"cidr": "169.254.10.0/24"}, {"cidr": "169.0.0.0/8"}, {"cidr": "fe80::/64"},
    {"cidr": "fe80::/9", "blockSize": 122, "disabled": True}, {"cidr": "fe00::/8"},
    {"cidr": "10.244.0.0/16", "assignmentMode": "Manual"}, {"cidr": "10.244.0.0/16", "assignmentMode": "manual"},
    {"cidr": "10.244.0.0/16", "natOutgoing": True, "disabled": False, "disableBGPExport": True},
    {"cidr": "10.244.0.0/16", "natOutgoing": "yes"},
    {"cidr": "10.244.0.0/16", "allowedUses": ["Workload"] * 11},
]

NODESTATUS_SPECS = [
    {"node": "worker-1", "classes": ["Agent", "BGP", "Routes"], "updatePeriodSeconds": 10}, {},
    {"node": "worker-1"}, {"classes": []}, {"classes": ["Routes"]}, {"classes": ["bgp"]}, {"classes": [1]},
    {"classes": ["Agent", "Routes", "Agent"]}, {"updatePeriodSeconds": 86400}, {"updatePeriodSeconds": 2 ** 31 - 1},
    {"updatePeriodSeconds": -2 ** 31}, {"updatePeriodSeconds": -2 ** 31 - 1}, {"updatePeriodSeconds": True},
    {"node": ""}, {"node": "n" * 300}, {"node": ["worker-1"]}, {"node": "worker-1", "extra": "pruned"},
    {"classes": ["BGP", "BGP"]}, {"classes": ["Bird"]}, {"classes": "BGP"}, {"updatePeriodSeconds": 0},
    {"updatePeriodSeconds": 86401}, {"updatePeriodSeconds": 2 ** 31}, {"updatePeriodSeconds": -1},
    {"updatePeriodSeconds": "10"}, {"node": 5},
]

_RULE = {"action": "Accept"}
BGPFILTER_SPECS = [
    {}, {"exportV4": [_RULE]}, {"exportV4": [{"action": "Deny"}]}, {"exportV4": [{}]},
    {"exportV4": [{"action": "Reject", "cidr": "10.0.0.0/8", "matchOperator": "In"}]},
    {"exportV4": [{"action": "Reject", "cidr": "10.0.0.0/8"}]},
    {"exportV4": [{"action": "Reject", "matchOperator": "In"}]},
    {"exportV4": [{"action": "Reject", "cidr": "", "matchOperator": ""}]},
    {"exportV4": [{"action": "Reject", "cidr": "10.0.0.0/8", "matchOperator": "Like"}]},
    {"exportV4": [{"action": "Accept", "cidr": "10.100.100.100/32", "matchOperator": "Equal"}]},
    {"exportV4": [{"action": "Accept", "cidr": "100.100.100.100/32", "matchOperator": "Equal"}]},
    {"exportV6": [{"action": "Accept", "cidr": "2001:db8:1234:5678:9abc:def0:1234:5678/128",
                   "matchOperator": "Equal"}]},
    {"exportV6": [{"action": "Accept", "cidr": "2001:db8:1234:5678:9abc:def0:1234:5678:0/128",
                   "matchOperator": "Equal"}]},
    {"importV4": [{"action": "Accept", "cidr": "nonsense", "matchOperator": "In"}]},
    {"importV4": [{"action": "Accept", "cidr": "10.0.0.0/8", "matchOperator": "In",
                   "prefixLength": {"min": 16, "max": 24}}]},
    {"importV4": [{"action": "Accept", "prefixLength": {"min": 16}}]},
    {"importV4": [{"action": "Accept", "cidr": "10.0.0.0/8", "matchOperator": "In", "prefixLength": {"max": 33}}]},
    {"importV6": [{"action": "Accept", "cidr": "fd00::/8", "matchOperator": "In", "prefixLength": {"max": 128}}]},
    {"importV6": [{"action": "Accept", "cidr": "fd00::/8", "matchOperator": "In", "prefixLength": {"max": 129}}]},
    {"importV6": [{"action": "Accept", "cidr": "fd00::/8", "matchOperator": "In", "prefixLength": {"min": -1}}]},
    {"importV4": [{"action": "Accept", "operations": [{"addCommunity": {"value": "65000:1"}}]}]},
    {"importV4": [{"action": "Reject", "operations": [{"addCommunity": {"value": "65000:1"}}]}]},
    {"importV4": [{"action": "Reject", "operations": []}]},
    {"importV4": [{"action": "Accept", "operations": []}]},
    {"importV4": [{"action": "Accept", "operations": [{}]}]},
    {"importV4": [{"action": "Accept",
                   "operations": [{"addCommunity": {"value": "65000:1"}, "setPriority": {"value": 5}}]}]},
    {"importV4": [{"action": "Accept", "operations": [{"addCommunity": {"value": "65536:1"}}]}]},
    {"importV4": [{"action": "Accept", "operations": [{"addCommunity": {"value": "4294967295:1:2"}}]}]},
    {"importV4": [{"action": "Accept", "operations": [{"addCommunity": {"value": "4294967296:1:2"}}]}]},
    {"importV4": [{"action": "Accept", "operations": [{"addCommunity": {}}]}]},
    {"importV4": [{"action": "Accept", "operations": [{"prependASPath": {"prefix": [65000, 65000]}}]}]},
    {"importV4": [{"action": "Accept", "operations": [{"prependASPath": {"prefix": []}}]}]},
    {"importV4": [{"action": "Accept", "operations": [{"prependASPath": {"prefix": [1] * 11}}]}]},
    {"importV4": [{"action": "Accept", "operations": [{"prependASPath": {"prefix": [4200000000]}}]}]},
    {"importV4": [{"action": "Accept", "operations": [{"setPriority": {"value": 0}}]}]},
    {"importV4": [{"action": "Accept", "operations": [{"setPriority": {"value": 2147483646}}]}]},
    {"importV4": [{"action": "Accept", "operations": [{"setPriority": {"value": 10}}] * 11}]},
    {"importV4": [{"action": "Accept", "communities": {"values": ["65000:100"]}}]},
    {"importV4": [{"action": "Accept", "communities": {"values": []}}]},
    {"importV4": [{"action": "Accept", "communities": {"values": ["1:1", "2:2"]}}]},
    {"importV4": [{"action": "Accept", "communities": {}}]},
    {"importV4": [{"action": "Accept", "communities": {"values": ["01:1"]}}]},
    {"importV4": [{"action": "Accept", "asPathPrefix": [65000, 65001]}]},
    {"importV4": [{"action": "Accept", "asPathPrefix": ["65000"]}]},
    {"importV4": [{"action": "Accept", "interface": "eth*"}]},
    {"importV4": [{"action": "Accept", "interface": "a" * 16}]},
    {"importV4": [{"action": "Accept", "peerType": "iBGP", "source": "RemotePeers", "priority": 10}]},
    {"importV4": [{"action": "Accept", "peerType": "IBGP"}]},
    {"importV4": [{"action": "Accept", "source": "Local"}]},
    {"importV4": [{"action": "Accept", "priority": 0}]},
    {"importV4": [{"action": "Accept", "priority": 2147483647}]},
]

CORPUS = ([("BGPPeer", s) for s in BGPPEER_SPECS] + [("BGPConfiguration", s) for s in BGPCONFIG_SPECS]
          + [("IPPool", s) for s in IPPOOL_SPECS] + [("CalicoNodeStatus", s) for s in NODESTATUS_SPECS]
          + [("BGPFilter", s) for s in BGPFILTER_SPECS])
CASES = [pytest.param(kind, spec, id="%s-%d" % (kind, i)) for i, (kind, spec) in enumerate(CORPUS)]
GROUPS_ALL = [resources.GROUP_V1, resources.GROUP_V3]
GROUP_MODES = [pytest.param(resources.GROUP_V1, id="v1"), pytest.param(resources.GROUP_V3, id="v3crd")]


@pytest.mark.parametrize("group", GROUP_MODES)
@pytest.mark.parametrize("kind, spec", CASES)
def test_model_accepts_what_the_crd_accepts(group, kind, spec):
    candidate = obj(kind, spec)
    schema_errors, cel_failures = oracle(group, candidate)
    model_errors = resources.validate(candidate, group, api_server=False)
    assert bool(model_errors) == bool(schema_errors or cel_failures), (
        "model %s, CRD schema %s, CEL %s" % (model_errors, schema_errors, cel_failures))
    # Same CEL messages: the model words cross-field errors exactly as the CRD does.
    model_cel = sorted(e.message for e in model_errors if e.source == "cel")
    if not schema_errors:
        assert model_cel == sorted(m for _p, m in cel_failures)


STATUS_CASES = [
    ("CalicoNodeStatus", {"lastUpdated": "2024-01-01T00:00:00Z", "agent": {"birdV4": {"state": "Ready"}},
                          "bgp": {"numberEstablishedV4": 1, "numberEstablishedV6": 0, "numberNotEstablishedV4": 0,
                                  "numberNotEstablishedV6": 0,
                                  "peersV4": [{"peerIP": "10.0.0.1", "type": "NodeMesh", "state": "Established",
                                               "since": "09:00:00"}]},
                          "routes": {"routesV4": [{"type": "FIB", "destination": "10.0.0.0/24",
                                                   "learnedFrom": {"sourceType": "NodeMesh", "peerIP": "10.0.0.1"}}]}}),
    ("CalicoNodeStatus", {"bgp": {"numberEstablishedV4": 1}}),
    ("CalicoNodeStatus", {"agent": {"birdV4": {"state": "Up"}}}),
    ("CalicoNodeStatus", {"bgp": {"numberEstablishedV4": 0, "numberEstablishedV6": 0, "numberNotEstablishedV4": 0,
                                  "numberNotEstablishedV6": 0, "peersV6": [{"type": "Mesh"}]}}),
    ("CalicoNodeStatus", {"routes": {"routesV6": [{"type": "Kernel"}]}}),
    ("CalicoNodeStatus", {"lastUpdated": "yesterday"}),
    ("IPPool", {"conditions": [{"type": "Allocatable", "status": "True", "reason": "PoolEnabled", "message": "",
                                "lastTransitionTime": "2024-01-01T00:00:00Z"}]}),
    ("IPPool", {"conditions": [{"type": "Allocatable", "status": "Maybe", "reason": "PoolEnabled", "message": "",
                                "lastTransitionTime": "2024-01-01T00:00:00Z"}]}),
    ("IPPool", {"conditions": [{"type": "Allocatable", "status": "True"}]}),
    ("IPPool", {"conditions": [{"type": "Allocatable", "status": "True", "reason": "9bad", "message": "",
                                "lastTransitionTime": "2024-01-01T00:00:00Z"}]}),
]


@pytest.mark.parametrize("group", GROUP_MODES)
@pytest.mark.parametrize("kind, status", STATUS_CASES)
def test_status_schema_matches(group, kind, status):
    spec = {"cidr": "10.244.0.0/16"} if kind == "IPPool" else {"node": "n1", "updatePeriodSeconds": 5}
    candidate = dict(obj(kind, spec), status=status)
    schema_errors, cel_failures = oracle(group, candidate)
    model_errors = resources.validate(candidate, group, api_server=False)
    assert bool(model_errors) == bool(schema_errors or cel_failures), (model_errors, schema_errors, cel_failures)


UPDATE_CASES = [
    ({"cidr": "10.244.0.0/16", "blockSize": 26}, {"cidr": "10.244.0.0/16", "blockSize": 26}),
    ({"cidr": "10.244.0.0/16", "blockSize": 26}, {"cidr": "10.245.0.0/16", "blockSize": 26}),
    ({"cidr": "10.244.0.0/16", "blockSize": 26}, {"cidr": "10.244.0.0/16", "blockSize": 27}),
    ({"cidr": "10.244.0.0/16"}, {"cidr": "10.244.0.0/16", "blockSize": 26}),
    ({"cidr": "10.244.0.0/16", "blockSize": 26}, {"cidr": "10.244.0.0/16", "natOutgoing": True, "blockSize": 26}),
]


@pytest.mark.parametrize("group", GROUP_MODES)
@pytest.mark.parametrize("old_spec, new_spec", UPDATE_CASES)
def test_transition_rules_match(group, old_spec, new_spec):
    old, new = obj("IPPool", old_spec), obj("IPPool", new_spec)
    schema_errors, cel_failures = oracle(group, new, old)
    model_errors = resources.validate(new, group, api_server=False, old=old)
    assert bool(model_errors) == bool(schema_errors or cel_failures), (model_errors, schema_errors, cel_failures)


def test_corpus_exercises_both_outcomes_for_every_kind():
    for kind in KIND_FILES:
        outcomes = [bool(sum(oracle(resources.GROUP_V1, obj(k, s)), [])) for k, s in CORPUS if k == kind]
        assert any(outcomes) and not all(outcomes), kind
    assert len(CORPUS) >= 200


def test_v3_crd_requires_metadata_and_spec():
    bare = {"apiVersion": "projectcalico.org/v3", "kind": "BGPPeer", "metadata": {"name": "p"}}
    assert oracle(resources.GROUP_V3, bare)[0] and not oracle(resources.GROUP_V1, bare)[0]
    assert resources.validate(bare, resources.GROUP_V3, api_server=False)
    assert not resources.validate(bare, resources.GROUP_V1)


# --- the declarative model is the CRD's schema, constraint for constraint ---------------------------

def _walk_compare(crd, field, path, problems):
    kind = crd.get("type")
    if kind != field.kind:
        problems.append("%s: type %s vs model %s" % (path, kind, field.kind))
        return
    pairs = [("enum", field.enum, _enum(crd)), ("pattern", field.pattern, crd.get("pattern")),
             ("maxLength", field.max_length, crd.get("maxLength")), ("minLength", field.min_length, crd.get("minLength")),
             ("format", field.fmt, crd.get("format")), ("minimum", field.minimum, crd.get("minimum")),
             ("maximum", field.maximum, crd.get("maximum")), ("maxItems", field.max_items, crd.get("maxItems")),
             ("minItems", field.min_items, crd.get("minItems")),
             ("maxProperties", field.max_props, crd.get("maxProperties")),
             ("minProperties", field.min_props, crd.get("minProperties")),
             ("x-kubernetes-list-type", field.list_type, crd.get("x-kubernetes-list-type")),
             ("default", None if field.default is model_schema.MISSING else field.default,
              crd.get("default")),
             ("required", sorted(field.required), sorted(crd.get("required", []))),
             ("nullable", field.nullable, crd.get("nullable", False)),
             ("rules", sorted(r.message for r in field.rules),
              sorted(v["message"] for v in crd.get("x-kubernetes-validations", [])))]
    for name, mine, theirs in pairs:
        if name == "enum" and mine is not None:
            mine = list(mine)
        if mine != theirs:
            problems.append("%s: %s %r vs model %r" % (path, name, theirs, mine))
    if kind == "object":
        crd_props = crd.get("properties", {})
        if sorted(crd_props) != sorted(field.props):
            problems.append("%s: properties %s vs model %s" % (path, sorted(crd_props), sorted(field.props)))
        for key in set(crd_props) & set(field.props):
            _walk_compare(crd_props[key], field.props[key], path + "." + key, problems)
    if kind == "array":
        _walk_compare(crd["items"], field.items, path + "[]", problems)


def _enum(crd):
    if "enum" in crd:
        return crd["enum"]
    for part in crd.get("allOf", []):
        if "enum" in part:
            return part["enum"]
    return None


@pytest.mark.parametrize("group", GROUPS_ALL)
@pytest.mark.parametrize("kind", sorted(KIND_FILES))
def test_model_schema_equals_crd_schema(group, kind):
    schema = crd_schema(group, kind)
    info = resources.KINDS[kind]
    problems = []
    _walk_compare(schema["properties"]["spec"], info.spec, "spec", problems)
    if "status" in schema["properties"]:
        _walk_compare(schema["properties"]["status"], info.status, "status", problems)
    else:
        assert info.status is None
    assert sorted(schema.get("required", [])) == sorted(model_schema.object_schema(info, group).required)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("group", GROUPS_ALL)
@pytest.mark.parametrize("kind", sorted(KIND_FILES))
def test_kinds_metadata_matches_crd_names(group, kind):
    crd = load_crd(group, kind)
    names = crd["spec"]["names"]
    info = resources.KINDS[kind]
    assert (info.kind, info.plural, info.singular, info.list_kind) == (
        names["kind"], names["plural"], names["singular"], names["listKind"])
    assert crd["spec"]["scope"] == ("Namespaced" if info.namespaced else "Cluster")
    assert crd["spec"]["group"] == group.split("/")[0]
    assert crd["spec"]["versions"][0]["name"] == group.split("/")[1]


@pytest.mark.parametrize("kind, spec", [
    ("IPPool", {"cidr": "10.0.0.0/16"}), ("BGPConfiguration", {}), ("BGPPeer", {"password": {"secretKeyRef": {"key": "k"}}}),
    ("BGPConfiguration", {"nodeMeshPassword": {"secretKeyRef": {"key": "k"}}, "logSeverityScreen": "Debug"}),
    ("BGPFilter", {"exportV4": [{"action": "Accept"}]}), ("CalicoNodeStatus", {"node": "a"}),
])
def test_crd_defaults_match(kind, spec):
    for group in GROUPS_ALL:
        candidate = obj(kind, spec)
        expected = copy.deepcopy(candidate)
        _apply_defaults(expected, crd_schema(group, kind))
        assert resources.apply_defaults(candidate, group, api_server=False) == expected


def _asn_only(errors):
    return all(e.path.rsplit(".", 1)[-1].split("[")[0] in ("asNumber", "localASNumber", "asPathPrefix", "prefix")
               for e in errors)


@pytest.mark.parametrize("kind, spec", CASES)
def test_calico_api_server_refuses_what_the_crd_refuses(kind, spec):
    """At HEAD the Calico API server runs the CRD schema and CEL rules too: it refuses at least what the
    v3 CRD refuses, except AS numbers, which it decodes as Calico does (uint32, plain or dotted)."""
    candidate = obj(kind, spec, name="default")
    crd_errors = resources.validate(candidate, resources.GROUP_V3, api_server=False)
    server_errors = resources.validate(candidate, resources.GROUP_V3)
    if crd_errors and not _asn_only(crd_errors):
        assert server_errors, crd_errors
    if not crd_errors:
        # what the server refuses beyond the CRD comes from Calico's own checks, never from the schema
        assert all(e.source in ("go", "decode", "clientv3") for e in server_errors), server_errors


# --- a seeded random corpus: the same answer as the oracle on objects nobody wrote by hand -----------

_FUZZ_STRINGS = ["", "all()", "global()", "10.0.0.0/8", "10.0.0.1", "10.0.0.0/28", "10.0.0.0/20", "0.0.0.0/0",
                 "fd00::/64", "2001:db8::/120", "fe80::/10", "169.254.1.0/24", "Never", "Always", "CrossSubnet",
                 "Accept", "Reject", "In", "Equal", "LoadBalancer", "Workload", "Tunnel", "65000:1", "1:2:3", "x",
                 "Info", "debug", "None", "NodeIP", "Auto", "Self", "Keep", "Manual", "UseNodeIP", "a" * 70, "eBGP",
                 "RemotePeers", "120s"]
_FUZZ_INTS = [0, 1, 5, 16, 20, 24, 26, 33, 122, 128, 129, 65535, 65536, 2 ** 31, -1, 4200000000]


def _fuzz_value(field, rnd):
    if rnd.random() < 0.08:
        return rnd.choice([None, True, 7, "x", [], {}])
    if field.kind == "string":
        return rnd.choice(field.enum) if field.enum and rnd.random() < 0.6 else rnd.choice(_FUZZ_STRINGS)
    if field.kind == "integer":
        return rnd.choice(_FUZZ_INTS)
    if field.kind == "boolean":
        return rnd.choice([True, False])
    if field.kind == "array":
        return [_fuzz_value(field.items, rnd) for _item in range(rnd.choice([0, 1, 1, 2, 3]))]
    out = {}
    keys = sorted(field.props)
    for key in rnd.sample(keys, min(len(keys), rnd.choice([0, 1, 2, 3, 4]))):
        out[key] = _fuzz_value(field.props[key], rnd)
    for key in field.required:
        if rnd.random() < 0.8:
            out[key] = _fuzz_value(field.props[key], rnd)
    return out


@pytest.mark.parametrize("seed", range(8))
def test_random_objects_agree_with_the_crd(seed):
    import random  # pylint: disable=import-outside-toplevel
    rnd = random.Random(seed)
    outcomes = []
    for _round in range(60):
        kind = rnd.choice(sorted(KIND_FILES))
        spec = _fuzz_value(resources.KINDS[kind].spec, rnd)
        if not isinstance(spec, dict):
            continue
        candidate = obj(kind, spec)
        for group in GROUPS_ALL:
            schema_errors, cel_failures = oracle(group, candidate)
            model_errors = resources.validate(candidate, group, api_server=False)
            assert bool(model_errors) == bool(schema_errors or cel_failures), (
                kind, spec, group, model_errors, schema_errors, cel_failures)
            outcomes.append(bool(model_errors))
    assert any(outcomes) and not all(outcomes)
