#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: kubefabric.bgp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: calico_node_status_info
short_description: BGP session state of Calico nodes, as calicoctl node status shows it
version_added: 0.1.0
description:
  - Creates (or reuses) a C(CalicoNodeStatus) object for each named node, waits up to O(timeout) seconds for
    calico-node to fill in its status, and returns per node the rows of C(calicoctl node status) (peer address,
    peer type, state, since, info) and the BGP counts.
  - Removes the objects it created unless O(keep=true). Objects that already existed are only read, and only
    when their C(classes) include every one of O(classes) (in check mode, any object of the node is read).
  - Calico recommends CalicoNodeStatus for debugging and for clusters of fewer than about 10 nodes.
author:
  - kubefabric.bgp contributors (@kubefabric)
extends_documentation_fragment:
  - kubefabric.bgp.k8s_auth
attributes:
  check_mode:
    support: full
    description: In check mode nothing is created; existing CalicoNodeStatus objects are read.
  diff_mode:
    support: none
    description: Nothing to diff.
  platform:
    platforms: kubernetes
    support: full
    description: Talks to the Kubernetes API server from the controller.
options:
  nodes:
    description: Names of the Calico (Kubernetes) nodes.
    type: list
    elements: str
    required: true
  timeout:
    description: Seconds to wait for the status of all nodes.
    type: int
    default: 60
  keep:
    description: Keep the CalicoNodeStatus objects this run created.
    type: bool
    default: false
  classes:
    description: The C(classes) of new CalicoNodeStatus objects.
    type: list
    elements: str
    choices: [Agent, BGP, Routes]
    default: [Agent, BGP, Routes]
  update_period_seconds:
    description: C(updatePeriodSeconds) of new CalicoNodeStatus objects.
    type: int
    default: 10
  name_prefix:
    description: Prefix of the names of new CalicoNodeStatus objects (the node name follows).
    type: str
    default: kubefabric-
  expect:
    description:
      - JMESPath expectations evaluated against the result (see the C(kubefabric.bgp.query) filter); the module
        fails when one does not hold. One expression, or a list of expressions or C({query, equals, msg}) dicts.
    type: raw
"""

EXAMPLES = r"""
- name: Sessions of ubuntu-1 (seed 004 expects one node-specific peer, Established)
  kubefabric.bgp.calico_node_status_info:
    nodes: [ubuntu-1, ubuntu-2]
    timeout: 60
    expect:
      - query: "nodes.\"ubuntu-1\".ipv4[?info=='Established'] | length(@)"
        equals: 1
  register: status
"""

RETURN = r"""
nodes:
  description: Per node, the rows of calicoctl node status per family, the BGP counts, agent and routes.
  returned: always
  type: dict
  sample:
    ubuntu-1:
      ipv4:
        - {peer_address: 172.16.30.102, peer_type: node specific, state: up, since: "09:36:15", info: Established}
      ipv6: []
      counts: {established_v4: 1, not_established_v4: 0, established_v6: 0, not_established_v6: 0}
      agent: {}
      routes: {}
      last_updated: "2026-01-01T09:36:15Z"
status_objects:
  description: The CalicoNodeStatus object used for each node.
  returned: always
  type: dict
  sample: {ubuntu-1: kubefabric-ubuntu-1}
created:
  description: CalicoNodeStatus objects this run created.
  returned: always
  type: list
  elements: str
  sample: [kubefabric-ubuntu-1]
removed:
  description: CalicoNodeStatus objects this run deleted again (all of RV(created) unless O(keep)).
  returned: always
  type: list
  elements: str
  sample: [kubefabric-ubuntu-1]
timed_out:
  description: Nodes whose status did not arrive within O(timeout).
  returned: always
  type: list
  elements: str
  sample: []
missing:
  description: Nodes without a CalicoNodeStatus (in check mode, when none existed).
  returned: always
  type: list
  elements: str
  sample: []
api_group:
  description: The Calico API group used.
  returned: always
  type: str
  sample: projectcalico.org/v3
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.kubefabric.bgp.plugins.module_utils.calico import k8s, manage


def main():
    spec = k8s.argument_spec()
    spec.update(
        nodes=dict(type="list", elements="str", required=True),
        timeout=dict(type="int", default=60),
        keep=dict(type="bool", default=False),
        classes=dict(type="list", elements="str", choices=["Agent", "BGP", "Routes"],
                     default=["Agent", "BGP", "Routes"]),
        update_period_seconds=dict(type="int", default=10),
        name_prefix=dict(type="str", default="kubefabric-"),
        expect=dict(type="raw"),
    )
    module = AnsibleModule(argument_spec=spec, supports_check_mode=True)
    manage.NODE_STATUS_INFO.run_module(module)


if __name__ == "__main__":
    main()
