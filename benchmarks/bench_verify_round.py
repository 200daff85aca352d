"""Benchmark: what one ``fabric_verify`` round costs on a running lab, the old way and the current way.

    .venv/bin/python -m lab up INVENTORY            # and a pattern playbook, so that it has converged
    .venv/bin/python benchmarks/bench_verify_round.py INVENTORY [--rounds 3]

``before`` is the observation fabric_verify made up to 0.x (still in the collection, as
``calico_node_status_info`` does it): ``manage.gather_node_status`` per round (a LIST, a create per missing
CalicoNodeStatus, then a GET per node until its status is filled), a new connection per device and round
(``sessions.read_state``), and at the end a DELETE per object it created.  ``after`` is the current one:
``calico.status.VerifyStatuses`` (one LIST per round; the objects created once and kept) and
``fabric.observe.DeviceReader`` (one connection per device for all rounds).  The ``after`` objects are
left in place (that is the point); on a cluster without them, the first ``after`` round shows the
one-off creates. ``before`` runs first and removes what it created.

Counted at the client (every request the controller sends to the API server, by HTTP method) with the
wall time per round and the device connections.  Prints one JSON object.  Needs root (the lab).
"""
import argparse
import collections
import json
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
# pylint: disable=wrong-import-position
from lab import fabric, paths  # noqa: E402

paths.ensure_collection_importable()

from ansible.inventory.manager import InventoryManager  # noqa: E402
from ansible.parsing.dataloader import DataLoader  # noqa: E402
from ansible.vars.manager import VariableManager  # noqa: E402
from ansible_collections.kubefabric.bgp.plugins.action.fabric_verify import session_params  # noqa: E402
from ansible_collections.kubefabric.bgp.plugins.module_utils.calico import k8s, manage, status  # noqa: E402
from ansible_collections.kubefabric.bgp.plugins.module_utils.devices import sessions  # noqa: E402
from ansible_collections.kubefabric.bgp.plugins.module_utils.fabric import observe  # noqa: E402

CLASSES = ["Agent", "BGP", "Routes"]


def hostvars_of(inventory, lab_inventory):
    loader = DataLoader()
    inv = InventoryManager(loader=loader, sources=[str(inventory), str(lab_inventory)])
    manager = VariableManager(loader=loader, inventory=inv)
    nodes = [h.name for h in inv.groups["k8s_nodes"].get_hosts()]
    devices = [h.name for h in inv.groups["network_devices"].get_hosts()]
    return nodes, devices, {h: manager.get_vars(host=inv.get_host(h)) for h in devices}


def counting_client(kubeconfig):
    client = k8s.connect({"kubeconfig": str(kubeconfig)})
    counts = collections.Counter()
    request = client.transport.request

    def counted(method, path, **kwargs):
        counts[method.upper()] += 1
        return request(method, path, **kwargs)

    client.transport.request = counted
    client.calico_group  # pylint: disable=pointless-statement  # discovery, not counted below
    counts.clear()
    return client, counts


def before(kubeconfig, nodes, devices, hostvars, rounds):
    client, counts = counting_client(kubeconfig)
    out, created, connects = [], set(), 0
    for _round in range(rounds):
        start = time.perf_counter()
        got = manage.gather_node_status(client, {"nodes": nodes, "name_prefix": "kubefabric-bench-", "timeout": 20,
                                                 "keep": True, "classes": CLASSES, "update_period_seconds": 5})
        created.update(got["created"])
        for host in devices:
            sessions.read_state(hostvars[host]["platform"], session_params(hostvars, host), routes=True)
            connects += 1
        out.append({"wall_s": round(time.perf_counter() - start, 2), "requests": dict(counts)})
        counts.clear()
    start = time.perf_counter()
    for name in sorted(created):
        client.delete("CalicoNodeStatus", name)
    out.append({"cleanup_wall_s": round(time.perf_counter() - start, 2), "requests": dict(counts)})
    return {"rounds": out, "device_connections": connects}


def after(kubeconfig, nodes, devices, hostvars, rounds):
    client, counts = counting_client(kubeconfig)
    statuses = status.VerifyStatuses(client, nodes, CLASSES)
    readers = {h: observe.DeviceReader(hostvars[h]["platform"], session_params(hostvars, h)) for h in devices}
    out = []
    try:
        for _round in range(rounds):
            start = time.perf_counter()
            view = statuses.read()
            for reader in readers.values():
                reader.read(routes=True)
            out.append({"wall_s": round(time.perf_counter() - start, 2), "requests": dict(counts),
                        "statuses": len(view["nodes"]), "pending": len(view["pending"])})
            counts.clear()
            time.sleep(1.0)
    finally:
        for reader in readers.values():
            reader.close()
    return {"rounds": out, "device_connections": sum(r.connects for r in readers.values()),
            "created": len(statuses.created)}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("inventory")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--only", choices=("before", "after"))
    args = parser.parse_args()
    lab = fabric.Lab(Path(args.inventory))
    if not lab.load():
        sys.exit("the lab of %s is not up" % args.inventory)
    kubeconfig = lab.dir / "kubeconfig"
    nodes, devices, hostvars = hostvars_of(args.inventory, lab.dir / "lab-inventory.yml")
    result = {"nodes": len(nodes), "devices": len(devices)}
    if args.only != "after":
        result["before"] = before(kubeconfig, nodes, devices, hostvars, args.rounds)
    if args.only != "before":
        result["after"] = after(kubeconfig, nodes, devices, hostvars, args.rounds)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
