"""Node-to-node mesh -> ToR peering (seed 004) with kubefabric.bgp.mesh_to_tor, pod pings running.

examples/seed004_mesh_first: three nodes in the mesh, the RouterOS router (emulator, real FRR behind
it) without BGP configuration. The target: ubuntu-2 becomes the route reflector (cluster ID 244.0.0.1)
and the router's only peer, ubuntu-1 and ubuntu-3 its clients. ``ping -D -i 0.01`` runs between the
pods of ubuntu-1 and ubuntu-3 (both directions), which stay clients: 0 packets lost. ubuntu-2's pod is
evicted before its cluster ID is set; the router ends with exactly the planned neighbor.
"""
import json
import re
import time

from .pingflow import PingFlow
from .test_mesh_to_rr import report

CLIENTS = ["ubuntu-1", "ubuntu-3"]
RR = "ubuntu-2"


def mesh_ok(sessions):
    return all(len(protos) == 2 and all(p.startswith("Mesh_") and v == "Established" for p, v in protos.items())
               for protos in sessions.values())


def tor_ok(sessions):
    for host, protos in sessions.items():
        if any(p.startswith("Mesh_") or v != "Established" for p, v in protos.items()):
            return False
        if len(protos) != (3 if host == RR else 1):
            return False
    return True


def test_mesh_to_tor_without_outage(lab_from_example, tmp_path):
    lab = lab_from_example("seed004_mesh_first", "tor")
    lab.wait_sessions(mesh_ok, what="the initial full mesh")
    nodes = lab.state["nodes"]
    flows = [PingFlow("%s->%s" % (a, b), nodes[a]["pod_ns"], nodes[b]["pod_ip"], tmp_path / ("%s-%s.txt" % (a, b)))
             for a, b in (CLIENTS, CLIENTS[::-1])]
    for flow in flows:
        flow.start()
    time.sleep(2.0)
    for flow in flows:
        assert flow.result()["replies"] > 10, "no replies before the migration on %s: %s" % (flow.name, flow.text())
    started = time.time()
    log = tmp_path / "mesh_to_tor.log"
    rc = lab.playbook("mesh_to_tor.yml", log=log)
    text = log.read_text()
    assert rc == 0, text[-6000:]
    sessions = lab.wait_sessions(tor_ok, what="the ToR sessions")
    time.sleep(3.0)
    result = {flow.name: flow.stop().result(window=(started, time.time())) for flow in flows}
    report("mesh_to_tor", result)
    for flow in flows:
        assert result[flow.name]["lost"] == 0, "%s lost packets: %s" % (flow.name, result[flow.name])
    # ubuntu-2 peers the router and both clients; the verify step saw every session and every block
    assert any(p.endswith("172_16_30_254") for p in sessions[RR]), sessions[RR]
    rounds = re.findall(r"fabric_verify round \d+ .*: (\d+)/(\d+) session ends Established, (\d+)/(\d+) prefixes "
                        r"present, 0 problem", text)
    assert rounds, text[-3000:]
    ends_ok, ends, blocks_ok, blocks = rounds[-1]
    assert ends_ok == ends and blocks_ok == blocks and int(blocks) > 0, rounds[-1]
    bgpconfig = json.loads(lab.kubectl("get", "bgpconfigurations.crd.projectcalico.org", "default", "-o", "json"))
    assert bgpconfig["spec"]["nodeToNodeMeshEnabled"] is False
    pods = lab.kubectl("get", "pods", "-o", "name")
    assert "probe-%s" % RR not in pods and all("probe-%s" % n in pods for n in CLIENTS), pods
    node_list = json.loads(lab.kubectl("get", "nodes", "-o", "json"))["items"]
    assert not [n["metadata"]["name"] for n in node_list if n.get("spec", {}).get("unschedulable")], "left cordoned"
