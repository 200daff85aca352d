"""Field ownership: ``metadata.managedFields`` (FieldsV1) for updates and server-side apply.

A field set is a set of paths; a path is a tuple of FieldsV1 keys: ``f:<field>`` for a map field,
``k:<json>`` for an item of an associative list (merged by key), ``v:<json>`` for a value of a set
list, and ``.`` for "the item itself".  Lists that are neither (see ``patch.LIST_STRATEGY``) are atomic
leaves.  Apply: a field that another manager owns with a different value is a conflict (409) unless
``force``; fields the applier owned before and no longer applies are removed unless someone else
owns them.  Update: changed fields move to the updater.
"""
import datetime
import json

from .patch import PRIMITIVE, list_strategy
from .store import clone

MISSING = object()
ITEM = "."

# Not owned by anyone: identity and server-set metadata.
_SKIP_TOP = ("apiVersion", "kind")
_SKIP_META = ("name", "namespace", "uid", "resourceVersion", "generation", "creationTimestamp",
              "managedFields", "selfLink", "deletionTimestamp", "deletionGracePeriodSeconds",
              "generateName")


class ApplyConflict(Exception):
    def __init__(self, conflicts):
        super().__init__("conflicts")
        self.conflicts = conflicts   # [(manager, dotted path)]


def _key(prefix, value):
    return prefix + json.dumps(value, sort_keys=True, separators=(",", ":"))


def _logical(path):
    out = []
    for elem in path:
        out.append(elem[2:] if elem.startswith("f:") else "[]")
    return tuple(out)


def flatten(obj, kind, path=(), out=None):
    """``{path: leaf value}`` of ``obj`` (``ITEM`` paths map to None)."""
    if out is None:
        out = {}
        if not isinstance(obj, dict):
            return out
        for key, value in obj.items():
            if key in _SKIP_TOP:
                continue
            if key == "metadata" and isinstance(value, dict):
                meta = {k: v for k, v in value.items() if k not in _SKIP_META}
                if meta:
                    flatten(meta, kind, ("f:metadata",), out)
                continue
            flatten(value, kind, ("f:" + key,), out)
        return out
    if isinstance(obj, dict):
        if not obj:
            out[path] = {}
        for key, value in obj.items():
            flatten(value, kind, path + ("f:" + key,), out)
    elif isinstance(obj, list):
        strategy = list_strategy(kind, _logical(path))
        if strategy is None:
            out[path] = obj
        elif strategy == PRIMITIVE:
            for value in obj:
                out[path + (_key("v:", value),)] = value
        else:
            for item in obj:
                if isinstance(item, dict) and strategy in item:
                    item_path = path + (_key("k:", {strategy: item[strategy]}),)
                    out[item_path + (ITEM,)] = None
                    flatten(item, kind, item_path, out)
                else:
                    out[path] = obj
    else:
        out[path] = obj
    return out


def to_fields_v1(paths):
    root = {}
    for path in sorted(paths):
        node = root
        for elem in path:
            node = node.setdefault(elem, {})
    return root


def from_fields_v1(tree, prefix=()):
    paths = set()
    if not isinstance(tree, dict):
        return paths
    for key, sub in tree.items():
        path = prefix + (key,)
        if key == ITEM or not sub:
            paths.add(path)
        else:
            paths |= from_fields_v1(sub, path)
    return paths


def now():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _entries(obj):
    out = []
    for entry in (obj or {}).get("metadata", {}).get("managedFields") or []:
        if not isinstance(entry, dict) or not entry.get("manager"):
            continue
        item = {k: v for k, v in entry.items() if k != "fieldsV1"}
        item["set"] = from_fields_v1(entry.get("fieldsV1") or {})
        out.append(item)
    return out


def _store_entries(obj, entries):
    managed = []
    for entry in entries:
        if not entry["set"]:
            continue
        item = {k: v for k, v in entry.items() if k != "set"}
        item["fieldsType"] = "FieldsV1"
        item["fieldsV1"] = to_fields_v1(entry["set"])
        managed.append(item)
    meta = obj.setdefault("metadata", {})
    if managed:
        meta["managedFields"] = managed
    else:
        meta.pop("managedFields", None)


def _entry(entries, manager, operation, api_version, subresource):
    for entry in entries:
        if entry["manager"] == manager and entry["operation"] == operation \
                and entry.get("subresource") == subresource:
            return entry
    entry = {"manager": manager, "operation": operation, "apiVersion": api_version, "set": set()}
    if subresource:
        entry["subresource"] = subresource
    entries.append(entry)
    return entry


