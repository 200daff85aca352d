"""Benchmark: a large rr_per_leaf lab fabric comes up and converges (200 nodes / 8 leaves, 1,000 / 40).

    .venv/bin/python benchmarks/bench_lab_scale.py --write-inventory examples/scale_200/inventory.yml
    .venv/bin/python benchmarks/bench_lab_scale.py [--inventory examples/scale_200/inventory.yml] [--keep]
    .venv/bin/python benchmarks/bench_lab_scale.py --nodes 1000 --racks 40 --spines 2   # generated, temp dir

Needs root.  Phases, each measured: ``lab up`` (namespaces, bridges, BIRD per node, FRR + sshd per
device, the Kubernetes API emulator, calico-node); ``apply``: the rr_per_leaf pattern playbook (plan ->
Calico -> devices -> fabric_verify) on the empty cluster, with the convergence time that fabric_verify
reports (its ``N/N session ends Established[, P/Q prefixes present] after X s`` line); ``rerun``: the
same playbook again (idempotent); ``check``: the playbook with ``--check --diff``.  After ``apply``: when
the last session came up, from BIRD (``show protocols`` since column, one-second resolution) and FRR
(``show bgp summary json`` ``peerUptimeMsec``), and ``verify_report_lag_s``, the time fabric_verify
reported convergence (its ``converged_at``, else the time its last round line appeared) minus that.  Per phase: wall time,
API requests and writes by verb (the emulator's counters, ``api_counters``: calico-node's own watches
and status writes included, see ``by_resource``), device SSH logins (the devices' sshd logs) and the
commands the device modules sent (their ``commands`` results, callback_plugins/kubefabric_bench.py),
the slowest tasks, BIRD's "Connection collision" lines, and PSS/RSS of the lab's processes grouped by
kind (BIRD, zebra, bgpd, sshd, the API and calico-node emulators).  The playbook runs with one fork per
device (``--forks``, default: devices + 1), so every device is configured at once.  Then ``lab down``
(unless ``--keep``).  Prints one JSON object.

The generated fabric: ``--spines`` FRR spines (AS 65000), ``--racks`` FRR leaves (AS 65001...), each
leaf its rack's L2 segment 10.(100+r).0.0/24 and an eBGP uplink to every spine; per rack
``nodes/racks`` nodes in AS 64512+r, the first two of them route reflectors (cluster ID = their own
address).
"""
import argparse
import base64
import json
import os
import re
import signal
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO))
from lab import fabric  # noqa: E402
from lab.bird import BirdInstance  # noqa: E402
from lab.netns import Netns, sh  # noqa: E402


def inventory(nodes, racks, mgmt_base="198.18.40", spines=1, lab_mesh=True, bird_clock=None, scan_time=None):
    if racks + spines > 62:
        raise SystemExit("at most 62 devices fit the management /24 (%s.0/24)" % mgmt_base)
    per_rack = nodes // racks
    # spine1 keeps .2 (the 200-node inventory); further spines after the leaves' management /30s
    spine_hosts = {"spine%d" % (s + 1): {"platform": "frr", "fabric_role": "spine",
                                         "ansible_host": "%s.%d" % (mgmt_base, 2 if s == 0 else 4 * (racks + s) + 2),
                                         "bgp_asn": 65000, "router_id": "10.255.255.%d" % (s + 1)}
                   for s in range(spines)}
    hosts, devices = {}, {}
    fabric_racks = {}
    for r in range(racks):
        rack = "rack%d" % (r + 1)
        fabric_racks[rack] = {"asn": 64512 + r}
        for i in range(per_rack):
            name = "r%02dn%03d" % (r + 1, i + 1)
            entry = {"bgp_ipv4_address": "10.%d.0.%d/24" % (100 + r, 11 + i), "rack": rack}
            if i < 2:
                entry["route_reflector"] = True
            hosts[name] = entry
        devices["leaf%d" % (r + 1)] = {
            "platform": "frr", "fabric_role": "leaf", "ansible_host": "%s.%d" % (mgmt_base, 4 * (r + 1) + 2),
            "bgp_asn": 65001 + r, "router_id": "10.255.255.%d" % (11 + r),
            "racks": {rack: "10.%d.0.254" % (100 + r)},
            "uplinks": [{"peer": "spine%d" % (s + 1), "address": "10.255.%d.%d/31" % (s, 2 * r + 1),
                         "peer_address": "10.255.%d.%d" % (s, 2 * r)} for s in range(spines)]}
    fabric_vars = {"fabric_pattern": "rr_per_leaf", "calico_asn": 64512, "fabric_racks": fabric_racks}
    if bird_clock:
        fabric_vars["lab_bird_clock"] = bird_clock  # own (the lab's default) or shared (docs/lab.md)
    if not lab_mesh:
        fabric_vars["lab_node_to_node_mesh"] = False  # the lab's cluster starts with the mesh off (docs/lab.md)
        # 1,000 BIRDs scanning one shared kernel every 2 s starve on its route lock (docs/lab.md)
        fabric_vars["lab_bird_scan_time"] = 30
    if scan_time is not None:  # --lab-bird-scan-time: 0 is calico-node's own 2 s
        fabric_vars.pop("lab_bird_scan_time", None)
        if scan_time:
            fabric_vars["lab_bird_scan_time"] = scan_time
    return {"all": {
        "vars": fabric_vars,
        "children": {
            "k8s_nodes": {"hosts": hosts},
            "network_devices": {"children": {
                "spines": {"hosts": spine_hosts},
                "leaves": {"hosts": devices}}}}}}


