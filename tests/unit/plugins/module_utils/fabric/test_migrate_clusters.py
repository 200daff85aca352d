# -*- coding: utf-8 -*-
# Copyright: kubefabric.bgp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Migrations and status with several clusters on one fabric (docs/multi_cluster.md): one cluster per migration,
its owner scope only on the shared devices; a sliced migration refused; status reads each cluster through its
own credentials. The plans are examples/multi_cluster planned by the real fabric_plan action and module."""
import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.kubefabric.bgp.plugins.filter import migration as migration_filters
from ansible_collections.kubefabric.bgp.plugins.filter import clusters as status_filters
from ansible_collections.kubefabric.bgp.plugins.module_utils.common.errors import FabricError
from ansible_collections.kubefabric.bgp.plugins.module_utils.fabric import clusters, migrate

from .test_clusters import example, plan_inventory


@pytest.fixture(scope="module")
def fabric(tmp_path_factory):
    result, _sent = plan_inventory(tmp_path_factory.mktemp("plan"), example(), {"pattern": "tor"})
    assert not result.get("failed"), result
    return result["plan"]


def test_a_multi_cluster_plan_needs_the_cluster_to_migrate(fabric):
    with pytest.raises(FabricError) as err:
        migrate.cluster_plan(fabric, None)
    assert (err.value.host, err.value.field) == ("localhost", "kubefabric_cluster")
    assert "blue, green" in err.value.fix and "-e kubefabric_cluster=" in err.value.fix
    with pytest.raises(FabricError) as err:
        migrate.cluster_plan(fabric, "red")
    assert err.value.field == "kubefabric_cluster" and "blue, green" in err.value.fix
    with pytest.raises(AnsibleFilterError, match="kubefabric_cluster"):
        migration_filters.migration_cluster_plan(fabric, "")


def _only_the_clusters_leaf_neighbours(fabric, rows_of, cluster, prefix, other):
    """On both leaves one row, of the cluster's owner scope, with neighbours in its racks (``prefix``) only."""
    for device in ("leaf1", "leaf2"):
        rows = rows_of[device]
        assert [row["owner"] for row in rows] == ["dc1.%s" % cluster]
        addresses = {n["address"] for n in rows[0]["config"]["neighbors"]}
        assert addresses and all(a.startswith(prefix) for a in addresses)
        theirs = [r for r in fabric["device_scopes"][device] if r["owner"] == "dc1.%s" % other][0]
        assert not addresses & {n["address"] for n in theirs["config"]["neighbors"]}


def test_the_cluster_plan_keeps_only_that_cluster_and_its_owner_scope(fabric):
    plan = migrate.cluster_plan(fabric, "blue")
    assert list(plan["clusters"]) == ["blue"]
    assert plan["migration"] == {"cluster": "blue", "owner": "dc1.blue", "devices": ["leaf1", "leaf2", "spine"]}
    # every device keeps a key, only its rows of dc1.blue (the spine's has no neighbour: the uplinks are dc1's)
    assert sorted(plan["device_scopes"]) == sorted(fabric["device_scopes"])
    assert [(r["owner"], r["config"]["neighbors"]) for r in plan["device_scopes"]["spine"]] == [("dc1.blue", [])]
    _only_the_clusters_leaf_neighbours(fabric, plan["device_scopes"], "blue", "10.1", "green")
    # the steps read blue's own plan: its nodes, peers and sessions, none of green's
    target = migrate.target_of(plan)
    assert target is fabric["clusters"]["blue"]
    assert sorted(n["name"] for n in target["module_args"]["nodes"]) == ["b1-n1", "b2-n1"]
    assert sorted(plan["sessions"]["nodes"]) == ["b1-n1", "b2-n1"]
    # the whole plan is not changed
    assert sorted(fabric["clusters"]) == ["blue", "green"] and len(fabric["device_scopes"]["leaf1"]) == 3


def test_target_of_refuses_a_plan_of_several_clusters_and_passes_one_cluster_through(fabric):
    with pytest.raises(FabricError, match="several clusters"):
        migrate.target_of(fabric)
    single = fabric["clusters"]["green"]
    assert migrate.cluster_plan(single, None) is single and migrate.target_of(single) is single
    with pytest.raises(FabricError) as err:
        migrate.cluster_plan(single, "green")
    assert err.value.field == "kubefabric_cluster" and "drop kubefabric_cluster" in err.value.fix


