#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: kubefabric.bgp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: routeros_bgp
short_description: BGP neighbors and dynamic-neighbor ranges of a MikroTik RouterOS 6 or 7 router
version_added: 0.1.0
description:
  - Manages a RouterOS router's BGP configuration through the RouterOS API (librouteros), in the platform-neutral
    model shared with M(kubefabric.bgp.comware_bgp) and M(kubefabric.bgp.frr_bgp).
  - "RouterOS 7: one C(/routing/bgp/connection) per neighbor; a listen range is a connection whose
    C(remote.address) is a prefix. The local AS and router ID are kept in a C(/routing/bgp/template) named
    C(kubefabric) (7.0 to 7.19) or a C(/routing/bgp/instance) named C(kubefabric) (7.20 and later, which
    connections must name); C(address-families) is called C(afi) from 7.19 and C(router-id) moves to the
    instance at 7.20. The version is read from C(/system/resource)."
  - "RouterOS 6: one C(/routing/bgp/peer) per neighbor in a C(/routing/bgp/instance) named C(kubefabric).
    RouterOS 6 has no listen ranges."
  - The module owns only the rows whose comment starts with C(kubefabric:) (and the C(kubefabric)
    template/instance), so O(state=overridden) never removes an operator's own peers. A neighbor address that
    an unmanaged row already peers with is an error.
  - One API connection per run, one read of each path, all writes after all checks.
author:
  - kubefabric.bgp contributors (@kubefabric)
extends_documentation_fragment:
  - kubefabric.bgp.routeros_api
  - kubefabric.bgp.bgp_config
attributes:
  check_mode:
    support: full
    description: Reads the device and reports the commands it would send; sends no write.
  diff_mode:
    support: full
    description: The diff is the managed BGP config before and after, without passwords.
  platform:
    platforms: RouterOS
    support: full
    description: Talks to the RouterOS API from the controller.
options:
  routeros_version:
    description:
      - RouterOS version that O(state=rendered) renders for (required there), and that O(state=parsed) assumes
        when O(running_config) has no C(by RouterOS X.Y) header line. Connected states read the version from the
        device and ignore this option.
    type: str
notes:
  - O(config.neighbors[].update_source) is C(local.address) on RouterOS 7 and must be an address there; RouterOS 6
    C(update-source) also takes an interface.
  - O(config.neighbors[].route_reflector_client) is C(local.role=ibgp-rr) on RouterOS 7 and C(route-reflect) on 6.
    The C(local.role) is derived, C(ibgp) when O(config.neighbors[].remote_as) equals O(config.asn), else C(ebgp).
  - RouterOS prints C(tcp-md5-key) (MikroTik documents it as an ordinary string property), so the key is read
    back and compared with O(config.neighbors[].password); O(password_update) does not apply. It is never
    returned, and is masked in RV(commands).
  - In RV(commands), a C(!field) word means the field is unset (back to its default).
seealso:
  - name: The device model
    description: docs/device-model.md in the collection.
    link: https://github.com/kubefabric/bgp/blob/main/docs/device-model.md
"""

EXAMPLES = r"""
# Seed 004: the ToR router (RouterOS 7.10.2, AS 64513) peers with the route reflector ubuntu-2.
# Before: /routing/bgp/connection has only the operator's own "upstream" connection.
- name: Peer with the in-cluster route reflector
  kubefabric.bgp.routeros_bgp:
    hostname: 198.18.0.2
    username: admin
    password: "{{ routeros_password }}"
    ca_path: /etc/kubefabric/routeros-ca.pem
    config:
      asn: 64513
      router_id: 172.16.30.254
      neighbors:
        - address: 172.16.30.102
          remote_as: 64513
          description: ubuntu-2 route reflector
          password: "{{ bgp_password }}"
      listen_ranges:
        - prefix: 172.16.30.0/24
          remote_as: 64513
          peer_group: k8s-nodes
    state: merged
