"""``python -m lab up|down|status INVENTORY``: a whole fabric on one machine, from the playbooks' inventory.

The inventory is read with ``ansible-inventory --list`` (so host_vars/group_vars and YAML/INI all
work as they do for the playbooks).  What is built (docs/architecture.md, "The lab"):

- a namespace per Kubernetes node with ``eth0`` on its rack's L2 segment, IP forwarding on, and a pod
  namespace behind ``cali0`` holding one pod IP of the node's IPAM block (a /26 of the pool);
- a namespace ``<lab>-sw`` holding one Linux bridge per rack (the L2 segments);
- a namespace per network device: one interface per rack it serves (address from ``racks``), the
  uplinks to spines as veth pairs, and a management link from the root namespace on the device's
  ``ansible_host`` (198.18.0.0/16); FRR devices run real FRR + OpenSSH, RouterOS and Comware devices
  the emulators backed by real FRR;
- the Kubernetes API emulator on 127.0.0.1, preloaded with the inventory's Node objects (names,
  addresses as calico-node's startup writes them, labels) and Calico's default IPPool;
- the emulated calico-node (one process for every node) that configures each node's BIRD 1.6;
- several clusters on one fabric (docs/multi_cluster.md: child groups of ``kubefabric_clusters``):
  one API emulator and one calico-node emulator per cluster (``clusters/<cluster>/`` in the state
  directory), each with the cluster's nodes and its ``pod_cidr``; the devices are shared.

``up`` is idempotent (a lab that is up is left as it is), ``down`` removes every namespace, bridge and
process the lab made (by PID, from its state directory, also after a crash); ``status`` prints every
endpoint's session table.  The state lives in ``/run/kubefabric-lab/labs/<lab>/`` and the variables
the playbooks need (kubeconfig, device credentials, known_hosts, CA files) in ``extra-vars.yml`` there.
"""
import argparse
import hashlib
import ipaddress
import json
import os
import secrets
import shutil
import subprocess
import sys
import time

import yaml
from pathlib import Path

from . import netns
from .netns import LabError, Netns, sh
from .paths import REPO, RUN_DIR

LABS_DIR = RUN_DIR / "labs"
DEFAULT_POOL = "192.168.0.0/16"
CLUSTER_GROUP = "kubefabric_clusters"
BLOCK_PREFIX = 26


# ------------------------------------------------------------------------------------------------
# inventory

def read_inventory(path):
    """``{"vars": all-vars, "nodes": {host: vars}, "devices": {host: vars}}`` via ansible-inventory."""
    exe = shutil.which("ansible-inventory") or str(Path(sys.executable).parent / "ansible-inventory")
    out = subprocess.run([exe, "-i", str(path), "--list", "--export"], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, check=False)
    if out.returncode != 0:
        raise LabError("ansible-inventory could not read %s: %s" % (path, out.stderr.strip()))
    data = json.loads(out.stdout)
    hostvars = data.get("_meta", {}).get("hostvars", {})

    def members(group, seen=None):
        seen = seen if seen is not None else set()
        entry = data.get(group, {})
        hosts = list(entry.get("hosts", []))
        for child in entry.get("children", []):
            if child not in seen:
                seen.add(child)
                hosts += members(child, seen)
        return hosts

    allvars = dict(data.get("all", {}).get("vars", {}))
    nodes = {h: dict(hostvars.get(h, {})) for h in members("k8s_nodes")}
    devices = {h: dict(hostvars.get(h, {})) for h in members("network_devices")}
    if not nodes:
        raise LabError("%s has no hosts in group k8s_nodes" % path)
    # several clusters on one fabric: each child group of kubefabric_clusters is one cluster
    clusters = {}
    for name in sorted(data.get(CLUSTER_GROUP, {}).get("children", [])):
        clusters[name] = {"vars": dict(data.get(name, {}).get("vars", {})), "nodes": sorted(set(members(name)))}
        for host in clusters[name]["nodes"]:
            if host not in nodes:
                raise LabError("%s: node %s of cluster %s is not in k8s_nodes" % (path, host, name))
    return {"vars": allvars, "nodes": nodes, "devices": devices, "clusters": clusters}


def cluster_of(inv):
    """``{node host: cluster}`` (``None`` for every node of a single-cluster inventory)."""
    out = {host: None for host in inv["nodes"]}
    for name, spec in inv.get("clusters", {}).items():
        out.update((host, name) for host in spec["nodes"])
    return out


