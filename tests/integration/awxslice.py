# -*- coding: utf-8 -*-
# Copyright: kubefabric.bgp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""AWX jobs and sliced jobs as ansible-runner runs them (tests/integration/test_slicing.py and
benchmarks/bench_slicing.py): the inventory script AWX gives each slice, the private data dir of a job,
the workflow plan -> slices side by side -> finish with the plan node's set_stats passed on."""
import json
import os
import subprocess
import sys
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
RUNNER = BIN / "ansible-runner"
FORKS = 5  # every job's forks (ANSIBLE_FORKS), as a job template's forks


def fabric_inventory(mgmt_base, clusters, per_cluster, leaves=3):
    """``clusters`` Kubernetes clusters of ``per_cluster`` nodes (docs/multi_cluster.md; one cluster: the
    single-cluster format) on ``leaves`` shared FRR leaves and one FRR spine, rr_per_leaf: every leaf serves one
    rack of every cluster, two route reflectors per rack, every rack its own AS."""
    names = ["c%d" % (c + 1) for c in range(clusters)]
    groups, leaf_hosts = {}, {}
    for leaf in range(leaves):
        leaf_hosts["leaf%d" % (leaf + 1)] = {
            "platform": "frr", "fabric_role": "leaf", "ansible_host": "%s.%d" % (mgmt_base, 4 * (leaf + 1) + 2),
            "bgp_asn": 65101 + leaf, "router_id": "10.255.254.%d" % (11 + leaf), "racks": {},
            "uplinks": [{"peer": "spine1", "address": "10.254.0.%d/31" % (2 * leaf + 1),
                         "peer_address": "10.254.0.%d" % (2 * leaf)}]}
    for c, name in enumerate(names):
        racks, hosts = {}, {}
        for leaf in range(leaves):
            rack = "%sr%d" % (name, leaf + 1)
            racks[rack] = {"asn": 64600 + 10 * c + leaf}
            leaf_hosts["leaf%d" % (leaf + 1)]["racks"][rack] = "10.%d.%d.254" % (110 + c, leaf)
        for i in range(per_cluster):
            leaf, index = i % leaves, i // leaves
            hosts["%sn%02d" % (name, i + 1)] = dict(
                {"bgp_ipv4_address": "10.%d.%d.%d/24" % (110 + c, leaf, 11 + index), "rack": "%sr%d" % (name, leaf + 1)},
                **({"route_reflector": True} if index < 2 else {}))
        groups[name] = {"vars": {"calico_asn": 64700 + c, "fabric_racks": racks, "pod_cidr": "10.%d.0.0/16" % (200 + c),
                                 "service_cluster_ips": ["10.%d.0.0/16" % (90 + c)]},
                        "hosts": hosts}
    spine = {"spine1": {"platform": "frr", "fabric_role": "spine", "ansible_host": "%s.2" % mgmt_base,
                        "bgp_asn": 65100, "router_id": "10.255.254.1"}}
    devices = {"children": {"spines": {"hosts": spine}, "leaves": {"hosts": leaf_hosts}}}
    if clusters == 1:
        only = groups[names[0]]
        return {"all": {"vars": dict(only["vars"], fabric_pattern="rr_per_leaf"), "children": {
            "k8s_nodes": {"hosts": only["hosts"]}, "network_devices": devices}}}
    return {"all": {"vars": {"fabric_pattern": "rr_per_leaf", "kubefabric_fabric_id": "dc1"}, "children": {
        "kubefabric_clusters": {"children": groups},
        "k8s_nodes": {"children": {name: {} for name in names}},
        "network_devices": devices}}}


def flatten(inventory):
    """The inventory as AWX's inventory script prints it: ``{group: {hosts, children, vars}, _meta: {hostvars}}``."""
    groups, hostvars = {}, {}

    def walk(name, body):
        body = body or {}
        entry = groups.setdefault(name, {"hosts": [], "children": [], "vars": {}})
        entry["vars"].update(body.get("vars") or {})
        for host, hvars in (body.get("hosts") or {}).items():
            entry["hosts"].append(host)
            hostvars.setdefault(host, {}).update(hvars or {})
        for child, child_body in (body.get("children") or {}).items():
            entry["children"].append(child)
            walk(child, child_body)

    walk("all", inventory["all"])
    return {"groups": groups, "hostvars": hostvars}


def with_lab(flat, lab_inventory):
    """The lab's own connection variables (device addresses, users, keys; the kubeconfig) in the inventory."""
    lab_flat = flatten(lab_inventory)
    for group, body in lab_flat["groups"].items():  # all (the fabric's kubeconfig), each cluster's kubeconfig
        flat["groups"][group]["vars"].update(body["vars"])
    for host, hvars in lab_flat["hostvars"].items():
        flat["hostvars"][host].update(hvars)
    return flat


