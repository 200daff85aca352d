"""The ``kubernetes`` Python client (typed APIs, custom objects, dynamic client) against the emulator."""
import json
import threading

import pytest

kubernetes = pytest.importorskip("kubernetes")
from kubernetes import client as k8s, watch  # noqa: E402
from kubernetes.client.rest import ApiException  # noqa: E402
from kubernetes.dynamic import DynamicClient  # noqa: E402
from kubernetes.dynamic.exceptions import ConflictError  # noqa: E402

V1 = ("crd.projectcalico.org", "v1")
V3 = ("projectcalico.org", "v3")


def peer(name="tor1", group=V3, **spec):
    body = {"apiVersion": "%s/%s" % group, "kind": "BGPPeer", "metadata": {"name": name},
            "spec": dict({"peerIP": "192.0.2.1", "asNumber": 64512}, **spec)}
    return body


def status_of(exc):
    return json.loads(exc.body)


CALICO_OBJECTS = [
    ("bgpconfigurations", {"kind": "BGPConfiguration", "metadata": {"name": "default"},
                           "spec": {"nodeToNodeMeshEnabled": False, "asNumber": 64512}}),
    ("bgppeers", {"kind": "BGPPeer", "metadata": {"name": "p1"},
                  "spec": {"peerIP": "192.0.2.1", "asNumber": 64513, "nodeSelector": "all()"}}),
    ("caliconodestatuses", {"kind": "CalicoNodeStatus", "metadata": {"name": "node1"},
                            "spec": {"node": "node1", "classes": ["Agent", "BGP", "Routes"],
                                     "updatePeriodSeconds": 10}}),
    ("ippools", {"kind": "IPPool", "metadata": {"name": "pool1"},
                 "spec": {"cidr": "10.244.0.0/16", "natOutgoing": True}}),
    ("bgpfilters", {"kind": "BGPFilter", "metadata": {"name": "f1"},
                    "spec": {"exportV4": [{"action": "Accept", "matchOperator": "In", "cidr": "10.0.0.0/8"}]}}),
]


@pytest.mark.parametrize("write,read", [(V3, V1), (V1, V3)])
@pytest.mark.parametrize("plural,obj", CALICO_OBJECTS, ids=[c[0] for c in CALICO_OBJECTS])
def test_crud_every_calico_kind_both_groups(k8s_client, plural, obj, write, read):
    api = k8s.CustomObjectsApi(k8s_client)
    body = dict(obj, apiVersion="%s/%s" % write)
    name = obj["metadata"]["name"]
    created = api.create_cluster_custom_object(write[0], write[1], plural, body)
    assert created["metadata"]["resourceVersion"] and created["metadata"]["uid"]
    got = api.get_cluster_custom_object(read[0], read[1], plural, name)
    assert got["apiVersion"] == "%s/%s" % read
    for key, value in obj["spec"].items():
        assert got["spec"][key] == value
    got["metadata"].setdefault("labels", {})["team"] = "net"
    replaced = api.replace_cluster_custom_object(read[0], read[1], plural, name, got)
    assert int(replaced["metadata"]["resourceVersion"]) > int(created["metadata"]["resourceVersion"])
    listed = api.list_cluster_custom_object(write[0], write[1], plural, label_selector="team=net")
    assert [o["metadata"]["name"] for o in listed["items"]] == [name]
    assert api.list_cluster_custom_object(write[0], write[1], plural, label_selector="team!=net")["items"] == []
    api.delete_cluster_custom_object(write[0], write[1], plural, name)
    with pytest.raises(ApiException) as err:
        api.get_cluster_custom_object(read[0], read[1], plural, name)
    assert err.value.status == 404


def test_ippool_defaults_only_through_v3(k8s_client):
    api = k8s.CustomObjectsApi(k8s_client)
    api.create_cluster_custom_object(*V3, "ippools", {"apiVersion": "projectcalico.org/v3", "kind": "IPPool",
                                                      "metadata": {"name": "a"}, "spec": {"cidr": "10.1.0.0/16"}})
    api.create_cluster_custom_object(*V1, "ippools", {"apiVersion": "crd.projectcalico.org/v1", "kind": "IPPool",
                                                      "metadata": {"name": "b"}, "spec": {"cidr": "10.2.0.0/16"}})
    assert api.get_cluster_custom_object(*V1, "ippools", "a")["spec"]["blockSize"] == 26
    assert "blockSize" not in api.get_cluster_custom_object(*V1, "ippools", "b")["spec"]


