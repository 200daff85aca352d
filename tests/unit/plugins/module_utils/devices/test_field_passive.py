"""The neutral field ``passive``, added as one row of the field table (fields.py), on every platform."""
import pytest

from ansible_collections.kubefabric.bgp.plugins.module_utils.common.errors import FabricError
from ansible_collections.kubefabric.bgp.plugins.module_utils.devices import comware, frr, model, resource, routeros

from tests.unit.plugins.module_utils.devices.fake_cli import FakeCli, frr_readback
from tests.unit.plugins.module_utils.devices.fake_routeros import FakeRouterOS

PASSIVE = {"asn": 64513, "neighbors": [{"address": "172.16.30.102", "remote_as": 64513, "passive": True}]}
ACTIVE = {"asn": 64513, "neighbors": [{"address": "172.16.30.102", "remote_as": 64513}]}


def test_model_validates_and_defaults_passive():
    config = model.normalise({"asn": 1, "neighbors": [{"address": "10.0.0.1", "remote_as": 2, "passive": "yes"}]})
    assert config["neighbors"][0]["passive"] is True
    assert model.present(model.normalise(ACTIVE))["neighbors"][0]["passive"] is False
    with pytest.raises(FabricError) as err:
        model.normalise({"asn": 1, "neighbors": [{"address": "10.0.0.1", "remote_as": 2, "passive": "often"}]})
    assert err.value.field == "config.neighbors[0].passive"


@pytest.mark.parametrize("version, field, written, unset", [
    ("6.49.10", "passive", "yes", "no"),
    ("7.10.2", "connect", "no", "yes"),
    ("7.20.1", "connect", "no", "yes"),
])
def test_routeros_writes_reads_and_unsets_passive(version, field, written, unset):
    fake = FakeRouterOS(version)

    def run(config, state="merged"):
        return resource.run(routeros.RouterOSDriver({"hostname": "r1"}, api_factory=fake.api), state, config=config,
                            host="r1")

    def peer():
        path = "routing/bgp/peer" if version.startswith("6") else "routing/bgp/connection"
        return fake.row(path, name="kubefabric-172.16.30.102")

    result = run(PASSIVE)
    assert result["changed"] is True and peer()[field] == written
    assert result["after"]["neighbors"][0]["passive"] is True
    assert run(PASSIVE)["changed"] is False
    assert run(None, "gathered")["gathered"]["neighbors"][0]["passive"] is True
    result = run(ACTIVE, "replaced")
    assert result["changed"] is True and peer()[field] == unset
    assert result["after"]["neighbors"][0]["passive"] is False
    assert run(ACTIVE, "replaced")["changed"] is False


def test_frr_writes_and_reads_passive():
    have = frr.parse_config("router bgp 64513\n neighbor 172.16.30.102 remote-as 64513\n"
                            " neighbor 172.16.30.102 passive\nexit\n")
    assert have["neighbors"][0]["passive"] is True
    assert frr.render_transition(have, model.normalise(ACTIVE)) == [
        "router bgp 64513", " no neighbor 172.16.30.102 passive", "exit"]
    conn = FakeCli("leaf1", "leaf1(config-router)#", {frr.SHOW_CONFIG: ["router bgp 64513\nexit\n"]},
                   readback=frr_readback)
    result = resource.run(frr.FrrDriver({"hostname": "leaf1"}, connect=lambda params, kind: conn), "merged",
                          config=PASSIVE, host="leaf1")
    assert " neighbor 172.16.30.102 passive" in conn.sent
    assert result["after"]["neighbors"][0]["passive"] is True


def test_comware_refuses_passive_before_anything_is_sent():
    driver = comware.ComwareDriver({}, offline=True)
    with pytest.raises(FabricError) as err:
        resource.run(driver, "rendered", config=PASSIVE)
    assert err.value.field == "config.neighbors[0].passive" and "Comware" in err.value.message
    not_passive = dict(PASSIVE, neighbors=[dict(PASSIVE["neighbors"][0], passive=False)])
    assert resource.run(driver, "rendered", config=not_passive)["rendered"]
