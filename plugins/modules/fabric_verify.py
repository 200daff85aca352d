#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: kubefabric.bgp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: fabric_verify
short_description: Check that the sessions of a fabric plan are Established and every pod block is routed
version_added: 0.1.0
description:
  - Compares C(plan.sessions) from M(kubefabric.bgp.fabric_plan) with what the nodes report
    (CalicoNodeStatus, read by M(kubefabric.bgp.calico_node_status_info)) and what each device reports
    (M(kubefabric.bgp.bgp_session_info)), and fails with a table naming every missing, down, unexpected
    or wrong-AS session.
  - With O(check_routes) (the default) it also checks the prefixes. Every node's own IPAM blocks (the blackhole
    routes calico-node's BIRD holds for them, reported in CalicoNodeStatus as C(learnedFrom.sourceType=Static)
    inside an IP pool) must be in the forwarding table of every node O(routes_on) checks, learned over BGP
    (C(NodeMesh) or C(BGPPeer)), and among the active BGP routes of every device of the plan.
    Sessions are checked at every node and every device whatever O(routes_on) says.
  - Through its action plugin it gathers both sides itself and repeats until everything matches or
    O(timeout) runs out. A round is ONE LIST of CalicoNodeStatus and one read per device over a connection
    kept for the whole run (opened by the first round, closed at the end). While it waits it prints a
    progress line (C(fabric_verify round N (T s) - E/X session ends Established, P/Q prefixes present, K problem(s),
    routes at W), with a colon after the time; W says where the routes are checked, for example
    C(16 reflector node(s) + 9 device(s))) whenever the counts change and at least every 10 s; it shows in
    C(ansible-playbook) output and in the AWX job output as it happens.
  - The first run against a cluster creates one CalicoNodeStatus per node, named C(kubefabric-verify-<node>),
    labelled C(app.kubernetes.io/managed-by=kubefabric) and C(app.kubernetes.io/component=fabric-verify),
    reporting every O(status_period) seconds, with the classes C(Agent) and C(BGP), and C(Routes) only on the
    nodes whose table O(routes_on) checks (a status with routes holds every prefix of the fabric, about 70 KB
    at 200 nodes, 350 KB at 1,000). Later rounds and runs reuse them and nothing deletes them one by one; a run
    whose O(routes_on) selects other nodes patches the classes of its own objects that differ (no write when
    nothing changed). To remove them all with one request, C(kubectl delete caliconodestatuses -l
    app.kubernetes.io/managed-by=kubefabric,app.kubernetes.io/component=fabric-verify); the next run creates
    them again.
  - In check mode nothing is written at all, neither to the API server nor to a device. The CalicoNodeStatus
    objects that exist are read (the collection's, else anyone's for that node); a node without one is
    reported in RV(not_observed) with the verdict C(not observed), which is not a failure of the fabric.
  - Device connection settings come from
    the device hosts' variables (C(ansible_host), C(platform), C(bgp_device_username),
    C(bgp_device_password), C(bgp_device_port), C(bgp_device_tls), C(bgp_device_validate_certs),
    C(bgp_device_ca_path), C(bgp_device_known_hosts), C(bgp_device_host_key_checking),
    C(bgp_device_ssh_key_file)).
  - Given O(observed_nodes) and O(observed_devices), it only compares (pure, offline).
extends_documentation_fragment:
  - kubefabric.bgp.k8s_auth
