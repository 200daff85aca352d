# -*- coding: utf-8 -*-
# Copyright: kubefabric.bgp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The AWX sliced-job scale model (docs/performance.md, "AWX job slicing: the scale model"), measured and checked.

1. On a fresh lab (``--clusters`` clusters of ``--per-cluster`` nodes on ``--leaves`` shared FRR leaves and one FRR
   spine, rr_per_leaf; tests/integration/awxslice.py builds the inventory) one unsliced job converges the
   fabric and a second, unchanged, job reruns it; from their task durations
   (ansible-runner job events) it derives the per-unit costs: plan per node, Calico node apply per node,
   BGPPeer apply per peer, device push per neighbour, verify per session end, a job's fixed overhead.
2. The model predicts the sliced workflow (plan node -> ``--slices`` slices at once -> finish node) at this size,
   on this machine (``--cores`` CPUs shared by the slices) and on AWX (one execution slot per slice).
3. On a second fresh lab it runs that workflow (the slices as concurrent ansible-runner processes, with AWX's
   slicing rule) and prints measured beside predicted. And the model's prediction for 50 clusters x 1,000 nodes,
   400 devices.

  .venv/bin/python benchmarks/bench_slicing.py --clusters 3 --per-cluster 20 --slices 3
  .venv/bin/python benchmarks/bench_slicing.py --analyse DIR   # the job artifacts tests/integration/test_slicing.py
                                                                  # left in its tmp_path (a-1, a-2, b-1-*)
Needs root (the lab). Prints one JSON document; keeps the job artifacts under --out.
"""
import argparse
import json
import math
import os
import sys
import tempfile
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
from lab import fabric  # noqa: E402
from tests.integration import awxslice  # noqa: E402

TASKS = {
    "plan": "Plan both sides of the fabric and the sessions that will exist",
    "preflight": "Pre-flight - Calico dry run, Kubernetes rights and every device, in parallel (changes nothing)",
    "calico": "Apply the Calico side - BGPPeers, nodes, default BGPConfiguration in one burst",
    "device": "Configure every network device at once, from the controller",
    "verify": "Wait until both sides show exactly the planned sessions, all Established, and every pod block is routed",
}


def load():
    return "%.2f %.2f %.2f" % os.getloadavg()


CLUSTER_PREFLIGHT = "Pre-flight of each cluster - Calico dry run and Kubernetes rights (changes nothing)"


def device_seconds(events):
    """Seconds per device of the controller push (its result rows), summed over the device's owner scopes."""
    out = {}
    for event in events:
        data = event.get("event_data", {})
        if event.get("event") in ("runner_on_ok", "runner_on_failed") and data.get("task") == TASKS["device"]:
            for row in (data.get("res") or {}).get("devices") or []:
                out[row["host"]] = out.get(row["host"], 0.0) + (row.get("seconds") or 0.0)
    return out


def durations(events):
    out = {key: awxslice.task_seconds(events, task) for key, task in TASKS.items()}
    out["device_rows"] = device_seconds(events)
    for host, seconds in awxslice.task_seconds(events, CLUSTER_PREFLIGHT).items():  # several clusters
        out["preflight"][host] = out["preflight"].get(host, 0.0) + seconds
    return out


def job_wall(events):
    stamps = [e.get("created") for e in events if e.get("created")]
    if not stamps:
        return None
    from datetime import datetime  # pylint: disable=import-outside-toplevel
    parse = [datetime.fromisoformat(s.replace("Z", "+00:00")) for s in stamps]
    return (max(parse) - min(parse)).total_seconds()


def shape(plan):
    args = plan["module_args"]
    parts = list((plan.get("clusters") or {}).values()) or [plan]
    neighbours = [len(cfg.get("neighbors", [])) for cfg in args["devices"].values()]
    ends = sum(len(v) for v in plan["sessions"]["nodes"].values()) + sum(len(v) for v in plan["sessions"]["devices"].values())
    return {"clusters": len(parts), "nodes": sum(len(p["module_args"]["nodes"]) for p in parts),
            "device_session_ends": sum(len(v) for v in plan["sessions"]["devices"].values()),
            "bgp_peers": sum(len(p["module_args"]["bgp_peers"]) for p in parts), "devices": len(args["devices"]),
            "neighbours": sum(neighbours), "max_neighbours_per_device": max(neighbours or [0]), "session_ends": ends,
            "plan_json_bytes": len(json.dumps(plan))}


