# -*- coding: utf-8 -*-
# Copyright: kubefabric.bgp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""comware_bgp and bgp_session_info (platform comware) run by the real ansible-playbook against the
Comware V7 CLI emulator (``lab.comware.start_comware``, its documented API only), over real SSH with
netmiko ``hp_comware`` and strict host-key checking.

* ``targets/comware_bgp/tasks/main.yml``: every state, check mode (the switch's count of accepted
  configuration lines does not move), diff, idempotence, rendered/parsed offline, a line the switch
  refuses midway (rolled back, the message names it), bad input (nothing sent).
* faults: wrong SSH password, unreachable host, unknown and mismatching host keys.
* sessions: the switch (its BGP is a real FRR) and two real BIRD 1.6 nodes, one a configured neighbor,
  one a dynamic peer of a listen range, reach Established and bgp_session_info reports them, and with
  ``routes: true`` the prefix each BIRD advertises as a BGP route through that BIRD.
"""
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.integration.test_routeros_bgp import PLAYBOOK_BIN, run_playbook

REPO = Path(__file__).resolve().parents[2]
TARGET = REPO / "tests" / "integration" / "targets" / "comware_bgp" / "tasks" / "main.yml"
DISPLAY_FIXTURE = REPO / "tests" / "unit" / "fixtures" / "comware" / "display_current-configuration_configuration_bgp.txt"
SSH_PASSWORD = "Lab-Pass-cw1"
BGP_PASSWORD = "bgp-md5-cw-s3cret"

pytestmark = pytest.mark.skipif(not PLAYBOOK_BIN.exists(), reason="needs the project venv (make setup)")


@pytest.fixture
def switch(netns_factory, tmp_path):
    from lab.comware import start_comware  # pylint: disable=import-outside-toplevel

    started = []

    def start(ns=None):
        ns = ns or netns_factory("cw")
        sw = start_comware(ns, tmp_path / ("leaf-%d" % len(started)), sysname="leaf1", username="admin",
                           password=SSH_PASSWORD)
        started.append(sw)
        return sw

    yield start
    for sw in started:
        sw.stop()


def ssh_options(sw, tmp_path, **extra):
    known_hosts = tmp_path / "known_hosts"
    known_hosts.write_text(sw.known_hosts_line + "\n")
    options = {"hostname": sw.address, "port": sw.port, "username": "admin", "password": SSH_PASSWORD,
               "known_hosts_file": str(known_hosts)}
    options.update(extra)
    return options


def defaults(options):
    return {"kubefabric.bgp.comware_bgp": options,
            "kubefabric.bgp.bgp_session_info": dict(options, platform="comware")}


def test_comware_bgp_target(switch, tmp_path):
    sw = switch()
    writes_file = Path(sw.workdir if hasattr(sw, "workdir") else tmp_path / "leaf-0") / "state" / "config_writes"
    variables = {"cb_bgp_password": BGP_PASSWORD, "cb_writes_file": str(writes_file), "cb_address": sw.address,
                 "cb_display_file": str(DISPLAY_FIXTURE)}
    tasks_run, proc = run_playbook(tmp_path, [{"name": "target comware_bgp",
                                               "ansible.builtin.import_tasks": str(TARGET)}],
                                   variables, defaults(ssh_options(sw, tmp_path)))
    asserts = [name for name, result in tasks_run if name.startswith("Assert")]
    assert len(asserts) >= 10, asserts
    assert sw.config_writes > 0
    # the first merged saved the configuration (save force); the BGP password is only a cipher there
    assert sw.saved_configuration and "bgp 65001" in sw.saved_configuration
    assert BGP_PASSWORD not in sw.saved_configuration
    for secret in (BGP_PASSWORD, SSH_PASSWORD):
        assert secret not in proc.stdout
    lines = [entry["line"] for entry in sw.config_log]
    assert "peer 172.20.0.11 password simple %s" % BGP_PASSWORD in [line.strip() for line in lines]


def _fault_task(name, options):
    return [{"name": name, "kubefabric.bgp.comware_bgp": dict(options, state="gathered"),
             "register": "fault", "ignore_errors": True},
            {"name": "Keep " + name, "ansible.builtin.set_fact": {"faults": "{{ faults | default({}) | combine({'%s': fault}) }}" % name}}]


def test_connection_faults_are_clear_errors(switch, tmp_path):
    sw = switch()
    good = ssh_options(sw, tmp_path)
    other_key = tmp_path / "other_key"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(other_key)], check=True)
    key_type, key_b64 = (tmp_path / "other_key.pub").read_text().split()[:2]
    mismatch = tmp_path / "known_hosts_mismatch"
    host_field = sw.known_hosts_line.split()[0]
    mismatch.write_text("%s %s %s\n" % (host_field, key_type, key_b64))
    empty = tmp_path / "known_hosts_empty"
    empty.write_text("")
    cases = {
        "auth": dict(good, password="wrong-password"),
        "unreachable": dict(good, port=2),
        "mismatch": dict(good, known_hosts_file=str(mismatch)),
        "unknown": dict(good, known_hosts_file=str(empty)),
    }
    tasks = []
    for name, options in cases.items():
        tasks += _fault_task(name, options)
    tasks.append({"name": "Assert the faults", "ansible.builtin.assert": {"that": [
        "faults.auth is failed and faults.auth.error.field == 'password'",
        "'authentication' in faults.auth.msg",
        "faults.unreachable is failed and faults.unreachable.error.field == 'hostname'",
        "'cannot reach' in faults.unreachable.msg",
        "faults.mismatch is failed and faults.mismatch.error.field == 'known_hosts_file'",
        "'does not match' in faults.mismatch.msg",
        "faults.unknown is failed and faults.unknown.error.field == 'known_hosts_file'",
        "'unknown' in faults.unknown.msg",
    ]}})
    writes = sw.config_writes
    proc = run_playbook(tmp_path, tasks, {}, {})[1]
    assert sw.config_writes == writes
    assert "wrong-password" not in proc.stdout and SSH_PASSWORD not in proc.stdout


BIRD_CONFIG = """\
router id {address};
protocol device {{ scan time 2; }}
protocol direct {{ interface "eth0"; }}
protocol static pods {{ route {pods} blackhole; }}
protocol bgp leaf {{
  local as {asn};
  neighbor {leaf} as 65001;
  import all;
  export where proto = "pods";
  hold time 9;
  keepalive time 3;
  connect retry time 2;
}}
"""


def test_sessions_with_bird_reach_established(switch, netns_factory, tmp_path):
    if shutil.which("bird") is None:
        pytest.skip("BIRD 1.6 is not installed")
    from lab import netns  # pylint: disable=import-outside-toplevel
    from lab.bird import BirdInstance  # pylint: disable=import-outside-toplevel

    leaf_ns = netns_factory("leaf")
    node1_ns = netns_factory("node1")
    node2_ns = netns_factory("node2")
    netns.veth_between(leaf_ns, "ge1", node1_ns, "eth0")
    netns.veth_between(leaf_ns, "ge2", node2_ns, "eth0")
    leaf_ns.add_address("ge1", "172.20.0.1/24")
    leaf_ns.add_address("ge2", "172.21.0.1/24")
    node1_ns.add_address("eth0", "172.20.0.11/24")
    node2_ns.add_address("eth0", "172.21.0.11/24")
    sw = switch(leaf_ns)
    bird1 = BirdInstance(node1_ns, tmp_path / "bird1", "node1").start(BIRD_CONFIG.format(
        address="172.20.0.11", pods="10.233.64.0/26", asn=64512, leaf="172.20.0.1"))
    bird2 = BirdInstance(node2_ns, tmp_path / "bird2", "node2").start(BIRD_CONFIG.format(
        address="172.21.0.11", pods="10.233.65.0/26", asn=64513, leaf="172.21.0.1"))
    try:
        established = ("info.sessions | selectattr('established') | map(attribute='peer_address') | list"
                       " | sort == ['172.20.0.11', '172.21.0.11']")
        tasks = [
            {"name": "Leaf peers with node1 and accepts rack 2 dynamically",
             "kubefabric.bgp.comware_bgp": {"config": {
                 "asn": 65001, "router_id": "172.20.0.1",
                 "neighbors": [{"address": "172.20.0.11", "remote_as": 64512, "hold_time": 9, "keepalive_time": 3}],
                 "listen_ranges": [{"prefix": "172.21.0.0/24", "remote_as": 64513, "peer_group": "rack2"}]}},
             "register": "peer"},
            {"name": "Wait for the sessions", "kubefabric.bgp.bgp_session_info": {},
             "register": "info", "retries": 60, "delay": 1, "until": established},
            {"name": "Assert the session rows", "ansible.builtin.assert": {"that": [
                "peer is changed",
                "(info.sessions | selectattr('peer_address', 'equalto', '172.20.0.11') | first).remote_as == 64512",
                "(info.sessions | selectattr('peer_address', 'equalto', '172.20.0.11') | first).local_as == 65001",
                "(info.sessions | selectattr('peer_address', 'equalto', '172.21.0.11') | first).remote_as == 64513",
                "(info.sessions | selectattr('peer_address', 'equalto', '172.21.0.11') | first).state == 'Established'",
                "info.established == 2",
            ]}},
            {"name": "Wait for both pod blocks", "kubefabric.bgp.bgp_session_info": {"routes": True},
             "register": "routes", "retries": 30, "delay": 1,
             "until": "routes.routes | map(attribute='prefix') | list | sort == ['10.233.64.0/26', '10.233.65.0/26']"},
        ]
        tasks_run = run_playbook(tmp_path, tasks, {}, defaults(ssh_options(sw, tmp_path)))[0]
        rows = dict(tasks_run)["Wait for the sessions"]["sessions"]
        assert all(isinstance(row["uptime"], int) for row in rows if row["established"])
        # each BIRD's protocol static, learned from that BIRD (display ip routing-table, its BGP rows only:
        # the Direct routes of ge1/ge2 and the InLoop0/NULL0 entries are left out)
        routes = dict(tasks_run)["Wait for both pod blocks"]
        assert routes["routes"] == [
            {"prefix": "10.233.64.0/26", "next_hop": "172.20.0.11", "protocol": "bgp", "active": True},
            {"prefix": "10.233.65.0/26", "next_hop": "172.21.0.11", "protocol": "bgp", "active": True}]
        assert sorted(r["peer_address"] for r in routes["sessions"] if r["established"]) == [
            "172.20.0.11", "172.21.0.11"]
        bird1.wait_established("leaf", timeout=30)
        bird2.wait_established("leaf", timeout=30)
        assert bird1.protocols()["leaf"]["info"].startswith("Established")
        assert bird2.protocols()["leaf"]["info"].startswith("Established")
    finally:
        bird1.stop()
        bird2.stop()


# ---------------------------------------------------------------- ownership and password rotation

OPERATOR_COMWARE = [
    "bgp 65001",
    " router-id 172.20.0.1",
    " peer 10.99.0.1 as-number 65100",
    " peer 10.99.0.1 description firewall",
    " peer 10.99.0.2 as-number 65101",
    " peer 10.99.0.2 password simple operator-key",
    " address-family ipv4 unicast",
    "  peer 10.99.0.1 enable",
    "  peer 10.99.0.1 route-policy OPS-IN import",
    "  peer 10.99.0.2 enable",
    " quit",
    "quit",
]


def _operator_session(sw):
    from netmiko import ConnectHandler  # pylint: disable=import-outside-toplevel

    return ConnectHandler(**sw.netmiko_params())


def test_operator_config_survives_and_rotation_converges(switch, netns_factory, tmp_path):
    """The Comware leaf's own neighbors (one with a route-policy, one with a password) stay exactly as they
    were (``display current-configuration`` compared as text) through ``overridden``; the operator's
    address planned, and an AS change, are refused with nothing changed; a password rotation converges
    (Comware cannot show the key: the fingerprint in the ownership marker detects it)."""
    if shutil.which("bird") is None:
        pytest.skip("BIRD 1.6 is not installed")
    from lab.bird import BirdInstance  # pylint: disable=import-outside-toplevel
    from tests.integration.test_frr_bgp import (  # pylint: disable=import-outside-toplevel
        BIRD_MD5, fabric_neighbor, leaf_and_node, operator_lines)

    leaf_ns, node_ns = leaf_and_node(netns_factory)
    sw = switch(leaf_ns)
    operator = _operator_session(sw)
    try:
        operator.send_config_set(OPERATOR_COMWARE, cmd_verify=False)
        operator.exit_config_mode()

        def display():
            return operator.send_command("display current-configuration")

        operator_before = operator_lines(display(), ["172.20.0.11"])
        assert "  peer 10.99.0.1 route-policy OPS-IN import" in operator_before
        assert any(line.startswith(" peer 10.99.0.2 password cipher") for line in operator_before)
        bird = BirdInstance(node_ns, tmp_path / "bird", "node1").start(BIRD_MD5.format(password="key-one"))
        opts = defaults(ssh_options(sw, tmp_path))
        wanted = {"asn": 65001, "router_id": "172.20.0.1", "neighbors": [fabric_neighbor("key-one")]}
        up = ("info.sessions | selectattr('peer_address', 'equalto', '172.20.0.11') | selectattr('established')"
              " | list | length == 1")
        try:
            tasks = [
                {"name": "Overridden", "kubefabric.bgp.comware_bgp": {"config": wanted, "state": "overridden"},
                 "register": "first"},
                {"name": "Overridden again", "kubefabric.bgp.comware_bgp": {"config": wanted, "state": "overridden"},
                 "register": "second"},
                {"name": "Established", "kubefabric.bgp.bgp_session_info": {}, "register": "info", "retries": 60,
                 "delay": 1, "until": up},
            ]
            results = dict(run_playbook(tmp_path, tasks, {}, opts)[0])
            assert results["Overridden"]["changed"] and not results["Overridden again"]["changed"]
            assert results["Overridden"]["before"]["neighbors"] == []
            text = display()
            assert operator_lines(text, ["172.20.0.11"]) == operator_before
            assert re.search(r"peer 172.20.0.11 description kubefabric:default/[0-9a-f]{8} node1$", text, re.M)

            refused = [
                {"name": "Plan the operator's address", "kubefabric.bgp.comware_bgp": {"config": {
                    "neighbors": [{"address": "10.99.0.2", "remote_as": 65101}]}}, "register": "r",
                 "ignore_errors": True},
                {"name": "Change the AS", "kubefabric.bgp.comware_bgp": {
                    "config": dict(wanted, asn=65002), "state": "overridden"}, "register": "r", "ignore_errors": True},
                {"name": "Delete everything ours", "kubefabric.bgp.comware_bgp": {"state": "deleted"},
                 "check_mode": True, "register": "r"},
            ]
            writes = sw.config_writes
            results = dict(run_playbook(tmp_path, refused, {}, opts)[0])
            plan_err = results["Plan the operator's address"]
            assert plan_err["failed"] and plan_err["error"]["field"] == "config.neighbors[address=10.99.0.2]"
            assert plan_err["error"]["host"] == sw.address and "adopt: true" in plan_err["error"]["fix"]
            as_err = results["Change the AS"]
            assert as_err["failed"] and as_err["error"]["field"] == "config.asn" and "10.99.0.1" in as_err["msg"]
            assert results["Delete everything ours"]["commands"] == ["bgp 65001", " undo peer 172.20.0.11", "quit"]
            assert sw.config_writes == writes and display() == text

            # rotation: Comware shows only a cipher; the marker's fingerprint says the key changed
            bird.configure(BIRD_MD5.format(password="key-two"))
            rotate = [
                {"name": "Rotate", "kubefabric.bgp.comware_bgp": {
                    "config": dict(wanted, neighbors=[fabric_neighbor("key-two")]), "state": "overridden"},
                 "register": "rot"},
                {"name": "Rotate again", "kubefabric.bgp.comware_bgp": {
                    "config": dict(wanted, neighbors=[fabric_neighbor("key-two")]), "state": "overridden"},
                 "register": "rot2"},
                {"name": "Established again", "kubefabric.bgp.bgp_session_info": {}, "register": "info",
                 "retries": 60, "delay": 1, "until": up},
            ]
            results = dict(run_playbook(tmp_path, rotate, {}, opts)[0])
            assert results["Rotate"]["changed"] and not results["Rotate again"]["changed"]
            assert " peer 172.20.0.11 password simple ********" in results["Rotate"]["commands"]
            bird.wait_established("leaf", timeout=30)
            assert "peer 172.20.0.11 password simple key-two" in [e["line"].strip() for e in sw.config_log]
            assert operator_lines(display(), ["172.20.0.11"]) == operator_before
        finally:
            bird.stop()
    finally:
        operator.disconnect()
