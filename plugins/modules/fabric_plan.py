#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: kubefabric.bgp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: fabric_plan
short_description: Plan both sides of a Calico/network BGP fabric and the sessions that will exist
version_added: 0.1.0
description:
  - Offline and pure, it connects to nothing. It validates the whole fabric first and fails, naming the host,
    the field and the fix, before anything is planned.
  - Returns C(plan.calico) (BGPConfiguration, BGPPeers, per-node BGP settings and labels),
    C(plan.devices) (per device the platform-neutral BGP configuration for
    M(kubefabric.bgp.routeros_bgp), M(kubefabric.bgp.comware_bgp) or M(kubefabric.bgp.frr_bgp)),
    C(plan.sessions) (the expected session table of every node and device) and a Graphviz diagram.
  - The node-side sessions are computed by the same Calico peering engine as
    M(kubefabric.bgp.calico_peering_info), so they are what C(calicoctl node status) will show.
  - Through its action plugin, nodes and devices are read from the inventory groups O(node_group)
    and O(device_group) unless O(nodes) and O(devices) are given.
options:
  pattern:
    description:
      - C(full_mesh) keeps the node-to-node mesh and can add global peers.
      - C(route_reflector) makes the nodes with C(route_reflector=true) in-cluster route reflectors (seed 002).
      - C(rr_per_leaf) gives every rack (leaf) an AS of its own, two route reflectors per rack peering
        eBGP with their leaf, clients iBGP to their route reflectors, leaves eBGP to the spines (seed 001).
      - C(tor) peers the nodes (or only the route reflectors) of each rack with the rack's ToR (seeds 000, 004).
      - Defaults to the C(fabric_pattern) variable.
    type: str
    choices: [full_mesh, route_reflector, rr_per_leaf, tor]
  calico_asn:
    description:
      - The cluster's default AS (BGPConfiguration C(asNumber)); C(calico_asn) variable.
      - An integer or quoted text (plain or asdot C(X.Y)); a YAML float (an unquoted C(65000.10)) is refused
        with the fix "quote it", as are AS 0 and AS_TRANS 23456. See docs/fabric-plan.md, "Inventory schema".
    type: raw
  racks:
    description:
      - Per rack C(asn), C(cluster_id) and C(allow_local_as); the C(fabric_racks) variable.
    type: dict
  route_reflector_cluster_id:
    description: Cluster ID of in-cluster route reflectors when no rack or node sets one (IPv4).
    type: raw
  pod_cidr:
    description:
      - The pod IPPool (C(pod_cidr) variable, default Calico's C(192.168.0.0/16)); service ranges inside it
        are refused.
    type: str
  inventory_pattern:
    description:
      - The inventory's own C(fabric_pattern) (filled by the action plugin), when O(pattern) plans another one
        (a migration plans C(full_mesh) from a route-reflector inventory). C(route_reflector=true) on a node is
        refused only when this is C(full_mesh). Defaults to O(pattern).
    type: str
  variables:
    description:
      - Names (never values) of the variables each host (and C(all)) has in the collection's namespace;
        unknown ones are refused with the nearest known name (C(bgp_pasword) - did you mean C(bgp_password)?).
      - Filled by the action plugin from the inventory when omitted.
    type: dict
  unknown_variables:
    description:
      - What an unknown variable of the collection's namespace is (C(kubefabric_unknown_variables) variable).
        Default C(error).
    type: str
    choices: [error, warn, ignore]
  extra_variables:
    description:
      - Names in the collection's namespace that belong to something else (C(kubefabric_extra_variables)).
    type: list
    elements: str
  route_reflector_label:
    description: The label that marks route reflectors (C(rr-id) for rr_per_leaf, else C(route-reflector)).
    type: str
  tor_peering:
    description: With C(tor), whether all nodes or only the route reflectors of a rack peer with its ToR.
    type: str
    choices: [all_nodes, route_reflectors]
  service_cluster_ips:
    description: Service cluster IP CIDRs to advertise (a list; no overlaps, none inside O(pod_cidr)).
    type: raw
  service_external_ips:
    description: Service external IP CIDRs to advertise (a list; no overlaps, none inside O(pod_cidr)).
    type: raw
  global_peers:
    description: Devices that peer with every node (global BGPPeers), for C(full_mesh); each a device of O(devices).
    type: raw
  dynamic_neighbors:
    description:
      - Devices use listen ranges (one per node subnet) instead of one neighbor per node; a device's own
        C(dynamic_neighbors) host variable overrides this.
      - The device still reports each dynamic peer with the node's address, so C(plan.sessions.devices)
        still lists one session per node in a listen range (peer address and name of the node, remote AS
        of the node), exactly as without this option.
      - A listen range carries no BGP password and no route-reflector-client flag, so a device with a
        C(bgp_password), or whose nodes would be its route-reflector clients (iBGP, C(tor_peering=all_nodes)),
        fails planning with dynamic neighbors instead of accepting the sessions without them.
    type: bool
    default: false
  secret_namespace:
    description: Namespace of calico-node, where BGP password Secrets live.
    type: str
    default: kube-system
  nodes:
    description:
      - Kubernetes nodes by inventory name, each with C(bgp_ipv4_address) (address/prefix), C(rack),
        C(route_reflector), optional C(bgp_asn), C(route_reflector_cluster_id), C(calico_labels),
        C(calico_node_name).
      - Filled from O(node_group) by the action plugin when omitted.
    type: dict
  devices:
    description:
      - Network devices by inventory name, each with C(platform) (routeros, comware, frr), C(fabric_role)
        (tor, leaf, spine, router), C(bgp_asn), C(router_id), C(racks) (rack to peering address),
        C(uplinks) (list of C(peer), C(address), C(peer_address)), C(bgp_password), C(ansible_host).
      - Filled from O(device_group) by the action plugin when omitted. The action plugin checks each
        C(bgp_password) on the controller (length and characters per platform) and passes the module a
        fingerprint instead (the two ends of an uplink must have the same password).
    type: dict
  clusters:
    description:
      - Several clusters on one fabric (docs/multi_cluster.md), cluster name ->
        C({options, nodes}) (C(options) the planner options of that cluster, C(nodes) its nodes as in
        O(nodes)). Every cluster is planned and the whole fabric checked across clusters; the plan holds
        C(clusters), the merged C(devices), C(device_scopes) and C(sessions).
      - The action plugin fills it from the child groups of O(cluster_group) when that group has any;
        otherwise the inventory is one cluster, as before.
    type: dict
  cluster_group:
    description: Inventory group whose child groups are the clusters (C(kubefabric_cluster_group)).
    type: str
    default: kubefabric_clusters
  fabric_id:
    description:
      - The fabric's owner scope (C(kubefabric_fabric_id)); with several clusters the owner of a
        cluster's device neighbours is C(<fabric_id>.<cluster>).
    type: str
    default: default
  node_group:
    description: Inventory group of the Kubernetes nodes.
    type: str
    default: k8s_nodes
  device_group:
    description: Inventory group of the network devices.
    type: str
    default: network_devices
  expect:
    description:
      - JMESPath checks on the result (C(plan), C(sessions_total)); the task fails listing what does not hold.
      - One expression (must be true), or a list of expressions or C({query, equals}) items.
    type: raw
  node_overrides:
    description:
      - 'Node variables that replace the inventory''s for this plan only, node inventory name -> C({variable: value})
        (the node variables of O(nodes), for example C(bgp_asn)) - the plan of the fabric as a change will leave it,
        validated in full before the change is made. M(kubefabric.bgp.fabric_plan) writes nothing, so nothing of the
        inventory or the fabric changes.'
      - With several clusters the node's variables change in its cluster too. A name that is not a node, or a
        variable the plan does not read, fails naming both.
    type: dict
attributes:
  check_mode:
    support: full
    description: Pure; runs the same in check mode.
  diff_mode:
    support: none
    description: Nothing is changed, so there is nothing to diff.
  platform:
    platforms: controller
    support: full
    description: Runs on the controller; set C(ansible_python_interpreter) for localhost.
  action:
    support: full
    description: The action plugin reads nodes and devices from the inventory groups.
author:
  - kubefabric.bgp contributors (@kubefabric)
"""

EXAMPLES = r"""
- name: Plan the fabric of the inventory (run once, on the controller)
  kubefabric.bgp.fabric_plan:
    expect:
      - "length(plan.warnings) == `0`"
  register: fabric
  run_once: true
  delegate_to: localhost

- name: Show what node1 will peer with
  ansible.builtin.debug:
    msg: "{{ fabric.plan | kubefabric.bgp.query('sessions.nodes.node1[].[peer_address, peer_type]') }}"

- name: Would node1 in AS 64600 be a valid fabric? (what-if; fails naming host, field and fix if not)
  kubefabric.bgp.fabric_plan:
    node_overrides:
      node1:
        bgp_asn: 64600
  run_once: true
  delegate_to: localhost
"""

RETURN = r"""
plan:
  description:
    - The plan (C(calico), C(devices), C(sessions), C(warnings), C(dot)). Passwords are not included.
    - C(warnings) lists planning warnings, for example a rack with a single route reflector.
    - Several clusters (O(clusters)) add C(clusters) (each cluster's plan with its C(owner) and C(hosts)),
      C(device_scopes) (per device one config per owner scope) and a C(cluster) on every session row
      and device neighbour.
  returned: success
  type: dict
sessions_total:
  description: Distinct BGP sessions (node-node, node-device and device-device), each counted once.
  returned: success
  type: int
  sample: 12
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.kubefabric.bgp.plugins.module_utils.fabric.module import PLAN, argument_spec


def main():
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    PLAN.run_module(module)


if __name__ == "__main__":
    main()
