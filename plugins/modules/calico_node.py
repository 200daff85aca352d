#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: kubefabric.bgp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: calico_node
short_description: Set the BGP settings and Calico labels of Kubernetes nodes
version_added: 0.1.0
description:
  - Sets a node's Calico BGP settings (AS number, IPv4/IPv6 address, route reflector cluster ID) and Calico
    labels where Calico keeps them in the Kubernetes datastore - the C(projectcalico.org/*) annotations and the
    labels of the core/v1 C(Node) - like C(calicoctl patch node) does.
  - Many nodes in one call - one LIST of the nodes and one PATCH per node that changes.
  - Values are checked by Calico's rules before anything is written.
author:
  - kubefabric.bgp contributors (@kubefabric)
extends_documentation_fragment:
  - kubefabric.bgp.k8s_auth
attributes:
  check_mode:
    support: full
    description: Patches are sent as server-side dry runs; nothing is stored.
  diff_mode:
    support: full
    description: The diff shows each changed Node before and after.
  platform:
    platforms: kubernetes
    support: full
    description: Talks to the Kubernetes API server from the controller.
options:
  nodes:
    description:
      - The nodes and their settings. An option left out is not changed.
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description: The Kubernetes node name.
        type: str
        required: true
      as_number:
        description: C(spec.bgp.asNumber), plain or dotted. An empty string removes it.
        type: str
      ipv4_address:
        description: C(spec.bgp.ipv4Address), an IPv4 address with prefix length. An empty string removes it.
        type: str
      ipv6_address:
        description: C(spec.bgp.ipv6Address), an IPv6 address with prefix length. An empty string removes it.
        type: str
      route_reflector_cluster_id:
        description: C(spec.bgp.routeReflectorClusterID), an IPv4 address. An empty string removes it.
        type: str
      labels:
        description: Calico labels of the node. A null value removes the label.
        type: dict
  state:
    description:
      - V(present) sets the given values.
      - V(absent) removes the given settings and labels (their values do not matter); a node given with its
        name only loses its whole BGP spec.
    type: str
    choices: [present, absent]
    default: present
"""

EXAMPLES = r"""
- name: Make ubuntu-2 a route reflector and give node-1 its own AS (seeds 000/002/004)
  kubefabric.bgp.calico_node:
    nodes:
      - name: ubuntu-2
        route_reflector_cluster_id: 244.0.0.1
        labels:
          route-reflector: "true"
      - name: node-1
        as_number: 64514

- name: Stop being a route reflector
  kubefabric.bgp.calico_node:
    state: absent
    nodes:
      - name: ubuntu-2
        route_reflector_cluster_id: ""
        labels:
          route-reflector:
"""

RETURN = r"""
objects:
  description: Every node considered, with what was done to it (updated, unchanged).
  returned: always
  type: list
  elements: dict
  sample: [{"kind": "Node", "name": "ubuntu-2", "action": "updated"}]
api_group:
  description: Always null; Calico nodes live in the core/v1 Node.
  returned: always
  type: str
  sample: null
writes:
  description: Number of PATCH requests sent (dry runs in check mode).
  returned: always
  type: int
  sample: 1
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.kubefabric.bgp.plugins.module_utils.calico import k8s, manage
from ansible_collections.kubefabric.bgp.plugins.module_utils.calico.specs import NODE_OPTIONS


def main():
    spec = k8s.argument_spec()
    spec.update(
        nodes=dict(type="list", elements="dict", required=True, options=NODE_OPTIONS),
        state=dict(type="str", default="present", choices=["present", "absent"]),
    )
    module = AnsibleModule(argument_spec=spec, supports_check_mode=True)
    manage.NODE.run_module(module)


if __name__ == "__main__":
    main()
