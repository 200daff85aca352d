"""Mesh -> route reflectors in the lab, with continuous pod pings (seed 000's five steps, LAB_NOTES method).

Seed 002's five nodes start in the node-to-node mesh (examples/seed002_mesh_first). Three of them become
route reflectors (ip-172-31-42-47, ip-172-31-40-217, ip-172-31-37-123); ip-172-31-40-30 and ip-172-31-45-29
stay clients.  ``ping -D -i 0.01`` runs between the clients' pods (both directions) and from a client's
pod to an RR-to-be's pod; outages are computed from reply timestamps (pingflow.py).

- the naive order (mesh off first, then the RR settings and BGPPeers, with kubectl) must lose packets --
  proof that the measurement sees an outage;
- kubefabric.bgp.mesh_to_rr, killed after step 2 and run again, must lose 0 packets between the clients,
  evict the RR-to-be nodes' pods (their namespaces go away) and leave the nodes uncordoned;
- with KUBEFABRIC_LONG=1 also: the role without the drain (what a flow to an RR's pod loses: the session
  rename) and kubefabric.bgp.rr_to_mesh back (0 loss between the clients), 3 repetitions of each.

The figures are printed and written to ``$KUBEFABRIC_MIGRATION_RESULTS`` (JSON) when set; docs/performance.md
("Migrations") holds the measured ones.  Nothing here asserts a time (standing rule 6): only lost packets.
"""
import json
import os
import re
import time

from tests.tools import procs

from .conftest import LONG
from .pingflow import PingFlow

RRS = ["ip-172-31-42-47", "ip-172-31-40-217", "ip-172-31-37-123"]
CLIENTS = ["ip-172-31-40-30", "ip-172-31-45-29"]
CLUSTER_ID = "224.0.0.1"
LABEL = "calico-route-reflector"


def mesh_ok(sessions):
    return all(len([p for p in protos if p.startswith("Mesh_")]) == 4 and len(protos) == 4
               and all(v == "Established" for v in protos.values()) for protos in sessions.values())


def rr_ok(sessions):
    for host, protos in sessions.items():
        want = 4 if host in RRS else 3
        if len(protos) != want or any(not p.startswith("Node_") for p in protos):
            return False
        if any(v != "Established" for v in protos.values()):
            return False
    return True


def start_flows(lab, tmp_path, label, to_rr=True):
    nodes = lab.state["nodes"]
    flows = [PingFlow("client->client", nodes[CLIENTS[0]]["pod_ns"], nodes[CLIENTS[1]]["pod_ip"],
                      tmp_path / ("%s-c2c.txt" % label)),
             PingFlow("client<-client", nodes[CLIENTS[1]]["pod_ns"], nodes[CLIENTS[0]]["pod_ip"],
                      tmp_path / ("%s-c2c-rev.txt" % label))]
    if to_rr:
        flows.append(PingFlow("client->rr pod", nodes[CLIENTS[0]]["pod_ns"], nodes[RRS[0]]["pod_ip"],
                              tmp_path / ("%s-c2rr.txt" % label)))
    for flow in flows:
        flow.start()
    time.sleep(2.0)
    for flow in flows:
        assert flow.proc.poll() is None, "ping %s did not start: %s" % (flow.name, flow.text())
        assert flow.result()["replies"] > 10, "no replies before the migration on %s: %s" % (flow.name, flow.text())
    return flows


def stop_flows(flows, window):
    return {flow.name: flow.stop().result(window=window) for flow in flows}


def naive_to_rr(lab):
    """Mesh off first, then the route reflectors and their BGPPeers (what seed 000 warns against)."""
    lab.kubectl("apply", "-f", "-", input_text=json.dumps({
        "apiVersion": "crd.projectcalico.org/v1", "kind": "BGPConfiguration", "metadata": {"name": "default"},
        "spec": {"asNumber": 64512, "nodeToNodeMeshEnabled": False}}))
    for node in RRS:
        lab.kubectl("annotate", "--overwrite", "node", node, "projectcalico.org/RouteReflectorClusterID=%s" % CLUSTER_ID)
        lab.kubectl("label", "--overwrite", "node", node, "%s=" % LABEL)
    peers = {"apiVersion": "v1", "kind": "List", "items": [
        {"apiVersion": "crd.projectcalico.org/v1", "kind": "BGPPeer", "metadata": {"name": "naive-peer-to-rrs"},
         "spec": {"nodeSelector": "!has(%s)" % LABEL, "peerSelector": "has(%s)" % LABEL}},
        {"apiVersion": "crd.projectcalico.org/v1", "kind": "BGPPeer", "metadata": {"name": "naive-rr-mesh"},
         "spec": {"nodeSelector": "has(%s)" % LABEL, "peerSelector": "has(%s)" % LABEL}}]}
    # --validate=false: kubectl's OpenAPI validation of a List fails against the emulator ("mime: unexpected
    # content after media subtype"), see the report
    lab.kubectl("apply", "--validate=false", "-f", "-", input_text=json.dumps(peers))