def write_inventory(path, nodes, racks, spines=1, lab_mesh=True, bird_clock=None, scan_time=None):
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    header = ("---\n# Generated by benchmarks/bench_lab_scale.py --write-inventory (%d nodes, %d racks, rr_per_leaf,\n"
              "# FRR leaves and %s).  The lab benchmark: docs/performance.md.\n"
              % (nodes, racks, "one FRR spine" if spines == 1 else "%d FRR spines" % spines))
    text = yaml.safe_dump(inventory(nodes, racks, spines=spines, lab_mesh=lab_mesh, bird_clock=bird_clock,
                                    scan_time=scan_time),
                          sort_keys=False,
                          default_flow_style=None, width=120)
    path.write_text(header + text)
    return path


def meminfo():
    out = {}
    for line in Path("/proc/meminfo").read_text().splitlines():
        key, value = line.split(":", 1)
        out[key] = int(value.split()[0])
    return out


def _rss_kb(pid, field="VmRSS:", path="status"):
    try:
        for line in Path("/proc/%d/%s" % (pid, path)).read_text().splitlines():
            if line.startswith(field):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _pss_kb(pid):
    """Proportional set size: shared pages (libraries, the same binary) divided among their users."""
    return _rss_kb(pid, "Pss:", "smaps_rollup")


def _comm(pid):
    try:
        cmdline = Path("/proc/%d/cmdline" % pid).read_bytes().split(b"\0")
        text = " ".join(c.decode(errors="replace") for c in cmdline if c)
    except OSError:
        return None
    if "lab kubeapi" in text:
        return "kubeapi emulator"
    if "calico_node_main" in text:
        return "calico-node emulator"
    try:
        return Path("/proc/%d/comm" % pid).read_text().strip()
    except OSError:
        return None


def lab_rss(lab, state):
    """RSS (MiB) of the lab's processes grouped by program, and their count."""
    pids = set()
    for name in state.get("namespaces", []):
        out = subprocess.run(["ip", "netns", "pids", name], stdout=subprocess.PIPE, text=True, check=False).stdout
        pids.update(int(p) for p in out.split() if p.isdigit())
    for tag in ("kubeapi", "calico-node"):
        try:
            pids.add(int((lab.dir / ("%s.pid" % tag)).read_text().split()[0]))
        except (OSError, ValueError):
            pass
    # BIRD runs in the node namespaces (children of calico-node); count every process once
    groups = {}
    for pid in sorted(pids):
        comm = _comm(pid)
        if comm is None:
            continue
        entry = groups.setdefault(comm, {"processes": 0, "rss_mib": 0.0, "pss_mib": 0.0})
        entry["processes"] += 1
        entry["rss_mib"] += _rss_kb(pid) / 1024.0
        entry["pss_mib"] += _pss_kb(pid) / 1024.0
    for entry in groups.values():
        entry["rss_mib"] = round(entry["rss_mib"], 1)
        entry["pss_mib"] = round(entry["pss_mib"], 1)
    return groups


