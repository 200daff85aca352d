# -*- coding: utf-8 -*-
# Copyright: kubefabric.bgp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""routeros_bgp and bgp_session_info run by the real ansible-playbook against the RouterOS API emulator.

Each test starts ``lab.routeros.start_routeros`` (its documented API; the collection's driver never
sees the emulator's code) in a namespace of its own, talks to it over api-ssl with the emulator's CA
(certificate verification on), and runs ``targets/routeros_bgp/tasks/main.yml`` with the real
``ansible-playbook``. The target asserts inside the play, reading the emulator's write log to prove
that check mode, idempotent runs and bad input send no write. This driver then checks, with
librouteros directly, that the operator's own BGP rows were never touched.

The session test joins the emulated router (whose BGP is a real FRR) and a real BIRD 1.6 in another
namespace by a veth, configures the neighbor with routeros_bgp and waits, through
bgp_session_info, until the session is Established on both sides, and ``routes: true`` shows the
prefix BIRD advertises as a BGP route through BIRD.
"""
import json
import os
import shutil
import socket
import subprocess
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
TARGET = REPO / "tests" / "integration" / "targets" / "routeros_bgp" / "tasks" / "main.yml"
PYTHON = REPO / ".venv" / "bin" / "python"
PLAYBOOK_BIN = REPO / ".venv" / "bin" / "ansible-playbook"
API_PASSWORD = "lab-api-pass"
BGP_PASSWORD = "bgp-md5-s3cret"

pytestmark = pytest.mark.skipif(not PLAYBOOK_BIN.exists(), reason="needs the project venv (make setup)")

VERSIONS = ["6.49", "7.10", "7.20"]
# the module target also runs on 7.19, the first version with ``afi`` and without ``address-families``
TARGET_VERSIONS = ["6.49", "7.10", "7.19", "7.20"]


@pytest.fixture
def routeros(netns_factory, tmp_path):
    """Start emulated RouterOS devices; all are stopped (and their namespaces removed) at the end."""
    from lab.routeros import start_routeros  # pylint: disable=import-outside-toplevel

    started = []

    def start(version, ns=None, frr=False):
        ns = ns or netns_factory()
        dev = start_routeros(ns, tmp_path / ("ros-%s-%d" % (version, len(started))), version=version,
                             identity="tor", password=API_PASSWORD, frr=frr)
        started.append(dev)
        return dev

    yield start
    for dev in started:
        dev.stop()


def operator_rows(dev, version):
    """What an operator configured by hand (seed 004's own k8s-peer-1), through librouteros."""
    api = dev.connect(tls=True)
    try:
        if version.startswith("6"):
            api.path("routing", "bgp", "instance").add(name="ops", **{"as": "65530"})
            api.path("routing", "bgp", "peer").add(name="k8s-peer-1", instance="ops", **{
                "remote-address": "172.16.30.50", "remote-as": "64513", "comment": "by hand"})
        else:
            extra = {}
            if version.startswith("7.20"):
                api.path("routing", "bgp", "instance").add(name="ops", **{"as": "65530"})
                extra["instance"] = "ops"
            api.path("routing", "bgp", "connection").add(name="k8s-peer-1", **dict(extra, **{
                "remote.address": "172.16.30.50", "remote.as": "64513", "local.role": "ibgp", "as": "64513",
                "comment": "by hand"}))
    finally:
        api.close()


def read_rows(dev, *path):
    api = dev.connect(tls=True)
    try:
        return [dict(row) for row in api.path(*path)]
    finally:
        api.close()


def run_playbook(tmp_path, tasks, variables, defaults):
    vars_file = tmp_path / "vars.yml"
    vars_file.write_text(yaml.safe_dump(variables))
    play = {"hosts": "localhost", "gather_facts": False, "vars_files": [str(vars_file)],
            "module_defaults": defaults, "tasks": tasks}
    playbook = tmp_path / "playbook.yml"
    playbook.write_text(yaml.safe_dump([play], sort_keys=False))
    inventory = tmp_path / "inventory.ini"
    inventory.write_text("localhost ansible_connection=local ansible_python_interpreter=%s\n" % PYTHON)
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(REPO / ".build"), ANSIBLE_STDOUT_CALLBACK="ansible.posix.json",
               ANSIBLE_NOCOLOR="1", ANSIBLE_LOCAL_TEMP=str(tmp_path / "ansible-tmp"), ANSIBLE_RETRY_FILES_ENABLED="0")
    proc = subprocess.run([str(PLAYBOOK_BIN), "-i", str(inventory), str(playbook)], capture_output=True, text=True,
                          env=env, timeout=900, check=False)
    try:
        report = json.loads(proc.stdout)
    except ValueError:
        raise AssertionError("ansible-playbook did not print JSON (rc %d):\n%s\n%s"
                             % (proc.returncode, proc.stdout[-4000:], proc.stderr[-4000:])) from None
    tasks_run = []
    for play_report in report.get("plays", []):
        for task in play_report.get("tasks", []):
            tasks_run.append((task["task"]["name"], task["hosts"].get("localhost", {})))
    failures = [(name, result.get("msg"), result.get("assertion"))
                for name, result in tasks_run if result.get("failed") and not result.get("ignored")
                and not result.get("failed_when_result") is False]
    stats = report.get("stats", {}).get("localhost", {})
    assert proc.returncode == 0 and stats.get("failures") == 0, \
        "failed tasks: %s\nstderr: %s" % (json.dumps(failures, indent=1)[:6000], proc.stderr[-3000:])
    return tasks_run, proc


def connection_defaults(dev):
    conn = {"hostname": dev.address, "username": "admin", "password": API_PASSWORD, "ca_path": str(dev.ca_path),
            "tls": True, "validate_certs": True}
    return {"kubefabric.bgp.routeros_bgp": conn, "kubefabric.bgp.bgp_session_info": dict(conn, platform="routeros")}


@pytest.fixture
def silent_port():
    """A loopback port that completes the TCP handshake and then never answers (a hung API service)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    yield sock.getsockname()[1]
    sock.close()


@pytest.mark.parametrize("version", TARGET_VERSIONS)
def test_routeros_bgp_target(routeros, tmp_path, version, silent_port):
    dev = routeros(version)
    operator_rows(dev, version)
    writes_before = dev.writes
    v6 = version.startswith("6")
    lacking = ({"asn": 64513, "listen_ranges": [{"prefix": "172.16.40.0/24", "remote_as": 64513}]} if v6 else
               {"asn": 64513, "neighbors": [{"address": "172.16.30.102", "remote_as": 64513, "update_source": "ether2"}]})
    variables = {
        "rb_version": version, "rb_v6": v6, "rb_write_log": str(dev.write_log_path), "rb_address": dev.address,
        "rb_bgp_password": BGP_PASSWORD, "rb_lacking_config": lacking,
        "rb_lacking_field": "config.listen_ranges[0]" if v6 else "config.neighbors[0].update_source",
        "rb_silent_port": silent_port,
    }
    tasks_run, proc = run_playbook(tmp_path, [{"name": "target routeros_bgp",
                                               "ansible.builtin.import_tasks": str(TARGET)}],
                                   variables, connection_defaults(dev))
    asserts = [name for name, result in tasks_run if name.startswith("Assert")]
    assert len(asserts) >= 10, asserts
    # the play really wrote to the device
    assert dev.writes > writes_before
    # the operator's row survived overridden and deleted, untouched
    peer_path = ("routing", "bgp", "peer") if v6 else ("routing", "bgp", "connection")
    rows = read_rows(dev, *peer_path)
    assert [(r.get("name"), r.get("comment")) for r in rows] == [("k8s-peer-1", "by hand")]
    # secrets: neither password is in the playbook output or the emulator's write log
    module_results = [(name, result) for name, result in tasks_run
                      if result.get("action", "").startswith("kubefabric.bgp.")]
    assert len(module_results) >= 15
    for name, result in module_results:
        for secret in (BGP_PASSWORD, API_PASSWORD):
            assert secret not in json.dumps(result), name
    assert API_PASSWORD not in proc.stdout
    assert BGP_PASSWORD not in dev.write_log_path.read_text()


BIRD_CONFIG = """\
router id 172.16.30.102;
protocol device { scan time 2; }
protocol direct { interface "eth0"; }
protocol static pods { route 192.168.10.0/26 blackhole; }
protocol bgp tor {
  local as 64513;
  neighbor 172.16.30.254 as 64513;
  import all;
  export where proto = "pods";
  hold time 9;
  keepalive time 3;
  connect retry time 2;
  password "%s";
}
""" % BGP_PASSWORD

DYNAMIC_BIRD_CONFIG = """\
router id 172.16.40.10;
protocol device { scan time 2; }
protocol static pods { route 192.168.20.0/26 blackhole; }
protocol bgp tor {
  local as 64513;
  neighbor 172.16.40.254 as 64513;
  import all;
  export where proto = "pods";
  hold time 9;
  keepalive time 3;
  connect retry time 2;
}
"""


@pytest.mark.parametrize("version", VERSIONS)
def test_session_with_bird_reaches_established(routeros, netns_factory, tmp_path, version):
    if shutil.which("bird") is None:
        pytest.skip("BIRD 1.6 is not installed")
    from lab import netns  # pylint: disable=import-outside-toplevel
    from lab.bird import BirdInstance  # pylint: disable=import-outside-toplevel

    router_ns = netns_factory("tor")
    node_ns = netns_factory("node")
    netns.veth_between(router_ns, "ether2", node_ns, "eth0")
    router_ns.add_address("ether2", "172.16.30.254/24")
    node_ns.add_address("eth0", "172.16.30.102/24")
    dev = routeros(version, ns=router_ns, frr=True)
    bird = BirdInstance(node_ns, tmp_path / "bird", "ubuntu-2").start(BIRD_CONFIG)
    try:
        tasks = [
            {"name": "Peer with the route reflector ubuntu-2",
             "kubefabric.bgp.routeros_bgp": {"config": {
                 "asn": 64513, "router_id": "172.16.30.254",
                 "neighbors": [{"address": "172.16.30.102", "remote_as": 64513, "description": "ubuntu-2",
                                "hold_time": 9, "keepalive_time": 3, "password": BGP_PASSWORD}]}},
             "register": "peer"},
            {"name": "Wait for the session", "kubefabric.bgp.bgp_session_info": {},
             "register": "info", "retries": 60, "delay": 1,
             "until": "info.sessions | selectattr('peer_address', 'equalto', '172.16.30.102')"
                      " | selectattr('established') | list | length == 1"},
            {"name": "Assert the session row", "ansible.builtin.assert": {"that": [
                "peer is changed",
                "(info.sessions | selectattr('peer_address', 'equalto', '172.16.30.102') | first).state"
                " == 'Established'",
                "(info.sessions | selectattr('peer_address', 'equalto', '172.16.30.102') | first).remote_as == 64513",
                "(info.sessions | selectattr('peer_address', 'equalto', '172.16.30.102') | first).local_as == 64513",
                "info.established >= 1",
            ]}},
            {"name": "Expectations through expect", "kubefabric.bgp.bgp_session_info": {
                "expect": [{"query": "sessions[?peer_address=='172.16.30.102'].state | [0]",
                            "equals": "Established"}]},
             "register": "expect_ok"},
            {"name": "Wait for BIRD's pod block in the router's table", "kubefabric.bgp.bgp_session_info": {
                "routes": True}, "register": "routes", "retries": 30, "delay": 1,
             "until": "routes.routes | selectattr('prefix', 'equalto', '192.168.10.0/26') | list | length == 1"},
        ]
        tasks_run = run_playbook(tmp_path, tasks, {}, connection_defaults(dev))[0]
        info = dict(tasks_run)["Wait for the session"]
        row = [r for r in info["sessions"] if r["peer_address"] == "172.16.30.102"][0]
        assert row["established"] is True and isinstance(row["uptime"], int)
        # the route BIRD advertises (its protocol static), learned over BGP from BIRD itself
        routes = dict(tasks_run)["Wait for BIRD's pod block in the router's table"]
        assert "routes" not in info
        assert {"prefix": "192.168.10.0/26", "next_hop": "172.16.30.102", "protocol": "bgp", "active": True} \
            in routes["routes"]
        assert all(r["protocol"] == "bgp" for r in routes["routes"])
        # the connected subnet of ether2 is in /ip/route but is no BGP route
        assert "172.16.30.0/24" not in [r["prefix"] for r in routes["routes"]]
        assert [r["peer_address"] for r in routes["sessions"] if r["established"]] == ["172.16.30.102"]
        # BIRD, the other side, agrees
        bird.wait_established("tor", timeout=30)
        assert bird.protocols()["tor"]["info"].startswith("Established")
    finally:
        bird.stop()


@pytest.mark.parametrize("version", VERSIONS[1:])
def test_listen_range_accepts_a_dynamic_bird_peer(routeros, netns_factory, tmp_path, version):
    """An autoscaled node (BIRD, not listed anywhere) peers through the router's listen range."""
    if shutil.which("bird") is None:
        pytest.skip("BIRD 1.6 is not installed")
    from lab import netns  # pylint: disable=import-outside-toplevel
    from lab.bird import BirdInstance  # pylint: disable=import-outside-toplevel

    router_ns = netns_factory("tor")
    node_ns = netns_factory("node")
    netns.veth_between(router_ns, "ether3", node_ns, "eth0")
    router_ns.add_address("ether3", "172.16.40.254/24")
    node_ns.add_address("eth0", "172.16.40.10/24")
    dev = routeros(version, ns=router_ns, frr=True)
    bird = BirdInstance(node_ns, tmp_path / "bird", "autoscaled-1").start(DYNAMIC_BIRD_CONFIG)
    try:
        tasks = [
            {"name": "Accept dynamic neighbors from the node subnet",
             "kubefabric.bgp.routeros_bgp": {"config": {
                 "asn": 64513, "router_id": "172.16.40.254",
                 "listen_ranges": [{"prefix": "172.16.40.0/24", "remote_as": 64513, "peer_group": "autoscale"}]}},
             "register": "ranges"},
            {"name": "Wait for the dynamic session", "kubefabric.bgp.bgp_session_info": {},
             "register": "info", "retries": 60, "delay": 1,
             "until": "info.sessions | selectattr('peer_address', 'equalto', '172.16.40.10')"
                      " | selectattr('established') | list | length == 1"},
            {"name": "Assert", "ansible.builtin.assert": {"that": [
                "ranges is changed",
                "ranges.after.listen_ranges == [{'prefix': '172.16.40.0/24', 'remote_as': 64513, "
                "'peer_group': 'autoscale'}]",
            ]}},
            {"name": "Wait for the dynamic peer's route", "kubefabric.bgp.bgp_session_info": {"routes": True},
             "register": "routes", "retries": 30, "delay": 1,
             "until": "routes.routes | selectattr('prefix', 'equalto', '192.168.20.0/26')"
                      " | selectattr('next_hop', 'equalto', '172.16.40.10') | selectattr('active') | list | length == 1"},
        ]
        run_playbook(tmp_path, tasks, {}, connection_defaults(dev))
        bird.wait_established("tor", timeout=30)
    finally:
        bird.stop()


@pytest.mark.parametrize("version", VERSIONS)
def test_password_rotation_converges(routeros, netns_factory, tmp_path, version):
    """RouterOS prints tcp-md5-key: the driver compares the key read back with the task's, so the
    new key is sent once and the session comes back with it (BIRD has only the
    new one); the operator's own row is left exactly as it was."""
    if shutil.which("bird") is None:
        pytest.skip("BIRD 1.6 is not installed")
    from lab import netns  # pylint: disable=import-outside-toplevel
    from lab.bird import BirdInstance  # pylint: disable=import-outside-toplevel

    router_ns, node_ns = netns_factory("tor"), netns_factory("node")
    netns.veth_between(router_ns, "ether2", node_ns, "eth0")
    router_ns.add_address("ether2", "172.16.30.254/24")
    node_ns.add_address("eth0", "172.16.30.102/24")
    dev = routeros(version, ns=router_ns, frr=True)
    if not version.startswith("6"):
        # (the emulator backs every RouterOS 6 instance with one FRR instance: the operator's instance in
        # another AS would take the session's AS there, so 6.x runs without the operator's row)
        operator_rows(dev, version)
    peer_path = ("routing", "bgp", "peer") if version.startswith("6") else ("routing", "bgp", "connection")
    operator_before = [row for row in read_rows(dev, *peer_path) if row.get("name") == "k8s-peer-1"]
    bird = BirdInstance(node_ns, tmp_path / "bird", "ubuntu-2").start(BIRD_CONFIG.replace(BGP_PASSWORD, "key-one"))

    def configure(key):
        return {"config": {"asn": 64513, "router_id": "172.16.30.254", "neighbors": [
            {"address": "172.16.30.102", "remote_as": 64513, "description": "ubuntu-2", "hold_time": 9,
             "keepalive_time": 3, "password": key}]}, "state": "overridden"}

    up = ("info.sessions | selectattr('peer_address', 'equalto', '172.16.30.102') | selectattr('established')"
          " | list | length == 1")
    try:
        tasks = [{"name": "Key one", "kubefabric.bgp.routeros_bgp": configure("key-one")},
                 {"name": "Established", "kubefabric.bgp.bgp_session_info": {}, "register": "info", "retries": 60,
                  "delay": 1, "until": up}]
        run_playbook(tmp_path, tasks, {}, connection_defaults(dev))
        bird.configure(BIRD_CONFIG.replace(BGP_PASSWORD, "key-two"))
        tasks = [{"name": "Key two", "kubefabric.bgp.routeros_bgp": configure("key-two"), "register": "rot"},
                 {"name": "Key two again", "kubefabric.bgp.routeros_bgp": configure("key-two"), "register": "rot2"},
                 {"name": "Established again", "kubefabric.bgp.bgp_session_info": {}, "register": "info",
                  "retries": 60, "delay": 1, "until": up}]
        results = dict(run_playbook(tmp_path, tasks, {}, connection_defaults(dev))[0])
        assert results["Key two"]["changed"] and not results["Key two again"]["changed"]
        assert any("tcp-md5-key=******" in line for line in results["Key two"]["commands"])
        assert "key-two" not in json.dumps(results)
        bird.wait_established("tor", timeout=30)
        assert [row for row in read_rows(dev, *peer_path) if row.get("name") == "k8s-peer-1"] == operator_before
    finally:
        bird.stop()
