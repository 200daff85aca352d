# -*- coding: utf-8 -*-
# Copyright: kubefabric.bgp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""frr_bgp and bgp_session_info (platform frr) run by the real ansible-playbook against an FRR switch
(``lab.frrswitch.start_frr_switch``: a real FRR and a real OpenSSH with vtysh as login shell), over
SSH with netmiko ``cisco_ios`` and strict host-key checking.

* ``targets/frr_bgp/tasks/main.yml``: every state, check mode (bgpd's command log shows no configure
  session), diff, idempotence, rendered/parsed offline, a line vtysh refuses midway (rolled back,
  named in the message), bad input (nothing sent).
* faults: wrong SSH password, unreachable host, unknown and mismatching host keys.
* sessions: the FRR leaf and two real BIRD 1.6 nodes, one a configured neighbor, one a dynamic peer
  of a listen range, reach Established and bgp_session_info reports them, and with ``routes: true`` the
  prefix each BIRD advertises as a BGP route through that BIRD.
"""
import json
import os
import re
import shutil
import signal
import subprocess
import threading
from pathlib import Path

import pytest

from tests.integration.test_routeros_bgp import PLAYBOOK_BIN, run_playbook

REPO = Path(__file__).resolve().parents[2]
TARGET = REPO / "tests" / "integration" / "targets" / "frr_bgp" / "tasks" / "main.yml"
RUNNING_FIXTURE = REPO / "tests" / "unit" / "fixtures" / "frr" / "show_running-config_bgpd.txt"
SSH_PASSWORD = "Lab-Pass-frr1"
BGP_PASSWORD = "bgp-md5-frr-s3cret"

pytestmark = pytest.mark.skipif(not PLAYBOOK_BIN.exists(), reason="needs the project venv (make setup)")


@pytest.fixture
def switch(netns_factory, tmp_path):
    from lab.frrswitch import start_frr_switch  # pylint: disable=import-outside-toplevel

    started = []

    def start(ns=None):
        ns = ns or netns_factory("frr")
        sw = start_frr_switch(ns, tmp_path / ("leaf-%d" % len(started)), hostname="leaf2", username="admin",
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
    return {"kubefabric.bgp.frr_bgp": options, "kubefabric.bgp.bgp_session_info": dict(options, platform="frr")}


def test_frr_bgp_target(switch, tmp_path):
    sw = switch()
    sw.frr.configure(["log commands"])
    bgpd_log = Path(str(sw.frr.dir)) / "bgpd.log"
    variables = {"fb_bgp_password": BGP_PASSWORD, "fb_bgpd_log": str(bgpd_log), "fb_address": sw.address,
                 "fb_running_file": str(RUNNING_FIXTURE)}
    tasks_run, proc = run_playbook(tmp_path, [{"name": "target frr_bgp", "ansible.builtin.import_tasks": str(TARGET)}],
                                   variables, defaults(ssh_options(sw, tmp_path)))
    asserts = [name for name, result in tasks_run if name.startswith("Assert")]
    assert len(asserts) >= 10, asserts
    for secret in (BGP_PASSWORD, SSH_PASSWORD):
        assert secret not in proc.stdout
    # write memory reached the files FRR starts from
    assert "router bgp 65002" in (Path(str(sw.frr.dir)) / "bgpd.conf").read_text()


def _fault_task(name, options):
    return [{"name": name, "kubefabric.bgp.frr_bgp": dict(options, state="gathered"),
             "register": "fault", "ignore_errors": True},
            {"name": "Keep " + name,
             "ansible.builtin.set_fact": {"faults": "{{ faults | default({}) | combine({'%s': fault}) }}" % name}}]


def test_connection_faults_are_clear_errors(switch, tmp_path):
    sw = switch()
    good = ssh_options(sw, tmp_path)
    other_key = tmp_path / "other_key"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(other_key)], check=True)
    key_type, key_b64 = (tmp_path / "other_key.pub").read_text().split()[:2]
    mismatch = tmp_path / "known_hosts_mismatch"
    mismatch.write_text("%s %s %s\n" % (sw.known_hosts_line.split()[0], key_type, key_b64))
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
    before = sw.frr.running_config()
    proc = run_playbook(tmp_path, tasks, {}, {})[1]
    assert sw.frr.running_config() == before
    assert "wrong-password" not in proc.stdout and SSH_PASSWORD not in proc.stdout


BIRD_CONFIG = """\
router id {address};
protocol device {{ scan time 2; }}
protocol direct {{ interface "eth0"; }}
protocol static pods {{ route {pods} blackhole; }}
protocol bgp leaf {{
  local as {asn};
  neighbor {leaf} as 65002;
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
    netns.veth_between(leaf_ns, "swp1", node1_ns, "eth0")
    netns.veth_between(leaf_ns, "swp2", node2_ns, "eth0")
    leaf_ns.add_address("swp1", "173.20.0.1/24")
    leaf_ns.add_address("swp2", "173.21.0.1/24")
    node1_ns.add_address("eth0", "173.20.0.11/24")
    node2_ns.add_address("eth0", "173.21.0.11/24")
    sw = switch(leaf_ns)
    bird1 = BirdInstance(node1_ns, tmp_path / "bird1", "node4").start(BIRD_CONFIG.format(
        address="173.20.0.11", pods="10.233.66.0/26", asn=64512, leaf="173.20.0.1"))
    bird2 = BirdInstance(node2_ns, tmp_path / "bird2", "node5").start(BIRD_CONFIG.format(
        address="173.21.0.11", pods="10.233.67.0/26", asn=64513, leaf="173.21.0.1"))
    try:
        established = ("info.sessions | selectattr('established') | map(attribute='peer_address') | list"
                       " | sort == ['173.20.0.11', '173.21.0.11']")
        tasks = [
            {"name": "Leaf peers with node4 and accepts rack 3 dynamically",
             "kubefabric.bgp.frr_bgp": {"config": {
                 "asn": 65002, "router_id": "173.20.0.1",
                 "neighbors": [{"address": "173.20.0.11", "remote_as": 64512, "hold_time": 9, "keepalive_time": 3}],
                 "listen_ranges": [{"prefix": "173.21.0.0/24", "remote_as": 64513, "peer_group": "rack3"}]}},
             "register": "peer"},
            {"name": "Wait for the sessions", "kubefabric.bgp.bgp_session_info": {},
             "register": "info", "retries": 60, "delay": 1, "until": established},
            {"name": "Assert the session rows", "ansible.builtin.assert": {"that": [
                "peer is changed",
                "(info.sessions | selectattr('peer_address', 'equalto', '173.20.0.11') | first).remote_as == 64512",
                "(info.sessions | selectattr('peer_address', 'equalto', '173.20.0.11') | first).local_as == 65002",
                "(info.sessions | selectattr('peer_address', 'equalto', '173.21.0.11') | first).remote_as == 64513",
                "(info.sessions | selectattr('peer_address', 'equalto', '173.21.0.11') | first).prefixes_received == 1",
                "info.established == 2",
            ]}},
            {"name": "Wait for both pod blocks", "kubefabric.bgp.bgp_session_info": {"routes": True},
             "register": "routes", "retries": 30, "delay": 1,
             "until": "routes.routes | map(attribute='prefix') | list | sort == ['10.233.66.0/26', '10.233.67.0/26']"},
        ]
        tasks_run = run_playbook(tmp_path, tasks, {}, defaults(ssh_options(sw, tmp_path)))[0]
        rows = dict(tasks_run)["Wait for the sessions"]["sessions"]
        assert all(isinstance(row["uptime"], int) for row in rows if row["established"])
        # each BIRD's protocol static, learned from that BIRD (zebra's BGP routes only: the connected
        # swp1/swp2 subnets are left out)
        routes = dict(tasks_run)["Wait for both pod blocks"]
        assert routes["routes"] == [
            {"prefix": "10.233.66.0/26", "next_hop": "173.20.0.11", "protocol": "bgp", "active": True},
            {"prefix": "10.233.67.0/26", "next_hop": "173.21.0.11", "protocol": "bgp", "active": True}]
        bird1.wait_established("leaf", timeout=30)
        bird2.wait_established("leaf", timeout=30)
        # routes flow (no bgp ebgp-requires-policy was set when router bgp was created)
        assert "10.233.67.0/26" in sw.frr.vtysh("show bgp ipv4 unicast")
    finally:
        bird1.stop()
        bird2.stop()


# ---------------------------------------------------------------- ownership and password rotation

OPERATOR_FRR = [
    "ip prefix-list OPS-PL seq 5 permit 10.99.0.0/16",
    "route-map OPS-IN permit 10", " match ip address prefix-list OPS-PL", "exit",
    "router bgp 65001",
    " bgp router-id 172.20.0.1",
    " no bgp ebgp-requires-policy",
    " neighbor 10.99.0.1 remote-as 65100",
    " neighbor 10.99.0.1 description firewall",
    " neighbor 10.99.0.2 remote-as 65101",
    " neighbor 10.99.0.2 password operator-key",
    " address-family ipv4 unicast",
    "  neighbor 10.99.0.1 route-map OPS-IN in",
    " exit-address-family",
    "exit",
]

BIRD_MD5 = """\
router id 172.20.0.11;
protocol device {{ scan time 2; }}
protocol direct {{ interface "eth0"; }}
protocol static pods {{ route 10.233.64.0/26 blackhole; }}
protocol bgp leaf {{
  local as 64512;
  neighbor 172.20.0.1 as 65001;
  password "{password}";
  import all;
  export where proto = "pods";
  hold time 9;
  keepalive time 3;
  connect retry time 2;
}}
"""


def operator_lines(text, ours):
    """The configuration text without the lines about the collection's objects (``ours``: addresses and
    peer-group names) and without the volatile header: what the operator configured, as text."""
    out = []
    for line in text.splitlines():
        if line.startswith(("Building configuration", "Current configuration")) or not line.strip():
            continue
        if any(re.search(r"(?<![\d.])%s(?![\d.])" % re.escape(item), line) for item in ours):
            continue
        out.append(line.rstrip())
    return out


def leaf_and_node(netns_factory):
    """A leaf namespace (ge1 172.20.0.1/24) wired to a node namespace (eth0 172.20.0.11/24)."""
    from lab import netns  # pylint: disable=import-outside-toplevel

