# -*- coding: utf-8 -*-
# Copyright: kubefabric.bgp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Kubernetes connection layer: options, K8S_AUTH_*, discovery, writes gated on check mode, diffs."""
import json
import socket

import pytest
import yaml

from ansible_collections.kubefabric.bgp.plugins.module_utils.calico import k8s
from ansible_collections.kubefabric.bgp.plugins.module_utils.common.errors import FabricError
from tests.unit.plugins.module_utils.calico.fake_kube import FakeKube, client


# -- options ---------------------------------------------------------------------------------------
def test_auth_options_are_kubernetes_core_options():
    core = pytest.importorskip("ansible_collections.kubernetes.core.plugins.module_utils.args_common")
    ours = k8s.AUTH_ARG_SPEC
    assert set(ours) == set(core.AUTH_ARG_SPEC)
    for name, spec in core.AUTH_ARG_SPEC.items():
        assert ours[name].get("aliases") == spec.get("aliases"), name
        assert ours[name].get("type", "str") == spec.get("type", "str"), name
        if spec.get("no_log"):
            assert ours[name].get("no_log") is True, name


def test_secrets_are_no_log():
    spec = k8s.argument_spec()
    for name in ("api_key", "password", "client_key", "kubeconfig"):
        assert spec[name]["no_log"] is True
    assert spec["api_group"]["choices"] == ["auto", "projectcalico.org/v3", "crd.projectcalico.org/v1"]


def test_env_fallbacks_awx_bearer_token_credential():
    env = {"K8S_AUTH_HOST": "https://10.0.0.1:6443", "K8S_AUTH_API_KEY": "tok",
           "K8S_AUTH_VERIFY_SSL": "False", "K8S_AUTH_SSL_CA_CERT": "/tmp/ca.pem"}
    auth = k8s.auth_from_params({}, env)
    assert auth == {"host": "https://10.0.0.1:6443", "api_key": "tok", "validate_certs": False,
                    "ca_cert": "/tmp/ca.pem"}


@pytest.mark.parametrize("value,expected", [("0", False), ("false", False), ("no", False), ("No", False),
                                            ("1", True), ("true", True), ("yes", True)])
def test_env_booleans(value, expected):
    assert k8s.auth_from_params({}, {"K8S_AUTH_VALIDATE_CERTS": value})["validate_certs"] is expected


def test_params_win_over_env_and_option_name_over_client_name():
    env = {"K8S_AUTH_HOST": "https://env", "K8S_AUTH_CA_CERT": "/a", "K8S_AUTH_SSL_CA_CERT": "/b",
           "K8S_AUTH_CERT_FILE": "/c", "K8S_AUTH_KEY_FILE": "/k", "K8S_AUTH_IMPERSONATE_GROUPS": "a,b,",
           "K8S_AUTH_PROXY_HEADERS_USER_AGENT": "ua"}
    auth = k8s.auth_from_params({"host": "https://param", "context": None}, env)
    assert auth["host"] == "https://param"
    assert auth["ca_cert"] == "/a"
    assert auth["client_cert"] == "/c" and auth["client_key"] == "/k"
    assert auth["impersonate_groups"] == ["a", "b"]
    assert auth["proxy_headers"] == {"user_agent": "ua"}
    assert "context" not in auth


# -- transport -------------------------------------------------------------------------------------
def _kubeconfig(tmp_path, server, token="s3cret-token", context="lab"):
    path = tmp_path / "kubeconfig"
    path.write_text(yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config", "current-context": context,
        "clusters": [{"name": "c", "cluster": {"server": server, "insecure-skip-tls-verify": True}}],
        "users": [{"name": "u", "user": {"token": token}}],
        "contexts": [{"name": context, "context": {"cluster": "c", "user": "u"}},
                     {"name": "other", "context": {"cluster": "c", "user": "u"}}],
    }))
    return str(path)


