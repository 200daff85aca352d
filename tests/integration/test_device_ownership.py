# -*- coding: utf-8 -*-
# Copyright: kubefabric.bgp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The pattern playbooks on leaves that carry the operator's own BGP configuration.

Real parts throughout: the lab fabric (namespaces, BIRD 1.6 on the nodes, a Comware leaf (emulator,
sessions in a real FRR) and an FRR leaf (real FRR + OpenSSH)), the Kubernetes API emulator and
``ansible-playbook`` running ``playbooks/rr_per_leaf.yml`` and ``playbooks/tor.yml`` (one node per
rack: two nodes of one rack AS do not converge under tor, issue 11) through the devices role (state
``overridden``). Before the first run the operator configures, over SSH as any operator would, a
neighbor with a description and an import policy and a neighbor with a password on each leaf (and on
FRR a route-map and a prefix-list). After each run the operator's configuration, compared as text, is
exactly what it was, and the fabric converged.

On one more lab, full_mesh, mesh_to_rr (to route_reflector), route_reflector and change_as (node3's AS
64512 -> 64600, which changes node3's neighbor on both leaves) run one after the other on the same
operator configuration: each converges, the leaves' own neighbors are the planned ones, and the operator's
text is unchanged. Those patterns need node-to-node sessions between all nodes, which the lab does not
route between racks, so there both leaves serve one rack (dual-homed ToRs).
"""
import contextlib
import json
import os
import re

import pytest

from tests.integration.test_device_down import run_playbook
from tests.integration.test_frr_bgp import operator_lines

RR_PER_LEAF = """\
all:
  vars:
    fabric_pattern: rr_per_leaf
    calico_asn: 64512
    fabric_racks:
      rack1: {asn: 64512}
      rack2: {asn: 64513}
  children:
    k8s_nodes:
      hosts:
        node1: {bgp_ipv4_address: 172.20.0.11/24, rack: rack1, route_reflector: true}
        node2: {bgp_ipv4_address: 172.20.0.12/24, rack: rack1}
        node3: {bgp_ipv4_address: 173.20.0.11/24, rack: rack2, route_reflector: true}
        node4: {bgp_ipv4_address: 173.20.0.12/24, rack: rack2}
    network_devices:
      hosts:
        spine1:
          platform: frr
          fabric_role: spine
          ansible_host: 198.18.93.10
          bgp_asn: 65000
          router_id: 10.255.255.1
        leaf1:
          platform: comware
          fabric_role: leaf
          ansible_host: 198.18.93.2
          bgp_asn: 65001
          router_id: 10.255.255.11
          racks: {rack1: 172.20.0.254}
          uplinks:
            - {peer: spine1, address: 10.255.0.1/31, peer_address: 10.255.0.0}
        leaf2:
          platform: frr
          fabric_role: leaf
          ansible_host: 198.18.93.6
          bgp_asn: 65002
          router_id: 10.255.255.12
          racks: {rack2: 173.20.0.254}
          uplinks:
            - {peer: spine1, address: 10.255.0.3/31, peer_address: 10.255.0.2}
"""

TOR = """\
all:
  vars:
    fabric_pattern: tor
    calico_asn: 64512
    tor_peering: all_nodes
    fabric_racks:
      r1: {asn: 64601}
      r2: {asn: 64602}
  children:
    k8s_nodes:
      hosts:
        r1-n1: {bgp_ipv4_address: 172.20.0.11/24, rack: r1}
        r2-n1: {bgp_ipv4_address: 173.20.0.11/24, rack: r2}
    network_devices:
      hosts:
        spine1:
          platform: frr
          fabric_role: spine
          ansible_host: 198.18.93.10
          bgp_asn: 65000
          router_id: 10.255.255.1
        leaf1:
          platform: comware
          fabric_role: tor
          ansible_host: 198.18.93.2
          bgp_asn: 65001
          router_id: 10.255.255.11
          racks: {r1: 172.20.0.254}
          uplinks: [{peer: spine1, address: 10.255.0.1/31, peer_address: 10.255.0.0}]
        leaf2:
          platform: frr
          fabric_role: tor
          ansible_host: 198.18.93.6
          bgp_asn: 65002
          router_id: 10.255.255.12
          racks: {r2: 173.20.0.254}
          uplinks: [{peer: spine1, address: 10.255.0.3/31, peer_address: 10.255.0.2}]
"""

OPERATOR = {
    "leaf1": ("hp_comware", "display current-configuration", [
        "bgp 65001", " router-id 10.255.255.11",
        " peer 10.99.0.1 as-number 65100", " peer 10.99.0.1 description firewall",
        " peer 10.99.0.2 as-number 65101", " peer 10.99.0.2 password simple operator-key",
        " address-family ipv4 unicast", "  peer 10.99.0.1 enable", "  peer 10.99.0.1 route-policy OPS-IN import",
        "  peer 10.99.0.2 enable", " quit", "quit"]),
    "leaf2": ("cisco_ios", "show running-config", [
        "ip prefix-list OPS-PL seq 5 permit 10.99.0.0/16",
        "route-map OPS-IN permit 10", " match ip address prefix-list OPS-PL", "exit",
        # a leaf that carries Calico: eBGP without route-maps (else frr_bgp refuses, naming the fix)
        "router bgp 65002", " bgp router-id 10.255.255.12", " no bgp ebgp-requires-policy",
        " neighbor 10.99.0.1 remote-as 65100", " neighbor 10.99.0.1 description firewall",
        " neighbor 10.99.0.2 remote-as 65101", " neighbor 10.99.0.2 password operator-key",
        " address-family ipv4 unicast", "  neighbor 10.99.0.1 route-map OPS-IN in", " exit-address-family", "exit"]),
}
# what the fabric plans on the leaves (addresses and peer groups): every other line is the operator's
FABRIC_OBJECTS = ["172.20.0.11", "172.20.0.12", "172.20.0.13", "173.20.0.11", "173.20.0.12", "10.255.0.0",
                  "10.255.0.2", "k8s-0", "k8s-1"]


# full_mesh and route_reflector need every node to reach every other node (mesh or route reflector
# sessions); the lab routes no node subnet between racks, so here both leaves serve one rack (dual-homed
# ToRs, RR_PER_LEAF's devices with leaf2 moved to rack1): every node peers with both leaves, in the
# cluster's one AS.
DUAL_HOMED = """\
all:
  vars:
    fabric_pattern: full_mesh
    calico_asn: 64512
    route_reflector_cluster_id: 224.0.0.1
    fabric_racks:
      rack1: {asn: 64512}
  children:
    k8s_nodes:
      hosts:
        node1: {bgp_ipv4_address: 172.20.0.11/24, rack: rack1}
        node2: {bgp_ipv4_address: 172.20.0.12/24, rack: rack1}
        node3: {bgp_ipv4_address: 172.20.0.13/24, rack: rack1}
""" + RR_PER_LEAF[RR_PER_LEAF.index("    network_devices:"):].replace(
    "racks: {rack2: 173.20.0.254}", "racks: {rack1: 172.20.0.253}")
FULL_MESH = DUAL_HOMED
# the target of mesh_to_rr: node1 and node2 become route reflectors
ROUTE_REFLECTOR = DUAL_HOMED.replace("fabric_pattern: full_mesh", "fabric_pattern: route_reflector").replace(
    "rack: rack1}", "rack: rack1, route_reflector: true}", 2)


@contextlib.contextmanager
def lab_up(tmp_path, text):
    if os.geteuid() != 0:
        pytest.skip("the lab needs root (network namespaces)")
    from lab import fabric  # pylint: disable=import-outside-toplevel
    inv_dir = tmp_path / "ownlab"
    inv_dir.mkdir()
    inventory = inv_dir / "inventory.yml"
    inventory.write_text(text)
    lab = fabric.Lab(inventory)
    if lab.load():
        fabric.down(inventory, log=lambda *a: None)
    try:
        fabric.up(inventory, log=lambda *a: None)
        yield inventory, lab
    finally:
        fabric.down(inventory, log=lambda *a: None)


@pytest.fixture(params=[("rr_per_leaf.yml", RR_PER_LEAF), ("tor.yml", TOR)], ids=["rr_per_leaf", "tor"])
def lab_fabric(request, tmp_path):
    playbook, text = request.param
    with lab_up(tmp_path, text) as (inventory, lab):
        yield playbook, inventory, lab


def _operator(lab, host):
    from netmiko import ConnectHandler  # pylint: disable=import-outside-toplevel

    creds = json.loads((lab.dir / "lab-inventory.yml").read_text())["all"]["children"]["network_devices"]["hosts"][host]
    device = lab.load()["devices"][host]
    return ConnectHandler(device_type=OPERATOR[host][0], host=device["mgmt"], username=creds["bgp_device_username"],
                          password=creds["bgp_device_password"])


def leaf_configs(lab):
    """Each leaf's running configuration, as the operator reads it over SSH."""
    out = {}
    for host, (_type, show, _lines) in OPERATOR.items():
        conn = _operator(lab, host)
        try:
            out[host] = conn.send_command(show)
        finally:
            conn.disconnect()
    return out


def operator_texts(lab, configs=None):
    configs = configs or leaf_configs(lab)
    return {host: operator_lines(text, FABRIC_OBJECTS) for host, text in configs.items()}


def fabric_neighbors(text):
    """``{address: remote AS}`` of the collection's neighbors in a leaf's configuration (Comware ``peer X
    as-number N``, FRR ``neighbor X remote-as N``)."""
    found = dict(re.findall(r"^\s*(?:peer|neighbor) (\S+) (?:as-number|remote-as) (\d+)\s*$", text, re.M))
    return {address: int(asn) for address, asn in found.items() if address in FABRIC_OBJECTS}


def configure_operator(lab):
    """The operator's own BGP configuration on both leaves, typed over SSH; returns it as text."""
    for host, (_type, _show, lines) in OPERATOR.items():
        conn = _operator(lab, host)
        try:
            conn.send_config_set(lines, cmd_verify=False)
            conn.exit_config_mode()
        finally:
            conn.disconnect()
    before = operator_texts(lab)
    assert "  peer 10.99.0.1 route-policy OPS-IN import" in before["leaf1"]
    assert "route-map OPS-IN permit 10" in before["leaf2"] and " neighbor 10.99.0.2 password operator-key" in before["leaf2"]
    return before


def all_established(out):
    """The verify step's last session count says every planned session end is Established."""
    rounds = re.findall(r"(\d+)/(\d+) session ends Established", out)
    return bool(rounds) and rounds[-1][0] == rounds[-1][1]


def test_pattern_playbook_leaves_the_operators_configuration(lab_fabric, tmp_path):
    playbook, inventory, lab = lab_fabric
    before = configure_operator(lab)

    rc, out = run_playbook(inventory, lab, tmp_path / "run1.log", playbook=playbook)
    assert rc == 0, out[-5000:]
    match = re.search(r'"msg": "(\d+)/(\d+) session ends Established', out)
    assert match and match.group(1) == match.group(2), out[-3000:]
    assert operator_texts(lab) == before

    # a second run (overridden again) changes nothing on the leaves, and the operator's lines stay
    rc, out = run_playbook(inventory, lab, tmp_path / "run2.log", playbook=playbook)
    assert rc == 0, out[-5000:]
    for host in ("leaf1", "leaf2"):
        assert re.search(r"%s\s*:.*changed=0" % host, out), out[-3000:]
    assert operator_texts(lab) == before

    # the drift playbook (check mode) sees no difference on the devices: the operator's neighbors are not drift
    rc, out = run_playbook(inventory, lab, tmp_path / "drift.log", playbook="drift.yml")
    assert rc == 0, out[-5000:]
    for host in ("spine1", "leaf1", "leaf2"):
        assert re.search(r"%s\s*:\s*ok=\d+\s+changed=0\s" % host, out), out[-3000:]


# One lab, the playbooks in sequence, each starting from the state the previous one left: (step,
# inventory, playbook, extra arguments, the node neighbors whose AS differs from 64512 afterwards). The nodes of
# a rack peer with the rack's leaves in every pattern here (BGPPeer ``rack == '<rack>'``), so full_mesh
# and route_reflector carry the same Comware and FRR leaves as rr_per_leaf and tor.
SEQUENCE = [
    ("full_mesh", FULL_MESH, "full_mesh.yml", (), {}),
    # the migration's target is the route_reflector inventory
    ("mesh_to_rr", ROUTE_REFLECTOR, "mesh_to_rr.yml", (), {}),
    ("route_reflector", ROUTE_REFLECTOR, "route_reflector.yml", (), {}),
    # node3's AS 64512 -> 64600 (one step; a change of the default AS walks every node the same way):
    # node3's neighbor on both leaves changes, the rest stays
    ("change_as", ROUTE_REFLECTOR, "change_as.yml", ("-e", '{"kubefabric_as_nodes": {"node3": 64600}}'),
     {"172.20.0.13": 64600}),
]


def planned_neighbors(changed):
    """Both leaves' own neighbors: the three nodes (in 64512 unless ``changed`` says otherwise), the spine."""
    nodes = dict({"172.20.0.%d" % i: 64512 for i in (11, 12, 13)}, **changed)
    return {"leaf1": dict(nodes, **{"10.255.0.0": 65000}), "leaf2": dict(nodes, **{"10.255.0.2": 65000})}


def test_playbooks_in_sequence_leave_the_operators_configuration(tmp_path):
    """full_mesh, mesh_to_rr, route_reflector and change_as, one after the other on one lab whose leaves
    carry the operator's configuration: each converges, changes the collection's neighbors as planned and
    leaves the operator's text as it was."""
    with lab_up(tmp_path, FULL_MESH) as (inventory, lab):
        before = configure_operator(lab)
        for step, text, playbook, extra, changed in SEQUENCE:
            inventory.write_text(text)
            rc, out = run_playbook(inventory, lab, tmp_path / ("%s.log" % step), playbook=playbook, extra=extra)
            assert rc == 0, "%s: %s" % (step, out[-5000:])
            assert all_established(out), "%s: %s" % (step, out[-3000:])
            configs = leaf_configs(lab)
            ours = {host: fabric_neighbors(config) for host, config in configs.items()}
            assert ours == planned_neighbors(changed), step
            assert operator_texts(lab, configs) == before, step
