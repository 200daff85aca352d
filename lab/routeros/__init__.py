"""An emulated MikroTik RouterOS device (API 8728, api-ssl 8729) whose BGP sessions are real (FRR).

Public API for tests (see docs/lab-routeros.md)::

    from lab.routeros import start_routeros
    dev = start_routeros(ns, workdir, version="7.10", identity="router", password="secret")
    dev.address, dev.port, dev.tls_port, dev.ca_path, dev.writes
    dev.stop()

This package never imports the collection's RouterOS driver (the two walls, docs/development.md).
"""
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from lab.netns import LabError
from lab.paths import REPO

__all__ = ["start_routeros", "RouterOSHandle"]


class RouterOSHandle:
    """A running emulated device.  ``writes`` counts mutating API requests (persisted in a file)."""

    def __init__(self, ns, workdir, proc, address, port, tls_port, ca_path, username, password, version,
                 identity, frr_dir):
        self.ns = ns
        self.workdir = Path(workdir)
        self.proc = proc
        self.address = address
        self.port = port
        self.tls_port = tls_port
        self.ca_path = ca_path
        self.username = username
        self.password = password
        self.version = version
        self.identity = identity
        self.frr_dir = frr_dir
        self.write_log_path = self.workdir / "writes.log"
        self.state_path = self.workdir / "state.json"
        self.log_path = self.workdir / "routeros.log"

    @property
    def writes(self):
        """Number of mutating API requests (add/set/remove/unset/enable/disable/move/comment) received."""
        return len(self.write_log())

    def write_log(self):
        """The mutating requests as dicts ``{command, attrs, result, time}`` (secrets masked)."""
        try:
            text = self.write_log_path.read_text()
        except FileNotFoundError:
            return []
        return [json.loads(line) for line in text.splitlines() if line.strip()]

    def connect(self, tls=False, **kw):
        """A librouteros connection to this device (for tests)."""
        import ssl
        import librouteros
        kw.setdefault("timeout", 60)  # generous on a loaded machine; a wait, not an assertion
        if tls:
            ctx = ssl.create_default_context(cafile=str(self.ca_path))
            ctx.check_hostname = False
            kw.setdefault("ssl_wrapper", ctx.wrap_socket)
        return librouteros.connect(host=self.address, username=self.username, password=self.password,
                                   port=self.tls_port if tls else self.port, **kw)

    def frr(self):
        """The device's FrrInstance (for assertions on the daemon side), or None."""
        if not self.frr_dir:
            return None
        from lab.frr import FrrInstance
        return FrrInstance(self.ns, self.frr_dir, hostname=self.identity)

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self, timeout=10):
        """Stop the API server (which stops the FRR it started).  The state file stays."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=timeout)
        self.proc = None


def start_routeros(ns, workdir, version="7.10", identity="router", username="admin", password="lab-pass",
                   port=8728, tls_port=8729, frr=True, initial=None, verbose=True, timeout=120):
    """Start an emulated RouterOS device inside namespace ``ns`` (a ``lab.netns.Netns``).

    The device listens on the namespace's management address (``ns.add_mgmt_link()`` is called when
    the namespace has none yet), keeps its state in ``workdir`` (a restart with the same workdir keeps
    the configuration and the write count) and, with ``frr=True``, runs an FRR instance in
    ``workdir/frr`` that realises its BGP configuration.  ``initial`` is a startup configuration
    applied on the first boot and not counted in ``writes``: ``[("/ip/address/add", {"address":
    "172.16.30.254/24", "interface": "ether2"}), ...]`` (a refused command stops the start with
    RouterOS's message).
    """
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    if ns.mgmt is None:
        ns.add_mgmt_link()
    address = ns.mgmt.ns_ip
    ready = workdir / "ready.json"
    if ready.exists():
        ready.unlink()
    frr_dir = workdir / "frr" if frr else None
    args = [sys.executable, "-m", "lab", "routeros", "--listen", address, "--port", str(port),
            "--tls-port", str(tls_port), "--version", str(version), "--identity", identity,
            "--username", username, "--workdir", str(workdir), "--netns", ns.name,
            "--ready-file", str(ready)]
    if frr_dir is not None:
        args += ["--frr-dir", str(frr_dir)]
    if verbose:
        args.append("--verbose")
    if initial:
        (workdir / "initial.json").write_text(json.dumps([[cmd, dict(attrs or {})] for cmd, attrs in initial]))
        args += ["--initial-config", str(workdir / "initial.json")]
    env = dict(os.environ, ROUTEROS_PASSWORD=password,
               PYTHONPATH=os.pathsep.join([str(REPO)] + [p for p in [os.environ.get("PYTHONPATH")] if p]))
    proc = ns.spawn(args, tag="routeros-%s" % identity, log=str(workdir / "routeros.log"), env=env,
                    cwd=str(REPO))
    deadline = time.time() + timeout
    while not ready.exists():
        if proc.poll() is not None:
            raise LabError("RouterOS emulator %s exited (%s):\n%s"
                           % (identity, proc.returncode, _tail(workdir / "routeros.log")))
        if time.time() > deadline:
            proc.kill()
            raise LabError("RouterOS emulator %s did not start in %ss:\n%s"
                           % (identity, timeout, _tail(workdir / "routeros.log")))
        time.sleep(0.05)
    info = json.loads(ready.read_text())
    ca_path = Path(info["ca"]) if info.get("ca") else None
    return RouterOSHandle(ns, workdir, proc, address, port, tls_port, ca_path, username, password,
                          info.get("version", version), identity, frr_dir)


def _tail(path, lines=30):
    try:
        return "\n".join(Path(path).read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"
