# -*- coding: utf-8 -*-
# Copyright: kubefabric.bgp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""AWX job slicing: the slices of a workflow's plan partition every Calico object, device and session row."""
import copy

import pytest

from ansible_collections.kubefabric.bgp.plugins.module_utils.common.errors import FabricError
from ansible_collections.kubefabric.bgp.plugins.module_utils.fabric import slicing
from ansible_collections.kubefabric.bgp.plugins.module_utils.fabric.plan import build_plan

from .test_clusters import EXAMPLE, plan_inventory
from .test_plan import fabric_of


def workflow_of(example, password_devices=()):
    fabric = fabric_of(example)
    for device in password_devices:
        fabric["devices"][device]["bgp_password"] = "not-a-real-secret"
    plan = build_plan(fabric)
    hosts = sorted(list(fabric["nodes"]) + list(fabric["devices"]))
    names = {h: (v or {}).get("calico_node_name") or h for h, v in fabric["nodes"].items()}
    return {"plan": plan, "hosts": hosts, "holder": "h"}, names


def awx_rule(hosts, count):
    """AWX (awx/main/models/inventory.py): hosts ordered by name, slice k of N gets ordered[k-1::N]."""
    ordered = sorted(hosts)
    return [set(ordered[k::count]) for k in range(count)]


@pytest.mark.parametrize("example,count", [("seed001_rr_per_leaf", 3), ("tor_three_racks", 3),
                                           ("tor_three_racks", 4), ("scale_200", 7), ("full_mesh", 2)])
def test_slices_partition_every_object(example, count):
    workflow, names = workflow_of(example)
    plan = workflow["plan"]
    parts = [slicing.slice_plan(workflow, hosts, names) for hosts in awx_rule(workflow["hosts"], count)]
    assert slicing.awx_slices(workflow["hosts"], count) == [sorted(p) for p in awx_rule(workflow["hosts"], count)]
    args = plan["module_args"]
    for key, every in (("nodes", [n["name"] for n in args["nodes"]]), ("bgp_peers", [p["name"] for p in args["bgp_peers"]]),
                       ("devices", list(args["devices"]))):
        owned = [name for part in parts for name in part["slice"][key]]
        assert sorted(owned) == sorted(every), key  # every object exactly once
    for part in parts:
        assert [n["name"] for n in part["module_args"]["nodes"]] == part["slice"]["nodes"]
        assert sorted(part["module_args"]["devices"]) == part["slice"]["devices"] == sorted(part["sessions"]["devices"])
        assert part["sessions"]["nodes"] == {}  # node rows depend on the mesh setting: the finish node verifies them
        assert part["module_args"]["bgp_configuration"] == args["bgp_configuration"]  # passed on, applied by the finish node
    rows = sum(part["sessions"]["total"] for part in parts)
    assert rows == sum(len(v) for v in plan["sessions"]["devices"].values())  # every device row, once
    assert workflow["plan"] == plan  # the input is not changed


def test_unsliced_owns_everything():
    workflow, names = workflow_of("seed001_rr_per_leaf")
    whole = slicing.slice_plan(workflow, workflow["hosts"], names)
    assert whole["module_args"]["nodes"] == workflow["plan"]["module_args"]["nodes"]
    assert whole["module_args"]["bgp_peers"] == workflow["plan"]["module_args"]["bgp_peers"]
    assert whole["sessions"]["devices"] == workflow["plan"]["sessions"]["devices"]


def test_password_peer_belongs_to_its_device():
    workflow, names = workflow_of("tor_three_racks", password_devices=("tor1", "tor2", "tor3", "spine"))
    peers = [p for p in workflow["plan"]["module_args"]["bgp_peers"] if p.get("password_device")]
    assert {p["password_device"] for p in peers} == {"tor1", "tor2", "tor3"}
    for hosts in awx_rule(workflow["hosts"], 3):
        part = slicing.slice_plan(workflow, hosts, names)
        mine = {p["name"] for p in part["module_args"]["bgp_peers"]}
        assert mine == {p["name"] for p in peers if p["password_device"] in hosts}


def test_owner_is_stable_and_independent_of_order():
    hosts = ["b", "a", "c", "d"]
    assert slicing.owner("rack1-leaf", hosts) == slicing.owner("rack1-leaf", list(reversed(hosts)))
    assert {slicing.owner("peer-%d" % i, hosts) for i in range(50)} == set(hosts)


