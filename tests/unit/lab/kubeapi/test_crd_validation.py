"""The emulator decides Calico objects by the CRD manifests (../shared/reference/calico/crds).

Oracle: the cases of Calico's own CRD tests that ran against a real kube-apiserver with the v3 CRDs
loaded (``harness`` envtest / apitest in ../shared/reference/calico/validator/cel_cases.yaml): the
emulator serving projectcalico.org/v3 as native CRDs must accept and refuse exactly those.
"""
import copy
import ipaddress

import pytest
import yaml

from lab.kubeapi import crds, kinds
from lab.kubeapi.api import API, APIError
from tests.conftest import shared_path

pytest.importorskip("jsonschema")
pytest.importorskip("celpy")

_LOADED = {}


def crd_versions():
    if "all" not in _LOADED:
        _LOADED["all"] = crds.load(shared_path("reference", "calico", "crds"))
    return _LOADED["all"]


def server(calico_api_server=False, with_crds=True):
    return API(registry=kinds.Registry(kinds.CALICO_API_VERSIONS, calico_api_server,
                                       crd_versions() if with_crds else None))


def cel_cases():
    path = shared_path("reference", "calico", "validator", "cel_cases.yaml")
    with open(path, encoding="utf-8") as handle:
        cases = yaml.safe_load(handle)
    return [c for c in cases if not c["harness"].startswith("libcalico-go Validate()")]


def _create(api, group, case):
    obj = copy.deepcopy(case["object"])
    obj["apiVersion"] = group
    obj["kind"] = case["kind"]
    obj.setdefault("metadata", {}).setdefault("name", "case")
    return api.load(obj)


def test_crd_kinds_come_from_the_manifests():
    got = {(c.group, c.version, c.kind) for c in crd_versions().values()}
    assert ("crd.projectcalico.org", "v1", "BGPPeer") in got and ("projectcalico.org", "v3", "IPPool") in got
    assert len(got) == 10
    v3 = server(calico_api_server=False).kinds
    assert v3.by_kind("projectcalico.org/v3", "BGPConfiguration").short_names == ("bgpconfig", "bgpconfigs")
    assert v3.by_kind("projectcalico.org/v3", "IPPool").subresources == ("status",)
    assert [c[0] for c in v3.by_kind("projectcalico.org/v3", "BGPPeer").printer_columns] == \
        ["Node Selector", "Node", "Local ASN", "Peer Selector", "Peer IP", "Peer ASN"]


def test_calico_crd_test_cases_agree():
    """Every envtest/apitest case: accepted or refused as upstream's kube-apiserver did, with its message."""
    disagree = []
    cases = cel_cases()
    for case in cases:
        api = server()
        try:
            _create(api, "projectcalico.org/v3", case)
            accepted, message = True, ""
        except APIError as exc:
            accepted, message = False, exc.body["message"]
        wrong_words = not accepted and case["error_substring"] and case["error_substring"] not in message
        if accepted != case["valid"] or wrong_words:
            disagree.append((case["id"], case["valid"], message))
    assert len(cases) == 87
    assert disagree == []


def test_transition_rules_run_on_update_only():
    api = server()
    rtype = api.kinds.by_kind("projectcalico.org/v3", "IPPool")
    pool = {"apiVersion": "projectcalico.org/v3", "kind": "IPPool", "metadata": {"name": "p"},
            "spec": {"cidr": "10.1.0.0/16", "blockSize": 26}}
    created = api.create(rtype, None, pool)
    changed = copy.deepcopy(created)
    changed["spec"]["blockSize"] = 24
    with pytest.raises(APIError) as err:
        api.update(rtype, None, "p", changed)
    assert err.value.code == 422
    assert err.value.body["details"]["causes"] == [
        {"reason": "FieldValueInvalid", "field": "spec.blockSize",
         "message": 'Invalid value: "integer": Block size cannot be changed; follow IP pool migration guide to '
                    'avoid corruption.'}]


def test_schema_errors_are_worded_like_kube_apiserver():
    api = server()
    with pytest.raises(APIError) as err:
        _create(api, "crd.projectcalico.org/v1", {"kind": "BGPPeer", "object": {
            "metadata": {"name": "x"}, "spec": {"asNumber": "x", "nextHopMode": "Sometimes", "node": "n" * 300}}})
    assert err.value.body["message"] == (
        'BGPPeer.crd.projectcalico.org "x" is invalid: ['
        'spec.asNumber: Invalid value: "string": spec.asNumber in body must be of type integer: "string", '
        'spec.nextHopMode: Unsupported value: "Sometimes": supported values: "Auto", "Self", "Keep", '
        'spec.node: Too long: may not be more than 253 bytes]')


