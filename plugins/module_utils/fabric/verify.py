# -*- coding: utf-8 -*-
# Copyright: kubefabric.bgp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Compare the sessions a plan expects with what the nodes and devices report, and check the routes.

``compare(expected, observed_nodes, observed_devices)`` takes ``plan.sessions`` and the results of
``calico_node_status_info`` (``nodes``) and ``bgp_session_info`` (``sessions`` per device) and
returns one row per expected or observed session with its verdict, so that a failed verification
prints a table naming exactly what is missing, down or unexpected.

``compare_routes(expected, observed_nodes, observed_devices, pools)`` checks the prefixes: every
node's own IPAM blocks (the blackhole routes calico-node's BIRD holds for them, ``learnedFrom
Static`` in CalicoNodeStatus, inside an IP pool) must be in the forwarding table of every other
node, learned over BGP (``NodeMesh`` or ``BGPPeer``), and among the BGP routes of every device of
the plan (``bgp_session_info`` with ``routes``).

Where the routes are checked is ``routes_on`` (:func:`resolve_routes_on`): ``all`` (every node and
device), ``reflectors`` (the route-reflector nodes and every device), ``devices``, ``none``; ``auto``
is ``all`` up to :data:`ALL_NODES_UP_TO` nodes (or when the plan has neither route reflectors nor
devices), else ``reflectors``.  When not every node's table is read, the blocks are the checked
nodes' own blocks plus every pool prefix a checked endpoint learned (its origin: the node whose
address is the route's gateway or next hop, ``?`` when none is).
"""

from __future__ import annotations

import functools
import ipaddress

OK, MISSING, DOWN, UNEXPECTED, WRONG_AS = "ok", "missing", "not established", "unexpected", "wrong AS"
READ_ERROR = "read error"
NOT_OBSERVED = "not observed"  # check mode: a node without a CalicoNodeStatus to read; not a fault of the fabric
ERROR_KEY = "error"  # an observed device entry {"error": text}: it answered but could not be read
NO_ROUTE = "missing route"
ROUTE_ROWS_SHOWN = 60
ROUTES_ON = ("auto", "all", "reflectors", "devices", "none")
ALL_NODES_UP_TO = 50  # routes_on=auto: every node's table up to this many nodes, else reflectors + devices
UNKNOWN_ORIGIN = "?"


def reflector_nodes(expected):
    """The plan's route-reflector nodes: those with a route-reflector client among their sessions."""
    return sorted(node for node, rows in (expected.get("nodes") or {}).items()
                  if any(row.get("rr_client") for row in rows or ()))


def resolve_routes_on(expected, routes_on="auto", check_routes=True):
    """``all``, ``reflectors``, ``devices`` or ``none`` for ``plan.sessions`` (``auto`` and ``None``
    resolved: ``all`` up to ALL_NODES_UP_TO nodes or when there are neither reflectors nor devices to
    check instead, else ``reflectors``); ``check_routes=False`` is ``none``."""
    if not check_routes:
        return "none"
    if routes_on in (None, "auto"):
        small = len(expected.get("nodes") or {}) <= ALL_NODES_UP_TO
        return "all" if small or not (reflector_nodes(expected) or expected.get("devices")) else "reflectors"
    if routes_on not in ROUTES_ON:
        from ..common.errors import FabricError  # pylint: disable=import-outside-toplevel
        raise FabricError("routes_on %r is not one of %s" % (routes_on, ", ".join(ROUTES_ON)), field="routes_on",
                          fix="use one of %s" % ", ".join(ROUTES_ON))
    return routes_on


def route_endpoints(expected, routes_on):
    """``(nodes, devices)`` whose tables a resolved ``routes_on`` checks."""
    nodes = {"all": sorted(expected.get("nodes") or {}), "reflectors": reflector_nodes(expected)}.get(routes_on, [])
    devices = sorted(expected.get("devices") or {}) if routes_on != "none" else []
    return nodes, devices


def describe_endpoints(routes_on, nodes, devices):
    """Where the routes are checked, in words (``16 reflector node(s) + 9 device(s)``)."""
    if routes_on == "none":
        return "no route check"
    kind = "node(s)" if routes_on == "all" else "reflector node(s)"
    parts = (["%d %s" % (len(nodes), kind)] if nodes or routes_on != "devices" else []) + \
        (["%d device(s)" % len(devices)] if devices else [])
    return " + ".join(parts) or "nothing"


