"""The lab's emulated calico-node: one process serving every node of a lab.

For each node it does what calico-node's confd + BIRD + status reporter do:

- watches the Kubernetes API (Nodes, BGPPeers, BGPConfigurations, IPPools, BGPFilters, Secrets);
- computes the node's BGP sessions the way confd does (lab/confd.py) and renders the six BIRD
  files (lab/birdcfg.py): the lab's own code, never the collection's, so the collection's Calico
  engine is checked against an independent reading of Calico;
- rewrites the files and runs ``birdc configure`` (never a restart) when the text changed, so
  sessions whose protocol block did not change stay up;
- fills the status of CalicoNodeStatus objects that name the node, from BIRD's ``show protocols``
  and, for objects whose ``classes`` hold ``Routes``, ``show route``.

One process for all nodes keeps a 200-node lab cheap: one set of watches, one engine run per change.
"""
import concurrent.futures
import datetime
import ipaddress
import json
import threading
import time
from pathlib import Path

from . import birdcfg, confd

PEER_TYPES = {"Mesh": "NodeMesh", "Node": "NodePeer", "Global": "GlobalPeer"}
STATES = {"up": "Established"}
WATCHED = (
    ("", "v1", "nodes", None),
    ("", "v1", "secrets", "kube-system"),
    ("crd.projectcalico.org", "v1", "bgppeers", None),
    ("crd.projectcalico.org", "v1", "bgpconfigurations", None),
    ("crd.projectcalico.org", "v1", "ippools", None),
    ("crd.projectcalico.org", "v1", "bgpfilters", None),
    ("crd.projectcalico.org", "v1", "caliconodestatuses", None),
)
KIND_OF = {"nodes": "Node", "secrets": "Secret", "bgppeers": "BGPPeer",
           "bgpconfigurations": "BGPConfiguration", "ippools": "IPPool", "bgpfilters": "BGPFilter",
           "caliconodestatuses": "CalicoNodeStatus"}


def _protocol_ip(text):
    """The peer IP in a protocol name (``172_16_30_254`` or ``2001__102``)."""
    dotted = text.replace("_", ".")
    try:
        return str(ipaddress.IPv4Address(dotted))
    except ValueError:
        return text.replace("_", ":")


