"""The inventory schema: its table against what the collection reads and against docs/fabric-plan.md."""
import re
from pathlib import Path

import pytest

from ansible_collections.kubefabric.bgp.plugins.module_utils.common.errors import FabricError
from ansible_collections.kubefabric.bgp.plugins.module_utils.fabric import schema

REPO = Path(__file__).resolve().parents[5]


def _names_in(paths, pattern):
    found = set()
    for path in paths:
        found |= set(re.findall(pattern, path.read_text()))
    return found


def test_every_kubefabric_variable_of_the_roles_is_known():
    """A role option or fact the schema does not know would be refused as an unknown variable."""
    files = list((REPO / "roles").rglob("*.yml")) + list((REPO / "playbooks").glob("*.yml"))
    used = _names_in(files, r"\b(kubefabric_[a-z0-9_]*[a-z0-9])\b")
    assert used - schema.KNOWN == set()


def test_every_variable_the_action_plugin_and_roles_read_is_known():
    files = list((REPO / "roles").rglob("*.yml")) + list((REPO / "plugins" / "action").glob("*.py")) + [
        REPO / "plugins" / "module_utils" / "devices" / "connection.py"]
    used = _names_in(files, r"\b((?:bgp|fabric|tor|route_reflector|calico)_[a-z0-9_]*[a-z0-9])\b")
    # module names and module options that share the prefixes are not variables
    used = {n for n in used if schema.owned(n)}
    modules = {p.stem for p in (REPO / "plugins" / "modules").glob("*.py")}
    not_vars = modules | {"bgp_configuration", "bgp_peers", "fabric_passwords", "fabric_plan", "bgp_password_update",
                          "calico_labels", "route_reflector_cluster_id", "calico_node_name", "fabric_role",
                          "fabric_id"}
    assert {n for n in used - not_vars if n not in schema.KNOWN} == set()


def test_docs_list_every_variable():
    doc = (REPO / "docs" / "fabric-plan.md").read_text()
    for var in schema.VARIABLES + schema.CONNECTION_VARS:
        assert "`%s`" % var.name in doc, var.name


@pytest.mark.parametrize("value,expected", [
    (True, True), (False, False), ("false", False), ("False", False), ("no", False), ("NO", False), ("off", False),
    ("0", False), (0, False), ("n", False), ("yes", True), ("on", True), ("1", True), (1, True), ("TRUE", True)])
def test_booleans_as_ansible_reads_them(value, expected):
    assert schema.to_bool(value, "h", "route_reflector") is expected


@pytest.mark.parametrize("value", ["maybe", "", 2, 1.0, [], {}])
def test_not_booleans(value):
    with pytest.raises(FabricError) as err:
        schema.to_bool(value, "h", "route_reflector")
    assert (err.value.host, err.value.field, err.value.fix) == ("h", "route_reflector", "write true or false")


@pytest.mark.parametrize("value,expected", [(65000, 65000), ("65000", 65000), ("1.10", 65546), ("4294967295", 4294967295)])
def test_asn(value, expected):
    assert schema.to_asn(value, "h", "bgp_asn") == expected


@pytest.mark.parametrize("value,words", [(0, "reserved"), ("0", "reserved"), (23456, "AS_TRANS"), ("0.23456", "AS_TRANS"),
                                         (65000.1, "quote it"), (4294967296, "not an AS"), ("65536.1", "not an AS"),
                                         (-1, "not an AS"), (True, "not an AS"), ("abc", "not an AS")])
def test_bad_asn(value, words):
    with pytest.raises(FabricError) as err:
        schema.to_asn(value, "h", "bgp_asn")
    assert words in str(err.value) and err.value.host == "h" and err.value.field == "bgp_asn"


@pytest.mark.parametrize("platform,password,ok", [
    ("frr", "x" * 80, True), ("frr", "x" * 81, False), ("frr", "a?b", False), ("frr", "a b", False),
    ("comware", "a?b", False), ("comware", "a b", False), ("routeros", "a?b", True), ("routeros", "a b", True),
    ("routeros", "x" * 300, False), ("routeros", "", False), ("routeros", 'a"b', False), ("frr", "a\\b", False),
    ("comware", "Pa$$w0rd!#%&", True)])
def test_password_rules(platform, password, ok):
    if ok:
        assert schema.check_password(password, platform, "d") == password
        return
    with pytest.raises(FabricError) as err:
        schema.check_password(password, platform, "d")
    assert err.value.field == "bgp_password" and err.value.fix and password not in str(err.value) or not password


def test_unknown_variables_namespaces():
    names = {"all": ["calico_version", "calico_network_backend", "service_account", "ntp", "ansible_user",
                     "kubefabric_node_group", "pod_network"],
             "tor1": ["bgp_device_username", "inventory_hostname"]}
    assert schema.unknown_variables(names) == []
    with pytest.raises(FabricError) as err:
        schema.unknown_variables({"tor1": ["kubefabric_plan_expects"]})
    assert "did you mean" in err.value.message
    assert schema.unknown_variables({"tor1": ["bgp_pasword"]}, mode="ignore") == []
    assert schema.unknown_variables({"tor1": ["bgp_pasword"]}, extra=["bgp_pasword"]) == []
