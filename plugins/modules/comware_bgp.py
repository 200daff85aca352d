#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: kubefabric.bgp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: comware_bgp
short_description: Manage BGP neighbors and dynamic peers on H3C Comware V7 switches
version_added: 0.1.0
description:
  - A network resource module for the default BGP instance of an H3C (or HPE) Comware V7 switch, over SSH
    with netmiko (device type C(hp_comware)).
  - Reads C(display current-configuration configuration bgp) and parses it with TextFSM templates; writes
    in system-view (C(bgp ASN), C(router-id), C(peer IP as-number N), C(group NAME internal|external),
    C(peer NET LEN group NAME) for dynamic peers of a listen range, C(peer IP password simple PWD), and in
    C(address-family ipv4 unicast) C(peer IP|GROUP enable), C(peer IP reflect-client),
    C(peer IP route-policy NAME import|export)).
  - Lines are sent one at a time and each answer is checked. When the switch rejects a line
    (C(% Unrecognized command...), C(% Wrong parameter...), C(% Incomplete command...)) the push stops,
    the lines this run already sent are rolled back (the configuration is read again and the difference to
    the state before the run is pushed), and the task fails with a message naming the rejected line.
  - After a change the configuration is saved with C(save force) unless O(save=false).
  - Comware shows a BGP password only encrypted (C(password cipher $c$3$...)), so passwords follow
    O(password_update). A value of the form C($c$3$...) is sent as C(password cipher) unchanged.
  - The AS number of a running BGP instance cannot be changed; O(state=deleted) without neighbors or listen
    ranges removes the BGP instance (C(undo bgp)).
author:
  - kubefabric.bgp contributors (@kubefabric)
extends_documentation_fragment:
  - kubefabric.bgp.bgp_config
  - kubefabric.bgp.netmiko_ssh
attributes:
  check_mode:
    support: full
    description: In check mode only C(display) commands are sent; RV(commands) and RV(after) show what would change.
  diff_mode:
    support: full
    description: The diff is the model before and after, without passwords.
  platform:
    platforms: comware
    support: full
    description: H3C/HPE Comware V7 switches over SSH (netmiko C(hp_comware)).
options:
  save:
    description:
      - Save the configuration with C(save force) after a change.
    type: bool
    default: true
requirements:
  - netmiko
  - textfsm
  - ntc-templates
notes:
  - The collection manages every neighbor and dynamic-peer range of the default BGP instance; VPN instances
    are not read or changed.
  - O(config.neighbors[].update_source) is an interface name on Comware (C(LoopBack0)).
  - O(config.listen_ranges[]) with O(config.listen_ranges[].peer_group) creates the group (C(internal) when
    the range's AS is the local AS, else C(external) with C(peer GROUP as-number N)); without it the range
    is configured directly (C(peer NET LEN as-number N)).
  - Any text the device prints in answer to a configuration line is a refusal and rolls the run back,
    except information-center log messages (C(%timestamp sysname MODULE/level/DIGEST) followed by the text)
    that a session with C(terminal monitor) shows between a line and the next prompt.
"""

EXAMPLES = r"""
# Before:
#   <leaf1> display current-configuration configuration bgp
#   #
#   return
- name: Leaf peers with the Calico route reflectors of its rack (seed 001) and accepts the nodes dynamically
  kubefabric.bgp.comware_bgp:
    hostname: 198.18.0.10
    username: admin
    password: "{{ vault_switch_password }}"
    known_hosts_file: ~/.ssh/known_hosts
    config:
      asn: 65001
      router_id: 172.20.0.1
      neighbors:
        - address: 172.20.0.11
          remote_as: 64512
        - address: 172.20.0.12
          remote_as: 64512
      listen_ranges:
        - prefix: 172.20.0.0/24
          remote_as: 64512
          peer_group: calico
    state: merged
# commands:
#   bgp 65001
#    router-id 172.20.0.1
#    peer 172.20.0.11 as-number 64512
#    peer 172.20.0.12 as-number 64512
#    group calico external
#    peer calico as-number 64512
#    peer 172.20.0.0 24 group calico
#    address-family ipv4 unicast
#     peer 172.20.0.11 enable
#     peer 172.20.0.12 enable
#     peer calico enable
#    quit
#   quit
# then: save force

- name: Remove one neighbor
  kubefabric.bgp.comware_bgp:
    hostname: 198.18.0.10
    username: admin
    password: "{{ vault_switch_password }}"
    config:
      neighbors:
        - address: 172.20.0.12
    state: deleted
# commands: [bgp 65001, " undo peer 172.20.0.12", quit]

- name: Commands for a config, offline
  kubefabric.bgp.comware_bgp:
    config:
      asn: 65001
      neighbors: [{address: 10.1.1.2, remote_as: 65000, route_reflector_client: true}]
    state: rendered

- name: Parse a saved configuration, offline
  kubefabric.bgp.comware_bgp:
    running_config: "{{ lookup('file', 'leaf1-bgp.txt') }}"
    state: parsed
"""

RETURN = r"""
before:
  description: The BGP configuration before the task (model form, without passwords).
  returned: when state is merged, replaced, overridden or deleted
  type: dict
  sample: {asn: 65001, router_id: 172.20.0.1, neighbors: [], listen_ranges: []}
after:
  description:
    - The owned BGP configuration read back from the device after the change (predicted in check mode, or
      when nothing changed), without passwords. The task fails naming the fields if the read-back differs
      from what was sent.
  returned: when state is merged, replaced, overridden or deleted
  type: dict
  sample: {asn: 65001, router_id: 172.20.0.1, neighbors: [{address: 172.20.0.11, remote_as: 64512}], listen_ranges: []}
adopted:
  description: Neighbors without an ownership marker that O(adopt=true) took over.
  returned: when a neighbor was adopted
  type: list
  elements: str
  sample: [172.20.0.11]
recovered:
  description:
    - Neighbors a previous run created and lost its session before marking them (push journal); this run
      marked and completed them.
  returned: when a neighbor was recovered
  type: list
  elements: str
  sample: [172.20.0.11]
commands:
  description: The lines sent (or, in check mode, that would be sent) in system-view; passwords masked.
  returned: when state is merged, replaced, overridden or deleted
  type: list
  elements: str
  sample: ["bgp 65001", " peer 172.20.0.11 as-number 64512", " address-family ipv4 unicast", "  peer 172.20.0.11 enable", " quit", "quit"]
saved:
  description: Whether C(save force) ran after the change.
  returned: when state is merged, replaced, overridden or deleted
  type: bool
  sample: true
gathered:
  description: The BGP configuration read from the device.
  returned: when state is gathered
  type: dict
  sample: {asn: 65001, router_id: 172.20.0.1, neighbors: [], listen_ranges: []}
rendered:
  description: The lines for O(config), computed offline.
  returned: when state is rendered
  type: list
  elements: str
  sample: ["bgp 65001", " peer 10.1.1.2 as-number 65000", "quit"]
parsed:
  description: The model read from O(running_config), offline.
  returned: when state is parsed
  type: dict
  sample: {asn: 65001, router_id: 172.20.0.1, neighbors: [], listen_ranges: []}
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.kubefabric.bgp.plugins.module_utils.devices import cli, comware as driver


def main():
    module = AnsibleModule(argument_spec=cli.module_argument_spec(), supports_check_mode=True, **cli.MODULE_RULES)
    driver.run_module(module)


if __name__ == "__main__":
    main()
