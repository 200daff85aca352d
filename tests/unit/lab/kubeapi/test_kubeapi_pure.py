"""The emulator's pure parts: patches, selectors, field ownership, protobuf decoding, the store."""
import pytest

from lab.kubeapi import fieldmanager, patch, protobuf, selectors
from lab.kubeapi.store import Store


def test_merge_patch_rfc7386():
    target = {"a": "b", "c": {"d": "e", "f": "g"}}
    assert patch.merge_patch(target, {"a": "z", "c": {"f": None}}) == {"a": "z", "c": {"d": "e"}}
    assert patch.merge_patch({"a": [1, 2]}, {"a": [3]}) == {"a": [3]}
    assert target == {"a": "b", "c": {"d": "e", "f": "g"}}


def test_json_patch_and_failed_test_op():
    doc = {"metadata": {"labels": {"a": "1"}}}
    out = patch.json_patch(doc, [{"op": "add", "path": "/metadata/labels/b", "value": "2"},
                                 {"op": "remove", "path": "/metadata/labels/a"}])
    assert out == {"metadata": {"labels": {"b": "2"}}}
    with pytest.raises(patch.PatchError):
        patch.json_patch(doc, [{"op": "test", "path": "/metadata/labels/a", "value": "x"}])
    with pytest.raises(patch.PatchError):
        patch.json_patch(doc, {"op": "add"})


def test_strategic_merge_lists_by_merge_key_and_directives():
    pod = {"spec": {"containers": [{"name": "a", "image": "x", "env": [{"name": "E", "value": "1"}]},
                                   {"name": "b", "image": "y"}],
                    "tolerations": [{"key": "k"}]},
           "metadata": {"finalizers": ["f1"]}}
    out = patch.strategic_merge_patch(pod, {
        "spec": {"containers": [{"name": "a", "image": "x2", "env": [{"name": "F", "value": "2"}]},
                                {"name": "b", "$patch": "delete"}, {"name": "c", "image": "z"}],
                 "tolerations": [{"key": "other"}]},
        "metadata": {"finalizers": ["f2"]}}, "Pod")
    assert [c["name"] for c in out["spec"]["containers"]] == ["a", "c"]
    assert out["spec"]["containers"][0]["image"] == "x2"
    assert [e["name"] for e in out["spec"]["containers"][0]["env"]] == ["E", "F"]
    assert out["spec"]["tolerations"] == [{"key": "other"}]       # atomic list: replaced
    assert out["metadata"]["finalizers"] == ["f1", "f2"]           # set of primitives: merged
    out = patch.strategic_merge_patch(out, {"metadata": {"$deleteFromPrimitiveList/finalizers": ["f1"]},
                                            "spec": {"$patch": "replace", "nodeName": "n"}}, "Pod")
    assert out == {"metadata": {"finalizers": ["f2"]}, "spec": {"nodeName": "n"}}


def test_strategic_merge_replaces_lists_of_calico_kinds():
    obj = {"spec": {"exportV4": [{"action": "Accept"}]}}
    assert patch.strategic_merge_patch(obj, {"spec": {"exportV4": [{"action": "Reject"}]}}, "BGPFilter") == \
        {"spec": {"exportV4": [{"action": "Reject"}]}}


@pytest.mark.parametrize("text,labels,expected", [
    ("a=b", {"a": "b"}, True),
    ("a==b,c", {"a": "b"}, False),
    ("a!=b", {}, True),
    ("a in (x, y),!z", {"a": "y"}, True),
    ("a notin (x)", {"a": "x"}, False),
    ("", {"a": "x"}, True),
    ("example.com/rack", {"example.com/rack": "1"}, True),
])
def test_label_selectors(text, labels, expected):
    assert selectors.match_labels(selectors.parse_labels(text), labels) is expected


