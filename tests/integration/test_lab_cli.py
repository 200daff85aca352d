"""``make demo``'s job and the lab's command line, on the demo topology (seed 001 + seed 004's router).

``python -m lab demo`` (what ``make demo`` runs) must converge both sides and ping across racks;
``python -m lab up`` on a lab that is up changes nothing; ``status`` prints every endpoint's table;
``down`` after a crash (the API server and calico-node killed, every daemon still running in its
namespace) removes every namespace and process of the lab.
"""
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
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


# -- lab hygiene: names per checkout, `make lab-down` takes the demo's lab only, the route goes with the last lab

def test_lab_names_are_unique_per_checkout(tmp_path):
    from lab import fabric  # pylint: disable=import-outside-toplevel
    names = set()
    for checkout in ("a", "b"):
        inventory = tmp_path / checkout / "examples" / "demo" / "inventory.yml"
        inventory.parent.mkdir(parents=True)
        inventory.write_text("all: {}\n")
        names.add(fabric.lab_name(inventory))
    assert len(names) == 2 and all(n.startswith("kfdemo") and len(n) <= 15 for n in names), names
    assert fabric.lab_name(INVENTORY) == fabric.lab_name(str(INVENTORY))  # stable for one checkout


SANDBOX = r'''
import json, os, subprocess, sys
from pathlib import Path
subprocess.run(["mount", "-t", "tmpfs", "tmpfs", "/run/netns"], check=True)
sys.path.insert(0, sys.argv[1])
from lab import fabric, netns
demo = fabric.Lab(Path(sys.argv[1]) / "examples" / "demo" / "inventory.yml")
other = fabric.Lab(Path(sys.argv[2]))
out = {"names": [demo.name, other.name]}
for lab in (demo, other):
    lab.dir.mkdir(parents=True)
    for host in ("sw", "node1"):
        netns.Netns(lab.ns_name(host)).create()
out["route_up"] = netns.has_safety_route()
# `make lab-down` as the demo's last line says (setup is done: only the recipe runs)
make = subprocess.run(["make", "-C", sys.argv[1], "lab-down"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                      text=True)
out["make"] = [make.returncode, make.stdout[-2000:]]
out["after_make"] = netns.lab_namespaces_alive()
out["route_after_make"] = netns.has_safety_route()
fabric.down(other.inventory_path, log=lambda *a: None)
out["after_other_down"] = netns.lab_namespaces_alive()
out["route_after_last"] = netns.has_safety_route()
netns.Netns("kft-again").create()
out["route_again"] = netns.has_safety_route()
netns.destroy("kft-again")
out["route_final"] = netns.has_safety_route()
print("RESULT " + json.dumps(out))
'''


def test_make_lab_down_takes_the_demo_lab_only_and_the_last_lab_takes_the_route(tmp_path):
    """In a network and mount namespace of its own (its own root routes and /run/netns, its own
    RUN_DIR), so that no other lab on the machine is touched while the route comes and goes."""
    if os.geteuid() != 0:
        pytest.skip("needs root (network namespaces)")
    other = tmp_path / "other" / "inventory.yml"
    other.parent.mkdir()
    other.write_text("all: {}\n")
    script = tmp_path / "sandbox.py"
    script.write_text(SANDBOX)
    env = dict(os.environ, KUBEFABRIC_LAB_RUN=str(tmp_path / "run"), KUBEFABRIC_LAB_LOCK=str(tmp_path / "lock"))
    env.pop("KUBEFABRIC_RUN_ID", None)
    proc = subprocess.run(["unshare", "--mount", "--net", "--propagation", "private", "--", sys.executable,
                           str(script), str(REPO), str(other)], env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, timeout=300, check=False)
    lines = [line for line in proc.stdout.splitlines() if line.startswith("RESULT ")]
    assert proc.returncode == 0 and lines, proc.stdout[-3000:]
    out = json.loads(lines[-1][len("RESULT "):])
    demo_name, other_name = out["names"]
    assert out["route_up"] is True
    assert out["make"][0] == 0, out["make"][1]
    assert "python -m lab down examples/demo/inventory.yml" in out["make"][1] and "--all" not in out["make"][1]
    assert sorted(out["after_make"]) == ["%s-node1" % other_name, "%s-sw" % other_name], out
    assert out["route_after_make"] is True  # the other lab is still up
    assert out["after_other_down"] == [] and out["route_after_last"] is False
    assert out["route_again"] is True and out["route_final"] is False
    assert demo_name != other_name