def _node_rows(observed):
    """``{node: {peer_address: row}}`` from calico_node_status_info's ``nodes``."""
    out = {}
    for node, data in (observed or {}).items():
        rows = {}
        for row in (data or {}).get("ipv4", []) + (data or {}).get("ipv6", []):
            rows[row["peer_address"]] = {"state": row.get("info") or row.get("state"),
                                         "established": (row.get("info") or "").startswith("Established")}
        out[node] = rows
    return out


def _device_rows(observed):
    """``{device: {peer_address: row}}`` from bgp_session_info results keyed by device."""
    out = {}
    for device, data in (observed or {}).items():
        if data is None:
            out[device] = None  # unreachable: every expected session is missing
            continue
        if isinstance(data, dict) and data.get(ERROR_KEY):
            out[device] = {ERROR_KEY: str(data[ERROR_KEY])}
            continue
        out[device] = {row["peer_address"]: {"state": row.get("state"), "established": bool(row.get("established")),
                                             "remote_as": row.get("remote_as")}
                       for row in data.get("sessions", [])}
    return out


def compare(expected, observed_nodes, observed_devices, unobserved=None):
    """Rows ``{endpoint, peer_address, peer_name, expected, observed, verdict}`` and a summary.

    ``unobserved``: ``{node: reason}`` of the nodes that could not be observed (check mode, no
    CalicoNodeStatus to read): their sessions get the verdict ``not observed``, which is no problem."""
    unobserved = unobserved or {}
    rows = []
    # every address a planned session uses: a device session to any other address is the operator's own
    # neighbor (the device modules never touch it, docs/device-model.md#ownership), not an unexpected one
    fabric_addresses = {w["peer_address"] for side in ("nodes", "devices")
                        for wanted in expected.get(side, {}).values() for w in wanted}
    for side, observed in (("nodes", _node_rows(observed_nodes)), ("devices", _device_rows(observed_devices))):
        for endpoint, wanted in sorted(expected.get(side, {}).items()):
            seen = observed.get(endpoint)
            if side == "nodes" and endpoint in unobserved:
                for want in wanted:
                    rows.append({"endpoint": endpoint, "peer_address": want["peer_address"],
                                 "peer_name": want.get("peer_name"), "expected": "Established",
                                 "observed": unobserved[endpoint], "verdict": NOT_OBSERVED})
                continue
            if isinstance(seen, dict) and ERROR_KEY in seen:
                # a read error or a driver crash is an error of its own, not "not observed"
                for want in wanted:
                    rows.append({"endpoint": endpoint, "peer_address": want["peer_address"],
                                 "peer_name": want.get("peer_name"), "expected": "Established",
                                 "observed": "error: %s" % seen[ERROR_KEY][:160], "verdict": READ_ERROR})
                if not wanted:
                    rows.append({"endpoint": endpoint, "peer_address": "-", "peer_name": None, "expected": "-",
                                 "observed": "error: %s" % seen[ERROR_KEY][:160], "verdict": READ_ERROR})
                continue
            seen_rows = seen or {}
            for want in wanted:
                got = seen_rows.get(want["peer_address"])
                remote_as = want.get("peer_as", want.get("remote_as"))
                if got is None:
                    verdict = MISSING
                elif not got["established"]:
                    verdict = DOWN
                elif got.get("remote_as") is not None and remote_as is not None and got["remote_as"] != remote_as:
                    verdict = WRONG_AS
                else:
                    verdict = OK
                rows.append({"endpoint": endpoint, "peer_address": want["peer_address"],
                             "peer_name": want.get("peer_name"), "expected": "Established",
                             "observed": got["state"] if got else ("unreachable" if seen is None else "absent"),
                             "verdict": verdict})
            wanted_addresses = {w["peer_address"] for w in wanted}
            for address, got in sorted(seen_rows.items()):
                if address not in wanted_addresses and (side == "nodes" or address in fabric_addresses):
                    rows.append({"endpoint": endpoint, "peer_address": address, "peer_name": None,
                                 "expected": "absent", "observed": got["state"], "verdict": UNEXPECTED})
    bad = [r for r in rows if r["verdict"] not in (OK, NOT_OBSERVED)]
    return {"ok": not bad, "rows": rows, "problems": bad,
            "not_observed": sum(1 for r in rows if r["verdict"] == NOT_OBSERVED),
            "read_errors": sorted({r["endpoint"] for r in rows if r["verdict"] == READ_ERROR}),
            "expected": sum(1 for r in rows if r["expected"] == "Established"),
            "established": sum(1 for r in rows if r["verdict"] == OK)}


