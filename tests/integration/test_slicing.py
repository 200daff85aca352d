# -*- coding: utf-8 -*-
# Copyright: kubefabric.bgp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""AWX job slicing, for real: three Kubernetes clusters of 20 nodes (docs/multi_cluster.md) on three shared FRR
leaves and one FRR spine (every leaf serves a rack of every cluster), the rr_per_leaf pattern, run (a) as one
unsliced job and (b) as the sliced workflow of docs/awx.md: the plan node, then 3 slices at once (3 concurrent
``ansible-runner`` processes, each with the inventory AWX gives a slice: hosts sorted by name, slice k of 3 gets
``sorted[k-1::3]``, every group and its variables, only the slice's hosts and their variables), then the finish
node. Each job runs as AWX runs it: an inventory script, the job's extra variables, the plan node's
``set_stats`` passed on as extra variables of the following nodes.

Both end in the same Calico objects of every cluster (Nodes' Calico settings, BGPPeers, BGPConfiguration) and
the same device configurations (``frr_bgp`` ``state: gathered``), with no failed task; rerunning either (sliced,
and unsliced over the sliced result) changes nothing. Long (two labs of 60 nodes): KUBEFABRIC_LONG=1.
"""
import json
import os
import ssl
import urllib.request
from pathlib import Path

import pytest
import yaml

from .awxslice import RUNNER, awx_slice, changed, fabric_inventory, flatten, private_data_dir, run_all, \
    sliced_workflow, unsliced, with_lab

SLICES = 3
CLUSTERS = 3
PER_CLUSTER = 20
LEAVES = 3

pytestmark = [
    pytest.mark.skipif(not RUNNER.exists(), reason="needs ansible-runner in the project venv (make setup)"),
    pytest.mark.skipif(not os.environ.get("KUBEFABRIC_LONG"), reason="long (two labs of 60 nodes): KUBEFABRIC_LONG=1"),
]


def k8s_get(kubeconfig, path):
    config = yaml.safe_load(Path(kubeconfig).read_text())
    cluster, user = config["clusters"][0]["cluster"], config["users"][0]["user"]
    context = ssl.create_default_context()
    ca_file = Path(kubeconfig).parent / "slicing-test-ca.pem"
    if "certificate-authority-data" in cluster:
        import base64  # pylint: disable=import-outside-toplevel
        ca_file.write_bytes(base64.b64decode(cluster["certificate-authority-data"]))
        context.load_verify_locations(str(ca_file))
    elif "certificate-authority" in cluster:
        context.load_verify_locations(cluster["certificate-authority"])
    request = urllib.request.Request(cluster["server"] + path, headers={"Authorization": "Bearer %s" % user["token"]})
    with urllib.request.urlopen(request, context=context, timeout=30) as response:  # noqa: S310 (lab, loopback)
        return json.loads(response.read())


def calico_state(kubeconfig):
    """Every Calico object the patterns write, without the server's bookkeeping: BGPPeers, BGPConfigurations and
    the Calico settings of each Node (its projectcalico.org annotations, its labels)."""
    state = {}
    for path in ("/apis/crd.projectcalico.org/v1/bgppeers", "/apis/crd.projectcalico.org/v1/bgpconfigurations"):
        for item in k8s_get(kubeconfig, path).get("items", []):
            meta = item["metadata"]
            state["%s/%s" % (path.rsplit("/", 1)[1], meta["name"])] = {
                "labels": meta.get("labels") or {}, "spec": item.get("spec")}
    for item in k8s_get(kubeconfig, "/api/v1/nodes")["items"]:
        meta = item["metadata"]
        state["node/%s" % meta["name"]] = {
            "labels": meta.get("labels") or {},
            "annotations": {k: v for k, v in (meta.get("annotations") or {}).items() if "projectcalico.org" in k}}
    return state


def device_state(root, tag, flat):
    """``frr_bgp`` ``state: gathered`` of every device, through one unsliced job."""
    full, _hosts = awx_slice(flat, 1, 1)
    pdd = private_data_dir(root, tag, full, [{
        "name": "Gather", "hosts": "network_devices", "gather_facts": False,
        "tasks": [{"name": "Gather", "delegate_to": "localhost", "register": "gathered",
                   "vars": {"c": "{{ hostvars[inventory_hostname] | kubefabric.bgp.device_connection("
                                 "inventory_hostname, platform) }}"},
                   "kubefabric.bgp.frr_bgp": {
                       "hostname": "{{ c.hostname }}", "username": "{{ c.username | default(omit) }}",
                       "password": "{{ c.password | default(omit) }}", "port": "{{ c.port | default(omit) }}",
                       "known_hosts_file": "{{ c.known_hosts_file | default(omit) }}",
                       "host_keys": "{{ c.host_keys | default(omit) }}", "state": "gathered"}}]}], {})
    stats, events, _out = run_all([pdd])[0]
    out = {}
    for event in events:
        data = event.get("event_data", {})
        if event.get("event") == "runner_on_ok" and data.get("task") == "Gather":
            out[data["host"]] = data["res"]["gathered"]
    assert sorted(out) == sorted(flat["groups"]["spines"]["hosts"] + flat["groups"]["leaves"]["hosts"]), stats
    return out


@pytest.fixture
def lab_module():
    if os.geteuid() != 0:
        pytest.skip("the lab needs root (network namespaces)")
    from lab import fabric  # pylint: disable=import-outside-toplevel
    return fabric


def converge(fabric, root, tag, run):
    """Bring up a fresh lab, ``run(flat)`` on it, read both sides, tear the lab down."""
    inv_dir = root / ("slc%s%05d" % (tag, os.getpid() % 100000))
    inv_dir.mkdir()
    inventory = inv_dir / "inventory.yml"
    inventory.write_text(yaml.safe_dump(fabric_inventory("198.18.%d" % (60 + len(tag)), CLUSTERS, PER_CLUSTER, LEAVES)))
    lab = fabric.Lab(inventory)
    try:
        fabric.up(inventory, log=lambda *a: None)
        flat = with_lab(flatten(yaml.safe_load(inventory.read_text())),
                        json.loads((lab.dir / "lab-inventory.yml").read_text()))
        result = run(flat)
        kubeconfigs = {name: flat["groups"][name]["vars"]["k8s_kubeconfig"]
                       for name in flat["groups"]["kubefabric_clusters"]["children"]}
        assert len(kubeconfigs) == CLUSTERS and len(set(kubeconfigs.values())) == CLUSTERS  # an API per cluster
        return result, {name: calico_state(path) for name, path in kubeconfigs.items()}, \
            device_state(root, tag + "-devices", flat)
    finally:
        fabric.down(inventory, log=lambda *a: None)


def test_sliced_and_unsliced_converge_to_the_same_state(lab_module, tmp_path):
    def one_job(flat):
        first = unsliced(tmp_path, "a-1", flat)
        again = unsliced(tmp_path, "a-2", flat)
        return first, again

    (first, again), calico_a, devices_a = converge(lab_module, tmp_path, "a", one_job)
    assert changed(first[0]) > 0 and changed(again[0]) == 0, again[0]

    def workflow(flat):
        done = sliced_workflow(tmp_path, "b-1", flat, SLICES)
        rerun = sliced_workflow(tmp_path, "b-2", flat, SLICES)
        over = unsliced(tmp_path, "b-3", flat)
        return done, rerun, over

    (done, rerun, over), calico_b, devices_b = converge(lab_module, tmp_path, "bb", workflow)
    plan, slices, last, parts = done
    assert changed(plan[0]) == 0  # the plan node writes nothing but the Lease
    # the slices partition the inventory; each applied its own part and changed something
    assert sum(len(p) for p in parts) == len(set().union(*parts)) == CLUSTERS * PER_CLUSTER + LEAVES + 1
    for stats, _events, out in slices:
        assert changed(stats) > 0, out[-2000:]
        assert "session ends" in out  # each slice verified its own sessions
    assert "Established" in last[2]  # the finish node verified the whole fabric
    # every Calico object and device was written by exactly one slice
    writers = {}
    for number, (_stats, events, _out) in enumerate(slices, 1):
        for event in events:
            data = event.get("event_data", {})
            if event.get("event") == "runner_on_ok" and data.get("task_action") in (
                    "kubefabric.bgp.calico_node", "kubefabric.bgp.calico_bgp_peer", "kubefabric.bgp.frr_bgp"):
                args = data.get("res", {}).get("invocation", {}).get("module_args", {})
                names = [data["host"]] if data["task_action"] == "kubefabric.bgp.frr_bgp" else \
                    [n.get("name") for n in args.get("nodes" if data["task_action"].endswith("calico_node") else "peers")
                     or []]
                for name in names:  # a Calico object is (its cluster's API, its name)
                    writers.setdefault((data["task_action"], args.get("kubeconfig"), name), []).append(number)
    assert writers and all(len(v) == 1 for v in writers.values()), {k: v for k, v in writers.items() if len(v) > 1}
    assert len([k for k in writers if k[0] == "kubefabric.bgp.calico_node"]) == CLUSTERS * PER_CLUSTER
    # rerun: nothing changes, sliced or not
    for stats, _events, out in list(rerun[1]) + [rerun[0], rerun[2]]:
        assert changed(stats) == 0, out[-3000:]
    assert changed(over[0]) == 0, over[2][-3000:]
    # the same end state, in every cluster
    assert sorted(calico_a) == ["c1", "c2", "c3"] and all(calico_a.values())
    assert calico_a == calico_b
    assert devices_a == devices_b