def _fit(points):
    """Least-squares line (intercept, slope) through ``[(x, y)]``; the mean ratio when x does not vary."""
    xs = [x for x, _y in points]
    if len(set(xs)) < 2:
        x, y = sum(xs) / len(xs), sum(y for _x, y in points) / len(points)
        return 0.0, (y / x if x else 0.0)
    mx, my = sum(xs) / len(xs), sum(y for _x, y in points) / len(points)
    slope = sum((x - mx) * (y - my) for x, y in points) / sum((x - mx) ** 2 for x in xs)
    if slope <= 0:
        return 0.0, my / mx
    return my - slope * mx, slope


def unit_costs(first, second, size, plan):
    """Per-unit costs from the converging job (writes) and the rerun (reads; converged, so verify does not wait).

    The Calico side is one task per cluster (``calico_apply``): its fixed cost (start-up, API discovery, the
    reads) is the converging job's time for it per cluster minus what its writes cost per object, the objects
    being the cluster's nodes and BGPPeers; with clusters of one size the two are not separable, so the fixed
    cost is that task's time in the rerun (reads only, nothing to write: pre-flight let it through only where a
    cluster had changes, else the task does not run and the first job's time is used). The devices are pushed
    at once from the controller: a device's push (its row's ``seconds``) is fitted over the devices
    (neighbours -> s), and the task's own time above the slowest device is its fixed cost.
    """
    d1, d2 = durations(first[1]), durations(second[1])

    def total(found, key):  # run_once tasks: one host
        return sum(found[key].values()) if found[key] else 0.0

    clusters = size["clusters"]
    objects = size["nodes"] + size["bgp_peers"]
    calico_first = total(d1, "calico")
    fixed = (total(d2, "calico") or calico_first) / clusters
    neighbours = {name: len(cfg.get("neighbors", [])) for name, cfg in plan["module_args"]["devices"].items()}
    rows = d1["device_rows"]
    dev_fixed, dev_slope = _fit([(neighbours[h], s) for h, s in rows.items()]) if rows else (0.0, 0.0)
    push_task = total(d1, "device")
    wall1 = job_wall(first[1])
    main = sum(total(d1, k) for k in ("plan", "preflight", "calico", "device", "verify"))
    return {
        "plan_per_node_ms": 1000 * total(d1, "plan") / size["nodes"],
        "preflight_per_object_ms": 1000 * total(d1, "preflight") / (size["nodes"] + size["bgp_peers"] + size["devices"]),
        "calico_fixed_s": fixed,
        "calico_per_object_ms": 1000 * max(0.0, calico_first - clusters * fixed) / max(1, objects),
        "device_fixed_s": dev_fixed, "device_push_per_neighbour_ms": 1000 * dev_slope,
        "device_task_fixed_s": max(0.0, push_task - max(rows.values() or [0.0])),
        "verify_per_session_end_ms": 1000 * total(d2, "verify") / size["session_ends"],
        "convergence_s": max(0.0, total(d1, "verify") - total(d2, "verify")),
        "job_overhead_s": max(0.0, (wall1 or 0) - main),
        "unsliced_wall_s": wall1, "rerun_wall_s": job_wall(second[1]),
        "plan_json_bytes_per_host": size["plan_json_bytes"] / (size["nodes"] + size["devices"]),
    }


