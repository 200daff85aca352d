# -*- coding: utf-8 -*-
# Copyright: kubefabric.bgp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Calico peering engine: which BGP sessions calico-node configures on every node.

Given Calico resources (projectcalico.org/v3 ``BGPConfiguration``, ``BGPPeer``, ``Node`` - or a
core/v1 Node - plus ``Secret`` objects for passwords), :func:`compute_peerings` returns, for every
node, the BGP sessions its calico-node renders into BIRD, with every attribute BIRD gets: peer
address and port, AS numbers, iBGP/eBGP, route-reflector client and cluster ID, passive side,
source address, TTL security, password, graceful restart, keepalive, next hop mode, allow local as.

The computation follows confd (calico-node's config renderer) at Calico HEAD:

* the v3 BGPPeers become "v1 peerings" exactly as confd's ``updatePeersV1`` builds them: global
  peerings first, then node-specific ones (a node-specific peering to an IP:port that already has a
  global peering is dropped, the first peering emitted for a key wins), then the reverse peerings
  for symmetry between Calico nodes (``reversePeering: Auto``);
* each node then renders its node-to-node mesh peers, the global peerings and its own peerings the
  way ``bgp_processor.go`` does (``buildPeerFromData``), skipping any peer whose IP is its own.

``calico_version="v3.31"`` switches on the two places where Calico up to v3.31 (BIRD templates
doing the work) differs: a mesh peer without its own AS number gets the global AS (HEAD: this
node's AS) and mesh export always calls ``calico_export_to_bgp_peers(true)``.

The engine is linear in the number of sessions it produces: node selectors are answered from a
label index, nodes are indexed by address, and only the mesh (N-1 peers per node by definition)
grows with N squared.
"""

from __future__ import annotations

import base64
import ipaddress
import re
from dataclasses import dataclass, field, replace

from ..common.errors import FabricError
from . import selector as _selector
from .addr import parse_cidr_or_ip, parse_ip, parse_peer_ip
from .asn import parse_asn

try:
    import yaml
    HAS_YAML = True
except ImportError:  # pragma: no cover - PyYAML comes with ansible-core
    yaml = None
    HAS_YAML = False

try:  # the Calico <-> core/v1 Node mapping lives in nodes.py
    from .nodes import calico_node_from_k8s as _calico_node_from_k8s
except ImportError:  # pragma: no cover - only while nodes.py is not there
    _calico_node_from_k8s = None

DEFAULT_AS = 64512
DEFAULT_NAMESPACE = "kube-system"
VERSIONS = ("head", "v3.31")

PEER_TYPE_LABELS = {"mesh": "node-to-node mesh", "global": "global", "node": "node specific"}
_PREFIX = {"mesh": "Mesh", "global": "Global", "node": "Node"}
_DURATION = re.compile(r"([0-9]*\.?[0-9]+)(ns|us|\u00b5s|ms|s|m|h)")
_UNIT = {"ns": 1e-9, "us": 1e-6, "\u00b5s": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}


# --------------------------------------------------------------------------------------------
# result type


@dataclass(slots=True)
class Peer:
    """One BGP session as one node's calico-node renders it (one ``protocol bgp`` block)."""

    name: str                      # BIRD protocol name: Mesh_10_0_0_1, Global_..., Node_..._port_179
    node: str                      # the node that renders it
    peer_type: str                 # mesh | global | node
    ip_version: int                # 4 or 6
    peer_ip: str
    port: int | None               # neighbor port (None: BGP's 179)
    peer_as: int
    local_as: int                  # effective local AS of the session (local_as_override or node AS)
    node_as: int                   # the node's AS (BIRD template ``local as``)
    local_as_override: int | None  # per-peer ``local as`` from BGPPeer.localASNumber
    source_address: str | None
    ttl_security: int              # 0: ``ttl security off; multihop;`` else ``ttl security on; multihop N;``
    passive: bool
    rr_client: bool
    rr_cluster_id: str | None      # this node's cluster ID when rr_client
    graceful_restart: int | None   # seconds
    keepalive: int | None          # seconds
    next_hop: str | None           # "self" | "keep" | None
    allow_local_as: int | None
    password_ref: dict | None      # {"name": secret, "key": key, "namespace": ns}
    password: str | None = field(default=None, repr=False, compare=False)
    filters: tuple = ()            # BGPFilter names in order (never on mesh peers)
    reachable_by: str | None = None
    peer_node: str | None = None   # the Calico node on the other side, when it is one
    bgppeer: str | None = None     # the BGPPeer resource that produced it (None for the mesh)
    reverse: bool = False          # produced as a reverse peering
    multihop: bool = True          # False: v3.31 mesh sessions (no ttl security / multihop lines)
    depends: tuple = ()  # indices of the resources the session depends on

    @property
    def ibgp(self):
        return self.peer_as == self.local_as

    @property
    def export_internal(self):
        """The argument of ``calico_export_to_bgp_peers`` for this session (v3.31 mesh: always true)."""
        if self.peer_type == "mesh" and not self.multihop:
            return True
        return self.ibgp

    @property
    def peer_type_label(self):
        return PEER_TYPE_LABELS[self.peer_type]

    def as_dict(self, with_secret=False):
        data = {
            "name": self.name, "node": self.node, "peer_type": self.peer_type_label, "ip_version": self.ip_version,
            "peer_address": self.peer_ip, "port": self.port, "peer_as": self.peer_as, "local_as": self.local_as,
            "node_as": self.node_as, "ibgp": self.ibgp, "rr_client": self.rr_client,
            "rr_cluster_id": self.rr_cluster_id, "passive": self.passive, "source_address": self.source_address,
            "ttl_security": self.ttl_security, "graceful_restart": self.graceful_restart,
            "keepalive": self.keepalive, "next_hop": self.next_hop, "allow_local_as": self.allow_local_as,
            "password_ref": dict(self.password_ref) if self.password_ref else None,
            "password_set": self.password is not None, "filters": list(self.filters),
            "reachable_by": self.reachable_by, "peer_node": self.peer_node, "bgppeer": self.bgppeer,
            "reverse": self.reverse, "multihop": self.multihop,
        }
        if with_secret:
            data["password"] = self.password
        return data


def protocol_name(prefix, ip, port=None):
    """``Mesh_|Global_|Node_`` + the IP with ``.``/``:`` turned into ``_`` (+ ``_port_N``)."""
    name = "%s_%s" % (prefix, ip.replace(".", "_").replace(":", "_"))
    if port:
        name += "_port_%d" % port
    return name


def parse_duration(value, what):
    """Seconds (rounded, as Calico's ``math.Round(d.Seconds())``) from a Go duration text."""
    if value is None or value == "":
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return int(round(value))
    text = str(value).strip()
    if text == "0":
        return 0
    pos = 0
    total = 0.0
    for match in _DURATION.finditer(text):
        if match.start() != pos:
            break
        total += float(match.group(1)) * _UNIT[match.group(2)]
        pos = match.end()
    if pos != len(text) or pos == 0:
        raise ValueError("%s: invalid duration %r (use Go duration text such as 120s or 2m)" % (what, value))
    return int(round(total + 1e-9))


# --------------------------------------------------------------------------------------------
# YAML input


def _yaml12_loader():
    """A SafeLoader without YAML 1.1 sexagesimal numbers: ``5663:12`` stays the text it is."""

    class Loader(yaml.SafeLoader):  # pylint: disable=too-many-ancestors
        pass

    Loader.yaml_implicit_resolvers = {
        first: [(tag, regexp) for tag, regexp in resolvers
                if tag not in ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float")]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
    Loader.add_implicit_resolver(
        "tag:yaml.org,2002:int",
        re.compile(r"^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+)$"),
        list("-+0123456789"))
    Loader.add_implicit_resolver(
        "tag:yaml.org,2002:float",
        re.compile(r"^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9_]+(?:[eE][-+][0-9]+)?"
                   r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"),
        list("-+0123456789."))
    return Loader


def load_documents(text, where="src"):
    """Resources from a multi-document YAML text (as ``calicoctl apply -f`` takes it)."""
    if not HAS_YAML:
        raise FabricError("PyYAML is not installed", field=where, fix="pip install PyYAML")
    try:
        docs = list(yaml.load_all(text, Loader=_yaml12_loader()))  # nosec B506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        raise FabricError("%s is not valid YAML: %s" % (where, exc), field=where, fix="fix the YAML syntax")
    return [doc for doc in docs if doc is not None]


# --------------------------------------------------------------------------------------------
# the resource model


@dataclass
class CalicoNode:
    name: str
    index: int
    labels: dict
    ipv4: str | None = None
    ipv4_cidr: str | None = None
    ipv6: str | None = None
    ipv6_cidr: str | None = None
    asn: int | None = None
    rr_cluster_id: str | None = None

    def ip(self, version):
        return self.ipv4 if version == 4 else self.ipv6


@dataclass
class BGPConfig:
    name: str
    index: int
    spec: dict


@dataclass
class BGPPeerRes:
    name: str
    index: int
    spec: dict
    node: str = ""
    node_selector: object = None   # Selector or None
    peer_selector: object = None
    peer_ip: str | None = None
    peer_port: int | None = None
    asn: int = 0
    local_asn: int = 0
    local_workload: bool = False


def _label_text(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    return str(value)


def _err(message, obj, field_name, fix):
    return FabricError(message, host=obj, field=field_name, fix=fix)


def _kind_of(obj):
    return (obj.get("kind") or "").strip()


def _flatten(resources):
    for obj in resources or []:
        if obj is None:
            continue
        if not isinstance(obj, dict):
            raise FabricError("each resource must be a mapping, got %s" % type(obj).__name__, field="resources",
                              fix="pass Kubernetes-style objects with apiVersion, kind, metadata and spec")
        if _kind_of(obj).endswith("List") and isinstance(obj.get("items"), list):
            yield from _flatten(obj["items"])
        else:
            yield obj


def _object_name(obj):
    return "%s/%s" % (_kind_of(obj) or "?", (obj.get("metadata") or {}).get("name") or "?")


def _node_from_calico(obj, index):
    meta = obj.get("metadata") or {}
    name = meta.get("name")
    if not name:
        raise _err("a Node has no metadata.name", "Node #%d" % index, "metadata.name", "name every Node")
    labels = {str(k): _label_text(v) for k, v in (meta.get("labels") or {}).items()}
    bgp = ((obj.get("spec") or {}).get("bgp")) or {}
    node = CalicoNode(name=name, index=index, labels=labels)
    where = "Node/%s" % name
    for version, key in ((4, "ipv4Address"), (6, "ipv6Address")):
        value = bgp.get(key)
        if not value:
            continue
        try:
            address, network = parse_cidr_or_ip(str(value))
        except ValueError as exc:
            raise _err("%s: %s" % (key, exc), where, "spec.bgp.%s" % key, "write an address such as 10.0.0.1/24")
        if address.version != version:
            raise _err("%s %s is not an IPv%d address" % (key, value, version), where, "spec.bgp.%s" % key,
                       "put IPv4 in ipv4Address and IPv6 in ipv6Address")
        if version == 4:
            node.ipv4, node.ipv4_cidr = str(address), "%s/%d" % (address, network.prefixlen)
        else:
            node.ipv6, node.ipv6_cidr = str(address), "%s/%d" % (address, network.prefixlen)
    if bgp.get("asNumber") not in (None, "", 0):
        try:
            node.asn = parse_asn(bgp["asNumber"])
        except ValueError as exc:
            raise _err(str(exc), where, "spec.bgp.asNumber", "use a plain (64512) or dotted (1.10) AS number")
        if node.asn == 0:
            node.asn = None
    cluster_id = bgp.get("routeReflectorClusterID")
    if cluster_id:
        try:
            if ipaddress.ip_address(str(cluster_id)).version != 4:
                raise ValueError
        except ValueError:
            raise _err("routeReflectorClusterID %r is not an IPv4 address" % cluster_id, where,
                       "spec.bgp.routeReflectorClusterID", "use an unused IPv4 address such as 244.0.0.1")
        node.rr_cluster_id = str(cluster_id)
    return node


def _is_k8s_node(obj):
    api = obj.get("apiVersion") or ""
    return _kind_of(obj) == "Node" and "projectcalico.org" not in api


def _secret_data(obj):
    data = {}
    for key, value in (obj.get("data") or {}).items():
        try:
            data[key] = base64.b64decode(value).decode("utf-8")
        except (ValueError, TypeError):
            raise _err("Secret data %r is not base64" % key, _object_name(obj), "data.%s" % key,
                       "put plain text under stringData instead")
    for key, value in (obj.get("stringData") or {}).items():
        data[key] = str(value)
    return data


class Model:
    """The resources the engine needs, parsed and validated."""

    def __init__(self, resources, secrets=None, namespace=DEFAULT_NAMESPACE, mesh_enabled=None):
        self.nodes = {}
        self.peers = []
        self.configs = {}
        self.pools = []
        self.filters = {}
        self.secrets = {}
        self.extra_secrets = secrets
        self.namespace = namespace
        self.count = 0
        self.resources = []
        for index, obj in enumerate(_flatten(resources)):
            self.resources.append(obj)
            self.count = index + 1
            self._add(obj, index)
        for (ns, name), data in (secrets or {}).items() if isinstance(secrets, dict) else []:
            self.secrets.setdefault((ns, name), {}).update(data)
        self.peers.sort(key=lambda p: p.name)
        self._index()
        if mesh_enabled is not None:
            self.mesh_enabled = mesh_enabled

    # ---- loading
    def _add(self, obj, index):
        kind = _kind_of(obj)
        meta = obj.get("metadata") or {}
        name = meta.get("name")
        if kind == "Node":
            if _is_k8s_node(obj):
                if _calico_node_from_k8s is None:
                    raise _err("core/v1 Node objects need module_utils/calico/nodes.py", _object_name(obj), "kind",
                               "pass projectcalico.org/v3 Node objects")
                obj = _calico_node_from_k8s(obj)
            node = _node_from_calico(obj, index)
            self.nodes[node.name] = node
        elif kind == "BGPPeer":
            self.peers = [p for p in self.peers if p.name != name]
            self.peers.append(self._peer(obj, index))
        elif kind == "BGPConfiguration":
            if not name:
                raise _err("a BGPConfiguration has no metadata.name", "BGPConfiguration #%d" % index,
                           "metadata.name", "name it default or node.<nodename>")
            self.configs[name] = BGPConfig(name, index, obj.get("spec") or {})
        elif kind == "IPPool":
            self.pools = [p for p in self.pools if (p.get("metadata") or {}).get("name") != name]
            self.pools.append(obj)
        elif kind == "BGPFilter":
            self.filters[name] = obj
        elif kind == "Secret":
            ns = meta.get("namespace") or self.namespace
            self.secrets[(ns, name)] = _secret_data(obj)

    def _peer(self, obj, index):
        meta = obj.get("metadata") or {}
        name = meta.get("name")
        if not name:
            raise _err("a BGPPeer has no metadata.name", "BGPPeer #%d" % index, "metadata.name", "name every BGPPeer")
        spec = obj.get("spec") or {}
        where = "BGPPeer/%s" % name
        res = BGPPeerRes(name=name, index=index, spec=spec, node=spec.get("node") or "")
        for key in ("nodeSelector", "peerSelector", "localWorkloadSelector"):
            text = spec.get(key)
            if text is None or text == "":
                continue
            try:
                parsed = _selector.parse(str(text))
            except _selector.SelectorError as exc:
                raise _err(str(exc), where, "spec.%s" % key, "fix the selector syntax at the position shown")
            if key == "nodeSelector":
                res.node_selector = parsed
            elif key == "peerSelector":
                res.peer_selector = parsed
            else:
                res.local_workload = True
        if res.node and res.node_selector is not None:
            raise _err("node and nodeSelector cannot both be set", where, "spec.node", "keep one of them")
        if spec.get("peerIP") and res.peer_selector is not None:
            raise _err("peerIP and peerSelector cannot both be set", where, "spec.peerIP", "keep one of them")
        if spec.get("peerIP"):
            try:
                res.peer_ip, res.peer_port = parse_peer_ip(str(spec["peerIP"]))
            except ValueError as exc:
                raise _err(str(exc), where, "spec.peerIP", 'write "<IP>", "<IPv4>:<port>" or "[<IPv6>]:<port>"')
            res.peer_ip = str(parse_ip(res.peer_ip))  # Go's text form (IPv4-mapped IPv6 as IPv4)
        for key, attr in (("asNumber", "asn"), ("localASNumber", "local_asn")):
            if spec.get(key) not in (None, ""):
                try:
                    setattr(res, attr, parse_asn(spec[key]))
                except ValueError as exc:
                    raise _err(str(exc), where, "spec.%s" % key, "use a plain (64512) or dotted (1.10) AS number")
        if res.asn and res.peer_selector is not None:
            raise _err("asNumber must be empty when peerSelector is set", where, "spec.asNumber",
                       "the AS of each selected node is used; remove asNumber")
        for key in ("maxRestartTime", "keepaliveTime"):
            try:
                parse_duration(spec.get(key), key)
            except ValueError as exc:
                raise _err(str(exc), where, "spec.%s" % key, "write e.g. 120s")
        if spec.get("keepOriginalNextHop") and spec.get("nextHopMode"):
            raise _err("keepOriginalNextHop and nextHopMode cannot both be set; keepOriginalNextHop is deprecated, "
                       "use nextHopMode instead", where, "spec.keepOriginalNextHop", "use nextHopMode: Keep")
        for key, high in (("ttlSecurity", 255), ("numAllowedLocalASNumbers", 2147483647)):
            value = spec.get(key)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= high):
                raise _err("%s must be a whole number from 0 to %d" % (key, high), where, "spec.%s" % key,
                           "write e.g. %s: 1" % key)
        if spec.get("nextHopMode") not in (None, "", "Auto", "Self", "Keep"):
            raise _err("nextHopMode must be Auto, Self or Keep", where, "spec.nextHopMode", "use Auto, Self or Keep")
        if spec.get("sourceAddress") not in (None, "", "UseNodeIP", "None"):
            raise _err("sourceAddress must be UseNodeIP or None", where, "spec.sourceAddress",
                       "use UseNodeIP or None")
        return res

    # ---- indexes
    def _index(self):
        self.label_index = {}
        self.by_ip = {}
        for node in self.nodes.values():
            for key, value in node.labels.items():
                self.label_index.setdefault(key, {}).setdefault(value, []).append(node.name)
            for ip in (node.ipv4, node.ipv6):
                if ip:
                    self.by_ip.setdefault(ip, []).append(node.name)
        self._match_cache = {}
        self.cache = {}
        default = self.configs.get("default")
        spec = default.spec if default else {}
        self.global_spec = spec
        self.global_as = DEFAULT_AS
        if spec.get("asNumber") not in (None, "", 0):
            try:
                self.global_as = parse_asn(spec["asNumber"])
            except ValueError as exc:
                raise _err(str(exc), "BGPConfiguration/default", "spec.asNumber", "use a plain or dotted AS number")
        self.mesh_enabled = spec.get("nodeToNodeMeshEnabled", True) is not False
        self.global_port = self._port(spec, "default")
        self.node_ports = {}
        for name, cfg in self.configs.items():
            if name.startswith("node."):
                port = self._port(cfg.spec, name)
                if port:
                    self.node_ports[name[len("node."):]] = port

    @staticmethod
    def _port(spec, name):
        port = spec.get("listenPort")
        if port in (None, "", 0):
            return None
        if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
            raise _err("listenPort must be 1-65535", "BGPConfiguration/%s" % name, "spec.listenPort",
                       "use a TCP port such as 179")
        return port

    def node_as(self, node):
        return node.asn if node.asn else self.global_as

    def node_port(self, name):
        return self.node_ports.get(name, self.global_port)

    def nodes_matching(self, sel):
        """Names of the nodes a selector matches (in resource order), via the label index."""
        key = sel.canonical()
        cached = self._match_cache.get(key)
        if cached is not None:
            return cached
        hint = sel.index_hint()
        if hint is None:
            candidates = self.nodes.values()
        else:
            label, values = hint
            by_value = self.label_index.get(label, {})
            names = set()
            for value, members in by_value.items():
                if values is None or value in values:
                    names.update(members)
            candidates = sorted((self.nodes[n] for n in names), key=lambda n: n.index)
        result = [n.name for n in candidates if sel.evaluate(n.labels)]
        self._match_cache[key] = result
        return result

    def nodes_with_ip_port_as(self, ip, asn, port):
        want_as = asn if asn else self.global_as
        out = []
        for name in self.by_ip.get(ip, ()):
            node = self.nodes[name]
            if self.node_as(node) != want_as:
                continue
            if port:
                # confd's test, kept as it is: a node's own listenPort that matches does not stop a
                # different global listenPort from excluding the node.
                if name in self.node_ports and self.node_ports[name] != port:
                    continue
                if self.global_port and self.global_port != port:
                    continue
            out.append(name)
        return out

    def password(self, ref):
        if not ref:
            return None
        data = self.secrets.get((ref.get("namespace") or self.namespace, ref.get("name")))
        if data is None:
            return None
        return data.get(ref.get("key"))


# --------------------------------------------------------------------------------------------
# v1 peerings (confd updatePeersV1)


@dataclass(slots=True)
class _V1:
    ip: str
    port: int | None
    asn: int
    rr_cluster_id: str | None = None
    calico_node: bool = False
    source_addr: str = "UseNodeIP"
    password_ref: dict | None = None
    restart_time: int | None = None
    keepalive_time: int | None = None
    ttl_security: int = 0
    filters: tuple = ()
    reachable_by: str | None = None
    next_hop_mode: str | None = None
    keep_next_hop: bool = False
    num_allow_local_as: int = 0
    local_asn: int = 0
    peer_node: str | None = None
    bgppeer: str | None = None
    reverse: bool = False
    depends: tuple = ()
    names: dict = field(default_factory=dict)

    def name(self, peer_type):
        name = self.names.get(peer_type)
        if name is None:
            name = self.names[peer_type] = protocol_name(_PREFIX[peer_type], self.ip, self.port)
        return name


def _version_of(ip):
    return 6 if ":" in ip else 4


def _config_fields(v1, res, model):
    """setPeerConfigFieldsFromV3Resource: what every peering takes from its BGPPeer."""
    spec = res.spec
    ref = ((spec.get("password") or {}).get("secretKeyRef")) or None
    if ref:
        v1.password_ref = {"name": ref.get("name"), "key": ref.get("key"), "namespace": model.namespace}
    v1.source_addr = spec.get("sourceAddress") or "UseNodeIP"
    v1.restart_time = parse_duration(spec.get("maxRestartTime"), "maxRestartTime")
    v1.keepalive_time = parse_duration(spec.get("keepaliveTime"), "keepaliveTime")
    v1.ttl_security = int(spec.get("ttlSecurity") or 0)
    v1.filters = tuple(spec.get("filters") or ())
    v1.reachable_by = spec.get("reachableBy") or None
    mode = spec.get("nextHopMode")
    v1.next_hop_mode = mode if mode in ("Self", "Keep") else None
    v1.bgppeer = res.name
    return v1


def _node_as_peers(model, name, v4, v6, res, reverse=False):
    node = model.nodes[name]
    out = []
    for version, wanted in ((4, v4), (6, v6)):
        ip = node.ip(version)
        if not wanted or not ip:
            continue
        v1 = _V1(ip=ip, port=model.node_port(name), asn=model.node_as(node), rr_cluster_id=node.rr_cluster_id,
                 peer_node=name, reverse=reverse)
        _config_fields(v1, res, model)
        v1.depends = (res.index, node.index)
        out.append(v1)
    return out


def _ip_peer(model, res):
    ip, port = res.peer_ip, res.peer_port
    matched = []
    if not port:
        matched = model.nodes_with_ip_port_as(ip, res.asn, None)
        if matched:
            port = model.node_port(matched[0])
    v1 = _V1(ip=ip, port=port, asn=res.asn, calico_node=ip in model.by_ip,
             keep_next_hop=bool(res.spec.get("keepOriginalNextHop")),
             num_allow_local_as=int(res.spec.get("numAllowedLocalASNumbers") or 0), local_asn=res.local_asn)
    _config_fields(v1, res, model)
    owners = model.by_ip.get(ip, ())
    v1.peer_node = owners[0] if owners else None
    v1.depends = (res.index,) + tuple(model.nodes[n].index for n in owners)
    return v1


class _Peerings:
    def __init__(self):
        self.global_ = {}
        self.per_node = {}

    def emit_global(self, v1):
        self.global_.setdefault((v1.ip, v1.port), v1)

    def emit_node(self, node, v1):
        key = (v1.ip, v1.port)
        if key in self.global_:
            return
        self.per_node.setdefault(node, {}).setdefault(key, v1)


def _local_nodes(model, res):
    if res.node_selector is not None:
        return model.nodes_matching(res.node_selector)
    if res.node:
        return [res.node]
    return None


def v1_peerings(model):
    peerings = _Peerings()
    explicit = [res for res in model.peers if not res.local_workload]
    for global_pass in (True, False):
        for res in explicit:
            is_global = res.node_selector is None and not res.node
            if is_global != global_pass:
                continue
            if res.peer_selector is not None:
                peers = []
                for name in model.nodes_matching(res.peer_selector):
                    peers.extend(_node_as_peers(model, name, True, True, res))
            elif res.peer_ip:
                peers = [_ip_peer(model, res)]
            else:
                continue
            if global_pass:
                for v1 in peers:
                    peerings.emit_global(v1)
            else:
                locals_ = _local_nodes(model, res) or []
                for v1 in peers:
                    for name in locals_:
                        peerings.emit_node(name, v1)
    for res in explicit:
        if (res.spec.get("reversePeering") or "Auto") == "Manual":
            continue
        if res.peer_selector is not None:
            locals_ = model.nodes_matching(res.peer_selector)
            v4 = v6 = True
        elif res.peer_ip:
            locals_ = model.nodes_with_ip_port_as(res.peer_ip, res.asn, res.peer_port)
            v4, v6 = _version_of(res.peer_ip) == 4, _version_of(res.peer_ip) == 6
        else:
            continue
        if not locals_:
            continue
        remote = _local_nodes(model, res)
        if remote is None:
            remote = list(model.nodes)
        for name in remote:
            if name not in model.nodes:
                continue
            for v1 in _node_as_peers(model, name, v4, v6, res, reverse=True):
                for local in locals_:
                    peerings.emit_node(local, v1)
    return peerings


# --------------------------------------------------------------------------------------------
# per-node rendering (bgp_processor.go)


def _mesh_peers(model, node, version, calico_version):
    own_ip = node.ip(version)
    if node.rr_cluster_id or not model.mesh_enabled or not own_ip:
        return []
    node_as = model.node_as(node)
    spec = model.global_spec
    ref = ((spec.get("nodeMeshPassword") or {}).get("secretKeyRef")) or None
    password_ref = {"name": ref.get("name"), "key": ref.get("key"), "namespace": model.namespace} if ref else None
    password = model.password(password_ref)
    restart = parse_duration(spec.get("nodeMeshMaxRestartTime"), "nodeMeshMaxRestartTime")
    out = []
    for other in model.nodes.values():
        peer_ip = other.ip(version)
        if not peer_ip or peer_ip == own_ip or other.rr_cluster_id:
            continue
        if other.asn:
            peer_as = other.asn
        else:
            peer_as = node_as if calico_version == "head" else model.global_as
        depends = (node.index, other.index)
        out.append(Peer(
            name=protocol_name("Mesh", peer_ip), node=node.name, peer_type="mesh", ip_version=version,
            peer_ip=peer_ip, port=model.node_port(other.name), peer_as=peer_as, local_as=node_as, node_as=node_as,
            local_as_override=None, source_address=own_ip, ttl_security=0, passive=peer_ip > own_ip,
            rr_client=False, rr_cluster_id=None, graceful_restart=restart, keepalive=None, next_hop=None,
            allow_local_as=None, password_ref=password_ref, password=password, peer_node=other.name,
            depends=depends, multihop=calico_version == "head"))
    return out


def _build_peer(model, node, version, v1, peer_type):
    own_ip = node.ip(version)
    if v1.ip == own_ip:
        return None
    node_as = model.node_as(node)
    effective = v1.local_asn or node_as
    next_hop = None
    if v1.next_hop_mode == "Self":
        next_hop = "self"
    elif v1.next_hop_mode == "Keep":
        next_hop = "keep"
    if v1.keep_next_hop and v1.asn != effective:
        next_hop = next_hop or "keep"
    rr_client = bool(node.rr_cluster_id) and v1.asn == effective and v1.rr_cluster_id != node.rr_cluster_id
    passive = peer_type == "global" and v1.calico_node and v1.ip > own_ip
    return Peer(
        name=v1.name(peer_type), node=node.name, peer_type=peer_type,
        ip_version=version, peer_ip=v1.ip, port=v1.port, peer_as=v1.asn, local_as=effective, node_as=node_as,
        local_as_override=v1.local_asn or None,
        source_address=own_ip if v1.source_addr == "UseNodeIP" else None, ttl_security=v1.ttl_security,
        passive=passive, rr_client=rr_client, rr_cluster_id=node.rr_cluster_id if rr_client else None,
        graceful_restart=v1.restart_time, keepalive=v1.keepalive_time, next_hop=next_hop,
        allow_local_as=v1.num_allow_local_as or None, password_ref=v1.password_ref,
        password=model.password(v1.password_ref) if v1.password_ref else None, filters=v1.filters, reachable_by=v1.reachable_by,
        peer_node=v1.peer_node, bgppeer=v1.bgppeer, reverse=v1.reverse,
        depends=v1.depends + (node.index,))


def node_peers(model, peerings, name, calico_version="head"):
    node = model.nodes[name]
    out = []
    globals_ = list(peerings.global_.values())
    mine = list(peerings.per_node.get(name, {}).values())
    for version in (4, 6):
        if not node.ip(version):
            continue
        out.extend(_mesh_peers(model, node, version, calico_version))
        for peer_type, v1s in (("global", globals_), ("node", mine)):
            for v1 in v1s:
                if _version_of(v1.ip) != version:
                    continue
                peer = _build_peer(model, node, version, v1, peer_type)
                if peer is not None:
                    out.append(peer)
    out.sort(key=lambda p: (p.ip_version, p.name))
    return out


def compute_peerings(resources, node=None, calico_version="head", secrets=None, namespace=DEFAULT_NAMESPACE,
                     model=None):
    """``{node name: [Peer]}`` for every node (or only ``node``), IPv4 first, each family by name.

    ``resources`` is a list of resource dicts; ``secrets`` optionally maps ``(namespace, name)`` to
    ``{key: value}`` (Secret objects in ``resources`` work too).
    """
    if calico_version not in VERSIONS:
        raise FabricError("unknown calico_version %r" % calico_version, field="calico_version",
                          fix="use one of %s" % ", ".join(VERSIONS))
    if model is None:
        model = Model(resources, secrets=secrets, namespace=namespace)
    peerings = model.cache.get(("v1", calico_version))
    if peerings is None:
        peerings = model.cache[("v1", calico_version)] = v1_peerings(model)
    if node is not None:
        if node not in model.nodes:
            raise FabricError("node %r is not among the Node resources" % node, host=node, field="node",
                              fix="use one of: %s" % ", ".join(sorted(model.nodes)[:20]))
        names = [node]
    else:
        names = list(model.nodes)
    return {name: node_peers(model, peerings, name, calico_version) for name in names}


def session_key(peer, model):
    """An unordered endpoint pair: a session between two nodes is the same seen from either side."""
    local_ip = model.nodes[peer.node].ip(peer.ip_version)
    return frozenset((local_ip, peer.peer_ip))


def count_sessions(result, model):
    return len({session_key(p, model) for peers in result.values() for p in peers})


def with_password(peer, password):
    """A copy of ``peer`` with another resolved password (tests and the lab's secret watcher)."""
    return replace(peer, password=password)
