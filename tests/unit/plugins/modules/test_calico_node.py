# -*- coding: utf-8 -*-
# Copyright: kubefabric.bgp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""calico_node against the fake API: one LIST, one PATCH per changed node, annotations as Calico keeps them."""

import pytest

from ansible_collections.kubefabric.bgp.plugins.modules import calico_node as module


@pytest.fixture
def nodes(fake):
    for name in ("ubuntu-1", "ubuntu-2", "ubuntu-3"):
        fake.add("nodes", {"apiVersion": "v1", "kind": "Node",
                           "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name}}})
    return fake


def annotations(fake, name):
    return fake.obj("nodes", name)["metadata"].get("annotations", {})


def test_many_nodes_one_list_one_patch_each(run, nodes):
    args = {"nodes": [{"name": "ubuntu-2", "route_reflector_cluster_id": "244.0.0.1",
                       "labels": {"route-reflector": "true"}},
                      {"name": "ubuntu-1", "as_number": "64514"},
                      {"name": "ubuntu-3", "ipv4_address": "172.16.30.103/24", "ipv6_address": "fd00::3/64"}]}
    checked = run(module, args, check=True)
    assert checked["changed"] and nodes.writes == 0 and nodes.dry_runs == 3
    assert annotations(nodes, "ubuntu-2") == {}
    nodes.requests.clear()
    result = run(module, args)
    assert [m for m, _path, _query in nodes.requests] == ["get", "patch", "patch", "patch"]
    assert result["writes"] == 3
    assert annotations(nodes, "ubuntu-2") == {"projectcalico.org/RouteReflectorClusterID": "244.0.0.1",
                                              "projectcalico.org/labels": '{"route-reflector":"true"}'}
    assert annotations(nodes, "ubuntu-1") == {"projectcalico.org/ASNumber": "64514"}
    assert annotations(nodes, "ubuntu-3") == {"projectcalico.org/IPv4Address": "172.16.30.103/24",
                                              "projectcalico.org/IPv6Address": "fd00::3/64"}
    assert nodes.obj("nodes", "ubuntu-2")["metadata"]["labels"] == {"kubernetes.io/hostname": "ubuntu-2"}
    nodes.requests.clear()
    again = run(module, args)
    assert again["changed"] is False and [m for m, _path, _query in nodes.requests] == ["get"]


def test_diff_and_dotted_as(run, nodes):
    result = run(module, {"nodes": [{"name": "ubuntu-1", "as_number": "1.10"}]})
    after = result["diff"]["after"]["Node/ubuntu-1"]["metadata"]["annotations"]
    assert after == {"projectcalico.org/ASNumber": "65546"}
    assert result["diff"]["before"]["Node/ubuntu-1"]["metadata"].get("annotations") is None


def test_empty_string_removes_and_absent(run, nodes):
    run(module, {"nodes": [{"name": "ubuntu-1", "as_number": "64514", "route_reflector_cluster_id": "244.0.0.1",
                            "labels": {"a": "1", "b": "2"}}]})
    run(module, {"nodes": [{"name": "ubuntu-1", "route_reflector_cluster_id": "", "labels": {"a": None}}]})
    assert annotations(nodes, "ubuntu-1") == {"projectcalico.org/ASNumber": "64514",
                                              "projectcalico.org/labels": '{"b":"2"}'}
    run(module, {"state": "absent", "nodes": [{"name": "ubuntu-1", "labels": {"b": "x"}}]})
    assert annotations(nodes, "ubuntu-1") == {"projectcalico.org/ASNumber": "64514"}
    result = run(module, {"state": "absent", "nodes": [{"name": "ubuntu-1"}]})
    assert result["changed"] and annotations(nodes, "ubuntu-1") == {}
    assert run(module, {"state": "absent", "nodes": [{"name": "ubuntu-1"}]})["changed"] is False


AS_FIX = "write the AS number as an integer 0..4294967295 or as X.Y (each 0..65535)"
# (entry, words of the message, error host, error field, words of the fix)
BAD = [
    ({"name": "ubuntu-3", "as_number": "65536.0"}, "AS", "Node/ubuntu-3", "spec.bgp.asNumber", AS_FIX),
    ({"name": "ubuntu-3", "as_number": "4294967296"}, "AS", "Node/ubuntu-3", "spec.bgp.asNumber", AS_FIX),
    ({"name": "ubuntu-3", "route_reflector_cluster_id": "fd00::1"}, "RouteReflectorClusterID", "Node/ubuntu-3",
     "spec.bgp.routeReflectorClusterID", "correct spec.bgp.routeReflectorClusterID"),
    ({"name": "ubuntu-3", "ipv4_address": "10.0.0.300/24"}, "IPv4Address", "Node/ubuntu-3", "spec.bgp.ipv4Address",
     "correct spec.bgp.ipv4Address"),
    ({"name": "ubuntu-3", "ipv6_address": "10.0.0.3/24"}, "IPv6Address", "Node/ubuntu-3", "spec.bgp.ipv6Address",
     "correct spec.bgp.ipv6Address"),
    ({"name": "nope", "as_number": "65001"}, "do not exist", "https://fake-apiserver:6443", "nodes",
     "check the names with 'kubectl get nodes'; nothing was changed"),
    ({"name": "ubuntu-3", "labels": {"bad key!": "x"}}, "label", "Node/ubuntu-3", "labels",
     "label keys are [prefix/]name"),
    ({"name": "ubuntu-3", "labels": {"kubernetes.io/hostname": "other"}}, "Kubernetes labels", "Node/ubuntu-3",
     "labels.kubernetes.io/hostname", "kubectl label node ubuntu-3 kubernetes.io/hostname=other --overwrite"),
]


@pytest.mark.parametrize("entry,wording,host,field,fix", BAD)
def test_bad_input_is_refused_before_any_write(run, nodes, entry, wording, host, field, fix):
    result = run(module, {"nodes": [{"name": "ubuntu-1", "as_number": "65001"}, entry]}, expect_fail=True)
    assert wording in result["msg"], result["msg"]
    assert nodes.writes == 0 and nodes.dry_runs == 0
    assert annotations(nodes, "ubuntu-1") == {}
    error = result["error"]
    assert (error["host"], error["field"]) == (host, field), error
    assert fix in error["fix"], error
    assert error["message"] and error["message"] in result["msg"]
    assert result["msg"].startswith("%s: %s: " % (host, field))


def test_duplicates_are_refused(run, nodes):
    result = run(module, {"nodes": [{"name": "ubuntu-1"}, {"name": "ubuntu-1"}]}, expect_fail=True)
    assert "more than once" in result["msg"]
