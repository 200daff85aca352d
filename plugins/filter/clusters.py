# -*- coding: utf-8 -*-
# Copyright: kubefabric.bgp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

# Every filter of this file is documented in plugins/filter/<filter name>.yml.

from ansible_collections.kubefabric.bgp.plugins.module_utils.fabric import clusters


def status_clusters(hosts, hostvars, node_group="k8s_nodes", cluster_group="kubefabric_clusters"):
    return clusters.by_credentials(list(hosts or []), hostvars, node_group, cluster_group)


class FilterModule(object):
    """kubefabric.bgp filters of several clusters on one fabric."""

    def filters(self):
        return {"status_clusters": status_clusters}
