#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: kubefabric.bgp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: frr_bgp
short_description: Manage BGP neighbors and listen ranges on FRR-based switches through vtysh
version_added: 0.1.0
description:
  - A network resource module for the default-VRF C(router bgp) of an FRR router or switch (plain FRR,
    SONiC, Cumulus; anything with vtysh), over SSH with netmiko.
  - The SSH user's login shell must be C(vtysh) (netmiko device type C(cisco_ios) drives it with
    C(terminal length 0), C(configure terminal) ... C(end), C(write memory)).
  - Reads C(show running-config bgpd) (TextFSM template) and writes C(router bgp ASN),
    C(bgp router-id), C(neighbor IP remote-as N), C(neighbor GROUP peer-group),
    C(bgp listen range PREFIX peer-group GROUP), C(neighbor IP password PWD),
    C(neighbor IP route-reflector-client), C(neighbor IP route-map NAME in|out) and the other model fields.
  - All lines of a run go through one C(configure terminal) session and each answer is checked. When vtysh
    rejects a line (C(% Unknown command), C(% Invalid input), C(% Specify remote-as or peer-group commands
    first)...) the push stops, the lines already taken are rolled back (the configuration is read again and
    the difference to the state before the run is pushed) and the task fails naming the rejected line.
  - After a change the configuration is written with C(write memory) unless O(save=false).
  - When the module creates C(router bgp) it also sends C(no bgp ebgp-requires-policy), because Calico
    peers come without route-maps and FRR would otherwise exchange no eBGP routes.
author:
  - kubefabric.bgp contributors (@kubefabric)
extends_documentation_fragment:
  - kubefabric.bgp.bgp_config
  - kubefabric.bgp.netmiko_ssh
attributes:
  check_mode:
    support: full
    description: In check mode only C(show) commands are sent; RV(commands) and RV(after) show what would change.
  diff_mode:
    support: full
    description: The diff is the model before and after, without passwords.
  platform:
    platforms: frr
    support: full
    description: FRR (vtysh) over SSH with a vtysh login shell.
options:
  save:
    description:
      - Write the configuration with C(write memory) after a change.
    type: bool
    default: true
requirements:
  - netmiko
  - textfsm
notes:
  - FRR shows BGP passwords in clear text in its running configuration, so they are compared (and never
    returned); O(password_update) does not apply.
  - O(config.listen_ranges[].peer_group) is required on FRR; the peer group gets the range's
    O(config.listen_ranges[].remote_as).
  - The collection manages every neighbor and listen range of the default-VRF C(router bgp); other VRFs are
    not read or changed.
  - A change is pushed in one C(configure terminal) session. bgpd takes each line as it arrives (it has no
    candidate configuration to commit), so a line vtysh refuses stops the push, the module reads the running
    configuration again and pushes the difference back to the configuration of before the run, then fails
    naming the refused line. Sessions of neighbors that the push had removed or changed are reset by that
    rollback.
"""

EXAMPLES = r"""
# Before: "show running-config bgpd" holds no "router bgp".
- name: Leaf accepts the Calico nodes of its rack and peers with the spine
  kubefabric.bgp.frr_bgp:
    hostname: 198.18.0.14
    username: netops
    password: "{{ vault_switch_password }}"
    known_hosts_file: ~/.ssh/known_hosts
    config:
      asn: 65002
      router_id: 173.20.0.1
      neighbors:
        - address: 10.0.0.1
          remote_as: 65000
          description: spine-1
      listen_ranges:
        - prefix: 173.20.0.0/24
          remote_as: 64512
          peer_group: calico
    state: merged
# commands:
#   router bgp 65002
#    no bgp ebgp-requires-policy
#    bgp router-id 173.20.0.1
#    neighbor 10.0.0.1 remote-as 65000
#    neighbor 10.0.0.1 description spine-1
#    neighbor calico peer-group
#    neighbor calico remote-as 64512
#    bgp listen range 173.20.0.0/24 peer-group calico
#   exit
# then: write memory

- name: Only the listed neighbors and ranges may remain
  kubefabric.bgp.frr_bgp:
    hostname: 198.18.0.14
    username: netops
    password: "{{ vault_switch_password }}"
    config:
      asn: 65002
      neighbors: [{address: 10.0.0.1, remote_as: 65000}]
    state: overridden

- name: Commands for a config, offline
  kubefabric.bgp.frr_bgp:
    config:
      asn: 65002
      neighbors: [{address: 173.20.0.11, remote_as: 65002, route_reflector_client: true}]
    state: rendered
"""

RETURN = r"""
before:
  description: The BGP configuration before the task (model form, without passwords).
  returned: when state is merged, replaced, overridden or deleted
  type: dict
  sample: {asn: 65002, router_id: 173.20.0.1, neighbors: [], listen_ranges: []}
after:
  description:
    - The owned BGP configuration read back from the device after the change (predicted in check mode, or
      when nothing changed), without passwords. The task fails naming the fields if the read-back differs
      from what was sent.
  returned: when state is merged, replaced, overridden or deleted
  type: dict
  sample: {asn: 65002, router_id: 173.20.0.1, neighbors: [{address: 10.0.0.1, remote_as: 65000}], listen_ranges: []}
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
  description: The lines sent (or, in check mode, that would be sent) inside C(configure terminal); passwords masked.
  returned: when state is merged, replaced, overridden or deleted
  type: list
  elements: str
  sample: ["router bgp 65002", " neighbor 10.0.0.1 remote-as 65000", "exit"]
saved:
  description: Whether C(write memory) ran after the change.
  returned: when state is merged, replaced, overridden or deleted
  type: bool
  sample: true
gathered:
  description: The BGP configuration read from the device.
  returned: when state is gathered
  type: dict
  sample: {asn: 65002, router_id: 173.20.0.1, neighbors: [], listen_ranges: []}
rendered:
  description: The lines for O(config), computed offline.
  returned: when state is rendered
  type: list
  elements: str
  sample: ["router bgp 65002", " no bgp ebgp-requires-policy", " neighbor 173.20.0.11 remote-as 65002", "exit"]
parsed:
  description: The model read from O(running_config), offline.
  returned: when state is parsed
  type: dict
  sample: {asn: 65002, router_id: 173.20.0.1, neighbors: [], listen_ranges: []}
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.kubefabric.bgp.plugins.module_utils.devices import cli, frr as driver


def main():
    module = AnsibleModule(argument_spec=cli.module_argument_spec(), supports_check_mode=True, **cli.MODULE_RULES)
    driver.run_module(module)


if __name__ == "__main__":
    main()
