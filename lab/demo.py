"""``make demo``: the main job against the embedded lab.

Brings up seed 001's topology (a spine, two leaves - one Comware, one FRR - each leaf its own AS,
three nodes per leaf of which two are route reflectors) plus seed 004's RouterOS rack router as the
leaf of a third rack, runs the rr_per_leaf playbook, prints every node's and device's session table,
pings from a pod in one rack to pods in the others, states how long configuration and convergence
took, and leaves the lab up.
"""
import os
import re
import subprocess
import sys
import time

from . import fabric
from .netns import sh
from .paths import REPO

INVENTORY = REPO / "examples" / "demo" / "inventory.yml"


def banner(text):
    print("\n" + "=" * 100 + "\n" + text + "\n" + "=" * 100, flush=True)


def ansible_env():
    env = dict(os.environ)
    env["ANSIBLE_COLLECTIONS_PATH"] = str(REPO / ".build")
    env.setdefault("ANSIBLE_FORCE_COLOR", "0")
    env.setdefault("ANSIBLE_CALLBACK_RESULT_FORMAT", "yaml")
    return env


def run_playbook(lab_inventory, playbook):
    bin_dir = os.path.dirname(sys.executable)
    cmd = [os.path.join(bin_dir, "ansible-playbook"), "-i", str(INVENTORY), "-i", str(lab_inventory),
           str(REPO / "playbooks" / playbook), "-e", "ansible_python_interpreter=%s" % sys.executable]
    print("+ " + " ".join(cmd), flush=True)
    converged = None
    with subprocess.Popen(cmd, env=ansible_env(), cwd=str(REPO), stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True) as proc:
        for line in proc.stdout:
            sys.stdout.write(line)
            sys.stdout.flush()
            match = re.search(r"(\d+/\d+ session ends Established(?:, \d+/\d+ prefixes present)? after [\d.]+ s)", line)
            if match:
                converged = "all " + match.group(1) + " of verification"
    return proc.returncode, converged


def pod_pings(state):
    """Ping from the first non-RR node's pod of rack1 to one pod of every other rack."""
    nodes = state["nodes"]
    by_rack = {}
    for host, node in sorted(nodes.items()):
        by_rack.setdefault(node["rack"], []).append(host)
    racks = sorted(by_rack)
    source = by_rack[racks[0]][-1]
    ok = True
    for rack in racks[1:]:
        target = by_rack[rack][-1]
        out = sh(["ping", "-c", "3", "-i", "0.2", "-W", "1", nodes[target]["pod_ip"]], ns=nodes[source]["pod_ns"],
                 check=False)
        summary = [line for line in out.splitlines() if "packets transmitted" in line]
        print("pod on %s (%s, %s) -> pod on %s (%s, %s): %s" % (
            source, nodes[source]["pod_ip"], racks[0], target, nodes[target]["pod_ip"], rack,
            summary[0] if summary else out.strip()), flush=True)
        ok = ok and bool(summary) and " 0% packet loss" in summary[0]
    return ok


def main(argv):
    del argv
    banner("1/4  lab up: %s" % INVENTORY.relative_to(REPO))
    start = time.time()
    state = fabric.up(INVENTORY)
    lab = fabric.Lab(INVENTORY)
    lab_inventory = lab.dir / "lab-inventory.yml"
    up_seconds = time.time() - start

    banner("2/4  ansible-playbook kubefabric.bgp rr_per_leaf (plan -> Calico -> devices -> verify)")
    start = time.time()
    rc, converged = run_playbook(lab_inventory, "rr_per_leaf.yml")
    playbook_seconds = time.time() - start
    if rc != 0:
        print("\nthe playbook failed (rc=%d); the lab stays up for inspection: python -m lab status %s"
              % (rc, INVENTORY.relative_to(REPO)))
        return rc

    banner("3/4  session tables of every node (BIRD, as calicoctl node status) and device (its own view)")
    fabric.status(INVENTORY)

    banner("4/4  cross-rack pod pings")
    pings_ok = pod_pings(state)

    print("\nlab up: %.1f s; playbook (plan, configure both sides, verify): %.1f s; %s"
          % (up_seconds, playbook_seconds, converged or "convergence time not reported"))
    print("the lab stays up. Inspect it: .venv/bin/python -m lab status %s   Tear it down: make lab-down"
          % INVENTORY.relative_to(REPO))
    return 0 if pings_ok else 1