def test_a_slice_of_a_sliced_job_cannot_run_a_migration():
    with pytest.raises(FabricError) as err:
        migrate.refuse_sliced(True, "kubefabric.bgp.mesh_to_rr")
    assert (err.value.host, err.value.field) == ("localhost", "kubefabric_workflow")
    assert "unsliced" in err.value.fix and "nothing was changed" in err.value.message
    migrate.refuse_sliced(False, "kubefabric.bgp.mesh_to_rr")
    assert migration_filters.migration_unsliced(False, "x") is True
    with pytest.raises(AnsibleFilterError, match="kubefabric.bgp.change_as is a migration"):
        migration_filters.migration_unsliced(True, "kubefabric.bgp.change_as")


HOSTVARS = {
    "b1-n1": {"k8s_kubeconfig": "/k/blue", "group_names": ["blue", "k8s_nodes", "kubefabric_clusters"]},
    "b2-n1": {"k8s_kubeconfig": "/k/blue", "group_names": ["blue", "k8s_nodes", "kubefabric_clusters", "rack_b2"]},
    "g1-n1": {"kubefabric_k8s_auth": {"host": "https://green:6443", "api_key": "t"}, "calico_node_name": "g1",
              "group_names": ["green", "k8s_nodes", "kubefabric_clusters"]},
}


def test_cluster_auth_reads_each_clusters_credentials(fabric):
    auth = migrate.cluster_auth(fabric, {"b1-n1": {"k8s_kubeconfig": "/k/blue", "k8s_context": None},
                                         "b2-n1": {}, "g1-n1": {"kubefabric_k8s_auth": {"kubeconfig": "/k/g"}},
                                         "g2-n1": {}})
    assert auth == {"blue": {"kubeconfig": "/k/blue"}, "green": {"kubeconfig": "/k/g"}}


def test_status_reads_each_cluster_through_its_own_credentials():
    groups = status_filters.status_clusters(["g1-n1", "b2-n1", "b1-n1"], HOSTVARS)
    assert groups == [
        {"cluster": "blue", "auth": {"kubeconfig": "/k/blue"}, "hosts": ["b2-n1", "b1-n1"], "nodes": ["b2-n1", "b1-n1"]},
        {"cluster": "green", "auth": {"host": "https://green:6443", "api_key": "t"}, "hosts": ["g1-n1"],
         "nodes": ["g1"]}]
    # one cluster (every host the same credentials): one read, no cluster name
    single = clusters.by_credentials(["b1-n1", "b2-n1"], HOSTVARS)
    assert len(single) == 1 and single[0]["cluster"] == "" and single[0]["nodes"] == ["b1-n1", "b2-n1"]


# ------------------------------------------------------------------------------------------------
# change_as per cluster: what one cluster's AS change acts on

NODE_GROUP = ["b1-n1", "b2-n1", "g1-n1", "g2-n1"]


def test_an_as_change_of_one_cluster_acts_on_its_nodes_and_its_owner_scope_only(fabric):
    scope = migrate.as_scope(migrate.cluster_plan(fabric, "green"), NODE_GROUP, "ignored")
    assert (scope["cluster"], scope["owner"], scope["nodes"]) == ("green", "dc1.green", ["g1-n1", "g2-n1"])
    # every device of green's owner scope, once, in that scope only: the spine's row has no neighbour (its uplinks
    # are the fabric's, dc1), so `overridden` there only removes what dc1.green may have left
    assert sorted(scope["devices"]) == ["leaf1", "leaf2", "spine"]
    assert [(r["owner"], r["config"]["neighbors"]) for r in scope["devices"]["spine"]] == [("dc1.green", [])]
    _only_the_clusters_leaf_neighbours(fabric, scope["devices"], "green", "10.2", "blue")
    with pytest.raises(FabricError) as err:
        migrate.as_scope(fabric, NODE_GROUP)
    assert (err.value.host, err.value.field) == ("localhost", "kubefabric_cluster")
    with pytest.raises(AnsibleFilterError, match="several clusters"):
        migration_filters.migration_as_scope(fabric, NODE_GROUP)


