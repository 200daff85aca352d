"""Which BGP sessions calico-node's confd gives each node: the lab's own reading of Calico.

The lab's calico-node needs, per node, the ``protocol bgp`` sessions confd would render, from the
objects in the (emulated) Kubernetes API: core/v1 Nodes (Calico's annotations and labels),
BGPPeers, BGPConfigurations, IPPools, BGPFilters and Secrets. This module computes them without
the collection's code (the lab's wall), following Calico's documented behaviour and confd's
templates:

* node-to-node mesh (unless ``nodeToNodeMeshEnabled: false``): every node peers with every other
  node of the same address family, except route reflectors (nodes with a cluster ID);
* global BGPPeers (no ``node``/``nodeSelector``) apply to every node, node-specific ones to the
  nodes named or selected; ``peerSelector`` peers with the selected nodes (their own AS);
* a BGPPeer that selects Calico nodes as peers also makes those nodes peer back (``reversePeering:
  Auto``); the first peering of a node for one address and port wins, a global one over a node one;
* a session never goes to the node's own address.

Bad input is not this module's business (the collection checks it before writing): what cannot be
read is left out, as calico-node skips what it cannot use.
"""
import base64
import ipaddress
import json
import re
from dataclasses import dataclass, field

from .calico_selector import compile_selector

DEFAULT_AS = 64512
SECRETS_NAMESPACE = "kube-system"
ANNOTATION = "projectcalico.org/"
_GO_DURATION = re.compile(r"([0-9]*\.?[0-9]+)(ns|us|\u00b5s|ms|s|m|h)")
_SECONDS = {"ns": 1e-9, "us": 1e-6, "\u00b5s": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}


def seconds(text):
    """Whole seconds of a Go duration text (``90s``, ``2m``, ``1h30m``); None when absent or unreadable."""
    if text in (None, ""):
        return None
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        return int(round(text))
    text = str(text).strip()
    if text == "0":
        return 0
    parts = list(_GO_DURATION.finditer(text))
    if not parts or "".join(m.group(0) for m in parts) != text:
        return None
    return int(round(sum(float(m.group(1)) * _SECONDS[m.group(2)] for m in parts) + 1e-9))


def asn(value):
    """An AS number from ``64512``, ``"64512"`` or dotted ``"1.10"``; None when unreadable or zero."""
    text = str(value).strip() if value not in (None, "") else ""
    try:
        if "." in text:
            high, low = text.split(".")
            number = int(high) * 65536 + int(low)
        else:
            number = int(text) if text else 0
    except ValueError:
        return None
    return number or None


def protocol_name(prefix, ip, port=None):
    """confd's protocol name: ``Mesh_10_0_0_1``, ``Node_fd00__1_port_1790``."""
    name = "%s_%s" % (prefix, ip.replace(".", "_").replace(":", "_"))
    return name + ("_port_%d" % port if port else "")


@dataclass
class Node:
    name: str
    labels: dict
    ipv4: str = None
    ipv4_cidr: str = None
    ipv6: str = None
    ipv6_cidr: str = None
    asn: int = None
    rr_cluster_id: str = None

    def ip(self, version):
        return self.ipv4 if version == 4 else self.ipv6


@dataclass
class Config:
    name: str
    spec: dict


@dataclass
class Peer:
    """One ``protocol bgp`` block of one node (the attributes the BIRD renderer reads)."""

    name: str
    node: str
    peer_type: str                 # mesh | global | node
    ip_version: int
    peer_ip: str
    port: int
    peer_as: int
    local_as: int
    node_as: int
    local_as_override: int = None
    source_address: str = None
    ttl_security: int = 0
    passive: bool = False
    rr_client: bool = False
    rr_cluster_id: str = None
    graceful_restart: int = None
    keepalive: int = None
    next_hop: str = None
    allow_local_as: int = None
    password_ref: dict = None
    password: str = field(default=None, repr=False)
    filters: tuple = ()
    reachable_by: str = None
    multihop: bool = True

    @property
    def export_internal(self):
        return self.peer_as == self.local_as


def _address(text, version):
    """(address, address/len) of a Node's ``IPv4Address``-style value, or (None, None)."""
    try:
        iface = ipaddress.ip_interface(str(text))
    except ValueError:
        return None, None
    if iface.version != version:
        return None, None
    return str(iface.ip), "%s/%d" % (iface.ip, iface.network.prefixlen)


