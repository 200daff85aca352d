"""Benchmark: kubefabric.bgp.routeros_bgp side by side with community.routeros.api_modify.

    .venv/bin/python benchmarks/bench_routeros.py [--sizes 10,100] [--version 7.10] [--frr] [--markdown]

Needs root (a network namespace).  For each size N, two fresh emulated RouterOS devices
(``lab/routeros``, each in its own namespace on a 198.19.0.0/16 management link) receive the same BGP
configuration: the ``kubefabric`` template (AS, router ID) and N connections.

* kubefabric.bgp: one ``routeros_bgp`` task (``state: overridden``, N neighbors).
* community.routeros: two ``api_modify`` tasks (``routing bgp template``, ``routing bgp connection``)
  whose data are exactly the rows routeros_bgp adds (taken from the write log of a third, unmeasured
  device), so both devices end up with the same rows (checked at the end).

Each tool: check mode on the empty device, first apply, idempotent rerun, check mode on the applied
device; the tools take turns phase by phase (same machine load).  Measured: ``ansible-playbook`` wall time and the writes counted by the emulator (mutating API
requests; ``/routing/bgp/.../add`` etc.).  ``--frr`` lets the emulator realise the configuration in a
real FRR (slower for both tools alike); by default only the API is measured.
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
from lab.netns import Netns, destroy  # noqa: E402
from lab.routeros import start_routeros  # noqa: E402

PASSWORD = "bench-Pass-1"


def neighbors(count):
    return [{"address": "10.20.%d.%d" % (i // 250, i % 250 + 1), "remote_as": 64600 + (i % 50),
             "description": "node%03d" % i} for i in range(count)]


def ansible_env(tmp):
    env = dict(os.environ)
    env.update(ANSIBLE_COLLECTIONS_PATH=str(REPO / ".build"), ANSIBLE_FORCE_COLOR="0", ANSIBLE_NOCOLOR="1",
               ANSIBLE_LOCAL_TEMP=str(Path(tmp) / "ansible-tmp"), ANSIBLE_RETRY_FILES_ENABLED="0")
    return env


def run(book, dev, tmp, check=False):
    cmd = [str(Path(sys.executable).parent / "ansible-playbook"), "-i", "localhost,", "-c", "local", str(book),
           "-e", "ansible_python_interpreter=%s" % sys.executable]
    if check:
        cmd.append("--check")
    before = dev.writes
    log_size = dev.log_path.stat().st_size if dev.log_path.exists() else 0
    start = time.perf_counter()
    proc = subprocess.run(cmd, env=ansible_env(tmp), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          check=False)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit("ansible-playbook failed:\n%s" % proc.stdout[-4000:])
    changed = int(re.search(r"changed=(\d+)", proc.stdout).group(1))
    with open(dev.log_path, "rb") as fh:  # the emulator's request log (verbose): one line per request
        fh.seek(log_size)
        lines = fh.read().decode(errors="replace").splitlines()
    logins = sum(1 for l in lines if " login " in l and l.endswith(": ok"))
    reads = sum(1 for l in lines if re.search(r"/print\b", l))
    return {"wall_s": round(wall, 2), "writes": dev.writes - before, "connections": logins, "reads": reads,
            "changed_tasks": changed}


def play(dev, tasks):
    return [{"hosts": "localhost", "gather_facts": False, "tasks": tasks}]


def conn(dev):
    # a generous API timeout for both tools: the machine these run on is shared and often loaded
    return {"hostname": dev.address, "username": dev.username, "password": dev.password, "port": dev.port,
            "timeout": 60}


def kubefabric_tasks(dev, count):
    return [{"name": "bgp", "kubefabric.bgp.routeros_bgp": dict(
        conn(dev), tls=False, state="overridden",
        config={"asn": 64512, "router_id": "10.255.0.1", "neighbors": neighbors(count)})}]


def community_tasks(dev, rows):
    base = dict(conn(dev), tls=False)
    templates = [r for cmd, r in rows if cmd == "/routing/bgp/template/add"]
    connections = [r for cmd, r in rows if cmd == "/routing/bgp/connection/add"]
    tasks = []
    if templates:
        tasks.append({"name": "template", "community.routeros.api_modify": dict(
            base, path="routing bgp template", data=templates)})
    tasks.append({"name": "connections", "community.routeros.api_modify": dict(
        base, path="routing bgp connection", data=connections)})
    return tasks


PHASES = (("check mode, empty device", True), ("first apply", False), ("rerun (idempotent)", False),
          ("check mode, applied", True))


def bench(size, version, frr, tmp):
    """Two fresh devices; the community.routeros data are the rows routeros_bgp adds (from device A's
    write log of a throw-away third device), and the tools take turns phase by phase so that both see
    the same machine load."""
    results = []
    made = []
    try:
        devs = []
        for tag in ("a", "b", "c"):
            ns = Netns("kfbench-ros%s%d" % (tag, size)).create()
            made.append(ns.name)
            devs.append(start_routeros(ns, Path(tmp) / ("dev-%s-%d" % (tag, size)), version=version,
                                       identity="bench-%s" % tag, password=PASSWORD, frr=frr, verbose=True))
        dev_a, dev_b, dev_c = devs
        # the rows routeros_bgp writes, learnt on device C (not measured)
        probe = Path(tmp) / ("probe-%d.yml" % size)
        probe.write_text(json.dumps(play(dev_c, kubefabric_tasks(dev_c, size))))
        run(probe, dev_c, tmp)
        rows = [(e["command"], e["attrs"]) for e in dev_c.write_log() if e["command"].endswith("/add")]
        books = {}
        books["kubefabric.bgp.routeros_bgp"] = (Path(tmp) / ("kubefabric-%d.yml" % size), dev_a)
        books["kubefabric.bgp.routeros_bgp"][0].write_text(json.dumps(play(dev_a, kubefabric_tasks(dev_a, size))))
        books["community.routeros.api_modify"] = (Path(tmp) / ("community-%d.yml" % size), dev_b)
        books["community.routeros.api_modify"][0].write_text(json.dumps(play(dev_b, community_tasks(dev_b, rows))))
        for phase, check in PHASES:
            for tool, (book, dev) in books.items():
                res = dict(tool=tool, phase=phase, size=size, **run(book, dev, tmp, check=check))
                print(json.dumps(res), flush=True)
                results.append(res)

        def rows_of(dev):
            api = dev.connect()
            try:
                return sorted((r.get("name"), r.get("remote.address"), str(r.get("remote.as")))
                              for r in api.path("routing", "bgp", "connection"))
            finally:
                api.close()
        same = rows_of(dev_a) == rows_of(dev_b)
        print(json.dumps({"connections": size, "same_rows_on_both_devices": same}), flush=True)
        for dev in devs:
            dev.stop()
    finally:
        for name in made:
            destroy(name)
    return results


def markdown(results):
    lines = ["| tool | BGP connections | run | wall s | API logins | print requests | writes (emulator) | changed tasks |",
             "|---|---:|---|---:|---:|---:|---:|---:|"]
    for r in results:
        lines.append("| %s | %d | %s | %.1f | %d | %d | %d | %d |" % (
            r["tool"], r["size"], r["phase"], r["wall_s"], r["connections"], r["reads"], r["writes"],
            r["changed_tasks"]))
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="10,100")
    parser.add_argument("--version", default="7.10")
    parser.add_argument("--frr", action="store_true")
    parser.add_argument("--markdown", action="store_true")
    args = parser.parse_args()
    if os.geteuid() != 0:
        raise SystemExit("needs root (network namespaces)")
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for size in [int(s) for s in args.sizes.split(",")]:
            results += bench(size, args.version, args.frr, tmp)
    if args.markdown:
        print(markdown(results))


if __name__ == "__main__":
    main()
