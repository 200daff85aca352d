# -*- coding: utf-8 -*-
# Copyright: kubefabric.bgp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The push journal: which neighbors a run was creating on a device, kept on the controller.

On Comware and FRR a neighbor is created by one line (``peer X as-number N`` / ``neighbor X
remote-as N``) and marked as the collection's by the next (its description).  If the session is lost
between the two and the device cannot be reached again to roll back, the device holds a neighbor
without a marker.  Before every push that creates neighbors the engine records their addresses here;
the next run treats an unmarked neighbor at a recorded, planned address as its own (it writes the
marker and completes the neighbor), and the record is removed after a run that wrote and read back
successfully.  Nothing secret is recorded (addresses and the owner only).

The directory is ``$KUBEFABRIC_JOURNAL_DIR`` or ``~/.ansible/kubefabric/journal`` on the host that
runs the module (the controller: the device modules run delegated to localhost).  Without it (an
execution environment that is thrown away after each job) the next run reports the neighbor as
unowned and names the fix (``adopt: true``).
"""

from __future__ import annotations

import json
import os
import re


def _path(host, owner):
    base = os.environ.get("KUBEFABRIC_JOURNAL_DIR") or os.path.join(os.path.expanduser("~"), ".ansible",
                                                                    "kubefabric", "journal")
    name = re.sub(r"[^A-Za-z0-9_.-]", "_", "%s--%s" % (host or "device", owner))
    return os.path.join(base, name + ".json")


def pending(host, owner):
    """The addresses a lost push of ``owner`` to ``host`` was creating (empty set if none)."""
    try:
        with open(_path(host, owner), encoding="utf-8") as handle:
            data = json.load(handle)
        return set(data.get("creating") or [])
    except (OSError, ValueError, AttributeError):
        return set()


def record(host, owner, addresses):
    """Record the addresses a push is about to create (best effort: a journal that cannot be written
    only takes the automatic completion away)."""
    path = _path(host, owner)
    try:
        os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
        tmp = path + ".tmp"
        with open(tmp, "w", encoding="utf-8") as handle:
            json.dump({"host": host, "owner": owner, "creating": sorted(addresses)}, handle)
        os.replace(tmp, path)
        return True
    except OSError:
        return False


def clear(host, owner):
    try:
        os.unlink(_path(host, owner))
    except OSError:
        pass
