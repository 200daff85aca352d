"""Run every molecule scenario (extensions/molecule/<pattern>) against the lab.

Each scenario brings a lab fabric up from an example inventory, runs the pattern playbook,
checks idempotence (a second run changes nothing), verifies the session tables (the seeds'
``calicoctl node status`` where the scenario comes from a seed) and pod-to-pod pings, and takes
the lab down.
"""
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SCENARIOS = sorted(p.parent.name for p in (REPO / "extensions" / "molecule").glob("*/molecule.yml"))


def test_every_scenario_has_a_test_module():
    """One test module per scenario (so that parallel workers can take them separately)."""
    here = Path(__file__).resolve().parent
    assert SCENARIOS and all((here / ("test_%s.py" % s)).exists() for s in SCENARIOS), SCENARIOS


def run_scenario(scenario, tmp_path):
    """``molecule test -s SCENARIO``; asserts that every action of the sequence succeeded."""
    if os.geteuid() != 0:
        pytest.skip("the lab needs root (network namespaces)")
    bin_dir = str(Path(sys.executable).parent)
    env = dict(os.environ, PATH=bin_dir + os.pathsep + os.environ.get("PATH", ""), NO_COLOR="1",
               ANSIBLE_FORCE_COLOR="0", MOLECULE_NO_COLOR="1")
    log = tmp_path / ("molecule-%s.log" % scenario)
    with open(log, "w") as out:
        proc = subprocess.run([os.path.join(bin_dir, "molecule"), "test", "-s", scenario],
                              cwd=str(REPO / "extensions"), env=env, stdout=out, stderr=subprocess.STDOUT,
                              timeout=1200, check=False)
    text = log.read_text()
    assert proc.returncode == 0, "molecule test -s %s failed:\n%s" % (scenario, text[-6000:])
    for action in ("create", "converge", "idempotence", "verify", "destroy"):
        assert "%s: Executed: Successful" % action in " ".join(text.split()).replace("➜ ", ""), action
