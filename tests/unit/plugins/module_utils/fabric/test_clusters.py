# -*- coding: utf-8 -*-
# Copyright: kubefabric.bgp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Several clusters on one fabric (docs/multi_cluster.md): examples/multi_cluster read by Ansible itself
(InventoryManager, the real fabric_plan action plugin and module), planned and merged; and one refused
inventory per cross-cluster rule, each a copy of the example changed the way a user would."""
import copy
from pathlib import Path
from unittest import mock

import pytest
import yaml
from ansible.inventory.manager import InventoryManager
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar
from ansible.vars.hostvars import HostVars
from ansible.vars.manager import VariableManager

from ansible_collections.kubefabric.bgp.plugins.action.fabric_plan import ActionModule
from ansible_collections.kubefabric.bgp.plugins.module_utils.common.errors import FabricError
from ansible_collections.kubefabric.bgp.plugins.module_utils.devices import owner
from ansible_collections.kubefabric.bgp.plugins.module_utils.fabric import clusters
from ansible_collections.kubefabric.bgp.plugins.module_utils.fabric import module as fabric_module

EXAMPLES = Path(__file__).resolve().parents[5] / "examples"
EXAMPLE = yaml.safe_load((EXAMPLES / "multi_cluster" / "inventory.yml").read_text())


def plan_inventory(tmp_path, data, task_args=None):
    """The fabric_plan task's result for an inventory (action plugin + module body, in-process)."""
    path = tmp_path / "inventory.yml"
    path.write_text(yaml.safe_dump(data))
    loader = DataLoader()
    manager = InventoryManager(loader=loader, sources=[str(path)])
    variables = VariableManager(loader=loader, inventory=manager)
    HostVars(inventory=manager, variable_manager=variables, loader=loader)
    task_vars = variables.get_vars(host=manager.get_host("localhost"), include_hostvars=True)
    task = mock.MagicMock(args=dict(task_args or {}), async_val=0, check_mode=False)
    action = ActionModule(task, mock.MagicMock(), mock.MagicMock(), loader, Templar(loader=loader, variables=task_vars))
    sent = {}

    def execute_module(module_name, module_args, task_vars):
        sent.update(module_args)
        params = {k: v.get("default") for k, v in fabric_module.argument_spec().items()}
        params.update({k: v for k, v in module_args.items() if v is not None})
        try:
            return fabric_module.plan_result(params)
        except FabricError as exc:
            return {"failed": True, "msg": str(exc), "error": exc.as_dict()}

    with mock.patch.object(action, "_execute_module", side_effect=execute_module):
        result = action.run(task_vars=task_vars)
    return result, sent


def example():
    return copy.deepcopy(EXAMPLE)


def cluster(data, name):
    return data["all"]["children"]["kubefabric_clusters"]["children"][name]


def devices(data):
    return data["all"]["children"]["network_devices"]["hosts"]


# ------------------------------------------------------------------------------------------------
# the example

@pytest.fixture(scope="module")
def example_plan(tmp_path_factory):
    result, sent = plan_inventory(tmp_path_factory.mktemp("mc"), example())
    assert not result.get("failed"), result.get("msg")
    return result["plan"], sent


def test_every_cluster_reaches_the_module_with_its_own_group_vars(example_plan):
    _plan, sent = example_plan
    assert sorted(sent["clusters"]) == ["blue", "green"]
    assert sent["fabric_id"] == "dc1"
    blue, green = sent["clusters"]["blue"], sent["clusters"]["green"]
    assert sorted(blue["nodes"]) == ["b1-n1", "b2-n1"] and sorted(green["nodes"]) == ["g1-n1", "g2-n1"]
    assert blue["options"]["calico_asn"] == 64512 and green["options"]["calico_asn"] == 64513
    assert blue["options"]["pod_cidr"] == "10.100.0.0/16" and green["options"]["pod_cidr"] == "10.200.0.0/16"
    assert sorted(green["options"]["racks"]) == ["g1", "g2"]
    # the pattern is fabric-wide
    assert "pattern" not in green["options"] and sent["pattern"] == "tor"


