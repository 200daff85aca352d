# -*- coding: utf-8 -*-
# Copyright: kubefabric.bgp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every ``expect`` block in ../shared/acceptance, reproduced offline by the Calico peering engine.

For each step of each scenario, ``calico_peering_info``'s computation is given the step's
``resources`` (in the order the seed applies them) and must predict, per node listed under
``expect.nodes``, exactly the rows of ``calicoctl node status`` (peer address and peer type, in
calicoctl's order) and ``sessions_total``. The ``info`` column (Established) is what the lab
observes on the running fabric: offline the engine's table must leave STATE and INFO empty, and the
seed's observed INFO, merged into the engine's rows by protocol name, must render the expected rows.
"""

from __future__ import annotations

import pytest
import yaml

from ansible_collections.kubefabric.bgp.plugins.module_utils.calico import peering, status
from ansible_collections.kubefabric.bgp.plugins.module_utils.common.query import check_expectations
from tests.conftest import SHARED, shared_path

ACCEPTANCE = SHARED / "acceptance"


def _steps():
    if not ACCEPTANCE.exists():
        return [pytest.param(None, None, id="acceptance-data-missing")]
    out = []
    for path in sorted(ACCEPTANCE.glob("*.yaml")):
        doc = yaml.safe_load(path.read_text())
        for index, step in enumerate(doc.get("steps") or []):
            if "expect" in step and "resources" in step:
                out.append(pytest.param(path.name, index, id="%s[%s]" % (path.stem, step.get("name", index))))
    return out


STEPS = _steps()


def _computed(resources):
    """``(model, peers by node)`` as peering_info computes them."""
    model = peering.Model(resources, namespace=peering.DEFAULT_NAMESPACE)
    return model, peering.compute_peerings(None, model=model)


def _step(name, index):
    doc = yaml.safe_load(shared_path("acceptance", name).read_text())
    return doc["steps"][index]


@pytest.mark.parametrize("name,index", STEPS)
def test_expect_block_reproduced(name, index):
    if name is None:
        shared_path("acceptance")
    step = _step(name, index)
    expect = step["expect"]
    info = status.peering_info(step["resources"])
    for node, rows in expect["nodes"].items():
        assert node in info["nodes"], "%s: node %s not computed" % (name, node)
        got = [(r["peer_address"], r["peer_type"]) for r in info["nodes"][node]]
        want = [(r["peer_address"], r["peer_type"]) for r in rows]
        assert got == want, "%s %s: %s" % (name, node, got)
        # the table has one line per expected row, in the same order; offline nothing is observed,
        # so the engine leaves STATE and INFO empty rather than claiming a state
        table_rows = status.parse_table(info["table"][node])
        assert [(r["peer_address"], r["peer_type"]) for r in table_rows] == want
        assert [(r["state"], r["info"]) for r in table_rows] == [("", "")] * len(want)
        # given the state the seed observed on each session, the engine's rows render calicoctl's
        # table with exactly the expected INFO column (Established where the seed shows no info)
        observed = {p["protocol"]: {"state": "up", "info": r.get("info", "Established")}
                    for p, r in zip(info["nodes"][node], rows)}
        peers = status.calicoctl_order(*_computed(step["resources"]))[node]
        rendered = status.parse_table(status.render_table(status.node_rows(peers, observed)))
        assert [(r["peer_address"], r["peer_type"], r["state"], r["info"]) for r in rendered] == [
            (r["peer_address"], r["peer_type"], "up", r.get("info", "Established")) for r in rows]
    assert info["sessions_total"] == expect["sessions_total"]
    # the same through the module's expect mechanism
    queries = [{"query": "sessions_total", "equals": expect["sessions_total"]}]
    for node, rows in expect["nodes"].items():
        queries.append({"query": 'nodes."%s"[].peer_address' % node, "equals": [r["peer_address"] for r in rows]})
    assert check_expectations(info, queries) == []


def test_every_acceptance_file_has_steps():
    files = sorted(shared_path("acceptance").glob("*.yaml"))
    assert files
    assert len(STEPS) >= len(files)
