"""community.routeros (the ansible package's bundled copy) against the emulator, through ansible-playbook.

The modules are used unchanged: ``api`` (raw print/add), ``api_info`` and ``api_modify`` with check
mode, apply, and a second apply that must report no change and send no write.
"""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from lab.netns import veth_between

REPO = Path(__file__).resolve().parents[3]
PLAYBOOK_BIN = Path(sys.executable).parent / "ansible-playbook"


def run_playbook(tmp_path, dev, tasks, name="play", may_fail=False):
    """Run ``tasks`` against ``dev``; returns {task name: result} (module_defaults carry the connection)."""
    play = [{
        "hosts": "localhost", "gather_facts": False,
        "module_defaults": {"group/community.routeros.api": {
            "hostname": dev.address, "username": dev.username, "password": dev.password,
            "port": dev.port, "timeout": 60}},
        "tasks": tasks,
    }]
    book = tmp_path / ("%s.yml" % name)
    book.write_text(yaml.safe_dump(play, sort_keys=False))
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(REPO / ".build"), ANSIBLE_STDOUT_CALLBACK="ansible.posix.json",
               ANSIBLE_NOCOLOR="1", ANSIBLE_LOCAL_TEMP=str(tmp_path / "ansible-tmp"),
               ANSIBLE_HOME=str(tmp_path / "ansible-home"), ANSIBLE_RETRY_FILES_ENABLED="0")
    args = [str(PLAYBOOK_BIN), "-i", "localhost,", "-e", "ansible_connection=local",
            "-e", "ansible_python_interpreter=%s" % sys.executable, str(book)]
    proc = subprocess.run(args, check=False, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                          timeout=300)
    try:
        out = json.loads(proc.stdout)
    except ValueError:
        raise AssertionError("ansible-playbook output is not JSON (rc %d):\n%s\n%s" % (
            proc.returncode, proc.stdout[-3000:], proc.stderr[-3000:])) from None
    results = {}
    for task in out["plays"][0]["tasks"]:
        results[task["task"]["name"]] = task["hosts"]["localhost"]
    failed = {k: v.get("msg") for k, v in results.items() if v.get("failed") and "untrusted" not in k}
    if may_fail:
        return results
    assert proc.returncode == 0 and not failed, "playbook failed: %s\n%s" % (failed, proc.stderr[-2000:])
    return results


def _device(routeros, netns_factory, version):
    dev = routeros(version, frr=True)
    peer = netns_factory("peer")
    veth_between(dev.ns, "ether2", peer, "eth0")
    return dev


def _modify(name, path, data, check=False, **kw):
    task = {"name": name, "community.routeros.api_modify": dict({"path": path, "data": data}, **kw)}
    if check:
        task["check_mode"] = True
    return task


@pytest.mark.parametrize("version", ("7.10", "7.20"))
def test_api_modify_bgp_connection_and_address_v7(routeros, netns_factory, tmp_path, version):
    dev = _device(routeros, netns_factory, version)
    conn = {"name": "k8s-peer-1", "remote.address": "172.16.30.102", "remote.as": 64513,
            "local.role": "ibgp", "as": 64513}
    prep = []
    if version == "7.20":
        conn["instance"] = "bgp-instance-1"
        prep = [_modify("instance", "routing bgp instance",
                        [{"name": "bgp-instance-1", "as": 64513, "router-id": "172.16.30.254"}])]
    address = [{"address": "172.16.30.254/24", "interface": "ether2"}]
    tasks = prep + [
        _modify("address check", "ip address", address, check=True),
        _modify("connection check", "routing bgp connection", [conn], check=True),
    ]
    res = run_playbook(tmp_path, dev, tasks, "check")
    assert res["address check"]["changed"] is True and res["connection check"]["changed"] is True
    writes_after_check = dev.writes
    assert writes_after_check == len(prep)  # check mode sent nothing

    apply = [
        _modify("address", "ip address", address),
        _modify("connection", "routing bgp connection", [conn]),
        # RouterOS prints times normalised (90s -> 1m30s): data must use that form to be idempotent
        _modify("template", "routing bgp template", [{"name": "default", "as": 64513, "hold-time": "1m30s"}]),
        {"name": "info", "community.routeros.api_info": {"path": "routing bgp connection"}},
        {"name": "session", "community.routeros.api": {"path": "routing bgp session"}},
        {"name": "identity", "community.routeros.api_info": {"path": "system identity"}},
    ]
    res = run_playbook(tmp_path, dev, apply, "apply")
    assert res["address"]["changed"] is True and res["connection"]["changed"] is True
    assert res["template"]["changed"] is True
    assert dev.writes == writes_after_check + 3
    created = res["info"]["result"]
    assert len(created) == 1 and created[0]["name"] == "k8s-peer-1"
    assert created[0]["remote.address"] == "172.16.30.102" and created[0]["local.role"] == "ibgp"
    assert [s["name"] for s in res["session"]["msg"]] == ["k8s-peer-1-1"]
    assert res["identity"]["result"] == [{"name": "ros"}]
    assert "neighbor 172.16.30.102 remote-as 64513" in dev.frr().running_config()
    assert "172.16.30.254/24" in dev.ns.run(["ip", "-4", "addr", "show", "dev", "ether2"])

    again = run_playbook(tmp_path, dev, apply[:3], "again")
    assert {t: again[t]["changed"] for t in ("address", "connection", "template")} == {
        "address": False, "connection": False, "template": False}
    assert dev.writes == writes_after_check + 3

    # the connection path has no key (sync_list): a changed entry is removed and re-added (the ID
    # churn of community.routeros#316); without handle_absent_entries=remove the name clashes
    clash = run_playbook(tmp_path, dev, [
        _modify("hold", "routing bgp connection", [dict(conn, **{"hold-time": "90s"})])], "clash",
        may_fail=True)
    assert clash["hold"]["msg"] == "Error while creating entry: failure: entry with such name already exists"
    changed = run_playbook(tmp_path, dev, [
        _modify("hold", "routing bgp connection", [dict(conn, **{"hold-time": "90s"})],
                handle_absent_entries="remove", handle_entries_content="remove"),
        _modify("drop", "ip address", [], handle_absent_entries="remove",
                restrict=[{"field": "interface", "values": ["ether2"]}]),
    ], "change")
    assert changed["hold"]["changed"] is True and changed["drop"]["changed"] is True
    log = dev.write_log()[-3:]
    assert [e["command"] for e in log] == ["/routing/bgp/connection/remove", "/routing/bgp/connection/add",
                                           "/ip/address/remove"]
    assert "neighbor 172.16.30.102 timers 30 90" in dev.frr().running_config()
    assert "172.16.30.254" not in dev.ns.run(["ip", "-4", "addr", "show", "dev", "ether2"])