def test_stale_resource_version_is_409(k8s_client):
    api = k8s.CustomObjectsApi(k8s_client)
    first = api.create_cluster_custom_object(*V3, "bgppeers", peer())
    current = api.get_cluster_custom_object(*V3, "bgppeers", "tor1")
    current["spec"]["asNumber"] = 64600
    api.replace_cluster_custom_object(*V3, "bgppeers", "tor1", current)
    first["spec"]["asNumber"] = 64700
    with pytest.raises(ApiException) as err:
        api.replace_cluster_custom_object(*V3, "bgppeers", "tor1", first)
    assert err.value.status == 409
    body = status_of(err.value)
    assert body["kind"] == "Status" and body["reason"] == "Conflict"
    assert "the object has been modified" in body["message"]
    assert api.get_cluster_custom_object(*V1, "bgppeers", "tor1")["spec"]["asNumber"] == 64600


def test_generation_counts_spec_changes_only(k8s_client):
    api = k8s.CustomObjectsApi(k8s_client)
    api.create_cluster_custom_object(*V3, "bgppeers", peer())
    api.patch_cluster_custom_object(*V3, "bgppeers", "tor1", {"metadata": {"labels": {"a": "b"}}})
    assert api.get_cluster_custom_object(*V3, "bgppeers", "tor1")["metadata"]["generation"] == 1
    api.patch_cluster_custom_object(*V3, "bgppeers", "tor1", {"spec": {"asNumber": 65000}})
    assert api.get_cluster_custom_object(*V3, "bgppeers", "tor1")["metadata"]["generation"] == 2


@pytest.mark.parametrize("group", [V1, V3])
def test_invalid_bgppeer_422_status(k8s_client, group, calico_crds):
    api = k8s.CustomObjectsApi(k8s_client)
    with pytest.raises(ApiException) as err:
        api.create_cluster_custom_object(*group, "bgppeers", peer(group=group, node="node1", nodeSelector="all()"))
    assert err.value.status == 422
    body = status_of(err.value)
    assert body["kind"] == "Status" and body["status"] == "Failure" and body["reason"] == "Invalid"
    assert body["code"] == 422
    assert body["details"]["kind"] == "BGPPeer" and body["details"]["name"] == "tor1"
    assert body["details"]["group"] == group[0]
    assert any(c["field"] == "spec" for c in body["details"]["causes"])
    assert "node and nodeSelector cannot both be set" in body["message"]
    assert api.list_cluster_custom_object(*V1, "bgppeers")["items"] == []


def test_crd_path_has_no_selector_grammar(k8s_client, calico_crds):
    """crd.projectcalico.org/v1 is decided by the CRD alone: a selector is a string of at most 1024 bytes.

    (A real Calico API server would refuse this object on projectcalico.org/v3 with its Go validators;
    the emulator does not run them, see lab/kubeapi/README.md, so this test uses the v1 path.)
    """
    api = k8s.CustomObjectsApi(k8s_client)
    api.create_cluster_custom_object(*V1, "bgppeers", peer(group=V1, nodeSelector="rack == "))
    with pytest.raises(ApiException) as err:
        api.create_cluster_custom_object(*V1, "bgppeers", peer("long", group=V1, nodeSelector="a" * 1025))
    assert err.value.status == 422
    assert status_of(err.value)["details"]["causes"] == [
        {"reason": "FieldValueTooLong", "field": "spec.nodeSelector",
         "message": "Too long: may not be more than 1024 bytes"}]


