# -*- coding: utf-8 -*-
# Copyright: kubefabric.bgp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A play's own module_defaults reach the modules inside the roles (issue 13).

The play connects with ``host``/``api_key``/``ca_cert`` for ``group/kubefabric.bgp.k8s`` and has no
kubeconfig anywhere (HOME is empty, no KUBECONFIG, no K8S_AUTH_*): the roles plan and calico must
use the play's settings against the emulated API server. A role variable (``kubefabric_k8s_auth``)
is more specific and overrides only the keys it sets: a wrong token there must be refused.
"""
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from lab.kubeapi import KubeAPIServer

REPO = Path(__file__).resolve().parents[2]
PLAYBOOK_BIN = Path(sys.executable).parent / "ansible-playbook"

pytestmark = pytest.mark.skipif(not PLAYBOOK_BIN.exists(), reason="needs the project venv (make setup)")

NODES = ("md-1", "md-2", "md-3")

INVENTORY = {"all": {"vars": {"fabric_pattern": "full_mesh", "calico_asn": 64512,
                              "fabric_racks": {"rack1": {"asn": 64512}}},
                     "children": {"k8s_nodes": {"hosts": {
                         name: {"bgp_ipv4_address": "10.10.0.%d/24" % (11 + i), "rack": "rack1"}
                         for i, name in enumerate(NODES)}}}}}


@pytest.fixture
def kube(tmp_path):
    nodes = [{"apiVersion": "v1", "kind": "Node",
              "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name}}} for name in NODES]
    server = KubeAPIServer("127.0.0.1", 0, workdir=str(tmp_path / "kubeapi"), preload=[nodes]).start()
    try:
        yield server
    finally:
        server.stop()


def _run(kube, tmp_path, extra_vars=None):
    (tmp_path / "inventory.yml").write_text(yaml.safe_dump(INVENTORY))
    play = {"hosts": "localhost", "gather_facts": False,
            "module_defaults": {"group/kubefabric.bgp.k8s": {
                "host": "https://127.0.0.1:%d" % kube.port, "api_key": kube.token, "ca_cert": kube.ca_path}},
            "roles": ["kubefabric.bgp.plan", "kubefabric.bgp.calico"]}
    (tmp_path / "play.yml").write_text(yaml.safe_dump([play], sort_keys=False))
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("K8S_AUTH_") and k != "KUBECONFIG"}
    env.update(HOME=str(home), ANSIBLE_COLLECTIONS_PATH=str(REPO / ".build"), ANSIBLE_NOCOLOR="1",
               ANSIBLE_LOCALHOST_WARNING="False", ANSIBLE_LOCAL_TEMP=str(tmp_path / "ansible-tmp"),
               ANSIBLE_INVENTORY_UNPARSED_WARNING="False")
    cmd = [str(PLAYBOOK_BIN), "-i", str(tmp_path / "inventory.yml"), "-c", "local",
           "-e", "ansible_python_interpreter=%s" % sys.executable, str(tmp_path / "play.yml")]
    if extra_vars:
        cmd[1:1] = ["-e", json.dumps(extra_vars)]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=300, env=env, check=False)


def _bgp_configuration(kube, tmp_path):
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.skip("kubectl is not installed (make setup installs it)")
    proc = subprocess.run([kubectl, "--kubeconfig", kube.kubeconfig_path, "--cache-dir", str(tmp_path / "kc"),
                           "get", "bgpconfigurations.projectcalico.org", "-o", "json"],
                          capture_output=True, text=True, timeout=120, check=True)
    return json.loads(proc.stdout)["items"]


def test_play_module_defaults_reach_the_calico_role(kube, tmp_path):
    assert _bgp_configuration(kube, tmp_path) == []
    proc = _run(kube, tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "cannot load the kubeconfig" not in proc.stdout
    items = _bgp_configuration(kube, tmp_path)
    assert [item["metadata"]["name"] for item in items] == ["default"]
    assert items[0]["spec"]["nodeToNodeMeshEnabled"] is True
    assert str(items[0]["spec"]["asNumber"]) == "64512"
    assert kube.token not in proc.stdout + proc.stderr


def test_role_variable_overrides_only_its_keys(kube, tmp_path):
    # host and ca_cert still come from the play; the role variable's token is wrong: refused by the server
    proc = _run(kube, tmp_path, {"kubefabric_k8s_auth": {"api_key": "not-the-token"}})
    assert proc.returncode != 0
    out = proc.stdout + proc.stderr
    assert "Calico side" in out or "Set the nodes' BGP settings" in out
    assert "401" in out or "Unauthorized" in out, out[-3000:]
    assert "cannot load the kubeconfig" not in out
    assert _bgp_configuration(kube, tmp_path) == []
