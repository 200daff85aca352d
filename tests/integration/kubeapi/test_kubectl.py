"""kubectl against the emulator: discovery, apply/get/patch/label/annotate/delete, cordon/drain."""
import json
import ssl
import urllib.request

import pytest

PEER_V3 = """
apiVersion: projectcalico.org/v3
kind: BGPPeer
metadata:
  name: rack1-tor
spec:
  peerIP: 192.0.2.1
  asNumber: 64512
  nodeSelector: rack == 'rack1'
"""

NODE = """
apiVersion: v1
kind: Node
metadata:
  name: node1
  labels:
    rack: rack1
"""


def test_version_and_api_resources(kubectl):
    version = json.loads(kubectl.run("version", "-o", "json").stdout)
    assert version["serverVersion"]["major"] == "1"
    out = kubectl.run("api-resources", "-o", "wide").stdout
    for line in ("bgppeers", "bgpconfigurations", "caliconodestatuses", "ippools", "bgpfilters", "nodes",
                 "namespaces", "secrets", "pods"):
        assert line in out
    groups = kubectl.run("api-versions").stdout.split()
    assert "crd.projectcalico.org/v1" in groups and "projectcalico.org/v3" in groups and "v1" in groups


def test_apply_get_delete_calico_v3_reads_through_v1(kubectl, kube):
    assert "created" in kubectl.run("apply", "-f", "-", stdin=PEER_V3).stdout
    v1 = kubectl.json("get", "bgppeers.crd.projectcalico.org", "rack1-tor")
    assert v1["apiVersion"] == "crd.projectcalico.org/v1"
    assert v1["spec"]["peerIP"] == "192.0.2.1"
    assert v1["metadata"]["uid"] and v1["metadata"]["creationTimestamp"]
    assert "unchanged" in kubectl.run("apply", "-f", "-", stdin=PEER_V3).stdout
    changed = PEER_V3.replace("64512", "64513")
    assert "configured" in kubectl.run("apply", "-f", "-", stdin=changed).stdout
    v3 = kubectl.json("get", "bgppeers.projectcalico.org", "rack1-tor")
    assert v3["apiVersion"] == "projectcalico.org/v3" and v3["spec"]["asNumber"] == 64513
    table = kubectl.run("get", "bgppeers.projectcalico.org").stdout
    assert "rack1-tor" in table and "192.0.2.1" in table
    kubectl.run("delete", "bgppeers.crd.projectcalico.org", "rack1-tor")
    gone = kubectl.run("get", "bgppeers.projectcalico.org", "rack1-tor", check=False)
    assert gone.returncode != 0 and "NotFound" in gone.stderr


def test_apply_node_label_annotate_patch(kubectl):
    assert "created" in kubectl.run("apply", "-f", "-", stdin=NODE).stdout
    kubectl.run("label", "node", "node1", "route-reflector=true")
    kubectl.run("annotate", "node", "node1", "projectcalico.org/ASNumber=64600")
    kubectl.run("patch", "node", "node1", "-p", '{"metadata":{"labels":{"rack":"rack2"}}}')
    node = kubectl.json("get", "node", "node1")
    assert node["metadata"]["labels"]["route-reflector"] == "true"
    assert node["metadata"]["labels"]["rack"] == "rack2"
    assert node["metadata"]["annotations"]["projectcalico.org/ASNumber"] == "64600"
    kubectl.run("label", "node", "node1", "route-reflector-")
    assert "route-reflector" not in kubectl.json("get", "node", "node1")["metadata"]["labels"]
    selected = kubectl.json("get", "nodes", "-l", "rack=rack2")
    assert [n["metadata"]["name"] for n in selected["items"]] == ["node1"]
    assert kubectl.json("get", "nodes", "-l", "rack=rack1")["items"] == []
    kubectl.run("delete", "node", "node1")
    assert kubectl.json("get", "nodes")["items"] == []


def test_unauthorized_without_token(kubectl, kube):
    proc = kubectl.run("get", "nodes", "--token", "wrong", check=False)
    assert proc.returncode != 0
    assert "Unauthorized" in proc.stderr or "provide credentials" in proc.stderr


@pytest.mark.parametrize("group", ["projectcalico.org/v3", "crd.projectcalico.org/v1"])
def test_invalid_bgppeer_is_rejected_with_422(kubectl, group, calico_crds):
    bad = PEER_V3.replace("projectcalico.org/v3", group) + "  node: node1\n"
    proc = kubectl.run("apply", "-f", "-", stdin=bad, check=False)
    assert proc.returncode != 0
    assert "node and nodeSelector cannot both be set" in proc.stderr
    assert kubectl.json("get", "bgppeers.crd.projectcalico.org")["items"] == []


POD = """
apiVersion: v1
kind: Pod
metadata:
  name: web
  namespace: default
spec:
  nodeName: node1
  containers:
  - name: web
    image: nginx
"""


