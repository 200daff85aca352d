# -*- coding: utf-8 -*-
# Copyright: kubefabric.bgp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Several Kubernetes clusters on one fabric (docs/multi_cluster.md): plan each, check across them, merge.

``build_fabric_plan(fabric)`` takes::

    {"fabric_id": "dc1", "clusters": {name: {"options": {planner option: value}, "nodes": {host: vars}}},
     "devices": {host: vars}, "variables": {...}, "pattern": None, "inventory_pattern": None,
     "dynamic_neighbors": False, "secret_namespace": "kube-system"}

and plans every cluster with the single-cluster planner (``plan.build_plan``), giving it the
cluster's nodes, its options and the devices with only the racks of that cluster.  Before and after
that it refuses, naming host, field and fix, what only the whole fabric shows: racks or nodes in two
clusters, overlapping pod/service ranges, duplicate addresses, AS-path loops between clusters.  The
result is the merged plan: ``clusters`` (each cluster's own plan and owner scope), ``devices`` (a
device's neighbours = the union over the clusters, each tagged with its ``cluster``; uplinks
``None``), ``device_scopes`` (per device one config per owner scope, what the devices role applies
with ``state: overridden`` limited to that scope), ``sessions`` (rows tagged with their cluster) and
``dot``.
"""

from __future__ import annotations

import copy
import ipaddress

from ..common.errors import FabricError
from ..devices import owner as _owner
from . import plan as _plan
from .schema import CALICO_DEFAULT_POOL

CLUSTER_GROUP = "kubefabric_clusters"
COLOURS = ("lightyellow", "palegreen", "lightpink", "lightcyan", "wheat", "thistle", "honeydew", "mistyrose")


def _cluster_host(name):
    return "cluster %s" % name


def _racks_of(cluster):
    """The racks of one cluster: the keys of its fabric_racks and the racks of its nodes."""
    racks = set(str(r) for r in ((cluster["options"].get("racks") or {}) if isinstance(
        cluster["options"].get("racks"), dict) else {}))
    racks |= {str(spec["rack"]) for spec in cluster["nodes"].values() if (spec or {}).get("rack")}
    return racks


def check_nodes_once(hosts_of):
    """Every node in one cluster: ``hosts_of`` is ``{cluster: [node hosts]}``.  (A host in two cluster
    groups gets the group vars of both: the action plugin checks this before it reads any.)"""
    seen = {}
    for name in sorted(hosts_of):
        for host in sorted(hosts_of[name]):
            if host in seen:
                raise FabricError("node %s is in clusters %s and %s" % (host, seen[host], name), host=host,
                                  field=CLUSTER_GROUP, fix="put the node in the group of one cluster only")
            seen[host] = name


def check_membership(fabric):
    """Names, owner scopes and racks: each node, rack and device rack in exactly one cluster.

    Returns ``({cluster: owner scope}, {rack: cluster})``."""
    clusters = fabric["clusters"]
    if not clusters:
        raise FabricError("the group %s has no cluster groups" % CLUSTER_GROUP, host=CLUSTER_GROUP,
                          field="children", fix="add one child group per cluster, or remove the empty group")
    owners = {name: _owner.scope(fabric.get("fabric_id"), name, _cluster_host(name)) for name in sorted(clusters)}
    for name in sorted(clusters):
        if not clusters[name]["nodes"]:
            raise FabricError("cluster %s has no nodes" % name, host=_cluster_host(name), field="hosts",
                              fix="add the cluster's nodes to its group, or remove the group from %s" % CLUSTER_GROUP)
    check_nodes_once({name: list(spec["nodes"]) for name, spec in clusters.items()})
    rack_cluster = {}
    for name in sorted(clusters):
        for rack in sorted(_racks_of(clusters[name])):
            if rack in rack_cluster:
                raise FabricError("rack %s belongs to clusters %s and %s: one leaf port and subnet would serve the racks "
                                  "of two clusters" % (rack, rack_cluster[rack], name), host="rack %s" % rack,
                                  field="fabric_racks.%s" % rack,
                                  fix="give each cluster its own racks (rename the rack in cluster %s and the "
                                      "devices' racks)" % name)
            rack_cluster[rack] = name
    for device, spec in sorted(fabric["devices"].items()):
        racks = (spec or {}).get("racks") or {}
        for rack in sorted(str(r) for r in (racks if isinstance(racks, dict) else {})):
            if rack not in rack_cluster:
                raise FabricError("rack %s is in no cluster" % rack, host=device, field="racks.%s" % rack,
                                  fix="add %s to the fabric_racks of the cluster it serves, or remove it from the "
                                      "device's racks" % rack)
    return owners, rack_cluster


def _node_networks(fabric):
    """``[(cluster, host, interface)]`` of every node with a parseable address (the planner checks the rest)."""
    out = []
    for name, cluster in sorted(fabric["clusters"].items()):
        for host, spec in sorted(cluster["nodes"].items()):
            try:
                out.append((name, host, ipaddress.ip_interface(str((spec or {}).get("bgp_ipv4_address")))))
            except ValueError:
                continue
    return out


def check_subnets(fabric, rack_cluster):
    """Racks of two clusters on overlapping subnets, and device rack addresses in another cluster's subnet."""
    networks = _node_networks(fabric)
    first = {}
    for name, host, iface in networks:
        for other_name, other_host, other_net in first.values():
            if other_name != name and iface.network.overlaps(other_net):
                raise FabricError("the subnet %s of node %s (cluster %s) overlaps %s of node %s (cluster %s): one leaf "
                                  "port/subnet would serve the racks of two clusters"
                                  % (iface.network, host, name, other_net, other_host, other_name), host=host,
                                  field="bgp_ipv4_address",
                                  fix="give each cluster's racks their own subnets (one leaf port per rack)")
        first.setdefault((name, str(iface.network)), (name, host, iface.network))
    for device, spec in sorted(fabric["devices"].items()):
        racks = (spec or {}).get("racks") or {}
        for rack, address in sorted((racks if isinstance(racks, dict) else {}).items()):
            try:
                ip = ipaddress.ip_address(str(address))
            except ValueError:
                continue
            for name, host, iface in networks:
                if name != rack_cluster.get(str(rack)) and ip in iface.network:
                    raise FabricError("the peering address %s of rack %s (cluster %s) is in the subnet %s of cluster %s "
                                      "(node %s)" % (ip, rack, rack_cluster.get(str(rack)), iface.network, name, host),
                                      host=device, field="racks.%s" % rack,
                                      fix="use an address in the subnet of rack %s's own nodes" % rack)