@functools.lru_cache(maxsize=1 << 16)
def _net(text):
    """The network of a prefix text, or None. Cached: a round parses the same few hundred blocks at every
    endpoint, and every round the same again (the parse is most of a round's comparison otherwise)."""
    try:
        return ipaddress.ip_network(str(text), strict=False)
    except ValueError:
        return None


@functools.lru_cache(maxsize=1 << 16)
def _prefix(text):
    """The canonical text of a prefix (``str`` of its network), or None."""
    net = _net(text)
    return None if net is None else str(net)


@functools.lru_cache(maxsize=1 << 16)
def _in_pools(prefix, pools):
    net = _net(prefix)
    return net is not None and any(net.version == p.version and net.subnet_of(p)
                                   for p in (_net(pool) for pool in pools) if p is not None)


def _node_routes(data):
    """The route rows of one node's status (``routesV4`` + ``routesV6``), or None when not reported."""
    routes = (data or {}).get("routes") or {}
    if "routesV4" not in routes and "routesV6" not in routes:
        return None
    return list(routes.get("routesV4") or []) + list(routes.get("routesV6") or [])


def node_blocks(observed_nodes, pools=None):
    """``{node: [block, ...]}``: the node's own blocks: Static FIB routes inside one of ``pools``, or,
    when ``pools`` is None, the Static routes that no other node reports too (an IPAM block is
    affine to one node; a service CIDR is static on every node)."""
    nets = [n for n in (_net(p) for p in pools) if n is not None] if pools is not None else None
    out = {}
    for node, data in sorted((observed_nodes or {}).items()):
        for route in _node_routes(data) or []:
            if (route.get("learnedFrom") or {}).get("sourceType") != "Static" or route.get("type") != "FIB":
                continue
            net = _net(route.get("destination"))
            if net is None:
                continue
            if nets is None or any(net.version == p.version and net.subnet_of(p) for p in nets):
                out.setdefault(node, set()).add(net)
    if nets is None:
        owners = {}
        for found in out.values():
            for net in found:
                owners[net] = owners.get(net, 0) + 1
        out = {node: {n for n in found if owners[n] == 1} for node, found in out.items()}
    return {node: [str(n) for n in sorted(found, key=lambda n: (n.version, int(n.network_address)))]
            for node, found in out.items() if found}


def _addresses(expected):
    """``{address: name}`` of every endpoint the plan's sessions name."""
    out = {}
    for side in ("nodes", "devices"):
        for rows in (expected.get(side) or {}).values():
            for row in rows or ():
                if row.get("peer_name"):
                    out[row["peer_address"]] = row["peer_name"]
    return out


def _learned(routes):
    """``{prefix: (gateway, source)}`` of the FIB routes a node learned over BGP."""
    learned = {}
    for route in routes or []:
        source = route.get("learnedFrom") or {}
        prefix = _prefix(route.get("destination"))
        if prefix is not None and route.get("type") == "FIB" and source.get("sourceType") in ("NodeMesh", "BGPPeer"):
            learned[prefix] = (route.get("gateway"), "%s %s" % (source["sourceType"], source.get("peerIP") or ""))
    return learned


def _device_routes(data):
    have = {}
    for route in (data or {}).get("routes") or []:
        prefix = _prefix(route.get("prefix"))
        if prefix is not None and route.get("active", True):
            have[prefix] = route.get("next_hop") or "?"
    return have


