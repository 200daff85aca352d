"""Processes by PID: the descendants of a process, and killing a whole tree.

ansible-playbook's workers call ``setsid()``: killing the playbook's process group misses them.
:func:`kill_tree` stops the process, collects every descendant by parent PID (stopping each one, so
that none forks or is reparented meanwhile), then kills them all.
"""
import os
import signal
import time


def _stat(pid):
    """(ppid, state) of ``pid``, or None when it is gone."""
    try:
        with open("/proc/%d/stat" % pid) as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
        return int(fields[1]), fields[0]
    except (OSError, IndexError, ValueError):
        return None


def children_map():
    out = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            stat = _stat(int(entry))
            if stat:
                out.setdefault(stat[0], []).append(int(entry))
    return out


def descendants(pid):
    """Every living descendant of ``pid`` (not ``pid`` itself), zombies excluded."""
    kids = children_map()
    found, todo = [], list(kids.get(pid, []))
    while todo:
        child = todo.pop()
        if child in found:
            continue
        found.append(child)
        todo.extend(kids.get(child, []))
    return [p for p in found if (_stat(p) or (0, "Z"))[1] != "Z"]


def is_alive(pid):
    stat = _stat(pid)
    return stat is not None and stat[1] != "Z"


def _signal(pid, sig):
    try:
        os.kill(pid, sig)
    except OSError:
        pass


def kill_tree(pid, timeout=10.0):
    """SIGKILL ``pid`` and every descendant; returns the PIDs killed.  Waits until none is alive."""
    _signal(pid, signal.SIGSTOP)
    tree = [pid]
    while True:  # until no new descendant appears (each found one is stopped at once)
        new = [p for p in descendants(pid) if p not in tree]
        for child in new:
            _signal(child, signal.SIGSTOP)
        tree.extend(new)
        if not new:
            break
    for member in tree:
        _signal(member, signal.SIGKILL)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and any(is_alive(p) for p in tree):
        time.sleep(0.05)
    return tree