    leaf_ns, node_ns = netns_factory("leaf"), netns_factory("node1")
    netns.veth_between(leaf_ns, "ge1", node_ns, "eth0")
    leaf_ns.add_address("ge1", "172.20.0.1/24")
    node_ns.add_address("eth0", "172.20.0.11/24")
    return leaf_ns, node_ns


def fabric_neighbor(password):
    return {"address": "172.20.0.11", "remote_as": 64512, "description": "node1", "password": password,
            "hold_time": 9, "keepalive_time": 3}


def test_operator_config_survives_and_rotation_converges(switch, netns_factory, tmp_path):
    """An FRR leaf carrying the operator's neighbors, route-map and prefix-list: ``overridden`` leaves
    them as they were (compared as text); a planned address that is the operator's, and an AS change
    while operator neighbors exist, are refused with nothing changed; a password rotation (both ends)
    converges with the new key in force."""
    if shutil.which("bird") is None:
        pytest.skip("BIRD 1.6 is not installed")
    from lab.bird import BirdInstance  # pylint: disable=import-outside-toplevel

    leaf_ns, node_ns = leaf_and_node(netns_factory)
    sw = switch(leaf_ns)
    sw.frr.configure(OPERATOR_FRR)
    operator_before = operator_lines(sw.frr.running_config(), ["172.20.0.11"])
    assert "  neighbor 10.99.0.1 route-map OPS-IN in" in operator_before
    bird = BirdInstance(node_ns, tmp_path / "bird", "node1").start(BIRD_MD5.format(password="key-one"))
    opts = defaults(ssh_options(sw, tmp_path))
    wanted = {"asn": 65001, "router_id": "172.20.0.1", "neighbors": [fabric_neighbor("key-one")]}
    up = "info.sessions | selectattr('peer_address', 'equalto', '172.20.0.11') | selectattr('established') | list | length == 1"
    try:
        tasks = [
            {"name": "Overridden", "kubefabric.bgp.frr_bgp": {"config": wanted, "state": "overridden"},
             "register": "first"},
            {"name": "Overridden again", "kubefabric.bgp.frr_bgp": {"config": wanted, "state": "overridden"},
             "register": "second"},
            {"name": "Established", "kubefabric.bgp.bgp_session_info": {}, "register": "info", "retries": 60,
             "delay": 1, "until": up},
        ]
        results = dict(run_playbook(tmp_path, tasks, {}, opts)[0])
        assert results["Overridden"]["changed"] and not results["Overridden again"]["changed"]
        assert results["Overridden"]["before"]["neighbors"] == []       # the operator's are not shown
        assert [n["address"] for n in results["Overridden"]["after"]["neighbors"]] == ["172.20.0.11"]
        text = sw.frr.running_config()
        assert operator_lines(text, ["172.20.0.11"]) == operator_before
        assert re.search(r"neighbor 172.20.0.11 description kubefabric:default/[0-9a-f]{8} node1$", text, re.M)
        assert "key-one" not in json.dumps(results)

