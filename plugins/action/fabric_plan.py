# -*- coding: utf-8 -*-
# Copyright: kubefabric.bgp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin for kubefabric.bgp.fabric_plan: read nodes and devices from the inventory."""

from __future__ import annotations

import hashlib
import hmac
import os

from ansible_collections.kubefabric.bgp.plugins.module_utils.common.errors import FabricError
from ansible_collections.kubefabric.bgp.plugins.module_utils.fabric import clusters as clusters_plan
from ansible_collections.kubefabric.bgp.plugins.module_utils.fabric import schema
from ansible_collections.kubefabric.bgp.plugins.module_utils.fabric.module import (
    DEVICE_VARS, NODE_VARS, OPTION_VARS)
from ansible_collections.kubefabric.bgp.plugins.plugin_utils.controller_action import ControllerAction


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


# planner options read per cluster (the rest of OPTION_VARS is fabric-wide: pattern, the variable checks)
FABRIC_WIDE_OPTIONS = ("pattern", "unknown_variables", "extra_variables")


def _cluster_groups(hostvars, name):
    """``{cluster: [node hosts]}``: the child groups of the group ``name`` (docs/multi_cluster.md).

    Ansible gives a task the groups' hosts but not their children: they are read from the inventory
    behind ``hostvars`` (the HostVars object every task gets)."""
    inventory = getattr(hostvars, "_inventory", None)
    groups = getattr(inventory, "groups", None) or {}
    parent = groups.get(name)
    if parent is None:
        return {}
    # a cluster group without hosts only carries variables (e.g. the lab's per-cluster kubeconfig of a
    # cluster that another inventory source of the run describes): it is no cluster of this run
    clusters = {child.name: sorted(h.name for h in child.get_hosts()) for child in parent.child_groups}
    return {name: hosts for name, hosts in clusters.items() if hosts}


def _cluster_options(hostvars, cluster, hosts, templar):
    """A cluster's planner options: its group vars, as every one of its nodes sees them (they must agree)."""
    options = {}
    for option, var in OPTION_VARS.items():
        if option in FABRIC_WIDE_OPTIONS:
            continue
        values = {}
        for host in hosts:
            value = hostvars[host].get(var)
            values[host] = templar.template(value) if value is not None else None
        first = values[hosts[0]]
        for host in hosts[1:]:
            if values[host] != first:
                raise FabricError("nodes %s and %s of cluster %s have different values of %s"
                                  % (hosts[0], host, cluster, var),
                                  host=host, field=var,
                                  fix="set %s once, in the group vars of cluster %s (not per node)" % (var, cluster))
        options[option] = first
    return options


def _names(variables):
    """The variable names of the collection's namespace (names only: values may be secrets)."""
    return sorted(name for name in variables if schema.owned(str(name)))


class ActionModule(ControllerAction):
    """Fill nodes/devices and unset options from the inventory, then run the module locally."""

    def run_controller(self, args, task_vars, result):
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
            cluster_group = args.get("cluster_group") or task_vars.get("kubefabric_cluster_group") or \
                "kubefabric_clusters"
            clusters = _cluster_groups(hostvars, cluster_group) if args.get("clusters") is None else {}
            if clusters:  # several clusters on one fabric
                node_group = args.get("node_group") or "k8s_nodes"
                in_node_group = set(groups.get(node_group, []))
                clusters_plan.check_nodes_once(clusters)
                args["clusters"] = {}
                for cluster, hosts in sorted(clusters.items()):
                    for host in hosts:
                        if host not in in_node_group:
                            raise FabricError("node %s of cluster %s is not in the node group %s"
                                              % (host, cluster, node_group),
                                              host=host, field=node_group,
                                              fix="list the cluster groups as children of %s" % node_group)
                    args["clusters"][cluster] = {
                        "options": _cluster_options(hostvars, cluster, hosts, self._templar),
                        "nodes": {h: _host_vars(hostvars, h, NODE_VARS) for h in hosts}}
                in_clusters = {h for hosts in clusters.values() for h in hosts}
                for host in sorted(in_node_group - in_clusters):
                    raise FabricError("node %s is in no cluster of %s" % (host, cluster_group), host=host,
                                      field=cluster_group, fix="add the node to the group of its cluster")
                args["cluster_group"] = cluster_group
                if args.get("fabric_id") is None and task_vars.get("kubefabric_fabric_id") is not None:
                    args["fabric_id"] = str(self._templar.template(task_vars["kubefabric_fabric_id"]))
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
