"""Unit tests of devices/model.py: validation and normalisation of the neutral BGP model."""
import pytest

from ansible_collections.kubefabric.bgp.plugins.module_utils.common.errors import FabricError
from ansible_collections.kubefabric.bgp.plugins.module_utils.devices import model


def test_normalise_fills_every_key_and_canonicalises():
    cfg = model.normalise({
        "asn": "64513", "router_id": "172.16.30.254",
        "neighbors": [
            {"address": "172.16.30.103", "remote_as": 64513, "hold_time": "90", "keepalive_time": 30,
             "address_families": ["ipv6", "ipv4", "ipv4"], "bfd": "yes"},
            {"peer": "2001:db8:0::1", "remote_as": "1.10"},
        ],
        "listen_ranges": [{"prefix": "172.16.30.0/24", "remote_as": 64513, "peer_group": "k8s"}],
    }, host="r1")
    assert cfg["asn"] == 64513
    first, second = cfg["neighbors"]
    assert first["address"] == "172.16.30.103"
    assert first["hold_time"] == 90 and first["keepalive_time"] == 30
    assert first["address_families"] == ["ipv4", "ipv6"]
    assert first["bfd"] is True and first["multihop"] is None
    assert set(first) == set(model.NEIGHBOR_FIELDS)
    assert second["address"] == "2001:db8::1" and second["remote_as"] == 65546
    assert cfg["listen_ranges"] == [{"prefix": "172.16.30.0/24", "remote_as": 64513, "peer_group": "k8s"}]


@pytest.mark.parametrize("value", ["0", "4294967296", "-1", "abc", "65536.1", "1.65536", True])
def test_invalid_asn(value):
    with pytest.raises(FabricError) as err:
        model.normalise({"asn": value}, host="r1")
    assert err.value.field == "config.asn" and err.value.host == "r1" and err.value.fix


@pytest.mark.parametrize("config, field", [
    ({"router_id": "1.2.3"}, "config.router_id"),
    ({"router_id": "2001:db8::1"}, "config.router_id"),
    ({"neighbors": [{"address": "300.1.1.1", "remote_as": 1}]}, "config.neighbors[0].address"),
    ({"neighbors": [{"address": "10.0.0.0/24", "remote_as": 1}]}, "config.neighbors[0].address"),
    ({"neighbors": [{"address": "10.0.0.1"}]}, "config.neighbors[0].remote_as"),
    ({"neighbors": [{"address": "10.0.0.1", "remote_as": 1, "hold_time": 2}]}, "config.neighbors[0].hold_time"),
    ({"neighbors": [{"address": "10.0.0.1", "remote_as": 1, "hold_time": 30, "keepalive_time": 30}]},
     "config.neighbors[0].keepalive_time"),
    ({"neighbors": [{"address": "10.0.0.1", "remote_as": 1, "address_families": ["ip"]}]},
     "config.neighbors[0].address_families"),
    ({"neighbors": [{"address": "10.0.0.1", "remote_as": 1, "import_policy": "a b"}]},
     "config.neighbors[0].import_policy"),
    ({"neighbors": [{"address": "10.0.0.1", "remote_as": 1}, {"address": "10.0.0.1", "remote_as": 2}]},
     "config.neighbors[1].address"),
    ({"neighbors": [{"address": "10.0.0.1", "remote_as": 1, "colour": "red"}]}, "config.neighbors[0]"),
    ({"listen_ranges": [{"prefix": "10.0.0.1/24", "remote_as": 1}]}, "config.listen_ranges[0].prefix"),
    ({"listen_ranges": [{"prefix": "10.0.0.0", "remote_as": 1}]}, "config.listen_ranges[0].prefix"),
    ({"listen_ranges": [{"prefix": "10.0.0.0/8"}]}, "config.listen_ranges[0].remote_as"),
    ({"vrf": "x"}, "config"),
])
def test_bad_input_names_field(config, field):
    with pytest.raises(FabricError) as err:
        model.normalise(config, host="r1")
    assert err.value.field == field
    assert err.value.fix
    assert "r1:" in str(err.value)


def test_deleted_needs_no_remote_as():
    cfg = model.normalise({"neighbors": [{"address": "10.0.0.1"}]}, require_remote_as=False)
    assert cfg["neighbors"][0]["remote_as"] is None


def test_redact_drops_passwords_without_touching_the_input():
    cfg = model.normalise({"neighbors": [{"address": "10.0.0.1", "remote_as": 1, "password": "s3cret"}]})
    red = model.redact(cfg)
    assert "password" not in red["neighbors"][0]
    assert cfg["neighbors"][0]["password"] == "s3cret"
    assert "s3cret" not in repr(red)


def test_effective_defaults():
    assert model.effective("bfd", None) is False
    assert model.effective("address_families", None) == ["ipv4"]
    assert model.effective("hold_time", None) is None


def test_argument_spec_matches_model_fields():
    spec = model.config_argument_spec()["options"]
    assert set(spec["neighbors"]["options"]) == set(model.NEIGHBOR_FIELDS)
    assert set(spec["listen_ranges"]["options"]) == set(model.LISTEN_RANGE_FIELDS)
    assert spec["neighbors"]["options"]["password"]["no_log"] is True
