#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: kubefabric.bgp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: calico_peering_info
short_description: Predict, offline, the BGP sessions calico-node configures on every node
version_added: 0.1.0
description:
  - Computes from Calico resources (C(BGPConfiguration), C(BGPPeer), C(Node) in the projectcalico.org/v3 shape or
    core/v1 Nodes, C(IPPool), C(BGPFilter), and C(Secret) objects for passwords) the BGP sessions that calico-node
    renders into BIRD on each node, the way Calico's confd does (node-to-node mesh, global and node-specific peers,
    peer and node selectors, reverse peerings, route reflectors leaving the mesh, self-peer skipping).
  - Returns per node the rows of C(calicoctl node status) (peer address and type, with local and peer AS and
    whether the peer is a route-reflector client), the number of distinct sessions, and the table text.
  - Talks to no cluster; the resources come from O(resources) or a YAML file O(src).
author:
  - kubefabric.bgp contributors (@kubefabric)
attributes:
  check_mode:
    support: full
    description: The module only computes.
  diff_mode:
    support: none
    description: Nothing to diff.
  platform:
    platforms: posix
    support: full
    description: Runs where the module runs; reads O(src) there.
options:
  resources:
    description:
      - Calico resources as a list of dicts (apiVersion, kind, metadata, spec), in the order they are applied.
      - Exactly one of O(resources) and O(src) is required.
    type: list
    elements: dict
  src:
    description:
      - A multi-document YAML file of resources, as C(calicoctl apply -f) takes it.
    type: path
  node:
    description:
      - Only return this node.
    type: str
  calico_version:
    description:
      - V(head) follows current Calico. V(v3.31) reproduces the template-based computation of Calico up to v3.31
        (a mesh peer without its own AS gets the global AS; mesh export is always internal).
    type: str
    choices: [head, v3.31]
    default: head
  order:
    description:
      - Row order. V(apply) predicts the order BIRD lists sessions when the resources were applied one after
        the other in the given order (a session is listed when the last resource it depends on arrives, sessions
        arriving together in name order). V(config) is configuration order (by protocol name), what a freshly
        started BIRD shows.
    type: str
    choices: [apply, config]
    default: apply
  secrets:
    description:
      - BGP password secrets by name, each a dict of key to value, as if they were Secrets in O(namespace). Only
        used to tell whether a password is found (C(sessions[].password_set)); values are never returned.
      - Secret objects in O(resources) work too, but module arguments other than this one are not hidden from
        logs.
    type: dict
  namespace:
    description:
      - Namespace of the calico-node pods, where BGP password secrets are read from.
    type: str
    default: kube-system
  expect:
    description:
      - JMESPath expectations evaluated against the result (see the C(kubefabric.bgp.query) filter); the module
        fails when one does not hold. One expression, or a list of expressions or C({query, equals, msg}) dicts.
    type: raw
notes:
  - "The PEER ADDRESS column keeps calicoctl's quirk: a peer with a port shows as C(10.192.0.1.port.150).
    The plain address and port are in C(neighbor) and C(port)."
  - Local workload peers (C(localWorkloadSelector)) are not listed, as C(calicoctl node status) does not list them.
  - Password values are never returned; C(sessions[].password_set) says whether the secret was found.
seealso:
  - module: kubefabric.bgp.calico_node_status_info
"""

EXAMPLES = r"""
- name: Seed 004, predicted before anything is applied
  kubefabric.bgp.calico_peering_info:
    resources:
      - {apiVersion: projectcalico.org/v3, kind: Node, metadata: {name: ubuntu-1},
         spec: {bgp: {ipv4Address: 172.16.30.101/24}}}
      - {apiVersion: projectcalico.org/v3, kind: Node,
         metadata: {name: ubuntu-2, labels: {rack: rack-1, route-reflector: "true"}},
         spec: {bgp: {ipv4Address: 172.16.30.102/24, routeReflectorClusterID: 244.0.0.1}}}
      - {apiVersion: projectcalico.org/v3, kind: Node, metadata: {name: ubuntu-3},
         spec: {bgp: {ipv4Address: 172.16.30.103/24}}}
      - {apiVersion: projectcalico.org/v3, kind: BGPPeer, metadata: {name: rack1-tor},
         spec: {peerIP: 172.16.30.254, asNumber: 64513, nodeSelector: "rack == 'rack-1'"}}
      - {apiVersion: projectcalico.org/v3, kind: BGPPeer, metadata: {name: peer-with-route-reflectors},
         spec: {nodeSelector: all(), peerSelector: "route-reflector == 'true'"}}
      - {apiVersion: projectcalico.org/v3, kind: BGPConfiguration, metadata: {name: default},
         spec: {nodeToNodeMeshEnabled: false, asNumber: 64513}}
    expect:
      - query: sessions_total
        equals: 3
      - query: "nodes.\"ubuntu-2\"[].peer_address"
        equals: [172.16.30.101, 172.16.30.103, 172.16.30.254]
  register: plan

- name: From the file given to calicoctl apply -f
  kubefabric.bgp.calico_peering_info:
    src: /srv/calico/bgp.yaml
    node: ubuntu-2

- name: Print what calicoctl node status will show on ubuntu-2
  ansible.builtin.debug:
    msg: "{{ plan.table['ubuntu-2'] }}"
"""

RETURN = r"""
nodes:
  description: Per node name, the rows of C(calicoctl node status) in its order (IPv4 rows, then IPv6 rows).
  returned: success
  type: dict
  sample:
    ubuntu-2:
      - {peer_address: 172.16.30.101, peer_type: node specific, local_as: 64513, peer_as: 64513, rr_client: true,
         ip_version: 4, neighbor: 172.16.30.101, port: null, protocol: Node_172_16_30_101, ibgp: true,
         passive: false}
sessions_total:
  description: Distinct BGP sessions; a session between two nodes counts once.
  returned: success
  type: int
  sample: 3
table:
  description: Per node name, the text C(calicoctl node status) prints (State, Since and Info left empty).
  returned: success
  type: dict
sessions:
  description:
    - Per node name, every session with all the attributes calico-node gives BIRD (source address, ttl security,
      passive, graceful restart, keepalive, next hop, allow local as, rr cluster id, password reference, ...).
  returned: success
  type: dict
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.kubefabric.bgp.plugins.module_utils.calico import manage, peering, status


def main():
    module = AnsibleModule(
        argument_spec=dict(
            resources=dict(type="list", elements="dict"),
            src=dict(type="path"),
            node=dict(type="str"),
            calico_version=dict(type="str", default="head", choices=list(peering.VERSIONS)),
            order=dict(type="str", default="apply", choices=list(status.ORDERS)),
            secrets=dict(type="dict", no_log=True),
            namespace=dict(type="str", default=peering.DEFAULT_NAMESPACE),
            expect=dict(type="raw"),
        ),
        required_one_of=[("resources", "src")],
        mutually_exclusive=[("resources", "src")],
        supports_check_mode=True,
    )
    manage.PEERING_INFO.run_module(module)


if __name__ == "__main__":
    main()