def check_addresses(fabric):
    """A node address (= its BGP router ID) is used once in the whole fabric: by no node of another
    cluster, by no device interface and no device router ID."""
    used = {}
    for device, spec in sorted(fabric["devices"].items()):
        spec = spec or {}
        racks = spec.get("racks") if isinstance(spec.get("racks"), dict) else {}
        for value in list(racks.values()) + [spec.get("router_id")]:
            used.setdefault(str(value), device)
        for link in spec.get("uplinks") or []:
            if isinstance(link, dict):
                used.setdefault(str(link.get("address", "")).split("/", maxsplit=1)[0], device)
                used.setdefault(str(link.get("peer_address")), link.get("peer"))
    for name, host, iface in _node_networks(fabric):
        address = str(iface.ip)
        if address in used and used[address] != host:
            raise FabricError("address %s (the node's BGP router ID) is also used by %s" % (address, used[address]),
                              host=host, field="bgp_ipv4_address",
                              fix="give every node of every cluster its own address")
        used[address] = host


def _ranges(name, cluster_plan, options):
    pod = options.get("pod_cidr") or CALICO_DEFAULT_POOL
    out = [("pod_cidr", str(pod))]
    spec = cluster_plan["calico"]["bgp_configuration"]["spec"]
    for var, key in (("service_cluster_ips", "serviceClusterIPs"), ("service_external_ips", "serviceExternalIPs")):
        out += [("%s[%d]" % (var, i), item["cidr"]) for i, item in enumerate(spec.get(key) or [])]
    return [(name, field, ipaddress.ip_network(cidr)) for field, cidr in out]


def check_ranges(fabric, plans):
    """Pod and service ranges of different clusters never overlap: all are announced into the same fabric."""
    seen = []
    for name in sorted(plans):
        for _cluster, field, net in _ranges(name, plans[name], fabric["clusters"][name]["options"]):
            for other_name, other_field, other in seen:
                if other_name != name and net.version == other.version and net.overlaps(other):
                    default = " (both clusters use Calico's default pool)" if field == other_field == "pod_cidr" and \
                        str(net) == CALICO_DEFAULT_POOL else ""
                    raise FabricError("%s %s of cluster %s overlaps %s %s of cluster %s%s: both are announced into the "
                                      "same fabric" % (field, net, name, other_field, other, other_name, default),
                                      host=_cluster_host(name), field=field,
                                      fix="give each cluster its own pod pool and service ranges (set %s in the "
                                          "group vars of cluster %s)" % (field.split("[")[0], name))
            seen.append((name, field, net))


