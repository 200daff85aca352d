# -*- coding: utf-8 -*-
# Copyright: kubefabric.bgp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""calicoctl node status: rows, order, and the table text byte for byte."""

from __future__ import annotations

import re

from ansible_collections.kubefabric.bgp.plugins.module_utils.calico import peering, status
from tests.conftest import shared_path

V3 = "projectcalico.org/v3"


def node(name, v4, **extra):
    labels = extra.pop("labels", None)
    meta = {"name": name}
    if labels:
        meta["labels"] = labels
    return {"apiVersion": V3, "kind": "Node", "metadata": meta, "spec": {"bgp": dict(ipv4Address=v4, **extra)}}


def seed_tables(seed):
    """The calicoctl tables printed in a seed (indentation removed), in order."""
    text = shared_path("seeds", seed).read_text()
    tables = []
    current = None
    for raw in text.splitlines():
        line = raw.strip()
        if line == "Calico process is running.":
            current = [line]
            tables.append(current)
        elif current is not None:
            if line.startswith("```") or line.startswith("#") and not line.startswith("# "):
                current = None
            elif line == "" and current and current[-1].startswith("No IPv6"):
                current = None
            else:
                current.append(line)
    return ["\n".join(t).strip() + "\n" for t in tables]


def test_table_text_matches_calicoctl_in_seed_004():
    tables = seed_tables("004_399e0077bc332a67.txt")
    ubuntu2 = [t for t in tables if "172.16.30.254" in t][0]
    rows = status.parse_table(ubuntu2)
    assert [r["peer_address"] for r in rows] == ["172.16.30.101", "172.16.30.103", "172.16.30.254"]
    # render the same rows again: identical text, borders, centring and padding included
    assert status.render_table(rows).strip() + "\n" == ubuntu2


def test_table_text_matches_calicoctl_in_seed_002():
    tables = seed_tables("002_704f9394838fab05.txt")
    assert len(tables) >= 2
    for table in tables[:2]:
        rows = status.parse_table(table)
        assert rows and all(r["info"] == "Established" for r in rows)
        assert status.render_table(rows).strip() + "\n" == table


def test_calicoctl_address_quirk_for_ported_peers():
    assert status.calicoctl_address("Global_10_192_0_1_port_150", 4) == "10.192.0.1.port.150"
    assert status.calicoctl_address("Node_ac13__57_port_50", 6) == "ac13::57:port:50"
    assert status.calicoctl_address("Mesh_fd00__3", 6) == "fd00::3"


def test_empty_families_and_not_running():
    text = status.render_table([])
    assert "No IPv4 peers found." in text and "No IPv6 peers found." in text
    assert status.render_table([], running=False) == "Calico process is not running.\n"


def test_apply_order_follows_when_sessions_appear():
    res = [node("first", "10.0.0.50/24"), node("b", "10.0.0.9/24"), node("c", "10.0.0.10/24"),
           node("d", "10.0.0.2/24")]
    info = status.peering_info(res)
    # mesh sessions of "first" come up as the other nodes join, not in name order
    assert [r["peer_address"] for r in info["nodes"]["first"]] == ["10.0.0.9", "10.0.0.10", "10.0.0.2"]
    config = status.peering_info(res, order="config")
    assert [r["peer_address"] for r in config["nodes"]["first"]] == ["10.0.0.10", "10.0.0.2", "10.0.0.9"]


def test_a_configuration_change_restarts_sessions_into_name_order():
    peers = [{"apiVersion": V3, "kind": "BGPPeer", "metadata": {"name": "tor"},
              "spec": {"peerIP": "10.0.0.254", "asNumber": 64513, "nodeSelector": "has(rr)"}},
             {"apiVersion": V3, "kind": "BGPPeer", "metadata": {"name": "to-rr"},
              "spec": {"nodeSelector": "all()", "peerSelector": "has(rr)"}}]
    nodes = [node("n1", "10.0.0.1/24"), node("rr", "10.0.0.5/24", routeReflectorClusterID="244.0.0.1",
                                             labels={"rr": ""})]
    as_change = {"apiVersion": V3, "kind": "BGPConfiguration", "metadata": {"name": "default"},
                 "spec": {"nodeToNodeMeshEnabled": False, "asNumber": 64513}}
    log_only = {"apiVersion": V3, "kind": "BGPConfiguration", "metadata": {"name": "default"},
                "spec": {"nodeToNodeMeshEnabled": False, "logSeverityScreen": "Info"}}
    # the ToR session arrives first; a later AS change restarts both, BIRD then lists them by name
    restarted = status.peering_info(nodes + peers + [as_change])["nodes"]["rr"]
    assert [r["peer_address"] for r in restarted] == ["10.0.0.1", "10.0.0.254"]
    kept = status.peering_info(nodes + peers + [log_only])["nodes"]["rr"]
    assert [r["peer_address"] for r in kept] == ["10.0.0.254", "10.0.0.1"]


def test_rows_carry_the_session_facts():
    res = [node("a", "10.0.0.1/24", asNumber=65001), node("b", "10.0.0.2/24")]
    row = status.peering_info(res)["nodes"]["a"][0]
    assert row == {"peer_address": "10.0.0.2", "peer_type": "node-to-node mesh", "local_as": 65001, "peer_as": 65001,
                   "rr_client": False, "ip_version": 4, "neighbor": "10.0.0.2", "port": None,
                   "protocol": "Mesh_10_0_0_2", "ibgp": True, "passive": True}
    table = status.render_table([dict(row, state="up", since="09:36:15", info="Established")])
    assert re.search(r"\| 10\.0\.0\.2 +\| node-to-node mesh \| up +\| 09:36:15 \| Established \|", table)
    assert peering.PEER_TYPE_LABELS["global"] == "global"


def test_the_engine_runs_once_when_the_configuration_comes_first(monkeypatch):
    calls = []
    real = status.compute_peerings
    monkeypatch.setattr(status, "compute_peerings", lambda *a, **kw: calls.append(1) or real(*a, **kw))
    config = {"apiVersion": V3, "kind": "BGPConfiguration", "metadata": {"name": "default"},
              "spec": {"nodeToNodeMeshEnabled": True, "asNumber": 64513}}
    nodes = [node("a", "10.0.0.1/24"), node("b", "10.0.0.2/24")]
    first = status.peering_info([config] + nodes)
    assert len(calls) == 1
    del calls[:]
    last = status.peering_info(nodes + [config])  # applied after the nodes: it may restart their sessions
    assert len(calls) == 2
    assert first["nodes"] == last["nodes"]
