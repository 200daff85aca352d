"""An FRR switch: a real FRR (lab/frr.py) and a real OpenSSH server in the same namespace, with
vtysh as the login shell of the SSH user (netmiko ``cisco_ios``).

Recipe from shared/reference/LAB_NOTES.md §2, without changing the host: sshd runs inside
``unshare -m -u --propagation private``, which gives it

* its own hostname (vtysh prompts use the kernel hostname: ``leaf2#``),
* the FRR directory bind-mounted on ``/etc/frr`` and ``/run/frr``, so a plain ``vtysh`` (the login
  shell) reaches this namespace's FRR and reads its ``vtysh.conf``,
* private copies of ``/etc/passwd``, ``/etc/shadow`` and ``/etc/group`` holding the test user
  (login shell ``/usr/bin/vtysh``, group ``frrvty``, home under ``/run/home``), and a tmpfs on
  ``/run`` and ``/var/log`` (``/run/sshd`` privilege separation directory; no wtmp/lastlog on the
  host),
* its configuration and host key from the work directory bind-mounted on ``/etc/ssh``.

``username USER nopassword`` in the instance's ``vtysh.conf`` keeps vtysh's PAM account check
quiet (it would otherwise print ``vtysh_pam: Failed in account validation`` into every session).

    sw = start_frr_switch(ns, workdir, hostname="leaf2", username="admin", password="...")
    ConnectHandler(**sw.netmiko_params())   # device_type cisco_ios against vtysh
    sw.frr.show_json("show bgp summary json")
    sw.stop()
"""
import grp
import socket
import subprocess
from pathlib import Path

from .frr import FrrInstance
from .netns import LabError, wait_for

VTYSH = "/usr/bin/vtysh"
SSHD = "/usr/sbin/sshd"

_SCRIPT = """#!/bin/sh
# sshd for one lab FRR switch; runs in a private mount + UTS namespace (never changes the host)
set -e
hostname {hostname}
mount --bind {frr_dir} /etc/frr
mount --bind {ssh_dir} /etc/ssh
mount --bind {etc_dir}/passwd /etc/passwd
mount --bind {etc_dir}/shadow /etc/shadow
mount --bind {etc_dir}/group /etc/group
mount -t tmpfs -o mode=755 kf-run /run
mkdir -p /run/sshd /run/frr
mount --bind /etc/frr /run/frr
mount -t tmpfs -o mode=755 kf-log /var/log
{homes}
exec {sshd} -D -f /etc/ssh/sshd_config -E /etc/ssh/sshd.log
"""

_SSHD_CONFIG = """# lab FRR switch {hostname}
Port {port}
ListenAddress {address}
HostKey /etc/ssh/ssh_host_ed25519_key
PidFile /run/sshd.pid
PasswordAuthentication yes
KbdInteractiveAuthentication no
PubkeyAuthentication no
AuthorizedKeysFile none
UsePAM no
PermitRootLogin no
AllowUsers {users}
PrintMotd no
PrintLastLog no
UseDNS no
StrictModes no
X11Forwarding no
AllowTcpForwarding no
AllowAgentForwarding no
PermitTunnel no
"""


def _hash_password(password):
    out = subprocess.run(["openssl", "passwd", "-6", "-stdin"], input=password + "\n",
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, check=True)
    return out.stdout.strip()


def _free_uid(passwd_text, start=60100):
    used = set()
    for line in passwd_text.splitlines():
        parts = line.split(":")
        if len(parts) > 2 and parts[2].isdigit():
            used.add(int(parts[2]))
    uid = start
    while uid in used:
        uid += 1
    return uid


class FrrSwitchHandle:
    """A running FRR switch: ``address``, ``port``, ``frr`` (FrrInstance), ``known_hosts_line``."""

    def __init__(self, ns, workdir, hostname, frr, address, port, users):
        self.ns = ns
        self.workdir = Path(workdir)
        self.hostname = hostname
        self.frr = frr
        self.address = address
        self.port = port
        self.users = users  # [(username, password, shell)]
        self.username, self.password = users[0][0], users[0][1]
        self.proc = None
        pub = (self.workdir / "ssh" / "ssh_host_ed25519_key.pub").read_text().split()
        self.host_key_type, self.host_key_base64 = pub[0], pub[1]
        fp = subprocess.run(["ssh-keygen", "-l", "-E", "sha256", "-f",
                             str(self.workdir / "ssh" / "ssh_host_ed25519_key.pub")],
                            stdout=subprocess.PIPE, text=True, check=True).stdout.split()
        self.host_key_fingerprint = fp[1]
        host = address if port == 22 else "[%s]:%d" % (address, port)
        self.known_hosts_line = "%s %s %s" % (host, self.host_key_type, self.host_key_base64)
        self.known_hosts_file = self.workdir / "known_hosts"
        self.known_hosts_file.write_text(self.known_hosts_line + "\n")

    def netmiko_params(self, **extra):
        params = dict(device_type="cisco_ios", host=self.address, port=self.port,
                      username=self.username, password=self.password)
        params.update(extra)
        return params

    def _start_sshd(self, timeout=15):
        script = self.workdir / "ssh" / "run-sshd.sh"
        self.proc = self.ns.spawn(["unshare", "-m", "-u", "--propagation", "private", "sh", str(script)],
                                  tag="sshd-%s" % self.hostname, log=str(self.workdir / "sshd.out"))

        def up():
            if self.proc.poll() is not None:
                raise LabError("sshd of %s exited (%s): %s" % (
                    self.hostname, self.proc.returncode, self._logs()))
            try:
                with socket.create_connection((self.address, self.port), timeout=1) as sock:
                    sock.settimeout(2)
                    return sock.recv(64).startswith(b"SSH-")
            except OSError:
                return False
        wait_for(up, timeout, interval=0.05, what="sshd of %s on %s:%d" % (self.hostname, self.address, self.port))

    def _logs(self):
        text = ""
        for name in ("sshd.out", "ssh/sshd.log"):
            path = self.workdir / name
            if path.exists():
                text += path.read_text()[-2000:]
        return text

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        self.proc = None
        self.frr.stop()


