# -*- coding: utf-8 -*-
# Copyright: kubefabric.bgp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Compare the sessions a plan expects with what the nodes and devices report.

``compare(expected, observed_nodes, observed_devices)`` takes ``plan.sessions`` and the results of
``calico_node_status_info`` (``nodes``) and ``bgp_session_info`` (``sessions`` per device) and
returns one row per expected or observed session with its verdict, so that a failed verification
prints a table naming exactly what is missing, down or unexpected.
"""

from __future__ import annotations

OK, MISSING, DOWN, UNEXPECTED, WRONG_AS = "ok", "missing", "not established", "unexpected", "wrong AS"


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
        out[device] = {row["peer_address"]: {"state": row.get("state"), "established": bool(row.get("established")),
                                             "remote_as": row.get("remote_as")}
                       for row in data.get("sessions", [])}
    return out


def compare(expected, observed_nodes, observed_devices):
    """Rows ``{endpoint, peer_address, peer_name, expected, observed, verdict}`` and a summary."""
    rows = []
    for side, observed in (("nodes", _node_rows(observed_nodes)), ("devices", _device_rows(observed_devices))):
        for endpoint, wanted in sorted(expected.get(side, {}).items()):
            seen = observed.get(endpoint)
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
                if address not in wanted_addresses:
                    rows.append({"endpoint": endpoint, "peer_address": address, "peer_name": None,
                                 "expected": "absent", "observed": got["state"], "verdict": UNEXPECTED})
    bad = [r for r in rows if r["verdict"] != OK]
    return {"ok": not bad, "rows": rows, "problems": bad,
            "expected": sum(1 for r in rows if r["expected"] == "Established"),
            "established": sum(1 for r in rows if r["verdict"] == OK)}


def table(rows):
    """A fixed-width text table of rows (the failure message of a verification)."""
    header = ("ENDPOINT", "PEER ADDRESS", "PEER", "EXPECTED", "OBSERVED", "VERDICT")
    data = [(r["endpoint"], r["peer_address"], r["peer_name"] or "-", r["expected"], r["observed"] or "-",
             r["verdict"]) for r in rows]
    widths = [max(len(str(x)) for x in col) for col in zip(header, *data)] if data else [len(h) for h in header]
    line = "+" + "+".join("-" * (w + 2) for w in widths) + "+"
    out = [line, "| " + " | ".join(h.ljust(w) for h, w in zip(header, widths)) + " |", line]
    for row in data:
        out.append("| " + " | ".join(str(x).ljust(w) for x, w in zip(row, widths)) + " |")
    out.append(line)
    return "\n".join(out)


def verify_result(plan, observed_nodes, observed_devices, expect=None, elapsed=0.0):
    """The module result for one comparison (``expect`` is checked with JMESPath)."""
    from ..common.errors import FabricError
    from ..common.query import check_expectations
    if not isinstance(plan, dict) or "sessions" not in plan:
        raise FabricError("plan has no sessions", field="plan", fix="pass the plan returned by fabric_plan")
    outcome = compare(plan["sessions"], observed_nodes, observed_devices)
    result = {"ok": outcome["ok"], "rows": outcome["rows"], "problems": outcome["problems"],
              "established": outcome["established"], "expected": outcome["expected"],
              "table": table(outcome["problems"] or outcome["rows"]), "elapsed": round(elapsed, 2)}
    failures = check_expectations(result, expect)
    if failures:
        raise FabricError("expectations not met: %s" % "; ".join(failures), field="expect",
                          fix="see the rows of the result")
    return result
