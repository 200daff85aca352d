"""RBAC and SelfSubjectAccessReview in the API emulator, driven by kubectl (the real client), and the
collection's RBAC manifest (docs/rbac/kubefabric-controller.yaml) applied with kubectl against it."""
import subprocess
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[3]
MANIFEST = REPO / "docs" / "rbac" / "kubefabric-controller.yaml"


def as_user(kubectl, token, *args, check=False):
    """kubectl with the emulator's server and CA but another bearer token."""
    cmd = [kubectl.binary, "--kubeconfig", kubectl.server.kubeconfig_path, "--cache-dir", kubectl.cache,
           "--token", token] + list(args)
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=check)


def test_a_token_without_bindings_is_forbidden_and_ssar_says_no(kube, kubectl):
    token = kube.add_user("alice", ["team-a"])
    proc = as_user(kubectl, token, "get", "nodes")
    assert proc.returncode != 0
    assert 'nodes is forbidden: User "alice" cannot list resource "nodes" in API group "" at the cluster scope' \
        in proc.stderr, proc.stderr
    assert as_user(kubectl, token, "auth", "can-i", "list", "nodes").stdout.strip() == "no"
    # an unknown token is 401, not 403
    proc = as_user(kubectl, "not-a-token", "get", "nodes")
    assert proc.returncode != 0 and "Unauthorized" in proc.stderr + proc.stdout, proc.stderr


def test_role_and_cluster_role_bindings_are_honoured_group_and_names(kube, kubectl):
    token = kube.add_user("alice", ["team-a"])
    kubectl.run("apply", "-f", "-", stdin=yaml.safe_dump_all([
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": "node-reader"},
         "rules": [{"apiGroups": [""], "resources": ["nodes"], "verbs": ["get", "list"]}]},
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
         "metadata": {"name": "team-a-nodes"},
         "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "node-reader"},
         "subjects": [{"kind": "Group", "name": "team-a", "apiGroup": "rbac.authorization.k8s.io"}]},
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
         "metadata": {"name": "one-secret", "namespace": "kube-system"},
         "rules": [{"apiGroups": [""], "resources": ["secrets"], "verbs": ["get"], "resourceNames": ["s1"]}]},
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
         "metadata": {"name": "alice-s1", "namespace": "kube-system"},
         "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "one-secret"},
         "subjects": [{"kind": "User", "name": "alice", "apiGroup": "rbac.authorization.k8s.io"}]},
    ]))
    assert as_user(kubectl, token, "get", "nodes").returncode == 0
    assert as_user(kubectl, token, "auth", "can-i", "list", "nodes").stdout.strip() == "yes"
    assert as_user(kubectl, token, "auth", "can-i", "patch", "nodes").stdout.strip() == "no"
    assert as_user(kubectl, token, "auth", "can-i", "get", "secrets/s1", "-n", "kube-system").stdout.strip() == "yes"
    assert as_user(kubectl, token, "auth", "can-i", "get", "secrets/s2", "-n", "kube-system").stdout.strip() == "no"
    assert as_user(kubectl, token, "auth", "can-i", "get", "secrets/s1", "-n", "default").stdout.strip() == "no"
    kube.api.load({"apiVersion": "v1", "kind": "Node", "metadata": {"name": "n1"}})
    proc = as_user(kubectl, token, "label", "node", "n1", "x=y", "--dry-run=server")
    assert proc.returncode != 0, proc.stdout
    assert 'nodes "n1" is forbidden: User "alice" cannot patch resource "nodes"' in proc.stderr, proc.stderr
    # a review is a question: it is not counted as a write
    assert kube.write_count == 4  # the four RBAC objects


def test_the_collection_manifest_grants_what_the_service_account_needs(kube, kubectl):
    kubectl.run("apply", "-f", str(MANIFEST))
    token = kube.add_service_account("kube-system", "kubefabric-controller")

    def can(*args):
        return as_user(kubectl, token, "auth", "can-i", *args).stdout.strip()
    for args in (("patch", "nodes"), ("list", "nodes"), ("create", "bgppeers.crd.projectcalico.org"),
                 ("delete", "bgppeers.projectcalico.org"), ("update", "bgpconfigurations.crd.projectcalico.org"),
                 ("create", "caliconodestatuses.crd.projectcalico.org"), ("list", "ippools.projectcalico.org"),
                 ("create", "leases.coordination.k8s.io", "-n", "kube-system"),
                 ("create", "secrets", "-n", "kube-system"), ("create", "pods", "--subresource", "eviction")):
        assert can(*args) == "yes", args
    # and nothing it does not need
    for args in (("delete", "nodes"), ("create", "secrets", "-n", "default"), ("delete", "ippools.projectcalico.org"),
                 ("create", "leases.coordination.k8s.io", "-n", "default"), ("create", "clusterroles")):
        assert can(*args) == "no", args
    # another service account of the same namespace gets nothing from it
    other = kube.add_service_account("kube-system", "someone-else")
    assert as_user(kubectl, other, "auth", "can-i", "patch", "nodes").stdout.strip() == "no"