def api_counters(lab, reset=True):
    """The API emulator's request/write counters (``/debug/kubefabric/counters``; DELETE reads and resets
    them, so each phase gets its own), or None when this emulator does not expose them.  The one place
    that knows how the counters are read."""
    config = yaml.safe_load((lab.dir / "kubeconfig").read_text())
    cluster = config["clusters"][0]["cluster"]
    user = config["users"][0]["user"]
    context = ssl.create_default_context()
    if cluster.get("certificate-authority-data"):
        context.load_verify_locations(cadata=base64.b64decode(cluster["certificate-authority-data"]).decode())
    elif cluster.get("certificate-authority"):
        context.load_verify_locations(cafile=cluster["certificate-authority"])
    request = urllib.request.Request(cluster["server"].rstrip("/") + "/debug/kubefabric/counters",
                                     method="DELETE" if reset else "GET",
                                     headers={"Authorization": "Bearer %s" % user.get("token", "")})
    try:
        with urllib.request.urlopen(request, context=context, timeout=30) as answer:
            body = json.loads(answer.read())
    except (urllib.error.URLError, ValueError, OSError):
        return None
    out = {}
    for key in ("requests", "writes", "dry_runs"):
        if key in body:
            out[key] = {k: v for k, v in body[key].items() if k in ("total", "failed", "by_verb")}
    out["writes_by_resource"] = (body.get("writes") or {}).get("by_resource")
    if "store" in body:
        out["store"] = body["store"]
    return out


def calico_node_counters(lab):
    """The emulated calico-node's own counters (reconciles, ``birdc configure`` runs, status reads and
    writes, status fill latency), from the file it keeps in the lab directory; None without one."""
    try:
        return json.loads((lab.dir / "calico-node.counters.json").read_text())
    except (OSError, ValueError):
        return None


def calico_node_delta(before, after):
    """What calico-node did during a phase: its counts as differences, the fill latencies as they stand."""
    if after is None:
        return None
    before = before or {}
    out = {key: value - before.get(key, 0) for key, value in after.items() if isinstance(value, int)}
    out["status_to_fill"] = after.get("status_to_fill")
    out["birdc_configures_per_node_max"] = after.get("birdc_configures_per_node_max")
    out["fill_latency_s"] = after.get("fill_latency_s")
    return out


def device_logins(lab):
    """SSH logins so far, per device (the lab devices' sshd logs)."""
    out = {}
    for log in sorted((lab.dir / "devices").glob("*/ssh/sshd.log")):
        try:
            out[log.parent.parent.name] = log.read_text(errors="replace").count("Accepted ")
        except OSError:
            pass
    return out


def bird_races(lab):
    """In every node's BIRD log so far: ``(collisions, graceful_restarts)`` - the "Connection collision"
    lines and the "Neighbor graceful restart detected" lines (a new connection from a peer whose
    session was up: with both ends active, each end's new connection closing the other's session)."""
    collisions = restarts = 0
    for log in lab.dir.rglob("bird.out"):
        try:
            text = log.read_text(errors="replace")
        except OSError:
            continue
        collisions += text.count("Connection collision")
        restarts += text.count("Neighbor graceful restart detected")
    return collisions, restarts


