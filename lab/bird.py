"""A real BIRD 1.6 (Debian's ``bird``, the version calico-node forks) inside a lab namespace.

Reconfiguration is ``birdc configure`` as calico-node does, never a restart, so sessions whose
configuration text did not change stay up (shared/reference/LAB_NOTES.md, mesh → RR measurements).
"""
import re
import subprocess
import sys
from pathlib import Path

from . import clockphase
from .netns import LabError, wait_for


class BirdInstance:
    """One BIRD 1.6 daemon; its config, control socket, PID file and log live in ``workdir``."""

    def __init__(self, ns, workdir, name, clock="own"):
        """``clock``: ``own`` - BIRD runs with its own phase of the monotonic clock, as on its own
        machine (lab/clockphase.py says why); ``shared`` - with the lab machine's clock."""
        self.ns = ns
        self.dir = Path(workdir)
        self.name = name
        self.clock = clock
        self.cfg = self.dir / "bird.cfg"
        self.ctl = self.dir / "bird.ctl"
        self.proc = None

    def start(self, config, timeout=10):
        """Start BIRD with ``config``: the text of bird.cfg, or ``{file name: text}`` (calico-node's
        six files; bird.cfg includes the others by relative path, so BIRD runs in ``workdir``)."""
        self.dir.mkdir(parents=True, exist_ok=True)
        self._write(config)
        self.check_config()
        # -d (as calico-node runs it): log to stderr (bird.out).  With -f and no syslog daemon, glibc's
        # syslog falls back to /dev/console, whose slow serial line blocks every BIRD once 100+ of them log
        args = ["bird", "-d", "-c", str(self.cfg), "-s", str(self.ctl), "-P", str(self.dir / "bird.pid")]
        prefix = None
        if self.clock == "own":
            prefix = [sys.executable, clockphase.__file__, str(clockphase.phase_for(self.name)), "--"]
        self.proc = self.ns.spawn(args, tag="bird-%s" % self.name, log=str(self.dir / "bird.out"),
                                  cwd=str(self.dir), prefix=prefix)
        wait_for(self._ready, timeout, what="BIRD of %s" % self.name)
        return self

    def _ready(self):
        if self.proc is not None and self.proc.poll() is not None:
            raise LabError("BIRD of %s exited (%s); see %s" % (self.name, self.proc.returncode,
                                                               self.dir / "bird.out"))
        if not self.ctl.exists():
            return False
        return "BIRD" in self.birdc("show status", check=False)

    def _write(self, config):
        files = config if isinstance(config, dict) else {"bird.cfg": config}
        for name, text in files.items():
            if "/" in name:
                raise LabError("bad BIRD file name %r" % name)
            tmp = self.dir / (name + ".new")
            tmp.write_text(text)
            tmp.replace(self.dir / name)

    def alive(self):
        """True when a BIRD answers on this instance's control socket (ours or a predecessor's)."""
        return self.ctl.exists() and "BIRD" in self.birdc("show status", check=False)

    def check_config(self, path=None):
        out = subprocess.run(["bird", "-p", "-c", str(path or self.cfg)], stdout=subprocess.PIPE, check=False,
                             stderr=subprocess.STDOUT, text=True, cwd=str(self.dir))
        if out.returncode != 0:
            raise LabError("bird -p rejected %s: %s" % (path or self.cfg, out.stdout.strip()))

    def configure(self, config, birdc=None):
        """Write the new configuration (text or ``{file: text}``), check it (confd's check_cmd) and apply
        it with ``birdc configure``. ``birdc``: another way to send BIRD its commands (its control socket
        spoken directly): then the check is BIRD's own ``configure check`` instead of a ``bird -p``
        process, so reconfiguring 1,000 nodes starts no process at all and takes seconds, not a minute
        (peers configured late refuse the early ones' connections, which then wait BIRD's error wait)."""
        self._write(config)
        if birdc is None:
            self.check_config()
        else:
            checked = birdc("configure check")
            if "Configuration OK" not in checked:
                raise LabError("BIRD of %s: configure check: %s" % (self.name, checked.strip()))
        out = (birdc or self.birdc)("configure")
        if "Reconfigured" not in out and "Reconfiguration in progress" not in out:
            raise LabError("birdc configure on %s: %s" % (self.name, out.strip()))
        return out

    def birdc(self, command, check=True):
        proc = subprocess.run(["birdc", "-s", str(self.ctl)] + command.split(), stdout=subprocess.PIPE, check=False,
                              stderr=subprocess.STDOUT, text=True, timeout=20)
        if check and proc.returncode != 0:
            raise LabError("birdc %s on %s failed: %s" % (command, self.name, proc.stdout))
        return proc.stdout

    def protocols(self):
        """``show protocols`` as ``{name: {proto, table, state, since, info}}``."""
        return parse_protocols(self.birdc("show protocols"))

    def routes(self):
        """``show route`` as ``[{destination, gateway, interface, protocol, primary}]`` (every route of
        every prefix: BIRD prints the alternatives of a prefix on indented lines after the first)."""
        return parse_show_route(self.birdc("show route"))

    def wait_established(self, protocol, timeout=30):
        return wait_for(lambda: self.protocols().get(protocol, {}).get("info", "").startswith("Established"),
                        timeout, interval=0.25, what="BIRD %s protocol %s Established" % (self.name, protocol))

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)


_ROUTE_RE = re.compile(r"^(?P<dest>\S+/\d+)?\s+(?P<how>via (?P<gw>\S+) on (?P<dev>\S+)|dev (?P<dev2>\S+)|blackhole|"
                       r"unreachable|prohibited)\s+\[(?P<proto>\S+)[^\]]*\](?P<primary> \*)?")


def parse_show_route(text):
    """BIRD 1.6 ``show route`` lines, e.g.::

        192.168.20.0/26    via 172.16.30.103 on eth0 [Mesh_172_16_30_103 10:00:01] * (100/0) [i]
                           via 172.16.30.104 on eth0 [Node_172_16_30_104 10:00:01] (100/0) [i]
        192.168.10.0/26    blackhole [static1 10:00:00] * (200)
    """
    rows, current = [], None
    for line in text.splitlines():
        match = _ROUTE_RE.match(line)
        if not match:
            continue
        if match.group("dest"):
            current = match.group("dest")
        if current is None:
            continue
        rows.append({"destination": current, "gateway": match.group("gw") or "",
                     "interface": match.group("dev") or match.group("dev2") or "",
                     "protocol": match.group("proto"), "primary": bool(match.group("primary"))})
    return rows


def parse_protocols(text):
    """``show protocols`` (or the protocol lines of ``show protocols all``: the detail lines below
    each are indented) as ``{name: {proto, table, state, since, info}}``."""
    rows = {}
    for line in text.splitlines():
        parts = line.split()
        if len(parts) < 5 or parts[0] in ("name", "BIRD") or line[:4].isdigit() or line[:1].isspace():
            continue
        name, proto, table, state = parts[:4]
        rest = parts[4:]
        since = rest.pop(0)
        if re.match(r"^\d{4}-\d{2}-\d{2}$", since) and rest:  # "2026-11-23 18:00:01"
            since += " " + rest.pop(0)
        rows[name] = {"proto": proto, "table": table, "state": state, "since": since,
                      "info": " ".join(rest)}
    return rows