def back_to_mesh(lab):
    """Undo (kubectl, no care for traffic): no BGPPeers, no RR settings, mesh on."""
    lab.kubectl("delete", "bgppeers.crd.projectcalico.org", "--all")
    for node in RRS:
        lab.kubectl("annotate", "node", node, "projectcalico.org/RouteReflectorClusterID-", check=False)
        lab.kubectl("label", "node", node, "%s-" % LABEL, check=False)
    lab.kubectl("delete", "bgpconfigurations.crd.projectcalico.org", "default", check=False)
    lab.wait_sessions(mesh_ok, what="the full mesh")
    time.sleep(2.0)


def run_naive(lab, tmp_path, label):
    flows = start_flows(lab, tmp_path, label)
    started = time.time()
    naive_to_rr(lab)
    lab.wait_sessions(rr_ok, what="the route reflector sessions (naive)")
    time.sleep(3.0)
    return stop_flows(flows, (started, time.time()))


def run_role(lab, tmp_path, label, *extra, kill_after_step2=False):
    flows = start_flows(lab, tmp_path, label)
    started = time.time()
    killed = False
    if kill_after_step2:
        proc = lab.playbook("mesh_to_rr.yml", *extra, log=tmp_path / ("%s-run1.log" % label), popen=True)
        deadline = time.time() + 900
        while time.time() < deadline and proc.poll() is None:
            if lab.kubectl("get", "bgppeers.crd.projectcalico.org", "-o", "name", check=False).strip().count("\n") >= 1:
                # the playbook and its workers (they call setsid: killpg would miss them)
                tree = procs.kill_tree(proc.pid)
                assert [p for p in tree if procs.is_alive(p)] == [], tree
                killed = True
                break
            time.sleep(0.2)
        proc.wait()
        assert killed, "the playbook ended before step 2 was seen (rc %s): %s" % (
            proc.returncode, (tmp_path / ("%s-run1.log" % label)).read_text()[-3000:])
    log = tmp_path / ("%s.log" % label)
    rc = lab.playbook("mesh_to_rr.yml", *extra, log=log)
    assert rc == 0, "mesh_to_rr failed:\n%s" % log.read_text()[-5000:]
    lab.wait_sessions(rr_ok, what="the route reflector sessions")
    time.sleep(3.0)
    return stop_flows(flows, (started, time.time())), killed


GHOST = "ip-172-31-44-44"  # a route reflector of the target that never answers: step 3 cannot converge


def mesh_state(lab):
    """(mesh on?, BGPPeer names, nodes with a cluster ID, cordoned nodes) as the API has them."""
    raw = lab.kubectl("get", "bgpconfigurations.crd.projectcalico.org", "-o", "json")
    configs = json.loads(raw)["items"]
    mesh = all(c.get("spec", {}).get("nodeToNodeMeshEnabled", True) for c in configs if c["metadata"]["name"] == "default")
    peers = sorted(p["metadata"]["name"]
                   for p in json.loads(lab.kubectl("get", "bgppeers.crd.projectcalico.org", "-o", "json"))["items"])
    nodes = json.loads(lab.kubectl("get", "nodes", "-o", "json"))["items"]
    with_id = sorted(n["metadata"]["name"] for n in nodes
                     if (n["metadata"].get("annotations") or {}).get("projectcalico.org/RouteReflectorClusterID"))
    cordoned = sorted(n["metadata"]["name"] for n in nodes if n.get("spec", {}).get("unschedulable"))
    return mesh, peers, with_id, cordoned


def check_mode_changes_nothing(lab, tmp_path):
    before = mesh_state(lab)
    log = tmp_path / "check.log"
    assert lab.playbook("mesh_to_rr.yml", "--check", log=log) == 0, log.read_text()[-5000:]
    text = log.read_text()
    # the steps are reported as changes ...
    recap = re.search(r"localhost\s*:\s*ok=\d+\s+changed=(\d+)", text)
    assert recap and int(recap.group(1)) >= 2, text[-3000:]
    # ... and nothing happened
    assert mesh_state(lab) == before == (True, [], [], [])
    assert mesh_ok(lab.bgp_sessions())


