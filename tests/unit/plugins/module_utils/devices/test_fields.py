"""The neighbor field table (fields.py) against what it drives: the doc fragment, the model, the
RouterOS version facts, and the CLI lines.  Expected values are written out here."""
# pylint: disable=protected-access
import yaml

from ansible_collections.kubefabric.bgp.plugins.doc_fragments.bgp_config import ModuleDocFragment
from ansible_collections.kubefabric.bgp.plugins.module_utils.devices import cli, fields, model, routeros

DOC_KEYS = ("type", "elements", "choices", "required", "aliases", "default")


def _fragment_neighbors():
    doc = yaml.safe_load(ModuleDocFragment.DOCUMENTATION)
    return doc["options"]["config"]["suboptions"]["neighbors"]["suboptions"]


def test_doc_fragment_documents_every_table_field_as_its_argument_spec():
    documented = _fragment_neighbors()
    assert list(documented) == list(fields.NEIGHBOR_FIELDS)
    for row in fields.NEIGHBOR_TABLE:
        doc = {key: documented[row.name][key] for key in DOC_KEYS if key in documented[row.name]}
        spec = {key: row.option[key] for key in DOC_KEYS if key in row.option}
        assert doc == spec, row.name
        assert documented[row.name]["description"], row.name


def test_model_takes_fields_defaults_and_spec_from_the_table():
    neighbors = model.config_argument_spec()["options"]["neighbors"]["options"]
    assert neighbors["password"] == {"type": "str", "no_log": True}
    assert neighbors["address"] == {"type": "str", "required": True, "aliases": ["peer"]}
    assert model.DEFAULTS == {"route_reflector_client": False, "multihop": False, "bfd": False, "passive": False,
                              "address_families": ["ipv4"]}
    assert model.SECRET_FIELDS == ("password",)


def test_routeros_names_per_version():
    assert sorted(fields.routeros_fields((6, 49, 0))) == [
        "address-families", "comment", "hold-time", "in-filter", "keepalive-time", "multihop", "out-filter",
        "passive", "remote-as", "route-reflect", "tcp-md5-key", "update-source", "use-bfd"]
    v7 = ["comment", "connect", "hold-time", "input.filter", "keepalive-time", "local.address", "multihop",
          "output.filter-chain", "remote.as", "tcp-md5-key", "use-bfd"]
    assert sorted(fields.routeros_fields((7, 18, 0))) == sorted(v7 + ["address-families"])
    assert sorted(fields.routeros_fields((7, 19, 0))) == sorted(v7 + ["afi"])
    assert routeros.Layout((7, 19, 0)).afi_field == "afi" and routeros.Layout((7, 18, 3)).afi_field == "address-families"


def test_routeros_6_hold_time_default_is_180_seconds_in_one_place():
    assert fields.routeros_default("hold-time", (6, 49, 0)) == 180
    assert fields.routeros_default("hold-time", (7, 10, 0)) is None
    layout = routeros.Layout((6, 49, 0))
    row = {"remote-address": "10.0.0.1", "remote-as": "65001", "hold-time": "3m", "comment": "kubefabric:"}
    assert routeros.neighbor_from_row(row, "10.0.0.1", layout)["hold_time"] is None
    assert routeros.neighbor_from_row(dict(row, **{"hold-time": "1m30s"}), "10.0.0.1", layout)["hold_time"] == 90
    assert routeros._unset(layout, "hold-time") == {"hold-time": "3m"}
    assert routeros._unset(routeros.Layout((7, 10, 0)), "hold-time") == {"!hold-time": ""}


def test_cli_lines_of_the_table_fields_and_back():
    neighbor = dict(model.empty_neighbor("10.0.0.2"), remote_as=65002, description="spine", password="pw1",
                    update_source="lo", multihop=True, hold_time=9, keepalive_time=3, bfd=True)
    expected = {
        "comware": ["peer 10.0.0.2 description spine", "peer 10.0.0.2 password simple pw1",
                    "peer 10.0.0.2 connect-interface lo", "peer 10.0.0.2 ebgp-max-hop 255",
                    "peer 10.0.0.2 timer keepalive 3 hold 9", "peer 10.0.0.2 bfd"],
        "frr": ["neighbor 10.0.0.2 description spine", "neighbor 10.0.0.2 password pw1",
                "neighbor 10.0.0.2 update-source lo", "neighbor 10.0.0.2 ebgp-multihop 255",
                "neighbor 10.0.0.2 timers 3 9", "neighbor 10.0.0.2 bfd"],
    }
    for platform, (prefix, undo) in (("comware", ("peer", "undo peer")), ("frr", ("neighbor", "no neighbor"))):
        lines = cli.field_lines(platform, model.empty_neighbor("10.0.0.2"), neighbor, prefix, undo)
        assert lines == expected[platform]
        entry = fields.cli_entry(platform)
        for line in lines:
            words = line.split(None, 3)
            cli.store_attr(entry, platform, words[2], words[3] if len(words) > 3 else "")
        assert {key: entry[key] for key in ("description", "password", "update_source", "multihop", "hold_time",
                                            "keepalive_time", "bfd")} == {
            "description": "spine", "password": "pw1", "update_source": "lo", "multihop": True, "hold_time": 9,
            "keepalive_time": 3, "bfd": True}
        back = cli.field_lines(platform, neighbor, model.empty_neighbor("10.0.0.2"), prefix, undo)
        assert back[0] == "%s 10.0.0.2 description" % undo and len(back) == 6