def _now():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class KubeHTTP:
    """A minimal Kubernetes REST client (bearer token + CA from a kubeconfig) on urllib3."""

    def __init__(self, kubeconfig):
        import urllib3
        import yaml
        conf = yaml.safe_load(Path(kubeconfig).read_text())
        ctx_name = conf.get("current-context")
        ctx = next(c["context"] for c in conf["contexts"] if c["name"] == ctx_name)
        cluster = next(c["cluster"] for c in conf["clusters"] if c["name"] == ctx["cluster"])
        user = next(u["user"] for u in conf["users"] if u["name"] == ctx["user"])
        self.server = cluster["server"].rstrip("/")
        self.token = user.get("token")
        ca_file = cluster.get("certificate-authority")
        if not ca_file and cluster.get("certificate-authority-data"):
            import base64
            import tempfile
            handle = tempfile.NamedTemporaryFile("wb", delete=False, suffix=".crt")
            handle.write(base64.b64decode(cluster["certificate-authority-data"]))
            handle.close()
            ca_file = handle.name
        self.http = urllib3.PoolManager(cert_reqs="CERT_REQUIRED", ca_certs=ca_file, maxsize=16)

    def request(self, method, path, body=None, query=None, stream=False):
        from urllib.parse import urlencode
        url = self.server + path + ("?" + urlencode(query) if query else "")
        headers = {"Authorization": "Bearer %s" % self.token, "Accept": "application/json"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = ("application/merge-patch+json" if method == "PATCH"
                                       else "application/json")
        resp = self.http.request(method, url, body=data, headers=headers, preload_content=not stream,
                                 timeout=None if stream else 30)
        if stream:
            return resp
        if resp.status >= 400:
            raise RuntimeError("%s %s: HTTP %d %s" % (method, path, resp.status, resp.data[:300]))
        return json.loads(resp.data or b"{}")


class NodeRuntime:
    """What the emulator needs of one node: its BIRD and its IPAM blocks."""

    def __init__(self, name, bird, blocks):
        self.name = name
        self.bird = bird
        self.blocks = list(blocks)
        self.files = None
        self.reconfigured = None
        self.booted = _now()


class CalicoNodeEmulator:
    """Watch the API server and keep every node's BIRD configured; report CalicoNodeStatus."""

    def __init__(self, api_client, nodes, log=print, status_interval=2.0):
        self.api = api_client
        self.nodes = {n.name: n for n in nodes}
        self.log = log
        self.status_interval = status_interval
        self.changed = threading.Event()
        self.stop_event = threading.Event()
        self.threads = []
        self.errors = []
        self.generation = 0

    # -- API access ------------------------------------------------------------------------
    def _path(self, group, version, plural, namespace):
        base = "/api/v1" if not group else "/apis/%s/%s" % (group, version)
        if namespace:
            base += "/namespaces/%s" % namespace
        return "%s/%s" % (base, plural)

    def _call(self, method, path, body=None, query=None, stream=False):
        return self.api.request(method, path, body=body, query=query, stream=stream)

    def list(self, group, version, plural, namespace=None):
        data = self._call("GET", self._path(group, version, plural, namespace))
        return data.get("items", []) if isinstance(data, dict) else []

    def snapshot(self):
        """Every object calico-node reads, as v3-shaped resources for the engine."""
        resources, statuses = [], []
        for group, version, plural, namespace in WATCHED:
            for obj in self.list(group, version, plural, namespace):
                obj = dict(obj)
                obj.setdefault("kind", KIND_OF[plural])
                obj.setdefault("apiVersion", "%s/%s" % (group, version) if group else version)
                if plural == "caliconodestatuses":
                    statuses.append(obj)
                else:
                    resources.append(obj)
        return resources, statuses

    # -- watching ----------------------------------------------------------------------------
    def _watch(self, group, version, plural, namespace):
        path = self._path(group, version, plural, namespace)
        while not self.stop_event.is_set():
            try:
                resp = self._call("GET", path, query={"watch": "1", "timeoutSeconds": "30"}, stream=True)
                for chunk in resp.stream(4096, decode_content=True):
                    if self.stop_event.is_set():
                        break
                    if chunk.strip():
                        self.changed.set()
                resp.release_conn()
            except Exception as exc:  # pylint: disable=broad-except
                if self.stop_event.is_set():
                    break
                self.log("watch %s: %s; retrying" % (plural, exc))
                self.stop_event.wait(1.0)
            self.changed.set()

    def start_watches(self):
        for spec in WATCHED:
            thread = threading.Thread(target=self._watch, args=spec, daemon=True,
                                      name="watch-%s" % spec[2])
            thread.start()
            self.threads.append(thread)

    # -- reconciling --------------------------------------------------------------------------
    def reconcile(self):
        """Render every node's files from one engine run; ``birdc configure`` where they changed."""
        resources, statuses = self.snapshot()
        model = confd.Model(resources)
        collected = confd.peerings(model)
        todo = []
        for name, runtime in sorted(self.nodes.items()):
            if name not in model.nodes:
                continue
            peers = confd.node_sessions(model, name, collected)
            files = birdcfg.render_node(model=model, node=name, peers=peers, blocks=runtime.blocks,
                                        bird_variant="stock")
            if files != runtime.files:
                todo.append((name, runtime, files))

        def apply(item):
            name, runtime, files = item
            try:
                if runtime.bird.proc is None and not runtime.bird.alive():
                    runtime.bird.start(files, timeout=60)
                else:
                    runtime.bird.configure(files)
            except Exception as exc:  # pylint: disable=broad-except
                # a loaded machine (100+ nodes on 2 cores) can be slower than BIRD's start timeout:
                # leave this node for the next pass instead of giving up on every node after it
                self.log("BIRD of %s: %s (retrying)" % (name, exc))
                self.changed.set()
                return None
            runtime.files = files
            runtime.reconfigured = _now()
            return name

        # every node's BIRD is its own process: start/reconfigure them side by side (each step is a
        # few short subprocesses - bird -p, birdc - so a 200-node lab is not 200 sequential waits)
        with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
            changed = [name for name in pool.map(apply, todo) if name]
        self.generation += 1
        if changed:
            self.log("configured %d node(s): %s" % (len(changed), ", ".join(changed[:10])
                                                    + (" ..." if len(changed) > 10 else "")))
        return statuses

    def report_status(self, statuses):
        def report(obj):
            node = obj.get("spec", {}).get("node")
            runtime = self.nodes.get(node)
            if runtime is None or not runtime.bird.alive():
                return
            status = self.node_status(runtime, routes="Routes" in (obj.get("spec", {}).get("classes") or ()))
            name = obj["metadata"]["name"]
            path = self._path("crd.projectcalico.org", "v1", "caliconodestatuses", None) + "/%s/status" % name
            try:
                self._call("PATCH", path, body={"status": status})
            except Exception as exc:  # pylint: disable=broad-except
                self.log("status of %s: %s" % (name, exc))

        # two birdc calls per node: side by side, or 200 nodes take minutes per round on a loaded machine
        with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
            list(pool.map(report, statuses))

    def node_status(self, runtime, routes=False):
        peers, established, other = [], 0, 0
        for proto, row in sorted(runtime.bird.protocols().items()):
            prefix, rest = proto.split("_", 1) if "_" in proto else (proto, "")
            if prefix not in PEER_TYPES or row["proto"] != "BGP":
                continue
            info = row["info"]
            state = info.split()[0] if info else row["state"]
            peer_ip = _protocol_ip(rest.split("_port_")[0])
            peers.append({"peerIP": peer_ip, "type": PEER_TYPES[prefix], "state": state, "since": row["since"]})
            if state == "Established":
                established += 1
            else:
                other += 1
        status = {
            "lastUpdated": _now(),
            "agent": {"birdV4": {"state": "Ready", "version": "v1.6.8", "routerID": "",
                                 "lastBootTime": runtime.booted,
                                 "lastReconfigurationTime": runtime.reconfigured or runtime.booted}},
            "bgp": {"numberEstablishedV4": established, "numberNotEstablishedV4": other,
                    "numberEstablishedV6": 0, "numberNotEstablishedV6": 0, "peersV4": peers, "peersV6": []},
        }
        if routes:
            status["routes"] = {"routesV4": node_routes(runtime.bird.routes()), "routesV6": []}
        return status

    def run(self, ready_file=None):
        self.start_watches()
        try:
            statuses = self.reconcile()
        except Exception as exc:  # pylint: disable=broad-except
            self.log("first reconcile failed: %s (retrying)" % exc)
            self.changed.set()
            statuses = []
        if ready_file:
            Path(ready_file).write_text(json.dumps({"nodes": sorted(self.nodes)}))
        last_status = 0.0
        while not self.stop_event.is_set():
            if self.changed.wait(timeout=0.5):
                time.sleep(0.2)  # coalesce bursts of events (confd batches too)
                self.changed.clear()
                try:
                    statuses = self.reconcile()
                except Exception as exc:  # pylint: disable=broad-except
                    self.log("reconcile failed: %s" % exc)
                    self.errors.append(str(exc))
            if time.time() - last_status >= self.status_interval:
                try:
                    statuses = self.snapshot()[1]
                    self.report_status(statuses)
                except Exception as exc:  # pylint: disable=broad-except
                    self.log("status failed: %s" % exc)
                last_status = time.time()

    def stop(self):
        self.stop_event.set()


def _source(protocol):
    """CalicoNodeStatus ``learnedFrom`` of a BIRD protocol name (as calico-node's status reporter names it)."""
    prefix, rest = protocol.split("_", 1) if "_" in protocol else (protocol, "")
    if prefix == "Mesh":
        return {"sourceType": "NodeMesh", "peerIP": _protocol_ip(rest.split("_port_")[0])}
    if prefix in ("Node", "Global"):
        return {"sourceType": "BGPPeer", "peerIP": _protocol_ip(rest.split("_port_")[0])}
    for start, kind in (("static", "Static"), ("kernel", "Kernel"), ("direct", "Direct")):
        if protocol.startswith(start):
            return {"sourceType": kind}
    return None


def node_routes(bird_routes):
    """``status.routes.routesV4`` rows from BIRD's routes: FIB for the route BIRD selected, RIB otherwise."""
    out = []
    for route in bird_routes:
        source = _source(route["protocol"])
        if source is None or ":" in route["destination"]:
            continue
        row = {"type": "FIB" if route["primary"] else "RIB", "destination": route["destination"],
               "gateway": route["gateway"], "interface": route["interface"], "learnedFrom": source}
        out.append(row)
    return out


def node_status_rows(bird):
    """``calicoctl node status``-like text for one node, read from its BIRD."""
    lines = ["+-----------------+-------------------+-------+----------+--------------------------------+",
             "|  PEER ADDRESS   |     PEER TYPE     | STATE |  SINCE   |              INFO              |",
             "+-----------------+-------------------+-------+----------+--------------------------------+"]
    labels = {"Mesh": "node-to-node mesh", "Node": "node specific", "Global": "global"}
    try:
        protocols = bird.protocols()
    except Exception as exc:  # pylint: disable=broad-except
        return "BIRD is not answering: %s" % exc
    for proto, row in sorted(protocols.items()):
        prefix, rest = proto.split("_", 1) if "_" in proto else (proto, "")
        if prefix not in labels or row["proto"] != "BGP":
            continue
        lines.append("| %-15s | %-17s | %-5s | %-8s | %-30s |" % (
            _protocol_ip(rest.split("_port_")[0]), labels[prefix], row["state"], row["since"][-8:], row["info"]))
    lines.append(lines[0])
    return "\n".join(lines)
