# -*- coding: utf-8 -*-
# Copyright: kubefabric.bgp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""calico_peering_info: resources or src in, calicoctl rows / sessions_total / tables out."""

from __future__ import annotations

import pytest
import yaml

from ansible_collections.kubefabric.bgp.plugins.modules import calico_peering_info

SEED004 = [
    {"apiVersion": "projectcalico.org/v3", "kind": "Node", "metadata": {"name": "ubuntu-1"},
     "spec": {"bgp": {"ipv4Address": "172.16.30.101/24"}}},
    {"apiVersion": "projectcalico.org/v3", "kind": "Node",
     "metadata": {"name": "ubuntu-2", "labels": {"rack": "rack-1", "route-reflector": "true"}},
     "spec": {"bgp": {"ipv4Address": "172.16.30.102/24", "routeReflectorClusterID": "244.0.0.1"}}},
    {"apiVersion": "projectcalico.org/v3", "kind": "Node", "metadata": {"name": "ubuntu-3"},
     "spec": {"bgp": {"ipv4Address": "172.16.30.103/24"}}},
    {"apiVersion": "projectcalico.org/v3", "kind": "BGPPeer", "metadata": {"name": "rack1-tor"},
     "spec": {"peerIP": "172.16.30.254", "asNumber": 64513, "nodeSelector": "rack == 'rack-1'"}},
    {"apiVersion": "projectcalico.org/v3", "kind": "BGPPeer", "metadata": {"name": "peer-with-route-reflectors"},
     "spec": {"nodeSelector": "all()", "peerSelector": "route-reflector == 'true'"}},
    {"apiVersion": "projectcalico.org/v3", "kind": "BGPConfiguration", "metadata": {"name": "default"},
     "spec": {"nodeToNodeMeshEnabled": False, "asNumber": 64513}},
]


@pytest.fixture
def run_info(run_main):
    def invoke(args, expect_fail=False):
        return run_main(calico_peering_info, args, check=True, diff=False, expect_fail=expect_fail)

    return invoke


def test_seed004_rows_sessions_and_table(run_info):
    result = run_info({"resources": SEED004})
    assert result["changed"] is False
    assert result["sessions_total"] == 3
    rows = result["nodes"]["ubuntu-2"]
    assert [(r["peer_address"], r["peer_type"]) for r in rows] == [
        ("172.16.30.101", "node specific"), ("172.16.30.103", "node specific"), ("172.16.30.254", "node specific")]
    # ubuntu-2 is the route reflector: the two nodes are its clients, the ToR (same AS, no cluster ID) too
    assert [(r["local_as"], r["peer_as"], r["rr_client"]) for r in rows] == [
        (64513, 64513, True), (64513, 64513, True), (64513, 64513, True)]
    assert [r["peer_address"] for r in result["nodes"]["ubuntu-1"]] == ["172.16.30.102"]
    assert result["nodes"]["ubuntu-1"][0]["rr_client"] is False
    table = result["table"]["ubuntu-2"]
    assert "| 172.16.30.254 | node specific |" in table
    assert table.startswith("Calico process is running.\n\nIPv4 BGP status\n+")
    assert "No IPv6 peers found." in table


def test_src_file_and_node_filter(run_info, tmp_path):
    src = tmp_path / "bgp.yaml"
    src.write_text(yaml.safe_dump_all(SEED004))
    result = run_info({"src": str(src), "node": "ubuntu-1"})
    assert list(result["nodes"]) == ["ubuntu-1"]
    assert result["sessions_total"] == 3


def test_expect_passes_and_fails(run_info):
    ok = run_info({"resources": SEED004, "expect": [{"query": "sessions_total", "equals": 3}]})
    assert ok["sessions_total"] == 3
    bad = run_info({"resources": SEED004, "expect": [{"query": "sessions_total", "equals": 4}]}, expect_fail=True)
    assert bad["failures"] == ["sessions_total is 3, expected 4"]
    assert bad["msg"] == "expectation(s) not met: sessions_total is 3, expected 4" and bad["changed"] is False


def test_bad_selector_names_object_field_and_position(run_info):
    resources = SEED004[:3] + [{"apiVersion": "projectcalico.org/v3", "kind": "BGPPeer",
                                "metadata": {"name": "broken"},
                                "spec": {"peerIP": "172.16.30.254", "asNumber": 64513,
                                         "nodeSelector": "rack = 'rack-1'"}}]
    result = run_info({"resources": resources}, expect_fail=True)
    assert result["error"]["host"] == "BGPPeer/broken"
    assert result["error"]["field"] == "spec.nodeSelector"
    assert "position 5" in result["msg"]


def test_missing_src_is_a_clear_error(run_info, tmp_path):
    result = run_info({"src": str(tmp_path / "nope.yaml")}, expect_fail=True)
    assert result["error"]["field"] == "src"


def test_unknown_node(run_info):
    result = run_info({"resources": SEED004, "node": "ubuntu-9"}, expect_fail=True)
    assert "ubuntu-9" in result["msg"]


def test_passwords_are_not_returned(run_info):
    resources = SEED004[:3] + [
        {"apiVersion": "projectcalico.org/v3", "kind": "BGPPeer", "metadata": {"name": "tor"},
         "spec": {"peerIP": "172.16.30.254", "asNumber": 64513,
                  "password": {"secretKeyRef": {"name": "bgp", "key": "tor"}}}},
        {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "bgp", "namespace": "kube-system"},
         "stringData": {"tor": "s3cr3t-value"}},
    ]
    result = run_info({"resources": resources})
    assert "s3cr3t-value" not in repr(result)
    session = [s for s in result["sessions"]["ubuntu-1"] if s["peer_address"] == "172.16.30.254"][0]
    assert session["password_set"] is True
    assert session["password_ref"] == {"name": "bgp", "key": "tor", "namespace": "kube-system"}
    # the same through the no_log secrets option; a secret in another namespace is not found
    result = run_info({"resources": resources[:4], "secrets": {"bgp": {"tor": "other-value"}}})
    session = [s for s in result["sessions"]["ubuntu-1"] if s["peer_address"] == "172.16.30.254"][0]
    assert session["password_set"] is True and "other-value" not in repr(result)
    result = run_info({"resources": resources[:4], "secrets": {"bgp": {"tor": "x"}}, "namespace": "calico-system"})
    session = [s for s in result["sessions"]["ubuntu-1"] if s["peer_address"] == "172.16.30.254"][0]
    assert session["password_set"] is True
    result = run_info({"resources": resources[:4]})
    session = [s for s in result["sessions"]["ubuntu-1"] if s["peer_address"] == "172.16.30.254"][0]
    assert session["password_set"] is False
