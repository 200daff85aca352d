"""Unit tests of devices/resource.py: state semantics, the check-mode gate, results without secrets."""
import copy

import pytest

from ansible_collections.kubefabric.bgp.plugins.module_utils.common.errors import FabricError
from ansible_collections.kubefabric.bgp.plugins.module_utils.devices import model, owner, resource


class MemoryDriver(resource.Driver):
    """A driver over an in-memory config: render = ops, apply = replay them; counts writes."""

    platform = "memory"

    def __init__(self, config=None, password_readable=False, read_only=False):
        self.store = model.normalise(config or {}, require_remote_as=False)
        self.password_readable = password_readable
        self.read_only = read_only
        self.writes = 0
        self.gathers = 0
        self.closed = False

    def gather(self):
        self.gathers += 1
        have = copy.deepcopy(self.store)
        if not self.password_readable:
            for neighbor in have["neighbors"]:
                neighbor["password"] = None
        return have

    def parse(self, running_config):
        return model.normalise({"asn": running_config.strip()})

    def render(self, plan):
        return [(op["action"], op["object"], op["key"], op) for op in plan.ops]

    def show(self, commands):
        out = []
        for action, obj, key, op in commands:
            changes = {k: ("******" if k == "password" else v) for k, v in op["changes"].items()}
            out.append("%s %s %s %s" % (action, obj, key or "", sorted(changes.items())))
        return out

    def apply(self, commands):
        assert not self.read_only, "write in check mode"
        for action, obj, key, op in commands:
            self.writes += 1
            if obj == "global":
                if action == "delete":
                    self.store["asn"] = self.store["router_id"] = None
                else:
                    self.store.update(op["changes"])
                continue
            field = "address" if obj == "neighbor" else "prefix"
            items = self.store["neighbors" if obj == "neighbor" else "listen_ranges"]
            items[:] = [item for item in items if item[field] != key]
            if action != "delete":
                items.append(copy.deepcopy(op["after"]))
            items.sort(key=lambda i: model._ip_sort_key(i[field]))

    def close(self):
        self.closed = True


BASE = {
    "asn": 64513, "router_id": "172.16.30.254",
    "neighbors": [
        {"address": "172.16.30.101", "remote_as": 64513, "description": "kubefabric:default ubuntu-1",
         "hold_time": 90},
        {"address": "172.16.30.102", "remote_as": 64513, "route_reflector_client": True,
         "description": "kubefabric:default"},
    ],
    "listen_ranges": [{"prefix": "172.16.40.0/24", "remote_as": 64600, "peer_group": "autoscale"}],
}


# BASE as the device holds it after a merge: every neutral field present (defaults written out here,
# not computed by the model under test).
_NEIGHBOR_DEFAULTS = {"route_reflector_client": False, "multihop": False, "update_source": None, "hold_time": None,
                      "keepalive_time": None, "bfd": False, "import_policy": None, "export_policy": None,
                      "address_families": ["ipv4"], "passive": False}
BASE_PRESENT = {
    "asn": 64513, "router_id": "172.16.30.254",
    "neighbors": [
        dict(_NEIGHBOR_DEFAULTS, address="172.16.30.101", remote_as=64513, description="kubefabric:default ubuntu-1",
             hold_time=90),
        dict(_NEIGHBOR_DEFAULTS, address="172.16.30.102", remote_as=64513, description="kubefabric:default",
             route_reflector_client=True),
    ],
    "listen_ranges": [{"prefix": "172.16.40.0/24", "remote_as": 64600, "peer_group": "autoscale"}],
}
EMPTY = {"asn": None, "router_id": None, "neighbors": [], "listen_ranges": []}


def run(driver, state, config=None, check_mode=False, **kw):
    return resource.run(driver, state, config=config, check_mode=check_mode, host="r1", **kw)


