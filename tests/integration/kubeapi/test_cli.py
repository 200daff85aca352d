"""``python -m lab kubeapi`` as a process: kubeconfig, ready file, token option, preload file, SIGTERM."""
import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[3]

PRELOAD = """
apiVersion: v1
kind: Node
metadata:
  name: node1
  labels: {rack: rack1}
status:
  conditions:
  - {type: Ready, status: "True"}
  nodeInfo: {kubeletVersion: v1.32.0}
---
apiVersion: v1
kind: List
items:
- apiVersion: projectcalico.org/v3
  kind: BGPConfiguration
  metadata: {name: default}
  spec: {asNumber: 64512, nodeToNodeMeshEnabled: true}
- apiVersion: v1
  kind: Pod
  metadata: {name: calico-node-abc, namespace: kube-system}
  spec:
    nodeName: node1
    containers: [{name: calico-node, image: calico/node}]
  status: {phase: Running}
"""


def test_process_with_preload_ready_file_and_token(tmp_path):
    if shutil.which("kubectl") is None:
        pytest.skip("kubectl is not installed")
    preload = tmp_path / "objects.yaml"
    preload.write_text(PRELOAD)
    ready = tmp_path / "ready"
    kubeconfig = tmp_path / "kc"
    proc = subprocess.Popen([sys.executable, "-m", "lab", "kubeapi", "--port", "0", "--token", "lab-token",
                             "--workdir", str(tmp_path / "w"), "--kubeconfig", str(kubeconfig),
                             "--ready-file", str(ready), "--preload", str(preload)],
                            cwd=str(REPO), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        assert line.startswith("kubeapi: serving https://127.0.0.1:"), line + proc.stderr.read()
        assert proc.stdout.readline().startswith("READY https://127.0.0.1:")
        url, path = ready.read_text().split()
        assert path == str(kubeconfig)
        config = yaml.safe_load(kubeconfig.read_text())
        assert config["users"][0]["user"]["token"] == "lab-token"
        assert config["clusters"][0]["cluster"]["server"] == url
        assert oct(os.stat(kubeconfig).st_mode & 0o777) == "0o600"

        def kubectl(*args):
            out = subprocess.run(["kubectl", "--kubeconfig", str(kubeconfig), "--cache-dir", str(tmp_path / "c")]
                                 + list(args), capture_output=True, text=True, timeout=60, check=True)
            return out.stdout

        nodes = json.loads(kubectl("get", "nodes", "-o", "json"))["items"]
        assert [n["metadata"]["name"] for n in nodes] == ["node1"]
        assert nodes[0]["status"]["conditions"][0]["status"] == "True"        # status kept on preload
        assert "Ready" in kubectl("get", "nodes") and "v1.32.0" in kubectl("get", "nodes")
        bgp = json.loads(kubectl("get", "bgpconfigurations.crd.projectcalico.org", "default", "-o", "json"))
        assert bgp["spec"]["asNumber"] == 64512
        pod = json.loads(kubectl("get", "pod", "-n", "kube-system", "calico-node-abc", "-o", "json"))
        assert pod["status"]["phase"] == "Running"
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            assert proc.wait(timeout=20) == 0
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()


def test_bad_preload_is_refused(tmp_path):
    preload = tmp_path / "bad.yaml"
    preload.write_text("apiVersion: projectcalico.org/v3\nkind: BGPPeer\nmetadata: {name: p}\n"
                       "spec: {node: a, nodeSelector: all(), peerIP: 192.0.2.1, asNumber: 1}\n")
    proc = subprocess.run([sys.executable, "-m", "lab", "kubeapi", "--port", "0", "--workdir", str(tmp_path / "w"),
                           "--preload", str(preload)], cwd=str(REPO), capture_output=True, text=True, timeout=60,
                          check=False)
    assert proc.returncode == 2
    assert "cannot preload" in proc.stderr and "node and nodeSelector cannot both be set" in proc.stderr
