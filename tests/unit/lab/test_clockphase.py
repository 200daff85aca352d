"""lab/clockphase.py: every node's BIRD with its own phase of the monotonic clock (docs/lab.md)."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

from lab import clockphase

PRINT_MONOTONIC = [sys.executable, "-c", "import time; print(time.monotonic_ns())"]


def test_phase_is_stable_and_spread_over_the_second():
    names = ["r%02dn%03d" % (rack, node) for rack in range(1, 9) for node in range(1, 26)]
    phases = [clockphase.phase_for(name) for name in names]
    assert phases == [clockphase.phase_for(name) for name in names]  # a node keeps its phase
    assert all(0 <= phase < 10 ** 9 for phase in phases)
    # neighbours in a rack (names that differ in one digit) do not share a phase: 200 names fill
    # the tenths of the second, as random boot times would, and no two phases are equal
    assert {phase // 10 ** 8 for phase in phases} == set(range(10))
    assert len(set(phases)) == len(phases)


def _monotonic(prefix=()):
    out = subprocess.run(list(prefix) + PRINT_MONOTONIC, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True, check=True, timeout=30)
    return int(out.stdout), out.stderr


@pytest.mark.skipif(not Path("/proc/self/ns/time").exists(), reason="this kernel has no time namespaces")
@pytest.mark.skipif(os.geteuid() != 0, reason="a time namespace needs root (CAP_SYS_ADMIN)")
def test_command_runs_with_the_clock_ahead_by_the_phase():
    offset = 700 * 10 ** 6  # 0.7 s
    before = _monotonic()[0]
    inside, stderr = _monotonic([sys.executable, clockphase.__file__, str(offset), "--"])
    after = _monotonic()[0]
    assert stderr == ""
    # the command read the clock between the two outer reads, 0.7 s ahead of them
    assert before + offset <= inside <= after + offset


def test_usage_error_without_a_command():
    proc = subprocess.run([sys.executable, clockphase.__file__, "5"], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True, check=False, timeout=30)
    assert proc.returncode == 2
    assert "usage" in proc.stderr
