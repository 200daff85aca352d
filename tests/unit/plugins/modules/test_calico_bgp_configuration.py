# -*- coding: utf-8 -*-
# Copyright: kubefabric.bgp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""calico_bgp_configuration against the fake API."""
import base64
import json

import pytest

from ansible_collections.kubefabric.bgp.plugins.modules import calico_bgp_configuration as module
from ansible_collections.kubefabric.bgp.plugins.module_utils.calico import k8s
from tests.unit.plugins.module_utils.calico.fake_kube import FakeKube

SEED_004 = {"log_severity_screen": "Info", "node_to_node_mesh_enabled": False, "as_number": "64513",
            "service_cluster_ips": ["10.96.0.0/24"]}


@pytest.mark.parametrize("groups,group", [((k8s.V3, k8s.V1), k8s.V3), ((k8s.V1,), k8s.V1)])
def test_check_apply_idempotent(run, groups, group):
    fake = FakeKube(groups=groups)
    checked = run(module, SEED_004, check=True, server=fake)
    assert checked["changed"] and fake.names("bgpconfigurations") == []
    applied = run(module, SEED_004, server=fake)
    assert applied["api_group"] == group
    assert fake.obj("bgpconfigurations", "default")["spec"] == {
        "logSeverityScreen": "Info", "nodeToNodeMeshEnabled": False, "asNumber": 64513,
        "serviceClusterIPs": [{"cidr": "10.96.0.0/24"}]}
    assert applied["spec"]["asNumber"] == 64513
    again = run(module, SEED_004, server=fake)
    assert again["changed"] is False and again["writes"] == 0


def test_server_defaults_do_not_break_idempotence(run, fake):
    """A server that stores the CRD defaults (logSeverityScreen, serviceLoadBalancerAggregation)."""
    fake.add("bgpconfigurations", {"apiVersion": k8s.V3, "kind": "BGPConfiguration", "metadata": {"name": "default"},
                                   "spec": {"asNumber": 64513, "logSeverityScreen": "Info",
                                            "serviceLoadBalancerAggregation": "Enabled"}})
    result = run(module, {"as_number": "64513"}, server=fake)
    assert result["changed"] is False
    result = run(module, {"as_number": "64513"}, server=fake)
    assert result["changed"] is False


def test_merge_keeps_other_fields_and_replace_does_not(run, fake):
    run(module, SEED_004)
    run(module, {"as_number": "1.10", "listen_port": 1790})
    spec = fake.obj("bgpconfigurations", "default")["spec"]
    assert spec["asNumber"] == 65546 and spec["listenPort"] == 1790 and spec["nodeToNodeMeshEnabled"] is False
    run(module, {"as_number": "64512", "replace": True})
    assert fake.obj("bgpconfigurations", "default")["spec"] == {"asNumber": 64512}


def test_per_node_configuration(run, fake):
    run(module, {"node": "ubuntu-2", "listen_port": 1791})
    assert fake.obj("bgpconfigurations", "node.ubuntu-2")["spec"] == {"listenPort": 1791}


def test_mesh_password_secret_and_removal(run, fake):
    result = run(module, {"node_mesh_password": "mesh-pw-1", "node_mesh_max_restart_time": "120s"})
    assert "mesh-pw-1" not in json.dumps(result)
    secret = fake.obj("secrets", "kubefabric-node-mesh-password", "kube-system")
    assert base64.b64decode(secret["data"]["password"]) == b"mesh-pw-1"
    assert fake.obj("bgpconfigurations", "default")["spec"]["nodeMeshPassword"] == {
        "secretKeyRef": {"name": "kubefabric-node-mesh-password", "key": "password"}}
    assert run(module, {"node_mesh_password": "mesh-pw-1"})["changed"] is False
    run(module, {"state": "absent"})
    assert fake.names("bgpconfigurations") == [] and fake.names("secrets") == []


def test_communities(run, fake):
    run(module, {"communities": [{"name": "c1", "value": "63400:300:100"}],
                 "prefix_advertisements": [{"cidr": "172.218.4.0/26", "communities": ["c1", "63400:120"]}]})
    spec = fake.obj("bgpconfigurations", "default")["spec"]
    assert spec["communities"] == [{"name": "c1", "value": "63400:300:100"}]
    assert spec["prefixAdvertisements"] == [{"cidr": "172.218.4.0/26", "communities": ["c1", "63400:120"]}]


BAD = [
    ({"node": "n1", "as_number": "64999"}, "Cannot set ASNumber on a non default BGP Configuration."),
    ({"node": "n1", "node_to_node_mesh_enabled": True}, "on a non default BGP Configuration."),
    ({"node": "n1", "service_external_ips": ["10.0.0.0/8"]}, "on a non default BGP Configuration."),
    ({"node": "n1", "node_mesh_max_restart_time": "1m"}, "on a non default BGP Configuration."),
    ({"as_number": "70000.1"}, "invalid AS Number format"),
    ({"listen_port": 0}, "listenPort"),
    ({"log_severity_screen": "Chatty"}, "logSeverityScreen"),
    ({"ignored_interfaces": ["*"]}, "ignoredInterfaces"),
    ({"node_to_node_mesh_enabled": False, "node_mesh_password": "x1"},
     "nodeMeshPassword cannot be set when nodeToNodeMeshEnabled is false"),
    ({"communities": [{"name": "c1", "value": "1:2"}]}, "communities are defined but not used in prefixAdvertisements"),
]


@pytest.mark.parametrize("args,wording", BAD)
def test_bad_input_is_refused_before_any_write(run, fake, args, wording):
    result = run(module, args, expect_fail=True)
    assert wording in result["msg"], result["msg"]
    assert fake.writes == 0 and fake.dry_runs == 0


def test_merged_result_is_validated_too(run, fake):
    run(module, {"node_mesh_password": "m1"})
    result = run(module, {"node_to_node_mesh_enabled": False}, expect_fail=True)
    assert "nodeMeshPassword cannot be set when nodeToNodeMeshEnabled is false" in result["msg"]
