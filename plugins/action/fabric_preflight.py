# -*- coding: utf-8 -*-
# Copyright: kubefabric.bgp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin for kubefabric.bgp.fabric_preflight: every check of the run, in parallel, on the controller."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError
from ansible.module_utils.parsing.convert_bool import boolean

from ansible_collections.kubefabric.bgp.plugins.action.fabric_verify import session_params
from ansible_collections.kubefabric.bgp.plugins.filter.fabric import fabric_passwords
from ansible_collections.kubefabric.bgp.plugins.module_utils.calico import k8s, manage
from ansible_collections.kubefabric.bgp.plugins.module_utils.common.errors import FabricError
from ansible_collections.kubefabric.bgp.plugins.module_utils.fabric import preflight
from ansible_collections.kubefabric.bgp.plugins.plugin_utils.controller_action import ControllerAction

CONFIG_OPTIONS = [option for option, _field, _kind in manage.CONFIG_FIELDS]


def _scopes(plan, host, data):
    """``[(owner, config)]`` of a planned device: one per owner scope with several clusters on the fabric
    (the plan's ``device_scopes``), else the one of the devices role (``kubefabric_fabric_id``)."""
    scopes = (plan.get("device_scopes") or {}).get(host)
    if scopes:
        return [(scope["owner"], scope["config"]) for scope in scopes]
    return [(data.get("kubefabric_fabric_id") or "default", plan["module_args"]["devices"][host])]


def _devices(plan, wanted, hostvars, state, early, options=None):
    """``(host, platform, session params, config, state, owner, options)`` per device and owner scope to
    check; problems go to ``early``."""
    planned = plan["module_args"].get("devices") or {}
    devices = []
    for host in sorted(planned if wanted is None else wanted):
        if host not in planned:
            continue
        if host not in hostvars:
            early.append(preflight._row(host, "device", FabricError(  # pylint: disable=protected-access
                "the plan has device %s but the inventory has no such host" % host, host=host, field="hosts",
                fix="add the device to the inventory")))
            continue
        data = hostvars[host]
        for owner, config in _scopes(plan, host, data):
            try:
                config = fabric_passwords(config, data.get("bgp_password") or "")
            except AnsibleFilterError as exc:
                early.append(preflight._row(host, "device", FabricError(  # pylint: disable=protected-access
                    str(exc), host=host, field="bgp_password", fix="set bgp_password for %s (vault)" % host)))
                break
            devices.append((host, data.get("platform"), session_params(hostvars, host), config, state, owner,
                            options))
    return devices


class ActionModule(ControllerAction):
    """Read-only: dry runs, access reviews and device reads; fails naming every endpoint that failed."""

    def run_controller(self, args, task_vars, result):
        plan = args.get("plan") or {}
        module_args = plan.get("module_args") if isinstance(plan, dict) else None
        if not module_args:
            return dict(result, failed=True, msg="plan: pass the plan returned by kubefabric.bgp.fabric_plan")
        hostvars = task_vars.get("hostvars", {})
        state = args.get("device_state") or "overridden"
        secret_namespace = args.get("secret_namespace") or "kube-system"
        lock_namespace = args.get("lock_namespace") or "kube-system"
        steps = list(["calico", "verify", "lock"] if args.get("access") is None else args["access"])
        bad = [s for s in steps if s not in preflight.PERMISSIONS]
        if bad:
            return dict(result, failed=True, msg="access: unknown step(s) %s; known: %s"
                        % (", ".join(bad), ", ".join(sorted(preflight.PERMISSIONS))))
        early = []   # input problems found before any connection (still reported with the others)
        calico = None
        if args.get("calico") is None or boolean(args.get("calico")):
            try:
                peers = fabric_passwords(module_args.get("bgp_peers") or [], hostvars)
            except AnsibleFilterError as exc:
                early.append(preflight._row("BGPPeers", "calico", FabricError(  # pylint: disable=protected-access
                    str(exc), host="BGPPeers", field="bgp_password", fix="set bgp_password on that device (vault)")))
                peers = None
            if any(p.get("password") for p in peers or []) and "secrets" not in steps:
                steps.append("secrets")
            configuration = dict((k, v) for k, v in (module_args.get("bgp_configuration") or {}).items()
                                 if k in CONFIG_OPTIONS and v is not None)
            calico = {"nodes": module_args.get("nodes") or [], "peers": peers, "configuration": configuration,
                      "exclusive": boolean(args.get("exclusive", True))}
        options = {"adopt": boolean(args.get("device_adopt") or False),
                   "password_update": args.get("device_password_update") or "on_change"}
        devices = _devices(plan, args.get("devices"), hostvars, state, early, options)
        auth = dict((k, args.get(k)) for k in k8s.AUTH_ARG_SPEC)
        params = dict(auth, api_group=args.get("api_group") or "auto",
                      request_timeout=int(args.get("request_timeout") or 30))

        def connect():
            return k8s.connect(params, check_mode=True)

        outcome = preflight.run(connect, devices=devices, calico=calico, steps=steps,
                                secret_namespace=secret_namespace, lock_namespace=lock_namespace,
                                workers=int(args.get("workers") or 16))
        outcome["rows"] = early + outcome["rows"]
        outcome["failures"] = early + outcome["failures"]
        outcome["ok"] = not outcome["failures"]
        would = outcome["changes"]
        result.update(changed=False, ok=outcome["ok"], rows=outcome["rows"], failures=outcome["failures"],
                      devices=sorted({d[0] for d in devices}), changes=would,
                      would_change=bool(early) or bool(would["calico"]) or any(would["devices"].values()))
        if not outcome["ok"]:
            result.update(failed=True, msg=preflight.failure_message(outcome))
        return result