def test_each_cluster_is_planned_alone_with_its_racks(example_plan):
    plan, _sent = example_plan
    assert sorted(plan["clusters"]) == ["blue", "green"]
    green = plan["clusters"]["green"]
    assert green["owner"] == "dc1.green" and green["hosts"] == ["g1-n1", "g2-n1"]
    assert green["module_args"]["bgp_configuration"]["as_number"] == "64513"
    assert sorted(p["name"] for p in green["module_args"]["bgp_peers"]) == ["g1-leaf1", "g2-leaf2"]
    assert sorted(green["calico"]["nodes"]) == ["g1-n1", "g2-n1"]
    # green's plan of leaf2: green's node and the uplink, nothing of blue
    assert [n["address"] for n in green["devices"]["leaf2"]["config"]["neighbors"]] == ["10.22.0.11", "10.255.0.2"]


def test_a_shared_leaf_has_one_config_per_owner_scope(example_plan):
    plan, _sent = example_plan
    scopes = {row["owner"]: row for row in plan["device_scopes"]["leaf1"]}
    assert list(scopes) == ["dc1", "dc1.blue", "dc1.green"]  # the fabric's first
    assert [n["address"] for n in scopes["dc1"]["config"]["neighbors"]] == ["10.255.0.0"]
    assert [n["address"] for n in scopes["dc1.blue"]["config"]["neighbors"]] == ["10.11.0.11"]
    assert [n["address"] for n in scopes["dc1.green"]["config"]["neighbors"]] == ["10.21.0.11"]
    assert {row["config"]["asn"] for row in scopes.values()} == {65001}
    # the merged view: the union, each neighbour tagged with its cluster
    merged = plan["devices"]["leaf1"]["config"]["neighbors"]
    assert [(n["address"], n["cluster"]) for n in merged] == [
        ("10.11.0.11", "blue"), ("10.21.0.11", "green"), ("10.255.0.0", None)]
    assert all("cluster" not in n for n in plan["module_args"]["devices"]["leaf1"]["neighbors"])


def test_sessions_and_picture_show_the_cluster(example_plan):
    plan, _sent = example_plan
    leaf2 = {row["peer_name"]: row["cluster"] for row in plan["sessions"]["devices"]["leaf2"]}
    assert leaf2 == {"b2-n1": "blue", "g2-n1": "green", "spine": None}
    assert {row["cluster"] for row in plan["sessions"]["nodes"]["g1-n1"]} == {"green"}
    # 4 node-leaf sessions and 2 uplinks, each once
    assert plan["sessions"]["total"] == 6
    assert 'subgraph "cluster_green"' in plan["dot"] and 'label="cluster green"' in plan["dot"]
    assert '"g2-n1" -- "leaf2" [label="green"];' in plan["dot"]
    assert '"leaf2" -- "spine";' in plan["dot"]


def test_a_single_cluster_inventory_is_planned_as_before(tmp_path):
    data = yaml.safe_load((EXAMPLES / "tor_three_racks" / "inventory.yml").read_text())
    result, sent = plan_inventory(tmp_path, data)
    assert not result.get("failed"), result.get("msg")
    assert "clusters" not in sent and "clusters" not in result["plan"] and "device_scopes" not in result["plan"]
    assert sorted(result["plan"]["devices"]) == ["spine", "tor1", "tor2", "tor3"]


def test_a_cluster_group_without_hosts_is_no_cluster(tmp_path):
    """A second inventory source may carry variables of a cluster the run does not plan (the lab's)."""
    data = example()
    del data["all"]["children"]["kubefabric_clusters"]["children"]["green"]
    data["all"]["children"]["k8s_nodes"]["children"] = {"blue": {}}
    data["all"]["children"]["kubefabric_clusters"]["children"]["green"] = {"vars": {"k8s_kubeconfig": "/x"}}
    for device in devices(data).values():
        if "racks" in device:
            device["racks"] = {r: a for r, a in device["racks"].items() if r.startswith("b")}
    result, sent = plan_inventory(tmp_path, data)
    assert not result.get("failed"), result.get("msg")
    assert sorted(sent["clusters"]) == ["blue"]
    assert [row["owner"] for row in result["plan"]["device_scopes"]["leaf2"]] == ["dc1", "dc1.blue"]


