# -*- coding: utf-8 -*-
# Copyright: kubefabric.bgp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: query
short_description: Query a plan, a session table or a drift report with JMESPath
version_added: 0.1.0
description:
  - Evaluates a JMESPath expression against data, like C(community.general.json_query), but ships
    with this collection so that it works wherever kubefabric.bgp is installed.
options:
  _input:
    description: The data to query (a plan, a session table, any result).
    type: raw
    required: true
  expression:
    description: The JMESPath expression.
    type: str
    required: true
requirements:
  - jmespath
"""

EXAMPLES = r"""
- name: Nodes whose sessions are not all Established
  ansible.builtin.debug:
    msg: "{{ status | kubefabric.bgp.query('nodes | map(&[?state != `Established`], values(@))') }}"

- name: Peer addresses of one node in the plan
  ansible.builtin.debug:
    msg: "{{ plan | kubefabric.bgp.query('sessions.nodes.\"node-1\"[].peer_address') }}"
"""

RETURN = r"""
_value:
  description: The result of the expression (null when nothing matches).
  type: raw
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.kubefabric.bgp.plugins.module_utils.common.errors import FabricError
from ansible_collections.kubefabric.bgp.plugins.module_utils.common.query import query as _query


def query(data, expression):
    """Evaluate a JMESPath expression."""
    try:
        return _query(data, expression, field="expression")
    except FabricError as exc:
        raise AnsibleFilterError(str(exc))


class FilterModule(object):
    """kubefabric.bgp filters."""

    def filters(self):
        return {"query": query}