def timeout_leaves_the_mesh_on(lab, tmp_path):
    """A target route reflector that never comes up: step 3 times out with the table, the mesh stays on."""
    ghost = {"apiVersion": "v1", "kind": "Node",
             "metadata": {"name": GHOST, "labels": {"kubernetes.io/hostname": GHOST},
                          "annotations": {"projectcalico.org/IPv4Address": "172.31.44.44/20"}},
             "spec": {}, "status": {"addresses": [{"type": "InternalIP", "address": "172.31.44.44"}]}}
    lab.kubectl("apply", "-f", "-", input_text=json.dumps(ghost))
    extra_inventory = tmp_path / "ghost.yml"
    extra_inventory.write_text(json.dumps({"k8s_nodes": {"hosts": {GHOST: {
        "bgp_ipv4_address": "172.31.44.44/20", "route_reflector": True, "route_reflector_dedicated": True}}}}))
    flows = start_flows(lab, tmp_path, "ghost", to_rr=False)
    started = time.time()
    log = tmp_path / "ghost.log"
    rc = lab.playbook("mesh_to_rr.yml", "-i", str(extra_inventory), "-e", "kubefabric_migration_timeout=15",
                      "-e", "kubefabric_migration_drain=false", log=log)
    time.sleep(2.0)
    result = stop_flows(flows, (started, time.time()))
    text = log.read_text()
    assert rc != 0, text[-5000:]
    assert "the node-to-node mesh is left ON" in text, text[-5000:]
    assert GHOST in text.split("the node-to-node mesh is left ON", 1)[1][:6000], text[-5000:]
    mesh, peers, with_id, _cordoned = mesh_state(lab)
    assert mesh and peers and GHOST in with_id  # steps 1-2 done, step 4 not
    for name in ("client->client", "client<-client"):
        assert result[name]["lost"] == 0, "%s lost packets while the migration stopped: %s" % (name, result[name])
    lab.kubectl("delete", "node", GHOST)
    return result


def report(name, data):
    path = os.environ.get("KUBEFABRIC_MIGRATION_RESULTS")
    if path:
        existing = json.loads(open(path).read()) if os.path.exists(path) else {}
        existing.setdefault(name, []).append(data)
        with open(path, "w") as handle:
            json.dump(existing, handle, indent=2)
    print("\n%s: %s" % (name, json.dumps({k: {kk: vv for kk, vv in v.items() if kk != "gaps"}
                                          for k, v in data.items() if isinstance(v, dict)}, indent=1)))


def test_mesh_to_rr_without_outage(lab_from_example, tmp_path):
    lab = lab_from_example("seed002_mesh_first", "mig")
    lab.wait_sessions(mesh_ok, what="the initial full mesh")
    rounds = 3 if LONG else 1

    for index in range(rounds):
        naive = run_naive(lab, tmp_path, "naive%d" % index)
        report("naive", naive)
        lost = [naive[name]["lost"] for name in ("client->client", "client<-client")]
        assert max(lost) > 0, "the naive order lost nothing -- the measurement cannot see an outage: %s" % naive
        back_to_mesh(lab)

    if LONG:
        for index in range(rounds):
            nodrain, _killed = run_role(lab, tmp_path, "nodrain%d" % index, "-e", "kubefabric_migration_drain=false")
            report("role_without_drain", nodrain)
            for name in ("client->client", "client<-client"):
                assert nodrain[name]["lost"] == 0, "%s lost packets with the role: %s" % (name, nodrain[name])
            # back with the reverse role, pings running (no drain: the RR pods must stay for the next round)
            flows = start_flows(lab, tmp_path, "reverse%d" % index)
            started = time.time()
            log = tmp_path / ("reverse%d.log" % index)
            assert lab.playbook("rr_to_mesh.yml", "-e", "kubefabric_migration_drain=false", log=log) == 0, \
                log.read_text()[-5000:]
            lab.wait_sessions(mesh_ok, what="the full mesh after rr_to_mesh")
            time.sleep(3.0)
            reverse = stop_flows(flows, (started, time.time()))
            report("rr_to_mesh", reverse)
            for name in ("client->client", "client<-client"):
                assert reverse[name]["lost"] == 0, "%s lost packets with rr_to_mesh: %s" % (name, reverse[name])

    # check mode shows the steps and changes nothing; a step 3 that cannot converge stops with the mesh on
    check_mode_changes_nothing(lab, tmp_path)
    report("role_step3_timeout", timeout_leaves_the_mesh_on(lab, tmp_path))
    back_to_mesh(lab)

    # the role with the drain, killed after step 2 and run again: one continuous measurement
    result, killed = run_role(lab, tmp_path, "role", kill_after_step2=True)
    result["killed_after_step2"] = killed
    report("role_with_drain_interrupted", result)
    for name in ("client->client", "client<-client"):
        assert result[name]["lost"] == 0, "%s lost packets with the role: %s" % (name, result[name])
    # the RR-to-be nodes' pods were evicted before their cluster ID was set: gone from the API and the lab
    pods = lab.kubectl("get", "pods", "-o", "name")
    for node in RRS:
        assert "probe-%s" % node not in pods
        assert not os.path.exists("/run/netns/%s" % lab.state["nodes"][node]["pod_ns"]), node
    for node in CLIENTS:
        assert "probe-%s" % node in pods
    nodes = json.loads(lab.kubectl("get", "nodes", "-o", "json"))["items"]
    assert not [n["metadata"]["name"] for n in nodes if n.get("spec", {}).get("unschedulable")], "left cordoned"
    assert not [n["metadata"]["name"] for n in nodes
                if "kubefabric.bgp/drained-for" in (n["metadata"].get("annotations") or {})]
    bgpconfig = json.loads(lab.kubectl("get", "bgpconfigurations.crd.projectcalico.org", "default", "-o", "json"))
    assert bgpconfig["spec"]["nodeToNodeMeshEnabled"] is False
