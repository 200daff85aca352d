#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: kubefabric.bgp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: fabric_preflight
short_description: Check every endpoint of a run before its first write, in parallel, changing nothing
version_added: 0.1.0
description:
  - Runs before anything is changed on either side (the pattern roles and the migrations call it right after
    M(kubefabric.bgp.fabric_plan)), and fails naming B(every) endpoint that failed, each with host, field and
    fix. It changes nothing, in check mode or not.
  - B(Calico objects) - every write of the run is sent as a server-side dry run (C(dryRun=All)), so the API
    server applies its own validation to each Node patch (AS number, labels, cluster ID), BGPPeer (and its
    password Secret) and the default BGPConfiguration, planned by the same code as
    M(kubefabric.bgp.calico_node), M(kubefabric.bgp.calico_bgp_peer) and M(kubefabric.bgp.calico_bgp_configuration).
  - B(Kubernetes credentials) - one SelfSubjectAccessReview per verb and resource the run needs (O(access)).
    The rights are the ones of C(docs/rbac/kubefabric-controller.yaml).
  - B(Devices) - every device of the plan is reached, logged into and read with its driver, and its planned
    configuration is validated and planned in check mode (what M(kubefabric.bgp.routeros_bgp),
    M(kubefabric.bgp.comware_bgp) or M(kubefabric.bgp.frr_bgp) would do, without the write). An unreachable
    device, a wrong password, a changed SSH host key or a neighbor the device refuses fails here.
  - All checks run at the same time in a thread pool on the controller (the action plugin), one connection per
    device; the Kubernetes checks use their own connections. Device connection settings come from the device
    hosts' variables, as for M(kubefabric.bgp.fabric_verify).
extends_documentation_fragment:
  - kubefabric.bgp.k8s_auth
  - kubefabric.bgp.controller
options:
  plan:
    description: The C(plan) returned by M(kubefabric.bgp.fabric_plan) (the target of the run).
    type: dict
    required: true
  devices:
    description: The device hosts to check; all devices of the plan when omitted.
    type: list
    elements: str
  device_state:
    description: The C(state) the devices role will use (what is planned in check mode).
    type: str
    default: overridden
    choices: [merged, replaced, overridden]
  device_adopt:
    description: The C(adopt) the devices role will use (M(kubefabric.bgp.frr_bgp) and the others).
    type: bool
    default: false
  device_password_update:
    description: The C(password_update) the devices role will use.
    type: str
    default: on_change
    choices: [on_change, on_create, always]
  calico:
    description: Dry-run the Calico objects of the plan.
    type: bool
    default: true
  exclusive:
    description: Whether the run removes BGPPeers managed by kubefabric that the plan does not have.
    type: bool
    default: true
  access:
    description:
      - The steps whose Kubernetes rights are checked with SelfSubjectAccessReview. C(calico) (Nodes, BGPPeers,
        BGPConfiguration), C(secrets) (BGP password Secrets, added when a planned BGPPeer has a password),
        C(verify) (CalicoNodeStatus, IPPools), C(lock) (the Lease of M(kubefabric.bgp.fabric_lock)),
        C(drain) (pods, evictions, cordon; the migrations).
    type: list
    elements: str
    default: [calico, verify, lock]
  secret_namespace:
    description: Namespace of the BGP password Secrets.
    type: str
    default: kube-system
  lock_namespace:
    description: Namespace of the lock Lease.
    type: str
    default: kube-system
  workers:
    description: Threads (devices checked at the same time).
    type: int
    default: 16
attributes:
  check_mode:
    support: full
    description: Only reads and dry runs, in check mode as in a normal run.
  action:
    support: full
    description: The action plugin reads the devices' inventory variables and runs every check in parallel.
notes:
  - The module needs its action plugin (call it as C(kubefabric.bgp.fabric_preflight)).
seealso:
  - module: kubefabric.bgp.fabric_lock
  - module: kubefabric.bgp.fabric_plan
author:
  - kubefabric.bgp contributors (@kubefabric)
"""

EXAMPLES = r"""
- name: Everything the run needs, before its first write
  kubefabric.bgp.fabric_preflight:
    plan: "{{ fabric.plan }}"
    kubeconfig: "{{ k8s_kubeconfig }}"

# A failure names every endpoint, e.g.:
# pre-flight failed for 2 endpoint(s); nothing was changed on any side:
# - leaf2: hostname: cannot connect to 198.18.77.6:22 ... Fix: check that the device is up ...
# - BGPConfiguration/default: ... serviceClusterIPs[0].cidr: Invalid value ... Fix: ...
"""

RETURN = r"""
ok:
  description: Whether every check passed.
  returned: always
  type: bool
rows:
  description: One row per check, C({endpoint, kind, ok, error, message}); C(kind) is C(device), C(calico) or C(kubernetes).
  returned: always
  type: list
  elements: dict
failures:
  description: The rows that failed (one per endpoint), each with C(error) C({host, field, fix, message}).
  returned: always
  type: list
  elements: dict
devices:
  description: The devices checked.
  returned: always
  type: list
  elements: str
changes:
  description:
    - What the run would change - C(calico), the number of Calico writes (server-side dry runs that passed), and
      C(devices), the number of commands per device (planned in check mode with O(device_state), O(device_adopt)
      and O(device_password_update)).
    - The pattern roles take the fabric lock and run the writing tasks only when something would change.
  returned: always
  type: dict
  sample: {"calico": 0, "devices": {"leaf1": 0, "spine1": 3}}
would_change:
  description: Whether any count of RV(changes) is above 0 (or an input problem was found).
  returned: always
  type: bool
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.kubefabric.bgp.plugins.module_utils.calico.k8s import argument_spec as k8s_spec
from ansible_collections.kubefabric.bgp.plugins.module_utils.fabric.module import PREFLIGHT


def argument_spec():
    spec = k8s_spec()
    spec.update(plan=dict(type="dict", required=True), devices=dict(type="list", elements="str"),
                device_state=dict(type="str", default="overridden", choices=["merged", "replaced", "overridden"]),
                device_adopt=dict(type="bool", default=False),
                device_password_update=dict(type="str", default="on_change",
                                            choices=["on_change", "on_create", "always"]),
                calico=dict(type="bool", default=True), exclusive=dict(type="bool", default=True),
                access=dict(type="list", elements="str", default=["calico", "verify", "lock"]),
                secret_namespace=dict(type="str", default="kube-system", no_log=False),
                lock_namespace=dict(type="str", default="kube-system"), workers=dict(type="int", default=16))
    return spec


def main():
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    PREFLIGHT.run_module(module)


if __name__ == "__main__":
    main()
