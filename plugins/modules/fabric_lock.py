#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: kubefabric.bgp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: fabric_lock
short_description: One run at a time per fabric, with a coordination.k8s.io Lease
version_added: 0.1.0
description:
  - Takes, renews or releases the fabric's lock, a C(coordination.k8s.io/v1) Lease in the cluster. The pattern
    roles and migrations take it right after M(kubefabric.bgp.fabric_preflight), before their first write, renew
    it between phases and release it at the end, also when the run fails.
  - The Lease's C(holderIdentity) names the run (a run id, the controller's host name and the ansible-playbook
    pid). A second run that finds the lock held fails at once, naming the holder, its renew time, when the lock
    expires and the fix; it has changed nothing.
  - A lease not renewed within O(duration) seconds is stale (its run died) and is taken over; so is one whose
    holder ran on this controller and whose process is gone. Writes are optimistic (C(resourceVersion)), so of two
    runs racing for a free lock exactly one gets it.
  - O(state=released) deletes the Lease only when this run holds it.
extends_documentation_fragment:
  - kubefabric.bgp.k8s_auth
  - kubefabric.bgp.controller
options:
  state:
    description:
      - C(acquired) takes the lock (or renews it when this run holds it). C(renewed) renews it and fails when
        this run does not hold it any more. C(released) gives it back.
    type: str
    default: acquired
    choices: [acquired, renewed, released]
  holder:
    description:
      - This run's holder identity, as returned by the first C(acquired). Generated when omitted (C(acquired)
        only); required for C(renewed) and C(released).
    type: str
  name:
    description: Name of the Lease (one per fabric; use another name for another fabric in the same cluster).
    type: str
    default: kubefabric-fabric-lock
  namespace:
    description: Namespace of the Lease.
    type: str
    default: kube-system
  duration:
    description: Seconds the lock stays valid without a renewal (C(leaseDurationSeconds)).
    type: int
    default: 900
attributes:
  check_mode:
    support: full
    description: Reads the lock and reports who holds it; takes, renews and releases nothing (and does not fail).
  action:
    support: full
    description: The action plugin runs on the controller, so that the holder names the ansible-playbook process.
seealso:
  - module: kubefabric.bgp.fabric_preflight
author:
  - kubefabric.bgp contributors (@kubefabric)
"""

EXAMPLES = r"""
- name: Take the fabric lock
  kubefabric.bgp.fabric_lock:
    kubeconfig: "{{ k8s_kubeconfig }}"
  register: fabric_lock

- name: Give it back
  kubefabric.bgp.fabric_lock:
    kubeconfig: "{{ k8s_kubeconfig }}"
    state: released
    holder: "{{ fabric_lock.holder }}"

# A second run at the same time fails with:
# Lease/kube-system/kubefabric-fabric-lock: lock: the fabric is locked by another run: Lease
# kube-system/kubefabric-fabric-lock is held by run 3f2a... on ctl1 (pid 4242) since ... Fix: wait for that
# run to finish ...; if that run is dead, the lock expires at ..., or delete it: kubectl -n kube-system delete
# lease kubefabric-fabric-lock. Nothing was changed by this run
"""

RETURN = r"""
holder:
  description: This run's holder identity (pass it to C(renewed) and C(released)).
  returned: always
  type: str
acquired:
  description: Whether this call took the lock (a renewal is C(false)).
  returned: when O(state) is C(acquired) or C(renewed)
  type: bool
renewed:
  description: Whether this call renewed a lock this run held.
  returned: when O(state) is C(acquired) or C(renewed)
  type: bool
took_over:
  description: The holder of a stale lock this call took over, or null.
  returned: when O(state) is C(acquired)
  type: str
released:
  description: Whether the Lease was deleted.
  returned: when O(state=released)
  type: bool
held_by:
  description: In check mode, the current holder (or null).
  returned: in check mode
  type: str
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.kubefabric.bgp.plugins.module_utils.calico import k8s
from ansible_collections.kubefabric.bgp.plugins.module_utils.fabric import lock
from ansible_collections.kubefabric.bgp.plugins.module_utils.fabric.module import LOCK


def argument_spec():
    spec = k8s.argument_spec()
    spec.update(state=dict(type="str", default="acquired", choices=["acquired", "renewed", "released"]),
                holder=dict(type="str"), name=dict(type="str", default=lock.DEFAULT_NAME),
                namespace=dict(type="str", default=lock.DEFAULT_NAMESPACE),
                duration=dict(type="int", default=lock.DEFAULT_DURATION))
    return spec


def main():
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True,
                           required_if=[("state", "renewed", ["holder"]), ("state", "released", ["holder"])])
    LOCK.run_module(module)


if __name__ == "__main__":
    main()
