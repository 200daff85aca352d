# -*- coding: utf-8 -*-
# Copyright: kubefabric.bgp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""``calicoctl node status``: its rows and its table text.

calicoctl asks the node's BIRD (``show protocols``), keeps the protocols named
``Mesh_|Global_|Node_<ip>``, and prints per address family a table with the columns PEER ADDRESS,
PEER TYPE, STATE, SINCE and INFO. Two details are reproduced here:

* the address column is the protocol name with ``_`` turned back into ``.`` (IPv4) or ``:``
  (IPv6), so a peer with a port shows as ``10.192.0.1.port.150``;
* the rows come in BIRD's protocol-list order. BIRD 1.6 appends a protocol to that list when it is
  first configured (and again when a changed configuration restarts it); a freshly started BIRD
  lists them in configuration order, which calico-node sorts by name. :func:`calicoctl_order`
  predicts that order from the order in which the resources were applied (``order="apply"``), or
  gives configuration order (``order="config"``).
"""

from __future__ import annotations

from .peering import Model, compute_peerings

ROW_KEYS = ("peer_address", "peer_type", "local_as", "peer_as", "rr_client")
HEADERS = ("PEER ADDRESS", "PEER TYPE", "STATE", "SINCE", "INFO")
ORDERS = ("apply", "config")


def calicoctl_address(name, ip_version):
    """The PEER ADDRESS column for a protocol name (calicoctl's ``_`` -> ``.``/``:`` quirk)."""
    rest = name.split("_", 1)[1]
    return rest.replace("_", "." if ip_version == 4 else ":")


def _signature(peer):
    """What BIRD compares on reconfiguration: a change restarts the session."""
    return (peer.name, peer.peer_ip, peer.port, peer.peer_as, peer.local_as, peer.node_as, peer.local_as_override,
            peer.source_address, peer.ttl_security, peer.passive, peer.rr_client, peer.rr_cluster_id,
            peer.graceful_restart, peer.keepalive, peer.password, peer.next_hop, peer.allow_local_as,
            tuple(peer.filters))


def calicoctl_order(model, result, order="apply", calico_version="head"):
    """``{node: [Peer]}`` in the order ``calicoctl node status`` lists them (per family).

    ``apply``: resources are taken as applied one after the other (list order). A session appears
    when the last resource it depends on is applied - its own node, the remote node, the BGPPeer -
    or when a BGPConfiguration that changes it (its name, AS numbers, ...) is applied; sessions
    that appear together are in name order. ``config``: name order.
    """
    if order == "config":
        return {node: sorted(peers, key=lambda p: (p.ip_version, p.name)) for node, peers in result.items()}
    restarts = {}
    for cfg in model.configs.values():
        if all(peer.depends and max(peer.depends) >= cfg.index for peers in result.values() for peer in peers):
            continue  # applied before everything each session depends on: it moves no session (no 2nd engine run)
        others = [obj for i, obj in enumerate(model.resources) if i != cfg.index]
        # The mesh stays as it is: a session of the final result that exists at all is not one the
        # configuration switched the mesh on for, and leaving it on would cost N x N for nothing.
        reduced = Model(others, secrets=model.extra_secrets, namespace=model.namespace,
                        mesh_enabled=model.mesh_enabled)
        without = compute_peerings(None, model=reduced, calico_version=calico_version)
        for node, peers in result.items():
            before = {p.name: _signature(p) for p in without.get(node, ())}
            for peer in peers:
                if before.get(peer.name) != _signature(peer):
                    key = (node, peer.ip_version, peer.name)
                    restarts[key] = max(restarts.get(key, -1), cfg.index)
    ordered = {}
    for node, peers in result.items():
        def key(peer, node=node):
            dep = max(peer.depends) if peer.depends else -1
            dep = max(dep, restarts.get((node, peer.ip_version, peer.name), -1))
            return (peer.ip_version, dep, peer.name)
        ordered[node] = sorted(peers, key=key)
    return ordered


def peer_row(peer, state=None):
    """One status row; ``state`` optionally carries ``{state, since, info}`` observed on the node."""
    row = {
        "peer_address": calicoctl_address(peer.name, peer.ip_version),
        "peer_type": peer.peer_type_label,
        "local_as": peer.local_as,
        "peer_as": peer.peer_as,
        "rr_client": peer.rr_client,
        "ip_version": peer.ip_version,
        "neighbor": peer.peer_ip,
        "port": peer.port,
        "protocol": peer.name,
        "ibgp": peer.ibgp,
        "passive": peer.passive,
    }
    if state:
        for key in ("state", "since", "info"):
            if key in state:
                row[key] = state[key]
    return row


def node_rows(peers, states=None):
    """Rows for one node's peers (already in calicoctl order); ``states`` maps protocol name -> state."""
    states = states or {}
    return [peer_row(peer, states.get(peer.name)) for peer in peers]


def _cell(row, key):
    value = row.get(key)
    return "" if value is None else str(value)


def _table(rows):
    cells = [[_cell(r, "peer_address"), _cell(r, "peer_type"), _cell(r, "state"), _cell(r, "since"),
              _cell(r, "info")] for r in rows]
    widths = [max([len(h)] + [len(c[i]) for c in cells]) for i, h in enumerate(HEADERS)]
    border = "+" + "+".join("-" * (w + 2) for w in widths) + "+"

    def centred(text, width):
        gap = width - len(text)
        return " " * (gap // 2) + text + " " * (gap - gap // 2)

    lines = [border, "| " + " | ".join(centred(h, w) for h, w in zip(HEADERS, widths)) + " |", border]
    for row in cells:
        lines.append("| " + " | ".join(c.ljust(w) for c, w in zip(row, widths)) + " |")
    lines.append(border)
    return lines


def render_table(rows, running=True):
    """The text ``calicoctl node status`` prints for these rows (both families)."""
    if not running:
        return "Calico process is not running.\n"
    lines = ["Calico process is running.", ""]
    for version in (4, 6):
        family = [r for r in rows if r.get("ip_version", 4) == version]
        lines.append("IPv%d BGP status" % version)
        if family:
            lines.extend(_table(family))
        else:
            lines.append("No IPv%d peers found." % version)
        lines.append("")
    return "\n".join(lines)


def parse_table(text):
    """Rows ``{peer_address, peer_type, state, since, info, ip_version}`` from calicoctl's output.

    Works for both table libraries calicoctl has used (tablewriter, go-pretty): cells are split on
    ``|``; header rows are recognised by their upper-case PEER ADDRESS cell.
    """
    rows = []
    version = 4
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("IPv4 BGP status"):
            version = 4
        elif line.startswith("IPv6 BGP status"):
            version = 6
        elif line.startswith("|"):
            cells = [c.strip() for c in line.strip("|").split("|")]
            if len(cells) < 5 or cells[0].upper() == "PEER ADDRESS":
                continue
            rows.append({"peer_address": cells[0], "peer_type": cells[1], "state": cells[2], "since": cells[3],
                         "info": cells[4], "ip_version": version})
    return rows


def peering_info(resources, node=None, calico_version="head", order="apply", secrets=None, namespace=None):
    """What ``calico_peering_info`` returns: per-node rows, distinct sessions, calicoctl tables."""
    from .peering import DEFAULT_NAMESPACE, count_sessions  # pylint: disable=import-outside-toplevel

    model = Model(resources, secrets=secrets, namespace=namespace or DEFAULT_NAMESPACE)
    result = compute_peerings(None, model=model, calico_version=calico_version)
    total = count_sessions(result, model)
    ordered = calicoctl_order(model, result, order=order, calico_version=calico_version)
    names = [node] if node is not None else list(ordered)
    if node is not None and node not in ordered:
        compute_peerings(None, node=node, model=model)  # raises the FabricError naming the node
    nodes = {name: node_rows(ordered[name]) for name in names}
    return {
        "nodes": nodes,
        "sessions_total": total,
        "table": {name: render_table(rows) for name, rows in nodes.items()},
        "sessions": {name: [p.as_dict() for p in ordered[name]] for name in names},
    }


# -- the CalicoNodeStatus objects fabric_verify reads ---------------------------------------------------
# One object per node, created once and kept: later runs (and every round of a run) only LIST them.
# They carry the collection's ownership label and a component label, so that one request removes them
# all: kubectl delete caliconodestatuses -l app.kubernetes.io/managed-by=kubefabric,app.kubernetes.io/component=fabric-verify
VERIFY_NAME_PREFIX = "kubefabric-verify-"
COMPONENT_LABEL = "app.kubernetes.io/component"
VERIFY_COMPONENT = "fabric-verify"
VERIFY_SELECTOR = "app.kubernetes.io/managed-by=kubefabric,%s=%s" % (COMPONENT_LABEL, VERIFY_COMPONENT)
STATUS_PERIOD = 1  # updatePeriodSeconds: calico-node refreshes the status every second
NOT_OBSERVED = "not observed"


def verify_status_object(node, classes, period=STATUS_PERIOD):
    """The CalicoNodeStatus fabric_verify keeps for ``node``."""
    from .k8s import MANAGED_BY, MANAGED_BY_LABEL  # pylint: disable=import-outside-toplevel
    return {"metadata": {"name": VERIFY_NAME_PREFIX + node,
                         "labels": {MANAGED_BY_LABEL: MANAGED_BY, COMPONENT_LABEL: VERIFY_COMPONENT}},
            "spec": {"node": node, "classes": list(classes), "updatePeriodSeconds": period}}


def classes_of(classes, node):
    """The classes wanted for ``node``: ``classes`` is one list for every node or ``{node: list}``."""
    return list(classes.get(node) or ()) if isinstance(classes, dict) else list(classes)


def node_classes(nodes, route_nodes):
    """``{node: classes}``: ``Agent`` and ``BGP`` for every node, ``Routes`` too for ``route_nodes`` (the
    nodes whose table fabric_verify checks; the others' objects stay small)."""
    route_nodes = set(route_nodes)
    return {node: ["Agent", "BGP", "Routes"] if node in route_nodes else ["Agent", "BGP"] for node in nodes}


def _is_verify_object(item):
    labels = (item.get("metadata") or {}).get("labels") or {}
    return labels.get(COMPONENT_LABEL) == VERIFY_COMPONENT and labels.get("app.kubernetes.io/managed-by") == "kubefabric"


def _filled(item):
    status = item.get("status") or {}
    return bool(status.get("lastUpdated") or status.get("bgp"))


def pick_status_objects(items, nodes, classes):
    """``{node: item}``: the object read for each node from one LIST of CalicoNodeStatus.

    The collection's own object (labelled, named ``kubefabric-verify-<node>``) first; else an object of
    anyone's that reports every one of ``classes`` and has a status; else any object of the node with a
    status (it is read, what it lacks is reported as not observed)."""
    wanted = set(nodes)
    ranked = {}
    for item in items:
        node = (item.get("spec") or {}).get("node")
        if node not in wanted:
            continue
        name = (item.get("metadata") or {}).get("name") or ""
        rank = (0 if _is_verify_object(item) and name == VERIFY_NAME_PREFIX + node else
                1 if _filled(item) and set(classes_of(classes, node)) <= set((item.get("spec") or {}).get("classes") or ())
                else
                2 if _filled(item) else 3, name)
        if node not in ranked or rank < ranked[node][0]:
            ranked[node] = (rank, item)
    return {node: item for node, (_rank, item) in ranked.items()}


def status_object_changes(picked, nodes, classes, period=STATUS_PERIOD):
    """What makes every node have its own object reporting exactly its ``classes`` (a list, or ``{node:
    list}``) every ``period`` seconds: ``(creates, patches)`` -- objects to create, ``(name, merge patch)``
    for own objects that differ (a class too many is taken away as well: the Routes class makes an object
    large, and calico-node refreshes it every period)."""
    creates, patches = [], []
    for node in sorted(nodes):
        item = picked.get(node)
        wanted = classes_of(classes, node)
        own = item is not None and _is_verify_object(item) and \
            item["metadata"]["name"] == VERIFY_NAME_PREFIX + node
        if not own:
            creates.append(verify_status_object(node, wanted, period))
            continue
        spec = item.get("spec") or {}
        patch = {}
        if set(spec.get("classes") or ()) != set(wanted):
            patch["classes"] = wanted
        if spec.get("updatePeriodSeconds") != period:
            patch["updatePeriodSeconds"] = period
        if patch:
            patches.append((item["metadata"]["name"], {"spec": patch}))
    return creates, patches


def observe_statuses(picked, nodes, classes):
    """One round's view: ``{"nodes": {node: rows}, "pending": [...], "unobserved": {node: reason}}``.

    ``nodes`` holds the rows of every node whose object has a status (``status_rows``); a node
    whose object has none yet is ``pending``; a node without an object is ``unobserved``, and so is a
    node whose object does not report ``Routes`` when ``Routes`` is asked for."""
    out, pending, unobserved = {}, [], {}
    for node in sorted(nodes):
        item = picked.get(node)
        if item is None:
            unobserved[node] = "no CalicoNodeStatus object"
            continue
        if not _filled(item):
            pending.append(node)
            continue
        out[node] = status_rows(item.get("status"))
        have = set((item.get("spec") or {}).get("classes") or ())
        lacking = [c for c in classes_of(classes, node) if c not in have]
        if lacking:
            name = item["metadata"]["name"]
            unobserved[node] = "CalicoNodeStatus %s does not report %s" % (name, ", ".join(lacking))
    return {"nodes": out, "pending": pending, "unobserved": unobserved,
            "objects": {node: item["metadata"]["name"] for node, item in picked.items()},
            "versions": {node: (item.get("metadata") or {}).get("resourceVersion") for node, item in picked.items()}}


class VerifyStatuses:
    """CalicoNodeStatus for fabric_verify: ONE LIST per round.

    ``classes``: one list for every node, or ``{node: list}`` (:func:`node_classes`: Routes only where
    the routes are checked).

    With ``write`` (not in check mode) the first round creates the objects that are missing (once per
    node and cluster: later runs reuse them) and patches an own object whose classes or period differ;
    nothing is ever deleted. Without ``write`` nothing is written: what exists is read, and the nodes
    without an object are reported as not observed."""

    def __init__(self, client, nodes, classes, period=STATUS_PERIOD, write=True):
        self.client = client
        self.nodes = sorted(nodes)
        self.classes = dict(classes) if isinstance(classes, dict) else list(classes)
        self.period = period
        self.write = write
        self.created, self.updated = [], []
        self.lists = 0
        self._prepared = False

    def _list(self):
        self.lists += 1
        return self.client.list("CalicoNodeStatus")

    def read(self):
        items = self._list()
        picked = pick_status_objects(items, self.nodes, self.classes)
        if self.write and not self._prepared:
            creates, patches = status_object_changes(picked, self.nodes, self.classes, self.period)
            for obj in creates:
                picked[obj["spec"]["node"]] = self.client.create("CalicoNodeStatus", obj) or obj
                self.created.append(obj["metadata"]["name"])
            for name, patch in patches:
                self.client.patch("CalicoNodeStatus", name, patch)
                self.updated.append(name)
            if patches:  # the patched objects' status was made for the old spec: read them next round
                for name, _patch in patches:
                    node = name[len(VERIFY_NAME_PREFIX):]
                    picked[node] = dict(picked[node], status={})
            self._prepared = True
        view = observe_statuses(picked, self.nodes, self.classes)
        if self.write:
            # own objects exist for every node now (or the create failed and raised); a missing status is pending
            view["pending"] += sorted(view["unobserved"])
            for node in view["unobserved"]:
                view["nodes"].pop(node, None)
            view["unobserved"] = {}
        return view


PEER_TYPES = {"NodeMesh": "node-to-node mesh", "NodePeer": "node specific", "GlobalPeer": "global"}


def status_rows(status):
    """``calicoctl node status`` rows from a CalicoNodeStatus ``status``, and the BGP counts.

    Columns: peer address, peer type, state (BIRD's ``up`` when Established, else ``start``), since,
    info (the BGP state). ``peerIP`` comes from BIRD's "Neighbor address" so ported peers read right.
    """
    bgp = (status or {}).get("bgp") or {}
    families = {}
    for family, key in (("ipv4", "peersV4"), ("ipv6", "peersV6")):
        rows = []
        for peer in bgp.get(key) or []:
            state = peer.get("state") or ""
            peer_type = PEER_TYPES.get(peer.get("type"), peer.get("type"))
            rows.append({"peer_address": peer.get("peerIP"), "peer_type": peer_type,
                         "state": "up" if state == "Established" else "start", "since": peer.get("since") or "",
                         "info": state})
        families[family] = rows
    counts = dict((name, bgp.get(field) or 0) for name, field in (
        ("established_v4", "numberEstablishedV4"), ("not_established_v4", "numberNotEstablishedV4"),
        ("established_v6", "numberEstablishedV6"), ("not_established_v6", "numberNotEstablishedV6")))
    return {"ipv4": families["ipv4"], "ipv6": families["ipv6"], "counts": counts,
            "agent": (status or {}).get("agent") or {}, "routes": (status or {}).get("routes") or {},
            "last_updated": (status or {}).get("lastUpdated")}
