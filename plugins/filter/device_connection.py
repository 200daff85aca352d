# -*- coding: utf-8 -*-
# Copyright: kubefabric.bgp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: device_connection
short_description: A device's connection options from its inventory variables
version_added: 0.2.0
description:
  - Maps a device's inventory variables to the connection options of M(kubefabric.bgp.routeros_bgp),
    M(kubefabric.bgp.comware_bgp), M(kubefabric.bgp.frr_bgp) and M(kubefabric.bgp.bgp_session_info), the
    same way for every role, playbook and M(kubefabric.bgp.fabric_verify).
  - "Ansible's standard variables come first: C(ansible_host) -> O(kubefabric.bgp.frr_bgp#module:hostname)
    (else the inventory host name), C(ansible_user) -> C(username), C(ansible_password) (or C(ansible_ssh_pass))
    -> C(password), C(ansible_port) -> C(port), C(ansible_ssh_private_key_file) (or C(ansible_private_key_file))
    -> C(ssh_key_file). The collection's older names stay valid: C(bgp_device_username), C(bgp_device_password),
    C(bgp_device_port), C(bgp_device_ssh_key_file); and C(bgp_device_host_keys), C(bgp_device_known_hosts),
    C(bgp_device_host_key_checking), C(bgp_device_tls), C(bgp_device_validate_certs), C(bgp_device_ca_path),
    C(bgp_device_fast_cli), C(bgp_device_global_delay_factor) (netmiko timing of a slow SSH device)."
  - Options that no variable sets are left out, so the modules' defaults and environment fallbacks (the AWX
    credential types) apply.
options:
  _input:
    description: The device's variables, C(hostvars[device]).
    type: dict
    required: true
  host:
    description: The device's inventory name (the address when C(ansible_host) is not set).
    type: str
    required: true
  platform:
    description: The device's platform; decides which options are returned.
    type: str
    choices: [routeros, comware, frr]
    required: true
"""

EXAMPLES = r"""
- name: Configure an FRR leaf with the options its inventory variables give
  vars:
    conn: "{{ hostvars[inventory_hostname] | kubefabric.bgp.device_connection(inventory_hostname, 'frr') }}"
  kubefabric.bgp.frr_bgp:
    hostname: "{{ conn.hostname }}"
    username: "{{ conn.username | default(omit) }}"
    password: "{{ conn.password | default(omit) }}"
    host_keys: "{{ conn.host_keys | default(omit) }}"
    state: gathered
  delegate_to: localhost
"""

RETURN = r"""
_value:
  description: The options (C(hostname), C(username), C(password), C(port), ...) that the variables set.
  type: dict
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.kubefabric.bgp.plugins.module_utils.devices import connection


def device_connection(hostvars, host, platform):
    """The module options that ``hostvars`` (one device's variables) set."""
    if not hasattr(hostvars, "get"):
        raise AnsibleFilterError("device_connection expects a device's variables (hostvars[device])")
    if platform not in ("routeros", "comware", "frr"):
        raise AnsibleFilterError("%s: platform %r is not one of routeros, comware, frr" % (host, platform))
    return connection.options_from_hostvars(hostvars, host, platform)


class FilterModule(object):
    """kubefabric.bgp device connection filter."""

    def filters(self):
        return {"device_connection": device_connection}
