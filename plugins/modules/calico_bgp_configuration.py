#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: kubefabric.bgp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: calico_bgp_configuration
short_description: Manage Calico's default and per-node BGPConfiguration
version_added: 0.1.0
description:
  - Sets fields of the C(default) BGPConfiguration or of a per-node C(node.<name>) one.
  - By default only the given options change and every other field is kept, like
    C(calicoctl patch bgpconfiguration default); O(replace=true) makes the spec exactly the given options.
  - Calico's rules are applied before anything is written, with Calico's wording, for both API groups;
    for example nodeToNodeMeshEnabled, asNumber, the service IPs, nodeMeshPassword and nodeMeshMaxRestartTime
    may only be set on C(default).
  - A node-mesh password given in clear is stored in a Secret and referenced (C(nodeMeshPassword.secretKeyRef)).
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
    description: The diff shows the object before and after; Secret values are replaced by a marker.
  platform:
    platforms: kubernetes
    support: full
    description: Talks to the Kubernetes API server from the controller.
options:
  name:
    description: Name of the BGPConfiguration. Ignored when O(node) is given.
    type: str
    default: default
  node:
    description: Manage the per-node configuration C(node.<node>) instead of O(name).
    type: str
  state:
    description: Whether the BGPConfiguration exists.
    type: str
    choices: [present, absent]
    default: present
  replace:
    description: Make the spec exactly the given options instead of changing only them.
    type: bool
    default: false
  as_number:
    description: C(asNumber) - the default AS of all nodes, plain or dotted (C(1.10)). Only on C(default).
    type: str
  node_to_node_mesh_enabled:
    description: C(nodeToNodeMeshEnabled). Only on C(default).
    type: bool
  log_severity_screen:
    description: C(logSeverityScreen) of BIRD/confd.
    type: str
  listen_port:
    description: C(listenPort), 1..65535.
    type: int
  service_cluster_ips:
    description: C(serviceClusterIPs) as CIDRs. Only on C(default).
    type: list
    elements: str
  service_external_ips:
    description: C(serviceExternalIPs) as CIDRs. Only on C(default).
    type: list
    elements: str
  service_load_balancer_ips:
    description: C(serviceLoadBalancerIPs) as CIDRs. Only on C(default).
    type: list
    elements: str
  service_load_balancer_aggregation:
    description: C(serviceLoadBalancerAggregation).
    type: str
    choices: [Enabled, Disabled]
  communities:
    description: C(communities) - named community values.
    type: list
    elements: dict
    suboptions:
      name:
        description: Name used by O(prefix_advertisements).
        type: str
        required: true
      value:
        description: C(aa:nn) or C(aa:nn:mm).
        type: str
        required: true
  prefix_advertisements:
    description: C(prefixAdvertisements) - communities attached to prefixes.
    type: list
    elements: dict
    suboptions:
      cidr:
        description: The prefix.
        type: str
        required: true
      communities:
        description: Community names (from O(communities)) or values.
        type: list
        elements: str
        required: true
  node_mesh_password:
    description:
      - The node-to-node mesh password in clear; stored in a Secret (O(node_mesh_password_secret.name), default
        C(kubefabric-node-mesh-password)) in O(secret_namespace) and referenced. Only on C(default).
    type: str
  node_mesh_password_secret:
    description: C(nodeMeshPassword.secretKeyRef) - an existing Secret holding the mesh password.
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
  node_mesh_max_restart_time:
    description: C(nodeMeshMaxRestartTime), a duration such as C(120s). Only on C(default).
    type: str
  bind_mode:
    description: C(bindMode).
    type: str
    choices: [None, NodeIP]
  ignored_interfaces:
    description: C(ignoredInterfaces) - interface name patterns BIRD ignores.
    type: list
    elements: str
  ipv4_normal_route_priority:
    description: C(ipv4NormalRoutePriority).
    type: int
  ipv6_normal_route_priority:
    description: C(ipv6NormalRoutePriority).
    type: int
  program_cluster_routes:
    description: C(programClusterRoutes).
    type: str
    choices: [Enabled, Disabled]
  local_workload_peering_ipv4:
    description: C(localWorkloadPeeringIPV4).
    type: str
  local_workload_peering_ipv6:
    description: C(localWorkloadPeeringIPV6).
    type: str
  secret_namespace:
    description: Namespace of the mesh password Secret; the namespace calico-node runs in.
    type: str
    default: kube-system
"""

EXAMPLES = r"""
- name: Turn off the full mesh and set the cluster AS (seed "configure BGP peering")
  kubefabric.bgp.calico_bgp_configuration:
    log_severity_screen: Info
    node_to_node_mesh_enabled: false
    as_number: 64513
    service_cluster_ips: [10.96.0.0/24]

- name: Per-node listen port
  kubefabric.bgp.calico_bgp_configuration:
    node: ubuntu-2
    listen_port: 1790
"""

RETURN = r"""
api_group:
  description: The Calico API group used.
  returned: always
  type: str
  sample: projectcalico.org/v3
objects:
  description: Every object considered, with what was done to it.
  returned: always
  type: list
  elements: dict
  sample: [{"kind": "BGPConfiguration", "name": "default", "action": "updated"}]
spec:
  description: The spec the BGPConfiguration has after the run (secrets are references only).
  returned: when state is present
  type: dict
  sample: {"asNumber": 64513, "nodeToNodeMeshEnabled": false}
writes:
  description: Number of write requests sent (dry runs in check mode).
  returned: always
  type: int
  sample: 1
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.kubefabric.bgp.plugins.module_utils.calico import k8s, manage
from ansible_collections.kubefabric.bgp.plugins.module_utils.calico.specs import CONFIG_OPTIONS


def main():
    spec = k8s.argument_spec()
    spec.update(
        name=dict(type="str", default="default"),
        node=dict(type="str"),
        state=dict(type="str", default="present", choices=["present", "absent"]),
        replace=dict(type="bool", default=False),
        **CONFIG_OPTIONS,
        secret_namespace=dict(type="str", default="kube-system", no_log=False),
    )
    module = AnsibleModule(argument_spec=spec, supports_check_mode=True)
    manage.BGP_CONFIGURATION.run_module(module)


if __name__ == "__main__":
    main()