# commands:
#   /routing/bgp/template/add as=64513 comment="kubefabric: BGP instance managed by kubefabric.bgp"
#       name=kubefabric router-id=172.16.30.254
#   /routing/bgp/connection/add as=64513 comment="kubefabric: ubuntu-2 route reflector" local.role=ibgp
#       name=kubefabric-172.16.30.102 remote.address=172.16.30.102 remote.as=64513
#       router-id=172.16.30.254 tcp-md5-key=******
#   /routing/bgp/connection/add as=64513 comment="kubefabric: listen range" local.role=ibgp name=k8s-nodes
#       remote.address=172.16.30.0/24 remote.as=64513 router-id=172.16.30.254
# After: those three rows plus the untouched "upstream"; a second run reports changed=false.

- name: Only the listed neighbors may remain (the operator's rows stay)
  kubefabric.bgp.routeros_bgp:
    hostname: 198.18.0.2
    username: admin
    password: "{{ routeros_password }}"
    config:
      asn: 64513
      neighbors:
        - {address: 172.16.30.102, remote_as: 64513}
    state: overridden

- name: What the router has (managed rows only)
  kubefabric.bgp.routeros_bgp:
    hostname: 198.18.0.2
    username: admin
    password: "{{ routeros_password }}"
    state: gathered
  register: bgp

- name: Commands for RouterOS 7.20, offline
  kubefabric.bgp.routeros_bgp:
    routeros_version: "7.20"
    config:
      asn: 64513
      neighbors: [{address: 172.16.30.102, remote_as: 64513}]
    state: rendered

- name: Read an export offline
  kubefabric.bgp.routeros_bgp:
    running_config: "{{ lookup('file', 'r1-bgp.rsc') }}"
    state: parsed
"""

RETURN = r"""
before:
  description: The managed BGP config before the task (action states), passwords left out.
  returned: when O(state) is merged, replaced, overridden or deleted
  type: dict
  sample: {asn: 64513, router_id: 172.16.30.254, neighbors: [], listen_ranges: []}
after:
  description:
    - The owned BGP configuration read back from the device after the change (predicted in check mode, or
      when nothing changed), without passwords. The task fails naming the fields if the read-back differs
      from what was sent.
  returned: when O(state) is merged, replaced, overridden or deleted
  type: dict
  sample:
    asn: 64513
    router_id: 172.16.30.254
    neighbors:
      - {address: 172.16.30.102, remote_as: 64513, description: ubuntu-2, route_reflector_client: false,
         multihop: false, update_source: null, hold_time: null, keepalive_time: null, bfd: false,
         import_policy: null, export_policy: null, address_families: [ipv4]}
    listen_ranges: []
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
  description: The API writes sent (or, in check mode, that would be sent), as RouterOS command lines;
    passwords masked.
  returned: when O(state) is merged, replaced, overridden or deleted
  type: list
  elements: str
  sample: ["/routing/bgp/connection/set [find name=kubefabric-172.16.30.102] hold-time=90s"]
gathered:
  description: The managed BGP config read from the device.
  returned: when O(state=gathered)
  type: dict
  sample: {asn: 64513, router_id: 172.16.30.254, neighbors: [], listen_ranges: []}
rendered:
  description: The commands that would create O(config) on an empty device of O(routeros_version).
  returned: when O(state=rendered)
  type: list
  elements: str
  sample: ["/routing/bgp/instance/add as=64513 comment=\"kubefabric: BGP instance managed by kubefabric.bgp\" name=kubefabric"]
parsed:
  description: The managed BGP config read from O(running_config).
  returned: when O(state=parsed)
  type: dict
  sample: {asn: 64513, router_id: null, neighbors: [], listen_ranges: []}
routeros_version:
  description: The RouterOS version read from the device.
  returned: when the module connected
  type: str
  sample: 7.10.2
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.kubefabric.bgp.plugins.module_utils.devices import model, routeros


def main():
    module = AnsibleModule(
        argument_spec=routeros.module_argument_spec(),
        required_if=routeros.MODULE_REQUIRED_IF,
        mutually_exclusive=model.RESOURCE_MUTUALLY_EXCLUSIVE,
        supports_check_mode=True,
    )
    routeros.run_module(module)


if __name__ == "__main__":
    main()
