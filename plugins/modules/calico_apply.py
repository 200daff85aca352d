#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: kubefabric.bgp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: calico_apply
short_description: Apply BGPPeers, node settings and the default BGPConfiguration in one run (one render of BIRD)
version_added: 0.1.0
description:
  - The cluster side of a fabric in one task - what M(kubefabric.bgp.calico_bgp_peer),
    M(kubefabric.bgp.calico_node) and M(kubefabric.bgp.calico_bgp_configuration) do, with the same options per
    entry, the same validation, check mode, diff and results, but in one run.
  - Everything is read once and validated (offline by Calico's rules, then by the served API group) B(before the
    first write); then the writes go back to back in the order BGPPeers, nodes, BGPConfiguration. Every write makes
    calico-node re-render BIRD on the nodes it concerns; written in one burst, each node's BIRD is rendered once
    instead of once per task, so the two ends of a new session do not start several times and collide
    (docs/performance.md).
  - Why this order - the pattern's peers select nodes by the labels the nodes get in the same run, so on a cluster
    without those labels the peers change nothing yet; the nodes' labels and AS numbers then bring up every planned
    session; the BGPConfiguration comes last, as it may turn the node-to-node mesh off only after every node has its
    planned sessions.
  - Only C(state=present) - to remove peers or node settings use the single-object modules.
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
      - The BGPPeers, each entry with the suboptions of O(kubefabric.bgp.calico_bgp_peer#module:peers) (checked against
        the same spec; a clear C(password) is stored in a Secret and never shown).
      - Omitted - the BGPPeers are left alone (also with O(exclusive=true)).
    type: list
    elements: dict
  nodes:
    description:
      - The nodes' BGP settings and Calico labels, each entry with the suboptions of
        O(kubefabric.bgp.calico_node#module:nodes). An option left out is not changed.
    type: list
    elements: dict
  bgp_configuration:
    description:
      - The default BGPConfiguration, with the options of M(kubefabric.bgp.calico_bgp_configuration) that set its
        spec (C(as_number), C(node_to_node_mesh_enabled), C(log_severity_screen), C(service_cluster_ips), ...);
        C(name) may be given and must be C(default). Only the given fields change.
      - Omitted - the BGPConfiguration is left alone.
    type: dict
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
- name: The cluster side of a ToR fabric in one burst
  kubefabric.bgp.calico_apply:
    exclusive: true
    peers:
      - name: rack1-tor
        peer_ip: 10.0.1.1
        as_number: 65001
        node_selector: rack == 'rack1'
        password: "{{ vault_tor_password }}"
    nodes:
      - name: node-1
        as_number: 64601
        labels:
          rack: rack1
    bgp_configuration:
      as_number: 64512
      node_to_node_mesh_enabled: false
"""

RETURN = r"""
api_group:
  description: The Calico API group used.
  returned: always
  type: str
  sample: projectcalico.org/v3
objects:
  description: Every object considered, in the order written, with what was done to it.
  returned: always
  type: list
  elements: dict
  sample: [{"kind": "BGPPeer", "name": "rack1-tor", "action": "created"}, {"kind": "Node", "name": "node-1",
            "action": "updated"}, {"kind": "BGPConfiguration", "name": "default", "action": "unchanged"}]
bgp_configuration:
  description: The spec the default BGPConfiguration has after the run (secrets are references only).
  returned: when O(bgp_configuration) is given
  type: dict
  sample: {"asNumber": 64512, "nodeToNodeMeshEnabled": false}
writes:
  description: Number of write requests sent (dry runs in check mode).
  returned: always
  type: int
  sample: 2
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.kubefabric.bgp.plugins.module_utils.calico import k8s, manage, specs


def main():
    spec = k8s.argument_spec()
    spec.update(
        peers=dict(type="list", elements="dict"),
        nodes=dict(type="list", elements="dict"),
        bgp_configuration=dict(type="dict"),
        exclusive=dict(type="bool", default=False),
        secret_namespace=dict(type="str", default="kube-system", no_log=False),
    )
    module = AnsibleModule(argument_spec=spec, supports_check_mode=True)
    specs.validate_entries(module)
    manage.APPLY.run_module(module)


if __name__ == "__main__":
    main()
