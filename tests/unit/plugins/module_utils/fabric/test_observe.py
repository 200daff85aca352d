# -*- coding: utf-8 -*-
# Copyright: kubefabric.bgp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""fabric_verify's device reads: one connection per device and run, reused round after round, dropped
after a failed read; and the progress line."""
from pathlib import Path

import pytest

from ansible_collections.kubefabric.bgp.plugins.module_utils.devices import frr
from ansible_collections.kubefabric.bgp.plugins.module_utils.fabric import observe, verify
from tests.unit.plugins.module_utils.devices.fake_cli import FakeCli

FIX = Path(__file__).resolve().parents[4] / "unit" / "fixtures" / "frr"
PARAMS = {"hostname": "leaf1", "username": "netops", "password": "pw"}


def frr_conn():
    return FakeCli("leaf1", "leaf1#", {frr.SHOW_SUMMARY: [(FIX / "show_bgp_summary_json.json").read_text()],
                                       frr.SHOW_ROUTES[0]: ["{}"], frr.SHOW_ROUTES[1]: ["{}"]}, read_only=True)


def test_rounds_reuse_one_connection_closed_at_the_end():
    conns = []

    def connect(params, device_type):
        assert device_type == frr.DEVICE_TYPE
        conns.append(frr_conn())
        return conns[-1]

    reader = observe.DeviceReader("frr", PARAMS, connect=connect)
    first = reader.read(routes=True)
    for _round in range(3):
        assert reader.read(routes=True) == first
    assert len(conns) == 1 and reader.connects == 1 and reader.reads == 4
    assert not conns[0].disconnected  # the driver's close after each read leaves it open
    assert conns[0].events.count(("show", frr.SHOW_SUMMARY)) == 4 and conns[0].sent == []  # reads only
    assert "172.20.0.11" in [r["peer_address"] for r in first["sessions"]] and first["routes"] == []
    reader.close()
    assert conns[0].disconnected and reader.conn is None


def test_a_failed_read_drops_the_connection_and_the_next_round_opens_a_new_one():
    conns = []

    def connect(params, device_type):
        conns.append(frr_conn())
        return conns[-1]

    reader = observe.DeviceReader("frr", PARAMS, connect=connect)
    reader.read()
    conns[0].dropped = True  # the session died between rounds
    with pytest.raises(Exception):
        reader.read()
    assert conns[0].disconnected and reader.conn is None
    assert reader.read()["sessions"] and len(conns) == 2 and reader.connects == 2


class FakeApi:
    """librouteros' Api as routeros.read_state uses it: ``path(...)`` -> iterable rows."""

    def __init__(self):
        self.closed = False
        self.paths = []

    def path(self, *parts):
        self.paths.append("/".join(parts))
        if parts == ("system", "resource"):
            return [{"version": "7.15.3 (stable)"}]
        return []

    def close(self):
        self.closed = True


def test_routeros_rounds_reuse_one_api_connection():
    apis = []

    def connect(params):
        apis.append(FakeApi())
        return apis[-1]

    reader = observe.DeviceReader("routeros", {"hostname": "r1"}, connect=connect)
    for _round in range(3):
        assert reader.read()["sessions"] == []
    assert len(apis) == 1 and not apis[0].closed
    reader.close()
    assert apis[0].closed


def test_progress_line_counts_sessions_prefixes_and_waiting_nodes():
    plan = {"sessions": {"nodes": {"n1": [{"peer_address": "10.0.0.2", "peer_name": "n2"}],
                                   "n2": [{"peer_address": "10.0.0.1", "peer_name": "n1"}]}, "devices": {}}}
    nodes = {"n1": {"ipv4": [{"peer_address": "10.0.0.2", "info": "Established"}], "ipv6": []}}
    outcome = verify.verify_result(plan, nodes, {}, unobserved={"n2": "no CalicoNodeStatus object"})
    line = observe.progress_line(3, 2.04, outcome, {"pending": []}, check_routes=False)
    assert line == "fabric_verify round 3 (2.0 s): 1/2 session ends Established, 0 problem(s), 1 node(s) not observed"
    outcome = verify.verify_result(plan, nodes, {})
    line = observe.progress_line(1, 0.5, outcome, {"pending": ["n2"]}, check_routes=False)
    assert line.startswith("fabric_verify round 1 (0.5 s): 1/2 session ends Established, 1 problem(s), "
                           "status of 1 node(s) to come: n2->n1 missing")


def test_progress_line_says_where_the_routes_are_checked():
    plan = {"sessions": {"nodes": {"rr": [{"peer_address": "10.0.0.2", "peer_name": "c", "rr_client": True}],
                                   "c": [{"peer_address": "10.0.0.1", "peer_name": "rr"}]}, "devices": {}}}
    nodes = {"rr": {"ipv4": [{"peer_address": "10.0.0.2", "info": "Established"}], "ipv6": [],
                    "routes": {"routesV4": [{"type": "FIB", "destination": "192.168.2.0/26", "gateway": "10.0.0.2",
                                             "learnedFrom": {"sourceType": "BGPPeer", "peerIP": "10.0.0.2"}}]}},
             "c": {"ipv4": [{"peer_address": "10.0.0.1", "info": "Established"}], "ipv6": []}}
    outcome = verify.verify_result(plan, nodes, {}, check_routes=True, pools=["192.168.0.0/16"],
                                   routes_on="reflectors")
    line = observe.progress_line(2, 1.0, outcome, {"pending": []}, check_routes=True)
    assert line == ("fabric_verify round 2 (1.0 s): 2/2 session ends Established, 1/1 prefixes present, "
                    "0 problem(s), routes at 1 reflector node(s)")
