# -*- coding: utf-8 -*-
# Copyright: kubefabric.bgp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin for kubefabric.bgp.fabric_lock: runs on the controller, so the holder names the
ansible-playbook process (the parent of this worker)."""

from __future__ import annotations

import os

from ansible_collections.kubefabric.bgp.plugins.module_utils.calico import k8s
from ansible_collections.kubefabric.bgp.plugins.module_utils.common.errors import FabricError
from ansible_collections.kubefabric.bgp.plugins.module_utils.fabric import lock
from ansible_collections.kubefabric.bgp.plugins.plugin_utils.controller_action import ControllerAction


class ActionModule(ControllerAction):
    def run_controller(self, args, task_vars, result):
        state = args.get("state") or "acquired"
        if state not in ("acquired", "renewed", "released"):
            return dict(result, failed=True, msg="state: one of acquired, renewed, released")
        if state != "acquired" and not args.get("holder"):
            return dict(result, failed=True, msg="holder: required with state=%s (the holder that state=acquired "
                                                 "returned)" % state)
        params = dict((k, args.get(k)) for k in k8s.AUTH_ARG_SPEC)
        params.update(state=state, holder=args.get("holder"), name=args.get("name"), namespace=args.get("namespace"),
                      duration=int(args.get("duration") or lock.DEFAULT_DURATION),
                      request_timeout=int(args.get("request_timeout") or 30))
        try:
            outcome = lock.run(params, check_mode=self._task.check_mode,
                               holder=lock.new_holder(pid=os.getppid()))
        except FabricError as exc:
            return dict(result, failed=True, changed=False, msg=str(exc), error=exc.as_dict(), **exc.details)
        result.update(outcome)
        return result
