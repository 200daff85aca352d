"""Benchmark: plan an rr_per_leaf fabric of N nodes in R racks (issue: 2,000 nodes / 40 racks < 10 s).

    .venv/bin/python benchmarks/plan_scale.py [--nodes 2000] [--racks 40] [--repeat 3]

Prints one JSON line per run with the wall time and the session count; docs/performance.md keeps
the numbers measured on the project's machine kind.
"""
import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from lab import paths  # noqa: E402

paths.ensure_collection_importable()
from ansible_collections.kubefabric.bgp.plugins.module_utils.fabric.plan import build_plan  # noqa: E402


def fabric(nodes, racks):
    per_rack = nodes // racks
    fab = {"pattern": "rr_per_leaf", "calico_asn": 64512, "racks": {}, "nodes": {}, "devices": {
        "spine1": {"platform": "frr", "fabric_role": "spine", "bgp_asn": 65000, "router_id": "10.255.255.1"}}}
    for r in range(racks):
        rack = "rack%d" % (r + 1)
        fab["racks"][rack] = {"asn": 64600 + r}
        fab["devices"]["leaf%d" % (r + 1)] = {
            "platform": ("comware", "frr", "routeros")[r % 3], "fabric_role": "leaf", "bgp_asn": 65001 + r,
            "router_id": "10.255.254.%d" % (r + 1), "racks": {rack: "10.%d.%d.254" % (100 + r // 200, r % 200)},
            "uplinks": [{"peer": "spine1", "address": "10.254.%d.%d/31" % (r // 100, (r % 100) * 2 + 1),
                         "peer_address": "10.254.%d.%d" % (r // 100, (r % 100) * 2)}]}
        for i in range(per_rack):
            name = "r%d-n%d" % (r + 1, i + 1)
            fab["nodes"][name] = {"bgp_ipv4_address": "10.%d.%d.%d/16" % (100 + r // 200, r % 200, i + 1),
                                  "rack": rack, "route_reflector": i < 2}
    return fab


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--nodes", type=int, default=2000)
    parser.add_argument("--racks", type=int, default=40)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    fab = fabric(args.nodes, args.racks)
    for _run in range(args.repeat):
        start = time.perf_counter()
        plan = build_plan(fab)
        elapsed = time.perf_counter() - start
        print(json.dumps({"benchmark": "plan_rr_per_leaf", "nodes": args.nodes, "racks": args.racks,
                          "seconds": round(elapsed, 3), "sessions": plan["sessions"]["total"]}))


if __name__ == "__main__":
    main()
