"""Pre-flight and the fabric lock against the lab, with the real ansible-playbook.

Each fault must fail the run before its first write, naming the endpoint, and leave both sides as
they were: the Calico objects (Nodes' Calico annotations and labels, BGPPeers, BGPConfigurations,
Secrets) and every device's running configuration (vtysh of the FRR that carries each device: a real
FRR leaf, and the FRR behind the emulated Comware and RouterOS) are compared before and after.

Real parts throughout: namespaces, BIRD 1.6 on the nodes, FRR + OpenSSH, the Comware and RouterOS
emulators, the Kubernetes API emulator (RBAC enforced for the token users), kubectl.
"""
import json
import os
import re
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import yaml

from tests.integration.labrun import lab_from_text

REPO = Path(__file__).resolve().parents[2]

INVENTORY = """\
all:
  vars:
    calico_asn: 64512
    fabric_pattern: rr_per_leaf
    fabric_racks: {rack1: {asn: 64512}, rack2: {asn: 64513}, rack3: {asn: 64514}}
  children:
    k8s_nodes:
      hosts:
        pf-n1: {bgp_ipv4_address: 172.21.1.11/24, rack: rack1, route_reflector: true}
        pf-n1b: {bgp_ipv4_address: 172.21.1.12/24, rack: rack1}
        pf-n2: {bgp_ipv4_address: 172.21.2.11/24, rack: rack2, route_reflector: true}
        pf-n2b: {bgp_ipv4_address: 172.21.2.12/24, rack: rack2}
        pf-n3: {bgp_ipv4_address: 172.21.3.11/24, rack: rack3, route_reflector: true}
        pf-n3b: {bgp_ipv4_address: 172.21.3.12/24, rack: rack3}
    network_devices:
      hosts:
        spleaf:
          platform: frr
          fabric_role: spine
          ansible_host: 198.18.91.14
          bgp_asn: 65100
          router_id: 10.254.0.10
        frleaf:
          platform: frr
          fabric_role: leaf
          ansible_host: 198.18.91.2
          bgp_asn: 65101
          router_id: 10.254.0.1
          racks: {rack1: 172.21.1.254}
          uplinks: [{peer: spleaf, address: 10.254.1.1/31, peer_address: 10.254.1.0}]
        cwleaf:
          platform: comware
          fabric_role: leaf
          ansible_host: 198.18.91.6
          bgp_asn: 65102
          router_id: 10.254.0.2
          racks: {rack2: 172.21.2.254}
          uplinks: [{peer: spleaf, address: 10.254.1.3/31, peer_address: 10.254.1.2}]
        roleaf:
          platform: routeros
          fabric_role: leaf
          ansible_host: 198.18.91.10
          bgp_asn: 65103
          router_id: 10.254.0.3
          racks: {rack3: 172.21.3.254}
          uplinks: [{peer: spleaf, address: 10.254.1.5/31, peer_address: 10.254.1.4}]
"""
DEVICES = ("spleaf", "frleaf", "cwleaf", "roleaf")


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    with lab_from_text(tmp_path_factory.mktemp("preflight"), INVENTORY) as running:
        yield running