def cluster_pool(inv, cluster):
    spec = inv.get("clusters", {}).get(cluster) or {}
    return spec.get("vars", {}).get("pod_cidr") or inv["vars"].get("pod_cidr") or DEFAULT_POOL


def lab_name(inventory_path):
    """``kf`` + up to 8 characters of the inventory's folder + 5 hex digits of the inventory's full path.

    The hash makes the name unique per checkout (two checkouts' ``make demo`` are two labs); the
    name stays at most 15 characters so that ``<lab>-<host>`` namespace names stay short.
    """
    path = Path(inventory_path).resolve()
    base = path.parent.name if path.is_file() else path.name
    name = "".join(c for c in base.lower() if c.isalnum())[:8] or "lab"
    return "kf%s%s" % (name, hashlib.sha1(str(path).encode()).hexdigest()[:5])


# ------------------------------------------------------------------------------------------------
# state

class Lab:
    def __init__(self, inventory_path):
        self.inventory_path = Path(inventory_path).resolve()
        self.name = lab_name(inventory_path)
        self.dir = LABS_DIR / self.name
        self.state_file = self.dir / "state.json"

    def ns_name(self, host):
        return ("%s-%s" % (self.name, host))[:40]

    def load(self):
        if self.state_file.exists():
            return json.loads(self.state_file.read_text())
        return None

    def save(self, state):
        self.dir.mkdir(parents=True, exist_ok=True)
        self.state_file.write_text(json.dumps(state, indent=2, sort_keys=True))


# ------------------------------------------------------------------------------------------------
# building

def _ifname(prefix, index):
    return ("%s%d" % (prefix, index))[:15]


def _blocks(pool, count):
    net = ipaddress.ip_network(pool)
    blocks = net.subnets(new_prefix=BLOCK_PREFIX)
    return [str(block) for block, _index in zip(blocks, range(count))]


def _raise_neigh_limits(count):
    """Kernel neighbour tables are global across namespaces (LAB_NOTES §5): size them for the lab."""
    want = max(1024, count * 8)
    thresh3 = Path("/proc/sys/net/ipv4/neigh/default/gc_thresh3")
    if not thresh3.exists():  # a lab built inside a network namespace: the limits are the initial one's
        return
    current = int(thresh3.read_text())
    if current < want * 4:
        for key, value in (("gc_thresh1", want), ("gc_thresh2", want * 2), ("gc_thresh3", want * 4)):
            for family in ("ipv4", "ipv6"):
                Path("/proc/sys/net/%s/neigh/default/%s" % (family, key)).write_text(str(value))


def cluster_vars(inv, cluster):
    """The variables of one cluster: the inventory's, overridden by the cluster group's own."""
    return dict(inv["vars"], **((inv.get("clusters", {}).get(cluster) or {}).get("vars") or {}))


def cluster_objects(inventory_vars, pool):
    """The Calico objects the lab's cluster starts with: the default IPPool and, with
    ``lab_node_to_node_mesh: false``, a default BGPConfiguration with the node-to-node mesh off."""
    objects = [{"apiVersion": "crd.projectcalico.org/v1", "kind": "IPPool",
                "metadata": {"name": "default-ipv4-ippool"},
                "spec": {"cidr": pool, "blockSize": BLOCK_PREFIX, "ipipMode": "Never", "vxlanMode": "Never",
                         "natOutgoing": True, "nodeSelector": "all()"}}]
    if inventory_vars.get("lab_node_to_node_mesh") is False:
        # a cluster installed with the mesh off (Calico's advice beyond ~100 nodes): without it every BIRD
        # of a 1,000-node lab would start with 999 mesh protocols (a million in all) before the pattern
        # run turns the mesh off
        objects.append({"apiVersion": "crd.projectcalico.org/v1", "kind": "BGPConfiguration",
                        "metadata": {"name": "default"}, "spec": {"nodeToNodeMeshEnabled": False}})
    return objects


def _k8s_node(host, spec, name):
    iface = ipaddress.ip_interface(spec["bgp_ipv4_address"])
    labels = {"kubernetes.io/hostname": name, "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64"}
    return {"apiVersion": "v1", "kind": "Node",
            "metadata": {"name": name, "labels": labels,
                         "annotations": {"projectcalico.org/IPv4Address": str(iface)}},
            "spec": {"podCIDR": ""},
            "status": {"addresses": [{"type": "InternalIP", "address": str(iface.ip)},
                                     {"type": "Hostname", "address": name}],
                       "conditions": [{"type": "Ready", "status": "True"}]}}


