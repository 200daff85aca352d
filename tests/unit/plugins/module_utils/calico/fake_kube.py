# -*- coding: utf-8 -*-
# Copyright: kubefabric.bgp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A fake Kubernetes API at the transport level, for unit tests of the Calico connection layer.

It speaks the REST paths the real server speaks (discovery documents, collections, objects, merge
patches, ``dryRun=All``, ``resourceVersion`` conflicts, 404/409 Status bodies), so ``KubeClient`` is
exercised unchanged. ``read_only=True`` makes every non-dry-run write fail the test: a check-mode
run that writes cannot pass.
"""
import copy
import json

from ansible_collections.kubefabric.bgp.plugins.module_utils.calico import k8s

CALICO_PLURALS = {"bgppeers": "BGPPeer", "bgpconfigurations": "BGPConfiguration",
                  "caliconodestatuses": "CalicoNodeStatus", "bgpfilters": "BGPFilter", "ippools": "IPPool"}
CORE_PLURALS = {"nodes": "Node", "secrets": "Secret", "namespaces": "Namespace"}
OTHER_PLURALS = {"coordination.k8s.io/v1": {"leases": "Lease"}}


def merge_patch(target, patch):
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = copy.deepcopy(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


class FakeKube:
    host = "https://fake-apiserver:6443"

    def __init__(self, groups=(k8s.V3, k8s.V1), read_only=False):
        self.groups = set(groups)
        self.read_only = read_only
        self.store = {}           # (plural, namespace, name) -> obj; Calico kinds share storage across groups
        self.requests = []        # (method, path, query)
        self.writes = 0           # persisted writes
        self.dry_runs = 0
        self._version = 100
        self.status_hook = None   # called on GET of a CalicoNodeStatus (plays calico-node)

    # -- seeding and inspection --------------------------------------------------------------------
    def add(self, plural, obj, namespace=None):
        obj = copy.deepcopy(obj)
        meta = obj.setdefault("metadata", {})
        if namespace:
            meta["namespace"] = namespace
        self._version += 1
        meta["resourceVersion"] = str(self._version)
        meta.setdefault("uid", "uid-%d" % self._version)
        self.store[(plural, namespace, meta["name"])] = obj
        return obj

    def obj(self, plural, name, namespace=None):
        return self.store.get((plural, namespace, name))

    def names(self, plural):
        return sorted(name for (p, _ns, name) in self.store if p == plural)

    # -- the transport interface -------------------------------------------------------------------
    def _error(self, status, reason, message, what):
        body = json.dumps({"kind": "Status", "apiVersion": "v1", "status": "Failure", "message": message,
                           "reason": reason, "code": status})
        return k8s.api_error(status, body, self.host, what)

    def _parse(self, path):
        parts = [p for p in path.split("/") if p]
        if parts[0] == "api":
            group_version, rest = parts[1], parts[2:]
            kinds = CORE_PLURALS
        else:
            group_version, rest = "/".join(parts[1:3]), parts[3:]
            if group_version in OTHER_PLURALS:
                kinds = OTHER_PLURALS[group_version]
            elif group_version not in self.groups:
                return group_version, None, None, None
            else:
                kinds = CALICO_PLURALS
        namespace = None
        if rest[:1] == ["namespaces"] and len(rest) >= 3:
            namespace, rest = rest[1], rest[2:]
        plural = rest[0] if rest else None
        name = rest[1] if len(rest) > 1 else None
        if plural is not None and plural not in kinds:
            raise AssertionError("fake does not serve %s" % path)
        return group_version, plural, namespace, name

    def request(self, method, path, body=None, query=None, content_type=None, what=None):
        query = dict(query or {})
        what = what or path
        self.requests.append((method, path, query))
        group_version, plural, namespace, name = self._parse(path)
        if path.startswith("/apis/") and plural is None:
            if group_version not in self.groups:
                raise self._error(404, "NotFound", "the server could not find the requested resource", what)
            return {"kind": "APIResourceList", "groupVersion": group_version,
                    "resources": [{"name": p, "kind": k, "namespaced": False} for p, k in CALICO_PLURALS.items()]}
        dry = query.get("dry_run") == "All"
        if method != "get":
            if dry:
                self.dry_runs += 1
            elif self.read_only:
                raise AssertionError("a write reached the server in check mode: %s %s" % (method, path))
        key = (plural, namespace, name)
        kind = CORE_PLURALS.get(plural) or CALICO_PLURALS.get(plural) or OTHER_PLURALS.get(group_version, {}).get(plural)
        if method == "get" and name is None:
            items = [copy.deepcopy(o) for (p, ns, _name), o in sorted(self.store.items(), key=lambda kv: kv[0][2])
                     if p == plural and (namespace is None or ns == namespace)]
            selector = query.get("label_selector")
            if selector:
                label, value = selector.split("=", 1)
                items = [o for o in items if (o["metadata"].get("labels") or {}).get(label) == value]
            return {"kind": kind + "List", "items": items}
        if method == "get":
            if key not in self.store:
                raise self._error(404, "NotFound", '%s "%s" not found' % (plural, name), what)
            if plural == "caliconodestatuses" and self.status_hook:
                self.status_hook(self.store[key])
            return copy.deepcopy(self.store[key])
        if method == "post":
            obj = copy.deepcopy(body)
            key = (plural, namespace, obj["metadata"]["name"])
            if key in self.store:
                raise self._error(409, "AlreadyExists", '%s "%s" already exists' % (plural, key[2]), what)
            if dry:
                return obj
            self.writes += 1
            obj["apiVersion"] = group_version
            return copy.deepcopy(self.add(plural, obj, namespace))
        if key not in self.store:
            raise self._error(404, "NotFound", '%s "%s" not found' % (plural, name), what)
        current = self.store[key]
        if method == "put":
            version = (body.get("metadata") or {}).get("resourceVersion")
            if version and version != current["metadata"]["resourceVersion"]:
                raise self._error(409, "Conflict", "the object has been modified", what)
            new = copy.deepcopy(body)
        elif method == "patch":
            assert content_type == "application/merge-patch+json", content_type
            new = merge_patch(current, body)
        elif method == "delete":
            if not dry:
                self.writes += 1
                del self.store[key]
            return {"kind": "Status", "status": "Success"}
        else:
            raise AssertionError(method)
        if dry:
            return new
        self.writes += 1
        new["metadata"]["uid"] = current["metadata"]["uid"]
        return copy.deepcopy(self.add(plural, new, namespace))


def client(fake, check_mode=False, api_group="auto"):
    return k8s.KubeClient(fake, check_mode=check_mode, api_group=api_group)