def test_an_as_change_of_a_single_cluster_acts_on_every_node_and_device_in_the_fabrics_scope(fabric):
    single = fabric["clusters"]["blue"]
    scope = migration_filters.migration_as_scope(single, ["b1-n1", "b2-n1"], "")
    assert (scope["cluster"], scope["owner"], scope["nodes"]) == ("", "default", ["b1-n1", "b2-n1"])
    assert sorted(scope["devices"]) == sorted(single["module_args"]["devices"])
    assert all(rows == [{"owner": "default", "config": single["module_args"]["devices"][device]}]
               for device, rows in scope["devices"].items())
    assert {r[0]["owner"] for r in migrate.as_scope(single, [], "dc7")["devices"].values()} == {"dc7"}


def test_an_as_change_of_one_cluster_refuses_another_clusters_node():
    hostvars = {"b1-n1": {"rack": "b1"}, "b2-n1": {"rack": "b2"}, "g1-n1": {"rack": "g1"}}
    assert migrate.as_steps({"b2-n1": 64600}, hostvars, ["b1-n1", "b2-n1"], "blue") == [["b2-n1"]]
    with pytest.raises(FabricError) as err:
        migrate.as_steps({"g1-n1": 64600}, hostvars, ["b1-n1", "b2-n1"], "blue")
    assert (err.value.host, err.value.field) == ("g1-n1", "kubefabric_as_nodes")
    assert "not a node of cluster blue" in err.value.message and "a run of that cluster" in err.value.fix
    with pytest.raises(AnsibleFilterError, match="not a node of cluster blue"):
        migration_filters.migration_as_steps({"g1-n1": 64600}, hostvars, ["b1-n1", "b2-n1"], "blue")
    # one cluster: the node group's wording
    with pytest.raises(FabricError, match="not a node of the node group"):
        migrate.as_steps({"g1-n1": 64600}, hostvars, ["b1-n1", "b2-n1"])


# ------------------------------------------------------------------------------------------------
# change_as plans the fabric it will leave before its first write (fabric_plan node_overrides)

def test_the_overrides_of_an_as_change_name_nodes_by_inventory_name():
    hostvars = {"b1-n1": {"calico_node_name": "blue-node-1"}, "b2-n1": {}}
    overrides = migration_filters.migration_as_overrides({"blue-node-1": "64600", "b2-n1": 64601}, hostvars,
                                                         ["b1-n1", "b2-n1"])
    assert overrides == {"b1-n1": {"bgp_asn": "64600"}, "b2-n1": {"bgp_asn": 64601}}


def test_a_plan_with_node_overrides_is_the_fabric_the_change_leaves(tmp_path):
    # an AS nobody uses: the node's sessions carry it in its cluster's plan, the inventory says otherwise
    result, _sent = plan_inventory(tmp_path, example(), {"pattern": "tor",
                                                         "node_overrides": {"b1-n1": {"bgp_asn": 64699}}})
    assert not result.get("failed"), result.get("msg")
    rows = result["plan"]["clusters"]["blue"]["sessions"]["nodes"]
    assert {row["local_as"] for row in rows["b1-n1"]} == {64699}
    assert {row["local_as"] for row in rows["b2-n1"]} == {64602}  # the other node keeps its rack's AS
    green = result["plan"]["clusters"]["green"]["sessions"]["nodes"]
    assert all(row["local_as"] != 64699 for node_rows in green.values() for row in node_rows)


def test_a_plan_with_node_overrides_refuses_an_as_path_loop_between_clusters(tmp_path):
    result, _sent = plan_inventory(tmp_path, example(), {"pattern": "tor",
                                                         "node_overrides": {"b1-n1": {"bgp_asn": 64701}}})
    assert result.get("failed")
    assert "clusters blue and green share AS 64701 behind eBGP devices (nodes b1-n1, g1-n1)" in result["msg"]


@pytest.mark.parametrize("overrides, field, words", [
    ({"nosuch": {"bgp_asn": 64600}}, "node_overrides", "nosuch is not a node of the inventory"),
    ({"b1-n1": {"bgp_password": "x"}}, "node_overrides.b1-n1.bgp_password", "not a node variable the plan reads"),
    ({"b1-n1": 64600}, "node_overrides.b1-n1", "are not a mapping"),
])
def test_node_overrides_name_what_is_wrong(tmp_path, overrides, field, words):
    result, _sent = plan_inventory(tmp_path, example(), {"pattern": "tor", "node_overrides": overrides})
    assert result.get("failed")
    assert result["error"]["field"] == field and words in result["error"]["message"], result["msg"]
