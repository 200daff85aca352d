#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: kubefabric.bgp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: bgp_session_info
short_description: BGP session state of a router or switch, as one normalised table
version_added: 0.1.0
description:
  - Reads the BGP sessions of one device and returns them as rows with the same keys on every platform
    (C(peer_address), C(remote_as), C(local_as), C(state), C(established), C(uptime), C(prefixes_received)).
  - "RouterOS 7: C(/routing/bgp/session); RouterOS 6: C(/routing/bgp/peer) (with the instance's AS as
    C(local_as)), through the RouterOS API. Comware and FRR: through SSH (netmiko), from the platform driver."
  - With O(routes), also the BGP-learned routes in the device's routing table, read over the same connection
    (RouterOS C(/ip/route) print with the query C(bgp=true); Comware C(display ip routing-table), its BGP rows;
    FRR C(show ip route bgp json) and C(show ipv6 route bgp json)), so that a check can assert that every
    expected prefix is there with the right next hop.
  - Only reads; check mode changes nothing.
author:
  - kubefabric.bgp contributors (@kubefabric)
attributes:
  check_mode:
    support: full
    description: The module only reads.
  diff_mode:
    support: none
    description: Nothing to diff.
  platform:
    platforms: RouterOS, Comware, FRR
    support: full
    description: Connects from the controller to the device's API (RouterOS) or SSH (Comware, FRR).
options:
  platform:
    description:
      - The device's platform; decides the connection (RouterOS API or SSH) and how sessions are read.
    type: str
    required: true
    choices: [routeros, comware, frr]
  hostname:
    description:
      - Management address or name of the device.
    type: str
    required: true
    aliases: [host]
  username:
    description:
      - User name (RouterOS API user, or SSH user). Required; when not set, taken from the environment as in
        M(kubefabric.bgp.routeros_bgp) (E(KUBEFABRIC_ROUTEROS_USERNAME)) or M(kubefabric.bgp.frr_bgp)
        (E(KUBEFABRIC_SSH_USERNAME)), then E(KUBEFABRIC_DEVICE_USERNAME), E(ANSIBLE_NET_USERNAME).
    type: str
    aliases: [bgp_device_username]
  password:
    description:
      - Password. Required for RouterOS; for SSH one of O(password) and O(ssh_key_file). Never logged.
      - When not set, taken from E(KUBEFABRIC_ROUTEROS_PASSWORD) (RouterOS) or E(KUBEFABRIC_SSH_PASSWORD) (SSH),
        then E(KUBEFABRIC_DEVICE_PASSWORD), E(ANSIBLE_NET_PASSWORD).
    type: str
    aliases: [bgp_device_password]
  port:
    description:
      - TCP port. Defaults to C(8729) (RouterOS with O(tls)), C(8728) (RouterOS without) or C(22) (SSH).
    type: int
    aliases: [bgp_device_port]
  timeout:
    description:
      - Seconds to wait for the connection and replies.
    type: int
    default: 10
  tls:
    description:
      - RouterOS only. Use the C(api-ssl) service. Turning it off sends the password in clear text.
    type: bool
    default: true
    aliases: [ssl]
  validate_certs:
    description:
      - RouterOS only. Verify the router's TLS certificate (turn off only in a lab).
    type: bool
    default: true
  validate_cert_hostname:
    description:
      - RouterOS only. Also check that the certificate names O(hostname).
    type: bool
    default: false
  ca_path:
    description:
      - RouterOS only. PEM file with the CA that signed the router's certificate; environment variable
        E(KUBEFABRIC_ROUTEROS_CA_PATH).
    type: path
    aliases: [bgp_device_ca_path]
  ssh_key_file:
    description:
      - Comware and FRR only. Private key to authenticate with; environment variables E(KUBEFABRIC_SSH_KEY_FILE),
        E(ANSIBLE_NET_SSH_KEYFILE).
    type: path
    aliases: [bgp_device_ssh_key_file]
  host_key_checking:
    description:
      - Comware and FRR only. Verify the SSH host key against O(host_keys), else O(known_hosts_file), else
        C(~/.ssh/known_hosts); an unknown key is refused, never trusted on first use.
    type: bool
    default: true
    aliases: [bgp_device_host_key_checking]
  host_keys:
    description:
      - Comware and FRR only. The device's public host key(s) (C(ssh-ed25519 AAAA...)); when given, the only
        keys trusted. See M(kubefabric.bgp.frr_bgp).
    type: list
    elements: str
    aliases: [bgp_device_host_keys]
  known_hosts_file:
    description:
      - Comware and FRR only. known_hosts file holding the device's host key; environment variable
        E(KUBEFABRIC_SSH_KNOWN_HOSTS_FILE).
    type: path
    aliases: [bgp_device_known_hosts]
  fast_cli:
    description:
      - Comware and FRR only. netmiko's C(fast_cli) timing (on by default); V(false) for a slow device.
        See M(kubefabric.bgp.frr_bgp).
    type: bool
    default: true
    aliases: [bgp_device_fast_cli]
  global_delay_factor:
    description:
      - Comware and FRR only. netmiko's C(global_delay_factor) (multiplier of every CLI wait) for a slow device.
    type: float
    aliases: [bgp_device_global_delay_factor]
  routes:
    description:
      - Also read the BGP routes of the device's routing table and return them as RV(routes).
      - RouterOS and Comware give IPv4 routes, FRR IPv4 and IPv6. Comware lists only the active routes.
    type: bool
    default: false
  expect:
    description:
      - JMESPath expectations evaluated against the result (see the C(kubefabric.bgp.query) filter); the module
        fails when one does not hold. One expression, or a list of expressions or C({query, equals, msg}) dicts.
    type: raw
