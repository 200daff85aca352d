"""Benchmark: what the controller spends on one ``fabric_verify`` round, per ``routes_on``, offline.

    .venv/bin/python benchmarks/bench_verify_compare.py [--sizes 200,1000] [--racks-per 25] [--repeat 3]

No lab: an rr_per_leaf plan of each size (``plan_scale.fabric``, two route reflectors per rack) and, for
every node, the CalicoNodeStatus a converged fabric reports -- every session Established, and, on the
nodes whose table ``routes_on`` checks, the ``Routes`` class with every pod block (its own as a Static
route, the others learned over BGP) -- plus every device's sessions and BGP table.  Per size and
``routes_on`` it measures what the controller does with one round's LIST: the JSON the API server sends
(its size; decoding it), ``VerifyStatuses``' view of it and the comparison (``verify_result``), best of
``--repeat``.  The API server's own cost (encoding the LIST) and calico-node's status refreshes grow with
the same byte count.  Prints one JSON line per measurement, then a Markdown table.
"""
import argparse
import gc
import json
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))
# pylint: disable=wrong-import-position
from lab import paths  # noqa: E402

paths.ensure_collection_importable()
from plan_scale import fabric  # noqa: E402
from ansible_collections.kubefabric.bgp.plugins.module_utils.calico import status  # noqa: E402
from ansible_collections.kubefabric.bgp.plugins.module_utils.fabric import verify  # noqa: E402
from ansible_collections.kubefabric.bgp.plugins.module_utils.fabric.plan import build_plan  # noqa: E402

POOL = "10.244.0.0/14"


def block_of(index):
    """The ``index``-th /26 of POOL (four per /24)."""
    return "10.%d.%d.%d/26" % (244 + index // 1024, (index // 4) % 256, (index % 4) * 64)


def converged(plan, routes_on):
    """``(LIST items, device rows)`` of a converged fabric: statuses with Routes where checked."""
    sessions = plan["sessions"]
    nodes = sorted(sessions["nodes"])
    blocks = {node: block_of(i) for i, node in enumerate(nodes)}
    address = {row["peer_name"]: row["peer_address"] for rows in sessions["devices"].values() for row in rows}
    address.update({row["peer_name"]: row["peer_address"] for rows in sessions["nodes"].values() for row in rows})
    route_nodes, _devices = verify.route_endpoints(sessions, routes_on)
    classes = status.node_classes(nodes, route_nodes)
    items = []
    for node in nodes:
        peers = [{"peerIP": row["peer_address"], "type": "NodePeer", "state": "Established", "since": "07:00:00"}
                 for row in sessions["nodes"][node]]
        item = status.verify_status_object(node, classes[node])
        item["metadata"]["resourceVersion"] = "1"
        item["status"] = {"lastUpdated": "2026-12-06T07:00:00Z", "agent": {"birdV4": {"state": "Ready"}},
                          "bgp": {"numberEstablishedV4": len(peers), "peersV4": peers}}
        if "Routes" in classes[node]:
            routes = [{"type": "FIB", "destination": blocks[node], "gateway": "", "interface": "",
                       "learnedFrom": {"sourceType": "Static"}}]
            routes += [{"type": "FIB", "destination": block, "gateway": address.get(other, "10.0.0.1"),
                        "interface": "eth0", "learnedFrom": {"sourceType": "BGPPeer",
                                                             "peerIP": address.get(other, "10.0.0.1")}}
                       for other, block in blocks.items() if other != node]
            item["status"]["routes"] = {"routesV4": routes}
        items.append(item)
    devices = {}
    for device, rows in sessions["devices"].items():
        devices[device] = {"sessions": [{"peer_address": r["peer_address"], "established": True,
                                         "state": "Established", "remote_as": r.get("remote_as")} for r in rows],
                           "routes": [{"prefix": b, "next_hop": "10.0.0.1", "active": True} for b in blocks.values()]}
    return items, devices


def measure(nodes, per_rack, routes_on, repeat):
    plan = build_plan(fabric(nodes, max(1, nodes // per_rack)))
    resolved = verify.resolve_routes_on(plan["sessions"], routes_on)
    items, devices = converged(plan, resolved)
    body = json.dumps({"items": items})
    best = None
    for _run in range(repeat):
        gc.collect()
        start = time.perf_counter()
        listed = json.loads(body)["items"]
        decoded = time.perf_counter()
        picked = status.pick_status_objects(listed, plan["sessions"]["nodes"],
                                            status.node_classes(plan["sessions"]["nodes"],
                                                                verify.route_endpoints(plan["sessions"], resolved)[0]))
        view = status.observe_statuses(picked, plan["sessions"]["nodes"],
                                       {n: (picked[n].get("spec") or {}).get("classes") for n in picked})
        viewed = time.perf_counter()
        result = verify.verify_result(plan, view["nodes"], devices, check_routes=True, pools=[POOL],
                                      unobserved=view["unobserved"], routes_on=resolved)
        done = time.perf_counter()
        if not result["ok"]:
            raise SystemExit("the synthetic fabric does not verify:\n%s" % result["table"][:2000])
        run = {"benchmark": "verify_round_controller", "nodes": nodes, "routes_on": resolved,
               "route_nodes": len(verify.route_endpoints(plan["sessions"], resolved)[0]),
               "devices": len(devices), "list_mb": round(len(body) / 1e6, 2),
               "prefixes_checked": result["prefixes_expected"], "session_ends": result["expected"],
               "decode_s": round(decoded - start, 3), "view_s": round(viewed - decoded, 3),
               "compare_s": round(done - viewed, 3), "round_s": round(done - start, 3)}
        if best is None or run["round_s"] < best["round_s"]:
            best = run
    return best


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="200,1000", help="node counts, comma-separated")
    parser.add_argument("--racks-per", type=int, default=25, help="nodes per rack (8 racks at 200 nodes)")
    parser.add_argument("--routes-on", default="all,reflectors", help="routes_on values, comma-separated")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    rows = []
    for size in [int(s) for s in args.sizes.split(",") if s]:
        for routes_on in [r for r in args.routes_on.split(",") if r]:
            row = measure(size, args.racks_per, routes_on, args.repeat)
            print(json.dumps(row), flush=True)
            rows.append(row)
    print("\n| nodes | routes_on | status objects with Routes | LIST | prefixes checked | decode | view | compare "
          "| round (controller) |\n|---:|---|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print("| %d | %s | %d | %.1f MB | %d | %.3f s | %.3f s | %.3f s | **%.3f s** |" % (
            r["nodes"], r["routes_on"], r["route_nodes"], r["list_mb"], r["prefixes_checked"], r["decode_s"],
            r["view_s"], r["compare_s"], r["round_s"]))


if __name__ == "__main__":
    main()
