"""The Comware V7 CLI emulator: an SSH server in a lab namespace, backed by a real FRR.

    from lab.comware import start_comware
    sw = start_comware(ns, workdir, sysname="leaf1", username="admin", password="...")
    ConnectHandler(device_type="hp_comware", host=sw.address, port=sw.port,
                   username=sw.username, password=sw.password)
    sw.config_writes      # configuration lines accepted so far (persisted in workdir)
    sw.stop()

See docs/lab-comware.md.
"""
import json
import socket
import sys
import time
from pathlib import Path

from ..frr import FrrInstance
from ..netns import LabError, wait_for
from ..paths import REPO

__all__ = ["start_comware", "ComwareHandle"]


def _generate_host_key(path):
    import asyncssh  # pylint: disable=import-outside-toplevel
    key = asyncssh.generate_private_key("ssh-ed25519")
    key.write_private_key(str(path))
    Path(path).chmod(0o600)
    return key


class ComwareHandle:
    """A running emulated Comware switch (see :func:`start_comware`)."""

    def __init__(self, ns, workdir, sysname, username, password, address, port, host_key_path, frr,
                 continue_prompt):
        import asyncssh  # pylint: disable=import-outside-toplevel
        self.ns = ns
        self.workdir = Path(workdir)
        self.state_dir = self.workdir / "state"
        self.sysname = sysname
        self.username = username
        self.password = password
        self.address = address
        self.port = port
        self.host_key_path = Path(host_key_path)
        self.frr = frr
        self.continue_prompt = continue_prompt
        self.proc = None
        key = asyncssh.read_private_key(str(host_key_path))
        public = key.export_public_key("openssh").decode().split()
        self.host_key_type, self.host_key_base64 = public[0], public[1]
        self.host_key_fingerprint = key.get_fingerprint("sha256")
        host = address if port == 22 else "[%s]:%d" % (address, port)
        self.known_hosts_line = "%s %s %s" % (host, self.host_key_type, self.host_key_base64)
        self.known_hosts_file = self.workdir / "known_hosts"
        self.known_hosts_file.write_text(self.known_hosts_line + "\n")

    # -- what tests read ----------------------------------------------------------------------------
    @property
    def config_writes(self):
        """Configuration lines accepted since the device was first started (kept across restarts)."""
        path = self.state_dir / "config_writes"
        if not path.exists():
            return 0
        return int(path.read_text().split()[0])

    @property
    def config_log(self):
        """The accepted configuration lines, oldest first: ``[{"view", "line", "time"}]``."""
        path = self.state_dir / "config.log"
        if not path.exists():
            return []
        return [json.loads(l) for l in path.read_text().splitlines() if l.strip()]

    @property
    def saved_configuration(self):
        path = self.state_dir / "startup.cfg"
        return path.read_text() if path.exists() else None

    def netmiko_params(self, **extra):
        params = dict(device_type="hp_comware", host=self.address, port=self.port,
                      username=self.username, password=self.password)
        params.update(extra)
        return params

    # -- lifecycle ----------------------------------------------------------------------------------
    def _start_server(self, timeout=20):
        ready = self.state_dir / "ready"
        if ready.exists():
            ready.unlink()
        pwfile = self.workdir / "password"
        pwfile.write_text(self.password + "\n")
        pwfile.chmod(0o600)
        args = [sys.executable, "-m", "lab", "comware", "--listen", self.address, "--port", str(self.port),
                "--sysname", self.sysname, "--username", self.username, "--password-file", str(pwfile),
                "--host-key", str(self.host_key_path), "--state-dir", str(self.state_dir),
                "--ready-file", str(ready)]
        if self.frr is not None:
            args += ["--frr-dir", str(self.frr.dir)]
        if self.continue_prompt:
            args.append("--continue-prompt")
        self.proc = self.ns.spawn(args, tag="comware-%s" % self.sysname, log=str(self.workdir / "comware.log"),
                                  cwd=str(REPO))

        def up():
            if self.proc.poll() is not None:
                raise LabError("Comware emulator %s exited (%s); see %s" % (
                    self.sysname, self.proc.returncode, self.workdir / "comware.log"))
            if not ready.exists():
                return False
            try:
                with socket.create_connection((self.address, self.port), timeout=1):
                    return True
            except OSError:
                return False
        wait_for(up, timeout, interval=0.05, what="Comware emulator %s on %s:%d" % (
            self.sysname, self.address, self.port))

    def stop_server(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except Exception:  # pylint: disable=broad-except
                self.proc.kill()
                self.proc.wait(timeout=5)
        self.proc = None

    def restart(self):
        """Reboot the emulated switch: running configuration is lost, the saved one is loaded."""
        self.stop_server()
        self._start_server()

    def stop(self):
        self.stop_server()
        if self.frr is not None:
            self.frr.stop()


def start_comware(ns, workdir, sysname="leaf1", username="admin", password="admin-pass", host_key=None,
                  port=22, with_frr=True, continue_prompt=False, address=None):
    """Start an emulated Comware V7 switch in namespace ``ns`` (a lab Netns).

    ``workdir`` holds everything (FRR directory, host key, saved configuration, logs).
    ``host_key``: path of an OpenSSH private key to use; a fresh ed25519 key otherwise.
    The SSH server listens on ``address`` (default: the namespace's management address, made with
    ``ns.add_mgmt_link()`` when the namespace has none yet).
    """
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "state").mkdir(exist_ok=True)
    if address is None:
        if ns.mgmt is None:
            ns.add_mgmt_link()
        address = ns.mgmt.ns_ip
    if host_key is None:
        host_key = workdir / "ssh_host_ed25519_key"
        if not host_key.exists():
            _generate_host_key(host_key)
    frr = None
    if with_frr:
        frr = FrrInstance(ns, workdir / "frr", hostname=sysname)
        frr.start()
    handle = ComwareHandle(ns, workdir, sysname, username, password, address, port, host_key, frr,
                           continue_prompt)
    try:
        handle._start_server()  # pylint: disable=protected-access
    except Exception:
        handle.stop()
        raise
    return handle