def check_as_paths(fabric, plans):
    """AS-path loops between clusters behind eBGP devices.

    A node that talks eBGP to the devices announces its routes with its AS in the path: a node of
    another cluster with the same AS drops them (unless both accept their own AS, ``allow_local_as``),
    and so does any device whose own AS it is."""
    device_as = {}
    for name in sorted(fabric["devices"]):
        for plan in plans.values():
            if name in plan["devices"]:
                device_as[name] = plan["devices"][name]["config"]["asn"]
    by_as = {}
    for cluster in sorted(plans):
        plan = plans[cluster]
        racks = plan_racks(fabric, cluster)
        hosts = {n: node["host"] for n, node in plan["calico"]["nodes"].items()}
        rack_of = {n: node["labels"].get("rack") for n, node in plan["calico"]["nodes"].items()}
        for node, rows in sorted(plan["sessions"]["nodes"].items()):
            for row in rows:
                if row["peer_name"] not in device_as or row["local_as"] == row["peer_as"]:
                    continue
                asn = row["local_as"]
                rack = rack_of.get(node)
                allow = bool((racks.get(rack) or {}).get("allow_local_as")) if rack else False
                owner_device = next((d for d, a in sorted(device_as.items()) if a == asn), None)
                if owner_device is not None:
                    raise FabricError("node %s (cluster %s) announces its routes with AS %s, the AS of device %s, which "
                                      "drops them (AS-path loop)" % (hosts[node], cluster, asn, owner_device),
                                      host=hosts[node], field=_as_field(fabric, cluster, hosts[node], rack),
                                      fix="use an AS that no device of the fabric uses")
                by_as.setdefault(asn, {}).setdefault(cluster, (hosts[node], rack, allow))
    for asn, users in sorted(by_as.items()):
        if len(users) < 2:
            continue
        names = sorted(users)
        if all(users[c][2] for c in names):
            continue
        host, rack, _allow = users[names[1]]
        raise FabricError("clusters %s share AS %s behind eBGP devices (nodes %s): each cluster's nodes drop the other's "
                          "routes (AS-path loop)" % (" and ".join(names), asn, ", ".join(users[c][0] for c in names)),
                          host=host, field=_as_field(fabric, names[1], host, rack),
                          fix="give each cluster's racks their own AS, or set allow_local_as: 1 on the racks of both "
                              "clusters")


def plan_racks(fabric, cluster):
    racks = fabric["clusters"][cluster]["options"].get("racks")
    return racks if isinstance(racks, dict) else {}


def _as_field(fabric, cluster, host, rack):
    if (fabric["clusters"][cluster]["nodes"].get(host) or {}).get("bgp_asn") is not None:
        return "bgp_asn"
    if rack and (plan_racks(fabric, cluster).get(rack) or {}).get("asn") is not None:
        return "fabric_racks.%s.asn" % rack
    return "calico_asn"


def _cluster_input(fabric, name, racks, first):
    cluster = fabric["clusters"][name]
    data = {key: value for key, value in cluster["options"].items() if value is not None}
    if fabric.get("pattern"):
        data["pattern"] = fabric["pattern"]
    devices = {}
    for device, spec in fabric["devices"].items():
        spec = dict(spec or {})
        if isinstance(spec.get("racks"), dict):
            spec["racks"] = {r: a for r, a in spec["racks"].items() if str(r) in racks}
        devices[device] = spec
    data.update(nodes=cluster["nodes"], devices=devices, variables=fabric.get("variables") if first else {},
                inventory_pattern=fabric.get("inventory_pattern"), dynamic_neighbors=fabric.get("dynamic_neighbors"),
                secret_namespace=fabric.get("secret_namespace"))
    return data


def plan_clusters(fabric, rack_cluster):
    plans = {}
    for index, name in enumerate(sorted(fabric["clusters"])):
        racks = {r for r, c in rack_cluster.items() if c == name}
        try:
            plans[name] = _plan.build_plan(_cluster_input(fabric, name, racks, index == 0))
        except FabricError as exc:
            raise FabricError("cluster %s: %s" % (name, exc.message), host=exc.host or _cluster_host(name),
                              field=exc.field, fix=exc.fix, details=dict(exc.details, cluster=name))
    return plans


# ------------------------------------------------------------------------------------------------
# merging

