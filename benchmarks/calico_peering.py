"""Benchmark: the Calico peering engine on a 2,000-node, 40-rack cluster (and a dense RR variant).

    .venv/bin/python benchmarks/calico_peering.py [--nodes 2000] [--racks 40] [--repeat 3]

Prints one JSON line per case and run: wall time of compute_peerings(), of the whole
calico_peering_info computation (rows, session count, calicoctl order and tables), and the sizes.
Cases: ``rack`` (per rack: two route reflectors peer with the ToR and with their rack's nodes) and
``dense`` (every node peers with every route reflector in the cluster: N x 80 sessions by design).
"""
import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from lab import paths  # noqa: E402

paths.ensure_collection_importable()
from ansible_collections.kubefabric.bgp.plugins.module_utils.calico import peering, status  # noqa: E402

V3 = "projectcalico.org/v3"


def cluster(nodes, racks, dense):
    res = [{"apiVersion": V3, "kind": "BGPConfiguration", "metadata": {"name": "default"},
            "spec": {"nodeToNodeMeshEnabled": False, "asNumber": 64512}}]
    per_rack = nodes // racks
    for r in range(racks):
        res.append({"apiVersion": V3, "kind": "BGPPeer", "metadata": {"name": "tor-%d" % r},
                    "spec": {"peerIP": "10.%d.255.254" % r, "asNumber": 65000 + r,
                             "nodeSelector": "rack == 'rack-%d' && has(rr)" % r}})
        if not dense:
            res.append({"apiVersion": V3, "kind": "BGPPeer", "metadata": {"name": "rr-%d" % r},
                        "spec": {"nodeSelector": "rack == 'rack-%d' && !has(rr)" % r,
                                 "peerSelector": "rack == 'rack-%d' && has(rr)" % r}})
        for i in range(per_rack):
            labels = {"rack": "rack-%d" % r}
            bgp = {"ipv4Address": "10.%d.%d.%d/16" % (r, i // 250, i % 250 + 1)}
            if i < 2:
                labels["rr"] = "true"
                bgp["routeReflectorClusterID"] = "244.0.%d.1" % r
            res.append({"apiVersion": V3, "kind": "Node", "metadata": {"name": "n-%d-%d" % (r, i), "labels": labels},
                        "spec": {"bgp": bgp}})
    if dense:
        res.append({"apiVersion": V3, "kind": "BGPPeer", "metadata": {"name": "to-rr"},
                    "spec": {"nodeSelector": "!has(rr)", "peerSelector": "has(rr)"}})
    return res


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--nodes", type=int, default=2000)
    parser.add_argument("--racks", type=int, default=40)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    for case in ("rack", "dense"):
        res = cluster(args.nodes, args.racks, case == "dense")
        for _run in range(args.repeat):
            start = time.perf_counter()
            result = peering.compute_peerings(res)
            engine = time.perf_counter() - start
            start = time.perf_counter()
            info = status.peering_info(res)
            whole = time.perf_counter() - start
            print(json.dumps({"benchmark": "calico_peering_%s" % case, "nodes": args.nodes, "racks": args.racks,
                              "engine_seconds": round(engine, 3), "peering_info_seconds": round(whole, 3),
                              "peer_entries": sum(len(v) for v in result.values()),
                              "sessions": info["sessions_total"]}))


if __name__ == "__main__":
    main()
