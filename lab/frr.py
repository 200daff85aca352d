"""A real FRR (zebra + bgpd) inside a lab namespace, all its state in one directory.

Recipe measured in shared/reference/LAB_NOTES.md §1: the directory is owned by frr:frr (the daemons
drop privileges), zebra starts first and bgpd waits for ``zserv.api``, ``-P 0`` turns off the TCP vty
ports, and ``vtysh --vty_socket DIR`` reaches exactly this instance.
"""
import json
import os
import shutil
import subprocess
import time
from pathlib import Path

from .netns import LabError, wait_for

FRR_BIN = Path("/usr/lib/frr")


def _chown_frr(path):
    shutil.chown(path, "frr", "frr")
    for root, dirs, files in os.walk(path):
        for name in dirs + files:
            shutil.chown(os.path.join(root, name), "frr", "frr")


class FrrInstance:
    """zebra + bgpd (+ staticd) for one namespace; ``vtysh`` talks to this instance only."""

    def __init__(self, ns, workdir, hostname):
        self.ns = ns
        self.hostname = hostname
        self.procs = {}
        # The daemons run as user frr, which cannot enter root-only directories such as pytest's
        # tmp_path: the state lives under the namespace's record (removed by Netns.destroy) and
        # ``workdir`` becomes a link to it for people reading logs.
        self.dir = ns.dir / ("frr-%s" % hostname)
        self.workdir = Path(workdir) if workdir else None

    # -- lifecycle -------------------------------------------------------------------------
    def start(self, bgpd_conf="", staticd=False, timeout=15):
        self.dir.mkdir(parents=True, exist_ok=True)
        for parent in [self.dir] + list(self.dir.parents):
            if parent == Path("/run") or parent == Path("/"):
                break
            os.chmod(parent, os.stat(parent).st_mode | 0o055)
        if self.workdir is not None and not self.workdir.exists():
            self.workdir.parent.mkdir(parents=True, exist_ok=True)
            self.workdir.symlink_to(self.dir)
        (self.dir / "zebra.conf").write_text("hostname %s\n" % self.hostname)
        (self.dir / "bgpd.conf").write_text(bgpd_conf or "hostname %s\n" % self.hostname)
        (self.dir / "staticd.conf").write_text("")
        vtysh_conf = self.dir / "vtysh.conf"
        if not vtysh_conf.exists():
            vtysh_conf.write_text("")
        _chown_frr(self.dir)
        self._daemon("zebra")
        zserv = self.dir / "zserv.api"
        wait_for(zserv.exists, timeout, what="zebra of %s" % self.hostname)
        self._daemon("bgpd")
        if staticd:
            self._daemon("staticd")
        wait_for(self._vtysh_ready, timeout, interval=0.1, what="bgpd of %s" % self.hostname)
        return self

    def _daemon(self, name):
        d = str(self.dir)
        args = [str(FRR_BIN / name), "-P", "0", "--vty_socket", d, "-z", "%s/zserv.api" % d,
                "-i", "%s/%s.pid" % (d, name), "-f", "%s/%s.conf" % (d, name),
                "--log", "file:%s/%s.log" % (d, name)]
        # run in the foreground (no -d) so that the PID we record is the daemon's own
        proc = self.ns.spawn(args, tag="frr-%s-%s" % (self.hostname, name),
                             log=str(self.dir / ("%s.out" % name)))
        self.procs[name] = proc

    def _vtysh_ready(self):
        try:
            out = self.vtysh("show bgp view-list", check=False)
        except subprocess.TimeoutExpired:
            return False
        return "failed to connect" not in out.lower() and "is not running" not in out.lower()

    def stop(self):
        for name in ("staticd", "bgpd", "zebra"):
            proc = self.procs.pop(name, None)
            if proc and proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(timeout=5)

    # -- vtysh -----------------------------------------------------------------------------
    def vtysh(self, *commands, check=True, timeout=30):
        """Run vtysh with each command as ``-c``; returns the combined output text."""
        args = ["vtysh", "--vty_socket", str(self.dir), "--config_dir", str(self.dir)]
        for cmd in commands:
            args += ["-c", cmd]
        env = dict(os.environ, HOME=str(self.dir), VTYSH_PAGER="cat")
        proc = subprocess.run(["ip", "netns", "exec", self.ns.name] + args, stdout=subprocess.PIPE, check=False,
                              stderr=subprocess.STDOUT, text=True, env=env, timeout=timeout)
        if check and proc.returncode != 0:
            raise LabError("vtysh on %s failed (%d): %s\n%s" % (self.hostname, proc.returncode,
                                                                " / ".join(commands), proc.stdout))
        return proc.stdout

    def configure(self, lines):
        """Apply configuration lines in one ``configure terminal`` session."""
        return self.vtysh(*(["configure terminal"] + list(lines) + ["end"]))

    def show_json(self, command):
        out = self.vtysh(command)
        start = out.find("{")
        if start < 0:
            raise LabError("no JSON from %r on %s: %s" % (command, self.hostname, out))
        return json.loads(out[start:])

    def running_config(self):
        return self.vtysh("show running-config")

    def wait_established(self, peer, timeout=30):
        def up():
            peers = self.show_json("show bgp summary json").get("ipv4Unicast", {}).get("peers", {})
            return peers.get(peer, {}).get("state") == "Established"
        return wait_for(up, timeout, interval=0.25, what="BGP session %s -> %s" % (self.hostname, peer))


def wait_until(predicate, timeout, interval=0.2):
    """Like netns.wait_for but returns False instead of raising."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return False