def test_label_selector_errors_and_field_selectors():
    with pytest.raises(selectors.SelectorError):
        selectors.parse_labels("a in x")
    reqs = selectors.parse_fields("spec.nodeName=n1,metadata.name!=b")
    selectors.check_fields("Pod", reqs)
    assert selectors.match_fields(reqs, {"metadata": {"name": "a"}, "spec": {"nodeName": "n1"}})
    assert not selectors.match_fields(reqs, {"metadata": {"name": "b"}, "spec": {"nodeName": "n1"}})
    with pytest.raises(selectors.SelectorError, match="field label not supported: spec.nodeName"):
        selectors.check_fields("Node", reqs)


def test_field_ownership_update_and_apply():
    obj = {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "n", "labels": {"a": "1"}},
           "spec": {"podCIDRs": ["10.0.0.0/24"]}}
    fieldmanager.record_update(None, obj, "Node", "creator", "v1")
    tree = obj["metadata"]["managedFields"][0]["fieldsV1"]
    assert tree == {"f:metadata": {"f:labels": {"f:a": {}}}, "f:spec": {"f:podCIDRs": {'v:"10.0.0.0/24"': {}}}}
    applied = fieldmanager.apply(obj, {"metadata": {"labels": {"b": "2"}}}, "Node", "applier", "v1")
    assert applied["metadata"]["labels"] == {"a": "1", "b": "2"}
    with pytest.raises(fieldmanager.ApplyConflict) as err:
        fieldmanager.apply(applied, {"metadata": {"labels": {"a": "9"}}}, "Node", "applier", "v1")
    assert err.value.conflicts == [("creator", ".metadata.labels.a")]
    same_value = fieldmanager.apply(applied, {"metadata": {"labels": {"a": "1"}}}, "Node", "applier", "v1")
    assert same_value["metadata"]["labels"] == {"a": "1"}       # co-owned; b released and removed
    owners = {e["manager"] for e in same_value["metadata"]["managedFields"]}
    assert owners == {"creator", "applier"}


def test_fields_v1_round_trip_with_list_items():
    pod = {"spec": {"containers": [{"name": "a", "image": "x"}]}}
    paths = set(fieldmanager.flatten(pod, "Pod"))
    tree = fieldmanager.to_fields_v1(paths)
    assert tree == {"f:spec": {"f:containers": {'k:{"name":"a"}': {".": {}, "f:image": {}, "f:name": {}}}}}
    assert fieldmanager.from_fields_v1(tree) == paths


def _varint(n):
    out = b""
    while True:
        byte = n & 0x7F
        n >>= 7
        if n:
            out += bytes([byte | 0x80])
        else:
            return out + bytes([byte])


def _field(number, payload):
    if isinstance(payload, str):
        payload = payload.encode()
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


def test_protobuf_secret():
    meta = _field(1, "s") + _field(3, "kube-system") + _field(11, _field(1, "app") + _field(2, "x"))
    secret = _field(1, meta) + _field(2, _field(1, "pw") + _field(2, b"\x00\x01")) + _field(3, "Opaque")
    body = protobuf.MAGIC + _field(1, _field(1, "v1") + _field(2, "Secret")) + _field(2, secret)
    assert protobuf.decode(body) == {"apiVersion": "v1", "kind": "Secret",
                                     "metadata": {"name": "s", "namespace": "kube-system", "labels": {"app": "x"}},
                                     "data": {"pw": "AAE="}, "type": "Opaque"}
    with pytest.raises(protobuf.ProtobufError):
        protobuf.decode(protobuf.MAGIC + _field(1, _field(1, "v1") + _field(2, "Pod")))


def test_store_resource_versions_and_watch_history():
    store = Store()
    first = store.put("core/Node", {"metadata": {"name": "a"}}, "ADDED")
    second = store.put("core/Node", {"metadata": {"name": "a", "labels": {"x": "y"}}}, "MODIFIED")
    assert int(second["metadata"]["resourceVersion"]) > int(first["metadata"]["resourceVersion"])
    watcher, initial = store.watch("core/Node", None, first["metadata"]["resourceVersion"])
    assert [(e[2], e[3]["metadata"]["resourceVersion"]) for e in initial] == \
        [("MODIFIED", second["metadata"]["resourceVersion"])]
    store.remove("core/Node", None, "a")
    assert watcher.queue.get(timeout=1)[2] == "DELETED"
    watcher.close()
    assert store.watchers == []