def test_patch_types_on_node(k8s_client):
    core = k8s.CoreV1Api(k8s_client)
    core.create_node({"apiVersion": "v1", "kind": "Node", "metadata": {"name": "n1", "labels": {"a": "1"}},
                      "status": {"addresses": [{"type": "InternalIP", "address": "10.0.0.1"}]}})
    # strategic merge (the client's default for typed APIs)
    core.patch_node("n1", {"metadata": {"labels": {"b": "2"}}, "spec": {"unschedulable": True}})
    node = core.read_node("n1")
    assert node.metadata.labels == {"a": "1", "b": "2"} and node.spec.unschedulable
    # JSON patch
    core.patch_node("n1", [{"op": "remove", "path": "/metadata/labels/a"},
                           {"op": "add", "path": "/metadata/annotations", "value": {"x": "y"}}])
    node = core.read_node("n1")
    assert node.metadata.labels == {"b": "2"} and node.metadata.annotations == {"x": "y"}
    # merge patch through the dynamic client
    nodes = DynamicClient(k8s_client).resources.get(api_version="v1", kind="Node")
    nodes.patch(name="n1", body={"metadata": {"labels": None}}, content_type="application/merge-patch+json")
    assert core.read_node("n1").metadata.labels is None
    # strategic merge keeps merge-keyed lists: status.addresses by type (status subresource)
    core.patch_node_status("n1", {"status": {"addresses": [{"type": "Hostname", "address": "n1"}]}})
    addresses = core.read_node("n1").status.addresses
    assert sorted(a.type for a in addresses) == ["Hostname", "InternalIP"]
    # a failing JSON patch test op is 422 and changes nothing
    with pytest.raises(ApiException) as err:
        core.patch_node("n1", [{"op": "test", "path": "/spec/unschedulable", "value": False}])
    assert err.value.status == 422


def test_strategic_merge_is_415_on_crds(k8s_client):
    api = k8s.CustomObjectsApi(k8s_client)
    api.create_cluster_custom_object(*V1, "bgppeers", peer(group=V1))
    dyn = DynamicClient(k8s_client)
    for group, code in (("crd.projectcalico.org/v1", 415), ("projectcalico.org/v3", 200)):
        peers = dyn.resources.get(api_version=group, kind="BGPPeer")
        if code == 415:
            with pytest.raises(ApiException) as err:
                peers.patch(name="tor1", body={"spec": {"asNumber": 1}},
                            content_type="application/strategic-merge-patch+json")
            assert err.value.status == 415 and status_of(err.value)["reason"] == "UnsupportedMediaType"
        else:
            patched = peers.patch(name="tor1", body={"spec": {"asNumber": 2}},
                                  content_type="application/strategic-merge-patch+json")
            assert patched.spec.asNumber == 2


def test_server_side_apply_two_managers_and_conflict(k8s_client):
    dyn = DynamicClient(k8s_client)
    peers = dyn.resources.get(api_version="projectcalico.org/v3", kind="BGPPeer")
    body = peer(nodeSelector="all()")
    created = peers.server_side_apply(body=body, name="tor1", field_manager="alice")
    assert created.spec.asNumber == 64512
    # bob applies a different field: no conflict, both own their fields
    peers.server_side_apply(body={"apiVersion": "projectcalico.org/v3", "kind": "BGPPeer",
                                  "metadata": {"name": "tor1", "labels": {"owner": "bob"}}},
                            name="tor1", field_manager="bob")
    obj = peers.get(name="tor1")
    managers = {m.manager: m.operation for m in obj.metadata.managedFields}
    assert managers == {"alice": "Apply", "bob": "Apply"}
    assert obj.spec.asNumber == 64512 and obj.metadata.labels.owner == "bob"
    # bob changes alice's field: 409 naming alice
    grab = {"apiVersion": "projectcalico.org/v3", "kind": "BGPPeer",
            "metadata": {"name": "tor1", "labels": {"owner": "bob"}}, "spec": {"asNumber": 65001}}
    with pytest.raises(ConflictError) as err:
        peers.server_side_apply(body=grab, name="tor1", field_manager="bob")
    assert "alice" in str(err.value.body) and ".spec.asNumber" in str(err.value.body)
    # force takes ownership
    peers.server_side_apply(body=grab, name="tor1", field_manager="bob", force_conflicts=True)
    obj = peers.get(name="tor1")
    assert obj.spec.asNumber == 65001
    # alice drops nodeSelector from her configuration: it is removed (she was its only owner)
    peers.server_side_apply(body={"apiVersion": "projectcalico.org/v3", "kind": "BGPPeer",
                                  "metadata": {"name": "tor1"}, "spec": {"peerIP": "192.0.2.1"}},
                            name="tor1", field_manager="alice")
    obj = peers.get(name="tor1")
    assert "nodeSelector" not in obj.spec and obj.spec.asNumber == 65001 and obj.metadata.labels.owner == "bob"