def test_merged_creates_then_is_idempotent():
    drv = MemoryDriver()
    first = run(drv, "merged", BASE)
    assert first["changed"] is True and drv.writes == 4
    assert first["before"] == EMPTY
    assert first["after"] == BASE_PRESENT
    assert first["diff"] == {"before": first["before"], "after": first["after"]}
    writes = drv.writes
    second = run(drv, "merged", BASE)
    assert second["changed"] is False and second["commands"] == [] and drv.writes == writes
    assert second["before"] == second["after"] == first["after"]
    assert drv.closed


def test_check_mode_reports_but_never_applies():
    drv = MemoryDriver(read_only=True)
    result = run(drv, "merged", BASE, check_mode=True)
    assert result["changed"] is True and result["commands"]
    assert drv.writes == 0 and drv.store == EMPTY
    assert result["after"]["asn"] == 64513


def test_merged_only_touches_given_fields():
    drv = MemoryDriver(BASE)
    result = run(drv, "merged", {"neighbors": [{"address": "172.16.30.101", "remote_as": 64513, "bfd": True}]})
    assert result["changed"] is True
    after = model.find(result["after"]["neighbors"], "address", "172.16.30.101")
    assert after["bfd"] is True and after["description"] == "ubuntu-1" and after["hold_time"] == 90
    assert len(result["after"]["neighbors"]) == 2 and result["after"]["listen_ranges"]


def test_replaced_resets_unlisted_fields_of_listed_neighbors_only():
    drv = MemoryDriver(BASE)
    result = run(drv, "replaced", {"neighbors": [{"address": "172.16.30.101", "remote_as": 64513}]})
    after = model.find(result["after"]["neighbors"], "address", "172.16.30.101")
    assert after["description"] is None and after["hold_time"] is None
    assert model.find(result["after"]["neighbors"], "address", "172.16.30.102")["route_reflector_client"] is True
    # router_id is part of the replaced global object
    assert result["after"]["router_id"] is None and result["after"]["asn"] == 64513
    assert model.present(resource.user_view(drv.store)) == result["after"]


def test_replaced_default_equals_unset_no_churn():
    neighbor = {"address": "10.0.0.1", "remote_as": 2, "bfd": False, "address_families": ["ipv4"],
                "description": "kubefabric:default"}
    drv = MemoryDriver({"asn": 1, "neighbors": [neighbor]})
    result = run(drv, "replaced", {"asn": 1, "neighbors": [{"address": "10.0.0.1", "remote_as": 2}]})
    assert result["changed"] is False and drv.writes == 0


def test_overridden_removes_unlisted_managed_objects():
    drv = MemoryDriver(BASE)
    want = {"asn": 64513, "router_id": "172.16.30.254",
            "neighbors": [{"address": "172.16.30.103", "remote_as": 64513}]}
    result = run(drv, "overridden", want)
    assert [n["address"] for n in result["after"]["neighbors"]] == ["172.16.30.103"]
    assert result["after"]["listen_ranges"] == []
    assert drv.store["neighbors"][0]["address"] == "172.16.30.103"
    assert run(drv, "overridden", want)["changed"] is False


def test_deleted_listed_and_all():
    drv = MemoryDriver(BASE)
    result = run(drv, "deleted", {"neighbors": [{"address": "172.16.30.101"}, {"address": "10.9.9.9"}]})
    assert [n["address"] for n in result["after"]["neighbors"]] == ["172.16.30.102"]
    assert len(result["commands"]) == 1
    result = run(drv, "deleted")
    assert result["after"] == EMPTY
    assert drv.store == EMPTY
    assert run(drv, "deleted")["changed"] is False


def test_asn_change_is_a_global_update():
    drv = MemoryDriver(BASE)
    result = run(drv, "merged", {"asn": "65000"})
    assert result["changed"] is True
    assert result["commands"] == ["update global  [('asn', 65000)]"]