def learned_blocks(expected, node_tables, device_tables, pools, known):
    """``{prefix: origin}``: the pool prefixes the checked endpoints learned that no checked node holds
    as its own (``known``); tables: ``{endpoint: {prefix: gateway}}``. The origin is the plan node whose
    address is the prefix's gateway at a checked node (iBGP keeps the block's node as next hop), else
    ``?`` (a device's next hop is the node that passed the prefix on over eBGP, not its origin)."""
    pools = tuple(str(p) for p in pools or ())
    names = _addresses(expected)
    plan_nodes = set(expected.get("nodes") or {})
    taken = {prefix for prefixes in known.values() for prefix in prefixes}
    out = {}
    for group in (node_tables, device_tables):
        for _endpoint, table in sorted(group.items()):
            for prefix, gateway in table.items():
                if prefix in taken or out.get(prefix, UNKNOWN_ORIGIN) != UNKNOWN_ORIGIN:
                    continue
                if not _in_pools(prefix, pools):
                    continue
                origin = names.get(str(gateway or "").split("%", maxsplit=1)[0]) if group is node_tables else None
                out[prefix] = origin if origin in plan_nodes else UNKNOWN_ORIGIN
    return out


def compare_routes(expected, observed_nodes, observed_devices, pools=None, unobserved=None, routes_on="all"):
    """Rows ``{endpoint, prefix, origin, observed, verdict}``: each node's blocks at every node and
    device ``routes_on`` checks (:func:`route_endpoints`), except the block's own node (the blocks of an
    ``unobserved`` node are unknown, its table is not read: one ``not observed`` row for it)."""
    unobserved = unobserved or {}
    observed_nodes = observed_nodes or {}
    observed_devices = observed_devices or {}
    check_nodes, check_devices = route_endpoints(expected, routes_on)
    blocks = node_blocks(observed_nodes, pools)
    rows, node_tables, device_tables = [], {}, {}
    for node in check_nodes:
        if node in unobserved:
            rows.append({"endpoint": node, "prefix": "-", "origin": "-", "observed": unobserved[node],
                         "verdict": NOT_OBSERVED})
            continue
        routes = _node_routes(observed_nodes.get(node))
        if routes is None:
            rows.append({"endpoint": node, "prefix": "-", "origin": "-", "observed": "no routes reported",
                         "verdict": NO_ROUTE})
            continue
        node_tables[node] = _learned(routes)
    for device in check_devices:
        data = observed_devices.get(device)
        if isinstance(data, dict) and data.get(ERROR_KEY):
            rows.append({"endpoint": device, "prefix": "-", "origin": "-",
                         "observed": "error: %s" % str(data[ERROR_KEY])[:160], "verdict": READ_ERROR})
        elif data is None or data.get("routes") is None:
            rows.append({"endpoint": device, "prefix": "-", "origin": "-",
                         "observed": "unreachable" if data is None else "no routes reported", "verdict": NO_ROUTE})
        else:
            device_tables[device] = _device_routes(data)
    if routes_on != "all" and pools is not None:
        # not every node's table is read: the other nodes' blocks are what the checked endpoints learned
        gateways = {n: {p: g for p, (g, _s) in t.items()} for n, t in node_tables.items()}
        for prefix, origin in sorted(learned_blocks(expected, gateways, device_tables, pools, blocks).items()):
            blocks.setdefault(origin, []).append(prefix)
    wanted = [(origin, prefix) for origin, prefixes in sorted(blocks.items()) for prefix in prefixes]
    for endpoint in check_nodes + check_devices:
        table = node_tables.get(endpoint)
        if table is not None:
            have = {prefix: got[1] for prefix, got in table.items()}
        elif endpoint in device_tables:
            have = device_tables[endpoint]
        else:
            continue  # its row is above
        for origin, prefix in wanted:
            if origin == endpoint:
                continue
            got = have.get(prefix)
            rows.append({"endpoint": endpoint, "prefix": prefix, "origin": origin,
                         "observed": ("via " + str(got).strip()) if got else "absent",
                         "verdict": OK if got else NO_ROUTE})
    bad = [r for r in rows if r["verdict"] not in (OK, NOT_OBSERVED)]
    return {"ok": not bad, "rows": rows, "problems": bad, "blocks": blocks,
            "expected": sum(1 for r in rows if r["prefix"] != "-"), "present": sum(1 for r in rows if r["verdict"] == OK),
            "routes_on": routes_on, "nodes_checked": check_nodes, "devices_checked": check_devices}


