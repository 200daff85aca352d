# -*- coding: utf-8 -*-
# Copyright: kubefabric.bgp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin for kubefabric.bgp.fabric_devices: every planned device configured at once, from the controller."""

from __future__ import annotations

from ansible.module_utils.parsing.convert_bool import boolean

from ansible_collections.kubefabric.bgp.plugins.action.fabric_preflight import _devices
from ansible_collections.kubefabric.bgp.plugins.module_utils.fabric import push
from ansible_collections.kubefabric.bgp.plugins.plugin_utils.controller_action import ControllerAction

STATES = ("merged", "replaced", "overridden")
PASSWORD_UPDATES = ("on_change", "on_create", "always")


class ActionModule(ControllerAction):
    """One thread per device; the result has one row per device and owner scope, and the diff of each."""

    def run_controller(self, args, task_vars, result):
        plan = args.get("plan") or {}
        if not isinstance(plan, dict) or not plan.get("module_args"):
            return dict(result, failed=True, msg="plan: pass the plan returned by kubefabric.bgp.fabric_plan")
        state = args.get("state") or "overridden"
        password_update = args.get("password_update") or "on_change"
        if state not in STATES or password_update not in PASSWORD_UPDATES:
            return dict(result, failed=True, msg="state: one of %s; password_update: one of %s"
                        % (", ".join(STATES), ", ".join(PASSWORD_UPDATES)))
        options = {"adopt": boolean(args.get("adopt") or False), "password_update": password_update,
                   "save": boolean(True if args.get("save") is None else args["save"])}
        early = []   # input problems (a host missing from the inventory, a missing bgp_password)
        devices = _devices(plan, args.get("devices"), task_vars.get("hostvars", {}), state, early, options)
        if early:
            return dict(result, failed=True, changed=False, msg="; ".join(row["message"] for row in early),
                        failures=early)
        rows = push.push(devices, check_mode=bool(self._task.check_mode), workers=int(args.get("workers") or 32))
        result.update(changed=any(row.get("changed") for row in rows), devices=rows)
        if self._task.diff:
            result["diff"] = [dict(row["diff"], before_header="%s (%s)" % (row["host"], row["owner"]),
                                   after_header="%s (%s)" % (row["host"], row["owner"]))
                              for row in rows if row.get("changed") and row.get("diff")]
        if any(row.get("failed") for row in rows):
            result.update(failed=True, msg=push.failure_message(rows))
        return result
