# -*- coding: utf-8 -*-
# Copyright: kubefabric.bgp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fabric planner: inventory -> what each side must be configured with, and which sessions result.

Pure and offline.  ``build_plan(fabric)`` validates the whole fabric first (errors name the host,
the field and the fix; nothing is planned when anything is wrong) and returns a :class:`FabricPlan`::

    {"pattern": ..., "calico": {"bgp_configuration": {...}, "bgp_peers": [...], "nodes": {...}},
     "devices": {name: {"platform", "mgmt_address", "config": <device model>}},
     "sessions": {"nodes": {node: [row]}, "devices": {device: [row]}, "links": [...], "total": N},
     "warnings": [...], "dot": "graph fabric {...}"}

The node-side session table is computed by the Calico peering engine from ``plan.calico`` (the
same engine the lab's calico-node and ``calico_peering_info`` use), then every session to an address
that is not a node is paired with the device neighbor that must mirror it.  What differs between
the patterns is asked of the pattern object (``patterns.py``); the planner never compares names.
"""

from __future__ import annotations

import functools
import gc
import ipaddress
from typing import TypedDict

from ..calico import peering
from ..calico.selector import LabelIndex, parse as parse_selector
from ..common.errors import FabricError
from . import patterns, schema
from .schema import PLATFORMS

MANAGED_BY = {"app.kubernetes.io/managed-by": "kubefabric"}
DEFAULT_AS = 64512


class FabricPlan(TypedDict):
    """What ``build_plan`` returns (and fabric_plan returns as ``plan``, passwords redacted): a plain dict.

    ``calico`` (BGPConfiguration, BGPPeers, per-node settings, Secrets), ``devices`` (per device its
    platform, management address and device-model config), ``sessions`` (per node and per device the
    expected rows, and the distinct ``total``), ``warnings``, ``dot`` (Graphviz) and ``module_args``
    (``calico`` and ``devices`` in the option format of the modules the roles call).
    """

    pattern: str
    calico: dict
    devices: dict
    sessions: dict
    warnings: list
    dot: str
    module_args: dict


# ------------------------------------------------------------------------------------------------
# input normalisation (types and names: schema.py; the combinations: here and check_consistency)

# planner option -> inventory variable (the action plugin reads the variable when the option is unset)
OPTION_VARS = {
    "pattern": "fabric_pattern", "calico_asn": "calico_asn", "racks": "fabric_racks",
    "route_reflector_cluster_id": "route_reflector_cluster_id",
    "route_reflector_label": "route_reflector_label", "tor_peering": "tor_peering",
    "service_cluster_ips": "service_cluster_ips", "service_external_ips": "service_external_ips",
    "global_peers": "fabric_global_peers", "pod_cidr": "pod_cidr",
    "unknown_variables": "kubefabric_unknown_variables", "extra_variables": "kubefabric_extra_variables",
}


def _redacted(password):
    return isinstance(password, str) and password.startswith(schema.REDACTED)


def normalise_fabric(fabric):
    """Check and normalise the planner's input; returns a new dict.  Raises FabricError."""
    given = {var: fabric.get(option) for option, var in OPTION_VARS.items() if fabric.get(option) is not None}
    top = schema.check_vars(given, "all", "all")
    pattern = patterns.get(top.get("fabric_pattern")).name
    warnings = schema.unknown_variables(fabric.get("variables") or {}, top.get("kubefabric_unknown_variables"),
                                        top.get("kubefabric_extra_variables"))
    out = {
        "pattern": pattern,
        "calico_asn": top["calico_asn"] if top.get("calico_asn") is not None else DEFAULT_AS,
        "rr_label": top.get("route_reflector_label") or patterns.PATTERNS[pattern].default_rr_label,
        "rr_cluster_id": top.get("route_reflector_cluster_id"),
        "tor_peering": top.get("tor_peering") or "all_nodes",
        "service_cluster_ips": list(top.get("service_cluster_ips") or []),
        "service_external_ips": list(top.get("service_external_ips") or []),
        "pod_cidr": top.get("pod_cidr") or schema.CALICO_DEFAULT_POOL,
        "secret_namespace": fabric.get("secret_namespace") or "kube-system",
        "global_peers": list(top.get("fabric_global_peers") or []),
        "dynamic_neighbors": schema.to_bool(fabric.get("dynamic_neighbors"), "all", "dynamic_neighbors") or False,
        "racks": {},
        "nodes": {},
        "devices": {},
        "warnings": warnings,
        # the inventory's own pattern: a migration plans full_mesh from a route-reflector inventory, where
        # route_reflector: true is right
        "inventory_pattern": fabric.get("inventory_pattern") or pattern,
    }
    for rack, spec in sorted((top.get("fabric_racks") or {}).items()):
        entry = {"asn": spec["asn"] if spec.get("asn") is not None else out["calico_asn"],
                 "cluster_id": spec.get("cluster_id"),
                 "allow_local_as": spec.get("allow_local_as") or 0}
        out["racks"][rack] = entry
    for name, spec in sorted((fabric.get("nodes") or {}).items()):
        out["nodes"][name] = _normalise_node(name, schema.check_vars(spec or {}, "node", name), out)
    for name, spec in sorted((fabric.get("devices") or {}).items()):
        out["devices"][name] = _normalise_device(name, schema.check_vars(spec or {}, "device", name), out)
    if not out["nodes"]:
        raise FabricError("no Kubernetes nodes in the inventory", field="node_group",
                          fix="put the nodes in the group named by node_group (default k8s_nodes)")
    _check_service_ranges(out)
    for device in out["devices"].values():
        for index, link in enumerate(device["uplinks"]):
            if link["peer"] not in out["devices"]:
                guess = schema.nearest(link["peer"], out["devices"])
                raise FabricError("uplink peer %r is not a device of the inventory" % link["peer"],
                                  host=device["name"], field="uplinks[%d].peer" % index,
                                  fix=("did you mean %s? " % guess if guess else "") + "add it to the device group")
    for index, name in enumerate(out["global_peers"]):
        if name not in out["devices"]:
            guess = schema.nearest(name, out["devices"])
            raise FabricError("global peer %r is not a device of the inventory" % name, host="all",
                              field="fabric_global_peers[%d]" % index,
                              fix=("did you mean %s? " % guess if guess else "") +
                              "name a host of the device group, or add the device to it")
    return out


def _check_service_ranges(fabric):
    pool = ipaddress.ip_network(fabric["pod_cidr"])
    seen = []
    for var in ("service_cluster_ips", "service_external_ips"):
        for index, cidr in enumerate(fabric[var]):
            net = ipaddress.ip_network(cidr)
            field = "%s[%d]" % (var, index)
            if net.version == pool.version and net.overlaps(pool):
                raise FabricError("%s overlaps the pod pool %s: the nodes would advertise pod addresses as a "
                                  "service range" % (cidr, pool), host="all", field=field,
                                  fix="use a range outside pod_cidr (%s), or set pod_cidr to the cluster's "
                                      "IPPool" % pool)
            for other_field, other in seen:
                if net.version == other.version and net.overlaps(other):
                    raise FabricError("%s overlaps %s (%s)" % (cidr, other, other_field), host="all", field=field,
                                      fix="list each service range once, without overlaps")
            seen.append((field, net))


def _normalise_node(name, spec, fabric):
    address = spec.get("bgp_ipv4_address")
    if not address:
        raise FabricError("no BGP IPv4 address", host=name, field="bgp_ipv4_address",
                          fix="set bgp_ipv4_address to the node's address with prefix length")
    ip, cidr, network = _interface(str(address))
    rack = spec.get("rack")
    pattern = _pattern(fabric)
    if pattern.rack_device and not rack:
        raise FabricError("no rack", host=name, field="rack",
                          fix="set rack to the rack (leaf/ToR segment) the node is cabled to")
    if rack and fabric["racks"] and rack not in fabric["racks"]:
        raise FabricError("rack %r is not in fabric_racks" % rack, host=name, field="rack",
                          fix="add %s to fabric_racks or correct the node's rack" % rack)
    inventory = patterns.PATTERNS.get(fabric["inventory_pattern"])
    if spec.get("route_reflector") and not pattern.route_reflectors and inventory and not inventory.route_reflectors:
        raise FabricError("route_reflector: true in %s, which has no route reflectors" % pattern.name, host=name,
                          field="route_reflector",
                          fix="remove route_reflector from the node, or use fabric_pattern: route_reflector")
    node = {
        "name": spec.get("calico_node_name") or schema.dns_subdomain(name, name, "inventory_hostname",
                                                                     "node name"),
        "host": name,
        "address": ip,
        "cidr": cidr,
        "network": network,
        "rack": rack,
        "route_reflector": bool(spec.get("route_reflector")),
        "asn": spec.get("bgp_asn"),
        "cluster_id": spec.get("route_reflector_cluster_id"),
        "labels": dict(spec.get("calico_labels") or {}),
    }
    return node


def _normalise_device(name, spec, fabric):
    platform = spec.get("platform")
    if platform not in PLATFORMS:
        raise FabricError("unknown platform %r" % (platform,), host=name, field="platform",
                          fix="set platform to one of %s" % ", ".join(PLATFORMS))
    role = spec.get("fabric_role") or "tor"
    if spec.get("bgp_asn") is None:
        raise FabricError("no AS number", host=name, field="bgp_asn", fix="set bgp_asn")
    router_id = spec.get("router_id")
    if not router_id:
        raise FabricError("router_id must be an IPv4 address", host=name, field="router_id",
                          fix="set router_id, e.g. to the loopback address")
    racks = {}
    for rack, address in sorted((spec.get("racks") or {}).items()):
        if fabric["racks"] and rack not in fabric["racks"]:
            raise FabricError("rack %r is not in fabric_racks" % rack, host=name, field="racks",
                              fix="add %s to fabric_racks or correct the device's racks" % rack)
        racks[rack] = address
    uplinks = []
    for index, link in enumerate(spec.get("uplinks") or []):
        field = "uplinks[%d]" % index
        if not link.get("peer"):
            raise FabricError("an uplink needs peer, address and peer_address", host=name, field=field,
                              fix="write {peer: spine1, address: 10.255.0.1/31, peer_address: 10.255.0.0}")
        iface = ipaddress.ip_interface(schema.to_ipv4_interface(link.get("address"), name, field + ".address"))
        peer_ip = ipaddress.ip_address(schema.to_ipv4(link.get("peer_address"), name, field + ".peer_address"))
        if peer_ip not in iface.network:
            raise FabricError("peer_address %s is not in %s" % (peer_ip, iface.network), host=name,
                              field=field + ".peer_address", fix="use the other end of the link subnet")
        uplinks.append({"peer": link["peer"], "address": str(iface.ip), "cidr": str(iface),
                        "peer_address": str(peer_ip)})
    password = spec.get("bgp_password")
    if password in ("", None):
        password = None
    elif not _redacted(password):  # the action plugin checked the real one and sends a fingerprint
        schema.check_password(password, platform, name)
    if racks or name in fabric["global_peers"]:
        schema.dns_subdomain(name, name, "inventory_hostname", "device name (part of BGPPeer and Secret names)")
    return {
        "name": name,
        "platform": platform,
        "role": role,
        "mgmt_address": spec.get("mgmt_address") or spec.get("ansible_host") or name,
        "asn": spec["bgp_asn"],
        "router_id": str(router_id),
        "racks": racks,
        "uplinks": uplinks,
        "password": password,
        "dynamic_neighbors": bool(fabric["dynamic_neighbors"] if spec.get("dynamic_neighbors") is None
                                  else spec["dynamic_neighbors"]),
        "global_peer": name in fabric["global_peers"],
    }


# ------------------------------------------------------------------------------------------------
# the cluster side

@functools.lru_cache(maxsize=4096)
def _network(text):
    return ipaddress.ip_network(text)


@functools.lru_cache(maxsize=65536)
def _address(text):
    return ipaddress.ip_address(text)


def address_key(text):
    """The sort key of an address: ``(version, integer)`` (dotted IPv4 read without ipaddress: it is hot)."""
    parts = text.split(".")
    if len(parts) == 4 and all(p.isdigit() for p in parts):
        a, b, c, d = (int(p) for p in parts)
        return 4, (a << 24) | (b << 16) | (c << 8) | d
    address = _address(text)
    return address.version, int(address)


def _in_network(address, network):
    return _address(address) in _network(network)


def _interface(text):
    """``(address, cidr, network)`` of a validated ``ADDRESS/PREFIXLEN`` (IPv4 by arithmetic, else ipaddress)."""
    ip, _sep, length = text.partition("/")
    key = address_key(ip) if length.isdigit() and int(length) <= 32 else None
    if key is None or key[0] != 4:
        iface = ipaddress.ip_interface(text)
        return str(iface.ip), str(iface), str(iface.network)
    prefix = int(length)
    net = key[1] & ((0xFFFFFFFF << (32 - prefix)) & 0xFFFFFFFF)
    dotted = ".".join(str((net >> shift) & 0xFF) for shift in (24, 16, 8, 0))
    return ip, "%s/%d" % (ip, prefix), "%s/%d" % (dotted, prefix)


def _pattern(fabric):
    return patterns.PATTERNS[fabric["pattern"]]


def _peer(name, spec):
    return {"apiVersion": "projectcalico.org/v3", "kind": "BGPPeer",
            "metadata": {"name": name, "labels": dict(MANAGED_BY)}, "spec": spec}


def _node_asn(fabric, node):
    if node["asn"]:
        return node["asn"]
    if node["rack"] and node["rack"] in fabric["racks"]:
        return fabric["racks"][node["rack"]]["asn"]
    return fabric["calico_asn"]


def _cluster_id(fabric, node):
    """The RR cluster ID of a route-reflector node, or a FabricError naming the node."""
    rack = fabric["racks"].get(node["rack"] or "", {})
    cid = node["cluster_id"] or rack.get("cluster_id") or fabric["rr_cluster_id"]
    if not cid:
        cid = _pattern(fabric).default_cluster_id(node)
    if not cid:
        raise FabricError("route reflector without a cluster ID", host=node["host"],
                          field="route_reflector_cluster_id",
                          fix="set route_reflector_cluster_id (all vars), fabric_racks.<rack>.cluster_id "
                              "or the node's route_reflector_cluster_id")
    return str(cid)


def _device_peers(fabric, device, secret_refs):
    """BGPPeers from the nodes of each rack a device serves to the device."""
    peers = []
    pattern = _pattern(fabric)
    for rack, address in device["racks"].items():
        spec = {"peerIP": address, "asNumber": device["asn"], "nodeSelector": pattern.device_selector(fabric, rack)}
        if fabric["racks"].get(rack, {}).get("allow_local_as"):
            # BIRD: "allow local as N" -- the rack's own AS may appear N times in a route's AS path,
            # so the nodes of a rack that share an AS learn each other's blocks through the device
            spec["numAllowedLocalASNumbers"] = fabric["racks"][rack]["allow_local_as"]
        if device["password"]:
            spec["password"] = {"secretKeyRef": secret_refs[device["name"]]}
        peers.append(_peer("%s-%s" % (rack, device["name"]), spec))
    return peers


def _calico_node(fabric, pattern, node):
    """The Calico Node settings and labels the pattern gives one node."""
    labels = dict(node["labels"])
    if node["rack"]:
        labels["rack"] = node["rack"]
    settings = {"asNumber": None, "ipv4Address": node["cidr"], "routeReflectorClusterID": None}
    asn = _node_asn(fabric, node)
    if asn != fabric["calico_asn"] or node["asn"]:
        settings["asNumber"] = asn
    if node["route_reflector"] and pattern.route_reflectors:
        settings["routeReflectorClusterID"] = _cluster_id(fabric, node)
        labels.update(pattern.rr_labels(fabric, node))
    labels.update(pattern.node_labels(fabric, node))
    return {"host": node["host"], "bgp": settings, "labels": labels}


def _secrets(fabric):
    """``(secret_refs, secrets)``: one Secret per device with a BGP password."""
    secret_refs, secrets = {}, []
    for device in fabric["devices"].values():
        if device["password"]:
            name = "kubefabric-bgp-%s" % device["name"]
            secret_refs[device["name"]] = {"name": name, "key": "password"}
            secrets.append({"name": name, "namespace": fabric["secret_namespace"], "key": "password",
                            "device": device["name"]})
    return secret_refs, secrets


def _global_peer(device, secret_refs):
    addresses = sorted(set(device["racks"].values()))
    if len(addresses) != 1:
        raise FabricError("a global peer needs exactly one peering address", host=device["name"],
                          field="racks", fix="give the device one address all nodes reach")
    spec = {"peerIP": addresses[0], "asNumber": device["asn"]}
    if device["password"]:
        spec["password"] = {"secretKeyRef": secret_refs[device["name"]]}
    return _peer("global-%s" % device["name"], spec)


def plan_calico(fabric):
    """BGPConfiguration, BGPPeers and per-node settings for the pattern."""
    pattern = _pattern(fabric)
    config = {"asNumber": fabric["calico_asn"], "nodeToNodeMeshEnabled": pattern.mesh,
              "logSeverityScreen": "Info"}
    if fabric["service_cluster_ips"]:
        config["serviceClusterIPs"] = [{"cidr": c} for c in fabric["service_cluster_ips"]]
    if fabric["service_external_ips"]:
        config["serviceExternalIPs"] = [{"cidr": c} for c in fabric["service_external_ips"]]
    nodes = {node["name"]: _calico_node(fabric, pattern, node) for node in fabric["nodes"].values()}
    secret_refs, secrets = _secrets(fabric)
    racks = {n["rack"] for n in fabric["nodes"].values()}
    peers = [_peer(name, spec) for name, spec in pattern.cluster_peers(fabric, racks)]
    for device in fabric["devices"].values():
        if device["global_peer"]:
            peers.append(_global_peer(device, secret_refs))
        else:
            peers.extend(_device_peers(fabric, device, secret_refs))
    return {"bgp_configuration": {"name": "default", "spec": config}, "bgp_peers": peers,
            "nodes": nodes, "secrets": secrets}


def calico_resources(calico):
    """``plan.calico`` as projectcalico.org/v3 objects (what the engine and calicoctl read)."""
    objs = [{"apiVersion": "projectcalico.org/v3", "kind": "BGPConfiguration",
             "metadata": {"name": "default"}, "spec": calico["bgp_configuration"]["spec"]}]
    for name, node in sorted(calico["nodes"].items()):
        bgp = {k: v for k, v in node["bgp"].items() if v is not None}
        objs.append({"apiVersion": "projectcalico.org/v3", "kind": "Node",
                     "metadata": {"name": name, "labels": node["labels"]}, "spec": {"bgp": bgp}})
    objs.extend(calico["bgp_peers"])
    return objs


# ------------------------------------------------------------------------------------------------
# the network side

def _neighbor(address, remote_as, description, password=None, rr_client=False):
    item = {"address": address, "remote_as": remote_as, "description": description,
            "route_reflector_client": bool(rr_client)}
    if password:
        item["password"] = password
    return item


def _node_sessions(fabric, node_peers):
    """``(device name, node, peer, rr_client)`` for every node session that ends on a device."""
    by_address = {}
    for device in fabric["devices"].values():
        for address in device["racks"].values():
            by_address[address] = device["name"]
    nodes_by_name = {n["name"]: n for n in fabric["nodes"].values()}
    rr_clients = _pattern(fabric).rr_clients(fabric)
    for node_name, peers in sorted(node_peers.items()):
        node = nodes_by_name[node_name]
        for peer in peers:
            device_name = by_address.get(peer.peer_ip)
            if device_name is None:
                continue
            ibgp = peer.local_as == fabric["devices"][device_name]["asn"]
            rr_client = ibgp and rr_clients
            yield device_name, node, peer, rr_client


def plan_devices(fabric, node_peers):
    """Device model config per device, mirroring every node session that ends on it, plus uplinks."""
    configs = {name: {"asn": d["asn"], "router_id": d["router_id"], "neighbors": [], "listen_ranges": []}
               for name, d in fabric["devices"].items()}
    for device_name, node, peer, rr_client in _node_sessions(fabric, node_peers):
        device = fabric["devices"][device_name]
        configs[device_name]["neighbors"].append(_neighbor(
            node["address"], peer.local_as, "k8s %s" % node["name"], device["password"], rr_client))
    for device in fabric["devices"].values():
        config = configs[device["name"]]
        if device["dynamic_neighbors"] and config["neighbors"]:
            # a listen range of the device model has no password and no route-reflector-client flag:
            # planning one would accept the nodes' sessions without them
            if device["password"]:
                raise FabricError("dynamic_neighbors would accept the nodes' sessions without the BGP password "
                                  "(a listen range carries none)", host=device["name"], field="dynamic_neighbors",
                                  fix="set dynamic_neighbors: false on %s, or remove its bgp_password" % device["name"])
            if any(item["route_reflector_client"] for item in config["neighbors"]):
                raise FabricError("dynamic_neighbors cannot make the nodes route-reflector clients (a listen range "
                                  "carries no such flag)", host=device["name"], field="dynamic_neighbors",
                                  fix="set dynamic_neighbors: false on %s, or use tor_peering other than all_nodes"
                                  % device["name"])
        if device["dynamic_neighbors"]:
            ranges = {}
            networks = {n["address"]: n["network"] for n in fabric["nodes"].values()}
            for item in config["neighbors"]:
                ranges.setdefault(networks[item["address"]], item["remote_as"])
            config["listen_ranges"] = [{"prefix": prefix, "remote_as": asn, "peer_group": "k8s-%d" % i}
                                       for i, (prefix, asn) in enumerate(sorted(ranges.items()))]
            config["neighbors"] = []
        for link in device["uplinks"]:
            peer = fabric["devices"].get(link["peer"])
            if peer is None:
                raise FabricError("uplink peer %r is not a device of the inventory" % link["peer"],
                                  host=device["name"], field="uplinks", fix="add it to the device group")
            config["neighbors"].append(_neighbor(link["peer_address"], peer["asn"],
                                                 "fabric %s" % peer["name"], device["password"]))
            configs[peer["name"]]["neighbors"].append(_neighbor(
                link["address"], device["asn"], "fabric %s" % device["name"], device["password"]))
    out = {}
    for name, device in sorted(fabric["devices"].items()):
        config = configs[name]
        config["neighbors"].sort(key=lambda n: address_key(n["address"]))
        out[name] = {"platform": device["platform"], "role": device["role"],
                     "mgmt_address": device["mgmt_address"], "config": config}
    return out


# ------------------------------------------------------------------------------------------------
# sessions and consistency

def _node_row(peer, names_by_address):
    return {"peer_address": peer.peer_ip, "peer_type": peer.peer_type_label, "local_as": peer.local_as,
            "peer_as": peer.peer_as, "rr_client": peer.rr_client,
            "peer_name": peer.peer_node or names_by_address.get(peer.peer_ip)}


def plan_sessions(fabric, node_peers, devices):
    names_by_address = {n["address"]: n["name"] for n in fabric["nodes"].values()}
    for device in fabric["devices"].values():
        for address in device["racks"].values():
            names_by_address[address] = device["name"]
        for link in device["uplinks"]:
            names_by_address[link["address"]] = device["name"]
            names_by_address[link["peer_address"]] = link["peer"]
    nodes = {name: [_node_row(p, names_by_address) for p in peers] for name, peers in sorted(node_peers.items())}
    device_rows = {}
    for name, device in devices.items():
        rows = [{"peer_address": n["address"], "peer_name": names_by_address.get(n["address"]),
                 "remote_as": n["remote_as"], "local_as": device["config"]["asn"],
                 "rr_client": n["route_reflector_client"]} for n in device["config"]["neighbors"]]
        device_rows[name] = rows
    # a device with listen ranges has no neighbor per node, but it reports every dynamic peer with the
    # node's own address: expect one session per node session that ends on it inside a range
    for name, node, peer, rr_client in _node_sessions(fabric, node_peers):
        config = devices[name]["config"]
        if any(_in_network(node["address"], r["prefix"]) for r in config["listen_ranges"]) and \
                not any(n["address"] == node["address"] for n in config["neighbors"]):
            device_rows[name].append({"peer_address": node["address"], "peer_name": node["name"],
                                      "remote_as": peer.local_as, "local_as": config["asn"], "rr_client": rr_client})
    for rows in device_rows.values():
        rows.sort(key=lambda r: address_key(r["peer_address"]))
    pairs = set()
    for name, rows in nodes.items():
        for row in rows:
            pairs.add(frozenset((name, row["peer_name"] or row["peer_address"])))
    for name, rows in device_rows.items():
        for row in rows:
            pairs.add(frozenset((name, row["peer_name"] or row["peer_address"])))
    return {"nodes": nodes, "devices": device_rows, "total": len(pairs)}


def _nodes_by_rack(fabric):
    """``{rack: [node]}`` in the nodes' order (one pass: the checks ask per rack)."""
    by_rack = {}
    for node in fabric["nodes"].values():
        by_rack.setdefault(node["rack"], []).append(node)
    return by_rack


def check_consistency(fabric, node_peers, devices, calico):
    """The cross-side rules; returns warnings, raises FabricError for the first violation.

    Every rule is linear in nodes + sessions: nodes are grouped by rack once, selectors are answered
    from a label index, device neighbors are looked up by address.
    """
    warnings = list(fabric.get("warnings") or [])
    nodes_by_name = {n["name"]: n for n in fabric["nodes"].values()}
    by_rack = _nodes_by_rack(fabric)
    _check_unique(fabric)
    _check_devices(fabric, warnings, by_rack)
    if _pattern(fabric).rack_rrs_required(fabric):
        _check_rack_rrs(by_rack, warnings)
    _check_selectors(calico)
    _check_rack_as_loop(fabric, by_rack)
    _check_local_as_loop(fabric, node_peers, nodes_by_name)
    # every node keeps at least one session when the mesh is off
    for name, peers in node_peers.items():
        if not peers:
            raise FabricError("the node has no BGP session (mesh disabled and no replacement peering)",
                              host=nodes_by_name[name]["host"], field="rack",
                              fix="put the node in a rack with a ToR/leaf or route reflectors")
    _check_mirrored(fabric, node_peers, devices, nodes_by_name)
    return warnings


def _check_unique(fabric):
    """Addresses and router IDs are unique."""
    seen = {}
    for node in fabric["nodes"].values():
        for what, value in (("bgp_ipv4_address", node["address"]), ("router ID", node["address"])):
            key = (what == "router ID", value)
            if key in seen and seen[key] != node["host"]:
                raise FabricError("%s %s is also used by %s" % (what, value, seen[key]), host=node["host"],
                                  field="bgp_ipv4_address", fix="give every node its own address")
            seen[key] = node["host"]
    for device in fabric["devices"].values():
        key = (True, device["router_id"])
        if key in seen and seen[key] != device["name"]:
            raise FabricError("router ID %s is also used by %s" % (device["router_id"], seen[key]),
                              host=device["name"], field="router_id", fix="give every device its own router_id")
        seen[key] = device["name"]
        addresses = [(a, "racks") for a in device["racks"].values()]
        addresses += [(l["address"], "uplinks") for l in device["uplinks"]]
        for address, field in addresses:
            key = (False, address)
            if key in seen and seen[key] != device["name"]:
                raise FabricError("address %s is also used by %s" % (address, seen[key]), host=device["name"],
                                  field=field, fix="give every interface its own address")
            seen[key] = device["name"]


def _check_rack_rrs(by_rack, warnings):
    """Route reflectors per rack: none is an error, one a warning."""
    for rack in sorted(by_rack):
        rrs = [n for n in by_rack[rack] if n["route_reflector"]]
        if not rrs:
            raise FabricError("rack %s has no route reflector" % rack, host="rack %s" % rack,
                              field="route_reflector", fix="set route_reflector: true on two nodes of the rack")
        if len(rrs) < 2:
            warnings.append("rack %s has one route reflector (%s): when it fails the rack's nodes lose "
                            "their routes (seed 004's outage note); add a second" % (rack, rrs[0]["host"]))


def _check_selectors(calico):
    """Selectors of generated peers match something (answered from a label index, not node by node)."""
    index = LabelIndex({name: node["labels"] for name, node in calico["nodes"].items()})
    for peer in calico["bgp_peers"]:
        for field in ("nodeSelector", "peerSelector"):
            text = peer["spec"].get(field)
            if text is None:
                continue
            if not index.matching(parse_selector(text)):
                raise FabricError("the selector %r of BGPPeer %s matches no node" % (text, peer["metadata"]["name"]),
                                  host=peer["metadata"]["name"], field=field,
                                  fix="check the nodes' rack / route_reflector settings in the inventory")


def _check_rack_as_loop(fabric, by_rack):
    """AS-path loop: racks that share an AS behind eBGP devices drop each other's routes."""
    device_asns = {}
    for device in fabric["devices"].values():
        for rack in device["racks"]:
            device_asns.setdefault(rack, []).append(device["asn"])
    by_asn = {}
    for rack, spec in fabric["racks"].items():
        ebgp = any(asn != spec["asn"] for asn in device_asns.get(rack, ()))
        if ebgp and spec["allow_local_as"] == 0 and by_rack.get(rack):
            by_asn.setdefault(spec["asn"], []).append(rack)
    for asn, racks in sorted(by_asn.items()):
        if len(racks) > 1:
            raise FabricError("racks %s share AS %d behind eBGP devices: each rack drops the other's routes "
                              "(AS-path loop)" % (", ".join(racks), asn), host="rack %s" % racks[1],
                              field="fabric_racks.%s.asn" % racks[1],
                              fix="give each rack its own AS or set fabric_racks.<rack>.allow_local_as: 1")


def _check_mirrored(fabric, node_peers, devices, nodes_by_name):
    """Every node session to a device is mirrored by that device, with the same AS pair and password."""
    device_by_address = {address: device for device in fabric["devices"].values()
                         for address in device["racks"].values()}
    neighbors = {name: {n["address"]: n for n in d["config"]["neighbors"]} for name, d in devices.items()}
    mirrored = set()
    for name, peers in node_peers.items():
        node = nodes_by_name[name]
        for peer in peers:
            device = device_by_address.get(peer.peer_ip)
            if device is None:
                if peer.peer_node is None:
                    raise FabricError("session to %s, which is neither a node nor a device" % peer.peer_ip,
                                      host=node["host"], field="BGPPeer %s" % peer.bgppeer,
                                      fix="add the device to the inventory with that address in racks")
                continue
            _check_mirror(node, peer, device, devices[device["name"]]["config"],
                          neighbors[device["name"]].get(node["address"]))
            mirrored.add((device["name"], node["address"]))
    node_addresses = {n["address"] for n in fabric["nodes"].values()}
    for name, device in devices.items():
        for neighbor in device["config"]["neighbors"]:
            if neighbor["address"] in node_addresses and (name, neighbor["address"]) not in mirrored:
                raise FabricError("neighbor %s has no session on the node side" % neighbor["address"], host=name,
                                  field="neighbors", fix="add the BGPPeer for the node, or remove the neighbor")


def _check_mirror(node, peer, device, config, neighbor):
    """One node session against the device neighbor (or listen range) that must mirror it."""
    ranges = [r for r in config["listen_ranges"] if _in_network(node["address"], r["prefix"])]
    if neighbor is None and ranges and all(r["remote_as"] != peer.local_as for r in ranges):
        raise FabricError("node %s (AS %s) is in the listen range %s of AS %s: a listen range accepts one "
                          "AS" % (node["host"], peer.local_as, ranges[0]["prefix"], ranges[0]["remote_as"]),
                          host=device["name"], field="dynamic_neighbors",
                          fix="give the nodes of %s one AS, or set dynamic_neighbors: false on %s"
                              % (ranges[0]["prefix"], device["name"]))
    covered = neighbor is not None or bool(ranges)
    if not covered or (neighbor and neighbor["remote_as"] != peer.local_as) or peer.peer_as != device["asn"]:
        raise FabricError("node session %s -> %s has no mirrored neighbor (AS %s/%s) on the device"
                          % (node["address"], peer.peer_ip, peer.local_as, peer.peer_as),
                          host=device["name"], field="neighbors",
                          fix="align the device's bgp_asn and the rack's AS with the node side")
    if bool(peer.password_ref) != bool(device["password"]):
        raise FabricError("BGP password set on one side only", host=device["name"], field="bgp_password",
                          fix="set the password on both the device and the BGPPeer, or on neither")


def _check_devices(fabric, warnings, by_rack=None):
    """Devices against racks, nodes and each other: the combinations the schema cannot see alone."""
    devices = fabric["devices"]
    pattern = _pattern(fabric)
    by_rack = _nodes_by_rack(fabric) if by_rack is None else by_rack
    for device in devices.values():
        for rack, address in device["racks"].items():
            nodes = by_rack.get(rack, [])
            spec = fabric["racks"].get(rack)
            _check_rack_subnet(device, rack, address, nodes)
            if spec and nodes:
                pattern.check_rack_device(fabric, device, rack, spec, warnings)
        for link in device["uplinks"]:
            _check_uplink_passwords(device, devices[link["peer"]])
    if pattern.rack_device:
        served = {rack for d in devices.values() for rack in d["racks"]}
        for rack in sorted(set(by_rack) - served):
            node = by_rack[rack][0]
            raise FabricError("rack %s has nodes (%s) but no %s: its pods would be reachable from no other rack"
                              % (rack, node["host"], pattern.rack_device),
                              host="rack %s" % rack, field="racks",
                              fix="add %s with its peering address to the racks of the rack's device" % rack)


def _check_rack_subnet(device, rack, address, nodes):
    """The device's peering address of a rack is inside the subnet of every node of the rack."""
    outside = {net for net in {n["network"] for n in nodes} if not _in_network(address, net)}
    if outside:
        first = next(n for n in nodes if n["network"] in outside)
        raise FabricError("peering address %s is outside the subnet %s of rack %s (node %s): the nodes "
                          "cannot reach it directly" % (address, first["network"], rack, first["host"]),
                          host=device["name"], field="racks.%s" % rack,
                          fix="use the device's address in %s, or correct the nodes' bgp_ipv4_address"
                              % first["network"])


def _check_uplink_passwords(device, peer):
    if (device["password"] or None) != (peer["password"] or None):
        which = ("%s has a bgp_password and %s none" % (device["name"], peer["name"])
                 if device["password"] and not peer["password"] else
                 "%s has a bgp_password and %s none" % (peer["name"], device["name"])
                 if peer["password"] and not device["password"] else
                 "%s and %s have different bgp_password values" % (device["name"], peer["name"]))
        raise FabricError("the two ends of the uplink %s - %s would use different BGP passwords (%s): the "
                          "session never comes up" % (device["name"], peer["name"], which),
                          host=device["name"], field="bgp_password",
                          fix="give %s and %s the same bgp_password, or neither" % (device["name"], peer["name"]))


def _check_local_as_loop(fabric, node_peers, nodes_by_name):
    """Nodes that share an AS and hear each other only through an eBGP device drop each other's routes."""
    by_asn = {}
    for name, peers in node_peers.items():
        node = nodes_by_name[name]
        if not peers or any(p.peer_node for p in peers):
            continue  # an iBGP/mesh/RR session to another node carries the routes
        ebgp = [p for p in peers if p.local_as != p.peer_as]
        if len(ebgp) == len(peers) and not any(p.allow_local_as for p in peers):
            by_asn.setdefault(peers[0].local_as, []).append(node)
    for asn, nodes in sorted(by_asn.items()):
        if len(nodes) > 1:
            rack = nodes[1]["rack"]
            raise FabricError("nodes %s share AS %d and hear each other only through eBGP devices: BIRD drops each "
                              "other's blocks (AS-path loop), so their pods cannot reach each other"
                              % (", ".join(n["host"] for n in nodes), asn),
                              host=nodes[1]["host"], field="fabric_racks.%s.allow_local_as" % rack if rack else "bgp_asn",
                              fix="set fabric_racks.%s.allow_local_as: 1 (plans numAllowedLocalASNumbers, BIRD "
                                  "'allow local as'), give each node its own bgp_asn, or use route reflectors"
                                  % (rack or "<rack>"))


# ------------------------------------------------------------------------------------------------
# the whole plan

def to_dot(fabric, sessions):
    lines = ["graph fabric {", "  node [shape=box, fontsize=10];"]
    for device in sorted(fabric["devices"].values(), key=lambda d: d["name"]):
        lines.append('  "%s" [label="%s\\n%s AS %d", style=filled, fillcolor=lightblue];'
                     % (device["name"], device["name"], device["platform"], device["asn"]))
    for node in sorted(fabric["nodes"].values(), key=lambda n: n["name"]):
        shape = "doubleoctagon" if node["route_reflector"] else "ellipse"
        lines.append('  "%s" [shape=%s, label="%s\\n%s"];' % (node["name"], shape, node["name"], node["address"]))
    edges = set()
    for side in ("nodes", "devices"):
        for name, rows in sessions[side].items():
            for row in rows:
                other = row["peer_name"] or row["peer_address"]
                edges.add(tuple(sorted((name, other))))
    for a, b in sorted(edges):
        lines.append('  "%s" -- "%s";' % (a, b))
    lines.append("}")
    return "\n".join(lines) + "\n"


def module_args(calico, devices):
    """``plan.calico`` in the option format of the calico_* modules (what the calico role passes).

    Peers to a device with a password carry ``password_device``: the role passes that device's
    ``bgp_password`` (from the vault) as the clear password, which the module stores in the Secret.
    """
    spec = calico["bgp_configuration"]["spec"]
    config = {"name": "default", "as_number": str(spec["asNumber"]),
              "node_to_node_mesh_enabled": spec["nodeToNodeMeshEnabled"],
              "log_severity_screen": spec.get("logSeverityScreen"),
              "service_cluster_ips": [c["cidr"] for c in spec.get("serviceClusterIPs", [])] or None,
              "service_external_ips": [c["cidr"] for c in spec.get("serviceExternalIPs", [])] or None}
    password_devices = {s["name"]: s["device"] for s in calico["secrets"]}
    peers = []
    for peer in calico["bgp_peers"]:
        spec = peer["spec"]
        item = {"name": peer["metadata"]["name"], "peer_ip": spec.get("peerIP"),
                "as_number": str(spec["asNumber"]) if spec.get("asNumber") else None,
                "node_selector": spec.get("nodeSelector"), "peer_selector": spec.get("peerSelector"),
                "num_allowed_local_as_numbers": spec.get("numAllowedLocalASNumbers")}
        ref = spec.get("password", {}).get("secretKeyRef")
        if ref:
            item["password_secret"] = dict(ref)
            item["password_device"] = password_devices[ref["name"]]
        peers.append({k: v for k, v in item.items() if v is not None})
    nodes = []
    for name, node in sorted(calico["nodes"].items()):
        bgp = node["bgp"]
        nodes.append({k: v for k, v in {
            "name": name, "as_number": str(bgp["asNumber"]) if bgp["asNumber"] else None,
            "ipv4_address": bgp["ipv4Address"],
            "route_reflector_cluster_id": bgp["routeReflectorClusterID"] or "",
            "labels": node["labels"]}.items() if v is not None})
    return {"bgp_configuration": {k: v for k, v in config.items() if v is not None}, "bgp_peers": peers,
            "nodes": nodes, "devices": {name: d["config"] for name, d in devices.items()}}


def build_plan(fabric) -> FabricPlan:
    """Validate everything, then plan both sides and the expected sessions."""
    # the plan is a tree of many small objects and no cycles: the cyclic collector would only rescan
    # the growing heap (a quarter of the time at 10,000 nodes, and what made planning superlinear)
    collecting = gc.isenabled()
    gc.disable()
    try:
        normal = normalise_fabric(fabric)
        calico = plan_calico(normal)
        node_peers = peering.compute_peerings(calico_resources(calico))
        devices = plan_devices(normal, node_peers)
        warnings = check_consistency(normal, node_peers, devices, calico)
        sessions = plan_sessions(normal, node_peers, devices)
        return FabricPlan(pattern=normal["pattern"], calico=calico, devices=devices, sessions=sessions,
                          warnings=warnings, dot=to_dot(normal, sessions), module_args=module_args(calico, devices))
    finally:
        if collecting:
            gc.enable()
