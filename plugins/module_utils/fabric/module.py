# -*- coding: utf-8 -*-
# Copyright: kubefabric.bgp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fabric family's module edge: ``PLAN``, ``LOCK`` and ``PREFLIGHT``, each with ``run_module(module)``.

fabric_plan's argument spec and body live here too (its action plugin reads the variable names).
"""

from __future__ import annotations

import copy

from ansible.module_utils.basic import missing_required_lib

from ..calico import k8s
from ..common.errors import FabricError, fail_module
from ..common.query import check_expectations
from . import clusters, lock, patterns, schema
from .plan import OPTION_VARS, build_plan

# NODE_VARS / DEVICE_VARS: what the action plugin passes per host (schema.py checks them)
NODE_VARS = tuple(v.name for v in schema.VARIABLES if v.level in ("node", "node/device")) + (
    "route_reflector_cluster_id",)
DEVICE_VARS = tuple(v.name for v in schema.VARIABLES if v.level in ("device", "node/device")) + ("ansible_host",)


def argument_spec():
    return dict(
        pattern=dict(type="str", choices=list(patterns.NAMES)),
        calico_asn=dict(type="raw"),
        racks=dict(type="dict"),
        route_reflector_cluster_id=dict(type="raw"),
        pod_cidr=dict(type="str"),
        inventory_pattern=dict(type="str"),
        variables=dict(type="dict"),
        unknown_variables=dict(type="str", choices=["error", "warn", "ignore"]),
        extra_variables=dict(type="list", elements="str"),
        route_reflector_label=dict(type="str"),
        tor_peering=dict(type="str", choices=["all_nodes", "route_reflectors"]),
        service_cluster_ips=dict(type="raw"),
        service_external_ips=dict(type="raw"),
        global_peers=dict(type="raw"),
        dynamic_neighbors=dict(type="bool", default=False),
        secret_namespace=dict(type="str", default="kube-system", no_log=False),
        nodes=dict(type="dict"),
        devices=dict(type="dict"),
        clusters=dict(type="dict"),
        cluster_group=dict(type="str", default="kubefabric_clusters"),
        fabric_id=dict(type="str", default="default"),
        node_group=dict(type="str", default="k8s_nodes"),
        device_group=dict(type="str", default="network_devices"),
        expect=dict(type="raw"),
        node_overrides=dict(type="dict"),
    )


def apply_node_overrides(params):
    """``node_overrides`` (node inventory name -> {variable: value}) laid over the nodes' variables, in
    ``nodes`` and in the cluster that holds the node: the plan of the fabric as a change will leave it,
    before the change is made (change_as checks its target this way before its first write)."""
    overrides = params.get("node_overrides") or {}
    if not overrides:
        return params
    params = dict(params, nodes={h: dict(v) for h, v in (params.get("nodes") or {}).items()})
    if params.get("clusters"):
        params["clusters"] = {name: dict(c, nodes={h: dict(v) for h, v in (c.get("nodes") or {}).items()})
                              for name, c in params["clusters"].items()}
    for host, values in sorted(overrides.items()):
        holders = [params["nodes"]] + [c["nodes"] for c in (params.get("clusters") or {}).values()]
        holders = [nodes for nodes in holders if host in nodes]
        if not holders:
            raise FabricError("%s is not a node of the inventory" % host, host=host, field="node_overrides",
                              fix="name nodes of the node group (%s) in node_overrides" % params.get("node_group"))
        if not isinstance(values, dict):
            raise FabricError("the overrides of %s are not a mapping" % host, host=host,
                              field="node_overrides.%s" % host, fix="give {variable: value}, e.g. {bgp_asn: 64600}")
        for key in sorted(values):
            if key not in NODE_VARS:
                raise FabricError("%s is not a node variable the plan reads" % key, host=host,
                                  field="node_overrides.%s.%s" % (host, key),
                                  fix="override one of: %s" % ", ".join(sorted(NODE_VARS)))
        for nodes in holders:
            nodes[host].update(values)
    return params


def _redact(plan):
    """The plan without secrets: device neighbor passwords become a marker."""
    plan = copy.deepcopy(plan)
    for config in [d["config"] for d in plan["devices"].values()] + list(plan["module_args"]["devices"].values()):
        for neighbor in config["neighbors"]:
            if neighbor.get("password"):
                neighbor["password"] = None
                neighbor["password_from_inventory"] = True
    return plan


def plan_result(params, check_mode=False):
    """fabric_plan: the redacted :class:`~.plan.FabricPlan` and the session count (pure: same in check mode)."""
    if not params.get("pattern"):
        raise FabricError("no pattern", field="fabric_pattern",
                          fix="set fabric_pattern (or the pattern option) to %s or %s"
                              % (", ".join(patterns.NAMES[:-1]), patterns.NAMES[-1]))
    if params.get("nodes") is None:
        raise FabricError("no nodes", field="nodes", fix="pass nodes, or run the module through its action "
                          "plugin so that it reads the inventory group node_group")
    params = apply_node_overrides(params)
    fabric = {key: params.get(key) for key in OPTION_VARS}
    fabric.update(nodes=params["nodes"], devices=params.get("devices") or {}, variables=params.get("variables"),
                  inventory_pattern=params.get("inventory_pattern"),
                  dynamic_neighbors=params.get("dynamic_neighbors"), secret_namespace=params.get("secret_namespace"))
    if params.get("clusters"):  # several clusters on one fabric (docs/multi_cluster.md)
        fabric = dict(fabric, clusters=params["clusters"], fabric_id=params.get("fabric_id"))
        plan = clusters.build_fabric_plan(fabric)
        result = {"plan": clusters.redact(plan, _redact), "sessions_total": plan["sessions"]["total"]}
    else:
        plan = build_plan(fabric)
        result = {"plan": _redact(plan), "sessions_total": plan["sessions"]["total"]}
    failures = check_expectations(result, params.get("expect"))
    if failures:
        raise FabricError("expectations not met: %s" % "; ".join(failures), field="expect",
                          fix="compare the plan with what you expected (the result holds the whole plan)",
                          details={"plan": result["plan"]})
    return result


def _hide_device_passwords(module):
    """A device's bgp_password sits inside the devices dict, which is not a no_log option: mask it in
    everything returned (invocation.module_args included)."""
    for device in (module.params.get("devices") or {}).values():
        if isinstance(device, dict) and device.get("bgp_password") not in (None, ""):
            module.no_log_values.add(str(device["bgp_password"]))


class FabricModule:
    """The edge of one fabric_* module: ``run_module(module)`` does everything after ``AnsibleModule``.

    ``body(params, check_mode)`` returns the result; a FabricError becomes ``fail_json`` with the
    structured error and its details; ``warnings`` of the result (or of its plan) are shown.  A module
    that only works through its action plugin has ``action_only``: the message it fails with otherwise.
    """

    def __init__(self, body=None, needs_kubernetes=False, prepare=None, action_only=None):
        self.body, self.needs_kubernetes, self.prepare, self.action_only = body, needs_kubernetes, prepare, action_only

    def run_module(self, module):
        if self.action_only:
            module.fail_json(msg=self.action_only)
            return
        if self.needs_kubernetes and not k8s.HAS_KUBERNETES:
            module.fail_json(msg=missing_required_lib("kubernetes"), exception=str(k8s.KUBERNETES_IMPORT_ERROR))
            return
        if self.prepare:
            self.prepare(module)
        result, error = None, None
        try:
            result = self.body(module.params, check_mode=module.check_mode)
        except FabricError as exc:
            error = exc
        if error is not None:
            fail_module(module, error, **error.details)  # outside the except block: no traceback attached
            return
        for warning in (result.get("plan") or {}).get("warnings") or ():
            module.warn(warning)
        module.exit_json(**dict({"changed": False}, **result))


PLAN = FabricModule(plan_result, prepare=_hide_device_passwords)
LOCK = FabricModule(lock.run, needs_kubernetes=True)
PREFLIGHT = FabricModule(action_only="kubefabric.bgp.fabric_preflight runs through its action plugin: call it by "
                                     "that name in a play (it needs the inventory's device variables)")
DEVICES = FabricModule(action_only="kubefabric.bgp.fabric_devices runs through its action plugin: call it by "
                                   "that name in a play (it needs the inventory's device variables)")