def start_frr_switch(ns, workdir, hostname="leaf2", username="admin", password="admin-pass",
                     shell_username=None, shell_password=None, port=22, address=None, bgpd_conf=""):
    """Start FRR and sshd in namespace ``ns``; returns a :class:`FrrSwitchHandle`.

    ``username`` logs in to vtysh; ``shell_username`` (optional) gets ``/bin/bash`` (netmiko
    ``linux`` + ``vtysh -c``).  Both exist only inside sshd's private mount namespace.
    """
    workdir = Path(workdir).resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    if address is None:
        if ns.mgmt is None:
            ns.add_mgmt_link()
        address = ns.mgmt.ns_ip
    users = [(username, password, VTYSH)]
    if shell_username:
        users.append((shell_username, shell_password or password, "/bin/bash"))

    frr = FrrInstance(ns, workdir / "frr", hostname=hostname)
    frr_dir = frr.dir  # FrrInstance keeps its state where the frr user can reach it
    frr_dir.mkdir(parents=True, exist_ok=True)
    (frr_dir / "vtysh.conf").write_text("".join("username %s nopassword\n" % user[0] for user in users))
    frr.start(bgpd_conf=bgpd_conf)

    ssh_dir = workdir / "ssh"
    etc_dir = workdir / "etc"
    home_dir = Path("/run/home")  # made on sshd's private /run (see _SCRIPT)
    for d in (ssh_dir, etc_dir):
        d.mkdir(parents=True, exist_ok=True)
    key = ssh_dir / "ssh_host_ed25519_key"
    if not key.exists():
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "lab-%s" % hostname,
                        "-f", str(key)], check=True)
    (ssh_dir / "sshd_config").write_text(_SSHD_CONFIG.format(
        hostname=hostname, port=port, address=address, users=" ".join(user[0] for user in users)))

    passwd = Path("/etc/passwd").read_text()
    shadow = Path("/etc/shadow").read_text()
    group = Path("/etc/group").read_text()
    vty_gid = grp.getgrnam("frrvty").gr_gid
    extra_pw, extra_sh, homes = [], [], []
    for name, pw, shell in users:
        uid = _free_uid(passwd + "".join(extra_pw))
        home = home_dir / name
        homes.append("mkdir -p %s && chown %d:%d %s" % (home, uid, vty_gid, home))
        extra_pw.append("%s:x:%d:%d:lab user:%s:%s\n" % (name, uid, vty_gid, home, shell))
        extra_sh.append("%s:%s:19000:0:99999:7:::\n" % (name, _hash_password(pw)))
    lines = []
    for line in group.splitlines():
        if line.startswith("frrvty:"):
            members = [m for m in line.split(":")[3].split(",") if m]
            members += [user[0] for user in users]
            line = "frrvty:x:%d:%s" % (vty_gid, ",".join(members))
        lines.append(line)
    (etc_dir / "passwd").write_text(passwd.rstrip("\n") + "\n" + "".join(extra_pw))
    (etc_dir / "shadow").write_text(shadow.rstrip("\n") + "\n" + "".join(extra_sh))
    (etc_dir / "shadow").chmod(0o600)
    (etc_dir / "group").write_text("\n".join(lines) + "\n")
    (ssh_dir / "run-sshd.sh").write_text(_SCRIPT.format(
        hostname=hostname, frr_dir=frr_dir, ssh_dir=ssh_dir, etc_dir=etc_dir, sshd=SSHD,
        homes="\n".join(homes)))

    handle = FrrSwitchHandle(ns, workdir, hostname, frr, address, port, users)
    try:
        handle._start_sshd()  # pylint: disable=protected-access
    except Exception:
        handle.stop()
        raise
    return handle