class BirdWatch(threading.Thread):
    """Every ``interval`` s, the BGP protocols of every node's BIRD (``birdc show protocols``): when all
    of them are Established for the first time (the nodes' side of convergence, read from BIRD itself,
    independent of fabric_verify).  Also a memory guard: below ``min_available_mib`` of MemAvailable
    it stops the benchmark (SIGTERM to itself: the lab is taken down) before the machine runs out."""

    def __init__(self, lab, state, interval=15.0, min_available_mib=3072):
        super().__init__(daemon=True)
        self.birds = [BirdInstance(Netns(node["ns"]), lab.dir / "nodes" / host, name=host)
                      for host, node in sorted(state["nodes"].items())]
        self.interval, self.min_available_mib = interval, min_available_mib
        self.start_time = time.perf_counter()
        self.stop_event = threading.Event()
        self.samples = []  # (seconds, established, bgp protocols)
        self.converged_s = None
        self.min_mem_available_mib = None

    def count(self):
        established = total = 0
        for bird in self.birds:
            try:
                rows = bird.protocols()
            except Exception:  # pylint: disable=broad-except  # a BIRD being reconfigured: count it as not up
                total += 1
                continue
            for row in rows.values():
                if row["proto"] == "BGP":
                    total += 1
                    established += 1 if row["info"].startswith("Established") else 0
        return established, total

    def run(self):
        while not self.stop_event.is_set():
            available = meminfo()["MemAvailable"] // 1024
            self.min_mem_available_mib = min(available, self.min_mem_available_mib or available)
            if available < self.min_available_mib:
                print("MemAvailable %d MiB: stopping the benchmark" % available, file=sys.stderr, flush=True)
                os.kill(os.getpid(), signal.SIGTERM)
                return
            established, total = self.count()
            elapsed = round(time.perf_counter() - self.start_time, 1)
            self.samples.append((elapsed, established, total))
            if self.converged_s is None and total and established == total:
                self.converged_s = elapsed
            self.stop_event.wait(self.interval)

    def stop(self):
        self.stop_event.set()
        return {"bird_all_established_after_s": self.converged_s,
                "bird_samples": self.samples[-3:] if self.converged_s else self.samples[-6:],
                "min_mem_available_mib": self.min_mem_available_mib}


CONVERGED_RE = re.compile(r"(\d+)/(\d+) session ends\s+Established(?:,\s+(\d+)/(\d+) prefixes present)?"
                          r"\s+after ([\d.]+) s")
CONVERGED_AT_RE = re.compile(r"converged at\s+([\d.]+)")
ROUND_RE = re.compile(r"^fabric_verify round \d+")


def _since_epoch(text, now=None):
    """BIRD 1.6's ``show protocols`` since column as epoch seconds: ``HH:MM:SS`` (today, local time; the
    day before when that lies in the future) or ``YYYY-MM-DD HH:MM:SS``. One-second resolution."""
    now = time.time() if now is None else now
    try:
        if " " in text:
            return time.mktime(time.strptime(text, "%Y-%m-%d %H:%M:%S"))
        clock = time.strptime(text, "%H:%M:%S")
    except ValueError:
        return None
    day = time.localtime(now)
    stamp = time.mktime((day.tm_year, day.tm_mon, day.tm_mday, clock.tm_hour, clock.tm_min, clock.tm_sec, 0, 0, -1))
    return stamp - 86400 if stamp > now + 60 else stamp


def last_established(lab, state):
    """When the last BGP session of the fabric came up, from BIRD and FRR themselves:
    ``{bird_last_established, frr_last_established, last_established, ...}`` (epoch seconds). BIRD 1.6's
    since column has a one-second resolution (the time is the start of that second); FRR's
    ``show bgp summary json`` gives ``peerUptimeMsec`` (milliseconds, made absolute at the read)."""
    bird_last = frr_last = None
    not_up = 0
    bird_times = []
    for host, node in sorted(state["nodes"].items()):
        try:
            rows = BirdInstance(Netns(node["ns"]), lab.dir / "nodes" / host, name=host).protocols()
        except Exception:  # pylint: disable=broad-except  # a BIRD that does not answer: counted as not up
            not_up += 1
            continue
        for row in rows.values():
            if row["proto"] != "BGP":
                continue
            if not row["info"].startswith("Established"):
                not_up += 1
                continue
            since = _since_epoch(row["since"])
            if since is not None:
                bird_last = max(bird_last or since, since)
                bird_times.append(since)
    for host, device in sorted(state["devices"].items()):
        if device.get("platform") != "frr":
            continue
        frr_dir = Netns(device["ns"]).dir / ("frr-%s" % host)
        out = sh(["vtysh", "--vty_socket", str(frr_dir), "-c", "show bgp summary json"], ns=device["ns"],
                 check=False)
        read_at = time.time()
        try:
            summary = json.loads(out or "{}")
        except ValueError:
            continue
        for family in summary.values():
            for peer in ((family or {}).get("peers") or {}).values() if isinstance(family, dict) else ():
                if peer.get("state") != "Established":
                    not_up += 1
                    continue
                if peer.get("peerUptimeMsec") is not None:
                    since = read_at - peer["peerUptimeMsec"] / 1000.0
                elif peer.get("peerUptimeEstablishedEpoch"):
                    since = float(peer["peerUptimeEstablishedEpoch"])
                else:
                    continue
                frr_last = max(frr_last or since, since)
    last = max([t for t in (bird_last, frr_last) if t is not None], default=None)
    return {"bird_last_established": bird_last and round(bird_last, 3),
            "frr_last_established": frr_last and round(frr_last, 3),
            "last_established": last and round(last, 3), "bird_since_resolution_s": 1,
            "sessions_not_established_after": not_up, "bird_established_times": bird_times}