def awx_slice(flat, number, count):
    """AWX's rule (awx/main/models/inventory.py, get_script_data and get_sliced_hosts): the hosts ordered by
    name, slice ``number`` (1-based) of ``count`` keeps ``ordered[number-1::count]``; every group stays (with
    its variables and children), holding only the slice's hosts; only their host variables."""
    ordered = sorted(flat["hostvars"])
    keep = set(ordered[number - 1::count]) if count > 1 else set(ordered)
    script = {}
    for name, body in flat["groups"].items():
        script[name] = {"hosts": [h for h in body["hosts"] if h in keep], "children": list(body["children"]),
                        "vars": dict(body["vars"])}
    script["_meta"] = {"hostvars": {h: v for h, v in flat["hostvars"].items() if h in keep}}
    return script, keep


def private_data_dir(root, name, script, playbook, extravars):
    """An AWX job's private data dir; ``playbook`` is a playbook name or the plays themselves (a list)."""
    pdd = root / name
    (pdd / "project").mkdir(parents=True)
    if isinstance(playbook, list):
        (pdd / "project" / "site.yml").write_text(yaml.safe_dump(playbook))
    else:
        (pdd / "project" / "site.yml").write_text(
            "---\n- name: The job\n  ansible.builtin.import_playbook: %s\n" % playbook)
    (pdd / "inventory").mkdir()
    inv = pdd / "inventory" / "hosts"
    inv.write_text("#!%s\nimport json, sys\nprint(json.dumps(%s) if '--list' in sys.argv else '{}')\n"
                   % (sys.executable, repr(script)))
    inv.chmod(0o755)
    (pdd / "env").mkdir()
    (pdd / "env" / "envvars").write_text(yaml.safe_dump({
        "ANSIBLE_COLLECTIONS_PATH": str(REPO / ".build"), "ANSIBLE_NOCOLOR": "1", "ANSIBLE_FORKS": str(FORKS)}))
    (pdd / "env" / "extravars").write_text(json.dumps(dict({"kubefabric_verify_timeout": 300,
                                                            "kubefabric_verify_interval": 3}, **extravars,
                                                           ansible_python_interpreter=sys.executable)))
    return pdd


def start(pdd):
    env = dict(os.environ, PATH=str(BIN) + os.pathsep + os.environ.get("PATH", ""))
    env.pop("ANSIBLE_COLLECTIONS_PATH", None)
    return subprocess.Popen([str(RUNNER), "run", str(pdd), "-p", "site.yml", "--ident", "job"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)


def finish(pdd, proc):
    out, _err = proc.communicate(timeout=1800)
    artifacts = pdd / "artifacts" / "job"
    events = [json.loads(p.read_text()) for p in sorted((artifacts / "job_events").glob("*.json"))]
    found = [e["event_data"] for e in events if e.get("event") == "playbook_on_stats"]
    assert proc.returncode == 0 and found, "%s failed:\n%s" % (pdd.name, out[-6000:])
    assert (artifacts / "status").read_text().strip() == "successful", out[-3000:]
    stats = found[-1]
    assert not stats["failures"] and not stats["dark"], (pdd.name, stats)
    return stats, events, out


def run_all(pdds):
    """Start every job at once (the slices of a sliced job), wait for all."""
    procs = [(pdd, start(pdd)) for pdd in pdds]
    return [finish(pdd, proc) for pdd, proc in procs]


def changed(stats):
    return sum(stats["changed"].values())


def sliced_workflow(root, tag, flat, slices, pattern="kubefabric.bgp.rr_per_leaf", extravars=None):
    """plan node -> ``slices`` slices at once -> finish node, as the AWX workflow of examples/awx runs them.
    Returns the (stats, events) of every job and the hosts of every slice."""
    full, _hosts = awx_slice(flat, 1, 1)
    plan = run_all([private_data_dir(root, "%s-plan" % tag, full, "kubefabric.bgp.workflow_plan", extravars or {})])[0]
    artifacts = [e["event_data"].get("artifact_data") for e in plan[1] if e.get("event") == "playbook_on_stats"][-1]
    assert set(artifacts) == {"kubefabric_workflow"}, artifacts
    workflow = artifacts["kubefabric_workflow"]
    assert workflow["holder"] and workflow["hosts"] == sorted(flat["hostvars"])
    pdds, parts = [], []
    for number in range(1, slices + 1):
        script, hosts = awx_slice(flat, number, slices)
        parts.append(hosts)
        pdds.append(private_data_dir(root, "%s-slice%d" % (tag, number), script, pattern,
                                     dict(artifacts, **(extravars or {}))))
    slices = run_all(pdds)
    last = run_all([private_data_dir(root, "%s-finish" % tag, full, "kubefabric.bgp.workflow_finish",
                                     dict(artifacts, **(extravars or {})))])[0]
    return plan, slices, last, parts


def unsliced(root, tag, flat, pattern="kubefabric.bgp.rr_per_leaf", extravars=None):
    full, _hosts = awx_slice(flat, 1, 1)
    return run_all([private_data_dir(root, tag, full, pattern, extravars or {})])[0]


def task_seconds(events, task):
    """Duration (s) of the task called ``task``, by host (summed over its runs: once per cluster)."""
    out = {}
    for event in events:
        data = event.get("event_data", {})
        if event.get("event") in ("runner_on_ok", "runner_on_failed") and data.get("task") == task:
            out[data["host"]] = out.get(data["host"], 0.0) + (data.get("duration") or 0.0)
    return out
