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
* any other BGPPeer: the host at ``crc32(name) mod len(hosts)`` of the sorted inventory host list.

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


def slice_plan(workflow, slice_hosts, node_names):
    """The part of ``workflow['plan']`` that a slice holding ``slice_hosts`` applies and verifies.

    ``node_names``: Calico node name of each Kubernetes node host of the slice (``{host: name}``).
    Returns a plan of the same shape (``module_args``, ``devices``, ``sessions``) with only the owned
    objects, and ``slice`` = ``{"hosts", "nodes", "devices", "bgp_peers", "cluster_wide": False}``.
    """
    if not isinstance(workflow, dict) or not isinstance(workflow.get("plan"), dict):
        raise FabricError("kubefabric_workflow has no plan", host="localhost", field="kubefabric_workflow.plan",
                          fix="run the workflow's plan node (kubefabric.bgp.workflow_plan) before the sliced job; "
                              "its set_stats passes kubefabric_workflow on")
    plan = workflow["plan"]
    every_host = list(workflow.get("hosts") or [])
    mine = set(slice_hosts)
    unknown = sorted(mine - set(every_host) - {"localhost"})
    if unknown:
        raise FabricError("host %s is not in the inventory the workflow planned" % unknown[0], host=unknown[0],
                          field="kubefabric_workflow.hosts",
                          fix="the inventory changed after the plan node: relaunch the whole workflow")
    args = plan["module_args"]
    planned_nodes = {n["name"] for n in args["nodes"]}
    own_nodes = set()
    for host, name in sorted(node_names.items()):
        if host not in mine:
            continue
        if name not in planned_nodes:
            raise FabricError("node %s is not in the workflow's plan" % name, host=host, field="calico_node_name",
                              fix="the inventory changed after the plan node: relaunch the whole workflow")
        own_nodes.add(name)
    own_devices = {name for name in args["devices"] if name in mine}
    peers = []
    for peer in args["bgp_peers"]:
        holder = peer.get("password_device") or owner(peer["name"], every_host)
        if holder in mine:
            peers.append(peer)
    sliced = copy.deepcopy(plan)
    sliced["module_args"] = dict(args, nodes=[n for n in args["nodes"] if n["name"] in own_nodes], bgp_peers=peers,
                                 devices={k: v for k, v in args["devices"].items() if k in own_devices})
    sliced["devices"] = {k: v for k, v in plan.get("devices", {}).items() if k in own_devices}
    # What a slice verifies: the sessions of its devices (both ends - its device configurations and the BGPPeers
    # of whichever slice toward them). Not the nodes' rows: which sessions a node has depends on the default
    # BGPConfiguration (node-to-node mesh), which only the finish node applies, after every slice; the finish
    # node verifies every row of the plan.
    sessions = plan["sessions"]
    sliced["sessions"] = {"nodes": {}, "devices": {k: v for k, v in sessions["devices"].items() if k in own_devices}}
    sliced["sessions"]["total"] = sum(len(v) for v in sliced["sessions"]["devices"].values())
    sliced.pop("dot", None)
    sliced["slice"] = {"hosts": sorted(mine), "nodes": sorted(own_nodes), "devices": sorted(own_devices),
                       "bgp_peers": sorted(p["name"] for p in peers), "cluster_wide": False}
    return sliced