def test_dry_run_writes_nothing(k8s_client, kube):
    api = k8s.CustomObjectsApi(k8s_client)
    before = kube.write_count
    created = api.create_cluster_custom_object(*V3, "bgppeers", peer(), dry_run="All")
    assert created["spec"]["peerIP"] == "192.0.2.1"
    assert api.list_cluster_custom_object(*V1, "bgppeers")["items"] == []
    assert kube.write_count == before
    api.create_cluster_custom_object(*V3, "bgppeers", peer())
    assert kube.write_count == before + 1
    rv = api.get_cluster_custom_object(*V3, "bgppeers", "tor1")["metadata"]["resourceVersion"]
    patched = api.patch_cluster_custom_object(*V3, "bgppeers", "tor1", {"spec": {"asNumber": 1}}, dry_run="All")
    assert patched["spec"]["asNumber"] == 1
    api.delete_cluster_custom_object(*V3, "bgppeers", "tor1", dry_run="All")
    stored = api.get_cluster_custom_object(*V3, "bgppeers", "tor1")
    assert stored["spec"]["asNumber"] == 64512 and stored["metadata"]["resourceVersion"] == rv
    assert kube.write_count == before + 1 and kube.counter.dry_runs == 3


def test_unauthorized(kube):
    cfg = k8s.Configuration()
    cfg.host = kube.url
    cfg.ssl_ca_cert = kube.ca_path
    for token in (None, "wrong-token"):
        if token:
            cfg.api_key = {"authorization": "Bearer " + token}
        with k8s.ApiClient(cfg) as api_client:
            with pytest.raises(ApiException) as err:
                k8s.CoreV1Api(api_client).list_node()
        assert err.value.status == 401
        assert status_of(err.value)["reason"] == "Unauthorized"


def test_tls_is_verified_against_the_generated_ca(kube, tmp_path):
    import ssl
    import urllib.request
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(kube.url + "/healthz", context=ssl.create_default_context(), timeout=10)
    ctx = ssl.create_default_context(cafile=kube.ca_path)
    with urllib.request.urlopen(kube.url + "/healthz", context=ctx, timeout=10) as resp:
        assert resp.read() == b"ok"


def test_dynamic_client_discovery(k8s_client):
    dyn = DynamicClient(k8s_client)
    for api_version in ("crd.projectcalico.org/v1", "projectcalico.org/v3"):
        for kind in ("BGPConfiguration", "BGPPeer", "CalicoNodeStatus", "IPPool", "BGPFilter"):
            res = dyn.resources.get(api_version=api_version, kind=kind)
            assert res.namespaced is False
    assert dyn.resources.get(api_version="v1", kind="Node").namespaced is False
    assert dyn.resources.get(api_version="v1", kind="Secret").namespaced is True
    status = dyn.resources.get(api_version="projectcalico.org/v3", kind="CalicoNodeStatus").subresources
    assert "status" in status


def test_namespaced_secret_and_missing_namespace(k8s_client):
    core = k8s.CoreV1Api(k8s_client)
    core.create_namespaced_secret("kube-system", {"metadata": {"name": "bgp-secrets"},
                                                  "stringData": {"pw": "s3cret"}, "type": "Opaque"})
    secret = core.read_namespaced_secret("bgp-secrets", "kube-system")
    assert secret.string_data is None and secret.data == {"pw": "czNjcmV0"} and secret.type == "Opaque"
    with pytest.raises(ApiException) as err:
        core.create_namespaced_secret("nope", {"metadata": {"name": "x"}})
    assert err.value.status == 404
    core.create_namespace({"metadata": {"name": "lab"}})
    core.create_namespaced_secret("lab", {"metadata": {"name": "x"}, "data": {"k": "dg=="}})
    assert [s.metadata.name for s in core.list_secret_for_all_namespaces().items] == ["bgp-secrets", "x"]
    core.delete_namespace("lab")
    assert [s.metadata.name for s in core.list_secret_for_all_namespaces().items] == ["bgp-secrets"]


