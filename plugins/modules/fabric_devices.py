#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: kubefabric.bgp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: fabric_devices
short_description: Configure every planned network device at once, from the controller
version_added: 0.1.0
description:
  - Applies the planned BGP configuration of every device of a M(kubefabric.bgp.fabric_plan) plan at the same time,
    one thread per device on the controller, whatever Ansible's forks. The pattern roles use it by default
    (C(kubefabric_device_push=controller); C(forks) keeps one Ansible fork per device through the
    C(kubefabric.bgp.devices) role).
  - Each device goes through the same code as M(kubefabric.bgp.routeros_bgp), M(kubefabric.bgp.comware_bgp) and
    M(kubefabric.bgp.frr_bgp) (read, validate, plan, push, read back, save) with the same ownership rules, and its
    row in RV(devices) is what that module would return. The drivers are imported once for all devices and no
    module payload is started per device, which is where most of the time of a fork per device went
    (docs/performance.md).
  - Connection settings and C(bgp_password) come from each device host's inventory variables, as for
    M(kubefabric.bgp.fabric_verify) (C(ansible_host), C(ansible_user), C(bgp_device_fast_cli), ...; unset
    credentials from the environment). No secret is passed as a task argument or shown in a result or diff.
  - A device that fails does not stop the others; the task fails naming every device that failed (host, field, fix).
    A missing device host or C(bgp_password) fails the task before any device is contacted.
author:
  - kubefabric.bgp contributors (@kubefabric)
options:
  plan:
    description: The C(plan) returned by M(kubefabric.bgp.fabric_plan).
    type: dict
    required: true
  devices:
    description: The device hosts to configure; all devices of the plan when omitted.
    type: list
    elements: str
  state:
    description: The resource-module state of every device.
    type: str
    default: overridden
    choices: [merged, replaced, overridden]
  adopt:
    description: Take over neighbors at planned addresses without an ownership marker (as the device modules' C(adopt)).
    type: bool
    default: false
  password_update:
    description: When a neighbor's password is sent (as the device modules' C(password_update)).
    type: str
    default: on_change
    choices: [on_change, on_create, always]
  save:
    description: Save the configuration after a change (Comware C(save force), FRR C(write memory)).
    type: bool
    default: true
  workers:
    description: Threads (devices configured at the same time).
    type: int
    default: 32
attributes:
  check_mode:
    support: full
    description: Each device is read and planned; nothing is sent but C(show) commands.
  diff_mode:
    support: full
    description: One diff per changed device and owner scope, the model before and after, without passwords.
  action:
    support: full
    description: The action plugin reads the devices' inventory variables and configures them in parallel.
  platform:
    platforms: controller
    support: full
    description: Runs on the controller and connects to each device (RouterOS API, SSH).
notes:
  - The module needs its action plugin (call it as C(kubefabric.bgp.fabric_devices)).
seealso:
  - module: kubefabric.bgp.fabric_plan
  - module: kubefabric.bgp.fabric_preflight
"""

EXAMPLES = r"""
- name: Every device of the plan at once
  kubefabric.bgp.fabric_devices:
    plan: "{{ fabric.plan }}"
  run_once: true
  delegate_to: localhost
"""

RETURN = r"""
devices:
  description:
    - One row per device and owner scope, C({host, owner, changed, commands, before, after, saved, ...}) as the
      device's module returns it, or C({host, owner, failed, msg, error}); C(seconds) is how long that device
      and scope took (connect, read, push, read back, save).
  returned: always
  type: list
  elements: dict
  sample: [{"host": "leaf1", "owner": "default", "changed": true, "seconds": 1.42, "commands": ["router bgp 65001", "exit"]}]
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.kubefabric.bgp.plugins.module_utils.fabric.module import DEVICES


def main():
    module = AnsibleModule(argument_spec=dict(
        plan=dict(type="dict", required=True), devices=dict(type="list", elements="str"),
        state=dict(type="str", default="overridden", choices=["merged", "replaced", "overridden"]),
        adopt=dict(type="bool", default=False),
        password_update=dict(type="str", default="on_change", choices=["on_change", "on_create", "always"]),
        save=dict(type="bool", default=True), workers=dict(type="int", default=32)), supports_check_mode=True)
    DEVICES.run_module(module)


if __name__ == "__main__":
    main()
