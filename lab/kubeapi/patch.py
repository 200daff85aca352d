"""JSON merge patch (RFC 7386), JSON patch (RFC 6902, via ``jsonpatch``) and strategic merge patch.

Strategic merge patch needs to know, for each list, whether it is merged by a key, merged as a set
of primitives or replaced whole.  ``LIST_STRATEGY`` holds that for the kinds the emulator serves (the
``patchStrategy``/``patchMergeKey`` tags of the Kubernetes Go types); any other list is replaced,
which is also what the Calico API server does for its kinds.  Server-side apply uses the same table
for its associative lists.
"""

from .store import clone

PRIMITIVE = "$primitive"   # list merged as a set of scalars (metadata.finalizers)

_COMMON = {
    ("metadata", "ownerReferences"): "uid",
    ("metadata", "finalizers"): PRIMITIVE,
}
_CONTAINER = {
    ("ports",): "containerPort",
    ("env",): "name",
    ("volumeMounts",): "mountPath",
    ("volumeDevices",): "devicePath",
}


def _pod():
    table = {
        ("spec", "volumes"): "name",
        ("spec", "imagePullSecrets"): "name",
        ("spec", "hostAliases"): "ip",
        ("spec", "resourceClaims"): "name",
        ("spec", "topologySpreadConstraints"): "topologyKey",
        ("status", "conditions"): "type",
    }
    for field in ("containers", "initContainers", "ephemeralContainers"):
        table[("spec", field)] = "name"
        for sub, key in _CONTAINER.items():
            table[("spec", field, "[]") + sub] = key
    return table


LIST_STRATEGY = {
    "Pod": _pod(),
    "Node": {
        ("spec", "podCIDRs"): PRIMITIVE,
        ("status", "conditions"): "type",
        ("status", "addresses"): "type",
    },
    "Namespace": {("status", "conditions"): "type"},
}


def list_strategy(kind, path):
    """``None`` (atomic: replaced whole), ``PRIMITIVE`` or the merge key of the list at ``path``.

    ``path`` holds field names, with ``"[]"`` standing for "an item of the list".
    """
    path = tuple(path)
    if path in _COMMON:
        return _COMMON[path]
    return LIST_STRATEGY.get(kind, {}).get(path)


def merge_patch(target, patch):
    """RFC 7386 JSON merge patch."""
    if not isinstance(patch, dict):
        return clone(patch)
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


class PatchError(ValueError):
    pass


def json_patch(target, operations):
    """RFC 6902 JSON patch; ``PatchError`` when an operation fails (the API server answers 422)."""
    if not isinstance(operations, list):
        raise PatchError("json: cannot unmarshal object into Go value of type jsonpatch.Patch")
    # jsonpatch must be in requirements-dev.txt; imported here so that only JSON patches need it
    import jsonpatch  # pylint: disable=import-outside-toplevel
    try:
        return jsonpatch.JsonPatch(operations).apply(clone(target))
    except (jsonpatch.JsonPatchException, jsonpatch.JsonPointerException) as exc:
        raise PatchError(str(exc)) from exc
    except (KeyError, TypeError, IndexError, ValueError) as exc:
        raise PatchError("invalid JSON patch: %s" % exc) from exc


def _clean(value):
    """A value from a patch with the ``$`` directives and nulls of new maps removed."""
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items() if not k.startswith("$") and v is not None}
    if isinstance(value, list):
        return [_clean(v) for v in value if not (isinstance(v, dict) and v.get("$patch"))]
    return value


def strategic_merge_patch(original, patch, kind):
    if not isinstance(patch, dict):
        raise PatchError("strategic merge patch must be a JSON object")
    return _smp_map(original if isinstance(original, dict) else {}, patch, kind, ())


def _smp_map(orig, patch, kind, path):
    directive = patch.get("$patch")
    if directive == "replace":
        return _clean(patch)
    if directive not in (None, "merge", "replace", "delete"):
        raise PatchError("unknown patch type: %s in map: %s" % (directive, patch))
    result = clone(orig) if isinstance(orig, dict) else {}
    for key, value in patch.items():
        if key.startswith("$deleteFromPrimitiveList/"):
            field = key.split("/", 1)[1]
            if isinstance(result.get(field), list):
                result[field] = [v for v in result[field] if v not in (value or [])]
            continue
        if key.startswith("$"):
            continue
        sub = path + (key,)
        if value is None:
            result.pop(key, None)
        elif isinstance(value, dict):
            if value.get("$patch") == "delete":
                result.pop(key, None)
            else:
                result[key] = _smp_map(result.get(key), value, kind, sub)
        elif isinstance(value, list):
            result[key] = _smp_list(result.get(key), value, kind, sub)
        else:
            result[key] = value
    retain = patch.get("$retainKeys")
    if isinstance(retain, list):
        result = {k: v for k, v in result.items() if k in retain}
    for key, order in patch.items():
        if key.startswith("$setElementOrder/") and isinstance(order, list):
            field = key.split("/", 1)[1]
            if isinstance(result.get(field), list):
                result[field] = _reorder(result[field], order, list_strategy(kind, path + (field,)))
    return result


def _smp_list(orig, patch, kind, path):
    strategy = list_strategy(kind, path)
    if strategy is None:
        return _clean(patch)
    orig = clone(orig) if isinstance(orig, list) else []
    if any(isinstance(i, dict) and i.get("$patch") == "replace" for i in patch):
        return _clean(patch)
    if strategy == PRIMITIVE:
        for value in patch:
            if value not in orig:
                orig.append(value)
        return orig
    for item in patch:
        if not isinstance(item, dict):
            raise PatchError("strategic merge patch: list %s needs maps with key %r" % (".".join(path), strategy))
        if strategy not in item:
            raise PatchError("map: %s does not contain declared merge key: %s" % (item, strategy))
        idx = next((n for n, o in enumerate(orig) if isinstance(o, dict) and o.get(strategy) == item[strategy]),
                   None)
        if item.get("$patch") == "delete":
            if idx is not None:
                del orig[idx]
            continue
        if idx is None:
            orig.append(_smp_map({}, item, kind, path + ("[]",)))
        else:
            orig[idx] = _smp_map(orig[idx], item, kind, path + ("[]",))
    return orig


def _reorder(items, order, strategy):
    def ident(item):
        if strategy not in (None, PRIMITIVE) and isinstance(item, dict):
            return ("k", repr(item.get(strategy)))
        return ("v", repr(item))

    rank = {ident(o): n for n, o in enumerate(order)}
    return sorted(items, key=lambda item: rank.get(ident(item), len(rank)))
