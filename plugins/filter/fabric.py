# -*- coding: utf-8 -*-
# Copyright: kubefabric.bgp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: fabric_passwords
short_description: Put the inventory's BGP passwords back into planned peers and device configs
version_added: 0.1.0
description:
  - M(kubefabric.bgp.fabric_plan) never returns passwords. Planned BGPPeers name the device whose
    password they use (C(password_device)) and planned device neighbors are marked
    C(password_from_inventory). This filter fills in the C(bgp_password) variables for the
    C(kubefabric.bgp.calico) and C(kubefabric.bgp.devices) roles; the modules keep them C(no_log).
options:
  _input:
    description: A list of planned peers (C(plan.module_args.bgp_peers)) or one device config.
    type: raw
    required: true
  passwords:
    description: For peers, C(hostvars); for a device config, the device's password.
    type: raw
    required: true
"""

EXAMPLES = r"""
- name: Peers with their passwords
  ansible.builtin.set_fact:
    peers: "{{ plan.module_args.bgp_peers | kubefabric.bgp.fabric_passwords(hostvars) }}"
  no_log: true
"""

RETURN = r"""
_value:
  description: The input with passwords filled in.
  type: raw
"""

import copy

from ansible.errors import AnsibleFilterError


def fabric_passwords(data, passwords):
    """Fill planned peers (given hostvars) or a planned device config (given its password)."""
    data = copy.deepcopy(data)
    if isinstance(data, list):
        for peer in data:
            device = peer.pop("password_device", None)
            if device is None:
                continue
            value = (passwords.get(device) or {}).get("bgp_password") if hasattr(passwords, "get") else None
            if not value:
                raise AnsibleFilterError("BGPPeer %s: device %s has no bgp_password" % (peer.get("name"), device))
            peer["password"] = value
        return data
    if isinstance(data, dict):
        for neighbor in data.get("neighbors", []):
            if neighbor.pop("password_from_inventory", False):
                if not passwords:
                    raise AnsibleFilterError("neighbor %s needs the device's bgp_password" % neighbor.get("address"))
                neighbor["password"] = passwords
        return data
    raise AnsibleFilterError("fabric_passwords expects planned peers (a list) or a device config (a dict)")


class FilterModule(object):
    """kubefabric.bgp fabric filters."""

    def filters(self):
        return {"fabric_passwords": fabric_passwords}
