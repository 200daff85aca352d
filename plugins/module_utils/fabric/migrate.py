# -*- coding: utf-8 -*-
# Copyright: kubefabric.bgp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Helpers of the migration roles (mesh -> route reflectors / ToR and back, AS changes).

The roles plan the target with ``fabric_plan`` and change the cluster in the order of seed 000; these
functions answer the questions between the steps: which sessions of the target are not yet
Established (observed through CalicoNodeStatus), which nodes become route reflectors, and what to
change to undo a route reflector.
"""

from __future__ import annotations

from ansible_collections.kubefabric.bgp.plugins.module_utils.common.errors import FabricError
from ansible_collections.kubefabric.bgp.plugins.module_utils.fabric import schema as _schema
from ansible_collections.kubefabric.bgp.plugins.module_utils.fabric import verify as _verify


def _observed_rows(status_nodes, node):
    entry = (status_nodes or {}).get(node) or {}
    return list(entry.get("ipv4") or []) + list(entry.get("ipv6") or [])


def missing_sessions(expected_nodes, status_nodes, peer_types=None, exclude_nodes=None):
    """Rows of the target (``plan.sessions.nodes``) that are not Established on their node.

    ``status_nodes`` is ``calico_node_status_info``'s ``nodes``.  ``peer_types`` limits the check to
    rows of those types (e.g. ``["node specific"]``: the new RR sessions); ``exclude_nodes`` skips the
    sessions of and to those nodes (route reflectors that are not in the mesh yet).  Each missing row is
    ``{node, peer_address, peer_name, peer_type, observed}`` where ``observed`` is the state/info seen
    (``absent`` when the node has no such session yet, ``no status`` when the node reported nothing).
    """
    if not isinstance(expected_nodes, dict):
        raise FabricError("expected sessions must be plan.sessions.nodes (a dict of node -> rows)",
                          field="expected", fix="pass plan.sessions.nodes of kubefabric.bgp.fabric_plan")
    exclude = set(exclude_nodes or [])
    missing = []
    for node in sorted(expected_nodes):
        if node in exclude:
            continue
        observed = {}
        for row in _observed_rows(status_nodes, node):
            observed[row.get("peer_address")] = row
        have_status = bool((status_nodes or {}).get(node))
        for row in expected_nodes[node] or []:
            if peer_types and row.get("peer_type") not in peer_types:
                continue
            if row.get("peer_name") in exclude:
                continue
            seen = observed.get(row.get("peer_address"))
            if seen and seen.get("info") == "Established" and seen.get("peer_type") == row.get("peer_type"):
                continue
            if seen:
                text = "%s %s (%s)" % (seen.get("peer_type"), seen.get("state"), seen.get("info"))
            else:
                text = "absent" if have_status else "no status"
            missing.append({"node": node, "peer_address": row.get("peer_address"),
                            "peer_name": row.get("peer_name"), "peer_type": row.get("peer_type"),
                            "observed": text})
    return missing


def missing_routes(expected_nodes, status_nodes, source_types=("BGPPeer",), exclude_nodes=None):
    """Blocks of other nodes that a node of the target has not learned through the new sessions.

    Every node's own blocks are the static (blackhole) routes CalicoNodeStatus reports for it that no
    other node reports too (a service CIDR is static on every node; an IPAM block on one).  A node of
    ``expected_nodes`` has learned another node's block when one of its routes to it, selected or not,
    comes from a source of ``source_types`` (``BGPPeer``: the route reflectors or ToR peers, while the
    mesh still carries the selected route; ``NodeMesh`` for the way back).  ``exclude_nodes`` are
    skipped as learners and as origins.  Rows ``{node, prefix, origin, observed}``; a node whose
    status has no routes (CalicoNodeStatus without class ``Routes``) gives one row with prefix ``-``.
    """
    if not isinstance(expected_nodes, dict):
        raise FabricError("expected sessions must be plan.sessions.nodes (a dict of node -> rows)",
                          field="expected", fix="pass plan.sessions.nodes of kubefabric.bgp.fabric_plan")
    exclude = set(exclude_nodes or [])
    status_nodes = status_nodes or {}
    names = [n for n in sorted(expected_nodes) if n not in exclude]
    blocks = _verify.node_blocks({n: status_nodes.get(n) for n in expected_nodes if n in status_nodes})
    wanted = [(origin, prefix) for origin, prefixes in sorted(blocks.items()) if origin not in exclude
              for prefix in prefixes]
    sources = set(source_types or ("BGPPeer",))
    missing = []
    for node in names:
        routes = _verify._node_routes(status_nodes.get(node))  # pylint: disable=protected-access
        if routes is None:
            missing.append({"node": node, "prefix": "-", "origin": "-",
                            "observed": "no routes reported" if status_nodes.get(node) else "no status"})
            continue
        learned = {}
        for route in routes:
            source = route.get("learnedFrom") or {}
            learned.setdefault(route.get("destination"), set()).add(source.get("sourceType"))
        for origin, prefix in wanted:
            if origin == node:
                continue
            seen = learned.get(prefix, set())
            if seen & sources:
                continue
            missing.append({"node": node, "prefix": prefix, "origin": origin,
                            "observed": ("only from " + ", ".join(sorted(x for x in seen if x))) if seen else "absent"})
    return missing


def missing_table(rows):
    """The missing sessions (and missing routes, rows with ``prefix``) as text tables (failure messages)."""
    rows = list(rows or [])
    sessions = [r for r in rows if "prefix" not in r]
    routes = [r for r in rows if "prefix" in r]
    out = []
    if sessions or not routes:
        out.append(_table(("NODE", "PEER ADDRESS", "PEER", "PEER TYPE", "OBSERVED"),
                          [(r["node"], r["peer_address"] or "", r.get("peer_name") or "", r["peer_type"] or "",
                            r["observed"]) for r in sessions]))
    if routes:
        out.append(_table(("NODE", "BLOCK", "OF NODE", "OBSERVED"),
                          [(r["node"], r["prefix"], r["origin"], r["observed"]) for r in routes]))
    return "\n".join(out)


def _table(header, body):
    widths = [max(len(str(x)) for x in col) for col in zip(header, *body)]
    line = "+" + "+".join("-" * (w + 2) for w in widths) + "+"
    out = [line, "| " + " | ".join(h.ljust(w) for h, w in zip(header, widths)) + " |", line]
    out += ["| " + " | ".join(str(c).ljust(w) for c, w in zip(row, widths)) + " |" for row in body]
    out.append(line)
    return "\n".join(out)


def route_reflectors(module_args):
    """Names of the nodes that the plan makes route reflectors (a cluster ID set)."""
    return sorted(n["name"] for n in (module_args or {}).get("nodes", []) if n.get("route_reflector_cluster_id"))


def unset_route_reflectors(module_args, label=None):
    """``calico_node`` items that take the cluster ID and the RR labels away from the plan's RRs.

    For the reverse migration (RR -> mesh): the target plan (full mesh) has no cluster IDs; the labels
    the source plan gave the RRs (and ``label``) must go as well, or a BGPPeer selecting them would
    still match.
    """
    items = []
    for node in (module_args or {}).get("nodes", []):
        if not node.get("route_reflector_cluster_id"):
            continue
        labels = dict.fromkeys(node.get("labels") or {})
        if label:
            labels[label] = None
        items.append({"name": node["name"], "route_reflector_cluster_id": "", "labels": labels})
    return items


def as_steps(targets, hostvars, nodes=None, cluster=None):
    """The order of an AS change, rack by rack, so that no pair of pods loses its path for long.

    ``targets`` maps the nodes that change to their new AS; ``hostvars`` gives each node's ``rack`` and
    ``route_reflector``; ``nodes`` are all the nodes (to know every route reflector of a rack): with several
    clusters on one fabric the nodes of the cluster that changes (``cluster``, named in errors).

    Clients reach each other only through route reflectors, and a route that passes from one AS through
    another back into the first is dropped (AS-path loop).  So, per rack: while one route reflector of
    the old AS remains, the changing route reflectors go one at a time and then the clients (the old
    clients keep an old RR, the new ones have a new RR); the last old route reflector goes after the
    clients.  A rack with a single route reflector that changes changes in one step with its clients
    (every node's sessions restart once, ~2 s, instead of cutting the clients apart for the whole
    change).
    """
    def spec(node):
        return hostvars[node] if node in hostvars else {}

    if nodes is not None:
        names = set(nodes) | {spec(n).get("calico_node_name") for n in nodes if spec(n).get("calico_node_name")}
        check_as_targets(targets, sorted(names), cluster)
    else:
        check_as_targets(targets)
    racks = {}
    for node in sorted(set(nodes or []) | set(targets or {})):
        entry = racks.setdefault(str(spec(node).get("rack") or ""), {"rrs": [], "moving_rrs": [], "clients": []})
        if _schema.to_bool(spec(node).get("route_reflector"), node, "route_reflector"):
            entry["rrs"].append(node)
            if node in (targets or {}):
                entry["moving_rrs"].append(node)
        elif node in (targets or {}):
            entry["clients"].append(node)
    steps = []
    for rack in sorted(racks):
        entry = racks[rack]
        moving, clients = entry["moving_rrs"], entry["clients"]
        if moving and len(moving) == len(entry["rrs"]):
            if len(moving) == 1:
                steps.append(moving + clients)
                continue
            steps += [[rr] for rr in moving[:-1]]
            if clients:
                steps.append(clients)
            steps.append([moving[-1]])
        else:
            steps += [[rr] for rr in moving]
            if clients:
                steps.append(clients)
    return steps


def node_asn_item(node):
    """A planned ``calico_node`` item reduced to its AS; an inherited AS removes the node's own value."""
    return {"name": node["name"], "as_number": str(node.get("as_number") or "")}