def _scope_configs(plans, owners, fabric_owner):
    """Per device: the fabric's config (uplinks) and one per cluster (its nodes' neighbours and ranges)."""
    scopes = {}
    for cluster in sorted(plans):
        plan = plans[cluster]
        addresses = {n["bgp"]["ipv4Address"].split("/")[0] for n in plan["calico"]["nodes"].values()}
        for device, data in sorted(plan["devices"].items()):
            config = data["config"]
            entry = scopes.setdefault(device, {fabric_owner: {"cluster": None, "neighbors": {}, "listen_ranges": []},
                                               "_base": {"asn": config["asn"], "router_id": config["router_id"]}})
            mine = {"cluster": cluster, "neighbors": {}, "listen_ranges": list(config["listen_ranges"])}
            for neighbor in config["neighbors"]:
                target = mine if neighbor["address"] in addresses else entry[fabric_owner]
                target["neighbors"][neighbor["address"]] = neighbor
            entry[owners[cluster]] = mine
    out = {}
    for device, entry in sorted(scopes.items()):
        base = entry.pop("_base")
        rows = []
        for owner in [fabric_owner] + sorted(o for o in entry if o != fabric_owner):
            item = entry[owner]
            neighbors = sorted(item["neighbors"].values(), key=lambda n: ipaddress.ip_address(n["address"]))
            rows.append({"owner": owner, "cluster": item["cluster"],
                         "config": dict(base, neighbors=neighbors, listen_ranges=item["listen_ranges"])})
        out[device] = rows
    return out


def _merged_devices(plans, scopes):
    devices = {}
    for cluster in sorted(plans):
        for name, data in plans[cluster]["devices"].items():
            devices.setdefault(name, {k: v for k, v in data.items() if k != "config"})
    for name, rows in scopes.items():
        config = dict(rows[0]["config"], neighbors=[], listen_ranges=[])
        for row in rows:
            config["neighbors"] += [dict(n, cluster=row["cluster"]) for n in row["config"]["neighbors"]]
            config["listen_ranges"] += [dict(r, cluster=row["cluster"]) for r in row["config"]["listen_ranges"]]
        config["neighbors"].sort(key=lambda n: ipaddress.ip_address(n["address"]))
        devices[name]["config"] = config
    return devices


def _merged_sessions(plans):
    nodes, devices = {}, {}
    for cluster in sorted(plans):
        sessions = plans[cluster]["sessions"]
        node_names = set(sessions["nodes"])
        for name, rows in sessions["nodes"].items():
            nodes[name] = [dict(row, cluster=cluster) for row in rows]
        for name, rows in sessions["devices"].items():
            have = devices.setdefault(name, {})
            for row in rows:
                tag = cluster if row["peer_name"] in node_names else None
                have.setdefault((row["peer_address"], tag), dict(row, cluster=tag))
    device_rows = {name: sorted(rows.values(), key=lambda r: ipaddress.ip_address(r["peer_address"]))
                   for name, rows in sorted(devices.items())}
    pairs = set()
    for side in (nodes, device_rows):
        for name, rows in side.items():
            for row in rows:
                pairs.add(frozenset((name, row["peer_name"] or row["peer_address"])))
    return {"nodes": dict(sorted(nodes.items())), "devices": device_rows, "total": len(pairs)}


def to_dot(plans, devices, sessions):
    """The topology picture: devices once, each cluster's nodes in a coloured subgraph, every edge
    labelled with the cluster it belongs to (uplinks: none)."""
    lines = ["graph fabric {", "  node [shape=box, fontsize=10];"]
    for name, device in sorted(devices.items()):
        lines.append('  "%s" [label="%s\\n%s AS %d", style=filled, fillcolor=lightblue];'
                     % (name, name, device["platform"], device["config"]["asn"]))
    for index, cluster in enumerate(sorted(plans)):
        colour = COLOURS[index % len(COLOURS)]
        lines.append('  subgraph "cluster_%s" {' % cluster)
        lines.append('    label="cluster %s"; style=filled; color=%s;' % (cluster, colour))
        for name, node in sorted(plans[cluster]["calico"]["nodes"].items()):
            shape = "doubleoctagon" if node["bgp"]["routeReflectorClusterID"] else "ellipse"
            address = node["bgp"]["ipv4Address"].split("/")[0]
            lines.append('    "%s" [shape=%s, label="%s\\n%s"];' % (name, shape, name, address))
        lines.append("  }")
    edges = {}
    for side in ("nodes", "devices"):
        for name, rows in sessions[side].items():
            for row in rows:
                other = row["peer_name"] or row["peer_address"]
                edges.setdefault(tuple(sorted((name, other))), row.get("cluster"))
    for (a, b), cluster in sorted(edges.items()):
        label = ' [label="%s"]' % cluster if cluster else ""
        lines.append('  "%s" -- "%s"%s;' % (a, b, label))
    lines.append("}")
    return "\n".join(lines) + "\n"


