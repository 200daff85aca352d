# -*- coding: utf-8 -*-
# Copyright: kubefabric.bgp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The four calico_* modules run by the real ansible-playbook against the emulated API server.

Each test starts ``lab.kubeapi.KubeAPIServer`` (HTTPS on 127.0.0.1, a bearer token, a generated
kubeconfig), writes a vars file, and runs a playbook with the real ``ansible-playbook`` and the
``ansible.posix.json`` callback. The targets under ``targets/<module>/tasks/main.yml`` assert inside
the play (check mode, apply, apply again unchanged, diff, absent, bad input) and read the objects
back with ``kubectl``; this driver also checks the emulator's write counters and the seed YAML.
"""
import json
import os
import re
import shutil
import socket
import subprocess
import threading
from pathlib import Path

import pytest
import yaml

from lab.kubeapi import KubeAPIServer
from tests.conftest import shared_path
from tests.seed_yaml import SEED_COUNTS, seed_objects

REPO = Path(__file__).resolve().parents[2]
TARGETS = REPO / "tests" / "integration" / "targets"
PYTHON = REPO / ".venv" / "bin" / "python"
PLAYBOOK_BIN = REPO / ".venv" / "bin" / "ansible-playbook"

V3, V1 = "projectcalico.org/v3", "crd.projectcalico.org/v1"
GROUPS = {  # api_group option -> (group the module must use, kubectl resource suffix)
    "auto": (V3, "projectcalico.org"),
    V1: (V1, "crd.projectcalico.org"),
}
SEED_NODES = ("ubuntu-1", "ubuntu-2", "ubuntu-3", "node-1", "my-node")

pytestmark = pytest.mark.skipif(not PLAYBOOK_BIN.exists() or shutil.which("kubectl") is None,
                                reason="needs the project venv (make setup) and kubectl")


def _nodes():
    return [{"apiVersion": "v1", "kind": "Node",
             "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name, "kubernetes.io/os": "linux"}}}
            for name in SEED_NODES]


@pytest.fixture
def kube(tmp_path):
    server = KubeAPIServer("127.0.0.1", 0, workdir=str(tmp_path / "kubeapi"), preload=[_nodes()]).start()
    try:
        yield server
    finally:
        server.stop()


class Playbook:
    """Writes vars + playbook files and runs the real ansible-playbook with the JSON callback."""

    def __init__(self, server, tmp_path):
        self.server = server
        self.tmp = tmp_path

    def vars(self, api_group="auto", **extra):
        group, crd_group = GROUPS[api_group]
        data = dict(kubeconfig=self.server.kubeconfig_path, api_group=api_group, expected_group=group,
                    crd_group=crd_group, kubectl=shutil.which("kubectl"))
        data.update(extra)
        return data

    def run(self, tasks, variables, check=False, module_defaults=True, env=None):
        vars_file = self.tmp / "vars.yml"
        vars_file.write_text(yaml.safe_dump(variables))
        play = {"hosts": "localhost", "gather_facts": False, "vars_files": [str(vars_file)], "tasks": tasks}
        if module_defaults:
            play["module_defaults"] = {"group/kubefabric.bgp.k8s": {"kubeconfig": "{{ kubeconfig }}"}}
        playbook = self.tmp / "playbook.yml"
        playbook.write_text(yaml.safe_dump([play], sort_keys=False))
        inventory = self.tmp / "inventory.ini"
        inventory.write_text("localhost ansible_connection=local ansible_python_interpreter=%s\n" % PYTHON)
        environ = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(REPO / ".build"),
                       ANSIBLE_STDOUT_CALLBACK="ansible.posix.json", ANSIBLE_NOCOLOR="1",
                       ANSIBLE_LOCAL_TEMP=str(self.tmp / "ansible-tmp"), ANSIBLE_RETRY_FILES_ENABLED="0",
                       KUBECACHEDIR=str(self.tmp / "kubectl-cache"))
        for name in list(environ):
            if name.startswith("K8S_AUTH_"):
                del environ[name]
        environ.update(env or {})
        cmd = [str(PLAYBOOK_BIN), "-i", str(inventory), str(playbook)] + (["--check"] if check else [])
        proc = subprocess.run(cmd, capture_output=True, text=True, env=environ, timeout=600, check=False)
        try:
            report = json.loads(proc.stdout)
        except ValueError:
            raise AssertionError("ansible-playbook did not print JSON (rc %d):\n%s\n%s"
                                 % (proc.returncode, proc.stdout[-4000:], proc.stderr[-4000:]))
        return Run(proc, report)

    def target(self, name, variables):
        return self.run([{"name": "target %s" % name,
                          "ansible.builtin.import_tasks": str(TARGETS / name / "tasks" / "main.yml")}], variables)


class Run:
    def __init__(self, proc, report):
        self.proc = proc
        self.report = report
        self.tasks = []
        for play in report.get("plays", []):
            for task in play.get("tasks", []):
                self.tasks.append((task["task"]["name"], task["hosts"].get("localhost", {})))

    @property
    def failures(self):
        return [(name, result.get("msg"), result.get("results"))
                for name, result in self.tasks if result.get("failed") and not result.get("ignored")]

    def assert_ok(self):
        stats = self.report.get("stats", {}).get("localhost", {})
        assert self.proc.returncode == 0 and stats.get("failures") == 0, \
            "failed tasks: %s\nstderr: %s" % (json.dumps(self.failures, indent=1)[:6000], self.proc.stderr[-3000:])
        return self

    def result(self, name):
        for task_name, result in self.tasks:
            if task_name == name:
                return result
        raise KeyError(name)


@pytest.fixture
def playbook(kube, tmp_path):
    return Playbook(kube, tmp_path)


def kubectl_json(server, *args):
    out = subprocess.run([shutil.which("kubectl"), "--kubeconfig", server.kubeconfig_path] + list(args)
                         + ["-o", "json"], capture_output=True, text=True, timeout=120, check=True)
    return json.loads(out.stdout)


# -- the targets ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("target,api_group", [
    ("calico_bgp_peer", "auto"), ("calico_bgp_peer", V1),
    ("calico_bgp_configuration", "auto"), ("calico_bgp_configuration", V1),
    ("calico_node", "auto"),  # core/v1 Node: no Calico group involved
])
def test_target(playbook, kube, target, api_group):
    run = playbook.target(target, playbook.vars(api_group)).assert_ok()
    asserted = [name for name, result in run.tasks if result.get("action") == "ansible.builtin.assert"
                or "assert" in name.lower()]
    assert len(run.tasks) > 10 and asserted
    # the emulator saw real writes (the targets apply), and dry runs (the targets run check mode)
    assert kube.counter.writes > 0 and kube.counter.dry_runs > 0


@pytest.mark.parametrize("target", ["calico_bgp_peer", "calico_bgp_configuration"])
def test_target_on_a_cluster_without_the_calico_api_server(tmp_path, target):
    """api_group auto on a server that serves only crd.projectcalico.org/v1: the whole target again."""
    kube = KubeAPIServer("127.0.0.1", 0, workdir=str(tmp_path / "kubeapi"), preload=[_nodes()],
                         calico_groups=[V1]).start()
    try:
        playbook = Playbook(kube, tmp_path)
        variables = dict(playbook.vars("auto"), expected_group=V1, crd_group="crd.projectcalico.org")
        playbook.target(target, variables).assert_ok()
        assert kube.counter.writes > 0 and kube.counter.dry_runs > 0
    finally:
        kube.stop()


@pytest.mark.parametrize("api_group", ["auto", V1])
def test_node_status_target(playbook, kube, api_group):
    tables = seed_status_tables()
    with CalicoNodeStandIn(kube, tables) as stand_in:
        playbook.target("calico_node_status_info", playbook.vars(api_group, expected_rows=tables)).assert_ok()
    assert stand_in.filled
    # what the module created it removed again (the target kept one on purpose and deleted it)
    assert kubectl_json(kube, "get", "caliconodestatuses.projectcalico.org")["items"] == []


# -- calico-node's status reporter, played by the test -------------------------------------------------
PEER_TYPES = {"node-to-node mesh": "NodeMesh", "node specific": "NodePeer", "global": "GlobalPeer"}


def seed_status_tables():
    """``calicoctl node status`` rows per node from seed 004 (ubuntu-1, ubuntu-2): the expected output."""
    text = shared_path("seeds", "004_399e0077bc332a67.txt").read_text(encoding="utf-8")
    tables = {}
    for match in re.finditer(r"#\s*(ubuntu-\d)\S*\n(.*?)IPv6 BGP status", text, re.S):
        rows = []
        for line in match.group(2).splitlines():
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if len(cells) == 5 and re.match(r"^\d+\.\d+\.\d+\.\d+$", cells[0]):
                rows.append(dict(zip(("peer_address", "peer_type", "state", "since", "info"), cells)))
        if rows:
            tables[match.group(1)] = rows
    assert set(tables) >= {"ubuntu-1", "ubuntu-2"}, tables
    return tables


class CalicoNodeStandIn:
    """Plays calico-node's status reporter: fills the status of every CalicoNodeStatus (through the
    status subresource, with the real kubernetes client) from the seed's tables."""

    def __init__(self, server, tables=None):
        import kubernetes  # pylint: disable=import-outside-toplevel
        self.tables = tables if tables is not None else seed_status_tables()
        configuration = kubernetes.client.Configuration()
        kubernetes.config.load_kube_config(config_file=server.kubeconfig_path, client_configuration=configuration)
        self.api = kubernetes.client.CustomObjectsApi(kubernetes.client.ApiClient(configuration))
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.loop, daemon=True)
        self.filled = []

    def status_for(self, node):
        rows = self.tables.get(node, [])
        peers = [{"peerIP": r["peer_address"], "type": PEER_TYPES[r["peer_type"]], "state": r["info"],
                  "since": r["since"]} for r in rows]
        up = sum(1 for r in rows if r["info"] == "Established")
        return {"lastUpdated": "2026-01-01T09:36:20Z",
                "agent": {"birdV4": {"state": "Ready", "version": "v0.3.3", "routerID": "172.16.30.1"}},
                "bgp": {"numberEstablishedV4": up, "numberNotEstablishedV4": len(rows) - up,
                        "numberEstablishedV6": 0, "numberNotEstablishedV6": 0, "peersV4": peers, "peersV6": []}}

    def loop(self):
        while not self.stop.is_set():
            items = self.api.list_cluster_custom_object("projectcalico.org", "v3", "caliconodestatuses")["items"]
            for item in items:
                node = item["spec"]["node"]
                if item.get("status") or node not in self.tables:
                    continue
                item["status"] = self.status_for(node)
                self.api.replace_cluster_custom_object_status("projectcalico.org", "v3", "caliconodestatuses",
                                                              item["metadata"]["name"], item)
                self.filled.append(item["metadata"]["name"])
            self.stop.wait(0.2)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join(timeout=10)


