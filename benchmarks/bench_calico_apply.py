"""Benchmark: the cluster side, kubefabric.bgp's calico_* modules side by side with kubernetes.core.k8s.

    .venv/bin/python benchmarks/bench_calico_apply.py [--peers 50] [--nodes 20] [--repeat 3] [--markdown]

Both tools apply the same Calico objects to the lab's Kubernetes API emulator (``lab/kubeapi``,
HTTPS, bearer token, projectcalico.org/v3 served as the Calico API server does):

* ``--peers`` BGPPeers (node selector + peer IP + AS),
* the ``default`` BGPConfiguration (mesh off, AS, service cluster IPs),
* on ``--nodes`` core/v1 Nodes, Calico's BGP annotations (AS number, IPv4 address, RR cluster ID on
  every fourth node) and a Calico label.

Each tool runs as a three-task playbook (peers, configuration, nodes) with the real
``ansible-playbook``, against its own fresh emulator, in this order: check mode on the empty
cluster, first apply, idempotent rerun, check mode again on the applied state; the two tools take
turns phase by phase so that both see the same machine load.  Measured: wall time
of ``ansible-playbook``, the per-task times (``ansible.posix.profile_tasks``), writes counted by the
emulator (mutating requests that are not dry runs) and dry-run requests.  One JSON line per run;
``--markdown`` prints the table for docs/performance.md.
"""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
from lab.kubeapi import KubeAPIServer  # noqa: E402

V3 = "projectcalico.org/v3"


