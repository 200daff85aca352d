# -*- coding: utf-8 -*-
# Copyright: kubefabric.bgp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The patterns as data: the registry, what each pattern answers, and the planner asking it."""

import pytest

from ansible_collections.kubefabric.bgp.plugins.module_utils.common.errors import FabricError
from ansible_collections.kubefabric.bgp.plugins.module_utils.fabric import patterns, schema
from ansible_collections.kubefabric.bgp.plugins.module_utils.fabric.module import argument_spec
from ansible_collections.kubefabric.bgp.plugins.module_utils.fabric.plan import build_plan

from .test_plan import fabric_of


def test_registry_names_are_the_schema_and_module_choices():
    assert patterns.NAMES == ("full_mesh", "route_reflector", "rr_per_leaf", "tor")
    assert patterns.NAMES == schema.PATTERNS
    assert argument_spec()["pattern"]["choices"] == list(patterns.NAMES)
    with pytest.raises(FabricError) as err:
        patterns.get("spine_leaf")
    assert err.value.field == "fabric_pattern" and "rr_per_leaf" in err.value.fix


@pytest.mark.parametrize("name,tor_peering,selector,mesh,rack_device", [
    ("full_mesh", "route_reflectors", "rack == 'r1'", True, None),
    ("route_reflector", "all_nodes", "rack == 'r1'", False, None),
    ("route_reflector", "route_reflectors", "rack == 'r1' && route-reflector == 'true'", False, None),
    ("rr_per_leaf", "all_nodes", "rr-id == 'r1'", False, "leaf"),
    ("tor", "all_nodes", "rack == 'r1'", False, "ToR"),
    ("tor", "route_reflectors", "rack == 'r1' && route-reflector == 'true'", False, "ToR"),
])
def test_what_each_pattern_plans(name, tor_peering, selector, mesh, rack_device):
    pattern = patterns.PATTERNS[name]
    fabric = {"tor_peering": tor_peering, "rr_label": "route-reflector", "racks": {"r1": {}, "r2": {}}}
    assert pattern.device_selector(fabric, "r1") == selector
    assert (pattern.mesh, pattern.rack_device) == (mesh, rack_device)


def test_cluster_peers_per_pattern():
    fabric = {"tor_peering": "route_reflectors", "rr_label": "rr", "racks": {"r1": {}, "r2": {}, "r3": {}}}
    assert patterns.PATTERNS["full_mesh"].cluster_peers(fabric, {"r1"}) == []
    assert [name for name, _spec in patterns.PATTERNS["route_reflector"].cluster_peers(fabric, {None})] == \
        ["peer-to-rrs", "rrs-to-rrs"]
    assert patterns.PATTERNS["rr_per_leaf"].cluster_peers(fabric, {"r1", "r2"}) == [
        ("r1-clients-to-rrs", {"nodeSelector": "rr-group == 'r1' && !has(rr-id)", "peerSelector": "rr-id == 'r1'"}),
        ("r1-rr-mesh", {"nodeSelector": "rr-id == 'r1'", "peerSelector": "rr-id == 'r1'"}),
        ("r2-clients-to-rrs", {"nodeSelector": "rr-group == 'r2' && !has(rr-id)", "peerSelector": "rr-id == 'r2'"}),
        ("r2-rr-mesh", {"nodeSelector": "rr-id == 'r2'", "peerSelector": "rr-id == 'r2'"})]
    assert patterns.PATTERNS["tor"].cluster_peers(fabric, {"r2"}) == [
        ("r2-to-rrs", {"nodeSelector": "rack == 'r2'", "peerSelector": "rack == 'r2' && rr == 'true'"})]
    assert patterns.PATTERNS["tor"].cluster_peers(dict(fabric, tor_peering="all_nodes"), {"r2"}) == []


def test_the_planner_asks_the_registered_pattern(monkeypatch):
    """Replacing the registered object changes the plan: the planner dispatches, it does not branch."""
    class Tagged(patterns.Tor):
        def node_labels(self, fabric, node):
            return {"tagged": "yes"}

    monkeypatch.setitem(patterns.PATTERNS, "tor", Tagged())
    plan = build_plan(fabric_of("seed004_tor_routeros"))
    assert {n["labels"]["tagged"] for n in plan["calico"]["nodes"].values()} == {"yes"}
