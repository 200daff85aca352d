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