def _pod(name, node, ip):
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "namespace": "default", "labels": {"app": "lab-probe"}},
            "spec": {"nodeName": node, "containers": [{"name": "probe", "image": "lab/probe"}]},
            "status": {"phase": "Running", "podIP": ip, "podIPs": [{"ip": ip}]}}


def _start_process(lab, tag, args, log):
    """A root-namespace process of the lab (API server, calico-node), recorded by PID."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(REPO)] + [p for p in [os.environ.get("PYTHONPATH")] if p]))
    with open(log, "ab") as fh:
        proc = subprocess.Popen(args, stdout=fh, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env,
                                cwd=str(REPO), start_new_session=True)
    (lab.dir / ("%s.pid" % tag)).write_text("%d\n" % proc.pid)
    return proc


def _wait_file(path, proc, timeout, what):
    deadline = time.time() + timeout
    while not Path(path).exists():
        if proc.poll() is not None:
            raise LabError("%s exited (%s); see its log" % (what, proc.returncode))
        if time.time() > deadline:
            raise LabError("%s did not start within %ss" % (what, timeout))
        time.sleep(0.05)


def start_device(lab, host, spec, ns, workdir, creds):
    platform = spec.get("platform")
    hostname = host
    if platform == "frr":
        from .frrswitch import start_frr_switch
        handle = start_frr_switch(ns, workdir, hostname=hostname, username=creds["username"],
                                  password=creds["password"])
        return {"known_hosts_line": getattr(handle, "known_hosts_line", None)}
    if platform == "routeros":
        from .routeros import start_routeros
        handle = start_routeros(ns, workdir, version=str(spec.get("lab_routeros_version", "7.10")),
                                identity=hostname, username=creds["username"], password=creds["password"])
        return {"ca_path": str(handle.ca_path) if handle.ca_path else None}
    if platform == "comware":
        from .comware import start_comware
        handle = start_comware(ns, workdir, sysname=hostname, username=creds["username"],
                               password=creds["password"])
        return {"known_hosts_line": getattr(handle, "known_hosts_line", None)}
    raise LabError("%s: unknown platform %r" % (host, platform))


def up(inventory_path, log=print):
    started = time.time()
    lab = Lab(inventory_path)
    if lab.load() and lab.load().get("complete"):
        log("lab %s is already up (%s)" % (lab.name, lab.dir))
        return lab.load()
    if lab.load():
        log("lab %s was left half-built; removing it first" % lab.name)
        down(inventory_path, log=log)
    inv = read_inventory(inventory_path)
    lab.dir.mkdir(parents=True, exist_ok=True)
    state = {"name": lab.name, "inventory": str(lab.inventory_path), "namespaces": [], "complete": False,
             "nodes": {}, "devices": {}}
    if inv["vars"].get("lab_bird_scan_time"):
        # a lab deviation for big labs (docs/lab.md): every node's BIRD scans its kernel table less often
        state["bird_scan_time"] = int(inv["vars"]["lab_bird_scan_time"])
    clock = inv["vars"].get("lab_bird_clock", "own")
    if clock not in ("own", "shared"):
        raise LabError("lab_bird_clock must be own or shared, not %r" % (clock,))
    # own: every node's BIRD with its own phase of the monotonic clock, as on its own machine (docs/lab.md)
    state["bird_clock"] = clock
    lab.save(state)
    netns.ensure_safety_route()
    _raise_neigh_limits(len(inv["nodes"]) + len(inv["devices"]))

    def make_ns(host, lo_up=True):
        # recorded by netns (RUN_DIR/netns/<name>) before it exists, which is what ``down`` finds after a
        # crash; the state file is saved after each phase, not per namespace (2,000+ namespaces: rewriting
        # the growing state each time was quadratic)
        ns = Netns(lab.ns_name(host)).create(lo_up=lo_up)
        state["namespaces"].append(ns.name)
        return ns

    # L2 segments: one bridge per rack
    racks = sorted({spec.get("rack") or "default" for spec in inv["nodes"].values()}
                   | {r for spec in inv["devices"].values() for r in (spec.get("racks") or {})})
    sw = make_ns("sw")
    bridges = {}
    for index, rack in enumerate(racks):
        bridges[rack] = _ifname("br", index)
        netns.bridge_in(sw, bridges[rack])
    port = [0]

    def plug(ns, ifname, rack):
        port[0] += 1
        peer = _ifname("p", port[0])
        netns.veth_between(ns, ifname, sw, peer)
        netns.attach_to_bridge(sw, peer, bridges[rack])

    # nodes, their pods and IPAM blocks (per cluster: its own pool, API objects and block numbering)
    clusters = cluster_of(inv)
    objects_of, blocks_of, index_of = {}, {}, {}
    for cluster in sorted(set(clusters.values()), key=str):
        pool = cluster_pool(inv, cluster)
        blocks_of[cluster] = _blocks(pool, sum(1 for c in clusters.values() if c == cluster))
        objects_of[cluster] = cluster_objects(cluster_vars(inv, cluster), pool)
    # per node a handful of processes, not twenty (``ip -batch`` per namespace; the rack switch's ports
    # in one batch at the end): a 1,000-node lab is 2,000 namespaces
    switch_ports = []
    for host, spec in sorted(inv["nodes"].items()):
        cluster = clusters[host]
        index = index_of[cluster] = index_of.get(cluster, -1) + 1
        blocks, objects = blocks_of[cluster], objects_of[cluster]
        name = spec.get("calico_node_name") or host
        ns = make_ns(host, lo_up=False)
        pod = make_ns(host + "-pod", lo_up=False)
        block = ipaddress.ip_network(blocks[index])
        pod_ip = str(block.network_address + 1)
        port[0] += 1
        sw_port = _ifname("p", port[0])
        netns.batch([["link", "add", "eth0", "netns", ns.name, "type", "veth", "peer", "name", sw_port,
                      "netns", sw.name],
                     ["link", "add", "eth0", "netns", pod.name, "type", "veth", "peer", "name", "cali0",
                      "netns", ns.name]])
        switch_ports += [["link", "set", sw_port, "master", bridges[spec.get("rack") or "default"]],
                         ["link", "set", sw_port, "up"]]
        ns.batch([["link", "set", "lo", "up"], ["link", "set", "eth0", "up"], ["link", "set", "cali0", "up"],
                  ["addr", "replace", spec["bgp_ipv4_address"], "dev", "eth0"],
                  ["addr", "replace", "169.254.1.1/32", "dev", "cali0"],
                  ["route", "add", pod_ip + "/32", "dev", "cali0", "metric", "1024"]])
        ns.set_sysctls({"net.ipv4.ip_forward": 1, "net.ipv4.conf.all.rp_filter": 0})
        pod.batch([["link", "set", "lo", "up"], ["link", "set", "eth0", "up"],
                   ["addr", "replace", pod_ip + "/32", "dev", "eth0"],
                   ["route", "add", "169.254.1.1", "dev", "eth0", "scope", "link"],
                   ["route", "add", "default", "via", "169.254.1.1", "dev", "eth0", "onlink"]])
        state["nodes"][host] = {"name": name, "ns": ns.name, "pod_ns": pod.name, "block": str(block),
                                "pod_ip": pod_ip, "address": spec["bgp_ipv4_address"],
                                "rack": spec.get("rack") or "default"}
        if cluster is not None:
            state["nodes"][host]["cluster"] = cluster
        objects.append(_k8s_node(host, spec, name))
        objects.append(_pod("probe-%s" % name, name, pod_ip))
    sw.batch(switch_ports)
    lab.save(state)

    # devices
    creds_all = {}
    links = {}
    for host, spec in sorted(inv["devices"].items()):
        ns = make_ns(host)
        ns.set_sysctl("net.ipv4.ip_forward", 1)
        ns.set_sysctl("net.ipv4.conf.all.rp_filter", 0)
        for index, (rack, address) in enumerate(sorted((spec.get("racks") or {}).items())):
            ifname = _ifname("rack", index)
            plug(ns, ifname, rack)
            prefix = _rack_prefix(inv, rack)
            ns.add_address(ifname, "%s/%d" % (address, prefix))
        links[host] = ns
        mgmt = spec.get("ansible_host") or spec.get("mgmt_address")
        if not mgmt:
            raise LabError("%s: no ansible_host (management address in 198.18.0.0/16)" % host)
        try:
            link = ns.add_mgmt_link(ns_ip=mgmt)
        except netns.MgmtAddressInUse:
            # another lab (another checkout, another copy of this inventory) has this address: take a
            # free /30 of 198.19.0.0/16; lab-inventory.yml sets the device's ansible_host to it
            link = ns.add_mgmt_link()
            log("%s: management address %s is used by another lab; this lab's %s answers on %s "
                "(lab-inventory.yml sets its ansible_host)" % (host, mgmt, host, link.ns_ip))
        state["devices"][host] = {"ns": ns.name, "platform": spec.get("platform"), "mgmt": link.ns_ip}
        if link.ns_ip != mgmt:
            state["devices"][host].update(inventory_mgmt=mgmt, mgmt_index=link.index)
    for host, spec in sorted(inv["devices"].items()):
        for index, link in enumerate(spec.get("uplinks") or []):
            peer = link["peer"]
            if peer not in links:
                raise LabError("%s: uplink peer %s is not a device" % (host, peer))
            local_if, peer_if = _ifname("up", index), _ifname("dn-%s" % host[:6], index)
            netns.veth_between(links[host], local_if, links[peer], peer_if)
            links[host].add_address(local_if, link["address"])
            prefix = ipaddress.ip_interface(link["address"]).network.prefixlen
            links[peer].add_address(peer_if, "%s/%d" % (link["peer_address"], prefix))
    for host, spec in sorted(inv["devices"].items()):
        creds = {"username": "kubefabric", "password": secrets.token_urlsafe(12)}
        info = start_device(lab, host, spec, links[host], lab.dir / "devices" / host, creds)
        creds_all[host] = dict(creds, **{k: v for k, v in info.items() if v})
        state["devices"][host].update({k: v for k, v in info.items() if v})
        lab.save(state)

    # the Kubernetes API and calico-node: one of each per cluster
    kubeconfigs = {}
    for cluster, objects in sorted(objects_of.items(), key=lambda item: str(item[0])):
        kubeconfigs[cluster] = _start_kube(lab, cluster, objects, len(objects) // 2)
    if None in kubeconfigs:
        kubeconfig = kubeconfigs.pop(None)
    else:  # several clusters: the first is the home of fabric-wide tasks (the fabric lock)
        kubeconfig = kubeconfigs[sorted(kubeconfigs)[0]]
        state["clusters"] = {c: {"dir": str(_cluster_dir(lab, c)), "kubeconfig": str(k)}
                             for c, k in kubeconfigs.items()}

    # what the playbooks need
    known_hosts = lab.dir / "known_hosts"
    known_hosts.write_text("".join("%s\n" % c["known_hosts_line"] for c in creds_all.values()
                                   if c.get("known_hosts_line")))
    for host, device in state["devices"].items():
        if device.get("inventory_mgmt"):
            creds_all[host]["ansible_host"] = device["mgmt"]
    write_lab_inventory(lab, inv, creds_all, kubeconfig, known_hosts, kubeconfigs)
    state["complete"] = True
    state["up_seconds"] = round(time.time() - started, 2)
    lab.save(state)
    log("lab %s is up in %.1f s: %d nodes, %d devices; state in %s"
        % (lab.name, state["up_seconds"], len(inv["nodes"]), len(inv["devices"]), lab.dir))
    log("run a playbook against it: ansible-playbook -i %s -i %s playbooks/<pattern>.yml"
        % (inventory_path, lab.dir / "lab-inventory.yml"))
    return state


def _cluster_dir(lab, cluster):
    """Where a cluster's API and calico-node keep their files: the lab's directory for a single cluster."""
    return lab.dir if cluster is None else lab.dir / "clusters" / cluster


def _start_kube(lab, cluster, objects, node_count):
    """The Kubernetes API emulator preloaded with ``objects`` and the calico-node emulator of one
    cluster (``None``: the only one); returns the admin kubeconfig."""
    where = _cluster_dir(lab, cluster)
    where.mkdir(parents=True, exist_ok=True)
    suffix = "" if cluster is None else "-" + cluster
    preload = where / "preload.yaml"
    preload.write_text("".join("---\n%s\n" % json.dumps(obj) for obj in objects))
    kubeconfig = where / "kubeconfig"
    ready = where / "kubeapi.ready"
    if ready.exists():
        ready.unlink()
    users = _api_users(where)
    api = _start_process(lab, "kubeapi" + suffix, [sys.executable, "-m", "lab", "kubeapi", "--host", "127.0.0.1",
                                                   "--port", "0", "--workdir", str(where / "kubeapi"),
                                                   "--kubeconfig", str(kubeconfig), "--preload",
                                                   str(preload), "--ready-file", str(ready),
                                                   "--token-auth-file", str(users)], where / "kubeapi.log")
    _wait_file(ready, api, 30, "the Kubernetes API emulator" + suffix)
    _user_kubeconfigs(where, kubeconfig)
    cn_ready = where / "calico-node.ready"
    args = [sys.executable, "-m", "lab.calico_node_main", str(lab.dir)] + ([] if cluster is None else [cluster])
    node = _start_process(lab, "calico-node" + suffix, args, where / "calico-node.log")
    # its first reconcile starts every node's BIRD: seconds per node on a loaded 2-core machine
    _wait_file(cn_ready, node, 60 + 5 * node_count, "the calico-node emulator" + suffix)
    return kubeconfig


# Identities besides the admin (system:masters), authorised by RBAC in the API emulator:
# kubeconfig-<name> next to the lab's kubeconfig. The controller's service account has no rights
# until docs/rbac/kubefabric-controller.yaml is applied; "nobody" is a user with no binding at all.
API_USERS = {
    "controller": ("system:serviceaccount:kube-system:kubefabric-controller",
                   "system:serviceaccounts,system:serviceaccounts:kube-system"),
    "nobody": ("kubefabric-nobody", ""),
}


def _api_users(where):
    path = where / "kubeapi-tokens.csv"
    tokens = {}
    lines = []
    for name, (user, groups) in sorted(API_USERS.items()):
        tokens[name] = secrets.token_urlsafe(24)
        lines.append('%s,%s,%s,"%s"\n' % (tokens[name], user, name, groups))
    path.write_text("".join(lines))
    os.chmod(path, 0o600)
    return path


def _user_kubeconfigs(where, kubeconfig):
    rows = {}
    for line in (where / "kubeapi-tokens.csv").read_text().splitlines():
        token, _user, name = line.split(",")[:3]
        rows[name] = token
    base = yaml.safe_load(kubeconfig.read_text())
    for name, token in rows.items():
        config = json.loads(json.dumps(base))
        config["users"] = [{"name": "kubefabric-%s" % name, "user": {"token": token}}]
        config["contexts"][0]["context"]["user"] = "kubefabric-%s" % name
        path = where / ("kubeconfig-%s" % name)
        path.write_text(yaml.safe_dump(config))
        os.chmod(path, 0o600)


def write_lab_inventory(lab, inv, creds_all, kubeconfig, known_hosts, kubeconfigs=None):
    """An inventory with what only the lab knows (API kubeconfig, device credentials, CA, known_hosts),
    to pass as a second ``-i`` beside the user's inventory.  Several clusters: each cluster group's
    ``k8s_kubeconfig`` is its own API's, the ``all`` one the first cluster's."""
    hosts = {}
    for host, creds in creds_all.items():
        entry = {"bgp_device_username": creds["username"], "bgp_device_password": creds["password"]}
        if creds.get("ansible_host"):  # the inventory's management address was taken by another lab
            entry["ansible_host"] = creds["ansible_host"]
        if creds.get("ca_path"):
            entry.update(bgp_device_tls=True, bgp_device_ca_path=creds["ca_path"])
        if creds.get("known_hosts_line"):
            entry["bgp_device_known_hosts"] = str(known_hosts)
        hosts[host] = entry
    data = {"all": {"vars": {"k8s_kubeconfig": str(kubeconfig)},
                    "children": {"network_devices": {"hosts": hosts}}}}
    if kubeconfigs:
        data["all"]["children"][CLUSTER_GROUP] = {"children": {
            c: {"vars": {"k8s_kubeconfig": str(k)}} for c, k in sorted(kubeconfigs.items())}}
    path = lab.dir / "lab-inventory.yml"
    path.write_text(json.dumps(data, indent=2))
    os.chmod(path, 0o600)
    return path


def _rack_prefix(inv, rack):
    for spec in inv["nodes"].values():
        if (spec.get("rack") or "default") == rack:
            return ipaddress.ip_interface(spec["bgp_ipv4_address"]).network.prefixlen
    return 24


def _kill_pidfile(path):
    try:
        pid = int(Path(path).read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return
    netns._kill_pids([pid])  # pylint: disable=protected-access


def down(inventory_path, log=print):
    lab = Lab(inventory_path)
    for tag in ("calico-node", "kubeapi"):
        _kill_pidfile(lab.dir / ("%s.pid" % tag))
    for tag in ("calico-node-", "kubeapi-"):  # several clusters: one of each per cluster
        for path in sorted(lab.dir.glob("%s*.pid" % tag)) if lab.dir.exists() else []:
            _kill_pidfile(path)
    state = lab.load() or {}
    names = set(state.get("namespaces", [])) | {n for n in netns.list_recorded() if n.startswith(lab.name + "-")}
    netns.kill_processes(names)  # every daemon first: no routing storm while the namespaces go one by one
    for name in sorted(names, reverse=True):
        netns.destroy(name)
    shutil.rmtree(lab.dir, ignore_errors=True)
    log("lab %s is down (%d namespaces removed)" % (lab.name, len(names)))


def down_all(log=print):
    for path in sorted(LABS_DIR.glob("*/state.json")) if LABS_DIR.exists() else []:
        state = json.loads(path.read_text())
        down(state["inventory"], log=log)
    netns.destroy_matching("kf")


# ------------------------------------------------------------------------------------------------
# status

def status(inventory_path, out=print):
    from .bird import BirdInstance
    from .calico_node import node_status_rows
    lab = Lab(inventory_path)
    state = lab.load()
    if not state:
        raise LabError("lab %s is not up" % lab.name)
    for host, node in sorted(state["nodes"].items()):
        bird = BirdInstance(Netns(node["ns"]), lab.dir / "nodes" / host, name=host)
        out("%s (%s)" % (host, node["address"]))
        out(node_status_rows(bird))
    creds = json.loads((lab.dir / "lab-inventory.yml").read_text())["all"]["children"]["network_devices"]["hosts"]
    for host, device in sorted(state["devices"].items()):
        out("%s (%s, %s)" % (host, device["platform"], device["mgmt"]))
        try:
            out(device_view(lab, host, device, creds.get(host, {})))
        except Exception as exc:  # pylint: disable=broad-except
            out("  cannot read %s: %s" % (host, exc))


def device_view(lab, host, device, creds):
    """The device's own status view, read with the client a person would use."""
    if device["platform"] == "routeros":
        import ssl
        import librouteros
        ctx = ssl.create_default_context(cafile=creds["bgp_device_ca_path"])
        ctx.check_hostname = False
        api = librouteros.connect(host=device["mgmt"], username=creds["bgp_device_username"],
                                  password=creds["bgp_device_password"], port=8729, ssl_wrapper=ctx.wrap_socket)
        try:
            lines = ["/routing/bgp/session/print"]
            for row in api.path("routing", "bgp", "session"):
                lines.append("  %-14s remote %-15s as %-6s established=%s prefixes=%s uptime=%s" % (
                    row.get("name"), row.get("remote.address"), row.get("remote.as"), row.get("established"),
                    row.get("prefix-count"), row.get("uptime")))
            return "\n".join(lines)
        finally:
            api.close()
    if device["platform"] == "comware":
        from netmiko import ConnectHandler
        conn = ConnectHandler(device_type="hp_comware", host=device["mgmt"], username=creds["bgp_device_username"],
                              password=creds["bgp_device_password"], ssh_strict=True,
                              system_host_keys=False, alt_host_keys=True,
                              alt_key_file=creds["bgp_device_known_hosts"])
        try:
            return "<%s> display bgp peer ipv4\n%s" % (host, conn.send_command("display bgp peer ipv4"))
        finally:
            conn.disconnect()
    frr_dir = _device_frr_dir(lab, host, device)
    return sh(["vtysh", "--vty_socket", str(frr_dir), "-c", "show bgp summary"], ns=device["ns"], check=False)


