# -*- coding: utf-8 -*-
# Copyright: kubefabric.bgp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: migration_missing
short_description: The planned node sessions that are not yet Established
version_added: 0.1.0
description:
  - Compares the target's C(plan.sessions.nodes) with what M(kubefabric.bgp.calico_node_status_info)
    observed, and returns the rows that are not Established yet. The migration roles wait until this
    list is empty before they turn the node-to-node mesh off.
  - The same file provides C(migration_missing_routes) (for each node of the target, the IPAM blocks of the other
    nodes it has not learned from a given route source yet, C(BGPPeer) by default, read from the C(routes) of
    CalicoNodeStatus; arguments C(status), C(source_types), C(exclude_nodes)), C(migration_table) (the rows of
    either as text tables), C(migration_route_reflectors)
    (the nodes a plan makes route reflectors), C(migration_unset_rr) (C(calico_node) items that take
    the cluster ID and RR label away), C(migration_as_steps) (the order of an AS change), C(migration_as_targets),
    C(migration_node_asn) and C(migration_rack_asn) (helpers of the AS change role).
options:
  _input:
    description: C(plan.sessions.nodes) of the target plan.
    type: dict
    required: true
  status:
    description: C(nodes) of M(kubefabric.bgp.calico_node_status_info).
    type: dict
    required: true
  peer_types:
    description: Only rows of these peer types (for example C(node specific)).
    type: list
    elements: str
  exclude_nodes:
    description: Skip the sessions of and to these nodes.
    type: list
    elements: str
"""

EXAMPLES = r"""
- name: Sessions of the target that are missing
  ansible.builtin.debug:
    msg: "{{ plan.sessions.nodes | kubefabric.bgp.migration_missing(status.nodes) | kubefabric.bgp.migration_table }}"
"""

RETURN = r"""
_value:
  description: Rows C({node, peer_address, peer_name, peer_type, observed}).
  type: list
  elements: dict
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.kubefabric.bgp.plugins.module_utils.common.errors import FabricError
from ansible_collections.kubefabric.bgp.plugins.module_utils.fabric import migrate


def migration_missing(expected, status, peer_types=None, exclude_nodes=None):
    try:
        return migrate.missing_sessions(expected, status, peer_types, exclude_nodes)
    except FabricError as exc:
        raise AnsibleFilterError(str(exc))


def migration_missing_routes(expected, status, source_types=None, exclude_nodes=None):
    try:
        return migrate.missing_routes(expected, status, source_types or ("BGPPeer",), exclude_nodes)
    except FabricError as exc:
        raise AnsibleFilterError(str(exc))


def migration_table(rows):
    return migrate.missing_table(list(rows or []))


def migration_route_reflectors(module_args):
    return migrate.route_reflectors(module_args)


def migration_unset_rr(module_args, label=None):
    return migrate.unset_route_reflectors(module_args, label)


def migration_as_steps(targets, hostvars, nodes=None):
    try:
        return migrate.as_steps(targets, hostvars, nodes)
    except FabricError as exc:
        raise AnsibleFilterError(str(exc))


def migration_as_targets(module_args, new):
    try:
        return migrate.global_as_targets(module_args, new)
    except FabricError as exc:
        raise AnsibleFilterError(str(exc))


def migration_node_asn(node):
    return migrate.node_asn_item(node)


def migration_rack_asn(spec, old, new):
    return migrate.rack_asn(spec, old, new)


class FilterModule(object):
    """kubefabric.bgp migration filters."""

    def filters(self):
        return {"migration_missing": migration_missing, "migration_table": migration_table,
                "migration_missing_routes": migration_missing_routes,
                "migration_route_reflectors": migration_route_reflectors,
                "migration_unset_rr": migration_unset_rr, "migration_as_steps": migration_as_steps,
                "migration_as_targets": migration_as_targets,
                "migration_node_asn": migration_node_asn, "migration_rack_asn": migration_rack_asn}
