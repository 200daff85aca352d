# -*- coding: utf-8 -*-
# Copyright: kubefabric.bgp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The peering patterns as data: one object per pattern, registered by name in ``PATTERNS``.

A pattern says what it plans for the cluster (whether the node-to-node mesh stays, the labels of
its nodes and route reflectors, the BGPPeers between nodes), for the devices (which nodes of a rack
a device peers with, whether the nodes are its route-reflector clients) and which checks apply
(racks required, route reflectors per rack, the AS of a rack against its device).  The planner
(``plan.py``) asks the pattern and never compares pattern names.
"""

from __future__ import annotations

from ..common.errors import FabricError


def _peer_spec(node_selector, peer_selector):
    return {"nodeSelector": node_selector, "peerSelector": peer_selector}


class Pattern:
    """The defaults every pattern shares; a pattern overrides what it does differently."""

    name = None
    mesh = False                 # BGPConfiguration nodeToNodeMeshEnabled
    route_reflectors = True      # route_reflector: true on a node means something
    rack_device = None           # what serves a rack ("leaf", "ToR"); set: every node has a rack with one
    default_rr_label = "route-reflector"

    # ---- the cluster side
    def rr_labels(self, fabric, node):
        """Labels that mark a route-reflector node."""
        return {fabric["rr_label"]: "true"}

    def node_labels(self, fabric, node):
        """Labels every node of the pattern carries (besides rack and the inventory's)."""
        return {}

    def default_cluster_id(self, node):
        """The cluster ID of a route reflector when the inventory sets none (None: it must set one)."""
        return None

    def cluster_peers(self, fabric, racks):
        """``[(name, spec)]``: the BGPPeers between nodes; ``racks`` are the racks that have nodes."""
        return []

    # ---- the device side
    def device_selector(self, fabric, rack):
        """The nodeSelector of the BGPPeer from the nodes of ``rack`` to the rack's device."""
        if fabric["tor_peering"] == "route_reflectors":
            return "rack == '%s' && %s == 'true'" % (rack, fabric["rr_label"])
        return "rack == '%s'" % rack

    def rr_clients(self, fabric):
        """Whether a device makes the nodes of an iBGP session its route-reflector clients."""
        return False

    # ---- the checks
    def rack_rrs_required(self, fabric):
        """Whether every rack needs route reflectors of its own."""
        return False

    def check_rack_device(self, fabric, device, rack, spec, warnings):
        """A device against the AS of a rack it serves (the rack has nodes)."""


class FullMesh(Pattern):
    name = "full_mesh"
    mesh = True
    route_reflectors = False

    def device_selector(self, fabric, rack):
        return "rack == '%s'" % rack


class RouteReflector(Pattern):
    name = "route_reflector"

    def rr_labels(self, fabric, node):
        return {fabric["rr_label"]: ""}

    def cluster_peers(self, fabric, racks):
        label = fabric["rr_label"]
        return [("peer-to-rrs", _peer_spec("!has(%s)" % label, "has(%s)" % label)),
                ("rrs-to-rrs", _peer_spec("has(%s)" % label, "has(%s)" % label))]


class RrPerLeaf(Pattern):
    name = "rr_per_leaf"
    rack_device = "leaf"
    default_rr_label = "rr-id"

    def rr_labels(self, fabric, node):
        return {"rr-id": node["rack"]}

    def node_labels(self, fabric, node):
        return {"rr-group": node["rack"]}

    def default_cluster_id(self, node):
        return node["address"]  # seed 001: each RR's cluster ID is its own address

    def cluster_peers(self, fabric, racks):
        peers = []
        for rack in sorted(fabric["racks"]):
            if rack not in racks:
                continue
            peers.append(("%s-clients-to-rrs" % rack,
                          _peer_spec("rr-group == '%s' && !has(rr-id)" % rack, "rr-id == '%s'" % rack)))
            peers.append(("%s-rr-mesh" % rack, _peer_spec("rr-id == '%s'" % rack, "rr-id == '%s'" % rack)))
        return peers

    def device_selector(self, fabric, rack):
        return "rr-id == '%s'" % rack

    def rack_rrs_required(self, fabric):
        return True

    def check_rack_device(self, fabric, device, rack, spec, warnings):
        if spec["asn"] == device["asn"]:
            raise FabricError("leaf AS %d is the AS of rack %s: the sessions would be iBGP with the leaf a "
                              "route-reflector client, not the eBGP of rr_per_leaf" % (device["asn"], rack),
                              host=device["name"], field="bgp_asn",
                              fix="give the leaf its own AS, or the rack another fabric_racks.%s.asn" % rack)


class Tor(Pattern):
    name = "tor"
    rack_device = "ToR"

    def cluster_peers(self, fabric, racks):
        if fabric["tor_peering"] != "route_reflectors":
            return []
        return [("%s-to-rrs" % rack, _peer_spec("rack == '%s'" % rack,
                                                "rack == '%s' && %s == 'true'" % (rack, fabric["rr_label"])))
                for rack in sorted(racks)]

    def rr_clients(self, fabric):
        return fabric["tor_peering"] == "all_nodes"

    def rack_rrs_required(self, fabric):
        return fabric["tor_peering"] == "route_reflectors"

    def check_rack_device(self, fabric, device, rack, spec, warnings):
        if spec["asn"] == device["asn"] and fabric["tor_peering"] == "all_nodes":
            warnings.append("%s shares AS %d with rack %s: its sessions with the rack's nodes are iBGP and the "
                            "ToR is their route reflector" % (device["name"], device["asn"], rack))


PATTERNS = {p.name: p for p in (FullMesh(), RouteReflector(), RrPerLeaf(), Tor())}
NAMES = tuple(PATTERNS)


def get(name):
    """The pattern registered as ``name``; a FabricError naming the choices otherwise."""
    if name not in PATTERNS:
        raise FabricError("unknown pattern %r" % (name,), field="fabric_pattern",
                          fix="set fabric_pattern to one of %s" % ", ".join(NAMES))
    return PATTERNS[name]