# -- the seeds' YAML and patches, reproduced through the modules -------------------------------------------
def _snake(name):
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name.replace("IPs", "Ips").replace("IP", "Ip")).lower()


# What the CRDs default (SEMANTICS.md section 4), which the API server adds to a stored object.
CRD_DEFAULTS = {"BGPConfiguration": {"logSeverityScreen": "Info", "serviceLoadBalancerAggregation": "Enabled"}}


def _options(spec):
    options = {}
    for key, value in spec.items():
        if key in ("serviceClusterIPs", "serviceExternalIPs", "serviceLoadBalancerIPs"):
            value = [item["cidr"] for item in value]
        options[_snake(key)] = value
    return options


@pytest.mark.parametrize("api_group", ["auto", V1])
@pytest.mark.parametrize("seed", ["000_31d7f423ee130356.txt", "002_704f9394838fab05.txt", "004_399e0077bc332a67.txt"])
def test_seed_yaml_reproduced(playbook, kube, seed, api_group):
    objects, node_patches, config_patches = seed_objects(seed)
    # the objects counted by hand in the seed (tests/seed_yaml.py): none may be lost on the way
    assert (len(objects), len(node_patches), len(config_patches)) == SEED_COUNTS[seed]
    tasks = []
    peers = [dict(_options(spec), name=name) for kind, name, spec in objects if kind == "BGPPeer"]
    if peers:
        tasks.append({"kubefabric.bgp.calico_bgp_peer": {"api_group": api_group, "peers": peers}})
    for kind, name, spec in objects:
        if kind == "BGPConfiguration":
            tasks.append({"kubefabric.bgp.calico_bgp_configuration": dict(_options(spec), name=name,
                                                                          api_group=api_group)})
    for name, spec in config_patches:
        tasks.append({"kubefabric.bgp.calico_bgp_configuration": dict(_options(spec), name=name, api_group=api_group)})
    for name, bgp, labels in node_patches:
        entry = dict(_options(bgp), name=name)
        if labels:
            entry["labels"] = labels
        tasks.append({"kubefabric.bgp.calico_node": {"nodes": [entry]}})
    tasks = [dict(task, register="r%d" % i) for i, task in enumerate(tasks)]
    # twice: the second pass must change nothing
    second = [dict(task, register="again%d" % i) for i, task in enumerate(tasks)]
    check = [{"ansible.builtin.assert": {"that": ["again%d is not changed" % i for i in range(len(tasks))]}}]
    playbook.run(tasks + second + check, playbook.vars(api_group)).assert_ok()

    suffix = GROUPS[api_group][1]
    for kind, name, spec in objects:
        stored = kubectl_json(kube, "get", "%s.%s" % (kind.lower() + "s", suffix), name)
        expected = dict(CRD_DEFAULTS.get(kind, {}), **spec)
        if "asNumber" in spec:
            expected["asNumber"] = int(spec["asNumber"])
        assert stored["spec"] == expected, (kind, name)
        assert stored["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "kubefabric"
    for name, spec in config_patches:
        stored = kubectl_json(kube, "get", "bgpconfigurations.%s" % suffix, name)["spec"]
        for key, value in spec.items():
            assert stored[key] == (int(value) if key == "asNumber" else value), (name, key)
    expected_nodes = {}
    for name, bgp, labels in node_patches:
        node = expected_nodes.setdefault(name, {"bgp": {}, "labels": {}})
        node["bgp"].update(bgp)
        node["labels"].update(labels)
    for name, want in expected_nodes.items():
        meta = kubectl_json(kube, "get", "node", name)["metadata"]
        annotations = meta.get("annotations", {})
        for field, annotation in (("asNumber", "ASNumber"), ("routeReflectorClusterID", "RouteReflectorClusterID")):
            if field in want["bgp"]:
                assert annotations["projectcalico.org/" + annotation] == str(want["bgp"][field]), (name, field)
        calico_labels = dict(json.loads(annotations.get("projectcalico.org/labels", "{}")), **meta.get("labels", {}))
        for key, value in want["labels"].items():
            assert calico_labels[key] == value, (name, key)


# -- check mode, credentials, errors ---------------------------------------------------------------------
ALL_MODULES = [
    {"kubefabric.bgp.calico_bgp_peer": {"peers": [{"name": "p1", "peer_ip": "10.0.0.1", "as_number": 65001,
                                                   "password": "pw-check"}]}},
    {"kubefabric.bgp.calico_bgp_configuration": {"as_number": 64513, "node_to_node_mesh_enabled": False}},
    {"kubefabric.bgp.calico_node": {"nodes": [{"name": "ubuntu-1", "as_number": 64514,
                                               "labels": {"rack": "rack-1"}}]}},
    {"kubefabric.bgp.calico_node_status_info": {"nodes": ["ubuntu-1"], "timeout": 1}},
]


def test_check_mode_run_writes_nothing(playbook, kube):
    """ansible-playbook --check over all four modules: only dry runs reach the server."""
    tasks = [dict(task, register="r%d" % i) for i, task in enumerate(ALL_MODULES)]
    tasks.append({"ansible.builtin.assert": {"that": ["r0 is changed", "r1 is changed", "r2 is changed",
                                                      "r3 is not changed", "r3.missing == ['ubuntu-1']"]}})
    before = kube.counter.writes
    playbook.run(tasks, playbook.vars(), check=True).assert_ok()
    assert kube.counter.writes == before == 0
    assert kube.counter.dry_runs >= 4  # Secret + BGPPeer + BGPConfiguration + Node patch
    assert kubectl_json(kube, "get", "bgppeers.projectcalico.org")["items"] == []
    assert "annotations" not in kubectl_json(kube, "get", "node", "ubuntu-1")["metadata"]


def test_awx_style_environment_credentials(playbook, kube):
    """No connection option at all: K8S_AUTH_HOST/API_KEY/SSL_CA_CERT/VERIFY_SSL as AWX injects them."""
    env = {"K8S_AUTH_HOST": kube.url, "K8S_AUTH_API_KEY": kube.token, "K8S_AUTH_VERIFY_SSL": "True",
           "K8S_AUTH_SSL_CA_CERT": kube.ca_path}
    tasks = [{"kubefabric.bgp.calico_bgp_peer": {"peers": [{"name": "env-peer", "peer_ip": "10.0.0.2",
                                                            "as_number": 65002}]}, "register": "r"},
             {"ansible.builtin.assert": {"that": ["r is changed", "r.api_group == 'projectcalico.org/v3'"]}}]
    run = playbook.run(tasks, playbook.vars(), module_defaults=False, env=env).assert_ok()
    assert kubectl_json(kube, "get", "bgppeers.projectcalico.org", "env-peer")["spec"]["peerIP"] == "10.0.0.2"
    assert kube.token not in run.proc.stdout


def _closed_port():
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return port


@pytest.mark.parametrize("case", ["unreachable", "unauthorised", "untrusted"])
def test_unreachable_or_unauthorised_server_is_a_clear_message(playbook, kube, case):
    if case == "unreachable":
        options = {"host": "https://127.0.0.1:%d" % _closed_port(), "api_key": "no-token-needed", "ca_cert": kube.ca_path}
        wording = "cannot reach the Kubernetes API server"
    elif case == "unauthorised":
        options = {"host": kube.url, "api_key": "not-the-token", "ca_cert": kube.ca_path}
        wording = "401 Unauthorized"
    else:
        options = {"host": kube.url, "api_key": kube.token}   # no CA: verification must fail
        wording = "TLS verification"
    tasks = [dict({name: dict(args, **options)}, register="r%d" % i, ignore_errors=True)
             for i, task in enumerate(ALL_MODULES) for name, args in task.items()]
    run = playbook.run(tasks, playbook.vars(), module_defaults=False)
    results = [result for _name, result in run.tasks]
    assert len(results) == 4
    for result in results:
        assert result.get("failed") is True, result
        assert wording in result["msg"], result["msg"]
        # our FabricError, not a crash: a crash has msg "MODULE FAILURE" and no structured error
        assert "Traceback" not in result["msg"] and "MODULE FAILURE" not in result["msg"], result
        assert result["error"]["fix"] and result["error"]["message"] in result["msg"]
    assert kube.counter.writes == 0 and kube.counter.dry_runs == 0


@pytest.mark.parametrize("served,expected", [
    # a cluster with Calico's CRDs and no Calico API server: auto falls back to the v1 CRDs
    ({"calico_groups": [V1]}, V1),
    # Calico 3.32's native v3 CRDs: v3 is used, but no Calico API server validates it
    ({"calico_groups": [V3], "calico_api_server": False}, V3),
])
def test_auto_discovery_and_own_validation(tmp_path, served, expected):
    """Where the server does not apply Calico's validation, the collection does, in Calico's words."""
    kube = KubeAPIServer("127.0.0.1", 0, workdir=str(tmp_path / "kubeapi"), preload=[_nodes()], **served).start()
    try:
        _own_validation(Playbook(kube, tmp_path), kube, expected)
    finally:
        kube.stop()


def _own_validation(playbook, kube, expected):
    tasks = [
        {"kubefabric.bgp.calico_bgp_peer": {"peers": [{"name": "rack1-tor", "peer_ip": "172.16.30.254",
                                                       "as_number": 64513, "node_selector": "rack == 'rack-1'"}]},
         "register": "r"},
        # the v1 CRDs would store these; the collection refuses them with Calico's words
        {"kubefabric.bgp.calico_bgp_peer": {"peers": [{"name": "bad-selector", "peer_ip": "10.0.0.1",
                                                       "as_number": 65001, "node_selector": "rack == "}]},
         "register": "bad1", "ignore_errors": True},
        {"kubefabric.bgp.calico_bgp_configuration": {"node": "ubuntu-2", "as_number": 64999},
         "register": "bad2", "ignore_errors": True},
        {"kubefabric.bgp.calico_bgp_peer": {"peers": [{"name": "bad-port", "peer_ip": "10.0.0.1:0",
                                                       "as_number": 65001}]},
         "register": "bad3", "ignore_errors": True},
        {"ansible.builtin.assert": {"that": [
            "r is changed", "r.api_group == '%s'" % expected,
            # the collection's own (offline) validation, gorules.tag_error / clientv3_checks;
            # each substring is in the message, not in the fix hint that follows it
            "bad1 is failed", "'failed to validate Field: NodeSelector because of Tag: selector' in bad1.msg",
            "bad2 is failed", "'Cannot set ASNumber on a non default BGP Configuration.' in bad2.msg",
            "bad3 is failed", "'failed to validate Field: PeerIP because of Tag: IP:port' in bad3.msg"]}},
    ]
    playbook.run(tasks, playbook.vars()).assert_ok()
    suffix = expected.split("/", maxsplit=1)[0]
    stored = kubectl_json(kube, "get", "bgppeers.%s" % suffix)["items"]
    assert [(p["apiVersion"], p["metadata"]["name"]) for p in stored] == [(expected, "rack1-tor")]
    assert stored[0]["spec"] == {"peerIP": "172.16.30.254", "asNumber": 64513, "nodeSelector": "rack == 'rack-1'"}
    assert kubectl_json(kube, "get", "bgpconfigurations.%s" % suffix)["items"] == []
    other = V3 if expected == V1 else V1
    assert subprocess.run([shutil.which("kubectl"), "--kubeconfig", kube.kubeconfig_path, "get",
                           "bgppeers.%s" % other.split("/", maxsplit=1)[0]], capture_output=True, check=False).returncode != 0
