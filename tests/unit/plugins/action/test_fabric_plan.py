# -*- coding: utf-8 -*-
# Copyright: kubefabric.bgp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fabric_plan action plugin and module together, on an example inventory read by Ansible itself.

The inventory is loaded with Ansible's InventoryManager/VariableManager (host_vars included), the
real ActionModule reads nodes, devices and the fabric variables from ``task_vars``, and its module
call runs the real module's ``main()`` in-process: the result is what AnsibleModule prints (after its
own no_log masking), parsed back, so a password that reaches any part of it is seen here.
"""
import json
import shutil
from pathlib import Path
from unittest import mock

import pytest
from ansible.module_utils.testing import patch_module_args
from ansible.inventory.manager import InventoryManager
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar
from ansible.vars.hostvars import HostVars
from ansible.vars.manager import VariableManager

from ansible_collections.kubefabric.bgp.plugins.action.fabric_plan import ActionModule
from ansible_collections.kubefabric.bgp.plugins.modules import fabric_plan as module

EXAMPLES = Path(__file__).resolve().parents[4] / "examples"
PASSWORD = "Tor1-s3cret-pw"


@pytest.fixture
def inventory(tmp_path):
    """examples/tor_three_racks, with tor1's bgp_password in host_vars (as a vault would supply it)."""
    shutil.copy(EXAMPLES / "tor_three_racks" / "inventory.yml", tmp_path / "inventory.yml")
    (tmp_path / "host_vars").mkdir()
    # every device has it: the two ends of an uplink must have the same password (the planner refuses
    # two different ends)
    for device in ("tor1", "tor2", "tor3", "spine"):
        (tmp_path / "host_vars" / ("%s.yml" % device)).write_text("bgp_password: %s\n" % PASSWORD)
    loader = DataLoader()
    manager = InventoryManager(loader=loader, sources=[str(tmp_path / "inventory.yml")])
    variables = VariableManager(loader=loader, inventory=manager)
    HostVars(inventory=manager, variable_manager=variables, loader=loader)  # as the task queue manager does
    task_vars = variables.get_vars(host=manager.get_host("r1-n1"), include_hostvars=True)
    return loader, task_vars


def _run_module(capsys, module_args):
    """What the module prints for module_args (exit_json/fail_json as Ansible runs them)."""
    with patch_module_args(module_args):
        with pytest.raises(SystemExit):
            module.main()
    return json.loads(capsys.readouterr().out)


def run_action(capsys, inventory, args):
    loader, task_vars = inventory
    task = mock.MagicMock(args=args, async_val=0, check_mode=False, action="kubefabric.bgp.fabric_plan")
    action = ActionModule(task, mock.MagicMock(), mock.MagicMock(), loader, Templar(loader=loader, variables=task_vars))
    sent = {}

    def execute_module(module_name, module_args, task_vars):
        sent.update(name=module_name, args=module_args)
        return _run_module(capsys, module_args)

    with mock.patch.object(action, "_execute_module", side_effect=execute_module):
        result = action.run(task_vars=task_vars)
    return result, sent


def test_action_reads_the_inventory_and_plans(capsys, inventory):
    result, sent = run_action(capsys, inventory, {})
    assert sent["name"] == "kubefabric.bgp.fabric_plan"
    # the fabric variables, the nodes of k8s_nodes and the devices of network_devices reached the module
    assert sent["args"]["pattern"] == "tor" and sent["args"]["racks"]["r2"] == {"asn": 64602, "allow_local_as": 1}
    assert sorted(sent["args"]["nodes"]) == ["r1-n1", "r1-n2", "r2-n1", "r2-n2", "r3-n1", "r3-n2"]
    assert sent["args"]["nodes"]["r3-n2"] == {"bgp_ipv4_address": "10.3.0.12/24", "rack": "r3"}
    assert sorted(sent["args"]["devices"]) == ["spine", "tor1", "tor2", "tor3"]
    # tor1's host_vars password is seen, but only a placeholder reaches the module
    assert sent["args"]["devices"]["tor1"]["bgp_password"].startswith("********#")
    assert sent["args"]["devices"]["tor1"]["bgp_password"] == sent["args"]["devices"]["spine"]["bgp_password"]
    assert PASSWORD not in json.dumps(sent["args"])
    assert not result.get("failed"), result
    assert result["changed"] is False
    # 6 node-ToR sessions + 3 ToR-spine uplinks
    assert result["sessions_total"] == 9
    plan = result["plan"]
    assert [r["peer_name"] for r in plan["sessions"]["nodes"]["r1-n1"]] == ["tor1"]
    assert [r["peer_name"] for r in plan["sessions"]["devices"]["tor1"]] == ["r1-n1", "r1-n2", "spine"]
    peer = next(p for p in plan["calico"]["bgp_peers"] if p["metadata"]["name"] == "r1-tor1")
    assert peer["spec"]["password"] == {"secretKeyRef": {"name": "kubefabric-bgp-tor1", "key": "password"}}
    assert all(n["password_from_inventory"] for n in plan["devices"]["tor1"]["config"]["neighbors"])
    assert PASSWORD not in json.dumps(result)


def test_expect_passes_and_fails(capsys, inventory):
    good = [{"query": "sessions_total", "equals": 9}, "length(plan.sessions.devices.tor1) == `3`"]
    result, _sent = run_action(capsys, inventory, {"expect": good})
    assert not result.get("failed"), result
    bad = ["sessions_total == `10`", {"query": "plan.sessions.nodes.\"r1-n1\"[].peer_name", "equals": ["spine"]}]
    result, _sent = run_action(capsys, inventory, {"expect": bad})
    assert result["failed"] is True
    assert result["msg"].startswith("expect: expectations not met: ")
    assert "sessions_total == `10`" in result["msg"] and "spine" in result["msg"]
    assert result["error"]["field"] == "expect"
    assert result["plan"]["sessions"]["total"] == 9  # the failure carries the plan to compare with
    assert PASSWORD not in json.dumps(result)


