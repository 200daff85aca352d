"""The collection's Calico validation against Calico's own validation tests, case by case.

The cases are read from ../shared/reference/calico/validator (never copied; see its README): the
BGP entries of libcalico-go's validator_test.go (``cases.yaml``) and the CRD/CEL tables
(``cel_cases.yaml``). Each case runs through ``resources.validate`` the way upstream ran it:

- ``crdval-*`` and ``cases.yaml`` entries went through libcalico-go ``Validate()``: Calico's Go
  validators (plus CRD defaults, schema and CEL for pointer resources). That is the v3 API server
  path without the clientv3 layer around it (``api_server=True, clientv3=False``).
- ``envtest-*`` and ``apitest-*`` cases went to a kube-apiserver with the v3 CRDs: schema and CEL
  only (``api_server=False``).
- ``spec`` and ``fragment`` entries passed only a spec (or a part of one, given as ``as_spec``);
  they are wrapped in an object with a valid name (``default`` for BGPConfiguration, whose other
  names restrict fields).

The verdict (accepted or refused) must agree for every case except those listed in
``CRD_PATH_DIFFERENCES``: spec-only entries upstream checked with the Go validators alone, which
the collection, checking whole objects, also runs through the CRD schema (the README's caveat).
"""
import pytest
import yaml

from ansible_collections.kubefabric.bgp.plugins.module_utils.calico import resources
from tests.conftest import SHARED, oracle_missing

FOLDER = SHARED / "reference" / "calico" / "validator"
FILES = ("cases.yaml", "cel_cases.yaml")

# Spec-only entries (crd_validation: false) whose Go tag ``net`` accepts a bare IP where the CRD
# schema's ``format: cidr`` does not; upstream never ran the schema on them (README, CEL.md).
_BARE_IP = "spec-only entry: Go validators only upstream; the CRD's format cidr refuses a bare IP"
CRD_PATH_DIFFERENCES = {
    "bgpconfig-005": _BARE_IP,
    "bgpconfig-006": _BARE_IP,
    "bgpconfig-010": _BARE_IP,
}


def _load():
    if not all((FOLDER / name).exists() for name in FILES):
        return []
    cases = []
    for name in FILES:
        with open(FOLDER / name, encoding="utf-8") as handle:
            cases.extend(yaml.load(handle, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)))
    return cases


CASES = _load()


def as_object(case):
    """The case as a whole projectcalico.org/v3 object."""
    if case["what"] == "object":
        obj = dict(case["object"])
    else:
        body = case["as_spec"] if case["what"] == "fragment" else case["object"]
        name = "default" if case["kind"] == "BGPConfiguration" else "validator-case"
        obj = {"metadata": {"name": name}, "spec": body.get("spec")}
    obj["apiVersion"] = resources.GROUP_V3
    obj["kind"] = case["kind"]
    return obj


def verdict(case):
    """True when the collection accepts the case's object."""
    crd_only = case["id"].startswith(("envtest-", "apitest-"))
    errors = resources.validate(as_object(case), resources.GROUP_V3, api_server=not crd_only, clientv3=False)
    return not errors, errors


def test_oracle_present():
    if not CASES:
        oracle_missing("Calico's validator cases not available at %s" % FOLDER)
    assert len(CASES) == 289  # 165 validator_test.go entries + 124 CRD/CEL table cases


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_agrees_with_calico(case):
    accepted, errors = verdict(case)
    if case["id"] in CRD_PATH_DIFFERENCES:
        assert accepted != case["valid"], "now agrees: drop %s from CRD_PATH_DIFFERENCES" % case["id"]
        return
    assert accepted == case["valid"], "%s (%s): upstream %s, collection %s: %s" % (
        case["id"], case["description"], "accepts" if case["valid"] else "refuses",
        "accepts" if accepted else "refuses", [e.k8s_text() for e in errors])


def test_agreement_count():
    if not CASES:
        oracle_missing("Calico's validator cases not available at %s" % FOLDER)
    agree = sum(1 for case in CASES if verdict(case)[0] == case["valid"])
    assert agree == len(CASES) - len(CRD_PATH_DIFFERENCES)
    assert set(CRD_PATH_DIFFERENCES) <= {case["id"] for case in CASES}