def _status(name, routes):
    return {"metadata": {"name": name}, "status": {"routes": ["10.%d.%d.0/24" % (i // 256, i % 256)
                                                              for i in range(routes)]}}


def test_store_history_is_bounded_by_bytes_and_old_watches_get_410():
    store = Store(history=1000, history_bytes=20000)
    first = store.put("calico/CalicoNodeStatus", _status("n0", 10), "ADDED")["metadata"]["resourceVersion"]
    for i in range(40):                            # each event holds ~1.5 KB of routes
        store.put("calico/CalicoNodeStatus", _status("n%d" % (i % 4), 100), "MODIFIED")
    stats = store.stats()
    assert stats["event_bytes"] <= 20000 and 0 < stats["events"] < 41
    assert stats["objects"] == 4
    with pytest.raises(LookupError):
        store.watch("calico/CalicoNodeStatus", None, first)
    watcher, initial = store.watch("calico/CalicoNodeStatus", None, str(stats["compacted_rv"]))
    assert len(initial) == stats["events"]
    watcher.close()


def test_store_shares_one_copy_between_objects_history_and_watchers():
    store = Store()
    watcher, _initial = store.watch("core/Node", None, None)
    given = {"metadata": {"name": "a", "labels": {"x": "y"}}}
    returned = store.put("core/Node", given, "ADDED")
    event = watcher.queue.get(timeout=1)
    assert event[3] is store.objects["core/Node"][("", "a")] is store.history[-1][3]
    given["metadata"]["labels"]["x"] = "changed"        # the caller's object and the copy it got back
    returned["metadata"]["labels"]["x"] = "changed"     # are not the stored one
    assert store.get("core/Node", None, "a")["metadata"]["labels"] == {"x": "y"}
    watcher.close()


def test_counters_by_verb_and_resource():
    from lab.kubeapi import counters
    count = counters.Counters()
    assert counters.verb_of("GET", None, True) == "watch" and counters.verb_of("DELETE", None, False) == \
        "deletecollection"
    count.record("list", "bgppeers.projectcalico.org", "/apis/...", False, 200)
    count.record("patch", "bgppeers.projectcalico.org", "/apis/...", False, 200)
    count.record("patch", "bgppeers.projectcalico.org", "/apis/...", True, 200)
    count.record("create", "caliconodestatuses.projectcalico.org", "/apis/...", False, 422)
    snap = count.snapshot()
    assert snap["requests"]["total"] == 4
    assert snap["writes"] == {"total": 2, "failed": 1, "by_verb": {"create": 1, "patch": 1},
                              "by_resource": {"bgppeers.projectcalico.org": {"patch": 1},
                                              "caliconodestatuses.projectcalico.org": {"create": 1}}}
    assert snap["dry_runs"]["by_verb"] == {"patch": 1}
    assert (count.writes, count.dry_runs) == (2, 1)
    count.reset()
    assert count.snapshot()["requests"] == {"total": 0, "by_verb": {}, "by_resource": {}}


def test_stored_objects_share_equal_strings_and_clones_keep_sharing():
    import json
    store = Store()
    for name in ("a", "b"):    # as a request decodes them: equal strings, distinct objects
        store.put("calico/CalicoNodeStatus", json.loads(json.dumps(_status(name, 3))), "ADDED", owned=True)
    a = store.get("calico/CalicoNodeStatus", None, "a", shared=True)["status"]["routes"]
    b = store.get("calico/CalicoNodeStatus", None, "b", shared=True)["status"]["routes"]
    assert a == b and all(x is y for x, y in zip(a, b))
    copied = store.get("calico/CalicoNodeStatus", None, "a")["status"]["routes"]
    assert copied == a and copied is not a and all(x is y for x, y in zip(copied, a))