def test_api_modify_v6_instance_and_peer(routeros, netns_factory, tmp_path):
    dev = _device(routeros, netns_factory, "6.49")
    tasks = [
        _modify("instance", "routing bgp instance", [{"name": "default", "as": 64513,
                                                      "router-id": "172.16.30.254"}]),
        _modify("peer", "routing bgp peer", [{"name": "ubuntu-2", "remote-address": "172.16.30.102",
                                              "remote-as": 64513, "route-reflect": True}]),
        _modify("address", "ip address", [{"address": "172.16.30.254/24", "interface": "ether2"}]),
        {"name": "peers", "community.routeros.api_info": {"path": "routing bgp peer"}},
    ]
    res = run_playbook(tmp_path, dev, tasks, "v6")
    assert all(res[t]["changed"] for t in ("instance", "peer", "address"))
    peers = res["peers"]["result"]
    assert [(p["name"], p["remote-as"], p["route-reflect"]) for p in peers] == [("ubuntu-2", 64513, True)]
    writes = dev.writes
    again = run_playbook(tmp_path, dev, tasks[:3], "v6-again")
    assert not any(again[t]["changed"] for t in ("instance", "peer", "address"))
    assert dev.writes == writes
    cfg = dev.frr().running_config()
    assert "router bgp 64513" in cfg and "neighbor 172.16.30.102 route-reflector-client" in cfg


@pytest.mark.parametrize("version", ("6.49", "7.10", "7.20"))
def test_raw_api_module(routeros, netns_factory, tmp_path, version):
    dev = _device(routeros, netns_factory, version)
    res = run_playbook(tmp_path, dev, [
        {"name": "add", "community.routeros.api": {
            "path": "ip address", "add": "address=10.20.0.1/24 interface=ether2"}},
        {"name": "query", "community.routeros.api": {
            "path": "ip address", "query": ".id address WHERE address == 10.20.0.1/24"}},
        {"name": "resource", "community.routeros.api": {"path": "system resource"}},
        {"name": "tls", "community.routeros.api_info": {
            "path": "system identity", "tls": True, "port": dev.tls_port, "validate_certs": True,
            "ca_path": str(dev.ca_path)}},
        {"name": "tls untrusted", "ignore_errors": True, "community.routeros.api_info": {
            "path": "system identity", "tls": True, "port": dev.tls_port, "validate_certs": True}},
    ], "raw")
    assert res["tls"]["result"] == [{"name": "ros"}]
    assert res["tls untrusted"]["failed"] is True and "CERTIFICATE_VERIFY_FAILED" in res["tls untrusted"]["msg"]
    assert res["add"]["changed"] is True
    assert res["query"]["msg"] == [{".id": "*2", "address": "10.20.0.1/24"}]
    assert res["resource"]["msg"][0]["version"].startswith(version + ".")
    assert dev.writes == 1