requirements:
  - librouteros (RouterOS) or netmiko (Comware, FRR), on the controller
"""

EXAMPLES = r"""
- name: Sessions of the seed 004 ToR router; the route reflector must be up
  kubefabric.bgp.bgp_session_info:
    platform: routeros
    hostname: 198.18.0.2
    username: admin
    password: "{{ routeros_password }}"
    ca_path: /etc/kubefabric/routeros-ca.pem
    expect:
      - query: "sessions[?peer_address=='172.16.30.102'].established | [0]"
        equals: true
        msg: the route reflector ubuntu-2 is not Established
  register: tor

- name: The FRR leaf must have learned node4's pod block from node4
  kubefabric.bgp.bgp_session_info:
    platform: frr
    hostname: 198.18.0.12
    username: netops
    ssh_key_file: ~/.ssh/leaf
    known_hosts_file: /etc/kubefabric/known_hosts
    routes: true
    expect:
      - query: "routes[?prefix=='10.233.66.0/26' && active].next_hop | [0]"
        equals: 173.20.0.11
        msg: the leaf has no active route to node4's block through node4
  register: leaf
"""

RETURN = r"""
platform:
  description: The platform read.
  returned: success
  type: str
  sample: routeros
sessions:
  description: One row per BGP session, sorted by peer address.
  returned: success
  type: list
  elements: dict
  sample:
    - {peer_address: 172.16.30.102, remote_as: 64513, local_as: 64513, state: Established, established: true,
       uptime: 3723, prefixes_received: 4}
  contains:
    peer_address: {description: The neighbor's address., type: str, returned: always}
    remote_as: {description: The neighbor's AS number., type: int, returned: always}
    local_as: {description: This device's AS number for the session., type: int, returned: always}
    state:
      description: BGP FSM state, one of Idle, Connect, Active, OpenSent, OpenConfirm, Established.
      type: str
      returned: always
    established: {description: Whether the session is Established., type: bool, returned: always}
    uptime: {description: Seconds since the session came up (null when not established)., type: int, returned: always}
    prefixes_received: {description: Prefixes received from the neighbor (null when unknown)., type: int, returned: always}
routes:
  description:
    - With O(routes), one row per BGP-learned route and next hop, sorted by prefix (as a network) and next hop.
    - Only routes that BGP put into the routing table; connected, static and IGP routes are left out.
  returned: when O(routes) is true
  type: list
  elements: dict
  sample:
    - {prefix: 192.168.10.0/26, next_hop: 172.16.30.102, protocol: bgp, active: true}
  contains:
    prefix:
      description: The destination network, normalised (C(192.168.10.0/26)).
      type: str
      returned: always
    next_hop:
      description: The route's next hop address (the BGP next hop), null when the device shows none.
      type: str
      returned: always
    protocol: {description: Always C(bgp)., type: str, returned: always}
    active:
      description: Whether the device selected the route for the prefix (best and in use).
      type: bool
      returned: always
established:
  description: Number of Established sessions.
  returned: success
  type: int
  sample: 1
not_established:
  description: Number of sessions that are not Established.
  returned: success
  type: int
  sample: 0
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.kubefabric.bgp.plugins.module_utils.devices import sessions


def main():
    module = AnsibleModule(argument_spec=sessions.info_argument_spec(), supports_check_mode=True)
    sessions.run_module(module)


if __name__ == "__main__":
    main()