def playbook(inventory, handle, log, playbook="rr_per_leaf.yml", extra=(), inventories=(), wait=True):
    bin_dir = Path(sys.executable).parent
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(REPO / ".build"), ANSIBLE_FORCE_COLOR="0",
               ANSIBLE_NOCOLOR="1", PATH=str(bin_dir) + os.pathsep + os.environ.get("PATH", ""))
    cmd = [str(bin_dir / "ansible-playbook"), "-i", str(inventory), "-i", str(handle.dir / "lab-inventory.yml")]
    for path in inventories:
        cmd += ["-i", str(path)]
    cmd += [str(REPO / "playbooks" / playbook), "-e", "ansible_python_interpreter=%s" % sys.executable,
            "-e", "kubefabric_verify_timeout=180", "-e", "kubefabric_verify_interval=2"] + list(extra)
    proc = subprocess.Popen(cmd, env=env, cwd=str(REPO), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if not wait:
        return proc
    out = proc.communicate(timeout=900)[0]
    log.write_text(out)
    return proc.returncode, out


def kubectl(handle, *args, kubeconfig="kubeconfig", stdin=None, check=True):
    return subprocess.run(["kubectl", "--kubeconfig", str(handle.dir / kubeconfig)] + list(args), input=stdin,
                          capture_output=True, text=True, timeout=120, check=check)


def cluster_state(handle):
    """What the collection writes on the cluster side, without server bookkeeping and status."""
    out = {}
    for kind in ("nodes", "bgppeers.crd.projectcalico.org", "bgpconfigurations.crd.projectcalico.org",
                 "secrets", "leases.coordination.k8s.io"):
        items = json.loads(kubectl(handle, "get", kind, "-A", "-o", "json").stdout)["items"]
        for item in items:
            meta = item["metadata"]
            key = "%s/%s/%s" % (item["kind"], meta.get("namespace", ""), meta["name"])
            if item["kind"] == "Node":
                value = {"annotations": {k: v for k, v in (meta.get("annotations") or {}).items()
                                         if "projectcalico" in k},
                         "labels": meta.get("labels") or {}}
            else:
                value = {"spec": item.get("spec"), "data": item.get("data"), "labels": meta.get("labels")}
            out[key] = value
    return out


def device_configs(handle):
    """The running configuration of the FRR that carries each device (vtysh in its namespace)."""
    from lab.netns import Netns, sh
    state = handle.load()
    out = {}
    for host in DEVICES:
        device = state["devices"][host]
        frr_dir = Netns(device["ns"]).dir / ("frr-%s" % host)
        text = sh(["vtysh", "--vty_socket", str(frr_dir), "-c", "show running-config"], ns=device["ns"], check=False)
        out[host] = "\n".join(line for line in text.splitlines() if not line.startswith("!") or line == "!")
        assert "router bgp" in out[host], text
    return out


def snapshot(handle):
    return cluster_state(handle), device_configs(handle)


def failed_task(out):
    """The first task a host failed in and its fatal line."""
    current = None
    for line in out.splitlines():
        match = re.match(r"TASK \[(.*)\]", line)
        if match:
            current = match.group(1)
        if line.startswith(("fatal: ", "failed: [")):
            return current, line
    return None, None


def host_vars_file(tmp_path, name, hosts=None, all_vars=None, nodes=None):
    path = tmp_path / name
    data = {"all": {"vars": all_vars or {}, "children": {"network_devices": {"hosts": hosts or {}},
                                                         "k8s_nodes": {"hosts": nodes or {}}}}}
    path.write_text(yaml.safe_dump(data))
    return path


@pytest.fixture(scope="module")
def converged(lab, tmp_path_factory):
    fabric, inventory, handle = lab
    log = tmp_path_factory.mktemp("converged") / "run.log"
    rc, out = playbook(inventory, handle, log)
    assert rc == 0, out[-6000:]
    assert "Pre-flight - Calico dry run" in out and "Take the fabric lock" in out and "Release the fabric lock" in out
    # nothing left locked
    assert "kubefabric-fabric-lock" not in kubectl(handle, "get", "leases", "-n", "kube-system").stdout
    return lab


def assert_refused_before_writing(handle, before, out, task_part, *names):
    task, line = failed_task(out)
    assert task is not None, out[-4000:]
    assert task_part in task, (task, line)
    for name in names:
        assert name in line, (name, line[:3000])
    after = snapshot(handle)
    assert after[0] == before[0], "the cluster side changed"
    assert after[1] == before[1], "a device configuration changed"
    # the run stopped before the cluster side: no Calico task ran
    assert "TASK [kubefabric.bgp.calico" not in out, out[-4000:]


def test_device_unreachable_fails_in_preflight_and_changes_nothing(converged, tmp_path):
    fabric, inventory, handle = converged
    before = snapshot(handle)
    # a change the run would make on both sides if it got that far: rack1's AS
    change = host_vars_file(tmp_path, "rack.yml", all_vars={"fabric_racks": {
        "rack1": {"asn": 64522}, "rack2": {"asn": 64513}, "rack3": {"asn": 64514}}})
    fabric.device_stop(inventory, "frleaf", log=lambda *a: None)
    try:
        rc, out = playbook(inventory, handle, tmp_path / "run.log", inventories=[change])
    finally:
        fabric.device_start(inventory, "frleaf", log=lambda *a: None)
    assert rc != 0
    assert_refused_before_writing(handle, before, out, "Pre-flight", "pre-flight failed for 1 endpoint",
                                  "frleaf (198.18.91.2): hostname:")


def test_wrong_passwords_on_all_three_platforms_are_named_together(converged, tmp_path):
    _fabric, inventory, handle = converged
    before = snapshot(handle)
    wrong = host_vars_file(tmp_path, "wrong.yml", hosts={h: {"bgp_device_password": "not-the-password"}
                                                         for h in DEVICES[1:]})
    change = host_vars_file(tmp_path, "rack.yml", all_vars={"fabric_racks": {
        "rack1": {"asn": 64522}, "rack2": {"asn": 64513}, "rack3": {"asn": 64514}}})
    rc, out = playbook(inventory, handle, tmp_path / "run.log", inventories=[wrong, change])
    assert rc != 0
    assert_refused_before_writing(handle, before, out, "Pre-flight", "pre-flight failed for 3 endpoint",
                                  "frleaf", "cwleaf", "roleaf", "password")
    assert "not-the-password" not in out


def test_changed_host_key_fails_in_preflight(converged, tmp_path):
    _fabric, inventory, handle = converged
    before = snapshot(handle)
    lab_inv = json.loads((handle.dir / "lab-inventory.yml").read_text())
    known = Path(lab_inv["all"]["children"]["network_devices"]["hosts"]["frleaf"]["bgp_device_known_hosts"])
    forged = tmp_path / "known_hosts"
    keygen = tmp_path / "forged_key"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(keygen)], check=True)
    lines = []
    for line in known.read_text().splitlines():
        if line.startswith("198.18.91.2 ") or line.startswith("[198.18.91.2]"):
            line = "%s %s" % (line.split()[0], " ".join((keygen.with_suffix(".pub")).read_text().split()[:2]))
        lines.append(line)
    forged.write_text("\n".join(lines) + "\n")
    hosts = host_vars_file(tmp_path, "hk.yml", hosts={h: {"bgp_device_known_hosts": str(forged)}
                                                      for h in ("frleaf", "cwleaf")})
    rc, out = playbook(inventory, handle, tmp_path / "run.log", inventories=[hosts])
    assert rc != 0
    assert_refused_before_writing(handle, before, out, "Pre-flight", "frleaf", "known_hosts_file")