def rack_asn(spec, old, new):
    """A ``fabric_racks`` entry whose AS was the old default gets the new one."""
    spec = dict(spec or {})
    if spec.get("asn") is None or str(spec.get("asn")) == str(old):
        spec["asn"] = new
    return spec


def check_as_targets(targets, nodes=None, cluster=None):
    """``kubefabric_as_nodes``: every node of the node group (of ``cluster``, with several clusters on one fabric),
    every AS valid; raises FabricError."""
    if not isinstance(targets, dict):
        raise FabricError("kubefabric_as_nodes must map node names to AS numbers", host="all",
                          field="kubefabric_as_nodes", fix="write {\"node\": AS, ...}")
    known = set(nodes or [])
    for node, asn in sorted((targets or {}).items()):
        if nodes is not None and node not in known:
            guess = _schema.nearest(node, known)
            if cluster:
                raise FabricError("%r is not a node of cluster %s" % (node, cluster), host=node,
                                  field="kubefabric_as_nodes",
                                  fix=("did you mean %s? " % guess if guess else "") +
                                  "name nodes of cluster %s (kubefabric_cluster) only; change another cluster's "
                                  "nodes in a run of that cluster" % cluster)
            raise FabricError("%r is not a node of the node group" % node, host=node, field="kubefabric_as_nodes",
                              fix=("did you mean %s? " % guess if guess else "") +
                              "name hosts of kubefabric_node_group (default k8s_nodes)")
        _schema.to_asn(asn, node, "kubefabric_as_nodes")