def test_owner_scope():
    assert owner.scope(None) == "default" and owner.scope("dc1") == "dc1"  # single cluster: unchanged
    assert owner.scope("dc1", "blue") == "dc1.blue"
    assert owner.parse(owner.make(owner.scope("dc1", "blue"), "k8s b1-n1")) == ("dc1.blue", None, "k8s b1-n1")
    assert not owner.owned_by(owner.make("dc1.blue"), "dc1") and not owner.owned_by(owner.make("dc1"), "dc1.blue")
    with pytest.raises(FabricError) as err:
        owner.scope("a-fabric-id-of-20-chr", "blue")
    assert err.value.field == "kubefabric_fabric_id" and "24 characters" in err.value.fix


# ------------------------------------------------------------------------------------------------
# one refused inventory per cross-cluster rule

def _set(path, value):
    def mutate(data):
        target = data
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
    return mutate


def cluster_var(name, var, value):
    return lambda data: cluster(data, name).setdefault("vars", {}).__setitem__(var, value)


def node_var(name, host, var, value):
    return lambda data: cluster(data, name)["hosts"][host].__setitem__(var, value)


def device_rack(host, rack, address):
    return lambda data: devices(data)[host]["racks"].__setitem__(rack, address)


def _both(*mutations):
    def mutate(data):
        for mutation in mutations:
            mutation(data)
    return mutate


def _drop_green_pod_cidrs(data):
    del cluster(data, "blue")["vars"]["pod_cidr"]
    del cluster(data, "green")["vars"]["pod_cidr"]