def build_fabric_plan(fabric):
    """Validate the whole fabric, plan every cluster, merge.  Raises FabricError before anything is planned
    when any cluster, or any rule across clusters, is wrong."""
    fabric = copy.deepcopy(fabric)
    fabric_owner = _owner.check_owner(fabric.get("fabric_id"), "all")
    owners, rack_cluster = check_membership(fabric)
    check_addresses(fabric)
    check_subnets(fabric, rack_cluster)
    plans = plan_clusters(fabric, rack_cluster)
    check_ranges(fabric, plans)
    check_as_paths(fabric, plans)
    scopes = _scope_configs(plans, owners, fabric_owner)
    devices = _merged_devices(plans, scopes)
    sessions = _merged_sessions(plans)
    patterns = sorted({p["pattern"] for p in plans.values()})
    warnings = ["cluster %s: %s" % (c, w) for c in sorted(plans) for w in plans[c]["warnings"]]
    clusters = {}
    for name, plan in sorted(plans.items()):
        clusters[name] = dict(plan, owner=owners[name], hosts=sorted(fabric["clusters"][name]["nodes"]))
    module_devices = {name: dict(d["config"]) for name, d in devices.items()}
    for config in module_devices.values():
        config["neighbors"] = [{k: v for k, v in n.items() if k != "cluster"} for n in config["neighbors"]]
        config["listen_ranges"] = [{k: v for k, v in r.items() if k != "cluster"} for r in config["listen_ranges"]]
    return {"pattern": patterns[0] if len(patterns) == 1 else "+".join(patterns), "fabric_id": fabric_owner,
            "clusters": clusters, "devices": devices, "device_scopes": scopes, "sessions": sessions,
            "warnings": warnings, "dot": to_dot(plans, devices, sessions),
            "module_args": {"bgp_configuration": {}, "bgp_peers": [], "nodes": [], "devices": module_devices}}


def redact(plan, redact_one):
    """The merged plan without secrets: ``redact_one`` (fabric/module.py) on every cluster's plan, and the
    device passwords of the merged views replaced by ``password_from_inventory``."""
    plan = copy.deepcopy(plan)
    plan["clusters"] = {name: dict(redact_one(data), owner=data["owner"], hosts=data["hosts"])
                        for name, data in plan["clusters"].items()}
    configs = [d["config"] for d in plan["devices"].values()] + list(plan["module_args"]["devices"].values())
    configs += [row["config"] for rows in plan["device_scopes"].values() for row in rows]
    for config in configs:
        for neighbor in config["neighbors"]:
            if neighbor.get("password"):
                neighbor["password"] = None
                neighbor["password_from_inventory"] = True
    return plan


# ------------------------------------------------------------------------------------------------
# read-only playbooks (status): the nodes of a play, per cluster

_AUTH_VARS = (("kubeconfig", "k8s_kubeconfig"), ("context", "k8s_context"))


def by_credentials(hosts, hostvars, node_group="k8s_nodes", cluster_group=CLUSTER_GROUP):
    """The Kubernetes node hosts ``hosts`` grouped by the credentials that reach their cluster: ``[{cluster, auth,
    hosts, nodes}]`` (``nodes``: Calico node names). A host's credentials are its ``kubefabric_k8s_auth``, else its
    ``k8s_kubeconfig`` / ``k8s_context`` (the cluster's group vars); ``cluster`` is the group the hosts share besides
    ``all``, the node group and the cluster group (empty for a single-cluster inventory)."""
    found = {}
    for host in hosts:
        data = hostvars[host]
        auth = data.get("kubefabric_k8s_auth") or {key: data.get(var) for key, var in _AUTH_VARS}
        auth = {key: value for key, value in dict(auth).items() if value is not None}
        entry = found.setdefault(repr(sorted(auth.items())), {"auth": auth, "hosts": [], "nodes": [], "groups": None})
        entry["hosts"].append(host)
        entry["nodes"].append(data.get("calico_node_name") or host)
        names = set(data.get("group_names") or []) - {"all", node_group, cluster_group}
        entry["groups"] = names if entry["groups"] is None else entry["groups"] & names
    out = []
    for entry in found.values():
        groups = sorted(entry.pop("groups") or [])
        entry["cluster"] = groups[0] if len(groups) == 1 and len(found) > 1 else ""
        out.append(entry)
    return sorted(out, key=lambda e: (e["cluster"], e["hosts"][0]))