def predict(units, size, slices, cores=None):
    """Wall time of plan node + slices (side by side) + finish node. ``cores``: the slices share that many CPUs
    (their work, everything but the convergence wait, is stretched by slices/cores); None: AWX, one execution
    slot per slice."""
    ms = 0.001

    def per(count):
        return math.ceil(count / slices)

    clusters = size["clusters"]
    plan_node = (units["job_overhead_s"] + units["plan_per_node_ms"] * ms * size["nodes"]
                 + units["preflight_per_object_ms"] * ms * (size["nodes"] + size["bgp_peers"] + size["devices"]))
    # the slice's devices at once from the controller (32 threads): the slowest device, per 32
    rounds = math.ceil(per(size["devices"]) / 32)
    busiest = size.get("max_neighbours_per_device", size["neighbours"] / max(1, size["devices"]))
    one_round = units["device_fixed_s"] + units["device_push_per_neighbour_ms"] * ms * busiest
    push = units["device_task_fixed_s"] + rounds * one_round
    device_ends = size.get("device_session_ends", size["session_ends"] // 4)
    work = (units["job_overhead_s"] + min(clusters, per(size["nodes"])) * units["calico_fixed_s"]
            + units["calico_per_object_ms"] * ms * (per(size["nodes"]) + per(size["bgp_peers"])) + push
            + units["verify_per_session_end_ms"] * ms * per(device_ends))
    if cores:
        work *= max(1.0, slices / cores)
    slice_wall = work + units["convergence_s"]
    finish = (units["job_overhead_s"] + clusters * units["calico_fixed_s"]
              + units["calico_per_object_ms"] * ms * size["bgp_peers"]
              + units["verify_per_session_end_ms"] * ms * size["session_ends"])
    return {"plan_node_s": round(plan_node, 1), "slice_s": round(slice_wall, 1), "finish_s": round(finish, 1),
            "total_s": round(plan_node + slice_wall + finish, 1),
            "plan_extra_vars_mib": round(units["plan_json_bytes_per_host"] * (size["nodes"] + size["devices"]) / 2 ** 20,
                                         1)}


def target_size():
    """50 clusters x 1,000 nodes (rr_per_leaf, racks of 25, two RRs each), 400 devices (360 leaves, 40 spines)."""
    nodes, racks, leaves, spines = 50 * 1000, 50 * 40, 360, 40
    rr = 2 * racks
    # RR clients peer their rack's 2 RRs (2 ends each side), RRs peer each other in the rack and their leaf
    ends = 2 * 2 * (nodes - rr) + 2 * racks + 2 * rr + 2 * 2 * leaves  # + leaf-spine uplinks (2 spines per leaf)
    neighbours = rr + leaves * 2 * 2  # leaves: their racks' RRs; every leaf to 2 spines, both directions
    return {"clusters": 50, "nodes": nodes, "bgp_peers": 2 * racks, "devices": leaves + spines, "neighbours": neighbours,
            "device_session_ends": neighbours,
            "session_ends": ends}


def with_lab(args, tag, out, run):
    inv_dir = Path(tempfile.mkdtemp(prefix="bslc%s" % tag, dir=str(out)))
    inventory = inv_dir / "inventory.yml"
    inventory.write_text(yaml.safe_dump(awxslice.fabric_inventory("198.18.%d" % (90 + len(tag)), args.clusters,
                                                                  args.per_cluster, args.leaves)))
    lab = fabric.Lab(inventory)
    started = time.perf_counter()
    try:
        fabric.up(inventory, log=lambda *a: None)
        up = time.perf_counter() - started
        flat = awxslice.with_lab(awxslice.flatten(yaml.safe_load(inventory.read_text())),
                                 json.loads((lab.dir / "lab-inventory.yml").read_text()))
        return up, run(flat)
    finally:
        fabric.down(inventory, log=lambda *a: None)


def events_of(pdd):
    return [json.loads(p.read_text()) for p in sorted((pdd / "artifacts" / "job" / "job_events").glob("*.json"))]


def stats_of(events):
    return [e["event_data"] for e in events if e.get("event") == "playbook_on_stats"][-1]


def analyse(root, args, report):
    """The model from the unsliced jobs a-1 (converging) and a-2 (rerun) of the test, checked against its sliced
    workflow b-1 (plan, slices, finish)."""
    first, second = events_of(root / "a-1"), events_of(root / "a-2")
    plan = [e["event_data"]["res"]["plan"] for e in first if e.get("event") == "runner_on_ok"
            and e["event_data"].get("task") == TASKS["plan"]][0]
    size = shape(plan)
    units = unit_costs((stats_of(first), first), (stats_of(second), second), size, plan)
    report.update(fabric=size, units={k: round(v, 3) if v is not None else None for k, v in units.items()})
    report["predicted_here"] = predict(units, size, args.slices, cores=args.cores)
    report["predicted_awx"] = predict(units, size, args.slices)
    plan_job = events_of(root / "b-1-plan")
    slices = [events_of(p) for p in sorted(root.glob("b-1-slice*"))]
    finish = events_of(root / "b-1-finish")
    stamps = [e["created"] for ev in [plan_job, finish] + slices for e in ev if e.get("created")]
    from datetime import datetime  # pylint: disable=import-outside-toplevel
    parsed = [datetime.fromisoformat(s.replace("Z", "+00:00")) for s in stamps]
    report["measured_sliced"] = {"plan_node_s": job_wall(plan_job), "slice_s": [job_wall(s) for s in slices],
                                 "finish_s": job_wall(finish),
                                 "total_s": round((max(parsed) - min(parsed)).total_seconds(), 1)}
    target = target_size()
    report["target"] = dict(target, predictions={
        "slices=%d" % n: predict(units, target, n) for n in (1, 8, 25, 50)})
    print(json.dumps(report, indent=2))
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clusters", type=int, default=3)
    parser.add_argument("--per-cluster", type=int, default=20)
    parser.add_argument("--leaves", type=int, default=3)
    parser.add_argument("--analyse", help="only analyse the job artifacts of tests/integration/test_slicing.py here")
    parser.add_argument("--slices", type=int, default=3)
    parser.add_argument("--forks", type=int, default=5)
    parser.add_argument("--cores", type=int, default=os.cpu_count())
    parser.add_argument("--out", default=None)
    args = parser.parse_args()
    out = Path(args.out or tempfile.mkdtemp(prefix="kubefabric-bench-slicing-"))
    out.mkdir(parents=True, exist_ok=True)
    extra = {"kubefabric_verify_interval": 2}
    awxslice.FORKS = args.forks
    report = {"size": {"clusters": args.clusters, "per_cluster": args.per_cluster, "leaves": args.leaves,
                       "slices": args.slices, "forks": args.forks, "cores": args.cores},
              "load_before": load(), "out": str(out)}
    if args.analyse:
        return analyse(Path(args.analyse), args, report)

    def unsliced(flat):
        first = awxslice.unsliced(out, "unsliced-1", flat, extravars=extra)
        second = awxslice.unsliced(out, "unsliced-2", flat, extravars=extra)
        return first, second

    up1, (first, second) = with_lab(args, "u", out, unsliced)
    report["load_after_unsliced"] = load()
    plan = [e["event_data"]["res"]["plan"] for e in first[1] if e.get("event") == "runner_on_ok"
            and e["event_data"].get("task") == TASKS["plan"]][0]
    size = shape(plan)
    units = unit_costs(first, second, size, plan)
    report.update(lab_up_s=round(up1, 1), fabric=size, units={k: round(v, 3) if v is not None else None
                                                              for k, v in units.items()})
    report["predicted_here"] = predict(units, size, args.slices, cores=args.cores)
    report["predicted_awx"] = predict(units, size, args.slices)

    def sliced(flat):
        started = time.perf_counter()
        result = awxslice.sliced_workflow(out, "sliced", flat, args.slices, extravars=extra)
        return time.perf_counter() - started, result

    report["load_before_sliced"] = load()
    _up2, (wall, (plan_job, slices, finish, parts)) = with_lab(args, "s", out, sliced)
    report["load_after_sliced"] = load()
    report["measured_sliced"] = {
        "plan_node_s": job_wall(plan_job[1]), "slice_s": [job_wall(s[1]) for s in slices],
        "finish_s": job_wall(finish[1]), "total_s": round(wall, 1),
        "slice_hosts": [len(p) for p in parts],
        "changed": [awxslice.changed(s[0]) for s in slices]}
    target = target_size()
    report["target"] = dict(target, predictions={
        "slices=%d" % n: predict(units, target, n) for n in (1, 8, 25, 50)})
    print(json.dumps(report, indent=2))
    (out / "report.json").write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
