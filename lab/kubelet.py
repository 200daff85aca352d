"""The lab's "kubelet": a Pod object deleted (or evicted) in the API takes its pod namespace with it.

The lab gives every node one pod (``probe-<node>`` in namespace ``default``, ``spec.nodeName`` set) whose
network lives in the node's pod namespace.  A real kubelet tears a pod's sandbox down once the API no
longer has the Pod; this does the same for the lab: when ``probe-<node>`` is no longer listed (``kubectl
delete``, ``kubectl drain`` / the eviction API), the pod namespace and every process in it are removed by
``netns.destroy`` -- traffic to that pod stops, exactly as after a real drain.  It runs in the emulated
calico-node process (``lab/calico_node_main.py``).
"""
import threading

from . import netns


class Kubelet:
    """Poll the API's pods of the lab; destroy the namespace of every pod that disappeared."""

    def __init__(self, api, pods, log=print, interval=0.2):
        # pods: {(namespace, name): pod namespace (netns name)}
        self.api = api
        self.pods = dict(pods)
        self.log = log
        self.interval = interval
        self.stop_event = threading.Event()
        self.removed = []

    def listed(self):
        names = set()
        for namespace in sorted({key[0] for key in self.pods}):
            data = self.api.request("GET", "/api/v1/namespaces/%s/pods" % namespace)
            for item in data.get("items", []):
                meta = item.get("metadata", {})
                if not meta.get("deletionTimestamp"):
                    names.add((namespace, meta.get("name")))
        return names

    def sync(self):
        if not self.pods:
            return []
        present = self.listed()
        gone = [key for key in sorted(self.pods) if key not in present]
        for key in gone:
            ns_name = self.pods.pop(key)
            netns.destroy(ns_name)
            self.removed.append(key)
            self.log("kubelet: pod %s/%s is gone from the API; removed its namespace %s" % (key[0], key[1], ns_name))
        return gone

    def run(self):
        while not self.stop_event.is_set() and self.pods:
            try:
                self.sync()
            except Exception as exc:  # pylint: disable=broad-except
                self.log("kubelet: %s" % exc)
                self.stop_event.wait(1.0)
            self.stop_event.wait(self.interval)

    def stop(self):
        self.stop_event.set()


def pods_of_state(state):
    """``{(namespace, pod name): pod netns}`` for the pods ``lab.fabric.up`` preloads (one per node)."""
    return {("default", "probe-%s" % node["name"]): node["pod_ns"]
            for node in state.get("nodes", {}).values() if node.get("pod_ns")}
