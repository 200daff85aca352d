"""The lab's emulated calico-node: one process serving every node of a lab.

For each node it does what calico-node's confd + BIRD + status reporter do:

- watches the Kubernetes API (Nodes, BGPPeers, BGPConfigurations, IPPools, BGPFilters, Secrets);
- computes the node's BGP sessions the way confd does (lab/confd.py) and renders the six BIRD
  files (lab/birdcfg.py): the lab's own code, never the collection's, so the collection's Calico
  engine is checked against an independent reading of Calico;
- rewrites the files and runs ``birdc configure`` (never a restart) when the text changed, so
  sessions whose protocol block did not change stay up;
- fills the status of CalicoNodeStatus objects that name the node, from BIRD's ``show protocols``
  and, for objects whose ``classes`` hold ``Routes``, ``show route``: each object when it appears or its
  spec changes, then every ``updatePeriodSeconds`` (0: once), and a PATCH only when the status differs
  from the one last written (``lastUpdated`` aside); BIRD is asked once per node and tick however many
  objects name the node.

One process for all nodes keeps a 200-node lab cheap: one set of watches, one engine run per change.
CalicoNodeStatus objects are not an input of the BIRD configuration: their watch keeps a cache of
their specs and never wakes the reconciler, so the emulator's own status writes cost no engine run.
"""
import collections
import concurrent.futures
import datetime
import ipaddress
import json
import socket
import sys
import threading
import time
from pathlib import Path

from . import birdcfg, confd
from .bird import BirdInstance, parse_protocols