def record_update(old, new, kind, manager, api_version, subresource=None):
    """Set ``new``'s managedFields: fields that changed from ``old`` now belong to ``manager``."""
    entries = _entries(old)
    old_flat = flatten(old, kind) if old else {}
    new_flat = flatten(new, kind)
    changed = {p for p, v in new_flat.items() if old_flat.get(p, MISSING) != v}
    removed = set(old_flat) - set(new_flat)
    for entry in entries:
        entry["set"] -= changed | removed
    if changed:
        entry = _entry(entries, manager, "Update", api_version, subresource)
        entry["set"] |= changed
        entry["apiVersion"] = api_version
        entry["time"] = now()
    _store_entries(new, entries)
    return new


def _dotted(path):
    out = []
    for elem in path:
        if elem == ITEM:
            continue
        out.append("." + elem[2:] if elem.startswith("f:") else "[" + elem[2:] + "]")
    return "".join(out)


def _delete_path(obj, path):
    """Remove the field at ``path`` (``ITEM`` ends remove the list item itself)."""
    if path and path[-1] == ITEM:
        path = path[:-1]
    parents = [obj]
    cur = obj
    for elem in path[:-1]:
        cur = _child(cur, elem)
        if cur is None:
            return
        parents.append(cur)
    last = path[-1]
    if last.startswith("f:") and isinstance(cur, dict):
        cur.pop(last[2:], None)
    elif last.startswith("k:") and isinstance(cur, list):
        want = json.loads(last[2:])
        cur[:] = [i for i in cur if not (isinstance(i, dict) and all(i.get(k) == v for k, v in want.items()))]
    elif last.startswith("v:") and isinstance(cur, list):
        value = json.loads(last[2:])
        cur[:] = [i for i in cur if i != value]


def _child(cur, elem):
    if elem.startswith("f:"):
        return cur.get(elem[2:]) if isinstance(cur, dict) else None
    if elem.startswith("k:") and isinstance(cur, list):
        want = json.loads(elem[2:])
        for item in cur:
            if isinstance(item, dict) and all(item.get(k) == v for k, v in want.items()):
                return item
    return None


def _merge_applied(live, config, kind, path=()):
    if isinstance(config, dict):
        result = clone(live) if isinstance(live, dict) else {}
        for key, value in config.items():
            if value is None:
                continue
            result[key] = _merge_applied(result.get(key), value, kind, path + (key,))
        return result
    if isinstance(config, list):
        strategy = list_strategy(kind, path)
        if strategy is None or not isinstance(live, list):
            return clone(config)
        result = clone(live)
        if strategy == PRIMITIVE:
            for value in config:
                if value not in result:
                    result.append(value)
            return result
        for item in config:
            if not isinstance(item, dict) or strategy not in item:
                return clone(config)
            idx = next((n for n, o in enumerate(result)
                        if isinstance(o, dict) and o.get(strategy) == item[strategy]), None)
            if idx is None:
                result.append(_merge_applied({}, item, kind, path + ("[]",)))
            else:
                result[idx] = _merge_applied(result[idx], item, kind, path + ("[]",))
        return result
    return clone(config)


def apply(live, config, kind, manager, api_version, force=False):
    """Server-side apply ``config`` by ``manager`` onto ``live`` (None to create); returns the result.

    Raises ``ApplyConflict`` listing (manager, field) pairs when other managers own applied fields
    with other values and ``force`` is false.
    """
    entries = _entries(live)
    live_flat = flatten(live, kind) if live else {}
    cfg_flat = flatten(config, kind)
    applied = set(cfg_flat)
    conflicts = []
    for entry in entries:
        if entry["manager"] == manager and entry["operation"] == "Apply":
            continue
        clash = {p for p in applied & entry["set"]
                 if p[-1] != ITEM and live_flat.get(p, MISSING) != cfg_flat[p]}
        if clash and not force:
            conflicts.extend((entry["manager"], _dotted(p)) for p in sorted(clash))
        entry["set"] -= clash
    if conflicts:
        raise ApplyConflict(conflicts)
    mine = _entry(entries, manager, "Apply", api_version, None)
    others = set()
    for entry in entries:
        if entry is not mine:
            others |= entry["set"]
    result = clone(live) if live else {}
    for path in sorted(mine["set"] - applied, key=len, reverse=True):
        if path in others:
            continue
        if path[-1] == ITEM and any(o[:len(path) - 1] == path[:-1] for o in others):
            continue
        _delete_path(result, path)
    result = _merge_applied(result, {k: v for k, v in config.items() if k != "metadata"}, kind)
    meta = result.setdefault("metadata", {})
    for key, value in (config.get("metadata") or {}).items():
        if key in _SKIP_META or value is None:
            continue
        meta[key] = _merge_applied(meta.get(key), value, kind, ("metadata", key))
    mine["set"] = applied
    mine["apiVersion"] = api_version
    mine["time"] = now()
    _store_entries(result, entries)
    return result