def nodes_objects(count):
    out = []
    for i in range(count):
        name = "node%03d" % i
        out.append({"apiVersion": "v1", "kind": "Node",
                    "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name}},
                    "status": {"addresses": [{"type": "InternalIP", "address": "10.0.%d.%d" % (i // 200, i % 200 + 10)}]}})
    return out


def wanted(peers, nodes):
    """The objects in neutral form: ([peer dict], bgp config dict, [node bgp dict])."""
    peer_list = [{"name": "peer-%03d" % i, "peer_ip": "10.1.%d.%d" % (i // 200, i % 200 + 1),
                  "as_number": 65000 + i, "node_selector": "rack == 'rack%d'" % (i % 8)} for i in range(peers)]
    config = {"as_number": 64512, "node_to_node_mesh_enabled": False, "service_cluster_ips": ["10.96.0.0/12"]}
    node_list = []
    for i in range(nodes):
        entry = {"name": "node%03d" % i, "as_number": 64512 + (i % 8),
                 "ipv4_address": "10.0.%d.%d/16" % (i // 200, i % 200 + 10), "labels": {"rack": "rack%d" % (i % 8)}}
        if i % 4 == 0:
            entry["route_reflector_cluster_id"] = "244.0.0.%d" % (i % 200 + 1)
        node_list.append(entry)
    return peer_list, config, node_list


def playbook_collection(peer_list, config, node_list):
    return [{"name": "kubefabric.bgp", "hosts": "localhost", "gather_facts": False,
             "module_defaults": {"group/kubefabric.bgp.k8s": {"kubeconfig": "{{ kubeconfig }}"}},
             "tasks": [
                 {"name": "peers", "kubefabric.bgp.calico_bgp_peer": {"peers": peer_list}},
                 {"name": "bgp configuration", "kubefabric.bgp.calico_bgp_configuration": config},
                 {"name": "nodes", "kubefabric.bgp.calico_node": {"nodes": node_list}},
             ]}]


def playbook_kubernetes_core(peer_list, config, node_list):
    peers = [{"apiVersion": V3, "kind": "BGPPeer", "metadata": {"name": p["name"]},
              "spec": {"peerIP": p["peer_ip"], "asNumber": p["as_number"], "nodeSelector": p["node_selector"]}}
             for p in peer_list]
    bgpconfig = {"apiVersion": V3, "kind": "BGPConfiguration", "metadata": {"name": "default"},
                 "spec": {"asNumber": config["as_number"], "nodeToNodeMeshEnabled": config["node_to_node_mesh_enabled"],
                          "serviceClusterIPs": [{"cidr": c} for c in config["service_cluster_ips"]]}}
    nodes = []
    for n in node_list:
        annotations = {"projectcalico.org/ASNumber": str(n["as_number"]),
                       "projectcalico.org/IPv4Address": n["ipv4_address"],
                       "projectcalico.org/labels": json.dumps(n["labels"], sort_keys=True, separators=(",", ":"))}
        if "route_reflector_cluster_id" in n:
            annotations["projectcalico.org/RouteReflectorClusterID"] = n["route_reflector_cluster_id"]
        nodes.append({"apiVersion": "v1", "kind": "Node", "metadata": {"name": n["name"], "annotations": annotations}})
    return [{"name": "kubernetes.core", "hosts": "localhost", "gather_facts": False,
             "module_defaults": {"group/kubernetes.core.k8s": {"kubeconfig": "{{ kubeconfig }}"}},
             "tasks": [
                 {"name": "peers", "kubernetes.core.k8s": {"state": "present", "definition": peers}},
                 {"name": "bgp configuration", "kubernetes.core.k8s": {"state": "present", "definition": bgpconfig}},
                 {"name": "nodes", "kubernetes.core.k8s": {"state": "patched", "merge_type": "merge",
                                                           "definition": nodes}},
             ]}]


def ansible_env():
    env = dict(os.environ)
    env.update(ANSIBLE_COLLECTIONS_PATH=str(REPO / ".build"), ANSIBLE_FORCE_COLOR="0", ANSIBLE_NOCOLOR="1",
               ANSIBLE_CALLBACKS_ENABLED="ansible.posix.profile_tasks", PROFILE_TASKS_SORT_ORDER="none",
               ANSIBLE_PYTHON_INTERPRETER=sys.executable)
    return env


def run(playbook, kube, check=False):
    cmd = [str(Path(sys.executable).parent / "ansible-playbook"), "-i", "localhost,", "-c", "local",
           str(playbook), "-e", "kubeconfig=%s" % kube.kubeconfig_path,
           "-e", "ansible_python_interpreter=%s" % sys.executable]
    if check:
        cmd.append("--check")
    writes, dry = kube.counter.writes, kube.counter.dry_runs
    start = time.perf_counter()
    proc = subprocess.run(cmd, env=ansible_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          check=False)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit("ansible-playbook failed:\n%s" % proc.stdout[-4000:])
    changed = int(re.search(r"changed=(\d+)", proc.stdout).group(1))
    tasks = {}
    for name, secs in re.findall(r"^(peers|bgp configuration|nodes) -+ (\d+\.\d+)s", proc.stdout, re.M):
        tasks[name] = float(secs)
    return {"wall_s": round(wall, 2), "writes": kube.counter.writes - writes,
            "dry_runs": kube.counter.dry_runs - dry, "changed_tasks": changed, "task_s": tasks}


PHASES = (("check mode, empty cluster", True), ("first apply", False), ("rerun (idempotent)", False),
          ("check mode, applied", True))


def bench(tools, peers, nodes, tmp):
    """Every tool against its own fresh emulator; the phases interleaved (tool A, tool B, next phase) so
    that both tools see the same machine load."""
    results = []
    servers = []
    try:
        books = {}
        for tool, make_playbook in tools:
            playbook = Path(tmp) / ("%s.yml" % tool)
            playbook.write_text(json.dumps(make_playbook(*wanted(peers, nodes))))
            kube = KubeAPIServer("127.0.0.1", 0, preload=[nodes_objects(nodes)]).start()
            servers.append(kube)
            books[tool] = (playbook, kube)
        for phase, check in PHASES:
            for tool, (playbook, kube) in books.items():
                res = dict(tool=tool, phase=phase, peers=peers, nodes=nodes, **run(playbook, kube, check=check))
                print(json.dumps(res), flush=True)
                results.append(res)
    finally:
        for kube in servers:
            kube.stop()
    return results


def markdown(results):
    lines = ["| tool | run | wall s | per task s (peers / config / nodes) | API writes | dry-run requests | changed tasks |",
             "|---|---|---:|---|---:|---:|---:|"]
    for r in results:
        t = r["task_s"]
        lines.append("| %s | %s | %.1f | %s / %s / %s | %d | %d | %d |" % (
            r["tool"], r["phase"], r["wall_s"], t.get("peers", "-"), t.get("bgp configuration", "-"),
            t.get("nodes", "-"), r["writes"], r["dry_runs"], r["changed_tasks"]))
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--peers", type=int, default=50)
    parser.add_argument("--nodes", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=1, help="repeat on fresh servers; the table shows medians")
    parser.add_argument("--markdown", action="store_true")
    args = parser.parse_args()
    runs = []
    for _run in range(args.repeat):
        with tempfile.TemporaryDirectory() as tmp:
            runs.append(bench([("kubefabric.bgp", playbook_collection),
                               ("kubernetes.core.k8s", playbook_kubernetes_core)], args.peers, args.nodes, tmp))
    if args.markdown:
        print(markdown(medians(runs)))


def medians(runs):
    """Per (tool, phase): the median wall and task times over the runs; counts from the first run (they
    do not vary between runs)."""
    out = []
    for i, first in enumerate(runs[0]):
        same = [run[i] for run in runs]
        row = dict(first, wall_s=statistics.median(r["wall_s"] for r in same))
        row["task_s"] = {k: round(statistics.median(r["task_s"].get(k, 0) for r in same), 2) for k in first["task_s"]}
        row["runs"] = len(same)
        out.append(row)
    return out


if __name__ == "__main__":
    main()