# (case id, mutation, host, field, words of the message, words of the fix)
REFUSED = [
    ("pod-cidr-overlap", cluster_var("green", "pod_cidr", "10.100.128.0/17"), "cluster green", "pod_cidr",
     "overlaps pod_cidr 10.100.0.0/16 of cluster blue", "own pod pool"),
    ("default-pools", _drop_green_pod_cidrs, "cluster green", "pod_cidr", "default pool", "own pod pool"),
    ("service-range-overlap", cluster_var("green", "service_cluster_ips", ["10.96.128.0/24"]), "cluster green",
     "service_cluster_ips[0]", "overlaps service_cluster_ips[0] 10.96.0.0/16 of cluster blue",
     "set service_cluster_ips in the group vars of cluster green"),
    ("pod-over-service", cluster_var("green", "pod_cidr", "10.96.0.0/16"), "cluster green", "pod_cidr",
     "service_cluster_ips[0] 10.96.0.0/16 of cluster blue", "own pod pool"),
    ("shared-rack-as", cluster_var("green", "fabric_racks", {"g1": {"asn": 64601}, "g2": {"asn": 64702}}), "g1-n1",
     "fabric_racks.g1.asn", "share AS 64601 behind eBGP devices", "allow_local_as: 1"),
    ("shared-node-as", node_var("green", "g1-n1", "bgp_asn", 64601), "g1-n1", "bgp_asn", "share AS 64601",
     "own AS"),
    ("node-as-of-a-device", cluster_var("green", "fabric_racks", {"g1": {"asn": 64701}, "g2": {"asn": 65000}}),
     "g2-n1", "fabric_racks.g2.asn", "the AS of device spine", "no device of the fabric uses"),
    ("duplicate-node-address", node_var("green", "g1-n1", "bgp_ipv4_address", "10.11.0.11/24"), "g1-n1",
     "bgp_ipv4_address", "also used by b1-n1", "its own address"),
    ("node-address-is-a-router-id", node_var("green", "g2-n1", "bgp_ipv4_address", "10.255.255.12/24"), "g2-n1",
     "bgp_ipv4_address", "also used by leaf2", "its own address"),
    ("rack-in-two-clusters", cluster_var("green", "fabric_racks", {"g1": {}, "g2": {}, "b1": {}}), "rack b1",
     "fabric_racks.b1", "belongs to clusters blue and green", "its own racks"),
    ("subnet-of-two-clusters", _both(node_var("green", "g1-n1", "bgp_ipv4_address", "10.11.0.21/24"),
                                     device_rack("leaf1", "g1", "10.11.0.253")), "g1-n1", "bgp_ipv4_address",
     "overlaps 10.11.0.0/24 of node b1-n1 (cluster blue)", "own subnets"),
    ("leaf-address-in-another-cluster", device_rack("leaf1", "g1", "10.11.0.250"), "leaf1", "racks.g1",
     "is in the subnet 10.11.0.0/24 of cluster blue", "rack g1's own nodes"),
    ("device-rack-in-no-cluster", device_rack("leaf1", "x9", "10.31.0.254"), "leaf1", "racks.x9", "in no cluster",
     "fabric_racks of the cluster"),
    ("node-in-two-clusters", lambda d: cluster(d, "green")["hosts"].__setitem__("b1-n1", None), "b1-n1",
     "kubefabric_clusters", "is in clusters blue and green", "one cluster only"),
    ("cluster-outside-node-group", _set(["all", "children", "k8s_nodes", "children"], {"blue": {}}), "g1-n1",
     "k8s_nodes", "not in the node group", "children of k8s_nodes"),
    ("owner-scope-too-long", _set(["all", "vars", "kubefabric_fabric_id"], "a-fabric-id-of-20-chr"), "cluster blue",
     "kubefabric_fabric_id", "not a valid ownership marker owner", "within 24 characters"),
    ("cluster-var-per-node", node_var("green", "g2-n1", "calico_asn", 64999), "g2-n1", "calico_asn",
     "different values of calico_asn", "group vars of cluster green"),
    ("a-cluster-is-planned-too", node_var("blue", "b2-n1", "rack", "b7"), "b2-n1", "rack",
     "cluster blue: rack 'b7' is not in fabric_racks", "add b7 to fabric_racks"),
]


@pytest.mark.parametrize("case", REFUSED, ids=[c[0] for c in REFUSED])
def test_refused_before_anything_is_planned(tmp_path, case):
    _id, mutate, host, field, words, fix = case
    data = example()
    mutate(data)
    result, _sent = plan_inventory(tmp_path, data)
    assert result.get("failed"), "accepted: %s" % _id
    assert "plan" not in result
    error = result["error"]
    assert (error["host"], error["field"]) == (host, field), result["msg"]
    assert words in error["message"], result["msg"]
    assert fix in error["fix"], result["msg"]


def test_allow_local_as_on_both_clusters_accepts_a_shared_as(tmp_path):
    data = example()
    cluster(data, "blue")["vars"]["fabric_racks"]["b1"] = {"asn": 64601, "allow_local_as": 1}
    cluster(data, "green")["vars"]["fabric_racks"]["g1"] = {"asn": 64601, "allow_local_as": 1}
    result, _sent = plan_inventory(tmp_path, data)
    assert not result.get("failed"), result.get("msg")
    bgp = result["plan"]["clusters"]["green"]["calico"]["nodes"]["g1-n1"]["bgp"]
    assert bgp["asNumber"] == 64601


def test_the_cluster_checks_need_no_inventory():
    """build_fabric_plan alone (what the module calls): a cluster without nodes is refused too."""
    fabric = {"fabric_id": "dc1", "pattern": "tor", "devices": {},
              "clusters": {"blue": {"options": {}, "nodes": {}}}}
    with pytest.raises(FabricError) as err:
        clusters.build_fabric_plan(fabric)
    assert (err.value.host, err.value.field) == ("cluster blue", "hosts")
