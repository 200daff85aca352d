"""Migrations refuse, before anything is read from or written to any cluster or device, what they cannot do
(docs/migrations.md): a slice of a sliced job (AWX job slicing inside the workflow of docs/awx.md, which passes
``kubefabric_workflow`` to every slice), and with several clusters on one fabric a run that does not say which
cluster to migrate and a cluster that does not exist (every migration, change_as included), and in change_as a node
of another cluster than the one it changes.

The real playbooks run with ansible-playbook against the examples' inventories; their endpoints (the lab's
addresses, no lab up) are never contacted: each run must stop at the refusing task, named in the output, with
host, field and fix, and no task that talks to an endpoint may have started."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
MULTI = REPO / "examples" / "multi_cluster" / "inventory.yml"
SINGLE = REPO / "examples" / "seed004_mesh_first" / "inventory.yml"
MIGRATIONS = ["mesh_to_rr.yml", "mesh_to_tor.yml", "rr_to_mesh.yml", "change_as.yml"]
# tasks that reach a Kubernetes API or a device: none may start in a refused run
ENDPOINT_TASKS = ["Pre-flight", "Take the fabric lock", "BGPConfiguration now", "The nodes' AS in the cluster",
                  "Read the fabric lock"]


def playbook(name, inventory, *extra):
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(REPO / ".build"), ANSIBLE_FORCE_COLOR="0", NO_COLOR="1",
               PATH=str(BIN) + os.pathsep + os.environ.get("PATH", ""),
               KUBECONFIG="/nonexistent/kubefabric-refused-test")
    out = subprocess.run([str(BIN / "ansible-playbook"), "-i", str(inventory), "-e",
                          "ansible_python_interpreter=%s" % sys.executable, str(REPO / "playbooks" / name)]
                         + list(extra), cwd=str(REPO), env=env, text=True, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, timeout=600, check=False)
    return out.returncode, out.stdout


def _no_endpoint_task(out):
    started = [t for t in ENDPOINT_TASKS if "TASK [" in out and any(
        line.startswith("TASK [") and t in line for line in out.splitlines())]
    assert started == [], (started, out[-3000:])


WORKFLOW = json.dumps({"kubefabric_workflow": {"plan": {"module_args": {}}, "hosts": ["b1-n1"], "holder": "x"},
                       "kubefabric_as_global": 64600})


@pytest.mark.parametrize("name", MIGRATIONS)
@pytest.mark.parametrize("inventory", [SINGLE, MULTI], ids=["one-cluster", "two-clusters"])
def test_a_slice_of_a_sliced_job_refuses_every_migration(name, inventory):
    rc, out = playbook(name, inventory, "-e", WORKFLOW, "-e", "kubefabric_cluster=blue")
    assert rc != 0, out[-3000:]
    migration = "kubefabric.bgp.%s" % name[:-4]
    assert ("localhost: kubefabric_workflow: %s is a migration and this run is a slice of a sliced job; nothing "
            "was changed Fix: run the migration as one unsliced job" % migration) in out, out[-3000:]
    assert "A migration runs as one unsliced job" in out
    # stopped before the plan (the fabric_plan tasks of the four migrations)
    assert not [line for line in out.splitlines() if line.startswith("TASK [") and any(
        t in line for t in ("Plan the target (", "Plan the source", "Plan the fabric as it is now"))], out[-3000:]
    _no_endpoint_task(out)


@pytest.fixture(scope="module")
def multi_rr(tmp_path_factory):
    """examples/multi_cluster with a route reflector per cluster (b1-n1, g1-n1): every migration can plan it."""
    data = yaml.safe_load(MULTI.read_text())
    for name, cluster in data["all"]["children"]["kubefabric_clusters"]["children"].items():
        cluster["hosts"]["%s1-n1" % name[0]]["route_reflector"] = True
        cluster["vars"]["route_reflector_cluster_id"] = "244.0.0.1"
    path = tmp_path_factory.mktemp("rr") / "inventory.yml"
    path.write_text(yaml.safe_dump(data))
    return path


@pytest.mark.parametrize("name", MIGRATIONS)
def test_several_clusters_need_the_cluster_to_migrate(name, multi_rr):
    extra = ["-e", "kubefabric_as_global=64600"] if name == "change_as.yml" else []
    rc, out = playbook(name, multi_rr, *extra)
    assert rc != 0, out[-3000:]
    assert ("localhost: kubefabric_cluster: the inventory has several clusters (blue, green) and a migration changes "
            "one at a time Fix: choose the cluster to migrate: -e kubefabric_cluster=<one of blue, green>") in out, \
        out[-3000:]
    _no_endpoint_task(out)
    rc, out = playbook(name, multi_rr, "-e", "kubefabric_cluster=red", *extra)
    assert rc != 0 and "kubefabric_cluster: kubefabric_cluster red is not a cluster of this inventory" in out, \
        out[-3000:]
    _no_endpoint_task(out)


def test_one_cluster_refuses_a_cluster_name():
    rc, out = playbook("mesh_to_tor.yml", SINGLE, "-e", "kubefabric_cluster=blue")
    assert rc != 0 and "kubefabric_cluster is blue but the inventory describes one cluster" in out, out[-3000:]
    _no_endpoint_task(out)


def test_change_as_of_one_cluster_refuses_another_clusters_node():
    rc, out = playbook("change_as.yml", MULTI, "-e", '{"kubefabric_as_nodes": {"g1-n1": 64600}}',
                       "-e", "kubefabric_cluster=blue")
    assert rc != 0, out[-3000:]
    assert "g1-n1: kubefabric_as_nodes: 'g1-n1' is not a node of cluster blue" in out, out[-3000:]
    assert ("name nodes of cluster blue (kubefabric_cluster) only; change another cluster's nodes in a run of that "
            "cluster") in out, out[-3000:]
    _no_endpoint_task(out)


def test_change_as_refuses_an_as_path_loop_with_another_cluster_before_any_endpoint():
    """The fabric the change would leave is planned first: blue's node b1-n1 in green's rack AS (both behind the
    eBGP devices) would make each cluster drop the other's routes - refused with both clusters, the AS and the
    nodes named, before the fabric lock or any read of a cluster or device."""
    rc, out = playbook("change_as.yml", MULTI, "-e", '{"kubefabric_as_nodes": {"b1-n1": 64701}}',
                       "-e", "kubefabric_cluster=blue")
    assert rc != 0, out[-3000:]
    assert ("kubefabric_as_nodes: the fabric this AS change would leave fails its plan: g1-n1: fabric_racks.g1.asn: "
            "clusters blue and green share AS 64701 behind eBGP devices (nodes b1-n1, g1-n1): each cluster's nodes "
            "drop the other's routes (AS-path loop)") in out, out[-3000:]
    assert "Nothing was read or written." in out
    _no_endpoint_task(out)
    # the same change to an AS nobody uses passes that plan and goes on to the cluster's first endpoint
    rc, out = playbook("change_as.yml", MULTI, "-e", '{"kubefabric_as_nodes": {"b1-n1": 64699}}',
                       "-e", "kubefabric_cluster=blue")
    started = [line for line in out.splitlines() if line.startswith("TASK [")]
    assert rc != 0 and "The nodes' AS in the cluster" in started[-1], out[-3000:]
    assert "share AS" not in out and "fails its plan" not in out


def test_change_as_of_one_cluster_acts_within_that_cluster(tmp_path):
    """With kubefabric_cluster the whole fabric is planned, that cluster's part kept, and the run goes on to its
    first endpoint: the AS check of that cluster's nodes through that cluster's own kubeconfig (no lab: green's
    kubeconfig is an empty file, blue's and the run's KUBECONFIG do not exist; each fails in its own words, so the
    error shows whose credentials the run used; it stops there having written nothing)."""
    data = yaml.safe_load(MULTI.read_text())
    clusters = data["all"]["children"]["kubefabric_clusters"]["children"]
    (tmp_path / "green.kubeconfig").write_text("")
    clusters["green"]["vars"]["k8s_kubeconfig"] = str(tmp_path / "green.kubeconfig")
    clusters["blue"]["vars"]["k8s_kubeconfig"] = str(tmp_path / "blue.kubeconfig")
    inventory = tmp_path / "inventory.yml"
    inventory.write_text(yaml.safe_dump(data))
    for cluster, words in (("green", "cannot load the kubeconfig"), ("blue", "does not exist")):
        rc, out = playbook("change_as.yml", inventory, "-e", "kubefabric_as_global=64600",
                           "-e", "kubefabric_cluster=%s" % cluster)
        assert rc != 0, out[-3000:]
        assert "this inventory has several clusters" not in out and "kubefabric_cluster:" not in out, out[-3000:]
        assert ("cluster %s: its nodes and Calico objects through its own credentials; device neighbours of owner "
                "scope dc1.%s on leaf1, leaf2, spine; other clusters untouched" % (cluster, cluster)) in out, out[-3000:]
        started = [line for line in out.splitlines() if line.startswith("TASK [")]
        assert "The nodes' AS in the cluster" in started[-1], out[-3000:]
        failed = [line for line in out.splitlines() if line.startswith("fatal: [localhost]")]
        assert len(failed) == 1 and words in failed[0], out[-3000:]