def test_planning_error_names_host_field_fix(capsys, inventory):
    nodes = {"r1-n1": {"bgp_ipv4_address": "10.1.0.11/24", "rack": "r9"}}
    result, _sent = run_action(capsys, inventory, {"nodes": nodes})
    assert result["failed"] is True
    assert result["error"] == {"host": "r1-n1", "field": "rack", "message": "rack 'r9' is not in fabric_racks",
                               "fix": "add r9 to fabric_racks or correct the node's rack"}
    assert PASSWORD not in json.dumps(result)


def test_module_without_the_action_masks_the_password(capsys, inventory):
    """devices given directly, clear password included: it is masked in the whole result."""
    _loader, task_vars = inventory
    devices = {"tor1": {"platform": "frr", "bgp_asn": 65001, "router_id": "10.255.255.11",
                        "racks": {"r1": "10.1.0.254"}, "bgp_password": PASSWORD}}
    nodes = {"r1-n1": {"bgp_ipv4_address": "10.1.0.11/24", "rack": "r1"}}
    result = _run_module(capsys, {"pattern": "tor", "nodes": nodes, "devices": devices})
    assert not result.get("failed"), result
    assert result["sessions_total"] == 1
    assert result["invocation"]["module_args"]["devices"]["tor1"]["bgp_password"] == "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"
    assert result["plan"]["devices"]["tor1"]["config"]["neighbors"][0]["password_from_inventory"] is True
    assert PASSWORD not in json.dumps(result)
    assert task_vars["hostvars"]["tor1"]["bgp_password"] == PASSWORD  # the fixture does carry it


INI = """
[k8s_nodes]
rr-1 bgp_ipv4_address=10.7.0.11/24 route_reflector=true
rr-2 bgp_ipv4_address=10.7.0.12/24 route_reflector=yes
n-3 bgp_ipv4_address=10.7.0.13/24 route_reflector=false
n-4 bgp_ipv4_address=10.7.0.14/24 route_reflector=no

[all:vars]
fabric_pattern=route_reflector
calico_asn=64512
route_reflector_cluster_id=244.0.0.1
"""


def _ini_inventory(tmp_path, text, host_vars=None):
    (tmp_path / "inventory.ini").write_text(text)
    for host, content in (host_vars or {}).items():
        (tmp_path / "host_vars").mkdir(exist_ok=True)
        (tmp_path / "host_vars" / ("%s.yml" % host)).write_text(content)
    loader = DataLoader()
    manager = InventoryManager(loader=loader, sources=[str(tmp_path / "inventory.ini")])
    variables = VariableManager(loader=loader, inventory=manager)
    HostVars(inventory=manager, variable_manager=variables, loader=loader)
    host = manager.get_hosts()[0]
    return loader, variables.get_vars(host=host, include_hostvars=True)


def test_ini_booleans_read_as_ansible_reads_them(capsys, tmp_path):
    """INI route_reflector=false / no are strings: false, never bool('false')."""
    result, sent = run_action(capsys, _ini_inventory(tmp_path, INI), {})
    assert sent["args"]["nodes"]["n-3"]["route_reflector"] == "false"  # what Ansible's INI parser gives
    assert not result.get("failed"), result
    rrs = sorted(n for n, spec in result["plan"]["calico"]["nodes"].items() if spec["bgp"]["routeReflectorClusterID"])
    assert rrs == ["rr-1", "rr-2"]


def test_unknown_inventory_variable_through_ansible(capsys, tmp_path):
    """A typo in host_vars is seen by name (never by value) and refused with the nearest variable."""
    inventory = _ini_inventory(tmp_path, INI, {"n-3": "bgp_asnn: 64513\nntp_servers: [10.0.0.1]\n"})
    result, sent = run_action(capsys, inventory, {})
    assert result["failed"] is True
    assert result["error"]["host"] == "n-3" and result["error"]["field"] == "bgp_asnn"
    assert "did you mean bgp_asn?" in result["msg"]
    assert "ntp_servers" not in sent["args"]["variables"]["n-3"]
    # the opt-out
    inventory = _ini_inventory(tmp_path, INI + "kubefabric_extra_variables=['bgp_asnn']\n")
    result, _sent = run_action(capsys, inventory, {})
    assert not result.get("failed"), result


def test_password_checked_on_the_controller(capsys, tmp_path):
    """A password the platform cannot carry is refused before the module, and never printed."""
    shutil.copy(EXAMPLES / "seed004_tor_routeros" / "inventory.yml", tmp_path / "inventory.yml")
    secret = "R" * 81
    (tmp_path / "host_vars").mkdir()
    (tmp_path / "host_vars" / "router.yml").write_text("bgp_password: %s\n" % secret)
    loader = DataLoader()
    manager = InventoryManager(loader=loader, sources=[str(tmp_path / "inventory.yml")])
    variables = VariableManager(loader=loader, inventory=manager)
    HostVars(inventory=manager, variable_manager=variables, loader=loader)
    task_vars = variables.get_vars(host=manager.get_host("ubuntu-1"), include_hostvars=True)
    result, sent = run_action(capsys, (loader, task_vars), {})
    assert result["failed"] is True and not sent
    assert result["error"]["host"] == "router" and result["error"]["field"] == "bgp_password"
    assert "81 characters" in result["msg"] and "1 to 80" in result["error"]["fix"]
    assert secret not in json.dumps(result)
