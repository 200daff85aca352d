"""pytest plugin (``-p tests.tools.leakcheck``, used by ``make test``): the run leaves no process and no namespace.

Scoped to this run, since other people's labs run on the same machine:

- processes: the controller makes itself a child subreaper (``PR_SET_CHILD_SUBREAPER``), so every
  process the run starts stays its descendant even after its parent dies or it calls ``setsid()``
  (ansible workers, daemons started with ``start_new_session``).  When the run ends, every living
  descendant but the controller's own xdist workers (gone by then) is a leak;
- namespaces: the controller sets ``KUBEFABRIC_RUN_ID``; ``lab.netns.Netns.create`` records it, so a
  namespace of this run that still exists (or is still recorded) at the end is a leak.

Leaks are listed in the terminal summary and make the run fail; the leaked processes are killed
(the namespaces are left for ``python -m lab down``, named in the message).
"""
import ctypes
import os
import signal
import time
import uuid
from pathlib import Path

import pytest

from lab import netns
from tests.tools import procs

PR_SET_CHILD_SUBREAPER = 36
_LEAKS = pytest.StashKey[list]()


def _controller(config):
    return getattr(config, "workerinput", None) is None


def pytest_configure(config):
    if not _controller(config):
        return
    os.environ.setdefault(netns.RUN_ID_ENV, "%d-%s" % (os.getpid(), uuid.uuid4().hex[:8]))
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        raise pytest.UsageError("leakcheck: prctl(PR_SET_CHILD_SUBREAPER) failed: errno %d" % ctypes.get_errno())
    config.stash[_LEAKS] = []


def run_namespaces(run_id):
    """Namespaces recorded with ``run_id`` (alive or only recorded)."""
    out = []
    for name in netns.list_recorded():
        try:
            if (netns.NETNS_DIR / name / "run-id").read_text().strip() == run_id:
                out.append(name)
        except OSError:
            continue
    return out


def _describe(pid):
    try:
        cmd = Path("/proc/%d/cmdline" % pid).read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        cmd = "?"
    return "pid %d: %s" % (pid, cmd[:200])


def _reap():
    """Reap zombie descendants reparented to this subreaper (none of them is a Popen of ours by now)."""
    while True:
        try:
            pid, _status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def find_leaks(run_id, grace=15.0):
    """(leaked PIDs with their command lines, leaked namespaces); waits ``grace`` s for exits."""
    deadline = time.monotonic() + grace
    while True:
        _reap()
        pids = procs.descendants(os.getpid())
        names = run_namespaces(run_id)
        if (not pids and not names) or time.monotonic() >= deadline:
            return [_describe(p) for p in pids], names
        time.sleep(0.25)


@pytest.hookimpl(hookwrapper=True, trylast=True)
def pytest_sessionfinish(session):
    """After xdist has stopped its workers (trylast wrapper = innermost), before the summary is written."""
    yield
    config = session.config
    if not _controller(config):
        return
    leaked_pids, leaked_ns = find_leaks(os.environ[netns.RUN_ID_ENV])
    lines = []
    for line in leaked_pids:
        lines.append("process left running: %s" % line)
    for pid in procs.descendants(os.getpid()):
        procs.kill_tree(pid)
    _reap()
    for name in leaked_ns:
        lines.append("namespace left: %s (remove it: python -c \"from lab import netns; netns.destroy('%s')\")" % (name, name))
    config.stash[_LEAKS] = lines
    if lines:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter, config):
    if not _controller(config):
        return
    lines = config.stash.get(_LEAKS, [])
    terminalreporter.section("leak check (processes and namespaces of this run)")
    if not lines:
        terminalreporter.write_line("no process and no namespace of this run is left (run id %s)"
                                    % os.environ.get(netns.RUN_ID_ENV))
    for line in lines:
        terminalreporter.write_line(line, red=True)


# a signal that ends the controller early still ends the run's processes
def _on_term(signum, _frame):
    for pid in procs.descendants(os.getpid()):
        procs.kill_tree(pid)
    raise SystemExit(128 + signum)


def pytest_sessionstart(session):
    if _controller(session.config):
        signal.signal(signal.SIGTERM, _on_term)
