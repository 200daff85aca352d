"""``python -m lab.calico_node_main LABDIR [CLUSTER]``: run the emulated calico-node for every node of a
lab (of one cluster of the lab, when the inventory has several: ``LABDIR/clusters/CLUSTER``)."""
import json
import signal
import sys
import threading
from pathlib import Path

from .bird import BirdInstance
from .calico_node import CalicoNodeEmulator, KubeHTTP, NodeRuntime
from .kubelet import Kubelet, pods_of_state
from .netns import Netns


def api_client(kubeconfig):
    return KubeHTTP(kubeconfig)


def main(argv):
    lab_dir = Path(argv[0])
    cluster = argv[1] if len(argv) > 1 else None
    where = lab_dir if cluster is None else lab_dir / "clusters" / cluster
    state = json.loads((lab_dir / "state.json").read_text())
    if cluster is not None:
        state = dict(state, nodes={h: n for h, n in state["nodes"].items() if n.get("cluster") == cluster})
    runtimes = []
    for host, node in sorted(state["nodes"].items()):
        bird = BirdInstance(Netns(node["ns"]), lab_dir / "nodes" / host, name=host,
                            clock=state.get("bird_clock", "own"))
        runtimes.append(NodeRuntime(node["name"], bird, [node["block"]]))
    emulator = CalicoNodeEmulator(api_client(where / "kubeconfig"), runtimes,
                                  log=lambda msg: print(msg, flush=True),
                                  counters_file=where / "calico-node.counters.json",
                                  scan_time=state.get("bird_scan_time"))
    kubelet = Kubelet(api_client(where / "kubeconfig"), pods_of_state(state),
                      log=lambda msg: print(msg, flush=True))

    def stop(*_):
        kubelet.stop()
        emulator.stop()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    threading.Thread(target=kubelet.run, daemon=True, name="kubelet").start()
    thread = threading.Thread(target=emulator.run, kwargs={"ready_file": where / "calico-node.ready"},
                              daemon=True)
    thread.start()
    while thread.is_alive():
        thread.join(0.5)
    for runtime in runtimes:
        runtime.bird.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
