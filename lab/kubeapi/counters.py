"""Request and write counters of the emulated API server, served at ``/debug/kubefabric/counters``.

Every request to a resource path is counted by Kubernetes verb (get, list, watch, create, update,
patch, delete, deletecollection) and resource (``plural.group`` as kube-apiserver's metrics name it,
``/status`` appended for the status subresource).  A *write* is a mutating request that is not a
server-side dry run, counted whatever the answer (an attempted write counts: "0 writes" means no
client asked for a change); ``failed`` says how many of them were refused (answer >= 400).

``GET /debug/kubefabric/counters`` answers (JSON)::

    {"requests": {"total": 12, "by_verb": {"list": 3, "patch": 2, ...},
                  "by_resource": {"bgppeers.projectcalico.org": {"list": 1, "patch": 2}, ...}},
     "writes":   {"total": 2, "failed": 0, "by_verb": {...}, "by_resource": {...}},
     "dry_runs": {"total": 1, "by_verb": {...}, "by_resource": {...}},
     "store":    {"objects": 40, "events": 120, "event_bytes": 81234, ...}}

``DELETE`` on the same path answers the same body and sets every counter back to zero.  Requests to
the counters themselves, discovery, ``/openapi`` and health checks are not counted.
"""
import collections
import threading

MUTATING_VERBS = ("create", "update", "patch", "delete", "deletecollection")


def verb_of(method, name, watch):
    """The Kubernetes verb of an HTTP request on a resource path."""
    if method in ("GET", "HEAD"):
        if name is not None:
            return "get"
        return "watch" if watch else "list"
    return {"POST": "create", "PUT": "update", "PATCH": "patch"}.get(method) or (
        ("delete" if name is not None else "deletecollection") if method == "DELETE" else method.lower())


class _Tally:
    def __init__(self):
        self.total = 0
        self.failed = 0
        self.by_verb = collections.Counter()
        self.by_resource = collections.defaultdict(collections.Counter)

    def add(self, verb, resource, code):
        self.total += 1
        if code >= 400:
            self.failed += 1
        self.by_verb[verb] += 1
        self.by_resource[resource][verb] += 1

    def as_dict(self, failed=False):
        out = {"total": self.total, "by_verb": dict(sorted(self.by_verb.items())),
               "by_resource": {r: dict(sorted(v.items())) for r, v in sorted(self.by_resource.items())}}
        if failed:
            out["failed"] = self.failed
        return out


class Counters:
    """Thread-safe counts; ``writes`` and ``dry_runs`` are the totals tests read most."""

    def __init__(self):
        self.lock = threading.Lock()
        self.reset()

    def reset(self):
        with self.lock:
            self._requests = _Tally()
            self._writes = _Tally()
            self._dry_runs = _Tally()
            self.recent_writes = collections.deque(maxlen=200)   # (verb, resource, path, code)

    @property
    def writes(self):
        return self._writes.total

    @property
    def dry_runs(self):
        return self._dry_runs.total

    def record(self, verb, resource, path, dry_run, code):
        with self.lock:
            self._requests.add(verb, resource, code)
            if verb in MUTATING_VERBS:
                if dry_run:
                    self._dry_runs.add(verb, resource, code)
                else:
                    self._writes.add(verb, resource, code)
                    self.recent_writes.append((verb, resource, path, code))

    def snapshot(self, store_stats=None):
        with self.lock:
            out = {"requests": self._requests.as_dict(), "writes": self._writes.as_dict(failed=True),
                   "dry_runs": self._dry_runs.as_dict()}
        if store_stats is not None:
            out["store"] = store_stats
        return out
