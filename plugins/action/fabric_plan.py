# -*- coding: utf-8 -*-
# Copyright: kubefabric.bgp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin for kubefabric.bgp.fabric_plan: read nodes and devices from the inventory."""

from __future__ import annotations

import hashlib
import hmac
import os

from ansible.plugins.action import ActionBase

from ansible_collections.kubefabric.bgp.plugins.module_utils.common.errors import FabricError
from ansible_collections.kubefabric.bgp.plugins.module_utils.fabric import schema
from ansible_collections.kubefabric.bgp.plugins.module_utils.fabric.module import (
    DEVICE_VARS, NODE_VARS, OPTION_VARS)


# what the module gets instead of a device's bgp_password: the plan only needs to know that there is
# one (Secret reference, password_from_inventory) and whether two devices have the same one (a keyed
# fingerprint with a key that lives only in this run); the real one never reaches the module's
# arguments, result or the controller's log.  Its length and characters are checked here.
PASSWORD_PLACEHOLDER = schema.REDACTED


def _host_vars(hostvars, host, keys):
    data = hostvars[host]
    return {key: data[key] for key in keys if key in data and data[key] is not None}


def _device_vars(hostvars, host, keys, run_key):
    data = _host_vars(hostvars, host, keys)
    password = data.get("bgp_password")
    if password not in (None, ""):
        if data.get("platform") in schema.PLATFORMS:
            schema.check_password(password, data["platform"], host)
        digest = hmac.new(run_key, str(password).encode("utf-8"), hashlib.sha256).hexdigest()[:16]
        data["bgp_password"] = "%s#%s" % (PASSWORD_PLACEHOLDER, digest)
    return data


def _names(variables):
    """The variable names of the collection's namespace (names only: values may be secrets)."""
    return sorted(name for name in variables if schema.owned(str(name)))


class ActionModule(ActionBase):
    """Fill nodes/devices and unset options from the inventory, then run the module locally."""

    TRANSFERS_FILES = False
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super().run(tmp, task_vars)
        args = dict(self._task.args)
        groups = task_vars.get("groups", {})
        hostvars = task_vars.get("hostvars", {})
        run_key = os.urandom(32)
        names = {"all": _names(task_vars)}
        try:
            if args.get("nodes") is None:
                group = args.get("node_group") or "k8s_nodes"
                args["nodes"] = {h: _host_vars(hostvars, h, NODE_VARS) for h in groups.get(group, [])}
                names.update((h, _names(hostvars[h])) for h in groups.get(group, []))
            if args.get("devices") is None:
                group = args.get("device_group") or "network_devices"
                args["devices"] = {h: _device_vars(hostvars, h, DEVICE_VARS, run_key) for h in groups.get(group, [])}
                names.update((h, _names(hostvars[h])) for h in groups.get(group, []))
        except FabricError as exc:
            result.update(failed=True, msg=str(exc), error=exc.as_dict())
            return result
        if args.get("variables") is None:
            args["variables"] = names
        if args.get("inventory_pattern") is None and task_vars.get("fabric_pattern") is not None:
            args["inventory_pattern"] = self._templar.template(task_vars["fabric_pattern"])
        for option, var in OPTION_VARS.items():
            if args.get(option) is None and task_vars.get(var) is not None:
                args[option] = self._templar.template(task_vars[var])
        result.update(self._execute_module(module_name="kubefabric.bgp.fabric_plan", module_args=args,
                                           task_vars=task_vars))
        return result
