# -*- coding: utf-8 -*-
# Copyright: kubefabric.bgp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin for kubefabric.bgp.fabric_verify: gather both sides until they match the plan."""

from __future__ import annotations

import time

from ansible.plugins.action import ActionBase
from ansible.utils.display import Display

from ansible_collections.kubefabric.bgp.plugins.module_utils.calico.k8s import AUTH_ARG_SPEC
from ansible_collections.kubefabric.bgp.plugins.module_utils.common.errors import FabricError
from ansible_collections.kubefabric.bgp.plugins.module_utils.fabric.verify import verify_result

display = Display()

# bgp_session_info option -> device host variable
DEVICE_VARS = {
    "username": "bgp_device_username", "password": "bgp_device_password", "port": "bgp_device_port",
    "tls": "bgp_device_tls", "validate_certs": "bgp_device_validate_certs", "ca_path": "bgp_device_ca_path",
    "known_hosts_file": "bgp_device_known_hosts", "host_key_checking": "bgp_device_host_key_checking",
    "ssh_key_file": "bgp_device_ssh_key_file",
}


def device_connection(hostvars, host):
    """bgp_session_info arguments for a device, from its inventory variables."""
    data = hostvars[host]
    args = {"platform": data.get("platform"), "hostname": data.get("ansible_host") or host}
    for option, var in DEVICE_VARS.items():
        if data.get(var) is not None:
            args[option] = data.get(var)
    return args


class ActionModule(ActionBase):
    """Repeat: read CalicoNodeStatus and every device's sessions, compare with the plan."""

    TRANSFERS_FILES = False
    _requires_connection = False

    def _observe(self, args, task_vars, devices):
        auth = {k: v for k, v in args.items() if k in AUTH_ARG_SPEC and v is not None}
        nodes = sorted(args["plan"]["sessions"]["nodes"])
        res = self._execute_module(module_name="kubefabric.bgp.calico_node_status_info",
                                   module_args=dict(auth, nodes=nodes, timeout=20), task_vars=task_vars)
        if res.get("failed"):
            raise FabricError("reading CalicoNodeStatus failed: %s" % res.get("msg"), field="kubeconfig",
                              fix="check the Kubernetes connection options")
        observed_devices = {}
        hostvars = task_vars.get("hostvars", {})
        for host in devices:
            out = self._execute_module(module_name="kubefabric.bgp.bgp_session_info",
                                       module_args=device_connection(hostvars, host), task_vars=task_vars)
            observed_devices[host] = None if out.get("failed") else out
            if out.get("failed"):
                display.display("  %s: %s" % (host, out.get("msg")))
        return res.get("nodes", {}), observed_devices

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super().run(tmp, task_vars)
        args = dict(self._task.args)
        if args.get("observed_nodes") is not None and args.get("observed_devices") is not None:
            result.update(self._execute_module(module_name="kubefabric.bgp.fabric_verify", module_args=args,
                                               task_vars=task_vars))
            return result
        plan = args.get("plan") or {}
        if "sessions" not in plan:
            return dict(result, failed=True, msg="plan: pass the plan returned by kubefabric.bgp.fabric_plan")
        devices = sorted(plan["sessions"].get("devices", {}))
        timeout, interval = int(args.get("timeout") or 120), int(args.get("interval") or 3)
        start = time.time()
        attempt = 0
        while True:
            attempt += 1
            try:
                nodes, observed = self._observe(args, task_vars, devices)
                outcome = verify_result(plan, nodes, observed, None, time.time() - start)
            except FabricError as exc:
                return dict(result, failed=True, msg=str(exc), error=exc.as_dict())
            display.display("fabric_verify round %d (%.0f s): %d/%d session ends Established, %d problem(s)%s"
                            % (attempt, time.time() - start, outcome["established"], outcome["expected"],
                               len(outcome["problems"]), "" if outcome["ok"] else ": " + ", ".join(
                                   "%s->%s %s" % (p["endpoint"], p["peer_name"] or p["peer_address"], p["verdict"])
                                   for p in outcome["problems"][:4])))
            if outcome["ok"] or time.time() - start + interval > timeout:
                break
            time.sleep(interval)
        try:
            outcome = verify_result(plan, nodes, observed, args.get("expect"), time.time() - start)
        except FabricError as exc:
            return dict(result, failed=True, msg=str(exc), error=exc.as_dict())
        result.update(outcome, changed=False)
        if not outcome["ok"]:
            result.update(failed=True, msg="the fabric did not converge to the plan within %d s:\n%s"
                          % (timeout, outcome["table"]))
        return result
