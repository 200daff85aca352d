"""Run a command with its own phase of CLOCK_MONOTONIC, as if on its own machine.

``python -m lab.clockphase NANOSECONDS -- COMMAND...`` enters a new time namespace (Linux 5.6+)
whose monotonic and boot-time clocks are ahead by NANOSECONDS (below one second) and runs
COMMAND in it (exec: same PID).  Where the kernel has no time namespaces it runs COMMAND as is.

Why the lab needs it: BIRD 1.6 keeps time in whole seconds of CLOCK_MONOTONIC (``now =
ts.tv_sec``) and fires a due timer on the first pass of its loop in that second.  Two BIRDs on
separate machines therefore fire their timers at different points of a second (each machine's
monotonic clock started at its own boot); 200 BIRDs on one kernel share one clock and fire in the
same millisecond.  For two ends of a Calico BGPPeer session (both active: calico-node makes only
mesh and global peerings passive) that turns every ``connect delay time 2`` into a simultaneous
open on both ends, a connection collision, and with graceful restart a loop in which each end's
new connection closes the other's established session (projectcalico/node#79 describes the same
race for the mesh) - a race separate machines run into rarely.  docs/lab.md has the measurements.
"""
import ctypes
import hashlib
import os
import sys

CLONE_NEWTIME = 0x00000080


def phase_for(name):
    """A stable offset in [0, 1 s) for ``name`` (a node keeps its clock phase across lab runs)."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big") % 1000000000


def main(argv):
    if len(argv) < 3 or argv[1] != "--":
        print("usage: python -m lab.clockphase NANOSECONDS -- COMMAND...", file=sys.stderr)
        return 2
    nanoseconds = int(argv[0]) % 1000000000
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.unshare(CLONE_NEWTIME) == 0:
        try:
            with open("/proc/self/timens_offsets", "w", encoding="ascii") as offsets:
                offsets.write("monotonic 0 %d\nboottime 0 %d\n" % (nanoseconds, nanoseconds))
        except OSError as exc:
            print("clockphase: timens_offsets: %s (running with the shared clock)" % exc, file=sys.stderr)
    else:
        print("clockphase: no time namespace (%s); running with the shared clock"
              % os.strerror(ctypes.get_errno()), file=sys.stderr)
    # exec enters the time namespace made for this process's children (Linux 5.8+ for exec)
    os.execvp(argv[2], argv[2:])
    return 127


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
