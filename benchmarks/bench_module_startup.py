"""Benchmark: where the start-up time of a calico_* module run goes.

    .venv/bin/python benchmarks/bench_module_startup.py [--repeat 3]

Against the lab's Kubernetes API emulator (HTTPS, bearer token), two views:

1. ``ansible-playbook`` with one task that has nothing to do, per task (``profile_tasks``) and wall time:
   ``ansible.builtin.ping`` (Ansible's own cost of running any module), ``kubefabric.bgp.calico_bgp_configuration``
   (the ``default`` BGPConfiguration already as wanted) and ``kubernetes.core.k8s_info`` (read the same object).
2. Inside one fresh Python process, what a calico module does before its own work, each step timed:
   ``import kubernetes`` (the client and its generated models), the collection's module_utils imports, the
   kubeconfig load + ``Configuration``/``ApiClient``/``DynamicClient``, the group discovery
   (``GET /apis/projectcalico.org/v3``: the first request, TCP + TLS handshake), a GET of the object, a
   second GET (connection reuse).  ``-X importtime`` lists the slowest imports.

Prints JSON lines; ``--markdown`` prints the tables for docs/performance.md.
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

STEPS = r'''
import json, sys, time
t = [("start", time.perf_counter())]
import kubernetes, kubernetes.dynamic
t.append(("import kubernetes (client, models, dynamic)", time.perf_counter()))
sys.path.insert(0, %(build)r)
from ansible_collections.kubefabric.bgp.plugins.module_utils.calico import k8s, manage, resources
from ansible.module_utils.basic import AnsibleModule
t.append(("import the collection's module_utils + AnsibleModule", time.perf_counter()))
transport = k8s.Transport({"kubeconfig": %(kubeconfig)r})
t.append(("kubeconfig load, Configuration, ApiClient, DynamicClient", time.perf_counter()))
client = k8s.KubeClient(transport)
group = client.calico_group
t.append(("discovery GET /apis/projectcalico.org/v3 (first request: TCP + TLS)", time.perf_counter()))
client.get("BGPConfiguration", "default")
t.append(("GET bgpconfigurations/default", time.perf_counter()))
client.get("BGPConfiguration", "default")
t.append(("second GET (same client)", time.perf_counter()))
print(json.dumps([(name, round(b - a, 4)) for (_, a), (name, b) in zip(t, t[1:])]))
'''


def one_task_playbook(path, module, args):
    path.write_text(json.dumps([{"hosts": "localhost", "gather_facts": False,
                                 "tasks": [{"name": "the task", module: args}]}]))
    return path


def run_playbook(book, env):
    cmd = [str(Path(sys.executable).parent / "ansible-playbook"), "-i", "localhost,", "-c", "local", str(book),
           "-e", "ansible_python_interpreter=%s" % sys.executable]
    start = time.perf_counter()
    proc = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, check=False)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(proc.stdout[-3000:])
    task = re.search(r"^the task -+ (\d+\.\d+)s", proc.stdout, re.M)
    return wall, float(task.group(1)) if task else None


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--markdown", action="store_true")
    args = parser.parse_args()
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(REPO / ".build"), ANSIBLE_NOCOLOR="1",
               ANSIBLE_CALLBACKS_ENABLED="ansible.posix.profile_tasks")
    config = {"apiVersion": V3, "kind": "BGPConfiguration", "metadata": {"name": "default"},
              "spec": {"asNumber": 64512, "nodeToNodeMeshEnabled": False}}
    rows = []
    steps_runs = []
    imports = []
    with KubeAPIServer("127.0.0.1", 0, preload=[config]) as kube, tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        books = {
            "ansible.builtin.ping": one_task_playbook(tmp / "ping.yml", "ansible.builtin.ping", {}),
            "kubefabric.bgp.calico_bgp_configuration (no change)": one_task_playbook(
                tmp / "calico.yml", "kubefabric.bgp.calico_bgp_configuration",
                {"kubeconfig": kube.kubeconfig_path, "as_number": 64512, "node_to_node_mesh_enabled": False}),
            "kubernetes.core.k8s_info (same object)": one_task_playbook(
                tmp / "k8s_info.yml", "kubernetes.core.k8s_info",
                {"kubeconfig": kube.kubeconfig_path, "api_version": V3, "kind": "BGPConfiguration",
                 "name": "default"}),
            "kubernetes.core.k8s (same object, no change)": one_task_playbook(
                tmp / "k8s.yml", "kubernetes.core.k8s",
                {"kubeconfig": kube.kubeconfig_path, "state": "present", "definition": config}),
        }
        for name, book in books.items():
            walls, tasks = [], []
            for _run in range(args.repeat):
                wall, task = run_playbook(book, env)
                walls.append(wall)
                tasks.append(task)
            row = {"playbook": name, "wall_s_median": round(statistics.median(walls), 2),
                   "task_s_median": round(statistics.median([t for t in tasks if t is not None]), 2),
                   "writes": kube.counter.writes}
            print(json.dumps(row), flush=True)
            rows.append(row)
        script = STEPS % {"build": str(REPO / ".build"), "kubeconfig": kube.kubeconfig_path}
        for _run in range(args.repeat):
            out = subprocess.run([sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                 text=True, check=True)
            steps_runs.append(json.loads(out.stdout))
        steps = [(name, round(statistics.median(run[i][1] for run in steps_runs), 3))
                 for i, name in enumerate(step[0] for step in steps_runs[0])]
        print(json.dumps({"steps_median_s": steps}), flush=True)
        out = subprocess.run([sys.executable, "-X", "importtime", "-c", "import kubernetes, kubernetes.dynamic"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, check=True)
        for line in out.stderr.splitlines():
            match = re.match(r"import time:\s+(\d+) \|\s+(\d+) \|(\s*)(\S+)", line)
            if match:
                imports.append((int(match.group(2)), len(match.group(3)) // 2, match.group(4)))
        top = [(name, round(cum / 1e6, 3)) for cum, depth, name in sorted(imports, reverse=True)
               if depth <= 2][:10]
        print(json.dumps({"slowest_imports_cumulative_s": top}), flush=True)
    if args.markdown:
        print("| playbook (one task, nothing to change) | ansible-playbook wall s | task s |")
        print("|---|---:|---:|")
        for r in rows:
            print("| %s | %.2f | %.2f |" % (r["playbook"], r["wall_s_median"], r["task_s_median"]))
        print()
        print("| step inside one module process | s |")
        print("|---|---:|")
        for name, secs in steps:
            print("| %s | %.3f |" % (name, secs))
        print()
        print("| import (cumulative) | s |")
        print("|---|---:|")
        for name, secs in top:
            print("| `%s` | %.3f |" % (name, secs))


if __name__ == "__main__":
    main()