def test_host_the_plan_did_not_see_is_refused():
    workflow, names = workflow_of("seed001_rr_per_leaf")
    with pytest.raises(FabricError) as err:
        slicing.slice_plan(workflow, ["node1", "node99"], dict(names, node99="node99"))
    assert err.value.host == "node99" and err.value.field == "kubefabric_workflow.hosts"
    assert "relaunch" in err.value.fix
    broken = copy.deepcopy(workflow)
    broken["plan"]["module_args"]["nodes"] = [n for n in broken["plan"]["module_args"]["nodes"] if n["name"] != "node1"]
    with pytest.raises(FabricError) as err:
        slicing.slice_plan(broken, ["node1"], names)
    assert err.value.host == "node1" and err.value.field == "calico_node_name"
    with pytest.raises(FabricError) as err:
        slicing.slice_plan({"hosts": []}, ["node1"], names)
    assert err.value.field == "kubefabric_workflow.plan"


# ------------------------------------------------------------------------------------------------
# several clusters on one fabric (docs/multi_cluster.md)

@pytest.fixture(scope="module")
def multi_workflow(tmp_path_factory):
    result, _sent = plan_inventory(tmp_path_factory.mktemp("mcslice"), copy.deepcopy(EXAMPLE))
    assert not result.get("failed"), result.get("msg")
    plan = result["plan"]
    assert sorted(plan["clusters"]) == ["blue", "green"]
    hosts = sorted({h for c in plan["clusters"].values() for h in c["hosts"]} | set(plan["module_args"]["devices"]))
    names = {h: h for c in plan["clusters"].values() for h in c["hosts"]}
    return {"plan": plan, "hosts": hosts, "holder": "h", "node_names": names}


@pytest.mark.parametrize("count", [1, 2, 3, 5])
def test_multi_cluster_slices_partition_every_object(multi_workflow, count):
    plan = multi_workflow["plan"]
    parts = [slicing.slice_plan(multi_workflow, hosts) for hosts in awx_rule(multi_workflow["hosts"], count)]
    for name, cluster in plan["clusters"].items():
        args = cluster["module_args"]
        got_nodes = [n["name"] for p in parts for n in p.get("clusters", {}).get(name, {}).get("module_args", {}).get("nodes", [])]
        got_peers = [x["name"] for p in parts for x in p.get("clusters", {}).get(name, {}).get("module_args", {}).get("bgp_peers", [])]
        assert sorted(got_nodes) == sorted(n["name"] for n in args["nodes"]), name
        assert sorted(got_peers) == sorted(x["name"] for x in args["bgp_peers"]), name
        for part in parts:
            if name in part.get("clusters", {}):
                # the slice that writes a cluster's objects has a host of that cluster (its credentials)
                assert part["clusters"][name]["hosts"] and set(part["clusters"][name]["hosts"]) <= set(cluster["hosts"])
                assert set(part["clusters"][name]["hosts"]) <= set(part["slice"]["hosts"])
    scopes = sorted((d, s["owner"]) for p in parts for d, rows in p["device_scopes"].items() for s in rows)
    assert scopes == sorted((d, s["owner"]) for d, rows in plan["device_scopes"].items() for s in rows)
    # the device rows each slice verifies (the verify role: per cluster when the plan has clusters), once each
    rows = [(d, r["peer_address"]) for p in parts
            for c in (list(p["clusters"].values()) if p.get("clusters") else [p])
            for d, rs in c["sessions"]["devices"].items() for r in rs]
    assert sorted(rows) == sorted((d, r["peer_address"]) for d, rs in plan["sessions"]["devices"].items() for r in rs)


def test_finish_plan_keeps_everything_but_the_nodes(multi_workflow):
    finish = slicing.finish_plan(multi_workflow)
    for name, cluster in finish["clusters"].items():
        assert cluster["module_args"]["nodes"] == []
        assert cluster["module_args"]["bgp_peers"] == multi_workflow["plan"]["clusters"][name]["module_args"]["bgp_peers"]
        assert cluster["sessions"] == multi_workflow["plan"]["clusters"][name]["sessions"]
    assert multi_workflow["plan"]["clusters"]["blue"]["module_args"]["nodes"]  # the input is not changed
