"""Network namespaces, links and processes for the lab, with cleanup that survives crashes.

Safety rules (README, rule 5): everything the root namespace talks to is on loopback or in
198.18.0.0/15; :func:`ensure_safety_route` installs an ``unreachable`` route for that range in the
root namespace so that nothing leaves the machine when a namespace is missing.  The seeds' own
addresses (172.16.x, 192.168.x, ...) are only ever configured inside namespaces made here.

Every namespace made here is recorded under ``RUN_DIR/netns/<name>/`` with the PIDs of the
processes started in it, so :func:`destroy` (and ``python -m lab down``) can remove them by PID even
after the process that made them has died.
"""
import contextlib
import errno
import fcntl
import ipaddress
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

from .paths import RUN_DIR

MGMT_RANGE = ipaddress.ip_network("198.18.0.0/15")
# /30s handed out on demand (tests) come from the upper half; inventories use 198.18.0.0/16
DYNAMIC_RANGE = ipaddress.ip_network("198.19.0.0/16")
NETNS_DIR = RUN_DIR / "netns"
ALLOC_DIR = RUN_DIR / "mgmt-alloc"
# One lock for the whole machine (every checkout, whatever its RUN_DIR): the root-namespace route is shared.
ROUTE_LOCK = Path(os.environ.get("KUBEFABRIC_LAB_LOCK", "/run/kubefabric-lab.route.lock"))
NETNS_ROOT = Path("/run/netns")
# every namespace the lab and the tests make starts with this (labs kf<name><hash>-..., tests kft-...)
NS_PREFIX = "kf"
# ``make test`` sets it; a namespace records it so the run's end can find what it left (tests/tools/leakcheck.py)
RUN_ID_ENV = "KUBEFABRIC_RUN_ID"


class LabError(RuntimeError):
    pass


class MgmtAddressInUse(LabError):
    """The /30 of an inventory's management address is taken (another lab on this machine has it)."""


def sh(args, check=True, input=None, ns=None, capture=True, env=None, timeout=60):
    """Run a command (in namespace ``ns`` when given) and return its stdout as text."""
    if ns is not None:
        args = ["ip", "netns", "exec", ns] + list(args)
    proc = subprocess.run(args, input=input, check=False, stdout=subprocess.PIPE if capture else None,
                          stderr=subprocess.PIPE if capture else None, text=True, env=env,
                          timeout=timeout)
    if check and proc.returncode != 0:
        raise LabError("command failed (%d): %s\n%s"
                       % (proc.returncode, " ".join(args), (proc.stderr or "").strip()))
    return proc.stdout or ""