SANDBOX_TWO_LABS = r'''
import json, subprocess, sys
from pathlib import Path
subprocess.run(["mount", "-t", "tmpfs", "tmpfs", "/run/netns"], check=True)
subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
sys.path.insert(0, sys.argv[1])
from lab import fabric, netns
out = {"labs": []}
try:
    for inventory in sys.argv[2:]:
        state = fabric.up(inventory, log=lambda *a: None)
        lab = fabric.Lab(inventory)
        lab_inv = json.loads((lab.dir / "lab-inventory.yml").read_text())
        lines = []
        fabric.status(inventory, out=lines.append)
        out["labs"].append({"name": lab.name, "devices": state["devices"],
                            "lab_hosts": lab_inv["all"]["children"]["network_devices"]["hosts"],
                            "status": "\n".join(str(l) for l in lines)})
finally:
    for inventory in sys.argv[2:]:
        fabric.down(inventory, log=lambda *a: None)
out["left"] = netns.lab_namespaces_alive()
out["route"] = netns.has_safety_route()
print("RESULT " + json.dumps(out))
'''


def test_two_checkouts_labs_are_up_at_once(tmp_path):
    """The same inventory in two checkouts: two labs (own names); the second's device, whose management
    address the first has, answers on a /30 of 198.19.0.0/16 that its lab-inventory.yml gives as
    ansible_host.  In a network and mount namespace of its own, as above."""
    if os.geteuid() != 0:
        pytest.skip("needs root (network namespaces)")
    inventories = []
    for checkout in ("checkout-a", "checkout-b"):
        path = tmp_path / checkout / "examples" / "seed004_tor_routeros" / "inventory.yml"
        path.parent.mkdir(parents=True)
        path.write_text((REPO / "examples" / "seed004_tor_routeros" / "inventory.yml").read_text())
        inventories.append(str(path))
    script = tmp_path / "sandbox.py"
    script.write_text(SANDBOX_TWO_LABS)
    # a short state directory: FRR's sockets live there and a unix socket path has at most 107 bytes
    run_dir = Path(tempfile.mkdtemp(prefix="kfsbx-", dir="/run"))
    env = dict(os.environ, KUBEFABRIC_LAB_RUN=str(run_dir), KUBEFABRIC_LAB_LOCK=str(tmp_path / "lock"),
               ANSIBLE_COLLECTIONS_PATH=str(REPO / ".build"),
               PATH=str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", ""))
    env.pop("KUBEFABRIC_RUN_ID", None)
    proc = subprocess.run(["unshare", "--mount", "--net", "--propagation", "private", "--", sys.executable,
                           str(script), str(REPO)] + inventories, env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, timeout=600, check=False)
    shutil.rmtree(run_dir, ignore_errors=True)
    lines = [line for line in proc.stdout.splitlines() if line.startswith("RESULT ")]
    assert proc.returncode == 0 and lines, proc.stdout[-3000:]
    out = json.loads(lines[-1][len("RESULT "):])
    first, second = out["labs"]
    assert first["name"] != second["name"]
    (host, device_a), = first["devices"].items()
    device_b = second["devices"][host]
    assert "inventory_mgmt" not in device_a and device_a["mgmt"].startswith("198.18.")
    assert device_b["inventory_mgmt"] == device_a["mgmt"] and device_b["mgmt"].startswith("198.19.")
    assert "ansible_host" not in first["lab_hosts"][host]
    assert second["lab_hosts"][host]["ansible_host"] == device_b["mgmt"]
    for lab in (first, second):  # each lab's device answers its own client on its own address
        assert "cannot read" not in lab["status"] and "/routing/bgp/session/print" in lab["status"], lab["status"]
    assert out["left"] == [] and out["route"] is False
