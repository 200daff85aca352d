# -*- coding: utf-8 -*-
# Copyright: kubefabric.bgp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: slice_plan
short_description: The part of a workflow's fabric plan that one slice of an AWX sliced job applies
version_added: 0.2.0
description:
  - In an AWX workflow, the plan node (playbook C(kubefabric.bgp.workflow_plan), unsliced) plans the whole fabric
    and passes C(kubefabric_workflow) (plan, every inventory host, lock holder) on with C(set_stats). Each slice of
    the sliced pattern job then keeps, with this filter, exactly the objects it owns; every object has one
    owner, so no two slices write the same Calico object or device.
  - Owners are a node's host for the Calico node, the device host for its configuration, the device whose
    C(bgp_password) a BGPPeer carries, and otherwise the host at C(crc32(name) mod len(hosts)) of the sorted
    inventory host list. The default BGPConfiguration and the removal of stale BGPPeers belong to the
    workflow's last node (C(kubefabric.bgp.workflow_finish)). See docs/awx.md.
  - Fails naming the host when the slice holds a host that the plan node did not see.
options:
  _input:
    description: C(kubefabric_workflow) as the plan node's C(set_stats) passes it.
    type: dict
    required: true
  hosts:
    description: The inventory hosts of this slice (C(groups['all'])).
    type: list
    elements: str
    required: true
  node_names:
    description: Calico node name of each Kubernetes node host of this slice (host -> name).
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: This slice's part of the workflow's plan
  ansible.builtin.set_fact:
    kubefabric_plan: >-
      {{ kubefabric_workflow | kubefabric.bgp.slice_plan(groups['all'],
         dict(groups['k8s_nodes'] | zip(groups['k8s_nodes'] | map('extract', hostvars, 'calico_node_name')))) }}
"""

RETURN = r"""
_value:
  description:
    - A plan of the shape of M(kubefabric.bgp.fabric_plan)'s C(plan) holding only this slice's objects and
      session rows, and C(slice) (C(hosts), C(nodes), C(devices), C(bgp_peers)).
  type: dict
"""

import json

from ansible.errors import AnsibleFilterError

from ansible_collections.kubefabric.bgp.plugins.module_utils.common.errors import FabricError
from ansible_collections.kubefabric.bgp.plugins.module_utils.fabric import slicing


def slice_plan(workflow, hosts, node_names):
    # plain data first: copying Ansible's lazily templated containers element by element costs minutes for a
    # plan of a few hundred kilobytes; one JSON round trip templates every value once
    workflow = json.loads(json.dumps(workflow))
    try:
        return slicing.slice_plan(workflow, list(hosts or []), dict(node_names or {}))
    except FabricError as exc:
        raise AnsibleFilterError(str(exc)) from None


class FilterModule(object):
    """kubefabric.bgp slicing filters."""

    def filters(self):
        return {"slice_plan": slice_plan}