def test_kubeconfig_and_context_are_loaded(tmp_path):
    transport = k8s.Transport({"kubeconfig": _kubeconfig(tmp_path, "https://127.0.0.1:1"), "context": "other"})
    assert transport.host == "https://127.0.0.1:1"
    configuration = transport.dynamic.configuration
    assert configuration.auth_settings()["BearerToken"]["value"] == "Bearer s3cret-token"


def test_host_and_api_key_need_no_kubeconfig():
    transport = k8s.Transport({"host": "https://127.0.0.1:2/", "api_key": "abc", "validate_certs": False})
    assert transport.host == "https://127.0.0.1:2"
    assert transport.dynamic.configuration.verify_ssl is False
    assert transport.dynamic.configuration.auth_settings()["BearerToken"]["value"] == "Bearer abc"


def test_api_key_overrides_the_kubeconfig_token(tmp_path):
    transport = k8s.Transport({"kubeconfig": _kubeconfig(tmp_path, "https://127.0.0.1:1"), "api_key": "mine"})
    assert transport.dynamic.configuration.auth_settings()["BearerToken"]["value"] == "Bearer mine"


def test_missing_kubeconfig_is_a_clear_error(tmp_path):
    with pytest.raises(FabricError) as err:
        k8s.Transport({"kubeconfig": str(tmp_path / "nope")})
    assert err.value.field == "kubeconfig"
    assert "does not exist" in str(err.value)


def test_unknown_context_is_a_clear_error(tmp_path):
    with pytest.raises(FabricError) as err:
        k8s.Transport({"kubeconfig": _kubeconfig(tmp_path, "https://127.0.0.1:1"), "context": "missing"})
    assert "cannot load the kubeconfig" in str(err.value)


def _closed_port():
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return port


def test_unreachable_server_is_a_fabric_error_not_a_traceback():
    transport = k8s.Transport({"host": "https://127.0.0.1:%d" % _closed_port(), "api_key": "x",
                               "validate_certs": False}, timeout=5)
    kube = k8s.KubeClient(transport)
    with pytest.raises(FabricError) as err:
        kube.calico_group
    assert "cannot reach the Kubernetes API server at https://127.0.0.1:" in str(err.value)
    assert err.value.fix
    assert "x" not in (err.value.fix or "").split()


def test_api_errors_carry_the_servers_message():
    body = json.dumps({"kind": "Status", "message": 'BGPPeer.projectcalico.org "p" is invalid: '
                       'spec: Invalid value: "object": node and nodeSelector cannot both be set',
                       "reason": "Invalid", "code": 422})
    err = k8s.api_error(422, body, "https://h", "create BGPPeer/p")
    assert "node and nodeSelector cannot both be set" in str(err)
    assert err.details["status"] == 422
    unauthorized = k8s.api_error(401, "", "https://h", "listing BGPPeer")
    assert "401 Unauthorized" in str(unauthorized) and unauthorized.field == "api_key"
    forbidden = k8s.api_error(403, json.dumps({"message": "bgppeers is forbidden"}), "https://h", "x")
    assert "bgppeers is forbidden" in str(forbidden) and "RBAC" in forbidden.fix


# -- discovery -------------------------------------------------------------------------------------
@pytest.mark.parametrize("groups,expected", [
    ((k8s.V3, k8s.V1), k8s.V3),
    ((k8s.V1,), k8s.V1),
    ((k8s.V3,), k8s.V3),
])
def test_discovery_prefers_v3(groups, expected):
    kube = client(FakeKube(groups=groups))
    assert kube.calico_group == expected
    assert kube.path("BGPPeer", "x") == "/apis/%s/bgppeers/x" % expected


def test_discovery_without_calico_fails_clearly():
    with pytest.raises(FabricError) as err:
        client(FakeKube(groups=())).calico_group
    assert "projectcalico.org/v3 nor crd.projectcalico.org/v1" in str(err.value)
    assert err.value.field == "api_group"


def test_forced_group_is_checked():
    assert client(FakeKube(), api_group=k8s.V1).calico_group == k8s.V1
    with pytest.raises(FabricError):
        client(FakeKube(groups=(k8s.V1,)), api_group=k8s.V3).calico_group


