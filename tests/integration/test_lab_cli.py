"""``make demo``'s job and the lab's command line, on the demo topology (seed 001 + seed 004's router).

``python -m lab demo`` (what ``make demo`` runs) must converge both sides and ping across racks;
``python -m lab up`` on a lab that is up changes nothing; ``status`` prints every endpoint's table;
``down`` after a crash (the API server and calico-node killed, every daemon still running in its
namespace) removes every namespace and process of the lab.
"""
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
INVENTORY = REPO / "examples" / "demo" / "inventory.yml"


def lab(*args, timeout=600):
    proc = subprocess.run([sys.executable, "-m", "lab"] + list(args), cwd=str(REPO), stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, timeout=timeout, check=False,
                          env=dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(REPO / ".build")))
    return proc.returncode, proc.stdout


def namespaces(prefix):
    out = subprocess.run(["ip", "netns", "list"], stdout=subprocess.PIPE, text=True, check=True).stdout
    return [line.split()[0] for line in out.splitlines() if line.startswith(prefix + "-")]


def pids_in(names):
    pids = set()
    for name in names:
        out = subprocess.run(["ip", "netns", "pids", name], stdout=subprocess.PIPE, text=True, check=False).stdout
        pids |= {int(p) for p in out.split() if p.isdigit()}
    return pids


@pytest.fixture
def demo_lab():
    if os.geteuid() != 0:
        pytest.skip("the lab needs root (network namespaces)")
    from lab import fabric  # pylint: disable=import-outside-toplevel
    handle = fabric.Lab(INVENTORY)
    if handle.load():
        pytest.skip("the demo lab is up (make demo); this test would take it down - run make lab-down first")
    try:
        yield fabric, handle
    finally:
        fabric.down(INVENTORY, log=lambda *a: None)


def test_demo_then_up_status_and_down_after_a_crash(demo_lab):
    fabric, handle = demo_lab
    rc, out = lab("demo")
    assert rc == 0, out[-6000:]
    summary = re.search(r"all (\d+)/(\d+) session ends Established, (\d+)/(\d+) prefixes present", out)
    assert summary and summary.group(1) == summary.group(2) and summary.group(3) == summary.group(4), out[-3000:]
    assert int(summary.group(4)) > 0
    pings = re.findall(r"(\d+) packets transmitted, (\d+) received, (\d+)% packet loss", out)
    assert len(pings) >= 2 and all(loss == "0" for _sent, _got, loss in pings), pings

    state = handle.load()
    lab_ns = namespaces(handle.name)
    assert lab_ns and set(lab_ns) == set(state["namespaces"])
    kubeapi_pid = (handle.dir / "kubeapi.pid").read_text().split()[0]

    # up again: nothing is rebuilt
    rc, out = lab("up", str(INVENTORY))
    assert rc == 0 and "already up" in out, out[-3000:]
    assert (handle.dir / "kubeapi.pid").read_text().split()[0] == kubeapi_pid
    assert namespaces(handle.name) == lab_ns

    # status: every node's and device's table
    rc, out = lab("status", str(INVENTORY), timeout=120)
    assert rc == 0, out[-3000:]
    for host in list(state["nodes"]) + list(state["devices"]):
        assert host in out, host
    assert out.count("Established") >= len(state["nodes"]), out[-3000:]

    # a crash: the lab's controller processes die, the daemons in the namespaces keep running
    daemons = pids_in(lab_ns)
    assert daemons
    for tag in ("calico-node", "kubeapi"):
        os.kill(int((handle.dir / ("%s.pid" % tag)).read_text().split()[0]), signal.SIGKILL)
    rc, out = lab("down", str(INVENTORY), timeout=300)
    assert rc == 0, out[-3000:]
    assert namespaces(handle.name) == []
    alive = [pid for pid in daemons if Path("/proc/%d" % pid).exists()
             and "zombie" not in Path("/proc/%d/status" % pid).read_text().lower()]
    assert alive == [], alive
    assert not handle.dir.exists()