def route_table(rows):
    """The route rows as a fixed-width text table."""
    return _text_table(("ENDPOINT", "PREFIX", "ORIGIN NODE", "OBSERVED", "VERDICT"),
                       [(r["endpoint"], r["prefix"], r["origin"], r["observed"], r["verdict"]) for r in rows])


def _text_table(header, data):
    widths = [max(len(str(x)) for x in col) for col in zip(header, *data)] if data else [len(h) for h in header]
    line = "+" + "+".join("-" * (w + 2) for w in widths) + "+"
    out = [line, "| " + " | ".join(h.ljust(w) for h, w in zip(header, widths)) + " |", line]
    for row in data:
        out.append("| " + " | ".join(str(x).ljust(w) for x, w in zip(row, widths)) + " |")
    out.append(line)
    return "\n".join(out)


def table(rows):
    """A fixed-width text table of rows (the failure message of a verification)."""
    header = ("ENDPOINT", "PEER ADDRESS", "PEER", "EXPECTED", "OBSERVED", "VERDICT")
    data = [(r["endpoint"], r["peer_address"], r["peer_name"] or "-", r["expected"], r["observed"] or "-",
             r["verdict"]) for r in rows]
    return _text_table(header, data)


def verify_result(plan, observed_nodes, observed_devices, expect=None, elapsed=0.0, check_routes=False, pools=None,
                  unobserved=None, routes_on="auto"):
    """The module result for one comparison (``expect`` is checked with JMESPath).

    ``check_routes``: also check the prefixes (``compare_routes``) where ``routes_on`` says
    (:func:`resolve_routes_on`); ``pools``: the IP pool CIDRs; ``unobserved``: ``{node: reason}`` of
    the nodes that could not be observed (``not_observed``)."""
    from ..common.errors import FabricError
    from ..common.query import check_expectations
    if not isinstance(plan, dict) or "sessions" not in plan:
        raise FabricError("plan has no sessions", field="plan", fix="pass the plan returned by fabric_plan")
    routes_on = resolve_routes_on(plan["sessions"], routes_on, check_routes)
    outcome = compare(plan["sessions"], observed_nodes, observed_devices, unobserved)
    result = {"ok": outcome["ok"], "rows": outcome["rows"], "problems": outcome["problems"],
              "read_errors": outcome["read_errors"], "not_observed": sorted(unobserved or {}),
              "established": outcome["established"], "expected": outcome["expected"],
              "table": table(outcome["problems"] or outcome["rows"]), "elapsed": round(elapsed, 2),
              "routes_on": routes_on}
    if routes_on != "none":
        routes = compare_routes(plan["sessions"], observed_nodes, observed_devices, pools, unobserved, routes_on)
        where = describe_endpoints(routes_on, routes["nodes_checked"], routes["devices_checked"])
        # the rows themselves are not returned: a 200-node fabric has 40,000 of them, all ok
        result.update(ok=outcome["ok"] and routes["ok"], route_problems=routes["problems"], blocks=routes["blocks"],
                      prefixes_expected=routes["expected"], prefixes_present=routes["present"],
                      routes_checked_at=routes["nodes_checked"] + routes["devices_checked"], routes_where=where)
        if routes["problems"]:
            shown = routes["problems"][:ROUTE_ROWS_SHOWN]
            more = len(routes["problems"]) - len(shown)
            result["table"] += "\n" + route_table(shown) + ("\n... and %d more missing route(s)" % more if more else "")
        else:
            result["table"] += "\nevery block (%d) is in the table of every endpoint checked (routes_on=%s: %s): " \
                "%d/%d prefixes present" % (sum(len(b) for b in routes["blocks"].values()), routes_on, where,
                                            routes["present"], routes["expected"])
    if unobserved:
        result["table"] += "\nnot observed (no fault of the fabric, nothing to read): %s" % ", ".join(
            "%s (%s)" % (node, reason) for node, reason in sorted(unobserved.items()))
    failures = check_expectations(result, expect)
    if failures:
        raise FabricError("expectations not met: %s" % "; ".join(failures), field="expect",
                          fix="see the rows of the result")
    return result
