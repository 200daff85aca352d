import pytest

from ansible_collections.kubefabric.bgp.plugins.module_utils.common.errors import FabricError
from ansible_collections.kubefabric.bgp.plugins.module_utils.common.query import check_expectations, query

TABLE = {"nodes": {"n1": [{"peer_address": "10.0.0.2", "state": "Established"},
                          {"peer_address": "10.0.0.3", "state": "Active"}]},
         "sessions_total": 3}


def test_query_selects_rows():
    assert query(TABLE, "nodes.n1[?state=='Active'].peer_address") == ["10.0.0.3"]


def test_bad_expression_names_field():
    with pytest.raises(FabricError) as err:
        query(TABLE, "nodes.[", field="expect[0]")
    assert err.value.field == "expect[0]"


@pytest.mark.parametrize("expect,failures", [
    ("sessions_total", 0),
    ({"query": "sessions_total", "equals": 3}, 0),
    ([{"query": "sessions_total", "equals": 4}], 1),
    (["length(nodes.n1[?state!='Established'])  == `0`"], 1),
])
def test_expectations(expect, failures):
    assert len(check_expectations(TABLE, expect)) == failures


def test_error_message_carries_host_field_fix():
    err = FabricError("bad AS", host="leaf1", field="asn", fix="use 1-4294967295")
    assert str(err) == "leaf1: asn: bad AS Fix: use 1-4294967295"