def test_cordon_drain_uncordon(kubectl, kube):
    kubectl.run("apply", "-f", "-", stdin=NODE)
    kubectl.run("apply", "-f", "-", stdin=POD)
    kubectl.run("apply", "-f", "-", stdin=POD.replace("name: web\n  namespace", "name: other\n  namespace")
                .replace("nodeName: node1", "nodeName: node2"))
    kubectl.run("cordon", "node1")
    assert kubectl.json("get", "node", "node1")["spec"]["unschedulable"] is True
    assert "SchedulingDisabled" in kubectl.run("get", "node", "node1").stdout
    out = kubectl.run("drain", "node1", "--force", "--ignore-daemonsets", "--timeout=60s")
    assert "evicted" in out.stdout + out.stderr
    assert [p["metadata"]["name"] for p in kubectl.json("get", "pods", "-A")["items"]] == ["other"]
    assert any(verb == "create" and path.endswith("/pods/web/eviction")
               for verb, _resource, path, _code in kube.counter.recent_writes)
    assert kube.counters()["writes"]["by_resource"]["pods/eviction"] == {"create": 1}
    kubectl.run("uncordon", "node1")
    assert not kubectl.json("get", "node", "node1")["spec"].get("unschedulable")


def test_create_secret_namespace_configmap_sent_as_protobuf(kubectl):
    kubectl.run("create", "namespace", "calico-system")
    kubectl.run("create", "secret", "generic", "bgp-passwords", "-n", "calico-system",
                "--from-literal=rack1=s3cret")
    kubectl.run("create", "configmap", "cm", "-n", "calico-system", "--from-literal=k=v")
    secret = kubectl.json("get", "secret", "bgp-passwords", "-n", "calico-system")
    assert secret["data"] == {"rack1": "czNjcmV0"} and secret["type"] == "Opaque"
    assert kubectl.json("get", "cm", "cm", "-n", "calico-system")["data"] == {"k": "v"}
    kubectl.run("delete", "namespace", "calico-system")
    assert kubectl.json("get", "secrets", "-A")["items"] == []


def test_server_side_apply_conflict_and_force(kubectl):
    kubectl.run("apply", "--server-side", "-f", "-", stdin=PEER_V3)
    changed = PEER_V3.replace("64512", "65000")
    proc = kubectl.run("apply", "--server-side", "--field-manager", "other", "-f", "-", stdin=changed, check=False)
    assert proc.returncode != 0 and 'conflict with "kubectl"' in proc.stderr and ".spec.asNumber" in proc.stderr
    kubectl.run("apply", "--server-side", "--field-manager", "other", "--force-conflicts", "-f", "-", stdin=changed)
    obj = kubectl.json("get", "bgppeers.projectcalico.org", "rack1-tor", "--show-managed-fields")
    assert obj["spec"]["asNumber"] == 65000
    owners = {m["manager"]: m["fieldsV1"] for m in obj["metadata"]["managedFields"]}
    assert "f:asNumber" in owners["other"]["f:spec"] and "f:asNumber" not in owners["kubectl"]["f:spec"]


def test_server_dry_run_and_patch_types(kubectl, kube):
    kubectl.run("apply", "-f", "-", stdin=PEER_V3)
    writes = kube.write_count
    out = kubectl.run("patch", "bgppeers.projectcalico.org", "rack1-tor", "--type", "merge", "-p",
                      '{"spec":{"asNumber":1}}', "--dry-run=server", "-o", "jsonpath={.spec.asNumber}").stdout
    assert out == "1"
    kubectl.run("delete", "bgppeers.projectcalico.org", "rack1-tor", "--dry-run=server")
    kubectl.run("apply", "--dry-run=server", "-f", "-", stdin=PEER_V3.replace("64512", "64999"))
    assert kube.write_count == writes
    assert kubectl.json("get", "bgppeers.projectcalico.org", "rack1-tor")["spec"]["asNumber"] == 64512
    kubectl.run("patch", "bgppeers.crd.projectcalico.org", "rack1-tor", "--type", "json", "-p",
                '[{"op":"replace","path":"/spec/asNumber","value":7}]')
    kubectl.run("patch", "bgppeers.crd.projectcalico.org", "rack1-tor", "--type", "merge", "-p",
                '{"spec":{"peerIP":"192.0.2.9"}}')
    spec = kubectl.json("get", "bgppeers.projectcalico.org", "rack1-tor")["spec"]
    assert spec["asNumber"] == 7 and spec["peerIP"] == "192.0.2.9"
    assert kube.write_count == writes + 2


def test_listens_on_another_address_with_matching_certificate(tmp_path):
    """The server certificate names the --host address (the lab uses 198.18.x.x management addresses)."""
    import shutil
    import subprocess
    from lab.kubeapi import KubeAPIServer
    if shutil.which("kubectl") is None:
        pytest.skip("kubectl is not installed")
    with KubeAPIServer("127.0.0.2", 0, workdir=str(tmp_path / "w")) as kube:
        assert kube.url.startswith("https://127.0.0.2:")
        out = subprocess.run(["kubectl", "--kubeconfig", kube.kubeconfig_path, "--cache-dir", str(tmp_path / "c"),
                              "get", "namespaces", "-o", "name"], capture_output=True, text=True, timeout=60,
                             check=True).stdout
        assert "namespace/kube-system" in out


