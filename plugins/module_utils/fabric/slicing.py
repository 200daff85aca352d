# -*- coding: utf-8 -*-
# Copyright: kubefabric.bgp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""AWX job slicing: which part of a fabric plan one slice of a sliced job applies.

A sliced job template runs N jobs side by side, each with a part of the inventory (AWX: the enabled
hosts sorted by name, slice k of N gets every N-th host from the k-th on). A slice sees only its own
hosts and their variables, so it cannot plan the fabric. The workflow's first node (unsliced) plans
once and passes the plan, the list of every inventory host and the fabric lock's holder on
(``set_stats`` -> ``kubefabric_workflow``); every slice then takes from that plan exactly the objects
it owns, by a rule that every slice computes alike and that gives every object exactly one owner:

* a Calico node (labels, AS, cluster ID): the inventory host of that node;
* a device's configuration and its session rows: the device host;
* a BGPPeer with a password: the device whose ``bgp_password`` it carries (only that slice has it);
* any other BGPPeer: the host at ``crc32(name) mod len(hosts)`` of the sorted inventory host list (with several
  clusters on one fabric, of the sorted hosts of the peer's cluster: that slice has the cluster's credentials).

Cluster-wide objects are the workflow's last node's (unsliced): the default BGPConfiguration (which may
turn the node-to-node mesh off, so it comes after every node and peer, as in an unsliced run) and the
removal of managed BGPPeers that the plan no longer has. An unsliced job owns everything.
"""

from __future__ import annotations

import copy
import zlib

from ..common.errors import FabricError


def owner(name, hosts):
    """The inventory host (of the sorted list ``hosts``) that owns the object called ``name``."""
    ordered = sorted(hosts)
    if not ordered:
        raise FabricError("the workflow passed no inventory hosts", host="localhost", field="kubefabric_workflow.hosts",
                          fix="run the workflow's plan node (kubefabric.bgp.workflow_plan) before the sliced job")
    return ordered[zlib.crc32(name.encode("utf-8")) % len(ordered)]


def awx_slices(hosts, count):
    """AWX's slicing rule: hosts sorted by name, slice k (1-based) gets ``sorted[k-1::count]``."""
    ordered = sorted(hosts)
    return [ordered[index::count] for index in range(count)]


def _restrict(plan, mine, node_names, peer_hosts):
    """``plan`` (a single-cluster plan, or one cluster's plan) with only the nodes, BGPPeers and devices the slice
    holding the hosts ``mine`` owns; peers without a password are spread over ``peer_hosts``."""
    args = plan["module_args"]
    planned = {n["name"] for n in args["nodes"]}
    own_nodes = set()
    for host, name in sorted(node_names.items()):
        if host in mine and name in planned:
            own_nodes.add(name)
    peers = [peer for peer in args["bgp_peers"]
             if (peer.get("password_device") or owner(peer["name"], peer_hosts)) in mine]
    own_devices = {name for name in args["devices"] if name in mine}
    out = dict(plan)
    out["module_args"] = dict(args, nodes=[n for n in args["nodes"] if n["name"] in own_nodes], bgp_peers=peers,
                              devices={k: v for k, v in args["devices"].items() if k in own_devices})
    out["devices"] = {k: v for k, v in (plan.get("devices") or {}).items() if k in own_devices}
    # What a slice verifies: the sessions of its devices (both ends - its device configurations and the BGPPeers
    # of whichever slice toward them). Not the nodes' rows: which sessions a node has depends on the default
    # BGPConfiguration (node-to-node mesh), which only the finish node applies, after every slice; the finish
    # node verifies every row of the plan.
    out["sessions"] = {"nodes": {}, "devices": {k: v for k, v in plan["sessions"]["devices"].items()
                                                if k in own_devices}}
    out["sessions"]["total"] = sum(len(v) for v in out["sessions"]["devices"].values())
    out.pop("dot", None)
    return out, own_nodes, own_devices, peers