def _device_frr_dir(lab, host, device):
    return Netns(device["ns"]).dir / ("frr-%s" % host)


# ------------------------------------------------------------------------------------------------
# command line

def _parser(prog):
    parser = argparse.ArgumentParser(prog="python -m lab %s" % prog)
    parser.add_argument("inventory", nargs="?" if prog == "down" else None)
    if prog == "down":
        parser.add_argument("--all", action="store_true", help="take down every lab this machine has")
    return parser


def main_up(argv):
    args = _parser("up").parse_args(argv)
    try:
        up(args.inventory)
    except LabError as exc:
        print("lab up failed: %s" % exc, file=sys.stderr)
        return 1
    return 0


def main_down(argv):
    args = _parser("down").parse_args(argv)
    if args.all:
        down_all()
    elif args.inventory:
        down(args.inventory)
    else:
        print("name an inventory or --all", file=sys.stderr)
        return 2
    return 0


def main_status(argv):
    args = _parser("status").parse_args(argv)
    try:
        status(args.inventory)
    except LabError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    return 0


def main_state(argv):
    args = _parser("state").parse_args(argv)
    lab = Lab(args.inventory)
    state = lab.load()
    if not state:
        print("lab %s is not up" % lab.name, file=sys.stderr)
        return 1
    state["dir"] = str(lab.dir)
    state["lab_inventory"] = str(lab.dir / "lab-inventory.yml")
    print(json.dumps(state, indent=2, sort_keys=True))
    return 0


