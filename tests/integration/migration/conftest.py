"""Fixtures of the migration tests: a lab from an example inventory (under a private name), playbooks."""
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
BIN = Path(sys.executable).parent
LONG = os.environ.get("KUBEFABRIC_LONG") == "1"


class LabHandle:
    def __init__(self, inventory):
        self.inventory = Path(inventory)
        self.state = None

    def _lab(self, *args, check=True):
        env = dict(os.environ, PYTHONPATH=str(REPO))
        return subprocess.run([sys.executable, "-m", "lab"] + list(args), cwd=str(REPO), env=env, check=check,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=600)

    def up(self):
        out = self._lab("up", str(self.inventory), check=False)
        if out.returncode != 0:
            self.down()
            raise AssertionError("lab up failed:\n%s" % out.stdout[-4000:])
        self.state = json.loads(self._lab("state", str(self.inventory)).stdout)
        return self

    def down(self):
        self._lab("down", str(self.inventory), check=False)

    @property
    def dir(self):
        return Path(self.state["dir"])

    def kubectl(self, *args, input_text=None, check=True):
        env = dict(os.environ, KUBECONFIG=str(self.dir / "kubeconfig"))
        out = subprocess.run(["kubectl"] + list(args), env=env, input=input_text, text=True, check=False,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=120)
        if check and out.returncode != 0:
            raise AssertionError("kubectl %s: %s" % (" ".join(args), out.stdout))
        return out.stdout

    def protocols(self, host):
        from lab.bird import BirdInstance
        from lab.netns import Netns
        node = self.state["nodes"][host]
        return BirdInstance(Netns(node["ns"]), self.dir / "nodes" / host, name=host).protocols()

    def bgp_sessions(self):
        """``{host: {protocol: info}}`` of every node's BGP protocols (BIRD's view)."""
        out = {}
        for host in self.state["nodes"]:
            out[host] = {name: row.get("info") or row.get("state") for name, row in self.protocols(host).items()
                         if row.get("proto") == "BGP"}
        return out

    def wait_sessions(self, predicate, timeout=120, what="sessions"):
        deadline = time.time() + timeout
        last = None
        while time.time() < deadline:
            last = self.bgp_sessions()
            if predicate(last):
                return last
            time.sleep(0.5)
        raise AssertionError("timed out waiting for %s: %s" % (what, last))

    def playbook(self, name, *extra, log=None, popen=False):
        env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(REPO / ".build"), ANSIBLE_FORCE_COLOR="0",
                   NO_COLOR="1", PATH=str(BIN) + os.pathsep + os.environ.get("PATH", ""))
        args = [str(BIN / "ansible-playbook"), "-i", str(self.inventory), "-i", self.state["lab_inventory"],
                "-e", "ansible_python_interpreter=%s" % sys.executable, str(REPO / "playbooks" / name)] + list(extra)
        handle = open(log, "w") if log else subprocess.DEVNULL
        proc = subprocess.Popen(args, cwd=str(REPO), env=env, stdout=handle, stderr=subprocess.STDOUT, text=True,
                                start_new_session=True)
        if popen:
            return proc
        proc.wait(timeout=1200)
        return proc.returncode


def private_inventory(tmp_path, example, tag):
    """A copy of examples/<example>/inventory.yml in a directory that gives the lab a private name."""
    directory = tmp_path / ("%s%05d" % (tag, os.getpid() % 100000))
    directory.mkdir()
    shutil.copy(REPO / "examples" / example / "inventory.yml", directory / "inventory.yml")
    return directory / "inventory.yml"


@pytest.fixture
def lab_from_example(tmp_path):
    if os.geteuid() != 0:
        pytest.skip("the lab needs root (network namespaces)")
    labs = []

    def make(example, tag):
        handle = LabHandle(private_inventory(tmp_path, example, tag))
        labs.append(handle)
        return handle.up()

    yield make
    for handle in labs:
        handle.down()