def _check(workflow, mine, node_names):
    if not isinstance(workflow, dict) or not isinstance(workflow.get("plan"), dict):
        raise FabricError("kubefabric_workflow has no plan", host="localhost", field="kubefabric_workflow.plan",
                          fix="run the workflow's plan node (kubefabric.bgp.workflow_plan) before the sliced job; "
                              "its set_stats passes kubefabric_workflow on")
    unknown = sorted(mine - set(workflow.get("hosts") or []) - {"localhost"})
    if unknown:
        raise FabricError("host %s is not in the inventory the workflow planned" % unknown[0], host=unknown[0],
                          field="kubefabric_workflow.hosts",
                          fix="the inventory changed after the plan node: relaunch the whole workflow")
    plans = list((workflow["plan"].get("clusters") or {}).values()) or [workflow["plan"]]
    planned = {n["name"] for plan in plans for n in plan["module_args"]["nodes"]}
    for host, name in sorted(node_names.items()):
        if host in mine and name not in planned:
            raise FabricError("node %s is not in the workflow's plan" % name, host=host, field="calico_node_name",
                              fix="the inventory changed after the plan node: relaunch the whole workflow")


def slice_plan(workflow, slice_hosts, node_names=None):
    """The part of ``workflow['plan']`` that a slice holding ``slice_hosts`` applies and verifies.

    ``node_names``: Calico node name of each Kubernetes node host (``{host: name}``; default the workflow's
    ``node_names``). Returns a plan of the same shape (``module_args``, ``devices``, ``sessions``; with several
    clusters also ``clusters`` - only those the slice has a host of, each restricted and with ``hosts`` = the
    slice's hosts of that cluster - and ``device_scopes``) and ``slice`` = ``{"hosts", "nodes", "devices",
    "bgp_peers"}``. With several clusters a BGPPeer without a password is spread over its own cluster's hosts,
    so that the owning slice has that cluster's credentials.
    """
    mine = set(slice_hosts)
    node_names = dict(node_names if node_names is not None else (workflow or {}).get("node_names") or {})
    _check(workflow, mine, node_names)
    plan = workflow["plan"]
    every_host = list(workflow.get("hosts") or [])
    if not plan.get("clusters"):
        sliced, nodes, devices, peers = _restrict(plan, mine, node_names, every_host)
        sliced["slice"] = {"hosts": sorted(mine), "nodes": sorted(nodes), "devices": sorted(devices),
                           "bgp_peers": sorted(p["name"] for p in peers)}
        return copy.deepcopy(sliced)
    sliced, _nodes, devices, _peers = _restrict(plan, mine, node_names, every_host)  # the devices, merged
    nodes, peers, clusters = set(), [], {}
    for name, cluster in sorted(plan["clusters"].items()):
        hosts = sorted(h for h in cluster.get("hosts") or [] if h in mine)
        if not hosts:
            continue  # nothing of this cluster is this slice's (its peers go to its own hosts)
        part, own_nodes, _devices, own_peers = _restrict(cluster, mine, node_names, cluster.get("hosts") or [])
        part["hosts"] = hosts
        clusters[name] = part
        nodes |= own_nodes
        peers += own_peers
    if clusters:
        # the verify role verifies per cluster: this slice's device rows go with its first cluster (a device is
        # read directly; only the nodes' side needs a cluster's credentials, and the slice checks no node rows)
        for part in clusters.values():
            part["sessions"] = {"nodes": {}, "devices": {}, "total": 0}
        first = clusters[sorted(clusters)[0]]
        first["sessions"] = dict(sliced["sessions"])
        sliced["clusters"] = clusters
    else:
        sliced.pop("clusters", None)  # a slice of devices only: verified with the fabric's own credentials
    sliced["device_scopes"] = {k: v for k, v in (plan.get("device_scopes") or {}).items() if k in devices}
    sliced["slice"] = {"hosts": sorted(mine), "nodes": sorted(nodes), "devices": sorted(devices),
                       "bgp_peers": sorted(p["name"] for p in peers)}
    return copy.deepcopy(sliced)


def finish_plan(workflow):
    """The plan of the workflow's last node: the whole plan without the Calico nodes (the slices' objects), so that
    the calico role applies only what is cluster-wide (BGPConfiguration, removal of stale BGPPeers)."""
    if not isinstance(workflow, dict) or not isinstance(workflow.get("plan"), dict):
        raise FabricError("kubefabric_workflow has no plan", host="localhost", field="kubefabric_workflow.plan",
                          fix="run kubefabric.bgp.workflow_plan first in the same workflow (its set_stats passes "
                              "kubefabric_workflow on)")
    plan = copy.deepcopy(workflow["plan"])
    plan["module_args"]["nodes"] = []
    for cluster in (plan.get("clusters") or {}).values():
        cluster["module_args"]["nodes"] = []
    return plan