def test_password_write_only_on_create_and_always():
    drv = MemoryDriver()
    want = {"asn": 1, "neighbors": [{"address": "10.0.0.1", "remote_as": 2, "password": "s3cret"}]}
    first = run(drv, "merged", want)
    assert first["changed"] is True
    assert "s3cret" not in repr(first)
    # unreadable password: on_create does not resend, so the second run is idempotent
    assert run(drv, "merged", want)["changed"] is False
    # always: sent on every run
    again = run(drv, "merged", want, password_update="always")
    assert again["changed"] is True and "s3cret" not in repr(again)
    assert again["commands"] == ["update neighbor 10.0.0.1 [('password', '******')]"]


def test_password_readable_compares():
    drv = MemoryDriver(password_readable=True)
    want = {"asn": 1, "neighbors": [{"address": "10.0.0.1", "remote_as": 2, "password": "a"}]}
    run(drv, "merged", want)
    assert run(drv, "merged", want)["changed"] is False
    want["neighbors"][0]["password"] = "b"
    result = run(drv, "merged", want)
    assert result["changed"] is True and "'b'" not in repr(result)


def test_gathered_rendered_parsed():
    drv = MemoryDriver(dict(BASE, neighbors=[dict(BASE["neighbors"][0], password="pw")]))
    gathered = run(drv, "gathered")
    assert gathered["changed"] is False and gathered["gathered"]["asn"] == 64513
    assert "password" not in gathered["gathered"]["neighbors"][0]
    offline = MemoryDriver()
    offline.gather = None  # rendered/parsed must not touch the device
    rendered = run(offline, "rendered", BASE)
    assert rendered["changed"] is False and len(rendered["rendered"]) == 4
    parsed = resource.run(offline, "parsed", running_config="65001\n")
    assert parsed == {"changed": False, "parsed": dict(model.empty_config(), asn=65001)}


@pytest.mark.parametrize("state, kwargs, field", [
    ("merged", {}, "config"),
    ("rendered", {}, "config"),
    ("parsed", {}, "running_config"),
    ("bogus", {}, "state"),
    ("merged", {"config": {"asn": "x"}}, "config.asn"),
])
def test_bad_params_fail_before_gather(state, kwargs, field):
    drv = MemoryDriver()
    with pytest.raises(FabricError) as err:
        resource.run(drv, state, host="r1", **kwargs)
    assert err.value.field == field
    assert drv.gathers == 0


def test_driver_validation_fails_before_any_write():
    class Picky(MemoryDriver):
        def validate(self, want, state):
            if want["listen_ranges"]:
                raise FabricError("listen ranges need RouterOS 7", host="r1", field="config.listen_ranges",
                                  fix="remove them")
    drv = Picky(read_only=True)
    with pytest.raises(FabricError):
        run(drv, "merged", BASE)
    assert drv.writes == 0 and drv.closed


def test_compute_ops_shape():
    have = model.normalise(BASE)
    want = model.normalise({"neighbors": [{"address": "172.16.30.101", "remote_as": 64513, "hold_time": 30}]})
    plan = resource.compute(want, have, "merged")
    assert plan.ops == [dict(action="update", object="neighbor", key="172.16.30.101",
                             before=have["neighbors"][0], after=dict(have["neighbors"][0], hold_time=30),
                             changes={"hold_time": 30})]
    assert plan.of("neighbor", "update") == plan.ops and plan.of("global") == []
    with pytest.raises(ValueError):
        resource.compute(want, have, "gathered")


# --------------------------------------------------------------------------- ownership (devices/owner.py)

SHARED = {
    "asn": 64513, "router_id": "172.16.30.254",
    "neighbors": [
        {"address": "10.0.0.1", "remote_as": 65000, "description": "firewall"},              # the operator's
        {"address": "10.0.0.2", "remote_as": 65000, "description": "kubefabric:other n"},    # fabric "other"
        {"address": "172.16.30.101", "remote_as": 64513, "description": "kubefabric:default ubuntu-1"},
        {"address": "172.16.30.102", "remote_as": 64513, "description": "kubefabric: ubuntu-2"},  # legacy marker
    ],
}


