# -*- coding: utf-8 -*-
# Copyright: kubefabric.bgp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import functools

# Every filter of this file is documented in plugins/filter/<filter name>.yml.

from ansible.errors import AnsibleFilterError

from ansible_collections.kubefabric.bgp.plugins.module_utils.common.errors import FabricError
from ansible_collections.kubefabric.bgp.plugins.module_utils.fabric import migrate


def _fabric_errors(func):
    """The filter ``func`` with a FabricError (host, field, fix) raised as Ansible's filter error."""
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except FabricError as exc:
            raise AnsibleFilterError(str(exc))
    return wrapper


@_fabric_errors
def migration_missing(expected, status, peer_types=None, exclude_nodes=None):
    return migrate.missing_sessions(expected, status, peer_types, exclude_nodes)


@_fabric_errors
def migration_missing_routes(expected, status, source_types=None, exclude_nodes=None):
    return migrate.missing_routes(expected, status, source_types or ("BGPPeer",), exclude_nodes)


def migration_table(rows):
    return migrate.missing_table(list(rows or []))


def migration_route_reflectors(module_args):
    return migrate.route_reflectors(module_args)


def migration_unset_rr(module_args, label=None):
    return migrate.unset_route_reflectors(module_args, label)


@_fabric_errors
def migration_as_steps(targets, hostvars, nodes=None, cluster=None):
    return migrate.as_steps(targets, hostvars, nodes, cluster or None)


def migration_as_overrides(targets, hostvars, nodes=None):
    return migrate.as_overrides(targets, hostvars, nodes)


@_fabric_errors
def migration_as_targets(module_args, new):
    return migrate.global_as_targets(module_args, new)


def migration_node_asn(node):
    return migrate.node_asn_item(node)


def migration_rack_asn(spec, old, new):
    return migrate.rack_asn(spec, old, new)


@_fabric_errors
def migration_cluster_plan(plan, cluster=None):
    return migrate.cluster_plan(plan, cluster or None)


@_fabric_errors
def migration_target(plan):
    return migrate.target_of(plan)


@_fabric_errors
def migration_unsliced(workflow_defined, migration):
    migrate.refuse_sliced(bool(workflow_defined), migration)
    return True


@_fabric_errors
def migration_as_scope(plan, nodes, fabric_id=None):
    return migrate.as_scope(plan, nodes, fabric_id)


@_fabric_errors
def migration_cluster_auth(plan, hostvars):
    return migrate.cluster_auth(plan, hostvars)


class FilterModule(object):
    """kubefabric.bgp migration filters."""

    def filters(self):
        return {"migration_missing": migration_missing, "migration_table": migration_table,
                "migration_missing_routes": migration_missing_routes,
                "migration_route_reflectors": migration_route_reflectors,
                "migration_unset_rr": migration_unset_rr, "migration_as_steps": migration_as_steps,
                "migration_as_targets": migration_as_targets, "migration_as_overrides": migration_as_overrides,
                "migration_node_asn": migration_node_asn, "migration_rack_asn": migration_rack_asn,
                "migration_cluster_plan": migration_cluster_plan, "migration_target": migration_target,
                "migration_unsliced": migration_unsliced, "migration_cluster_auth": migration_cluster_auth,
                "migration_as_scope": migration_as_scope}
