"""kubernetes.core.k8s (the real module, through ansible-playbook) against the emulator."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]

PLAY = """
- hosts: localhost
  gather_facts: false
  tasks:
    - name: BGPPeer through kubernetes.core.k8s
      kubernetes.core.k8s:
        kubeconfig: "{{ kubeconfig }}"
        state: "{{ state }}"
        definition:
          apiVersion: projectcalico.org/v3
          kind: BGPPeer
          metadata:
            name: rack1-tor
            labels:
              app.kubernetes.io/managed-by: kubefabric
          spec:
            peerIP: 192.0.2.1
            asNumber: "{{ asn | int }}"
            nodeSelector: rack == 'rack1'
      register: result
    - name: Report
      ansible.builtin.copy:
        content: "{{ result | to_json }}"
        dest: "{{ out }}"
      check_mode: false
"""


def _playbook(kube, tmp_path, check=False, **extra):
    play = tmp_path / "play.yml"
    play.write_text(PLAY)
    out = tmp_path / "result.json"
    variables = dict({"kubeconfig": kube.kubeconfig_path, "out": str(out), "state": "present", "asn": 64512},
                     **extra)
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(REPO / ".build"), ANSIBLE_LOCALHOST_WARNING="False",
               ANSIBLE_INVENTORY_UNPARSED_WARNING="False", ANSIBLE_LOCAL_TEMP=str(tmp_path / "ansible-tmp"),
               ANSIBLE_REMOTE_TEMP=str(tmp_path / "ansible-tmp"), ANSIBLE_NOCOLOR="1")
    cmd = [str(Path(sys.executable).parent / "ansible-playbook"), "-i", "localhost,", "-c", "local",
           "-e", "ansible_python_interpreter=%s" % sys.executable, "-e", json.dumps(variables), str(play)]
    if check:
        cmd.append("--check")
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300, env=env, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return json.loads(out.read_text())


def test_k8s_module_create_check_idempotent_absent(kube, tmp_path):
    if not (Path(sys.executable).parent / "ansible-playbook").exists():
        pytest.skip("ansible-playbook is not in the venv")
    res = _playbook(kube, tmp_path)
    assert res["changed"] is True and kube.write_count == 1
    stored = kube.api.get(kube_type("crd.projectcalico.org", "v1", "bgppeers"), None, "rack1-tor")
    assert stored["spec"]["asNumber"] == 64512

    res = _playbook(kube, tmp_path, check=True, asn=64999)
    assert res["changed"] is True
    assert kube.write_count == 1, list(kube.counter.recent_writes)         # check mode: dry runs only
    assert kube.counter.dry_runs >= 1
    assert kube.api.get(kube_type("projectcalico.org", "v3", "bgppeers"), None, "rack1-tor")["spec"]["asNumber"] \
        == 64512

    rv = stored["metadata"]["resourceVersion"]
    res = _playbook(kube, tmp_path)
    # kubernetes.core patches and then compares; an unchanged patch is a no-op on the server
    assert res["changed"] is False
    assert kube.api.get(kube_type("projectcalico.org", "v3", "bgppeers"), None, "rack1-tor")["metadata"][
        "resourceVersion"] == rv
    writes = kube.write_count

    res = _playbook(kube, tmp_path, state="absent")
    assert res["changed"] is True and kube.write_count == writes + 1
    res = _playbook(kube, tmp_path, state="absent")
    assert res["changed"] is False and kube.write_count == writes + 1


def test_k8s_module_reports_422(kube, tmp_path, calico_crds):
    if not (Path(sys.executable).parent / "ansible-playbook").exists():
        pytest.skip("ansible-playbook is not in the venv")
    play = tmp_path / "bad.yml"
    play.write_text("""
- hosts: localhost
  gather_facts: false
  tasks:
    - kubernetes.core.k8s:
        kubeconfig: %s
        definition:
          apiVersion: projectcalico.org/v3
          kind: BGPPeer
          metadata: {name: bad}
          spec: {peerIP: 192.0.2.1, asNumber: 64512, node: n1, nodeSelector: all()}
""" % kube.kubeconfig_path)
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(REPO / ".build"), ANSIBLE_NOCOLOR="1",
               ANSIBLE_LOCAL_TEMP=str(tmp_path / "ansible-tmp"))
    proc = subprocess.run([str(Path(sys.executable).parent / "ansible-playbook"), "-i", "localhost,", "-c", "local",
                           "-e", "ansible_python_interpreter=%s" % sys.executable, str(play)],
                          capture_output=True, text=True, timeout=300, env=env, check=False)
    assert proc.returncode != 0
    assert "node and nodeSelector cannot both be set" in proc.stdout
    assert "422" in proc.stdout


def kube_type(group, version, plural):
    from lab.kubeapi import kinds
    return kinds.by_path(group, version, plural)