def addresses(config):
    return [n["address"] for n in config["neighbors"]]


def test_overridden_touches_only_the_owners_neighbors():
    drv = MemoryDriver(SHARED)
    want = {"asn": 64513, "router_id": "172.16.30.254",
            "neighbors": [{"address": "172.16.30.103", "remote_as": 64513}]}
    result = run(drv, "overridden", want)
    assert addresses(result["before"]) == ["172.16.30.101", "172.16.30.102"]   # the legacy row is the default owner's
    assert addresses(result["after"]) == ["172.16.30.103"]
    assert addresses(drv.store) == ["10.0.0.1", "10.0.0.2", "172.16.30.103"]
    assert model.find(drv.store["neighbors"], "address", "10.0.0.1")["description"] == "firewall"
    assert run(drv, "overridden", want)["changed"] is False


def test_another_owner_sees_only_its_own():
    drv = MemoryDriver(SHARED)
    result = run(drv, "overridden", {"asn": 64513, "router_id": "172.16.30.254",
                                     "neighbors": [{"address": "10.0.0.2", "remote_as": 65000, "description": "n"}]},
                 owner="other")
    assert result["changed"] is False and addresses(result["before"]) == ["10.0.0.2"]
    assert run(drv, "deleted", owner="other")["changed"] is True
    assert addresses(drv.store) == ["10.0.0.1", "172.16.30.101", "172.16.30.102"]
    assert drv.store["asn"] == 64513  # the instance is shared: never removed


def test_unowned_planned_address_is_refused_before_any_write():
    drv = MemoryDriver(SHARED, read_only=True)
    for addr, fix in (("10.0.0.1", "adopt: true"), ("10.0.0.2", "fabric 'other'")):
        with pytest.raises(FabricError) as err:
            run(drv, "merged", {"neighbors": [{"address": addr, "remote_as": 65000}]})
        assert err.value.host == "r1" and err.value.field == "config.neighbors[address=%s]" % addr
        assert addr in err.value.message and fix in err.value.fix
    assert drv.writes == 0


def test_adopt_takes_over_an_unmarked_neighbor():
    drv = MemoryDriver(SHARED)
    result = run(drv, "merged", {"neighbors": [{"address": "10.0.0.1", "remote_as": 65000}]}, adopt=True)
    assert result["changed"] is True and result["adopted"] == ["10.0.0.1"]
    assert model.find(drv.store["neighbors"], "address", "10.0.0.1")["description"] == "kubefabric:default firewall"
    with pytest.raises(FabricError):  # another fabric's neighbor is never adopted
        run(drv, "merged", {"neighbors": [{"address": "10.0.0.2", "remote_as": 65000}]}, adopt=True)


@pytest.mark.parametrize("change, field", [({"asn": 64999}, "config.asn"), ({"router_id": "1.1.1.1"}, "config.router_id")])
def test_instance_wide_change_with_foreign_neighbors_is_refused(change, field):
    drv = MemoryDriver(SHARED, read_only=True)
    with pytest.raises(FabricError) as err:
        run(drv, "merged", change)
    assert err.value.field == field and err.value.host == "r1" and "10.0.0.1" in err.value.message
    assert drv.writes == 0


def test_replaced_keeps_the_router_id_of_a_shared_instance():
    drv = MemoryDriver(SHARED, read_only=True)
    result = run(drv, "replaced", {"neighbors": [{"address": "172.16.30.101", "remote_as": 64513,
                                                  "description": "ubuntu-1"}]}, check_mode=True)
    assert result["after"]["router_id"] == "172.16.30.254"


def test_password_rotation_is_detected_by_the_fingerprint():
    drv = MemoryDriver()   # cannot read passwords back
    want = {"asn": 1, "neighbors": [{"address": "10.0.0.1", "remote_as": 2, "password": "old-key"}]}
    run(drv, "merged", want)
    description = drv.store["neighbors"][0]["description"]
    assert description == "kubefabric:default/%s" % owner.fingerprint("old-key", "default", "10.0.0.1")
    assert "old-key" not in description
    want["neighbors"][0]["password"] = "new-key"
    result = run(drv, "merged", want)
    assert result["changed"] is True and "new-key" not in repr(result)
    assert drv.store["neighbors"][0]["password"] == "new-key"
    assert run(drv, "merged", want)["changed"] is False


