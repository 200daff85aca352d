"""One in-memory store for every kind, with a global resourceVersion and watch fan-out.

Objects are kept per storage key (``ResourceType.storage``), so both Calico API groups share them.
Every write gets the next resourceVersion (one counter, like etcd's revision) and becomes an event
that open watches receive and that later watches can resume from (a bounded history; older
resourceVersions get ``410 Gone`` like a compacted etcd).
"""
import collections
import copy
import queue
import threading

HISTORY = 10000


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
    def __init__(self, first_rv=1000):
        self.lock = threading.RLock()
        self.rv = first_rv
        self.objects = {}                   # storage -> {(namespace, name): obj}
        self.history = collections.deque(maxlen=HISTORY)   # (rv, storage, type, obj, previous)
        self.watchers = []

    # -- reading ----------------------------------------------------------------------------------
    def get(self, storage, namespace, name):
        with self.lock:
            obj = self.objects.get(storage, {}).get((namespace or "", name))
            return copy.deepcopy(obj) if obj is not None else None

    def list(self, storage, namespace=None):
        with self.lock:
            items = [copy.deepcopy(o) for (ns, _name), o in sorted(self.objects.get(storage, {}).items())
                     if namespace is None or ns == namespace]
            return items, str(self.rv)

    def current_rv(self):
        with self.lock:
            return str(self.rv)

    # -- writing ----------------------------------------------------------------------------------
    def next_rv(self):
        with self.lock:
            self.rv += 1
            return self.rv

    def put(self, storage, obj, event_type):
        """Store ``obj`` (its resourceVersion is set here) and emit ``event_type``."""
        with self.lock:
            rv = self.next_rv()
            obj["metadata"]["resourceVersion"] = str(rv)
            key = (obj["metadata"].get("namespace") or "", obj["metadata"]["name"])
            previous = self.objects.setdefault(storage, {}).get(key)
            self.objects[storage][key] = copy.deepcopy(obj)
            self._emit(rv, storage, event_type, obj, previous)
            return copy.deepcopy(obj)

    def remove(self, storage, namespace, name):
        with self.lock:
            obj = self.objects.get(storage, {}).pop((namespace or "", name), None)
            if obj is None:
                return None
            rv = self.next_rv()
            obj["metadata"]["resourceVersion"] = str(rv)
            self._emit(rv, storage, "DELETED", obj, obj)
            return copy.deepcopy(obj)

    def _emit(self, rv, storage, event_type, obj, previous):
        event = (rv, storage, event_type, copy.deepcopy(obj), copy.deepcopy(previous))
        self.history.append(event)
        for watcher in list(self.watchers):
            if watcher.wants(storage, obj):
                watcher.queue.put(event)

    # -- watching ---------------------------------------------------------------------------------
    def watch(self, storage, namespace, since_rv):
        """Open a watch.  ``since_rv`` None/"0"/"": start with ADDED events for what exists now.

        Returns ``(watcher, initial_events)`` or raises ``LookupError`` for a compacted version.
        """
        with self.lock:
            watcher = Watcher(self, storage, namespace)
            initial = []
            if since_rv in (None, "", "0"):
                for (ns, _name), obj in sorted(self.objects.get(storage, {}).items()):
                    if namespace is None or ns == namespace:
                        initial.append((int(obj["metadata"]["resourceVersion"]), storage, "ADDED",
                                        copy.deepcopy(obj), None))
            else:
                since = int(since_rv)
                oldest = self.history[0][0] if self.history else self.rv + 1
                if since < oldest - 1 and len(self.history) == self.history.maxlen:
                    raise LookupError("too old resource version: %s (%s)" % (since, oldest - 1))
                for event in self.history:
                    if event[0] > since and watcher.wants(event[1], event[3]):
                        initial.append(event)
            self.watchers.append(watcher)
            return watcher, initial

    def remove_watcher(self, watcher):
        with self.lock:
            if watcher in self.watchers:
                self.watchers.remove(watcher)