def _text(value):
    """A label value as the API holds it (a YAML ``yes`` read as a boolean is the text ``true``)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def node_from_object(obj):
    """A Node from a core/v1 Node (annotations) or a projectcalico.org/v3 Node (spec.bgp)."""
    meta = obj.get("metadata") or {}
    annotations = meta.get("annotations") or {}
    if "projectcalico.org" in (obj.get("apiVersion") or ""):
        labels = dict(meta.get("labels") or {})
        bgp = (obj.get("spec") or {}).get("bgp") or {}
    else:
        try:
            labels = json.loads(annotations.get(ANNOTATION + "labels") or "{}")
        except ValueError:
            labels = {}
        labels.update(meta.get("labels") or {})
        bgp = {"ipv4Address": annotations.get(ANNOTATION + "IPv4Address"),
               "ipv6Address": annotations.get(ANNOTATION + "IPv6Address"),
               "asNumber": annotations.get(ANNOTATION + "ASNumber"),
               "routeReflectorClusterID": annotations.get(ANNOTATION + "RouteReflectorClusterID")}
    node = Node(name=meta.get("name"), labels={str(k): _text(v) for k, v in labels.items()})
    if bgp.get("ipv4Address"):
        node.ipv4, node.ipv4_cidr = _address(bgp["ipv4Address"], 4)
    if bgp.get("ipv6Address"):
        node.ipv6, node.ipv6_cidr = _address(bgp["ipv6Address"], 6)
    node.asn = asn(bgp.get("asNumber"))
    node.rr_cluster_id = bgp.get("routeReflectorClusterID") or None
    return node


def _secret(obj):
    data = {}
    for key, value in (obj.get("data") or {}).items():
        try:
            data[key] = base64.b64decode(value).decode("utf-8")
        except (ValueError, TypeError):
            continue
    data.update({k: str(v) for k, v in (obj.get("stringData") or {}).items()})
    return data


class Model:
    """The Calico objects of one snapshot of the API, indexed for the peering computation."""

    def __init__(self, objects):
        self.nodes, self.configs, self.filters, self.secrets = {}, {}, {}, {}
        self.pools, self.peers = [], []
        for obj in objects:
            self._add(obj)
        self.peers.sort(key=lambda o: o["metadata"]["name"])
        default = self.configs.get("default")
        self.global_spec = default.spec if default else {}
        self.global_as = asn(self.global_spec.get("asNumber")) or DEFAULT_AS
        self.mesh_enabled = self.global_spec.get("nodeToNodeMeshEnabled", True) is not False
        self.global_port = self.global_spec.get("listenPort") or None
        self.node_ports = {name[len("node."):]: cfg.spec["listenPort"] for name, cfg in self.configs.items()
                           if name.startswith("node.") and cfg.spec.get("listenPort")}

    def _add(self, obj):
        kind = obj.get("kind")
        meta = obj.get("metadata") or {}
        name = meta.get("name")
        if kind == "Node" and name:
            self.nodes[name] = node_from_object(obj)
        elif kind == "BGPPeer" and name:
            self.peers.append(obj)
        elif kind == "BGPConfiguration" and name:
            self.configs[name] = Config(name, obj.get("spec") or {})
        elif kind == "IPPool":
            self.pools.append(obj)
        elif kind == "BGPFilter" and name:
            self.filters[name] = obj
        elif kind == "Secret" and name:
            self.secrets[(meta.get("namespace") or SECRETS_NAMESPACE, name)] = _secret(obj)

    def node_as(self, node):
        return node.asn or self.global_as

    def node_port(self, name):
        return self.node_ports.get(name, self.global_port)

    def matching(self, text):
        """Names of the nodes a selector selects (unreadable selector: none)."""
        try:
            test = compile_selector(text)
        except ValueError:
            return []
        return [name for name, node in self.nodes.items() if test(node.labels)]

    def owners(self, ip):
        return [name for name, node in self.nodes.items() if ip in (node.ipv4, node.ipv6)]

    def password(self, ref):
        if not ref:
            return None
        return self.secrets.get((SECRETS_NAMESPACE, ref.get("name")), {}).get(ref.get("key"))


# --- the peerings confd builds from the BGPPeers (one list for all nodes, one per node) --------

@dataclass
class Peering:
    """A remote end as confd keeps it before rendering it for one node."""

    ip: str
    port: int
    asn: int
    bgppeer: dict
    rr_cluster_id: str = None
    calico_node: bool = False
    keep_next_hop: bool = False
    allow_local_as: int = 0
    local_asn: int = 0

    def spec(self, key, default=None):
        return (self.bgppeer.get("spec") or {}).get(key, default)


def _peer_address(text):
    """(ip, port) of a BGPPeer ``peerIP``: ``IP``, ``IPv4:port`` or ``[IPv6]:port``."""
    text = str(text)
    port = None
    if text.startswith("["):
        text, _sep, rest = text[1:].partition("]")
        port = int(rest[1:]) if rest.startswith(":") else None
    elif text.count(":") == 1:
        text, _sep, rest = text.partition(":")
        port = int(rest)
    ip = ipaddress.ip_address(text)
    if ip.version == 6 and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return str(ip), port


def _nodes_as_peerings(model, names, versions, res):
    out = []
    for name in names:
        node = model.nodes[name]
        for version in versions:
            if node.ip(version):
                out.append(Peering(node.ip(version), model.node_port(name), model.node_as(node), res,
                                   rr_cluster_id=node.rr_cluster_id))
    return out


def _ip_peering(model, res, ip, port):
    spec = res.get("spec") or {}
    want_as = asn(spec.get("asNumber")) or 0
    if not port:
        matched = _nodes_at(model, ip, want_as, None)
        port = model.node_port(matched[0]) if matched else None
    return Peering(ip, port, want_as, res, calico_node=bool(model.owners(ip)),
                   keep_next_hop=bool(spec.get("keepOriginalNextHop")),
                   allow_local_as=int(spec.get("numAllowedLocalASNumbers") or 0),
                   local_asn=asn(spec.get("localASNumber")) or 0)


def _nodes_at(model, ip, want_as, port):
    """The Calico nodes that are this address, AS and port (confd's test for reverse peerings)."""
    want_as = want_as or model.global_as
    out = []
    for name in model.owners(ip):
        if model.node_as(model.nodes[name]) != want_as:
            continue
        if port and ((name in model.node_ports and model.node_ports[name] != port)
                     or (model.global_port and model.global_port != port)):
            continue
        out.append(name)
    return out


def _local_nodes(model, res):
    """The nodes a BGPPeer applies to; None for a global BGPPeer."""
    spec = res.get("spec") or {}
    if spec.get("nodeSelector"):
        return model.matching(spec["nodeSelector"])
    if spec.get("node"):
        return [spec["node"]]
    return None


def _remote_ends(model, res):
    spec = res.get("spec") or {}
    if spec.get("peerSelector"):
        return _nodes_as_peerings(model, model.matching(spec["peerSelector"]), (4, 6), res)
    if spec.get("peerIP"):
        try:
            ip, port = _peer_address(spec["peerIP"])
        except ValueError:
            return []
        return [_ip_peering(model, res, ip, port)]
    return []


def _reverse(model, res, per_node, global_keys):
    """Calico nodes a BGPPeer names as peers peer back with the BGPPeer's own nodes."""
    spec = res.get("spec") or {}
    if (spec.get("reversePeering") or "Auto") == "Manual":
        return
    if spec.get("peerSelector"):
        locals_, versions = model.matching(spec["peerSelector"]), (4, 6)
    elif spec.get("peerIP"):
        try:
            ip, port = _peer_address(spec["peerIP"])
        except ValueError:
            return
        locals_ = _nodes_at(model, ip, asn(spec.get("asNumber")) or 0, port)
        versions = (ipaddress.ip_address(ip).version,)
    else:
        return
    if not locals_:
        return
    remote = _local_nodes(model, res)
    remote = [n for n in (list(model.nodes) if remote is None else remote) if n in model.nodes]
    for end in _nodes_as_peerings(model, remote, versions, res):
        for local in locals_:
            if (end.ip, end.port) not in global_keys:
                per_node.setdefault(local, {}).setdefault((end.ip, end.port), end)


def peerings(model):
    """(global peerings, {node: peerings}) the way confd collects them from the BGPPeers."""
    explicit = [res for res in model.peers if not (res.get("spec") or {}).get("localWorkloadSelector")]
    global_, per_node = {}, {}
    for res in explicit:
        if _local_nodes(model, res) is None:
            for end in _remote_ends(model, res):
                global_.setdefault((end.ip, end.port), end)
    for res in explicit:
        locals_ = _local_nodes(model, res)
        if locals_ is None:
            continue
        for end in _remote_ends(model, res):
            if (end.ip, end.port) in global_:
                continue
            for name in locals_:
                per_node.setdefault(name, {}).setdefault((end.ip, end.port), end)
    for res in explicit:
        _reverse(model, res, per_node, global_)
    return list(global_.values()), {name: list(ends.values()) for name, ends in per_node.items()}


# --- per node: the mesh and the rendered sessions -----------------------------------------------

def _mesh(model, node, version):
    own = node.ip(version)
    if node.rr_cluster_id or not model.mesh_enabled or not own:
        return []
    spec = model.global_spec
    ref = (spec.get("nodeMeshPassword") or {}).get("secretKeyRef")
    ref = {"name": ref.get("name"), "key": ref.get("key"), "namespace": SECRETS_NAMESPACE} if ref else None
    node_as = model.node_as(node)
    out = []
    for other in model.nodes.values():
        ip = other.ip(version)
        if not ip or ip == own or other.rr_cluster_id:
            continue
        out.append(Peer(name=protocol_name("Mesh", ip), node=node.name, peer_type="mesh", ip_version=version,
                        peer_ip=ip, port=model.node_port(other.name), peer_as=other.asn or node_as,
                        local_as=node_as, node_as=node_as, source_address=own, passive=ip > own,
                        graceful_restart=seconds(spec.get("nodeMeshMaxRestartTime")), password_ref=ref,
                        password=model.password(ref)))
    return out


def _session(model, node, version, end, peer_type):
    own = node.ip(version)
    if end.ip == own:
        return None
    node_as = model.node_as(node)
    local_as = end.local_asn or node_as
    next_hop = {"Self": "self", "Keep": "keep"}.get(end.spec("nextHopMode"))
    if end.keep_next_hop and end.asn != local_as:
        next_hop = next_hop or "keep"
    rr_client = bool(node.rr_cluster_id) and end.asn == local_as and end.rr_cluster_id != node.rr_cluster_id
    ref = (end.spec("password") or {}).get("secretKeyRef")
    ref = {"name": ref.get("name"), "key": ref.get("key"), "namespace": SECRETS_NAMESPACE} if ref else None
    return Peer(
        name=protocol_name("Global" if peer_type == "global" else "Node", end.ip, end.port), node=node.name,
        peer_type=peer_type, ip_version=version, peer_ip=end.ip, port=end.port, peer_as=end.asn,
        local_as=local_as, node_as=node_as, local_as_override=end.local_asn or None,
        source_address=own if (end.spec("sourceAddress") or "UseNodeIP") == "UseNodeIP" else None,
        ttl_security=int(end.spec("ttlSecurity") or 0),
        passive=peer_type == "global" and end.calico_node and end.ip > own,
        rr_client=rr_client, rr_cluster_id=node.rr_cluster_id if rr_client else None,
        graceful_restart=seconds(end.spec("maxRestartTime")), keepalive=seconds(end.spec("keepaliveTime")),
        next_hop=next_hop, allow_local_as=end.allow_local_as or None, password_ref=ref,
        password=model.password(ref), filters=tuple(end.spec("filters") or ()),
        reachable_by=end.spec("reachableBy") or None)


def node_sessions(model, name, collected=None):
    """The sessions of one node, IPv4 first, each family by protocol name."""
    global_, per_node = collected or peerings(model)
    node = model.nodes[name]
    out = []
    for version in (4, 6):
        if not node.ip(version):
            continue
        out.extend(_mesh(model, node, version))
        for peer_type, ends in (("global", global_), ("node", per_node.get(name, []))):
            for end in ends:
                if ipaddress.ip_address(end.ip).version == version:
                    session = _session(model, node, version, end, peer_type)
                    if session is not None:
                        out.append(session)
    out.sort(key=lambda p: (p.ip_version, p.name))
    return out