        # refusals: nothing changes on the device
        refused = [
            {"name": "Plan the operator's address", "kubefabric.bgp.frr_bgp": {"config": {
                "neighbors": [{"address": "10.99.0.1", "remote_as": 65100}]}}, "register": "r", "ignore_errors": True},
            {"name": "Change the AS", "kubefabric.bgp.frr_bgp": {
                "config": dict(wanted, asn=65002), "state": "overridden"}, "register": "r", "ignore_errors": True},
            {"name": "Delete everything ours", "kubefabric.bgp.frr_bgp": {"state": "deleted"},
             "check_mode": True, "register": "r"},
        ]
        results = dict(run_playbook(tmp_path, refused, {}, opts)[0])
        plan_err = results["Plan the operator's address"]
        assert plan_err["failed"] and plan_err["error"]["field"] == "config.neighbors[address=10.99.0.1]"
        assert plan_err["error"]["host"] == sw.address and "adopt: true" in plan_err["error"]["fix"]
        as_err = results["Change the AS"]
        assert as_err["failed"] and as_err["error"]["field"] == "config.asn" and "10.99.0.1" in as_err["msg"]
        assert results["Delete everything ours"]["commands"] == [
            "router bgp 65001", " no neighbor 172.20.0.11", "exit"]          # never "no router bgp"
        assert sw.frr.running_config() == text