def test_openapi_v2_protobuf_content_type_parses_in_kubectl(kubectl, kube):
    """kube-openapi's content type (no '@'): kubectl's mime parser accepts it where it refused '...@v1.0...'."""
    context = ssl.create_default_context(cafile=kube.ca_path)
    request = urllib.request.Request(kube.url + "/openapi/v2", headers={
        "Authorization": "Bearer " + kube.token,
        "Accept": "application/com.github.proto-openapi.spec.v2@v1.0+protobuf, application/json"})
    with urllib.request.urlopen(request, context=context, timeout=30) as answer:
        assert answer.headers["Content-Type"] == "application/com.github.proto-openapi.spec.v2.v1.0+protobuf"
        assert answer.read() == b""
    # a List goes through kubectl's client-side validation, which reads /openapi/v2
    listing = '{"apiVersion": "v1", "kind": "List", "items": [%s]}' % json.dumps(
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": "default"}})
    proc = kubectl.run("apply", "--validate=true", "-f", "-", stdin=listing, check=False)
    assert proc.returncode == 0, proc.stderr
    assert "mime" not in proc.stderr


def test_asdot_as_number_reads_as_integer_through_v1(kubectl):
    kubectl.run("apply", "-f", "-", stdin=PEER_V3.replace("asNumber: 64512", 'asNumber: "1.10"'))
    assert kubectl.json("get", "bgppeers.crd.projectcalico.org", "rack1-tor")["spec"]["asNumber"] == 65546
    assert kubectl.json("get", "bgppeers.projectcalico.org", "rack1-tor")["spec"]["asNumber"] == 65546


def test_client_side_apply_upgrades_to_server_side_apply(kubectl):
    """kubectl (>= 1.26) moves the fields of kubectl-client-side-apply to its server-side apply manager
    with a JSON patch of managedFields; a later server-side apply then changes them without conflict."""
    kubectl.run("apply", "-f", "-", stdin=PEER_V3)
    managers = [e["manager"] for e in kubectl.json("get", "bgppeers.projectcalico.org", "rack1-tor",
                                                   "--show-managed-fields")["metadata"]["managedFields"]]
    assert managers == ["kubectl-client-side-apply"]
    kubectl.run("apply", "--server-side", "-f", "-", stdin=PEER_V3)
    entries = kubectl.json("get", "bgppeers.projectcalico.org", "rack1-tor",
                           "--show-managed-fields")["metadata"]["managedFields"]
    # kubectl-last-applied: kubectl keeps the last-applied annotation with its own apply
    assert sorted((e["manager"], e["operation"]) for e in entries) == [
        ("kubectl", "Apply"), ("kubectl-last-applied", "Apply")]
    owned = {e["manager"]: e["fieldsV1"] for e in entries}
    assert "f:asNumber" in owned["kubectl"]["f:spec"]
    proc = kubectl.run("apply", "--server-side", "-f", "-", stdin=PEER_V3.replace("64512", "64513"), check=False)
    assert proc.returncode == 0, proc.stderr
    assert kubectl.json("get", "bgppeers.projectcalico.org", "rack1-tor")["spec"]["asNumber"] == 64513


@pytest.mark.parametrize("resource,api_version,field", [
    ("bgppeers", None, "peerIP"),
    ("bgppeers", "crd.projectcalico.org/v1", "peerIP"),
    ("ippools", "projectcalico.org/v3", "cidr"),
])
def test_kubectl_explain_reads_the_crd_schema(kubectl, calico_crds, resource, api_version, field):
    extra = ["--api-version", api_version] if api_version else []
    out = kubectl.run("explain", resource + ".spec", *extra).stdout
    assert "FIELDS:" in out and field in out
    out = kubectl.run("explain", "%s.spec.%s" % (resource, field), *extra).stdout
    assert "FIELD:" in out and field in out


def test_counters_endpoint_counts_requests_and_writes(kubectl, kube):
    kubectl.run("delete", "--raw", "/debug/kubefabric/counters")          # read and reset
    kubectl.run("apply", "--dry-run=server", "-f", "-", stdin=PEER_V3)
    kubectl.run("apply", "-f", "-", stdin=PEER_V3)
    kubectl.run("get", "bgppeers.crd.projectcalico.org")
    counts = json.loads(kubectl.run("get", "--raw", "/debug/kubefabric/counters").stdout)
    peers = "bgppeers.projectcalico.org"
    assert counts["writes"]["by_resource"] == {peers: {"create": 1}}
    assert counts["writes"]["total"] == 1 and counts["writes"]["failed"] == 0
    assert counts["dry_runs"]["by_resource"] == {peers: {"create": 1}}
    assert counts["requests"]["by_resource"]["bgppeers.crd.projectcalico.org"] == {"list": 1}
    assert counts["requests"]["by_resource"][peers]["get"] == 2          # kubectl apply reads first
    assert counts["store"]["objects"] >= 5 and counts["store"]["event_bytes"] > 0
    assert kube.counters()["writes"]["total"] == 1
    again = json.loads(kubectl.run("delete", "--raw", "/debug/kubefabric/counters").stdout)
    assert again["writes"]["total"] == 1
    assert kube.counters()["requests"]["total"] == 0