def test_already_exists_409(k8s_client):
    api = k8s.CustomObjectsApi(k8s_client)
    api.create_cluster_custom_object(*V3, "bgppeers", peer())
    with pytest.raises(ApiException) as err:
        api.create_cluster_custom_object(*V1, "bgppeers", peer(group=V1))
    assert err.value.status == 409 and status_of(err.value)["reason"] == "AlreadyExists"


def test_watch_events_across_groups(k8s_client):
    api = k8s.CustomObjectsApi(k8s_client)
    api.create_cluster_custom_object(*V3, "bgppeers", peer("before"))
    events = []
    started = threading.Event()
    w = watch.Watch()

    def consume():
        stream = w.stream(api.list_cluster_custom_object, *V1, "bgppeers", timeout_seconds=30)
        for event in stream:
            events.append((event["type"], event["object"]["metadata"]["name"], event["object"]["apiVersion"]))
            started.set()     # the watch is open once the existing object has arrived
            if event["type"] == "DELETED":
                w.stop()

    thread = threading.Thread(target=consume)
    thread.start()
    started.wait(10)
    api.create_cluster_custom_object(*V3, "bgppeers", peer("after"))
    api.patch_cluster_custom_object(*V3, "bgppeers", "after", {"spec": {"asNumber": 65000}})
    api.delete_cluster_custom_object(*V3, "bgppeers", "after")
    thread.join(30)
    assert not thread.is_alive()
    expected = [("ADDED", "before"), ("ADDED", "after"), ("MODIFIED", "after"), ("DELETED", "after")]
    assert [e[:2] for e in events] == expected
    assert {e[2] for e in events} == {"crd.projectcalico.org/v1"}


def test_watch_resumes_from_resource_version_with_label_selector(k8s_client):
    core = k8s.CoreV1Api(k8s_client)
    core.create_node({"metadata": {"name": "n1", "labels": {"rack": "r1"}}})
    rv = core.list_node().metadata.resource_version
    core.patch_node("n1", {"metadata": {"labels": {"rack": "r2"}}})
    core.create_node({"metadata": {"name": "n2", "labels": {"rack": "r1"}}})
    w = watch.Watch()
    seen = []
    for event in w.stream(core.list_node, resource_version=rv, label_selector="rack=r1", timeout_seconds=5):
        seen.append((event["type"], event["object"].metadata.name))
        if len(seen) == 2:
            w.stop()
    # n1 left the selection (DELETED), n2 entered it (ADDED)
    assert seen == [("DELETED", "n1"), ("ADDED", "n2")]


def test_pods_field_selector_and_eviction(k8s_client):
    core = k8s.CoreV1Api(k8s_client)
    for name, node in (("a", "n1"), ("b", "n2"), ("c", "n1")):
        core.create_namespaced_pod("default", {"metadata": {"name": name},
                                               "spec": {"nodeName": node, "containers": [{"name": "c", "image": "x"}]}})
    on_n1 = core.list_pod_for_all_namespaces(field_selector="spec.nodeName=n1")
    assert sorted(p.metadata.name for p in on_n1.items) == ["a", "c"]
    named = core.list_namespaced_pod("default", field_selector="metadata.name=b")
    assert [p.metadata.name for p in named.items] == ["b"]
    with pytest.raises(ApiException) as err:
        core.list_namespaced_pod("default", field_selector="spec.bogus=1")
    assert err.value.status == 400
    core.create_namespaced_pod_eviction("a", "default", {"apiVersion": "policy/v1", "kind": "Eviction",
                                                         "metadata": {"name": "a", "namespace": "default"}})
    assert sorted(p.metadata.name for p in core.list_namespaced_pod("default").items) == ["b", "c"]


