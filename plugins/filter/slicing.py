# -*- coding: utf-8 -*-
# Copyright: kubefabric.bgp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

# Documentation: slice_plan.yml, workflow_finish_plan.yml (one file per filter).

import json

from ansible.errors import AnsibleFilterError

from ansible_collections.kubefabric.bgp.plugins.module_utils.common.errors import FabricError
from ansible_collections.kubefabric.bgp.plugins.module_utils.fabric import slicing


def _plain(workflow):
    # plain data first: copying Ansible's lazily templated containers element by element costs minutes for a
    # plan of a few hundred kilobytes; one JSON round trip templates every value once
    return json.loads(json.dumps(workflow))


def slice_plan(workflow, hosts, node_names=None):
    try:
        return slicing.slice_plan(_plain(workflow), list(hosts or []),
                                  None if node_names is None else dict(node_names))
    except FabricError as exc:
        raise AnsibleFilterError(str(exc)) from None


def workflow_finish_plan(workflow):
    try:
        return slicing.finish_plan(_plain(workflow))
    except FabricError as exc:
        raise AnsibleFilterError(str(exc)) from None


class FilterModule(object):
    """kubefabric.bgp slicing filters."""

    def filters(self):
        return {"slice_plan": slice_plan, "workflow_finish_plan": workflow_finish_plan}
