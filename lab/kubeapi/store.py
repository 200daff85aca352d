"""One in-memory store for every kind, with a global resourceVersion and watch fan-out.

Objects are kept per storage key (``ResourceType.storage``), so both Calico API groups share them.
Every write gets the next resourceVersion (one counter, like etcd's revision) and becomes an event
that open watches receive and that later watches can resume from.  The history is bounded like a
compacted etcd: by count (``HISTORY``) and by the size of the objects it holds (``HISTORY_BYTES``,
measured as their JSON length); a watch from a resourceVersion older than what is kept gets
``410 Gone``.

Stored objects are never mutated: a write stores a new copy, and the history, the table of current
objects and every watcher share that one copy (readers get their own copy from ``get``/``list``,
watchers serialise it as it is).  An event's ``previous`` is the object it replaced (the same
shared copy, not a new one), so a 70 KB CalicoNodeStatus written every period costs its size once.
"""
import collections
import json
import marshal
import queue
import sys
import threading

HISTORY = 10000
HISTORY_BYTES = 64 * 1024 * 1024


def clone(obj):
    """A deep copy of a JSON-shaped object (dicts, lists, strings, numbers, booleans, None): a marshal
    round trip, an order of magnitude faster than ``copy.deepcopy`` on a 70 KB CalicoNodeStatus."""
    return marshal.loads(marshal.dumps(obj))


def shared_strings(obj):
    """``obj`` with every string value interned, in place: the routes of 1,000 CalicoNodeStatus objects
    repeat the same few hundred gateways, interfaces and sources millions of times, and a stored object
    keeps one copy of each (its clones too: marshal keeps interned strings interned)."""
    if isinstance(obj, dict):
        for key, value in obj.items():
            if isinstance(value, str):
                obj[key] = sys.intern(value)
            elif isinstance(value, (dict, list)):
                shared_strings(value)
    elif isinstance(obj, list):
        for index, value in enumerate(obj):
            if isinstance(value, str):
                obj[index] = sys.intern(value)
            elif isinstance(value, (dict, list)):
                shared_strings(value)
    return obj


def _size(obj):
    return len(json.dumps(obj, separators=(",", ":")))


class Watcher:
    def __init__(self, store, storage, namespace):
        self.store = store
        self.storage = storage
        self.namespace = namespace
        self.queue = queue.Queue()

    def wants(self, storage, obj):
        if storage != self.storage:
            return False
        return self.namespace is None or obj.get("metadata", {}).get("namespace") == self.namespace

    def close(self):
        self.store.remove_watcher(self)


class Store:
    def __init__(self, first_rv=1000, history=HISTORY, history_bytes=HISTORY_BYTES):
        self.lock = threading.RLock()
        self.rv = first_rv
        self.objects = {}                   # storage -> {(namespace, name): obj}  (never mutated)
        self.history = collections.deque()  # (rv, storage, type, obj, previous, size)
        self.history_limit = history
        self.history_bytes_limit = history_bytes
        self.history_bytes = 0
        self.compacted_rv = first_rv        # events up to this resourceVersion are gone
        self.watchers = []

    # -- reading ----------------------------------------------------------------------------------
    def get(self, storage, namespace, name, shared=False):
        """A copy of the object (``shared=True``: the stored object itself, not to be changed), or None."""
        with self.lock:
            obj = self.objects.get(storage, {}).get((namespace or "", name))
        return clone(obj) if obj is not None and not shared else obj

    def list(self, storage, namespace=None, shared=False):
        """``(items, rv)``; ``shared=True`` returns the stored objects themselves (the caller must not
        change them), saving one copy of every object on each LIST."""
        with self.lock:
            items = [o for (ns, _name), o in sorted(self.objects.get(storage, {}).items())
                     if namespace is None or ns == namespace]
            rv = str(self.rv)
        return (items if shared else [clone(o) for o in items]), rv

    def current_rv(self):
        with self.lock:
            return str(self.rv)

    def stats(self):
        with self.lock:
            return {"objects": sum(len(v) for v in self.objects.values()), "events": len(self.history),
                    "event_bytes": self.history_bytes, "event_limit": self.history_limit,
                    "event_bytes_limit": self.history_bytes_limit, "compacted_rv": self.compacted_rv,
                    "resource_version": self.rv, "watchers": len(self.watchers)}

    # -- writing ----------------------------------------------------------------------------------
    def next_rv(self):
        with self.lock:
            self.rv += 1
            return self.rv

    def put(self, storage, obj, event_type, owned=False):
        """Store a copy of ``obj`` (its resourceVersion is set here), emit ``event_type``; returns a copy.
        ``owned=True``: the caller hands ``obj`` over (it keeps no reference and changes it no more):
        it is stored as it is and returned shared, saving two copies per write."""
        with self.lock:
            rv = self.next_rv()
            obj["metadata"]["resourceVersion"] = str(rv)
            key = (obj["metadata"].get("namespace") or "", obj["metadata"]["name"])
            stored = shared_strings(obj if owned else clone(obj))
            previous = self.objects.setdefault(storage, {}).get(key)
            self.objects[storage][key] = stored
            self._emit(rv, storage, event_type, stored, previous)
        return stored if owned else clone(stored)

    def remove(self, storage, namespace, name):
        with self.lock:
            old = self.objects.get(storage, {}).pop((namespace or "", name), None)
            if old is None:
                return None
            rv = self.next_rv()
            gone = dict(old, metadata=dict(old["metadata"], resourceVersion=str(rv)))
            self._emit(rv, storage, "DELETED", gone, old)
        return clone(gone)

    def _emit(self, rv, storage, event_type, obj, previous):
        size = _size(obj)
        event = (rv, storage, event_type, obj, previous, size)
        self.history.append(event)
        self.history_bytes += size
        while self.history and (len(self.history) > self.history_limit
                                or self.history_bytes > self.history_bytes_limit):
            dropped = self.history.popleft()
            self.history_bytes -= dropped[5]
            self.compacted_rv = dropped[0]
        for watcher in list(self.watchers):
            if watcher.wants(storage, obj):
                watcher.queue.put(event)

    # -- watching ---------------------------------------------------------------------------------
    def watch(self, storage, namespace, since_rv):
        """Open a watch.  ``since_rv`` None/"0"/"": start with ADDED events for what exists now.

        Returns ``(watcher, initial_events)`` or raises ``LookupError`` for a compacted version.
        Events are ``(rv, storage, type, obj, previous, size)``; ``obj`` and ``previous`` are shared.
        """
        with self.lock:
            watcher = Watcher(self, storage, namespace)
            initial = []
            if since_rv in (None, "", "0"):
                for (ns, _name), obj in sorted(self.objects.get(storage, {}).items()):
                    if namespace is None or ns == namespace:
                        initial.append((int(obj["metadata"]["resourceVersion"]), storage, "ADDED", obj, None, 0))
            else:
                since = int(since_rv)
                if since < self.compacted_rv:
                    raise LookupError("too old resource version: %s (%s)" % (since, self.compacted_rv))
                for event in self.history:
                    if event[0] > since and watcher.wants(event[1], event[3]):
                        initial.append(event)
            self.watchers.append(watcher)
            return watcher, initial

    def remove_watcher(self, watcher):
        with self.lock:
            if watcher in self.watchers:
                self.watchers.remove(watcher)
