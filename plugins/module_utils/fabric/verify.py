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
"""

from __future__ import annotations

import ipaddress

OK, MISSING, DOWN, UNEXPECTED, WRONG_AS = "ok", "missing", "not established", "unexpected", "wrong AS"
READ_ERROR = "read error"
NOT_OBSERVED = "not observed"  # check mode: a node without a CalicoNodeStatus to read; not a fault of the fabric
ERROR_KEY = "error"  # an observed device entry {"error": text}: it answered but could not be read
NO_ROUTE = "missing route"
ROUTE_ROWS_SHOWN = 60


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


def _net(text):
    try:
        return ipaddress.ip_network(str(text), strict=False)
    except ValueError:
        return None


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


def compare_routes(expected, observed_nodes, observed_devices, pools=None, unobserved=None):
    """Rows ``{endpoint, prefix, origin, observed, verdict}``: each node's blocks at every other node
    of the plan and at every device of the plan (the blocks of an ``unobserved`` node are unknown, its
    table is not read: one ``not observed`` row for it)."""
    unobserved = unobserved or {}
    observed_nodes = observed_nodes or {}
    observed_devices = observed_devices or {}
    blocks = node_blocks(observed_nodes, pools)
    wanted = [(origin, prefix) for origin, prefixes in sorted(blocks.items()) for prefix in prefixes]
    rows = []
    for node in sorted(expected.get("nodes", {})):
        if node in unobserved:
            rows.append({"endpoint": node, "prefix": "-", "origin": "-", "observed": unobserved[node],
                         "verdict": NOT_OBSERVED})
            continue
        routes = _node_routes(observed_nodes.get(node))
        learned = {}
        for route in routes or []:
            source = route.get("learnedFrom") or {}
            net = _net(route.get("destination"))
            if net is not None and route.get("type") == "FIB" and source.get("sourceType") in ("NodeMesh", "BGPPeer"):
                learned[str(net)] = "%s %s" % (source["sourceType"], source.get("peerIP") or "")
        if routes is None:
            rows.append({"endpoint": node, "prefix": "-", "origin": "-", "observed": "no routes reported",
                         "verdict": NO_ROUTE})
            continue
        for origin, prefix in wanted:
            if origin == node:
                continue
            got = learned.get(prefix)
            rows.append({"endpoint": node, "prefix": prefix, "origin": origin,
                         "observed": ("via " + got.strip()) if got else "absent", "verdict": OK if got else NO_ROUTE})
    for device in sorted(expected.get("devices", {})):
        data = observed_devices.get(device)
        have = {}
        for route in (data or {}).get("routes") or []:
            net = _net(route.get("prefix"))
            if net is not None and route.get("active", True):
                have[str(net)] = route.get("next_hop") or "?"
        if isinstance(data, dict) and data.get(ERROR_KEY):
            rows.append({"endpoint": device, "prefix": "-", "origin": "-",
                         "observed": "error: %s" % str(data[ERROR_KEY])[:160], "verdict": READ_ERROR})
            continue
        if data is None or data.get("routes") is None:
            rows.append({"endpoint": device, "prefix": "-", "origin": "-",
                         "observed": "unreachable" if data is None else "no routes reported", "verdict": NO_ROUTE})
            continue
        for origin, prefix in wanted:
            got = have.get(prefix)
            rows.append({"endpoint": device, "prefix": prefix, "origin": origin,
                         "observed": ("via " + got) if got else "absent", "verdict": OK if got else NO_ROUTE})
    bad = [r for r in rows if r["verdict"] not in (OK, NOT_OBSERVED)]
    return {"ok": not bad, "rows": rows, "problems": bad, "blocks": blocks,
            "expected": sum(1 for r in rows if r["prefix"] != "-"), "present": sum(1 for r in rows if r["verdict"] == OK)}


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
                  unobserved=None):
    """The module result for one comparison (``expect`` is checked with JMESPath).

    ``check_routes``: also check the prefixes (``compare_routes``); ``pools``: the IP pool CIDRs;
    ``unobserved``: ``{node: reason}`` of the nodes that could not be observed (``not_observed``)."""
    from ..common.errors import FabricError
    from ..common.query import check_expectations
    if not isinstance(plan, dict) or "sessions" not in plan:
        raise FabricError("plan has no sessions", field="plan", fix="pass the plan returned by fabric_plan")
    outcome = compare(plan["sessions"], observed_nodes, observed_devices, unobserved)
    result = {"ok": outcome["ok"], "rows": outcome["rows"], "problems": outcome["problems"],
              "read_errors": outcome["read_errors"], "not_observed": sorted(unobserved or {}),
              "established": outcome["established"], "expected": outcome["expected"],
              "table": table(outcome["problems"] or outcome["rows"]), "elapsed": round(elapsed, 2)}
    if check_routes:
        routes = compare_routes(plan["sessions"], observed_nodes, observed_devices, pools, unobserved)
        # the rows themselves are not returned: a 200-node fabric has 40,000 of them, all ok
        result.update(ok=outcome["ok"] and routes["ok"], route_problems=routes["problems"], blocks=routes["blocks"],
                      prefixes_expected=routes["expected"], prefixes_present=routes["present"])
        if routes["problems"]:
            shown = routes["problems"][:ROUTE_ROWS_SHOWN]
            more = len(routes["problems"]) - len(shown)
            result["table"] += "\n" + route_table(shown) + ("\n... and %d more missing route(s)" % more if more else "")
        else:
            result["table"] += "\nevery node's blocks (%d) are in the tables of every other node and device: %d/%d " \
                "prefixes present" % (sum(len(b) for b in routes["blocks"].values()), routes["present"],
                                      routes["expected"])
    if unobserved:
        result["table"] += "\nnot observed (no fault of the fabric, nothing to read): %s" % ", ".join(
            "%s (%s)" % (node, reason) for node, reason in sorted(unobserved.items()))
    failures = check_expectations(result, expect)
    if failures:
        raise FabricError("expectations not met: %s" % "; ".join(failures), field="expect",
                          fix="see the rows of the result")
    return result
