# -*- coding: utf-8 -*-
# Copyright: kubefabric.bgp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""fabric_verify observes at the cost of reading, run by the real ansible-playbook against the emulated
Kubernetes API (``lab.kubeapi.KubeAPIServer``, which counts every mutating request) and a real FRR
switch over real OpenSSH (``lab.frrswitch``, bgpd logging every command).

* check mode writes nothing: 0 API writes and 0 dry runs, the CalicoNodeStatus objects as they were,
  no configuration command in bgpd's log, the running configuration unchanged; the node without a
  CalicoNodeStatus is reported as not observed, the one with an object is read.
* the device is read over ONE SSH connection for every round of the run.
* a normal run creates the one missing CalicoNodeStatus (labelled, kept); the next run writes nothing.
"""
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from lab.kubeapi import KubeAPIServer

REPO = Path(__file__).resolve().parents[2]
PYTHON = REPO / ".venv" / "bin" / "python"
PLAYBOOK_BIN = REPO / ".venv" / "bin" / "ansible-playbook"
SSH_PASSWORD = "Lab-Pass-verify1"
NODES = ("node1", "node2")
LEAF_IP = "172.20.0.254"
NODE_IPS = {"node1": "172.20.0.11", "node2": "172.20.0.12"}

pytestmark = pytest.mark.skipif(not PLAYBOOK_BIN.exists() or shutil.which("kubectl") is None,
                                reason="needs the project venv (make setup) and kubectl")

PLAN = {"sessions": {
    "nodes": {node: [{"peer_address": LEAF_IP, "peer_name": "leaf2", "peer_as": 65002}] for node in NODES},
    "devices": {"leaf2": [{"peer_address": NODE_IPS[n], "peer_name": n, "remote_as": 64512} for n in NODES]}}}

NODE1_STATUS = {"lastUpdated": "2026-01-01T09:36:20Z", "agent": {},
                "bgp": {"numberEstablishedV4": 1, "numberNotEstablishedV4": 0, "numberEstablishedV6": 0,
                        "numberNotEstablishedV6": 0, "peersV6": [],
                        "peersV4": [{"peerIP": LEAF_IP, "type": "GlobalPeer", "state": "Established",
                                     "since": "09:36:19"}]},
                "routes": {"routesV4": [], "routesV6": []}}


def cns_names(kube):
    out = subprocess.run([shutil.which("kubectl"), "--kubeconfig", kube.kubeconfig_path, "get",
                          "caliconodestatuses.crd.projectcalico.org", "-o", "json"],
                         capture_output=True, text=True, timeout=120, check=True)
    return sorted((i["metadata"]["name"], json.dumps(i.get("spec"), sort_keys=True))
                  for i in json.loads(out.stdout)["items"])


@pytest.fixture
def kube(tmp_path):
    nodes = [{"apiVersion": "v1", "kind": "Node", "metadata": {"name": n}} for n in NODES]
    own = {"apiVersion": "crd.projectcalico.org/v1", "kind": "CalicoNodeStatus",
           "metadata": {"name": "kubefabric-verify-node1",
                        "labels": {"app.kubernetes.io/managed-by": "kubefabric",
                                   "app.kubernetes.io/component": "fabric-verify"}},
           "spec": {"node": "node1", "classes": ["Agent", "BGP", "Routes"], "updatePeriodSeconds": 1},
           "status": NODE1_STATUS}
    server = KubeAPIServer("127.0.0.1", 0, workdir=str(tmp_path / "kubeapi"), preload=[nodes + [own]]).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def leaf(netns_factory, tmp_path):
    from lab.frrswitch import start_frr_switch  # pylint: disable=import-outside-toplevel
    sw = start_frr_switch(netns_factory("frr"), tmp_path / "leaf2", hostname="leaf2", username="admin",
                          password=SSH_PASSWORD)
    try:
        sw.frr.configure(["router bgp 65002"] + ["neighbor %s remote-as 64512" % ip for ip in NODE_IPS.values()])
        sw.frr.configure(["log commands"])
        yield sw
    finally:
        sw.stop()


def run_verify(tmp_path, kube, sw, check):
    known_hosts = tmp_path / "known_hosts"
    known_hosts.write_text(sw.known_hosts_line + "\n")
    inventory = {"all": {"hosts": {
        "localhost": {"ansible_connection": "local", "ansible_python_interpreter": str(PYTHON)},
        "leaf2": {"platform": "frr", "ansible_host": sw.address, "bgp_device_port": sw.port,
                  "bgp_device_username": "admin", "bgp_device_password": SSH_PASSWORD,
                  "bgp_device_known_hosts": str(known_hosts)}}}}
    (tmp_path / "inventory.yml").write_text(yaml.safe_dump(inventory))
    (tmp_path / "plan.json").write_text(json.dumps(PLAN))
    play = {"hosts": "localhost", "gather_facts": False, "tasks": [
        {"name": "Verify", "kubefabric.bgp.fabric_verify": {
            "plan": "{{ lookup('file', '%s') | from_json }}" % (tmp_path / "plan.json"),
            "kubeconfig": kube.kubeconfig_path, "timeout": 20, "interval": 1},
         "register": "verified", "ignore_errors": True}]}
    (tmp_path / "playbook.yml").write_text(yaml.safe_dump([play], sort_keys=False))
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(REPO / ".build"), ANSIBLE_STDOUT_CALLBACK="ansible.posix.json",
               ANSIBLE_NOCOLOR="1", ANSIBLE_LOCAL_TEMP=str(tmp_path / "ansible-tmp"), ANSIBLE_RETRY_FILES_ENABLED="0",
               ANSIBLE_HOST_KEY_CHECKING="0")
    cmd = [str(PLAYBOOK_BIN), "-i", str(tmp_path / "inventory.yml"), str(tmp_path / "playbook.yml")]
    proc = subprocess.run(cmd + (["--check"] if check else []), capture_output=True, text=True, env=env,
                          timeout=300, check=False)
    # the progress lines come before the callback's JSON document
    report = json.loads(proc.stdout[proc.stdout.index("\n{") + 1:] if not proc.stdout.startswith("{") else proc.stdout)
    assert "fabric_verify round 1 " in proc.stdout
    result = report["plays"][0]["tasks"][0]["hosts"]["localhost"]
    assert "error" not in result or result["error"].get("field") not in ("kubeconfig", "host"), result
    return result, proc


def config_commands(sw):
    log = Path(str(sw.frr.dir)) / "bgpd.log"
    text = log.read_text() if log.exists() else ""
    return [line for line in text.splitlines() if "VTY:" in line and "show" not in line]


def test_check_mode_writes_nothing_and_reads_each_device_over_one_connection(kube, leaf, tmp_path):
    objects = cns_names(kube)
    running = leaf.frr.running_config()
    commands = config_commands(leaf)
    writes, dry_runs = kube.write_count, kube.counter.dry_runs
    result, proc = run_verify(tmp_path, kube, leaf, check=True)
    # nothing written anywhere
    assert kube.write_count == writes and kube.counter.dry_runs == dry_runs, proc.stdout[-3000:]
    assert cns_names(kube) == objects
    assert leaf.frr.running_config() == running and config_commands(leaf) == commands
    # what could be read was read, what could not be is said so
    assert result["not_observed"] == ["node2"], result.get("msg")
    node1 = [r for r in result["rows"] if r["endpoint"] == "node1"]
    assert [r["verdict"] for r in node1] == ["ok"]
    assert {r["verdict"] for r in result["rows"] if r["endpoint"] == "node2"} == {"not observed"}
    # the device sessions are not up (no BGP speaker behind them): the task fails for them, after several
    # rounds, all over the one SSH connection the first round opened
    assert result["failed"] and result["rounds"] >= 2 and result["device_connections"] == 1
    assert result["status_objects_created"] == [] and result["status_objects_updated"] == []
    assert {r["endpoint"] for r in result["problems"]} == {"leaf2"}


def test_a_run_creates_the_missing_status_object_once_and_deletes_nothing(kube, leaf, tmp_path):
    writes = kube.write_count
    result, _proc = run_verify(tmp_path, kube, leaf, check=False)
    assert result["status_objects_created"] == ["kubefabric-verify-node2"] and result["status_objects_updated"] == []
    assert kube.write_count == writes + 1  # one create; no delete at the end
    names = [name for name, _spec in cns_names(kube)]
    assert names == ["kubefabric-verify-node1", "kubefabric-verify-node2"]
    again, _proc = run_verify(tmp_path, kube, leaf, check=False)
    assert again["status_objects_created"] == [] and kube.write_count == writes + 1
    assert [name for name, _spec in cns_names(kube)] == names