# ------------------------------------------------------------------------------------------------
# device stop / start (fault tests): a device that is "powered off" and comes back

def device_stop(inventory_path, host, log=print):
    """Stop every process of device ``host`` (FRR, sshd, emulator): its sessions drop, its management
    address stops answering.  Interfaces, addresses and the device's saved state stay."""
    lab = Lab(inventory_path)
    state = lab.load()
    if not state or host not in state.get("devices", {}):
        raise LabError("%s is not a device of lab %s" % (host, lab.name))
    device = state["devices"][host]
    out = sh(["ip", "netns", "pids", device["ns"]], check=False)
    pids = sorted({int(p) for p in out.split() if p.isdigit()})
    netns._kill_pids(pids)  # pylint: disable=protected-access
    device["stopped"] = True
    lab.save(state)
    log("device %s stopped (%d processes)" % (host, len(pids)))
    return pids


def device_start(inventory_path, host, log=print):
    """Start device ``host`` again from what it keeps across a restart: an FRR switch its saved
    configuration (``write memory``), RouterOS its configuration, Comware its saved configuration."""
    from .netns import MgmtLink
    lab = Lab(inventory_path)
    state = lab.load()
    if not state or host not in state.get("devices", {}):
        raise LabError("%s is not a device of lab %s" % (host, lab.name))
    device = state["devices"][host]
    if not device.get("stopped"):
        log("device %s is running" % host)
        return device
    spec = read_inventory(state["inventory"])["devices"][host]
    creds = json.loads((lab.dir / "lab-inventory.yml").read_text())["all"]["children"]["network_devices"]["hosts"][host]
    ns = Netns(device["ns"])
    if device.get("mgmt_index") is not None:  # a /30 of 198.19.0.0/16 (the inventory's address was taken)
        ns.mgmt = MgmtLink(device["mgmt_index"], ns.name, "mgmt0")
    else:
        ns.mgmt = MgmtLink(None, ns.name, "mgmt0", ns_ip=device["mgmt"])
    workdir = lab.dir / "devices" / host
    creds = {"username": creds["bgp_device_username"], "password": creds["bgp_device_password"]}
    if device["platform"] == "frr":
        from .frrswitch import start_frr_switch
        saved = _device_frr_dir(lab, host, device) / "bgpd.conf"
        conf = saved.read_text() if saved.exists() else ""
        start_frr_switch(ns, workdir, hostname=host, username=creds["username"], password=creds["password"],
                         bgpd_conf=conf)
    else:
        start_device(lab, host, spec, ns, workdir, creds)
    device.pop("stopped", None)
    lab.save(state)
    log("device %s started" % host)
    return device


def _device_parser(prog):
    parser = argparse.ArgumentParser(prog="python -m lab %s" % prog)
    parser.add_argument("inventory")
    parser.add_argument("host", help="the device (inventory hostname)")
    return parser


def main_device_stop(argv):
    args = _device_parser("device-stop").parse_args(argv)
    try:
        device_stop(args.inventory, args.host)
    except LabError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    return 0


def main_device_start(argv):
    args = _device_parser("device-start").parse_args(argv)
    try:
        device_start(args.inventory, args.host)
    except LabError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    return 0
