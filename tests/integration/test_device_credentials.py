# -*- coding: utf-8 -*-
# Copyright: kubefabric.bgp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Device credentials the Ansible way, with the real ansible-playbook against an FRR switch (real FRR
and OpenSSH, ``lab.frrswitch``), HOME pointed at an empty directory as in an execution environment:

* the ``kubefabric.bgp.devices`` role with only Ansible's standard inventory variables
  (``ansible_host``, ``ansible_port``, ``ansible_user``, ``ansible_password``) and the host key pinned
  in the inventory (``bgp_device_host_keys``): configures the switch, a rerun changes nothing;
* no credential in the inventory, only the environment the AWX credential type injects
  (``KUBEFABRIC_SSH_USERNAME``/``_PASSWORD``/``_KNOWN_HOSTS_FILE``): works;
* a RouterOS router (the lab's RouterOS API emulator over api-ssl) with only what the shipped
  ``kubefabric RouterOS API`` credential type injects (user, password, CA file): configured, idempotent;
* an unknown host key (nothing pinned, empty ~/.ssh/known_hosts) is refused with the fingerprint the
  switch presented (the one ssh-keygen computes from the switch's key) and the command to verify it;
  a wrong pinned key is refused as a mismatch; nothing is written to the switch in either case.
"""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.integration.test_awx_job import render_injectors
from tests.integration.test_frr_bgp import switch  # noqa: F401  # pylint: disable=unused-import
from tests.integration.test_routeros_bgp import API_PASSWORD, read_rows
from tests.integration.test_routeros_bgp import routeros  # noqa: F401  # pylint: disable=unused-import

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
SSH_PASSWORD = "Lab-Pass-frr1"
PLAN = {"module_args": {"devices": {"leaf2": {"asn": 65002, "router_id": "10.255.255.12",
                                              "neighbors": [{"address": "10.9.9.1", "remote_as": 65009}]}}}}

pytestmark = pytest.mark.skipif(not (BIN / "ansible-playbook").exists(), reason="needs the project venv (make setup)")


def run(tmp_path, name, inventory, plays, env_extra=None):
    """ansible-playbook with the JSON callback; returns (rc, report, raw stdout)."""
    inv = tmp_path / ("%s-inventory.yml" % name)
    inv.write_text(yaml.safe_dump(inventory))
    playbook = tmp_path / ("%s.yml" % name)
    playbook.write_text(yaml.safe_dump(plays, sort_keys=False))
    home = tmp_path / "home"  # an execution environment's HOME: no ~/.ssh/known_hosts
    home.mkdir(exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KUBEFABRIC_", "ANSIBLE_NET_"))}
    env.update(HOME=str(home), ANSIBLE_COLLECTIONS_PATH=str(REPO / ".build"), ANSIBLE_NOCOLOR="1",
               ANSIBLE_STDOUT_CALLBACK="ansible.posix.json", ANSIBLE_LOCAL_TEMP=str(tmp_path / "ansible-tmp"),
               ANSIBLE_HOST_KEY_CHECKING="False")  # as many job environments set it: must not matter
    env.update(env_extra or {})
    proc = subprocess.run([str(BIN / "ansible-playbook"), "-i", str(inv), str(playbook)], capture_output=True,
                          text=True, env=env, timeout=600, check=False)
    try:
        report = json.loads(proc.stdout)
    except ValueError:
        raise AssertionError("no JSON (rc %d): %s %s" % (proc.returncode, proc.stdout[-3000:], proc.stderr[-3000:]))
    return proc.returncode, report, proc.stdout + proc.stderr


def inventory_for(sw, platform="frr", **device_vars):
    return {"all": {"hosts": {"localhost": {"ansible_connection": "local", "ansible_python_interpreter": sys.executable}},
                    "children": {"network_devices": {"hosts": {"leaf2": dict(
                        {"platform": platform, "ansible_host": sw.address}, **device_vars)}}}}}


def devices_role_plays(plan=None):
    return [
        {"name": "plan", "hosts": "localhost", "gather_facts": False,
         "tasks": [{"name": "The plan", "ansible.builtin.set_fact": {"kubefabric_plan": plan or PLAN}}]},
        {"name": "devices", "hosts": "network_devices", "gather_facts": False,
         "tasks": [{"name": "Devices role", "ansible.builtin.include_role": {"name": "kubefabric.bgp.devices"},
                    "vars": {"kubefabric_device_state": "merged", "kubefabric_device_save": False}}]},
    ]


def changed(report, host="leaf2"):
    return report["stats"][host]["changed"]


def test_devices_role_with_standard_inventory_variables_and_pinned_key(switch, tmp_path):  # noqa: F811
    sw = switch()
    inventory = inventory_for(sw, ansible_port=sw.port, ansible_user="admin", ansible_password=SSH_PASSWORD,
                              bgp_device_host_keys=[sw.known_hosts_line])
    rc, report, out = run(tmp_path, "first", inventory, devices_role_plays())
    assert rc == 0, out[-5000:]
    assert changed(report) == 1
    assert "neighbor 10.9.9.1 remote-as 65009" in sw.frr.running_config()
    assert SSH_PASSWORD not in out
    rc, report, out = run(tmp_path, "second", inventory, devices_role_plays())
    assert rc == 0 and changed(report) == 0, out[-5000:]


def test_credentials_from_the_environment_and_host_key_refusals(switch, tmp_path):  # noqa: F811
    sw = switch()
    known_hosts = tmp_path / "credential_known_hosts"
    known_hosts.write_text(sw.known_hosts_line + "\n")
    key_type, key_data = sw.known_hosts_line.split()[1:3]
    pub = tmp_path / "switch_key.pub"
    pub.write_text("%s %s\n" % (key_type, key_data))
    expected_fp = subprocess.run(["ssh-keygen", "-lf", str(pub)], check=True, text=True,
                                 stdout=subprocess.PIPE).stdout.split()[1]
    other = tmp_path / "other"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(other)], check=True)
    credential_env = {"KUBEFABRIC_SSH_USERNAME": "admin", "KUBEFABRIC_SSH_PASSWORD": SSH_PASSWORD}
    before = sw.frr.running_config()

    # no known host key anywhere: refused, with the fingerprint the switch presented
    rc, report, out = run(tmp_path, "unknown", inventory_for(sw), devices_role_plays(), credential_env)
    assert rc != 0 and report["stats"]["leaf2"]["failures"] == 1
    assert "is unknown" in out and "never trusted" in out and expected_fp in out, out[-4000:]
    assert "ssh-keyscan -p 22 %s" % sw.address in out
    # a wrong key pinned in the inventory: refused as a mismatch
    wrong_key = (tmp_path / "other.pub").read_text()
    rc, report, out = run(tmp_path, "mismatch", inventory_for(sw, bgp_device_host_keys=[wrong_key]),
                          devices_role_plays(), credential_env)
    assert rc != 0 and "does not match" in out and "host_keys" in out, out[-4000:]
    assert sw.frr.running_config() == before
    assert SSH_PASSWORD not in out

    # the credential's known hosts file: configured, with no credential in the inventory
    env = dict(credential_env, KUBEFABRIC_SSH_KNOWN_HOSTS_FILE=str(known_hosts))
    rc, report, out = run(tmp_path, "env", inventory_for(sw), devices_role_plays(), env)
    assert rc == 0 and changed(report) == 1, out[-5000:]
    assert "neighbor 10.9.9.1 remote-as 65009" in sw.frr.running_config()
    assert SSH_PASSWORD not in out


def test_routeros_with_the_shipped_credential_type_only(routeros, tmp_path):  # noqa: F811
    dev = routeros("7.10")
    ctype = yaml.safe_load((REPO / "examples" / "awx" / "credential_types" / "kubefabric_routeros_api.yml").read_text())
    env_dir = tmp_path / "env"
    env_dir.mkdir()
    env = render_injectors(ctype, {"username": "admin", "password": API_PASSWORD,
                                   "ca_cert": Path(str(dev.ca_path)).read_text()}, env_dir)
    assert Path(env["KUBEFABRIC_ROUTEROS_CA_PATH"]).read_text() == Path(str(dev.ca_path)).read_text()
    plan = {"module_args": {"devices": {"leaf2": {"asn": 64513, "router_id": "172.16.30.254",
                                                  "neighbors": [{"address": "172.16.30.102", "remote_as": 64513}]}}}}
    inventory = inventory_for(dev, platform="routeros")
    rc, report, out = run(tmp_path, "ros1", inventory, devices_role_plays(plan), env)
    assert rc == 0 and changed(report) == 1, out[-5000:]
    rows = read_rows(dev, "routing", "bgp", "connection")
    assert [row.get("remote.address") for row in rows] == ["172.16.30.102"], rows
    assert API_PASSWORD not in out
    rc, report, out = run(tmp_path, "ros2", inventory, devices_role_plays(plan), env)
    assert rc == 0 and changed(report) == 0, out[-5000:]
    # without the credential's CA the router's certificate is refused, and the fix names the variable
    env_no_ca = dict(env, KUBEFABRIC_ROUTEROS_CA_PATH="")
    rc, report, out = run(tmp_path, "ros3", inventory, devices_role_plays(plan), env_no_ca)
    assert rc != 0 and "KUBEFABRIC_ROUTEROS_CA_PATH" in out, out[-4000:]