def established_shares(times, origin, shares=(50, 90, 99, 100)):
    """``{"50%": s, ...}``: after how many seconds from ``origin`` that share of the session ends
    (BIRD's since, one-second resolution) was Established - the tail a single "last" hides."""
    if not times or origin is None:
        return {}
    ordered = sorted(t - origin for t in times)
    return {"%d%%" % share: round(ordered[max(0, -(-len(ordered) * share // 100) - 1)], 1) for share in shares}


def verify_lag(result, established, verify_line_at):
    """``verify_report_lag_s``: fabric_verify's ``converged_at`` (or, from a version without it, the time the
    converging round's line appeared in the playbook output) minus the last session's Established."""
    reported = result.get("verify_converged_at") or verify_line_at
    out = dict(established, verify_line_at=verify_line_at and round(verify_line_at, 3))
    if reported and established.get("last_established"):
        out["verify_report_lag_s"] = round(reported - established["last_established"], 2)
        if established.get("bird_last_established"):
            # BIRD's since is the start of its second: the lag to BIRD's last session is at most this, at least 1 s less
            out["verify_report_lag_bird_s"] = round(reported - established["bird_last_established"], 2)
        if established.get("frr_last_established"):
            out["verify_report_lag_frr_s"] = round(reported - established["frr_last_established"], 2)
    return out


def parse_converged(text):
    """The verify role's last ``N/M session ends Established[, P/Q prefixes present] after X s`` line."""
    matches = CONVERGED_RE.findall(text)
    if not matches:
        return {"converged": False, "session_ends": None, "verify_elapsed_s": None}
    est, expected, present, wanted, elapsed = matches[-1]
    out = {"converged": est == expected and present == wanted, "session_ends": int(expected),
           "session_ends_established": int(est), "verify_elapsed_s": float(elapsed)}
    if wanted:
        out.update(prefixes_present=int(present), prefixes_expected=int(wanted))
    at = CONVERGED_AT_RE.findall(text)
    if at:
        out["verify_converged_at"] = float(at[-1])
    rounds = re.findall(r"^fabric_verify round .*$", text, re.M)
    if rounds:
        out["verify_last_round"] = rounds[-1][:240]
    return out


def run_playbook(inv, lab, log_path, timeout, forks, check=False, watch=None, established=None, interval=None):
    bin_dir = Path(sys.executable).parent
    tasks_path = Path(str(log_path) + ".tasks.json")
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(REPO / ".build"), ANSIBLE_FORCE_COLOR="0",
               ANSIBLE_NOCOLOR="1", ANSIBLE_CALLBACKS_ENABLED="ansible.posix.profile_tasks,kubefabric_bench",
               ANSIBLE_CALLBACK_PLUGINS=str(HERE / "callback_plugins"), KUBEFABRIC_BENCH_TASKS=str(tasks_path),
               ANSIBLE_FORKS=str(forks), PATH=str(bin_dir) + os.pathsep + os.environ.get("PATH", ""))
    cmd = [str(bin_dir / "ansible-playbook"), "-i", str(inv), "-i", str(lab.dir / "lab-inventory.yml"),
           str(REPO / "playbooks" / "rr_per_leaf.yml"), "-e", "ansible_python_interpreter=%s" % sys.executable,
           "-e", "kubefabric_verify_timeout=%d" % timeout]
    if interval:
        cmd += ["-e", "kubefabric_verify_interval=%d" % interval]
    if check:
        cmd += ["--check", "--diff"]
    logins0, races0 = device_logins(lab), bird_races(lab)
    calico0 = calico_node_counters(lab)
    api_counters(lab)  # reset: the phase's own requests only
    if watch is not None:
        watch.start()
    start, started_at = time.perf_counter(), time.time()
    # the output is read as it comes: the time each fabric_verify round line appears (its last: convergence)
    proc = subprocess.Popen(cmd, env=env, cwd=str(REPO), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, bufsize=1)
    lines, verify_line_at = [], None
    for line in proc.stdout:
        lines.append(line)
        if ROUND_RE.match(line):
            verify_line_at = time.time()
    proc.wait()
    elapsed = time.perf_counter() - start
    stdout = "".join(lines)
    api = api_counters(lab)
    Path(log_path).write_text(stdout)
    logins1, races = device_logins(lab), bird_races(lab)
    result = {"rc": proc.returncode, "playbook_s": round(elapsed, 1)}
    if not check:
        result.update(parse_converged(stdout))
    try:
        per_task = json.loads(tasks_path.read_text())
    except (OSError, ValueError):
        per_task = []
    if established is not None and not check:
        sessions = established()
        times = sessions.pop("bird_established_times", [])
        result.update(verify_lag(result, sessions, verify_line_at))
        # from the start of the Calico task (where the nodes' sessions can begin) and of the playbook
        calico_at = next((t["at"] for t in per_task
                          if "at" in t and t["name"].startswith("kubefabric.bgp.calico : Apply")), None)
        result["bird_established_after_calico_s"] = established_shares(times, calico_at)
        result["bird_established_after_start_s"] = established_shares(times, started_at)
    tasks = {t["name"]: t["seconds"] for t in per_task}
    # when each step began, in seconds after the playbook was started (the first: Ansible's own start-up)
    timeline = {t["name"]: round(t["at"] - started_at, 2) for t in per_task if "at" in t and t["seconds"] >= 0.5}
    if per_task and "at" in per_task[0]:
        timeline["(first task)"] = round(per_task[0]["at"] - started_at, 2)
    result.update({
        "api": api if api is not None else "not exposed by this API emulator (no /debug/kubefabric/counters)",
        "device_logins": sum(logins1.values()) - sum(logins0.values()),
        "device_commands": sum(t["commands"] for t in per_task),
        "device_tasks_changed": sum(t["changed"] for t in per_task if t["commands"]),
        "bird_connection_collisions": races[0] - races0[0],
        "bird_graceful_restarts_detected": races[1] - races0[1],
        "calico_node": calico_node_delta(calico0, calico_node_counters(lab)),
        "slowest_tasks_s": dict(sorted(tasks.items(), key=lambda kv: -kv[1])[:8]),
        "task_started_after_s": dict(sorted(timeline.items(), key=lambda kv: kv[1])), "log": str(log_path)})
    if watch is not None:
        result.update(watch.stop())
    return result


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--inventory", help="an existing inventory (default: one generated from --nodes/--racks)")
    parser.add_argument("--nodes", type=int, default=200)
    parser.add_argument("--racks", type=int, default=8)
    parser.add_argument("--spines", type=int, default=1)
    parser.add_argument("--lab-mesh", choices=("on", "off"),
                        help="the lab cluster's node-to-node mesh before the pattern run (Calico's default: on); "
                             "default: on up to 400 nodes, off above (a 1,000-node mesh is a million BIRD protocols)")
    parser.add_argument("--lab-bird-clock", choices=("own", "shared"),
                        help="lab_bird_clock: every node's BIRD with its own phase of the monotonic clock, as "
                             "on its own machine (own, the lab's default), or all on the machine's one clock")
    parser.add_argument("--lab-bird-scan-time", type=int, metavar="SECONDS",
                        help="lab_bird_scan_time (default: 30 where the mesh starts off, above 400 nodes; "
                             "0: calico-node's own 2 s)")
    parser.add_argument("--write-inventory", help="only write the generated inventory to this path")
    parser.add_argument("--verify-timeout", type=int, default=900)
    parser.add_argument("--verify-interval", type=int,
                        help="kubefabric_verify_interval (default: the role's, one round per second)")
    parser.add_argument("--forks", type=int, help="Ansible forks (default: one per device, plus localhost)")
    parser.add_argument("--phases", default="apply,rerun,check",
                        help="playbook phases after lab up, comma-separated: apply, rerun, check")
    parser.add_argument("--watch-bird", type=float, default=0, metavar="SECONDS",
                        help="during the apply phase, read every node's BIRD every SECONDS: when all its BGP "
                             "protocols are Established (and stop below 3 GiB MemAvailable)")
    parser.add_argument("--keep", action="store_true", help="leave the lab up")
    args = parser.parse_args()
    lab_mesh = args.lab_mesh == "on" if args.lab_mesh else args.nodes <= 400
    if args.write_inventory:
        print(write_inventory(args.write_inventory, args.nodes, args.racks, args.spines, lab_mesh,
                              args.lab_bird_clock, args.lab_bird_scan_time))
        return 0
    if os.geteuid() != 0:
        raise SystemExit("needs root (network namespaces)")
    # a SIGTERM (timeout(1), a person) still takes the lab down (the finally below)
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(143))
    tmp = tempfile.mkdtemp(prefix="kf-scale-")
    inv = Path(args.inventory) if args.inventory else write_inventory(
        Path(tmp) / ("scale_%d" % args.nodes) / "inventory.yml", args.nodes, args.racks, args.spines, lab_mesh,
        args.lab_bird_clock, args.lab_bird_scan_time)
    lab = fabric.Lab(inv)
    if lab.load():
        fabric.down(inv)
    result = {"inventory": str(inv), "lab": lab.name, "cpus": os.cpu_count(), "load_before": os.getloadavg()}
    mem0 = meminfo()
    ok = False
    try:
        start = time.perf_counter()
        state = fabric.up(inv, log=lambda *a: None)
        result["lab_up_s"] = round(time.perf_counter() - start, 1)
        result["nodes"], result["devices"] = len(state["nodes"]), len(state["devices"])
        result["namespaces"] = len(state["namespaces"])
        result["mem_available_drop_after_up_mib"] = round((mem0["MemAvailable"] - meminfo()["MemAvailable"]) / 1024)
        result["bird_connection_collisions_lab_up"] = bird_races(lab)[0]
        forks = args.forks or len(state["devices"]) + 1
        result["forks"] = forks
        ok = True
        for phase in [p for p in args.phases.split(",") if p]:
            watch = BirdWatch(lab, state, args.watch_bird) if args.watch_bird and phase == "apply" else None
            out = run_playbook(inv, lab, Path(tmp) / ("%s.log" % phase), args.verify_timeout, forks,
                               check=phase == "check", watch=watch, interval=args.verify_interval,
                               established=(lambda: last_established(lab, state)) if phase == "apply" else None)
            out["pss_by_kind"] = lab_rss(lab, lab.load())
            out["pss_total_mib"] = round(sum(g["pss_mib"] for g in out["pss_by_kind"].values()), 1)
            out["rss_total_mib"] = round(sum(g["rss_mib"] for g in out["pss_by_kind"].values()), 1)
            out["load_after"] = os.getloadavg()
            result[phase] = out
            ok = ok and out["rc"] == 0 and out.get("converged", True)
            print(json.dumps({phase: out}, indent=2), file=sys.stderr, flush=True)
        mem1 = meminfo()
        result["mem_available_drop_mib"] = round((mem0["MemAvailable"] - mem1["MemAvailable"]) / 1024)
        result["mem_total_mib"] = round(mem0["MemTotal"] / 1024)
        print(json.dumps(result, indent=2), flush=True)
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)  # a second SIGTERM must not stop the teardown
        if not args.keep:
            start = time.perf_counter()
            fabric.down(inv, log=lambda *a: None)
            print(json.dumps({"lab_down_s": round(time.perf_counter() - start, 1)}), flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