        # rotation: the node gets the new key, then the leaf; the session comes back with the new key only
        bird.configure(BIRD_MD5.format(password="key-two"))
        rotate = [
            {"name": "Rotate", "kubefabric.bgp.frr_bgp": {
                "config": dict(wanted, neighbors=[fabric_neighbor("key-two")]), "state": "overridden"},
             "register": "rot"},
            {"name": "Established again", "kubefabric.bgp.bgp_session_info": {}, "register": "info", "retries": 60,
             "delay": 1, "until": up},
        ]
        results = dict(run_playbook(tmp_path, rotate, {}, opts)[0])
        assert results["Rotate"]["changed"] and " neighbor 172.20.0.11 password ********" in results["Rotate"]["commands"]
        bird.wait_established("leaf", timeout=30)
        text = sw.frr.running_config()
        assert "neighbor 172.20.0.11 password key-two" in text
        assert operator_lines(text, ["172.20.0.11"]) == operator_before
    finally:
        bird.stop()


def _kill_sshd(ns_name):
    """Kill every sshd of the switch's namespace (the listener and the session of the running push): the
    management connection is gone, FRR keeps what it took."""
    pids = subprocess.run(["ip", "netns", "pids", ns_name], stdout=subprocess.PIPE, text=True, check=True).stdout
    for pid in pids.split():
        try:
            if Path("/proc/%s/comm" % pid).read_text().strip() == "sshd":
                os.kill(int(pid), signal.SIGKILL)
        except (OSError, ValueError):
            pass


def test_a_push_that_loses_its_connection_is_completed_by_the_next_run(switch, netns_factory, tmp_path):
    """The management connection dies in the middle of a push (every sshd of the switch killed, FRR keeps
    the lines it took): the task fails naming the last line sent and that reconnecting failed; once SSH
    is back, the next run completes the change (neighbors created before their marker line are taken
    from the push journal), a third run changes nothing, and the operator's lines are untouched."""
    leaf_ns = netns_factory("leaf")
    sw = switch(leaf_ns)
    sw.frr.configure(OPERATOR_FRR)
    ours = ["10.50.0.%d" % i for i in range(1, 41)]
    operator_before = operator_lines(sw.frr.running_config(), ours)
    wanted = {"asn": 65001, "router_id": "172.20.0.1", "neighbors": [
        {"address": "10.50.0.%d" % i, "remote_as": 65001, "description": "n%d" % i, "hold_time": 30}
        for i in range(1, 41)]}
    task = [{"name": "Push", "kubefabric.bgp.frr_bgp": {"config": wanted}, "register": "push", "ignore_errors": True}]
    opts = defaults(ssh_options(sw, tmp_path))
    outcome = {}
    runner = threading.Thread(target=lambda: outcome.update(
        dict(run_playbook(tmp_path / "a", task, {}, opts)[0])))
    (tmp_path / "a").mkdir()
    runner.start()
    for _attempt in range(600):
        if "neighbor 10.50.0.5 " in sw.frr.running_config():
            break
        threading.Event().wait(0.05)
    _kill_sshd(leaf_ns.name)
    runner.join(timeout=600)
    push = outcome["Push"]
    assert push["failed"] and push["error"]["field"] == "hostname", push
    assert "reconnecting failed" in push["msg"] and "next run" in push["error"]["fix"]
    half = sw.frr.running_config()
    assert "neighbor 10.50.0.5 " in half and "neighbor 10.50.0.40 " not in half  # a part of the push was taken
    sw._start_sshd()  # pylint: disable=protected-access  # the management connection is back
    (tmp_path / "b").mkdir()
    results = dict(run_playbook(tmp_path / "b", [
        {"name": "Again", "kubefabric.bgp.frr_bgp": {"config": wanted}, "register": "again"},
        {"name": "Once more", "kubefabric.bgp.frr_bgp": {"config": wanted}, "register": "more"}], {}, opts)[0])
    assert results["Again"]["changed"] and not results["Once more"]["changed"]
    text = sw.frr.running_config()
    for i in range(1, 41):
        assert re.search(r"neighbor 10\.50\.0\.%d description kubefabric:default n%d$" % (i, i), text, re.M), i
    assert operator_lines(text, ours) == operator_before
