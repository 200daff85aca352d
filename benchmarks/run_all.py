"""Run every benchmark, one after the other, and keep their output.

    .venv/bin/python benchmarks/run_all.py [--quick] [--skip lab_scale,...] [--out DIR]

Benchmarks are scripts, not tests (``make test`` does not run them; performance is never asserted
in tests).  Each prints JSON lines and, where it has one, the Markdown table docs/performance.md
shows.  ``--quick`` uses small sizes (a smoke run of the scripts themselves).  Root is needed for
``routeros`` and ``lab_scale`` (network namespaces).  Outputs go to ``DIR/<name>.out`` (default
``/tmp/kubefabric-bench-<time>``).
"""
import argparse
import platform
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent

BENCHMARKS = {
    # name: (script, full args, quick args)
    "plan_scale": ("plan_scale.py", ["--nodes", "2000", "--racks", "40", "--repeat", "3"],
                   ["--nodes", "200", "--racks", "8", "--repeat", "1"]),
    "calico_peering": ("calico_peering.py", [], ["--nodes", "200", "--racks", "8", "--repeat", "1"]),
    "module_startup": ("bench_module_startup.py", ["--repeat", "3", "--markdown"], ["--repeat", "1", "--markdown"]),
    "calico_apply": ("bench_calico_apply.py", ["--peers", "50", "--nodes", "20", "--repeat", "3", "--markdown"],
                     ["--peers", "5", "--nodes", "3", "--markdown"]),
    "routeros": ("bench_routeros.py", ["--sizes", "10,100", "--markdown"], ["--sizes", "5", "--markdown"]),
    "lab_scale": ("bench_lab_scale.py", ["--inventory", str(HERE.parent / "examples" / "scale_200" / "inventory.yml")],
                  ["--nodes", "16", "--racks", "2"]),
}


def machine():
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem = Path("/proc/meminfo").read_text().splitlines()[0].split()[1]
    except OSError:
        mem = "?"
    return "%s; %s; %s CPUs (%s); %s kB RAM; load %s" % (
        time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), platform.platform(), len(
            [l for l in Path("/proc/cpuinfo").read_text().splitlines() if l.startswith("processor")]),
        cpu, mem, " ".join("%.1f" % x for x in __import__("os").getloadavg()))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--skip", default="")
    parser.add_argument("--only", default="")
    parser.add_argument("--out")
    args = parser.parse_args()
    out_dir = Path(args.out or "/tmp/kubefabric-bench-%d" % time.time())
    out_dir.mkdir(parents=True, exist_ok=True)
    skip = {s for s in args.skip.split(",") if s}
    only = {s for s in args.only.split(",") if s}
    print("machine: %s" % machine(), flush=True)
    failed = []
    for name, (script, full, quick) in BENCHMARKS.items():
        if name in skip or (only and name not in only):
            continue
        cmd = [sys.executable, str(HERE / script)] + (quick if args.quick else full)
        start = time.time()
        with open(out_dir / ("%s.out" % name), "w") as out:
            proc = subprocess.run(cmd, stdout=out, stderr=subprocess.STDOUT, check=False)
        print("%-15s rc=%d  %6.1f s  %s" % (name, proc.returncode, time.time() - start, out_dir / ("%s.out" % name)),
              flush=True)
        if proc.returncode:
            failed.append(name)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