BGP_STATUS = {"numberEstablishedV4": 3, "numberEstablishedV6": 0, "numberNotEstablishedV4": 0,
              "numberNotEstablishedV6": 0}


def test_status_subresource_caliconodestatus(k8s_client):
    api = k8s.CustomObjectsApi(k8s_client)
    body = {"apiVersion": "projectcalico.org/v3", "kind": "CalicoNodeStatus", "metadata": {"name": "n1"},
            "spec": {"node": "n1", "classes": ["BGP"], "updatePeriodSeconds": 10},
            "status": {"bgp": BGP_STATUS}}
    created = api.create_cluster_custom_object(*V3, "caliconodestatuses", body)
    assert "status" not in created       # status is ignored on create
    api.patch_cluster_custom_object_status(*V1, "caliconodestatuses", "n1",
                                           {"status": {"bgp": dict(BGP_STATUS, numberEstablishedV4=2)}})
    api.patch_cluster_custom_object(*V3, "caliconodestatuses", "n1",
                                    {"status": {"bgp": dict(BGP_STATUS, numberEstablishedV4=9)},
                                     "spec": {"updatePeriodSeconds": 20}})
    got = api.get_cluster_custom_object(*V3, "caliconodestatuses", "n1")
    assert got["status"]["bgp"]["numberEstablishedV4"] == 2 and got["spec"]["updatePeriodSeconds"] == 20


def test_cluster_without_calico_api_server(tmp_path):
    from lab.kubeapi import KubeAPIServer
    from kubernetes.dynamic.exceptions import ResourceNotFoundError
    with KubeAPIServer(workdir=str(tmp_path / "w"), calico_groups=["crd.projectcalico.org/v1"]) as kube:
        api_client = kubernetes.config.new_client_from_config(config_file=kube.kubeconfig_path)
        groups = [g.name for g in k8s.ApisApi(api_client).get_api_versions().groups]
        assert "crd.projectcalico.org" in groups and "projectcalico.org" not in groups
        dyn = DynamicClient(api_client)
        with pytest.raises(ResourceNotFoundError):
            dyn.resources.get(api_version="projectcalico.org/v3", kind="BGPPeer")
        dyn.resources.get(api_version="crd.projectcalico.org/v1", kind="BGPPeer").create(body=peer(group=V1))
        with pytest.raises(ApiException) as err:
            k8s.CustomObjectsApi(api_client).list_cluster_custom_object(*V3, "bgppeers")
        assert err.value.status == 404
        api_client.close()


def test_native_v3_crds_validate_like_crds(tmp_path, calico_crds):
    from lab.kubeapi import KubeAPIServer
    with KubeAPIServer(workdir=str(tmp_path / "w"), calico_api_server=False, crds=calico_crds) as kube:
        api_client = kubernetes.config.new_client_from_config(config_file=kube.kubeconfig_path)
        api = k8s.CustomObjectsApi(api_client)
        # no Go validators (selector syntax) and no IPPool defaulting without the Calico API server
        api.create_cluster_custom_object(*V3, "bgppeers", peer(nodeSelector="rack == "))
        api.create_cluster_custom_object(*V3, "ippools", {"apiVersion": "projectcalico.org/v3", "kind": "IPPool",
                                                          "metadata": {"name": "a"}, "spec": {"cidr": "10.1.0.0/16"}})
        assert "blockSize" not in api.get_cluster_custom_object(*V3, "ippools", "a")["spec"]
        with pytest.raises(ApiException) as err:      # CEL rules still apply
            api.create_cluster_custom_object(*V3, "bgppeers", peer("x", node="n1", nodeSelector="all()"))
        assert err.value.status == 422
        assert status_of(err.value)["message"].startswith('BGPPeer.projectcalico.org "x" is invalid')
        peers = DynamicClient(api_client).resources.get(api_version="projectcalico.org/v3", kind="BGPPeer")
        with pytest.raises(ApiException) as err:
            peers.patch(name="tor1", body={"spec": {"asNumber": 2}},
                        content_type="application/strategic-merge-patch+json")
        assert err.value.status == 415
        api_client.close()
