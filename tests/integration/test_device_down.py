"""A device that is down: the pattern playbook fails in pre-flight naming it, before any change; without
pre-flight it fails in verify with a table naming the missing sessions; a rerun after the device comes
back converges without manual steps.

Real parts throughout: the lab fabric (namespaces, BIRD 1.6 on the nodes, FRR + OpenSSH on the
leaves), the Kubernetes API emulator, and ``ansible-playbook`` running the rr_per_leaf playbook.
``python -m lab device-stop`` kills every process of the device (FRR, sshd): its management
address stops answering and its BGP sessions drop; ``device-start`` starts it again from its saved
configuration (``write memory``, which the devices role does after every change).
"""
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.integration.labrun import lab_from_text

REPO = Path(__file__).resolve().parents[2]

INVENTORY = """\
all:
  vars:
    fabric_pattern: rr_per_leaf
    calico_asn: 64512
    fabric_racks:
      rack1: {asn: 64512}
      rack2: {asn: 64513}
  children:
    k8s_nodes:
      hosts:
        node1: {bgp_ipv4_address: 172.20.0.11/24, rack: rack1, route_reflector: true}
        node2: {bgp_ipv4_address: 172.20.0.12/24, rack: rack1}
        node3: {bgp_ipv4_address: 173.20.0.11/24, rack: rack2, route_reflector: true}
        node4: {bgp_ipv4_address: 173.20.0.12/24, rack: rack2}
    network_devices:
      hosts:
        spine1:
          platform: frr
          fabric_role: spine
          ansible_host: 198.18.77.10
          bgp_asn: 65000
          router_id: 10.255.255.1
        leaf1:
          platform: frr
          fabric_role: leaf
          ansible_host: 198.18.77.2
          bgp_asn: 65001
          router_id: 10.255.255.11
          racks: {rack1: 172.20.0.254}
          uplinks:
            - {peer: spine1, address: 10.255.0.1/31, peer_address: 10.255.0.0}
        leaf2:
          platform: frr
          fabric_role: leaf
          ansible_host: 198.18.77.6
          bgp_asn: 65002
          router_id: 10.255.255.12
          racks: {rack2: 173.20.0.254}
          uplinks:
            - {peer: spine1, address: 10.255.0.3/31, peer_address: 10.255.0.2}
"""


@pytest.fixture
def lab_fabric(tmp_path):
    with lab_from_text(tmp_path / "devdown", INVENTORY) as running:
        yield running


def run_playbook(inventory, lab, log, timeout=60, playbook="rr_per_leaf.yml", extra=()):
    bin_dir = Path(sys.executable).parent
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(REPO / ".build"), ANSIBLE_FORCE_COLOR="0",
               ANSIBLE_NOCOLOR="1", PATH=str(bin_dir) + os.pathsep + os.environ.get("PATH", ""))
    cmd = [str(bin_dir / "ansible-playbook"), "-i", str(inventory), "-i", str(lab.dir / "lab-inventory.yml"),
           str(REPO / "playbooks" / playbook), "-e", "ansible_python_interpreter=%s" % sys.executable,
           "-e", "kubefabric_verify_timeout=%d" % timeout, "-e", "kubefabric_verify_interval=2"] + list(extra)
    proc = subprocess.run(cmd, env=env, cwd=str(REPO), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, timeout=900, check=False)
    log.write_text(proc.stdout)
    return proc.returncode, proc.stdout


def failed_tasks(output):
    """``[(task, host, fatal line)]``: every task a host failed in (the TASK header before each 'fatal:', or
    each 'failed:' line of a looped task, as the device role loops over owner scopes)."""
    current, out = None, []
    for line in output.splitlines():
        match = re.match(r"TASK \[(.*)\]", line)
        if match:
            current = match.group(1)
        match = re.match(r"(?:fatal|failed): \[([^\]]+)\]", line)
        if match:
            out.append((current, match.group(1).split(" ")[0], line))
    return out


def table_rows(output):
    """The verify table's data rows as tuples (endpoint, peer address, peer, expected, observed, verdict)."""
    rows = []
    for line in output.replace("\\n", "\n").splitlines():
        line = line.strip()
        if line.startswith("| ") and not line.startswith("| ENDPOINT"):
            cells = tuple(c.strip() for c in line.strip("|").split("|"))
            if len(cells) == 6:
                rows.append(cells)
    return rows