def test_discovery_happens_once():
    fake = FakeKube()
    kube = client(fake)
    kube.get("BGPPeer", "a")
    kube.list("BGPPeer")
    assert [r for r in fake.requests if r[1] == "/apis/projectcalico.org/v3"] == \
        [("get", "/apis/projectcalico.org/v3", {})]


# -- reads and writes ------------------------------------------------------------------------------
def test_crud_and_paths():
    fake = FakeKube()
    kube = client(fake)
    assert kube.get("BGPPeer", "p") is None
    kube.create("BGPPeer", {"metadata": {"name": "p", "labels": {k8s.MANAGED_BY_LABEL: "kubefabric"}},
                            "spec": {"peerIP": "192.20.30.40"}})
    assert fake.obj("bgppeers", "p")["apiVersion"] == k8s.V3
    obj = kube.get("BGPPeer", "p")
    obj["spec"]["asNumber"] = 64567
    kube.replace("BGPPeer", obj)
    assert fake.obj("bgppeers", "p")["spec"]["asNumber"] == 64567
    assert [o["metadata"]["name"] for o in kube.list("BGPPeer", label_selector="app.kubernetes.io/managed-by=kubefabric")] == ["p"]
    kube.create("Secret", {"metadata": {"name": "s", "namespace": "kube-system"}, "data": {"password": "eA=="}})
    assert fake.obj("secrets", "s", "kube-system")["data"] == {"password": "eA=="}
    kube.delete("BGPPeer", "p")
    assert kube.get("BGPPeer", "p") is None
    assert kube.delete("BGPPeer", "p") is None  # already gone: not an error
    assert [w["verb"] for w in kube.writes] == ["create", "replace", "create", "delete", "delete"]


def test_check_mode_sends_dry_runs_only():
    fake = FakeKube(read_only=True)
    fake.add("nodes", {"metadata": {"name": "n1"}})
    kube = client(fake, check_mode=True)
    kube.create("BGPPeer", {"metadata": {"name": "p"}, "spec": {}})
    kube.patch("Node", "n1", {"metadata": {"annotations": {"projectcalico.org/ASNumber": "64514"}}})
    kube.delete("Node", "n1")
    assert fake.writes == 0 and fake.dry_runs == 3
    assert all(w["dry_run"] for w in kube.writes)
    assert fake.obj("nodes", "n1") == {"metadata": {"name": "n1", "resourceVersion": "101", "uid": "uid-101"}}
    assert all(q == {"dry_run": "All"} for m, _path, q in fake.requests if m != "get")


def test_merge_patch_content_type_and_none_deletes():
    fake = FakeKube()
    fake.add("nodes", {"metadata": {"name": "n1", "annotations": {"a": "1", "b": "2"}}})
    client(fake).patch("Node", "n1", {"metadata": {"annotations": {"a": None, "c": "3"}}})
    assert fake.obj("nodes", "n1")["metadata"]["annotations"] == {"b": "2", "c": "3"}


def test_namespaced_kind_needs_namespace():
    with pytest.raises(FabricError):
        client(FakeKube()).path("Secret", "x")


# -- diffs -----------------------------------------------------------------------------------------
def test_for_diff_hides_secret_values_and_server_fields():
    secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s", "namespace": "kube-system",
                                                                 "resourceVersion": "5", "uid": "u"},
              "data": {"password": "c2VjcmV0", "other": "eA=="}}
    shown = k8s.for_diff(secret, changed_secret_keys=("password",))
    assert shown["data"] == {"password": "<hidden, changed>", "other": "<hidden>"}
    assert "resourceVersion" not in shown["metadata"] and "uid" not in shown["metadata"]
    assert "c2VjcmV0" not in json.dumps(shown)
    assert secret["data"]["password"] == "c2VjcmV0"  # the input is not modified
    peer = {"kind": "BGPPeer", "metadata": {"name": "p", "managedFields": []}, "spec": {}, "status": {}}
    assert k8s.for_diff(peer) == {"kind": "BGPPeer", "metadata": {"name": "p"}, "spec": {}}
    assert k8s.for_diff(None) is None