options:
  plan:
    description: The C(plan) returned by M(kubefabric.bgp.fabric_plan).
    type: dict
    required: true
  observed_nodes:
    description: The C(nodes) result of M(kubefabric.bgp.calico_node_status_info); gathered when omitted.
    type: dict
  observed_devices:
    description:
      - Per device, the result of M(kubefabric.bgp.bgp_session_info) (or null when it was unreachable);
        gathered when omitted.
    type: dict
  device_group:
    description: Inventory group of the network devices (used when gathering).
    type: str
    default: network_devices
  timeout:
    description: Seconds to wait for the fabric to converge (used when gathering).
    type: int
    default: 120
  interval:
    description:
      - Seconds from the start of one round to the start of the next (used when gathering). With the default
        and O(status_period=1), convergence is reported within about two seconds of the last session coming up.
    type: int
    default: 1
  status_period:
    description:
      - C(updatePeriodSeconds) of the CalicoNodeStatus objects fabric_verify creates (and sets on its own objects
        when they differ, outside check mode). calico-node refreshes their status this often, also after the run;
        raise it, or delete the objects (see above), when that load matters on a large cluster.
    type: int
    default: 1
  check_routes:
    description:
      - Also check that every node's blocks are in every other node's and every device's table.
      - When only comparing, O(observed_nodes) must then hold the C(routes) of each node (CalicoNodeStatus
        class C(Routes)) and each entry of O(observed_devices) the C(routes) of
        M(kubefabric.bgp.bgp_session_info) with O(kubefabric.bgp.bgp_session_info#module:routes=true).
    type: bool
    default: true
  routes_on:
    description:
      - Where the routes are checked (with O(check_routes); O(check_routes=false) is V(none)).
      - V(all) - in the table of every node and every device of the plan (nodes x blocks rows, 41,600 at 200 nodes).
      - V(reflectors) - in the table of every route-reflector node of the plan (a node with a route-reflector
        client among its sessions) and of every device. Every pod block must have reached every route reflector
        and every device; the other nodes' statuses carry no routes. The blocks of the nodes not read are the pool
        prefixes the checked endpoints learned (the origin node shown is the one whose address is the gateway).
        In a pattern without route-reflector nodes (V(full_mesh), V(tor) with its nodes peering the ToR) it checks
        the devices only; with neither reflectors nor devices, V(auto) takes V(all).
      - V(devices) - in the BGP table of every device only.
      - V(none) - no route check (sessions only).
      - V(auto) - V(all) up to 50 nodes, else V(reflectors) (V(all) when the plan has neither route-reflector
        nodes nor devices). The result's RV(routes_on) says what was chosen.
    type: str
    choices: [auto, all, reflectors, devices, none]
    default: auto
  pools:
    description:
      - The IP pool CIDRs whose blocks are checked. When gathering, the IPPools of the cluster are read if this
        is omitted; when only comparing and omitted, a block is a static route that one node reports and no
        other node does (a service CIDR is static on every node).
    type: list
    elements: str
  expect:
    description:
      - JMESPath checks on the result (C(rows), C(problems), C(established), C(expected), C(route_problems),
        C(prefixes_present), C(prefixes_expected), C(blocks)).
    type: raw
attributes:
  check_mode:
    support: full
    description: Only reads; nothing is written, not even the CalicoNodeStatus objects a normal run creates.
  diff_mode:
    support: none
    description: Only reads, nothing to diff.
  platform:
    platforms: controller
    support: full
    description: Runs on the controller; the action plugin reads both sides from there.
  action:
    support: full
    description: The action plugin gathers CalicoNodeStatus and every device's sessions until they match.
author:
  - kubefabric.bgp contributors (@kubefabric)
"""

EXAMPLES = r"""
- name: Wait until every planned session is Established on both sides
  kubefabric.bgp.fabric_verify:
    plan: "{{ fabric.plan }}"
    kubeconfig: "{{ k8s_kubeconfig }}"
    timeout: 180

- name: Only compare what was observed before (offline; leaf1_state from bgp_session_info with routes=true)
  kubefabric.bgp.fabric_verify:
    plan: "{{ fabric.plan }}"
    observed_nodes: "{{ status.nodes }}"
    observed_devices: {leaf1: "{{ leaf1_state }}"}

- name: Sessions only
  kubefabric.bgp.fabric_verify:
    plan: "{{ fabric.plan }}"
    check_routes: false
    expect: "established == expected"

- name: A large fabric - every pod block in every route reflector's and device's table (the default above 50 nodes)
  kubefabric.bgp.fabric_verify:
    plan: "{{ fabric.plan }}"
    routes_on: reflectors

- name: Every planned session and every pod block, and at least 12 prefixes checked
  kubefabric.bgp.fabric_verify:
    plan: "{{ fabric.plan }}"
    expect: "prefixes_present >= `12`"
"""

RETURN = r"""
ok:
  description: Whether every expected session is Established and nothing unexpected exists.
  returned: always
  type: bool
rows:
  description: One row per session, C({endpoint, peer_address, peer_name, expected, observed, verdict}).
  returned: always
  type: list
  elements: dict
problems:
  description: The rows whose verdict is not C(ok) (missing, not established, unexpected, wrong AS).
  returned: always
  type: list
  elements: dict
table:
  description: The rows as a text table.
  returned: always
  type: str
established:
  description: Expected sessions found Established.
  returned: always
  type: int
expected:
  description: Expected session ends (a session between two endpoints counts at each end).
  returned: always
  type: int
route_problems:
  description:
    - With O(check_routes), one row per missing prefix, C({endpoint, prefix, origin, observed, verdict}); C(origin)
      is the node whose block it is. An endpoint that reported no routes at all has one row with prefix C(-).
  returned: when O(check_routes)
  type: list
  elements: dict
blocks:
  description:
    - With O(check_routes), each node's own blocks, as observed. The blocks of nodes whose table is not read
      are listed under the node the route's gateway belongs to, or C(?) when it is no node of the plan.
  returned: when O(check_routes)
  type: dict
  sample: {ubuntu-1: [192.168.10.0/26]}
routes_on:
  description: Where the routes were checked (O(routes_on) resolved; V(none) without a route check).
  returned: always
  type: str
  sample: reflectors
routes_checked_at:
  description: With O(check_routes), the nodes and devices whose tables were checked.
  returned: when O(check_routes)
  type: list
  elements: str
routes_where:
  description: With O(check_routes), the same in words, as the progress lines show it.
  returned: when O(check_routes)
  type: str
  sample: 16 reflector node(s) + 9 device(s)
converged_at:
  description:
    - Epoch seconds (controller clock) at which the round that saw the fabric match the plan ended; null when it
      did not converge.
  returned: when gathering
  type: float
prefixes_expected:
  description: With O(check_routes), the number of (endpoint, prefix) pairs checked.
  returned: when O(check_routes)
  type: int
prefixes_present:
  description: With O(check_routes), the pairs found.
  returned: when O(check_routes)
  type: int
elapsed:
  description: Seconds the action plugin waited (0 when only comparing).
  returned: always
  type: float
not_observed:
  description:
    - Nodes that could not be observed (check mode, no CalicoNodeStatus to read, or one that does not report
      C(Routes) when O(check_routes)); their rows have the verdict C(not observed) and are not problems.
  returned: always
  type: list
  elements: str
rounds:
  description: Rounds the action plugin ran.
  returned: when gathering
  type: int
status_objects_created:
  description: CalicoNodeStatus objects this run created (empty on later runs and in check mode).
  returned: when gathering
  type: list
  elements: str
  sample: [kubefabric-verify-ubuntu-1]
status_objects_updated:
  description: Own CalicoNodeStatus objects whose classes or period this run changed.
  returned: when gathering
  type: list
  elements: str
device_connections:
  description: Connections opened to the devices (one per device and run unless a read failed).
  returned: when gathering
  type: int
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.kubefabric.bgp.plugins.module_utils.calico.k8s import argument_spec as k8s_spec
from ansible_collections.kubefabric.bgp.plugins.module_utils.common.errors import FabricError, fail_module
from ansible_collections.kubefabric.bgp.plugins.module_utils.fabric.verify import ROUTES_ON, verify_result


def argument_spec():
    spec = k8s_spec()
    spec.update(plan=dict(type="dict", required=True), observed_nodes=dict(type="dict"),
                observed_devices=dict(type="dict"), device_group=dict(type="str", default="network_devices"),
                timeout=dict(type="int", default=120), interval=dict(type="int", default=1),
                status_period=dict(type="int", default=1),
                check_routes=dict(type="bool", default=True),
                routes_on=dict(type="str", default="auto", choices=list(ROUTES_ON)),
                pools=dict(type="list", elements="str"),
                expect=dict(type="raw"))
    return spec


def main():
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    if module.params["observed_nodes"] is None or module.params["observed_devices"] is None:
        module.fail_json(msg="observed_nodes and observed_devices are required when the module runs without "
                             "its action plugin (call it as kubefabric.bgp.fabric_verify)")
    try:
        result = verify_result(module.params["plan"], module.params["observed_nodes"],
                               module.params["observed_devices"], module.params["expect"],
                               check_routes=module.params["check_routes"], pools=module.params["pools"],
                               routes_on=module.params["routes_on"])
    except FabricError as exc:
        fail_module(module, exc)
    if not result["ok"]:
        module.fail_json(msg="the fabric does not match the plan:\n" + result["table"], **result)
    module.exit_json(changed=False, **result)


if __name__ == "__main__":
    main()
