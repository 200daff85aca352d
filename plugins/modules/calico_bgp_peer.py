#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: kubefabric.bgp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: calico_bgp_peer
short_description: Manage Calico BGPPeer resources through the Kubernetes API
version_added: 0.1.0
description:
  - Creates, updates and deletes Calico C(BGPPeer) objects, with every open-source field.
  - Uses C(projectcalico.org/v3) when the cluster serves it, else the C(crd.projectcalico.org/v1) CRDs; with
    either group the peers are validated by Calico's rules before anything is written, with Calico's wording.
  - A password given in clear is stored in a Secret (labelled C(app.kubernetes.io/managed-by=kubefabric)) in
    O(secret_namespace), and the peer references it. The password never appears in results or diffs.
  - With O(exclusive=true), peers labelled C(app.kubernetes.io/managed-by=kubefabric) that are not listed are deleted.
author:
  - kubefabric.bgp contributors (@kubefabric)
extends_documentation_fragment:
  - kubefabric.bgp.k8s_auth
attributes:
  check_mode:
    support: full
    description: Writes are sent as server-side dry runs; nothing is stored.
  diff_mode:
    support: full
    description: The diff shows each object before and after; Secret values are replaced by a marker.
  platform:
    platforms: kubernetes
    support: full
    description: Talks to the Kubernetes API server from the controller.
options:
  peers:
    description:
      - The BGPPeers to manage.
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: Name of the BGPPeer (a DNS-1123 subdomain).
        type: str
        required: true
      peer_ip:
        description:
          - C(peerIP) - the peer's address, C(IP), C(IPv4:port) or C([IPv6]:port).
          - Cannot be combined with O(peers[].peer_selector).
        type: str
      as_number:
        description:
          - C(asNumber) - the peer's AS, plain (C(64512)) or dotted (C(1.10)). Must be empty with O(peers[].peer_selector).
        type: str
      node:
        description: C(node) - the one Calico node that peers. Cannot be combined with O(peers[].node_selector).
        type: str
      node_selector:
        description: C(nodeSelector) - the Calico nodes that peer, as a Calico selector.
        type: str
      peer_selector:
        description: C(peerSelector) - Calico nodes to peer with, as a Calico selector.
        type: str
      local_workload_selector:
        description: C(localWorkloadSelector) - local workloads to peer with.
        type: str
      password:
        description:
          - The BGP (TCP MD5) password in clear. It is stored in a Secret and referenced from the peer.
          - The Secret is O(peers[].password_secret.name) (default C(kubefabric-bgppeer-<name>)) in O(secret_namespace).
        type: str
      password_secret:
        description: C(password.secretKeyRef) - an existing Secret (in the calico-node namespace) holding the password.
        type: dict
        suboptions:
          name:
            description: Name of the Secret.
            type: str
            required: true
          key:
            description: Key in the Secret.
            type: str
            default: password
      source_address:
        description: C(sourceAddress).
        type: str
        choices: [UseNodeIP, None]
      keep_original_next_hop:
        description: C(keepOriginalNextHop) (deprecated by Calico, use O(peers[].next_hop_mode)).
        type: bool
      next_hop_mode:
        description: C(nextHopMode).
        type: str
        choices: [Auto, Self, Keep]
      max_restart_time:
        description: C(maxRestartTime), a duration such as C(120s).
        type: str
      keepalive_time:
        description: C(keepaliveTime), a duration such as C(30s).
        type: str
      ttl_security:
        description: C(ttlSecurity), the number of hops (0 turns it off).
        type: int
      num_allowed_local_as_numbers:
        description: C(numAllowedLocalASNumbers) (allowas-in).
        type: int
      local_as_number:
        description: C(localASNumber) - the AS this node uses towards this peer, plain or dotted.
        type: str
      reachable_by:
        description: C(reachableBy) - the gateway address through which the peer is reached.
        type: str
      reverse_peering:
        description: C(reversePeering).
        type: str
        choices: [Auto, Manual]
      filters:
        description: C(filters) - names of BGPFilter objects, in order.
        type: list
        elements: str
      labels:
        description: Extra labels for the BGPPeer object.
        type: dict
  state:
    description: Whether the listed peers exist.
    type: str
    choices: [present, absent]
    default: present
  exclusive:
    description:
      - Delete the BGPPeers labelled C(app.kubernetes.io/managed-by=kubefabric) that are not in O(peers), with the
        Secrets the collection made for them. Peers made by others are never touched.
    type: bool
    default: false
  secret_namespace:
    description: Namespace of the password Secrets; the namespace calico-node runs in.
    type: str
    default: kube-system
"""

EXAMPLES = r"""
- name: A global peer and a rack-1 ToR peer (seed "configure BGP peering")
  kubefabric.bgp.calico_bgp_peer:
    kubeconfig: ~/.kube/config
    peers:
      - name: my-global-peer
        peer_ip: 192.20.30.40
        as_number: 64567
      - name: rack1-tor
        peer_ip: 192.20.30.40
        as_number: 64567
        node_selector: rack == 'rack-1'
        password: "{{ vault_tor_password }}"

- name: Route reflectors, and nothing else managed by kubefabric
  kubefabric.bgp.calico_bgp_peer:
    exclusive: true
    peers:
      - name: peer-to-rrs
        node_selector: "!has(calico-route-reflector)"
        peer_selector: has(calico-route-reflector)
      - name: rrs-to-rrs
        node_selector: has(calico-route-reflector)
        peer_selector: has(calico-route-reflector)

- name: Remove a peer
  kubefabric.bgp.calico_bgp_peer:
    state: absent
    peers:
      - name: my-global-peer
"""

RETURN = r"""
api_group:
  description: The Calico API group used.
  returned: always
  type: str
  sample: projectcalico.org/v3
objects:
  description: Every object considered, with what was done to it (created, updated, deleted, unchanged).
  returned: always
  type: list
  elements: dict
  sample: [{"kind": "BGPPeer", "name": "rack1-tor", "action": "created"}]
writes:
  description: Number of write requests sent (dry runs in check mode).
  returned: always
  type: int
  sample: 2
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.kubefabric.bgp.plugins.module_utils.calico import k8s, manage
from ansible_collections.kubefabric.bgp.plugins.module_utils.calico.specs import PEER_OPTIONS


def main():
    spec = k8s.argument_spec()
    spec.update(
        peers=dict(type="list", elements="dict", default=[], options=PEER_OPTIONS),
        state=dict(type="str", default="present", choices=["present", "absent"]),
        exclusive=dict(type="bool", default=False),
        secret_namespace=dict(type="str", default="kube-system", no_log=False),
    )
    module = AnsibleModule(argument_spec=spec, supports_check_mode=True)
    manage.BGP_PEER.run_module(module)


if __name__ == "__main__":
    main()