def test_description_is_shortened_to_the_platform_field():
    drv = MemoryDriver()
    drv.description_max = 30
    run(drv, "merged", {"asn": 1, "neighbors": [{"address": "10.0.0.1", "remote_as": 2, "description": "x" * 50}]})
    assert len(drv.store["neighbors"][0]["description"]) == 30
    assert run(drv, "merged", {"asn": 1, "neighbors": [{"address": "10.0.0.1", "remote_as": 2,
                                                        "description": "x" * 50}]})["changed"] is False


def test_read_back_that_differs_fails_naming_the_field():
    class Lossy(MemoryDriver):
        def apply(self, commands):
            super().apply(commands)
            self.store["neighbors"][0]["hold_time"] = None   # the device dropped a value

    drv = Lossy()
    with pytest.raises(FabricError) as err:
        run(drv, "merged", {"asn": 1, "neighbors": [{"address": "10.0.0.1", "remote_as": 2, "hold_time": 90}]})
    assert err.value.field == "config.neighbors[address=10.0.0.1].hold_time" and err.value.host == "r1"


def test_after_is_the_read_back():
    class Rewriting(MemoryDriver):
        def apply(self, commands):
            super().apply(commands)
            self.store["neighbors"][0]["keepalive_time"] = 30   # a value the device derives

    want = {"asn": 1, "neighbors": [{"address": "10.0.0.1", "remote_as": 2, "hold_time": 90}]}
    result = run(Rewriting(), "merged", want)
    assert result["after"]["neighbors"][0]["keepalive_time"] == 30


def test_owner_is_validated():
    with pytest.raises(FabricError) as err:
        run(MemoryDriver(), "gathered", owner="Bad Owner")
    assert err.value.field == "owner"


def test_marker_parsing():
    assert owner.parse("kubefabric:") == (None, None, None)
    assert owner.parse("kubefabric: ubuntu-2") == (None, None, "ubuntu-2")
    assert owner.parse("kubefabric:fab-1/0123abcd spine 1") == ("fab-1", "0123abcd", "spine 1")
    assert owner.parse("firewall") is None and owner.parse(None) is None
    assert owner.owned_by("kubefabric: x", "default") and not owner.owned_by("kubefabric: x", "other")


def test_a_neighbor_created_by_a_lost_push_is_completed_by_the_next_run():
    class Lost(MemoryDriver):
        def apply(self, commands):
            # the link drops after the creation line: the neighbor exists, without its marker
            for _action, obj, _key, op in commands:
                if obj == "neighbor":
                    created = dict(op["after"], description=None, hold_time=None)
                    self.store["neighbors"].append(created)
                    break
            raise FabricError("session lost", host="r1", field="hostname", fix="run again")

    want = {"asn": 1, "neighbors": [{"address": "10.0.0.1", "remote_as": 2, "hold_time": 90}]}
    drv = Lost({"asn": 1})
    with pytest.raises(FabricError):
        run(drv, "merged", want)
    assert drv.store["neighbors"][0]["description"] is None
    drv.__class__ = MemoryDriver          # the device is reachable again
    result = run(drv, "merged", want)
    assert result["recovered"] == ["10.0.0.1"] and result["changed"] is True
    stored = drv.store["neighbors"][0]
    assert stored["description"] == "kubefabric:default" and stored["hold_time"] == 90
    assert run(drv, "merged", want)["changed"] is False
    # the journal is cleared: an unmarked neighbor at that address is now the operator's
    drv.store["neighbors"][0]["description"] = None
    with pytest.raises(FabricError):
        run(drv, "merged", want)