def test_device_down_fails_in_verify_then_converges(lab_fabric, tmp_path):
    fabric, inventory, lab = lab_fabric
    state = lab.load()
    leaf2_ns = state["devices"]["leaf2"]["ns"]

    # 1. the fabric converges with both leaves up
    rc, out = run_playbook(inventory, lab, tmp_path / "run1.log")
    assert rc == 0, out[-5000:]
    match = re.search(r'"msg": "(\d+)/(\d+) session ends Established', out)  # the Converged line
    assert match and match.group(1) == match.group(2), out[-3000:]
    # every block at the 3 other nodes and the 3 devices: 4 blocks x 6 endpoints
    assert "24/24 prefixes present" in out, out[-3000:]

    # status.yml, narrowed with --limit: node1's calicoctl table and leaf1's view, nothing of the others
    rc, out = run_playbook(inventory, lab, tmp_path / "status.log", playbook="status.yml",
                           extra=["--limit", "node1,leaf1,localhost"])
    assert rc == 0, out[-5000:]
    assert "IPv4 BGP status" in out and "172.20.0.12" in out and "172.20.0.254" in out, out[-5000:]
    assert "ok: [node1]" in out and "ok: [leaf1" in out, out[-5000:]
    assert "[node3]" not in out and "[leaf2" not in out, out[-5000:]
    # drift.yml (check mode) right after the converged run: no difference on either side
    rc, out = run_playbook(inventory, lab, tmp_path / "drift.log", playbook="drift.yml")
    assert rc == 0, out[-5000:]
    for host in ("localhost", "spine1", "leaf1", "leaf2"):
        assert re.search(r"%s\s*:\s*ok=\d+\s+changed=0\s" % host, out), out[-3000:]
    # a BGPPeer removed by hand is drift on the cluster side, reported and not repaired
    kubectl = ["kubectl", "--kubeconfig", str(lab.dir / "kubeconfig")]
    peers = subprocess.run(kubectl + ["get", "bgppeers.crd.projectcalico.org", "-o", "name"], stdout=subprocess.PIPE,
                           text=True, check=True).stdout.split()
    assert peers, "the plan has BGPPeers"
    subprocess.run(kubectl + ["delete", peers[0]], check=True, stdout=subprocess.PIPE)
    rc, out = run_playbook(inventory, lab, tmp_path / "drift2.log", playbook="drift.yml")
    assert rc == 0 and re.search(r"localhost\s*:\s*ok=\d+\s+changed=[1-9]", out), out[-3000:]
    assert peers[0].split("/")[-1] in out, out[-3000:]
    assert subprocess.run(kubectl + ["get", peers[0]], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          check=False).returncode != 0  # check mode: still gone
    rc, out = run_playbook(inventory, lab, tmp_path / "run1b.log")  # put it back
    assert rc == 0, out[-5000:]

    # 2. leaf2 goes down: its processes are gone, the management address does not answer
    pids = fabric.device_stop(inventory, "leaf2", log=lambda *a: None)
    assert pids
    left = subprocess.run(["ip", "netns", "pids", leaf2_ns], stdout=subprocess.PIPE, text=True,
                          check=False).stdout.split()
    assert left == []

    # by default the run stops in pre-flight, before anything is changed on either side
    rc, out = run_playbook(inventory, lab, tmp_path / "run2-preflight.log", timeout=20)
    assert rc != 0, out[-5000:]
    failures = failed_tasks(out)
    assert len(failures) == 1 and "Pre-flight" in failures[0][0] and failures[0][1] == "localhost", failures
    assert "leaf2 (198.18.77.6): hostname:" in failures[0][2] and "pre-flight failed for 1 endpoint" in failures[0][2], failures
    assert "TASK [kubefabric.bgp.calico" not in out and "Configure every network device" not in out

    # without pre-flight, the devices play fails on leaf2 and verify names what is missing
    rc, out = run_playbook(inventory, lab, tmp_path / "run2.log", timeout=20, extra=["-e", "kubefabric_preflight=false"])
    assert rc != 0, out[-5000:]
    failures = failed_tasks(out)
    # the device task (every device at once, from the controller) named leaf2 only (cannot connect), the other
    # devices were configured, then verify ran and failed on the controller
    task, host, line = failures[0]
    assert "Configure every network device" in task and host == "localhost", failures
    assert "1 of 3 device configuration(s) failed" in line and "leaf2 (198.18.77.6): hostname:" in line, line
    verify = [(task, line) for task, host, line in failures if "Wait until both sides show exactly" in task]
    assert len(verify) == 1, failures
    task, line = verify[0]
    assert re.search(r"the fabric (does not match|did not converge to) the plan", line), line
    rows = table_rows(line)
    problems = {(r[0], r[1]): r for r in rows}
    # leaf2 itself is unreachable: its expected session (to node3, the RR of rack2) is missing ...
    assert problems[("leaf2", "173.20.0.11")][4:] == ("unreachable", "missing"), rows
    # ... and the node side: the RR's session to leaf2 is not established
    assert problems[("node3", "173.20.0.254")][5] == "not established", rows
    # leaf1's side is fine and not named
    assert not [r for r in rows if r[0] == "leaf1" or r[1] == "172.20.0.254"], rows
    # the device failure came first and was reported again after verify would have passed
    assert "...ignoring" in out

    # 3. leaf2 comes back with its saved configuration; a plain rerun converges
    fabric.device_start(inventory, "leaf2", log=lambda *a: None)
    rc, out = run_playbook(inventory, lab, tmp_path / "run3.log")
    assert rc == 0, out[-5000:]
    match = re.search(r'"msg": "(\d+)/(\d+) session ends Established', out)  # the Converged line
    assert match and match.group(1) == match.group(2), out[-3000:]
    # the rerun changed nothing on leaf2: the saved configuration was complete, so pre-flight found nothing to
    # write and the device task was skipped
    assert re.search(r"localhost\s*:.*changed=0.*failed=0", out), out[-3000:]
    assert re.search(r"Configure every network device at once, from the controller\]\s*\*+\s*skipping", out), \
        out[-3000:]