def as_overrides(targets, hostvars, nodes):
    """``fabric_plan``'s ``node_overrides`` for an AS change: every node of ``targets`` (inventory or Calico node
    name) -> ``{"bgp_asn": AS}`` by its inventory name, so that the fabric the change will leave is planned and
    checked (AS-path loops with other clusters and devices included) before the first write."""
    by_name = {}
    for host in nodes or []:
        spec = hostvars[host] if host in hostvars else {}
        by_name[host] = host
        if spec.get("calico_node_name"):
            by_name.setdefault(str(spec["calico_node_name"]), host)
    return {by_name.get(node, node): {"bgp_asn": asn} for node, asn in sorted((targets or {}).items())}


def global_as_targets(module_args, new):
    """The nodes a new default AS changes (those without an AS of their own in the plan) -> ``new``."""
    _schema.to_asn(new, "all", "kubefabric_as_global")
    return {node["name"]: str(new) for node in (module_args or {}).get("nodes", []) if not node.get("as_number")}


# ------------------------------------------------------------------------------------------------
# several clusters on one fabric, sliced jobs (docs/multi_cluster.md, docs/migrations.md)

MIGRATIONS_FIX_SLICED = ("run the migration as one unsliced job (AWX: job_slice_count 1, outside the sliced "
                         "workflow of docs/awx.md); its steps wait for the whole cluster between writes")


def refuse_sliced(workflow_defined, migration):
    """A migration is ordered, cluster-wide steps with waits in between: a slice of a sliced job (it got the
    workflow's ``kubefabric_workflow``) would run them on a part of the nodes, racing the other slices."""
    if workflow_defined:
        raise FabricError("%s is a migration and this run is a slice of a sliced job; nothing was changed" % migration,
                          host="localhost", field="kubefabric_workflow", fix=MIGRATIONS_FIX_SLICED)