def test_hung_api_fails_in_preflight_with_the_devices_untouched(converged, tmp_path):
    _fabric, inventory, handle = converged
    before = snapshot(handle)
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    accepted = []
    stop = threading.Event()

    def accept():
        listener.settimeout(0.5)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])  # accepts TCP, never answers
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    config = yaml.safe_load((handle.dir / "kubeconfig").read_text())
    config["clusters"][0]["cluster"]["server"] = "https://127.0.0.1:%d" % listener.getsockname()[1]
    hung = tmp_path / "kubeconfig-hung"
    hung.write_text(yaml.safe_dump(config))
    try:
        rc, out = playbook(inventory, handle, tmp_path / "run.log", extra=[
            "-e", json.dumps({"kubefabric_k8s_auth": {"kubeconfig": str(hung), "request_timeout": 3}})])
    finally:
        stop.set()
        thread.join()
        for conn in accepted:
            conn.close()
        listener.close()
    assert rc != 0
    assert accepted, "the run never reached the hung API"
    assert_refused_before_writing(handle, before, out, "Pre-flight", "timed out", "Kubernetes API")


@pytest.mark.parametrize("case", ["service_cluster_ips", "rack_name"])
def test_invalid_calico_field_fails_before_the_node_tasks(converged, tmp_path, case):
    _fabric, inventory, handle = converged
    before = snapshot(handle)
    if case == "service_cluster_ips":
        bad = host_vars_file(tmp_path, "bad.yml", all_vars={"service_cluster_ips": ["10.96.0.0/12", "10.300.0.0/16"]})
        names = ["10.300.0.0/16"]
    else:
        bad = host_vars_file(tmp_path, "bad.yml", all_vars={"fabric_racks": {
            "Rack_1": {"asn": 64512}, "rack2": {"asn": 64513}, "rack3": {"asn": 64514}}},
            nodes={"pf-n1": {"rack": "Rack_1"}, "pf-n1b": {"rack": "Rack_1"}}, hosts={"frleaf": {"racks": {"Rack_1": "172.21.1.254"}}})
        names = ["Rack_1"]
    rc, out = playbook(inventory, handle, tmp_path / "run.log", inventories=[bad])
    assert rc != 0
    task, line = failed_task(out)
    assert task is not None and ("Pre-flight" in task or "Plan" in task), (task, line)
    for name in names:
        assert name in line, line[:3000]
    assert snapshot(handle) == before
    assert "TASK [kubefabric.bgp.calico" not in out