@contextlib.contextmanager
def route_lock():
    """Serialise "add the route and record a namespace" against "no namespace left: remove the route"."""
    ROUTE_LOCK.parent.mkdir(parents=True, exist_ok=True)
    with open(ROUTE_LOCK, "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def has_safety_route():
    out = sh(["ip", "-4", "route", "show", "type", "unreachable", str(MGMT_RANGE)], check=False)
    return str(MGMT_RANGE) in out


def ensure_safety_route():
    """``unreachable 198.18.0.0/15`` in the root namespace; more specific /30s win over it."""
    if not has_safety_route():
        sh(["ip", "route", "add", "unreachable", str(MGMT_RANGE)], check=False)


def lab_namespaces_alive():
    """Namespaces of any lab or test on this machine (any checkout): names under /run/netns with our prefix."""
    try:
        return sorted(n for n in os.listdir(NETNS_ROOT) if n.startswith(NS_PREFIX))
    except OSError:
        return []


def remove_safety_route_if_unused():
    """Remove the ``unreachable 198.18.0.0/15`` route when no lab (of any checkout) is left.

    Kept while any namespace is recorded here or any namespace named ``kf...`` exists (another
    checkout's lab, whatever its RUN_DIR).  Returns True when it removed the route."""
    with route_lock():
        if list_recorded() or lab_namespaces_alive() or not has_safety_route():
            return False
        sh(["ip", "route", "del", "unreachable", str(MGMT_RANGE)], check=False)
        return True


def _pid_alive(pid):
    try:
        os.kill(pid, 0)
    except OSError as exc:
        return exc.errno == errno.EPERM
    # a zombie is not alive for our purposes
    try:
        with open("/proc/%d/stat" % pid) as fh:
            return fh.read().split(") ", 1)[1][0] != "Z"
    except (OSError, IndexError):
        return False


class MgmtLink:
    """A /30 from 198.18.0.0/15 between the root namespace and a namespace (veth).

    ``index`` picks a /30 of the dynamic range (tests); ``ns_ip`` instead names the device's
    management address as an inventory gives it (its /30; the root end is the other host address).
    """

    def __init__(self, index, ns, ns_ifname="mgmt0", ns_ip=None):
        self.index = index
        self.ns = ns
        self.ns_ifname = ns_ifname
        if ns_ip is not None:
            address = ipaddress.ip_address(ns_ip)
            if address not in MGMT_RANGE or address in DYNAMIC_RANGE:
                raise LabError("management address %s is not in 198.18.0.0/16" % ns_ip)
            net = ipaddress.ip_network("%s/30" % ns_ip, strict=False)
            hosts = [str(h) for h in net.hosts()]
            if str(address) not in hosts:
                raise LabError("management address %s is not a host address of %s" % (ns_ip, net))
            self.ns_ip = str(address)
            self.host_ip = hosts[1] if hosts[0] == self.ns_ip else hosts[0]
            self.root_ifname = "kfs%d" % ((int(net.network_address) - int(MGMT_RANGE.network_address)) // 4)
        else:
            net = ipaddress.ip_network((int(DYNAMIC_RANGE.network_address) + 4 * index, 30))
            self.host_ip = str(net.network_address + 1)  # root namespace end
            self.ns_ip = str(net.network_address + 2)  # the device's management address
            self.root_ifname = "kfm%d" % index
        self.network = net


def allocate_mgmt_index(owner):
    """Claim a free /30 index atomically (a directory per index, owned by a PID)."""
    ALLOC_DIR.mkdir(parents=True, exist_ok=True)
    for index in range(1, DYNAMIC_RANGE.num_addresses // 4):
        path = ALLOC_DIR / str(index)
        try:
            path.mkdir()
        except FileExistsError:
            try:
                holder = (path / "owner").read_text().split()
                if holder and not (NETNS_DIR / holder[0]).exists():
                    shutil.rmtree(path, ignore_errors=True)
                    path.mkdir()
                else:
                    continue
            except (OSError, FileExistsError):
                continue
        (path / "owner").write_text("%s\n" % owner)
        return index
    raise LabError("no free management /30 left in %s" % DYNAMIC_RANGE)


def release_mgmt_index(index):
    shutil.rmtree(ALLOC_DIR / str(index), ignore_errors=True)


class Netns:
    """A network namespace made by the lab (``ip netns``), with its processes tracked by PID."""

    def __init__(self, name):
        if len(name) > 40 or "/" in name:
            raise LabError("bad namespace name %r" % name)
        self.name = name
        self.dir = NETNS_DIR / name
        self.mgmt = None

    # -- lifecycle -------------------------------------------------------------------------
    def create(self, lo_up=True):
        """Record and make the namespace; ``lo_up=False``: the caller brings ``lo`` up in its own
        :meth:`batch` (one process less per namespace, which counts at 2,000 namespaces)."""
        with route_lock():  # the route and the record together, so that no one removes the route meanwhile
            ensure_safety_route()
            (self.dir / "pids").mkdir(parents=True, exist_ok=True)
            if os.environ.get(RUN_ID_ENV):
                (self.dir / "run-id").write_text(os.environ[RUN_ID_ENV] + "\n")
        if not (NETNS_ROOT / self.name).exists():
            sh(["ip", "netns", "add", self.name])
        if lo_up:
            sh(["ip", "link", "set", "lo", "up"], ns=self.name)
        return self

    def exists(self):
        return Path("/run/netns/%s" % self.name).exists()

    def destroy(self):
        destroy(self.name)

    # -- commands and processes --------------------------------------------------------------
    def run(self, args, **kw):
        return sh(args, ns=self.name, **kw)

    def spawn(self, args, tag, log=None, env=None, cwd=None, prefix=None):
        """Start a long-running process in the namespace; its PID is recorded under ``tag``."""
        cmd = ["ip", "netns", "exec", self.name] + (list(prefix or [])) + list(args)
        logf = open(log, "ab") if log else subprocess.DEVNULL
        try:
            proc = subprocess.Popen(cmd, stdout=logf, stderr=subprocess.STDOUT if log else subprocess.DEVNULL,
                                    stdin=subprocess.DEVNULL, env=env, cwd=cwd, start_new_session=True)
        finally:
            if log:
                logf.close()
        self.record_pid(tag, proc.pid)
        return proc

    def record_pid(self, tag, pid):
        (self.dir / "pids").mkdir(parents=True, exist_ok=True)
        (self.dir / "pids" / ("%s.pid" % tag)).write_text("%d\n" % pid)

    # -- links -------------------------------------------------------------------------------
    def add_mgmt_link(self, ns_ifname="mgmt0", ns_ip=None):
        """Join this namespace to the root namespace on a /30 of 198.18.0.0/15.

        Without ``ns_ip`` a free /30 of 198.19.0.0/16 is allocated; with it (an inventory's
        management address in 198.18.0.0/16) that address's /30 is used.
        """
        if ns_ip is None:
            index = allocate_mgmt_index(self.name)
            link = MgmtLink(index, self.name, ns_ifname)
        else:
            index = None
            link = MgmtLink(None, self.name, ns_ifname, ns_ip=ns_ip)
        if _root_link_exists(link.root_ifname):
            if index is not None:
                sh(["ip", "link", "del", link.root_ifname], check=False)  # left over from a crash
            else:
                raise MgmtAddressInUse("management address %s is already in use (%s exists): another lab is "
                                       "up with the same address" % (link.ns_ip, link.root_ifname))
        sh(["ip", "link", "add", link.root_ifname, "type", "veth", "peer", "name", ns_ifname,
            "netns", self.name])
        sh(["ip", "addr", "add", "%s/30" % link.host_ip, "dev", link.root_ifname])
        sh(["ip", "link", "set", link.root_ifname, "up"])
        self.run(["ip", "addr", "add", "%s/30" % link.ns_ip, "dev", ns_ifname])
        self.run(["ip", "link", "set", ns_ifname, "up"])
        (self.dir / "mgmt").write_text("%s %s\n" % ("-" if index is None else index, link.root_ifname))
        self.mgmt = link
        return link

    def batch(self, commands):
        """Several ``ip`` commands (each a list of words, without ``ip``) in this namespace, one process
        (``ip -n <ns> -batch -``); the first that fails raises LabError naming it."""
        batch(commands, ns=self.name)

    def set_sysctls(self, values):
        """``{key: value}`` with one ``sysctl`` in the namespace."""
        self.run(["sysctl", "-q", "-w"] + ["%s=%s" % (key, value) for key, value in values.items()])

    def add_address(self, ifname, cidr):
        self.run(["ip", "addr", "replace", cidr, "dev", ifname])

    def set_sysctl(self, key, value):
        self.run(["sysctl", "-q", "-w", "%s=%s" % (key, value)])


def _root_link_exists(ifname):
    """Whether the root (current) network namespace has interface ``ifname`` (``ip link``, not /sys,
    which shows the namespace /sys was mounted in)."""
    return subprocess.run(["ip", "link", "show", "dev", ifname], stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL, check=False).returncode == 0


def batch(commands, ns=None):
    """``ip -batch -`` (in namespace ``ns`` by name when given): many link/address/route commands in one
    process instead of one process (two with ``ip netns exec``) each."""
    commands = [list(map(str, c)) for c in commands]
    if not commands:
        return
    args = ["ip"] + (["-n", ns] if ns else []) + ["-batch", "-"]
    proc = subprocess.run(args, input="".join(" ".join(c) + "\n" for c in commands), stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True, check=False, timeout=120)
    if proc.returncode != 0:
        raise LabError("ip -batch failed%s: %s" % (" in %s" % ns if ns else "", (proc.stderr or "").strip()))


def veth_between(ns_a, if_a, ns_b, if_b):
    """A veth pair from ``ns_a:if_a`` to ``ns_b:if_b`` (both Netns objects), both ends up."""
    sh(["ip", "link", "add", if_a, "netns", ns_a.name, "type", "veth", "peer", "name", if_b,
        "netns", ns_b.name])
    ns_a.run(["ip", "link", "set", if_a, "up"])
    ns_b.run(["ip", "link", "set", if_b, "up"])


def bridge_in(ns, bridge):
    """A Linux bridge (STP off) inside namespace ``ns``."""
    ns.run(["ip", "link", "add", bridge, "type", "bridge", "stp_state", "0", "forward_delay", "0"])
    ns.run(["ip", "link", "set", bridge, "up"])


def attach_to_bridge(ns, ifname, bridge):
    ns.run(["ip", "link", "set", ifname, "master", bridge])


def _kill_pids(pids, timeout=3.0):
    for pid in pids:
        try:
            os.kill(pid, signal.SIGTERM)
        except OSError:
            pass
    deadline = time.time() + timeout
    while time.time() < deadline and any(_pid_alive(p) for p in pids):
        time.sleep(0.05)
    for pid in pids:
        if _pid_alive(pid):
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass


def namespace_pids(name):
    """The processes recorded for namespace ``name`` and those still inside it."""
    d = NETNS_DIR / name
    pids = []
    if (d / "pids").is_dir():
        for f in (d / "pids").glob("*.pid"):
            try:
                pids.append(int(f.read_text().split()[0]))
            except (OSError, ValueError, IndexError):
                pass
    if Path("/run/netns/%s" % name).exists():
        out = sh(["ip", "netns", "pids", name], check=False)
        pids.extend(int(p) for p in out.split() if p.isdigit())
    return sorted(set(pids))


def kill_processes(names):
    """Stop the processes of every namespace in ``names`` at once (SIGTERM, then SIGKILL after 3 s).

    A large lab stops its routing daemons before it deletes any namespace: deleting the namespaces of a
    1,000-node lab one by one while their neighbours' BIRDs still run makes every remaining BIRD withdraw
    routes at each step (a routing storm that took minutes and hundreds of runnable processes)."""
    _kill_pids(sorted({pid for name in names for pid in namespace_pids(name)}))


def destroy(name):
    """Kill every process recorded for (and still inside) namespace ``name``, then delete it."""
    d = NETNS_DIR / name
    _kill_pids(namespace_pids(name))
    if (d / "mgmt").exists():
        try:
            index, root_if = (d / "mgmt").read_text().split()
            sh(["ip", "link", "del", root_if], check=False)
            if index != "-":
                release_mgmt_index(int(index))
        except (OSError, ValueError):
            pass
    if (NETNS_ROOT / name).exists():
        sh(["ip", "netns", "del", name], check=False)
    shutil.rmtree(d, ignore_errors=True)
    remove_safety_route_if_unused()


def list_recorded():
    """Names of namespaces the lab has recorded (alive or left over from a crash)."""
    if not NETNS_DIR.is_dir():
        return []
    return sorted(p.name for p in NETNS_DIR.iterdir() if p.is_dir())


def destroy_matching(prefix):
    for name in list_recorded():
        if name.startswith(prefix):
            destroy(name)


def wait_for(predicate, timeout, interval=0.1, what="condition"):
    """Poll ``predicate`` until it returns a true value; raise LabError naming ``what`` on timeout."""
    deadline = time.time() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.time() >= deadline:
            raise LabError("timed out after %.0f s waiting for %s" % (timeout, what))
        time.sleep(interval)