def cluster_plan(plan, cluster=None):
    """The part of ``plan`` (``fabric_plan``'s) that a migration of one cluster acts on.

    A single-cluster plan is returned as it is (``cluster`` must then be empty).  A plan of several
    clusters needs ``cluster`` (``kubefabric_cluster``): the result keeps the shape of a fabric plan with
    only that cluster in ``clusters``, the devices' ``device_scopes`` limited to that cluster's owner scope
    (a device without a neighbour of that cluster keeps an empty list: the devices role changes nothing on
    it), ``sessions`` to the rows of that cluster, and ``migration`` =
    ``{cluster, owner, devices}`` (``devices``: the devices with a neighbour of that cluster).
    """
    clusters = (plan or {}).get("clusters")
    if not clusters:
        if cluster:
            raise FabricError("kubefabric_cluster is %s but the inventory describes one cluster" % cluster,
                              host="localhost", field="kubefabric_cluster",
                              fix="drop kubefabric_cluster (it selects a cluster of a kubefabric_clusters inventory)")
        return plan
    names = ", ".join(sorted(clusters))
    if not cluster:
        raise FabricError("the inventory has several clusters (%s) and a migration changes one at a time" % names,
                          host="localhost", field="kubefabric_cluster",
                          fix="choose the cluster to migrate: -e kubefabric_cluster=<one of %s>; migrate the "
                              "others in turn, then set fabric_pattern" % names)
    if cluster not in clusters:
        raise FabricError("kubefabric_cluster %s is not a cluster of this inventory" % cluster, host="localhost",
                          field="kubefabric_cluster", fix="use one of %s (children of kubefabric_clusters)" % names)
    chosen = clusters[cluster]
    owner = chosen["owner"]
    scopes = {device: [row for row in rows if row.get("owner") == owner]
              for device, rows in (plan.get("device_scopes") or {}).items()}
    out = dict(plan, clusters={cluster: chosen}, device_scopes=scopes)
    out["sessions"] = dict(chosen["sessions"])
    out["migration"] = {"cluster": cluster, "owner": owner,
                        "devices": sorted(device for device, rows in scopes.items() if rows)}
    out.pop("dot", None)
    return out


def target_of(plan):
    """The single-cluster plan a migration's steps read (``module_args``, ``sessions``): the plan itself, or the
    one cluster that :func:`cluster_plan` kept."""
    clusters = (plan or {}).get("clusters") or {}
    if len(clusters) > 1:
        raise FabricError("the plan still has several clusters (%s)" % ", ".join(sorted(clusters)), host="localhost",
                          field="kubefabric_cluster", fix="restrict it with kubefabric.bgp.migration_cluster_plan first")
    return next(iter(clusters.values())) if clusters else plan


def cluster_auth(plan, hostvars):
    """``{cluster: Kubernetes connection}`` of the clusters in ``plan``: the cluster's ``kubefabric_k8s_auth``, else
    its ``k8s_kubeconfig`` / ``k8s_context`` (group variables, read from the cluster's first host)."""
    out = {}
    for name, cluster in sorted(((plan or {}).get("clusters") or {}).items()):
        hosts = cluster.get("hosts") or []
        if not hosts:
            raise FabricError("cluster %s has no hosts in the plan" % name, host="localhost", field="kubefabric_clusters",
                              fix="add the cluster's nodes to its group")
        data = hostvars[hosts[0]]
        auth = data.get("kubefabric_k8s_auth")
        if not auth:
            auth = {key: data.get(var) for key, var in (("kubeconfig", "k8s_kubeconfig"), ("context", "k8s_context"))}
        out[name] = {key: value for key, value in dict(auth).items() if value is not None}
    return out


def as_scope(plan, nodes, fabric_id=None):
    """What one AS change (``change_as``) acts on, from a plan of the whole fabric (a single-cluster plan, or one
    that :func:`cluster_plan` restricted to the cluster that changes): ``{cluster, owner, nodes, devices}``.

    ``nodes`` are the node group's hosts; with several clusters only the cluster's own hosts are kept.
    ``devices`` maps each device with neighbours to change to its configurations, one per owner scope
    (``[{owner, config}]``), each applied with ``state: overridden`` limited to that owner: with several clusters
    the cluster's scope ``<fabric_id>.<cluster>`` only (devices without a neighbour of that cluster are left out),
    else the fabric's ``fabric_id`` (``default`` when unset, as the devices role).
    """
    plan = plan or {}
    migration = plan.get("migration")
    if plan.get("clusters") and not migration:
        raise FabricError("the plan has several clusters (%s) and is not restricted to one"
                          % ", ".join(sorted(plan["clusters"])), host="localhost", field="kubefabric_cluster",
                          fix="restrict it with kubefabric.bgp.migration_cluster_plan first")
    if migration:
        cluster, owner = migration["cluster"], migration["owner"]
        nodes = sorted(plan["clusters"][cluster].get("hosts") or [])
        devices = {device: [{"owner": row["owner"], "config": row["config"]} for row in rows]
                   for device, rows in sorted((plan.get("device_scopes") or {}).items()) if rows}
    else:
        cluster, owner = "", str(fabric_id) if fabric_id not in (None, "") else "default"
        devices = {device: [{"owner": owner, "config": config}]
                   for device, config in sorted(((plan.get("module_args") or {}).get("devices") or {}).items())}
    return {"cluster": cluster, "owner": owner, "nodes": list(nodes or []), "devices": devices}
