"""Fixtures: a fresh emulated API server per test, and the real clients pointed at it."""
import json
import shutil
import subprocess

import pytest

from lab.kubeapi import KubeAPIServer
from tests.conftest import SHARED, shared_path

CRDS = SHARED / "reference" / "calico" / "crds"


@pytest.fixture
def calico_crds():
    """The Calico CRD manifests (../shared); tests that need the server to refuse an object use it."""
    return str(shared_path("reference", "calico", "crds"))


@pytest.fixture
def kube(tmp_path):
    """The emulator, deciding Calico kinds by the CRD manifests when ../shared has them."""
    server = KubeAPIServer("127.0.0.1", 0, workdir=str(tmp_path / "kubeapi"),
                           crds=str(CRDS) if CRDS.is_dir() else None).start()
    try:
        yield server
    finally:
        server.stop()


class Kubectl:
    def __init__(self, server, tmp_path):
        self.server = server
        self.cache = str(tmp_path / "kubectl-cache")
        self.binary = shutil.which("kubectl")

    def run(self, *args, stdin=None, check=True):
        cmd = [self.binary, "--kubeconfig", self.server.kubeconfig_path, "--cache-dir", self.cache] + list(args)
        proc = subprocess.run(cmd, input=stdin, capture_output=True, text=True, timeout=120, check=False)
        if check and proc.returncode != 0:
            raise AssertionError("kubectl %s failed (%d):\n%s%s" % (" ".join(args), proc.returncode, proc.stdout,
                                                                    proc.stderr))
        return proc

    def json(self, *args):
        return json.loads(self.run(*(list(args) + ["-o", "json"])).stdout)


@pytest.fixture
def kubectl(kube, tmp_path):
    if shutil.which("kubectl") is None:
        pytest.skip("kubectl is not installed (make setup installs it)")
    return Kubectl(kube, tmp_path)


@pytest.fixture
def k8s_client(kube):
    """A real ``kubernetes`` ApiClient configured from the emulator's kubeconfig."""
    kubernetes = pytest.importorskip("kubernetes")
    client = kubernetes.config.new_client_from_config(config_file=kube.kubeconfig_path)
    try:
        yield client
    finally:
        client.close()