PEER_TYPES = {"Mesh": "NodeMesh", "Node": "NodePeer", "Global": "GlobalPeer"}
STATES = {"up": "Established"}
WATCHED = (
    ("", "v1", "nodes", None),
    ("", "v1", "secrets", "kube-system"),
    ("crd.projectcalico.org", "v1", "bgppeers", None),
    ("crd.projectcalico.org", "v1", "bgpconfigurations", None),
    ("crd.projectcalico.org", "v1", "ippools", None),
    ("crd.projectcalico.org", "v1", "bgpfilters", None),
)
STATUSES = ("crd.projectcalico.org", "v1", "caliconodestatuses", None)
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
        self.http = urllib3.PoolManager(cert_reqs="CERT_REQUIRED", ca_certs=ca_file, maxsize=32)

    def request(self, method, path, body=None, query=None, stream=False, answer=True, timeout=30):
        """The decoded answer (``answer=False``: None; a status write's answer is the whole object, which
        the status reporter does not read)."""
        from urllib.parse import urlencode
        url = self.server + path + ("?" + urlencode(query) if query else "")
        headers = {"Authorization": "Bearer %s" % self.token, "Accept": "application/json"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = ("application/merge-patch+json" if method == "PATCH"
                                       else "application/json")
        resp = self.http.request(method, url, body=data, headers=headers, preload_content=not stream,
                                 timeout=None if stream else timeout)
        if stream:
            return resp
        if resp.status >= 400:
            raise RuntimeError("%s %s: HTTP %d %s" % (method, path, resp.status, resp.data[:300]))
        return json.loads(resp.data or b"{}") if answer else None


class BirdControl:
    """BIRD's control socket spoken directly (what ``birdc`` does, without a process per question): the
    status of 200 nodes every second would otherwise be 400 ``birdc`` processes a second. The answers
    are turned into birdc's text, so BirdInstance's own parsers read them."""

    protocols = BirdInstance.protocols
    routes = BirdInstance.routes

    def __init__(self, ctl, name, timeout=10):
        self.ctl = Path(ctl)
        self.name = name
        self.timeout = timeout

    def route_stamp(self):
        """What changes whenever BIRD's routing table changes, at the cost of ``show protocols all``
        instead of ``show route``: every protocol's state line and its ``Routes:`` and import
        update/withdraw counters (monotonic: a route added, replaced or withdrawn by any protocol
        moves one of them). The timers of those lines' neighbours are left out: they tick."""
        return self.protocols_and_stamp()[1]

    def protocols_and_stamp(self):
        """``protocols()`` and ``route_stamp()`` from one ``show protocols all``: one question to BIRD
        per node and period for an object that asks for Routes (BIRD answers slowly on a busy machine)."""
        text = self.birdc("show protocols all")
        keep = []
        for line in text.splitlines():
            if line and not line[0].isspace():
                keep.append(line)
            elif line.lstrip().startswith(("Routes:", "Import updates:", "Import withdraws:")):
                keep.append(line.strip())
        return parse_protocols(text), "\n".join(keep)

    def birdc(self, command, check=True):
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(self.timeout)
            sock.connect(str(self.ctl))
            handle = sock.makefile("rwb")
            self._reply(handle)  # the greeting: 0001 BIRD x.y ready.
            handle.write(command.encode() + b"\n")
            handle.flush()
            lines, code = self._reply(handle)
        if check and code >= 8000:
            raise RuntimeError("BIRD of %s refused %r: %s" % (self.name, command, "\n".join(lines)))
        return "\n".join(lines) + "\n"

    @staticmethod
    def _reply(handle):
        """The lines of one reply as birdc prints them, and the code of its last line."""
        lines = []
        while True:
            raw = handle.readline()
            if not raw:
                raise RuntimeError("BIRD closed its control socket")
            line = raw.decode(errors="replace").rstrip("\n")
            if line[:4].isdigit() and len(line) >= 5:
                code, last = int(line[:4]), line[4] == " "
                if code != 0:
                    lines.append(line[5:])
                if last:
                    return lines, code
            else:
                lines.append(line[1:] if line.startswith(" ") else line)


class NodeRuntime:
    """What the emulator needs of one node: its BIRD and its IPAM blocks."""

    def __init__(self, name, bird, blocks):
        self.name = name
        self.bird = bird
        self.blocks = list(blocks)
        self.files = None
        self.reconfigured = None
        self.booted = _now()
        self.configures = 0        # birdc configure runs (the first start not counted)
        self.route_stamp = None    # BIRD's route stamp when ``routes`` was read
        self.routes = None         # status.routes.routesV4 rows last read from BIRD
        self.routes_version = 0    # bumped when those rows change


class CalicoNodeEmulator:
    """Watch the API server and keep every node's BIRD configured; report CalicoNodeStatus."""

    def __init__(self, api_client, nodes, log=print, status_tick=0.25, status_workers=32, counters_file=None,
                 scan_time=None):
        self.api = api_client
        # ``lab_bird_scan_time`` (docs/lab.md): the kernel and device scan period of every BIRD instead of
        # calico-node's 2 s - a lab deviation for big labs, whose nodes share ONE kernel (and its route lock)
        self.scan_time = scan_time
        self.nodes = {n.name: n for n in nodes}
        self.log = log
        self.status_tick = status_tick  # how often due CalicoNodeStatus objects are looked for
        self.status_workers = status_workers  # nodes whose BIRD is asked at the same time
        self.counters_file = counters_file
        self.changed = threading.Event()
        self.status_wake = threading.Event()  # a new object, a changed spec, a node reconfigured
        self.stop_event = threading.Event()
        self.threads = []
        self.errors = []
        self.generation = 0
        # CalicoNodeStatus: name -> spec; name -> the status last written (lastUpdated aside); name -> due time
        self.status_lock = threading.Lock()
        self.status_objects = {}
        self.status_written = {}
        self.status_due = {}
        self.status_seen = {}       # name -> when its spec was first seen (not yet filled)
        self.status_patches = 0
        self.status_checks = 0      # node reads of the status reporter
        self.route_reads = 0        # ``show route`` reads (only when BIRD's route stamp moved)
        self.fill_latencies = collections.deque(maxlen=20000)  # seconds from seen to first filled
        self.reconciles = 0
        # how the status reporter asks a node's BIRD (tests put a fake BIRD here)
        self.bird_control = lambda runtime: BirdControl(runtime.bird.ctl, runtime.name)

    # -- API access ------------------------------------------------------------------------
    def _path(self, group, version, plural, namespace):
        base = "/api/v1" if not group else "/apis/%s/%s" % (group, version)
        if namespace:
            base += "/namespaces/%s" % namespace
        return "%s/%s" % (base, plural)

    def _call(self, method, path, body=None, query=None, stream=False, answer=True):
        if not answer:
            # a status write waits for its answer however long the API server takes: one given up
            # after 30 s is still done by the server, and written again - on a starved server (1,000
            # nodes) such writes piled up faster than it did them; waiting keeps at most one write
            # per worker in flight
            return self.api.request(method, path, body=body, query=query, stream=stream, answer=False,
                                    timeout=600)
        return self.api.request(method, path, body=body, query=query, stream=stream)

    def list(self, group, version, plural, namespace=None):
        data = self._call("GET", self._path(group, version, plural, namespace))
        return data.get("items", []) if isinstance(data, dict) else []

    def snapshot(self):
        """Every object the BIRD configuration depends on, as v3-shaped resources for the engine."""
        resources = []
        for group, version, plural, namespace in WATCHED:
            for obj in self.list(group, version, plural, namespace):
                obj = dict(obj)
                obj.setdefault("kind", KIND_OF[plural])
                obj.setdefault("apiVersion", "%s/%s" % (group, version) if group else version)
                resources.append(obj)
        return resources

    # -- watching ----------------------------------------------------------------------------
    def _stream(self, path, version, on_event):
        """One watch request from ``version``, every event to ``on_event(type, object)``. Returns the
        resourceVersion to resume from (a watch ends every 30 s: the next one goes on from there, as a
        client-go reflector does, instead of listing everything again), or None when the version has
        expired (410 in an ERROR event): the caller lists again."""
        query = {"watch": "1", "timeoutSeconds": "30"}
        if version:
            query["resourceVersion"] = version
        resp = self._call("GET", path, query=query, stream=True)
        buffer = b""
        try:
            for chunk in resp.stream(65536, decode_content=True):
                if self.stop_event.is_set():
                    break
                buffer += chunk
                *lines, buffer = buffer.split(b"\n")
                for line in lines:
                    if not line.strip():
                        continue
                    event = json.loads(line)
                    if event.get("type") == "ERROR":
                        self.log("watch %s: %s; listing again" % (path, (event.get("object") or {}).get("message")))
                        return None
                    obj = event.get("object") or {}
                    version = (obj.get("metadata") or {}).get("resourceVersion") or version
                    on_event(event.get("type"), obj)
        finally:
            resp.release_conn()
        return version

    def _watch(self, group, version, plural, namespace):
        """LIST once (its resourceVersion), then watch from there on; any event asks for a reconcile."""
        path = self._path(group, version, plural, namespace)
        resume = None
        while not self.stop_event.is_set():
            try:
                if resume is None:
                    data = self._call("GET", path)
                    resume = (data.get("metadata") or {}).get("resourceVersion") if isinstance(data, dict) else None
                    self.changed.set()
                resume = self._stream(path, resume, lambda _type, _obj: self.changed.set())
            except Exception as exc:  # pylint: disable=broad-except
                if self.stop_event.is_set():
                    break
                self.log("watch %s: %s; retrying" % (plural, exc))
                resume = None
                self.stop_event.wait(1.0)

    def start_watches(self):
        for spec in WATCHED:
            thread = threading.Thread(target=self._watch, args=spec, daemon=True,
                                      name="watch-%s" % spec[2])
            thread.start()
            self.threads.append(thread)
        thread = threading.Thread(target=self._watch_statuses, daemon=True, name="watch-caliconodestatuses")
        thread.start()
        self.threads.append(thread)

    # -- CalicoNodeStatus: a cache of specs, fed by LIST + watch ------------------------------------
    def _status_event(self, etype, obj):
        """Update the cache; a new object or a changed spec is due at once. Status writes (ours) change
        neither the spec nor the cache: they are dropped here."""
        name = (obj.get("metadata") or {}).get("name")
        if not name:
            return
        with self.status_lock:
            if etype == "DELETED":
                self.status_objects.pop(name, None)
                self.status_written.pop(name, None)
                self.status_due.pop(name, None)
                self.status_seen.pop(name, None)
                return
            spec = obj.get("spec") or {}
            if self.status_objects.get(name) != spec:
                self.status_objects[name] = spec
                self.status_written.pop(name, None)
                self.status_due[name] = 0.0
                self.status_seen[name] = time.time()
                self.status_wake.set()

    def _resync_statuses(self):
        path = self._path(*STATUSES)
        data = self._call("GET", path)
        items = data.get("items", []) if isinstance(data, dict) else []
        names = set()
        for obj in items:
            names.add(obj["metadata"]["name"])
            self._status_event("ADDED", obj)
        with self.status_lock:
            gone = set(self.status_objects) - names
        for name in gone:
            self._status_event("DELETED", {"metadata": {"name": name}})
        return (data.get("metadata") or {}).get("resourceVersion") if isinstance(data, dict) else None

    def _watch_statuses(self):
        """LIST (the cache of specs) once, then watch from its resourceVersion; LIST again only when the
        watch's version expired or the connection failed."""
        path = self._path(*STATUSES)
        resume = None
        while not self.stop_event.is_set():
            try:
                if resume is None:
                    resume = self._resync_statuses()
                resume = self._stream(path, resume, self._status_event)
            except Exception as exc:  # pylint: disable=broad-except
                if self.stop_event.is_set():
                    break
                self.log("watch caliconodestatuses: %s; retrying" % exc)
                resume = None
                self.stop_event.wait(1.0)

    # -- reconciling --------------------------------------------------------------------------
    def reconcile(self):
        """Render every node's files from one engine run; ``birdc configure`` where they changed."""
        began = time.monotonic()
        resources = self.snapshot()
        model = confd.Model(resources)
        collected = confd.peerings(model)
        todo = []
        for name, runtime in sorted(self.nodes.items()):
            if name not in model.nodes:
                continue
            peers = confd.node_sessions(model, name, collected)
            files = birdcfg.render_node(model=model, node=name, peers=peers, blocks=runtime.blocks,
                                        bird_variant="stock")
            if self.scan_time:
                files = with_scan_time(files, self.scan_time)
            if files != runtime.files:
                todo.append((name, runtime, files))
        rendered = time.monotonic()

        def apply(item):
            name, runtime, files = item
            try:
                if runtime.bird.proc is None and not runtime.bird.alive():
                    runtime.bird.start(files, timeout=60)
                else:
                    # "configure" over the control socket (what birdcl sends): no birdc process per node
                    runtime.bird.configure(files, birdc=self.bird_control(runtime).birdc)
            except Exception as exc:  # pylint: disable=broad-except
                # a loaded machine (100+ nodes on 2 cores) can be slower than BIRD's start timeout:
                # leave this node for the next pass instead of giving up on every node after it
                self.log("BIRD of %s: %s (retrying)" % (name, exc))
                self.changed.set()
                return None
            if runtime.files is not None:
                runtime.configures += 1
            runtime.files = files
            runtime.reconfigured = _now()
            return name

        # every node's BIRD is its own process: start/reconfigure them side by side (each step is a
        # few short subprocesses - bird -p, birdc - so a 200-node lab is not 200 sequential waits)
        with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
            changed = [name for name in pool.map(apply, todo) if name]
        self.generation += 1
        self.reconciles += 1
        if changed:
            self.log("configured %d node(s) (rendered in %.2f s, BIRDs configured in %.2f s): %s" % (
                len(changed), rendered - began, time.monotonic() - rendered,
                ", ".join(changed[:10]) + (" ..." if len(changed) > 10 else "")))
            # what BIRD reports changes with its configuration: every object of these nodes is due now
            changed_set = set(changed)
            with self.status_lock:
                for name, spec in self.status_objects.items():
                    if spec.get("node") in changed_set:
                        self.status_due[name] = 0.0
            self.status_wake.set()
        return changed

    def due_statuses(self, now=None, limit=None, busy=()):
        """``{node: [(name, spec)]}`` of the objects due now; their next time is set (period 0: never).

        ``limit``: at most so many nodes, those with an object never filled first (an object just
        created is what a client waits for), then the longest overdue; ``busy``: nodes being read now
        (their objects stay due). Objects left out stay due for the next call."""
        now = time.time() if now is None else now
        by_node = {}
        with self.status_lock:
            for name, when in self.status_due.items():
                if when > now:
                    continue
                node = (self.status_objects.get(name) or {}).get("node")
                if node not in self.nodes or node in busy:
                    continue
                rank = (0 if name not in self.status_written else 1, when)
                entry = by_node.setdefault(node, [rank, []])
                entry[0] = min(entry[0], rank)
                entry[1].append(name)
            order = sorted(by_node, key=lambda node: by_node[node][0])
            if limit is not None:
                order = order[:max(limit, 0)]
            due = {}
            for node in order:
                for name in by_node[node][1]:
                    spec = self.status_objects[name]
                    period = spec.get("updatePeriodSeconds")
                    period = 10 if period is None else period
                    if period:
                        self.status_due[name] = now + period
                    else:
                        self.status_due.pop(name, None)
                    due.setdefault(node, []).append((name, spec))
        return due

    def report_status(self, due, pool=None):
        """Fill the due objects: BIRD once per node (``show route`` only if one object asks for Routes
        and BIRD's routes moved since they were last read), a PATCH only for a status that differs from
        the one last written."""
        if pool is None:
            # BIRD is asked side by side, or 200 nodes take long per tick on a loaded machine
            with concurrent.futures.ThreadPoolExecutor(max_workers=8) as own:
                list(own.map(self.report_node, sorted(due.items())))
        else:
            list(pool.map(self.report_node, sorted(due.items())))

    def report_node(self, item):
        """Read one node's BIRD and write those of its due objects whose status changed."""
        node, objects = item
        runtime = self.nodes[node]
        routes = any("Routes" in (spec.get("classes") or ()) for _name, spec in objects)
        try:
            if not runtime.bird.ctl.exists():
                raise RuntimeError("BIRD is not running")
            full, key = self.node_status(runtime, routes=routes, bird=self.bird_control(runtime), with_key=True)
        except Exception:  # pylint: disable=broad-except  # not up yet: soon again
            with self.status_lock:
                for name, _spec in objects:
                    if name in self.status_objects:
                        self.status_due[name] = time.time() + 0.5
            return
        path = self._path(*STATUSES)
        for name, spec in objects:
            wants_routes = "Routes" in (spec.get("classes") or ())
            # what the status holds, without building it: BIRD's answers (routes by version) and the classes
            content = (key[0], key[1] if wants_routes else None)
            with self.status_lock:
                if self.status_written.get(name) == content or name not in self.status_objects:
                    continue
            status = {k: v for k, v in full.items() if k != "routes" or wants_routes}
            try:
                self._call("PATCH", path + "/%s/status" % name, body={"status": status}, answer=False)
            except Exception as exc:  # pylint: disable=broad-except
                self.log("status of %s: %s" % (name, exc))
                continue
            with self.status_lock:
                self.status_patches += 1
                if name in self.status_objects:
                    self.status_written[name] = content
                    seen = self.status_seen.pop(name, None)
                    if seen is not None:
                        self.fill_latencies.append(time.time() - seen)

    def node_status(self, runtime, routes=False, bird=None, with_key=False):
        """The node's status from its BIRD (``with_key``: and a key that changes when it does, without
        ``lastUpdated``). Routes are read again only when BIRD's route stamp moved (a BIRD without a
        stamp, as tests fake it, is read every time)."""
        bird = bird or runtime.bird
        peers, established, other = [], 0, 0
        stamp = None
        if routes and hasattr(bird, "protocols_and_stamp"):
            protocols, stamp = bird.protocols_and_stamp()
        else:
            protocols = bird.protocols()
            stamp_of = getattr(bird, "route_stamp", None) if routes else None
            stamp = stamp_of() if stamp_of is not None else None
        with self.status_lock:
            self.status_checks += 1
        for proto, row in sorted(protocols.items()):
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
            if stamp is None or stamp != runtime.route_stamp or runtime.routes is None:
                rows = node_routes(bird.routes())
                with self.status_lock:
                    self.route_reads += 1
                if rows != runtime.routes:
                    runtime.routes = rows
                    runtime.routes_version += 1
                runtime.route_stamp = stamp
            status["routes"] = {"routesV4": runtime.routes, "routesV6": []}
        if not with_key:
            return status
        key = (json.dumps([status["agent"], status["bgp"]], sort_keys=True),
               runtime.routes_version if routes else None)
        return status, key

    def counters(self):
        """What the emulator did, for benchmarks (``calico-node.counters.json`` in the lab directory)."""
        with self.status_lock:
            latencies = sorted(self.fill_latencies)
            pending = len(self.status_seen)
            out = {"reconciles": self.reconciles, "status_objects": len(self.status_objects),
                   "status_patches": self.status_patches, "status_checks": self.status_checks,
                   "route_reads": self.route_reads, "status_to_fill": pending}
        configures = [runtime.configures for runtime in self.nodes.values()]
        out["birdc_configures"] = sum(configures)
        out["birdc_configures_per_node_max"] = max(configures) if configures else 0
        out["fill_latency_s"] = {"count": len(latencies)}
        if latencies:
            out["fill_latency_s"].update({
                "p50": round(latencies[len(latencies) // 2], 3),
                "p95": round(latencies[min(len(latencies) - 1, int(len(latencies) * 0.95))], 3),
                "max": round(latencies[-1], 3)})
        return out

    def _write_counters(self, last):
        if not self.counters_file:
            return last
        text = json.dumps(self.counters(), sort_keys=True)
        if text != last:
            tmp = Path(str(self.counters_file) + ".tmp")
            tmp.write_text(text + "\n")
            tmp.replace(self.counters_file)
        return text

    def status_loop(self):
        """The status reporter, beside the reconciler (a reconcile of every node does not hold it up):
        every free worker takes the most urgent due node; a new object wakes it at once."""
        busy = set()
        busy_lock = threading.Lock()

        def done(node):
            with busy_lock:
                busy.discard(node)
            self.status_wake.set()

        with concurrent.futures.ThreadPoolExecutor(max_workers=self.status_workers,
                                                   thread_name_prefix="status") as pool:
            while not self.stop_event.is_set():
                with busy_lock:
                    taken = set(busy)
                if taken and self.status_workers - len(taken) < max(1, self.status_workers // 4):
                    # most workers busy: wait for a quarter of them instead of a look at every object
                    # each time one finishes (1,000 objects, hundreds of reads a second)
                    self.status_wake.wait(timeout=self.status_tick)
                    self.status_wake.clear()
                    continue
                due = self.due_statuses(limit=self.status_workers - len(taken), busy=taken)
                for node, objects in due.items():
                    with busy_lock:
                        busy.add(node)
                    future = pool.submit(self.report_node, (node, objects))
                    future.add_done_callback(lambda _f, node=node: done(node))
                if not due:
                    self.status_wake.wait(timeout=self.status_tick)
                    self.status_wake.clear()

    def run(self, ready_file=None):
        self.start_watches()
        try:
            self.reconcile()
        except Exception as exc:  # pylint: disable=broad-except
            self.log("first reconcile failed: %s (retrying)" % exc)
            self.changed.set()
        if ready_file:
            Path(ready_file).write_text(json.dumps({"nodes": sorted(self.nodes)}))
        reporter = threading.Thread(target=self._status_loop_logged, daemon=True, name="status-reporter")
        reporter.start()
        self.threads.append(reporter)
        written = None
        while not self.stop_event.is_set():
            if self.changed.wait(timeout=1.0):
                time.sleep(0.2)  # coalesce bursts of events (confd batches too)
                self.changed.clear()
                try:
                    self.reconcile()
                except Exception as exc:  # pylint: disable=broad-except
                    self.log("reconcile failed: %s" % exc)
                    self.errors.append(str(exc))
            written = self._write_counters(written)

    def _status_loop_logged(self):
        while not self.stop_event.is_set():
            try:
                self.status_loop()
            except Exception as exc:  # pylint: disable=broad-except
                self.log("status reporter failed: %s (restarting)" % exc)
                self.stop_event.wait(1.0)

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


def with_scan_time(files, seconds):
    """calico-node's BIRD files with every ``scan time 2`` (kernel table, interfaces) set to ``seconds``."""
    return {name: text.replace("scan time 2;", "scan time %d;" % seconds) for name, text in files.items()}


def node_routes(bird_routes):
    """``status.routes.routesV4`` rows from BIRD's routes: FIB for the route BIRD selected, RIB otherwise."""
    out = []
    for route in bird_routes:
        source = _source(route["protocol"])
        if source is None or ":" in route["destination"]:
            continue
        # interned: 1,000 nodes hold the same prefixes, gateways and sources (1.6 GB of rows otherwise)
        source = {key: sys.intern(value) for key, value in source.items()}
        row = {"type": "FIB" if route["primary"] else "RIB", "destination": sys.intern(route["destination"]),
               "gateway": sys.intern(route["gateway"]), "interface": sys.intern(route["interface"]),
               "learnedFrom": source}
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
