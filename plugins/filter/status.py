# -*- coding: utf-8 -*-
# Copyright: kubefabric.bgp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: calicoctl_status
short_description: The text of calicoctl node status for every node of a CalicoNodeStatus read
version_added: 0.1.0
description:
  - Renders the C(nodes) result of M(kubefabric.bgp.calico_node_status_info) as the tables
    C(calicoctl node status) prints (IPv4 and IPv6 sections), one text per node.
options:
  _input:
    description: C(nodes) of M(kubefabric.bgp.calico_node_status_info).
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: calicoctl node status of every node
  ansible.builtin.debug:
    msg: "{{ (status.nodes | kubefabric.bgp.calicoctl_status)[item] | split('\n') }}"
  loop: "{{ status.nodes.keys() | list }}"
"""

RETURN = r"""
_value:
  description: Node name -> table text.
  type: dict
"""

from ansible_collections.kubefabric.bgp.plugins.module_utils.calico import status


def calicoctl_status(nodes):
    out = {}
    for name, entry in sorted((nodes or {}).items()):
        entry = entry or {}
        rows = [dict(row, ip_version=4) for row in entry.get("ipv4") or []]
        rows += [dict(row, ip_version=6) for row in entry.get("ipv6") or []]
        out[name] = status.render_table(rows, running=bool(entry))
    return out


class FilterModule(object):
    """kubefabric.bgp status filters."""

    def filters(self):
        return {"calicoctl_status": calicoctl_status}