def test_pruning_and_defaults_follow_the_structural_schema():
    api = server()
    api.begin_request("Warn")
    got = _create(api, "crd.projectcalico.org/v1", {"kind": "IPPool", "object": {
        "metadata": {"name": "p"}, "spec": {"cidr": "10.2.0.0/16", "colour": "red", "natOutgoing": None}}})
    assert got["spec"] == {"cidr": "10.2.0.0/16", "assignmentMode": "Automatic", "nodeSelector": "all()"}
    assert api.request_warnings() == ['unknown field "spec.colour"']
    api.begin_request("Strict")
    with pytest.raises(APIError) as err:
        _create(api, "crd.projectcalico.org/v1", {"kind": "IPPool", "object": {
            "metadata": {"name": "q"}, "spec": {"cidr": "10.3.0.0/16", "colour": "red"}}})
    assert err.value.code == 400 and 'unknown field "spec.colour"' in err.value.body["message"]


def test_calico_api_server_decodes_asdot_and_defaults_pools():
    api = server(calico_api_server=True)
    _create(api, "projectcalico.org/v3", {"kind": "BGPPeer", "object": {
        "metadata": {"name": "asdot"}, "spec": {"peerIP": "192.0.2.1", "asNumber": "1.10"}}})
    v1 = api.kinds.by_kind("crd.projectcalico.org/v1", "BGPPeer")
    assert api.get(v1, None, "asdot")["spec"]["asNumber"] == 65546
    pool = _create(api, "projectcalico.org/v3", {"kind": "IPPool", "object": {
        "metadata": {"name": "p"}, "spec": {"cidr": "fd00:1::/64"}}})["spec"]
    assert pool == {"cidr": "fd00:1::/64", "blockSize": 122, "ipipMode": "Never", "vxlanMode": "Never",
                    "nodeSelector": "all()", "allowedUses": ["Workload", "Tunnel"], "assignmentMode": "Automatic"}
    assert ipaddress.ip_network(pool["cidr"]).prefixlen == 64


def test_without_manifests_kinds_are_served_without_schema_checks():
    api = server(with_crds=False)
    got = _create(api, "crd.projectcalico.org/v1", {"kind": "BGPPeer", "object": {
        "metadata": {"name": "x"}, "spec": {"node": "n1", "nodeSelector": "all()", "colour": "red"}}})
    assert got["spec"] == {"node": "n1", "nodeSelector": "all()", "colour": "red"}


def _node_status(name, routes):
    return {"lastUpdated": "2026-12-06T07:00:00Z",
            "bgp": {"numberEstablishedV4": 1, "numberNotEstablishedV4": 0, "numberEstablishedV6": 0,
                    "numberNotEstablishedV6": 0,
                    "peersV4": [{"peerIP": "10.0.0.2", "type": "NodeMesh", "state": "Established",
                                 "since": "07:00:00"}]},
            "routes": {"routesV4": [{"type": "FIB", "destination": "10.%d.%d.0/26" % (i // 250, i % 250),
                                     "gateway": "10.0.0.2", "interface": "eth0",
                                     "learnedFrom": {"sourceType": "BGPPeer", "peerIP": "10.0.0.2"}}
                                    for i in range(routes)]}}


def test_status_patches_are_validated_and_never_change_what_was_stored_or_served_before():
    """The status subresource's write path shares the stored object instead of copying it: a refused
    status changes nothing, an accepted one leaves the previous version (history, earlier answers) as
    it was, and a LIST that shares the stored objects serves exactly what a copying one serves."""
    import json
    api = server()
    rtype = api.kinds.by_path("crd.projectcalico.org", "v1", "caliconodestatuses")
    api.create(rtype, None, {"metadata": {"name": "n1"}, "spec": {"node": "n1", "classes": ["Agent", "BGP", "Routes"],
                                                                  "updatePeriodSeconds": 1}})
    first = api.patch(rtype, None, "n1", "application/merge-patch+json",
                      json.dumps({"status": _node_status("n1", 3)}), subresource="status")
    stored_first = api.store.get(rtype.storage, None, "n1", shared=True)
    snapshot = json.dumps(stored_first, sort_keys=True)
    bad = _node_status("n1", 1)
    bad["routes"]["routesV4"][0]["type"] = "Sideways"       # not one of FIB, RIB
    with pytest.raises(APIError) as refused:
        api.patch(rtype, None, "n1", "application/merge-patch+json", json.dumps({"status": bad}),
                  subresource="status")
    assert refused.value.code == 422 and "status.routes.routesV4[0].type" in refused.value.body["message"]
    assert api.store.get(rtype.storage, None, "n1", shared=True) is stored_first
    second = api.patch(rtype, None, "n1", "application/merge-patch+json",
                       json.dumps({"status": _node_status("n1", 5)}), subresource="status")
    assert len(second["status"]["routes"]["routesV4"]) == 5 and second["spec"] == first["spec"]
    assert json.dumps(stored_first, sort_keys=True) == snapshot          # the previous version untouched
    assert len(first["status"]["routes"]["routesV4"]) == 3               # and the answer given for it
    second["spec"]["node"] = "changed"                                    # an answer is the caller's copy
    shared, copied = api.list(rtype, shared=True), api.list(rtype)
    assert shared == copied and copied["items"][0]["spec"]["node"] == "n1"
    assert shared["items"][0]["status"] is api.store.get(rtype.storage, None, "n1", shared=True)["status"]