def test_no_rbac_permission_fails_in_preflight_then_the_shipped_rbac_is_enough(converged, tmp_path):
    _fabric, inventory, handle = converged
    before = snapshot(handle)
    nobody = {"kubefabric_k8s_auth": {"kubeconfig": str(handle.dir / "kubeconfig-nobody")}}
    rc, out = playbook(inventory, handle, tmp_path / "nobody.log", extra=["-e", json.dumps(nobody)])
    assert rc != 0
    assert_refused_before_writing(handle, before, out, "Pre-flight", "may not", "patch nodes", "create bgppeers",
                                  "create leases.coordination.k8s.io in namespace kube-system",
                                  "docs/rbac/kubefabric-controller.yaml")
    # the controller's service account before the manifest is applied: refused the same way
    controller = {"kubefabric_k8s_auth": {"kubeconfig": str(handle.dir / "kubeconfig-controller")}}
    rc, out = playbook(inventory, handle, tmp_path / "sa.log", extra=["-e", json.dumps(controller)])
    assert rc != 0 and "may not" in out
    # with the shipped RBAC the whole run (pre-flight, lock, both sides, verify) passes as that account
    kubectl(handle, "apply", "-f", str(REPO / "docs" / "rbac" / "kubefabric-controller.yaml"))
    try:
        rc, out = playbook(inventory, handle, tmp_path / "sa2.log", extra=["-e", json.dumps(controller)])
        assert rc == 0, out[-6000:]
    finally:
        kubectl(handle, "delete", "-f", str(REPO / "docs" / "rbac" / "kubefabric-controller.yaml"), check=False)


def test_check_mode_writes_nothing(converged, tmp_path):
    _fabric, inventory, handle = converged
    before = snapshot(handle)
    change = host_vars_file(tmp_path, "rack.yml", all_vars={"fabric_racks": {
        "rack1": {"asn": 64522}, "rack2": {"asn": 64513}, "rack3": {"asn": 64514}}})
    rc, out = playbook(inventory, handle, tmp_path / "check.log", inventories=[change], extra=["--check"])
    assert "Pre-flight - Calico dry run" in out, out[-4000:]
    assert snapshot(handle) == before
    assert rc in (0, 2), out[-4000:]


def node_as(handle):
    nodes = json.loads(kubectl(handle, "get", "nodes", "-o", "json").stdout)["items"]
    return {n["metadata"]["name"]: (n["metadata"].get("annotations") or {}).get("projectcalico.org/ASNumber")
            for n in nodes}


def test_two_concurrent_runs_one_wins_the_other_is_refused_before_writing(converged, tmp_path):
    _fabric, inventory, handle = converged
    targets = {"a": 64611, "b": 64621}
    procs = {}
    for run, asn in targets.items():
        change = host_vars_file(tmp_path, "%s.yml" % run, all_vars={"fabric_racks": {
            "rack1": {"asn": 64512}, "rack2": {"asn": asn}, "rack3": {"asn": 64514}}})
        procs[run] = playbook(inventory, handle, None, inventories=[change], wait=False)
    outs = {}
    for run, proc in procs.items():
        outs[run] = proc.communicate(timeout=900)[0]
        (tmp_path / ("%s.log" % run)).write_text(outs[run])
    codes = {run: procs[run].returncode for run in procs}
    winners = [run for run, code in codes.items() if code == 0]
    assert len(winners) == 1, (codes, {r: o[-3000:] for r, o in outs.items()})
    winner = winners[0]
    loser = "b" if winner == "a" else "a"
    task, line = failed_task(outs[loser])
    assert task and "Take the fabric lock" in task, (task, line)
    assert "locked by another run" in line and "Fix:" in line and "kubectl -n kube-system delete lease" in line, line
    assert "TASK [kubefabric.bgp.calico" not in outs[loser]
    # the end state is the winner's on both sides
    assert node_as(handle)["pf-n2"] == str(targets[winner])
    assert "neighbor 172.21.2.11 remote-as %d" % targets[winner] in device_configs(handle)["cwleaf"]
    assert "kubefabric-fabric-lock" not in kubectl(handle, "get", "leases", "-n", "kube-system").stdout
