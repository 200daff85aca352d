# -*- coding: utf-8 -*-
# Copyright: kubefabric.bgp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin for kubefabric.bgp.fabric_verify: gather both sides until they match the plan."""

from __future__ import annotations

import time

from ansible.module_utils.parsing.convert_bool import boolean
from ansible.plugins.action import ActionBase
from ansible.utils.display import Display

from concurrent.futures import ThreadPoolExecutor

from ansible_collections.kubefabric.bgp.plugins.module_utils.calico import k8s, manage
from ansible_collections.kubefabric.bgp.plugins.module_utils.common.errors import FabricError
from ansible_collections.kubefabric.bgp.plugins.module_utils.devices import connection, sessions
from ansible_collections.kubefabric.bgp.plugins.module_utils.fabric import verify
from ansible_collections.kubefabric.bgp.plugins.module_utils.fabric.verify import verify_result

display = Display()


def session_params(hostvars, host):
    """bgp_session_info's parameters for a device (defaults filled in), from its inventory variables
    (``connection.INVENTORY_VARS``) and, for what they leave unset, the environment (the AWX
    credential types)."""
    data = hostvars[host]
    platform = data.get("platform")
    params = {name: spec.get("default") for name, spec in sessions.info_argument_spec().items()}
    params.update(connection.options_from_hostvars(data, host, platform))
    params["platform"] = platform
    params, _secrets = connection.fill_from_env(params, connection.family_of(platform))
    if params.get("port") is None:
        params.pop("port")
    return params


# What a device read error that is a connection failure looks like: the device was not reached
# (reported as "unreachable"); any other error or a crash is a read error of its own.
CONNECTION_FIELDS = ("hostname", "host", "port")


def device_outcome(host, exc):
    """None (unreachable) or ``{"error": text}`` for an exception raised while reading ``host``."""
    if isinstance(exc, FabricError) and exc.field in CONNECTION_FIELDS:
        return None
    if isinstance(exc, FabricError):
        return {verify.ERROR_KEY: str(exc)}
    return {verify.ERROR_KEY: "%s: the driver crashed: %s: %s" % (host, type(exc).__name__, exc)}


STATUS_PREFIX = "kubefabric-verify-"


class ActionModule(ActionBase):
    """Repeat: read CalicoNodeStatus and every device's sessions, compare with the plan."""

    TRANSFERS_FILES = False
    _requires_connection = False

    def _observe(self, client, plan, task_vars, devices, pool):
        """One round: every node's CalicoNodeStatus and every device's sessions (devices in parallel).

        The module_utils are called in this controller process (no module start-up per read), the
        CalicoNodeStatus objects are kept between rounds and removed by ``run`` at the end.
        """
        classes = ["Agent", "BGP", "Routes"] if self._check_routes else ["Agent", "BGP"]
        params = {"nodes": sorted(plan["sessions"]["nodes"]), "name_prefix": STATUS_PREFIX, "timeout": 20,
                  "keep": True, "classes": classes, "update_period_seconds": 5}
        nodes = manage.gather_node_status(client, params)
        self._status_objects.update(nodes["created"])
        hostvars = task_vars.get("hostvars", {})

        def one(host):
            try:
                return host, sessions.read_state(hostvars[host]["platform"], session_params(hostvars, host),
                                                 routes=self._check_routes)
            except Exception as exc:  # pylint: disable=broad-except
                return host, exc

        observed = {}
        for host, value in pool.map(one, devices):
            if isinstance(value, Exception):
                display.display("  %s: %s" % (host, value))
                observed[host] = device_outcome(host, value)
            else:
                observed[host] = value
        return nodes["nodes"], observed

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
        self._check_routes = args.get("check_routes") is None or boolean(args.get("check_routes"))
        auth = {k: args.get(k) for k in k8s.AUTH_ARG_SPEC}
        self._status_objects = set()
        start = time.time()
        attempt = 0
        try:
            client = k8s.connect(auth, check_mode=False)
            pools = args.get("pools")
            if self._check_routes and pools is None:
                pools = [(p.get("spec") or {}).get("cidr") for p in client.list("IPPool")]
            with ThreadPoolExecutor(max_workers=max(1, min(16, len(devices)))) as pool:
                while True:
                    attempt += 1
                    nodes, observed = self._observe(client, plan, task_vars, devices, pool)
                    outcome = verify_result(plan, nodes, observed, None, time.time() - start,
                                            check_routes=self._check_routes, pools=pools)
                    problems = ["%s->%s %s" % (p["endpoint"], p["peer_name"] or p["peer_address"], p["verdict"])
                                for p in outcome["problems"][:4]]
                    problems += ["%s: %s from %s %s" % (p["endpoint"], p["prefix"], p["origin"], p["verdict"])
                                 for p in outcome.get("route_problems", [])[:max(0, 4 - len(problems))]]
                    display.display(
                        "fabric_verify round %d (%.0f s): %d/%d session ends Established%s, %d problem(s)%s"
                        % (attempt, time.time() - start, outcome["established"], outcome["expected"],
                           ", %d/%d prefixes present" % (outcome["prefixes_present"], outcome["prefixes_expected"])
                           if self._check_routes else "",
                           len(outcome["problems"]) + len(outcome.get("route_problems", [])),
                           "" if outcome["ok"] else ": " + ", ".join(problems)))
                    if outcome["ok"] or time.time() - start + interval > timeout:
                        break
                    time.sleep(interval)
            outcome = verify_result(plan, nodes, observed, args.get("expect"), time.time() - start,
                                    check_routes=self._check_routes, pools=pools)
        except FabricError as exc:
            return dict(result, failed=True, msg=str(exc), error=exc.as_dict())
        finally:
            cleanup_errors = []
            for name in sorted(self._status_objects):
                try:
                    client.delete("CalicoNodeStatus", name)
                except Exception as exc:  # pylint: disable=broad-except
                    cleanup_errors.append("CalicoNodeStatus/%s: %s" % (name, exc))
            if cleanup_errors:
                result["cleanup_errors"] = cleanup_errors
                result.setdefault("warnings", []).append(
                    "fabric_verify could not delete its temporary CalicoNodeStatus objects (%s); delete them with "
                    "kubectl delete caliconodestatuses -l app.kubernetes.io/managed-by=kubefabric, or by name"
                    % "; ".join(cleanup_errors))
        result.update(outcome, changed=False)
        if not outcome["ok"]:
            result.update(failed=True, msg="the fabric did not converge to the plan within %d s:\n%s"
                          % (timeout, outcome["table"]))
        return result
