# -*- coding: utf-8 -*-
# Copyright: kubefabric.bgp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""fabric_verify's CalicoNodeStatus objects: one LIST per round, created once, never deleted, nothing
written in check mode (the fake API server counts every request)."""
from ansible_collections.kubefabric.bgp.plugins.module_utils.calico import status
from tests.unit.plugins.module_utils.calico.fake_kube import FakeKube, client

PEER = {"peerIP": "10.0.0.2", "type": "NodeMesh", "state": "Established", "since": "09:36:19"}
FILLED = {"lastUpdated": "2026-01-01T09:36:20Z", "bgp": {"numberEstablishedV4": 1, "peersV4": [PEER]}}
NODES = ["n1", "n2", "n3"]
CLASSES = ["Agent", "BGP", "Routes"]


def writes(fake):
    return [r for r in fake.requests if r[0].lower() not in ("get",)]


def lists(fake):
    return [r for r in fake.requests if r[0].lower() == "get" and r[1].endswith("/caliconodestatuses")]


def test_first_round_creates_the_missing_objects_later_rounds_and_runs_only_list():
    fake = FakeKube()
    statuses = status.VerifyStatuses(client(fake), NODES, CLASSES)
    view = statuses.read()
    assert statuses.created == ["kubefabric-verify-n1", "kubefabric-verify-n2", "kubefabric-verify-n3"]
    assert view["pending"] == NODES and view["nodes"] == {} and view["unobserved"] == {}
    obj = fake.obj("caliconodestatuses", "kubefabric-verify-n1")
    assert obj["metadata"]["labels"] == {"app.kubernetes.io/managed-by": "kubefabric",
                                         "app.kubernetes.io/component": "fabric-verify"}
    assert obj["spec"] == {"node": "n1", "classes": CLASSES, "updatePeriodSeconds": 1}
    for name in fake.names("caliconodestatuses"):
        fake.obj("caliconodestatuses", name)["status"] = FILLED
    before = len(fake.requests)
    view = statuses.read()
    assert sorted(view["nodes"]) == NODES and view["pending"] == []
    assert fake.requests[before:] == lists(fake)[-1:]  # the second round: one LIST, nothing else
    # a later run: one LIST, nothing created, patched or deleted
    again = status.VerifyStatuses(client(fake), NODES, CLASSES)
    before, listed = len(writes(fake)), len(lists(fake))
    again.read()  # (its new client asks discovery once: a GET)
    assert again.created == [] and again.updated == []
    assert len(writes(fake)) == before and len(lists(fake)) == listed + 1
    assert not [r for r in writes(fake) if r[0].lower() == "delete"]


def test_an_own_object_with_fewer_classes_or_another_period_is_patched_once():
    fake = FakeKube()
    obj = status.verify_status_object("n1", ["Agent", "BGP"], period=5)
    obj["status"] = FILLED
    fake.add("caliconodestatuses", obj)
    statuses = status.VerifyStatuses(client(fake), ["n1"], CLASSES)
    view = statuses.read()
    assert statuses.updated == ["kubefabric-verify-n1"] and statuses.created == []
    assert fake.obj("caliconodestatuses", "kubefabric-verify-n1")["spec"] == {
        "node": "n1", "classes": CLASSES, "updatePeriodSeconds": 1}
    assert view["pending"] == ["n1"]  # its status was made for the old spec


def test_check_mode_writes_nothing_reads_what_exists_and_names_what_it_cannot_observe():
    fake = FakeKube(read_only=True)  # a write of any kind fails the test
    theirs = {"metadata": {"name": "operators-n2"}, "spec": {"node": "n2", "classes": ["Agent", "BGP"]},
              "status": FILLED}
    fake.add("caliconodestatuses", theirs)
    mine = status.verify_status_object("n1", CLASSES)
    mine["status"] = FILLED
    fake.add("caliconodestatuses", mine)
    statuses = status.VerifyStatuses(client(fake, check_mode=True), NODES, CLASSES, write=False)
    for _round in range(3):
        view = statuses.read()
    assert fake.writes == 0 and fake.dry_runs == 0 and writes(fake) == []
    assert len(lists(fake)) == 3 and statuses.created == [] and statuses.updated == []
    assert sorted(view["nodes"]) == ["n1", "n2"]
    assert view["unobserved"] == {"n2": "CalicoNodeStatus operators-n2 does not report Routes",
                                  "n3": "no CalicoNodeStatus object"}


def test_the_own_object_wins_over_anyones_and_a_filled_one_over_an_empty_one():
    items = [{"metadata": {"name": "a-empty"}, "spec": {"node": "n1", "classes": CLASSES}},
             {"metadata": {"name": "b-filled"}, "spec": {"node": "n1", "classes": ["BGP"]}, "status": FILLED},
             {"metadata": {"name": "c-other"}, "spec": {"node": "n9", "classes": CLASSES}, "status": FILLED}]
    assert status.pick_status_objects(items, ["n1"], CLASSES)["n1"]["metadata"]["name"] == "b-filled"
    items.append(dict(status.verify_status_object("n1", CLASSES)))
    assert status.pick_status_objects(items, ["n1"], CLASSES)["n1"]["metadata"]["name"] == "kubefabric-verify-n1"


def test_routes_only_where_checked_a_changed_choice_patches_only_the_objects_that_differ():
    fake = FakeKube()
    classes = status.node_classes(NODES, ["n1"])
    assert classes == {"n1": CLASSES, "n2": ["Agent", "BGP"], "n3": ["Agent", "BGP"]}
    statuses = status.VerifyStatuses(client(fake), NODES, classes)
    statuses.read()
    assert fake.obj("caliconodestatuses", "kubefabric-verify-n1")["spec"]["classes"] == CLASSES
    assert fake.obj("caliconodestatuses", "kubefabric-verify-n2")["spec"]["classes"] == ["Agent", "BGP"]
    for name in fake.names("caliconodestatuses"):
        fake.obj("caliconodestatuses", name)["status"] = FILLED
    view = statuses.read()
    assert sorted(view["nodes"]) == NODES and view["unobserved"] == {}  # n2, n3 need no Routes
    # a rerun with the same choice writes nothing
    before = len(writes(fake))
    again = status.VerifyStatuses(client(fake), NODES, classes)
    again.read()
    assert again.created == again.updated == [] and len(writes(fake)) == before
    # the routes now checked at n2 instead of n1: n1 loses Routes, n2 gets them, n3 is left alone
    moved = status.VerifyStatuses(client(fake), NODES, status.node_classes(NODES, ["n2"]))
    view = moved.read()
    assert moved.updated == ["kubefabric-verify-n1", "kubefabric-verify-n2"] and moved.created == []
    assert fake.obj("caliconodestatuses", "kubefabric-verify-n1")["spec"]["classes"] == ["Agent", "BGP"]
    assert fake.obj("caliconodestatuses", "kubefabric-verify-n2")["spec"]["classes"] == CLASSES
    assert view["pending"] == ["n1", "n2"] and sorted(view["nodes"]) == ["n3"]


def test_check_mode_with_per_node_classes_only_a_checked_node_lacking_routes_is_not_observed():
    fake = FakeKube()
    for node in NODES:
        obj = status.verify_status_object(node, ["Agent", "BGP"])
        obj["status"] = FILLED
        fake.add("caliconodestatuses", obj)
    before = len(writes(fake))
    view = status.VerifyStatuses(client(fake), NODES, status.node_classes(NODES, ["n1"]), write=False).read()
    assert len(writes(fake)) == before
    assert list(view["unobserved"]) == ["n1"] and "Routes" in view["unobserved"]["n1"]
