# -*- coding: utf-8 -*-
# Copyright: kubefabric.bgp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fabric family's module edge: main() -> run_module(module), one result shape."""

from ansible_collections.kubefabric.bgp.plugins.modules import fabric_lock, fabric_plan, fabric_preflight

NODES = {"n1": {"bgp_ipv4_address": "10.0.0.1/24"}, "n2": {"bgp_ipv4_address": "10.0.0.2/24"}}


def test_fabric_plan_returns_the_plan_unchanged(run):
    result = run(fabric_plan, {"pattern": "full_mesh", "nodes": NODES})
    assert result["changed"] is False
    assert result["sessions_total"] == 1
    assert result["plan"]["pattern"] == "full_mesh"
    assert result["plan"]["calico"]["bgp_configuration"]["spec"]["nodeToNodeMeshEnabled"] is True


def test_fabric_plan_error_names_host_field_and_fix(run):
    result = run(fabric_plan, {"pattern": "tor", "nodes": NODES}, expect_fail=True)
    assert result["error"] == {"host": "n1", "field": "rack", "message": "no rack",
                               "fix": "set rack to the rack (leaf/ToR segment) the node is cabled to"}
    assert result["msg"].startswith("n1: rack: no rack")


def test_fabric_plan_unmet_expectation_returns_the_plan(run):
    result = run(fabric_plan, {"pattern": "full_mesh", "nodes": NODES,
                               "expect": [{"query": "sessions_total", "equals": 2}]}, expect_fail=True)
    assert result["error"]["field"] == "expect" and result["plan"]["pattern"] == "full_mesh"


def test_fabric_preflight_needs_its_action_plugin(run):
    result = run(fabric_preflight, {"plan": {}}, expect_fail=True)
    assert "runs through its action plugin" in result["msg"]


def test_fabric_lock_check_mode_reports_the_holder(run, fake):
    fake.add("leases", {"metadata": {"name": "kubefabric-fabric-lock"}, "spec": {"holderIdentity": "other-run"}},
             namespace="kube-system")
    result = run(fabric_lock, {"holder": "me"}, check=True)
    assert result == {"changed": False, "holder": "me", "held_by": "other-run"}
    assert fake.obj("leases", "kubefabric-fabric-lock", "kube-system")["spec"] == {"holderIdentity": "other-run"}
