"""What the emulated API server does with a request, apart from HTTP: the object semantics.

``API`` creates, reads, updates, patches, applies, deletes and watches objects of the kinds in
``kinds.py``, with the API server's rules: resourceVersion preconditions (409), namespaces that must
exist (404), server-side dry run, status subresources, generation, managedFields, and validation of
the Calico kinds by their CRD manifests (``crds.py``; 422 with a Kubernetes ``Status``).
``APIError`` carries the ``Status`` body.
"""
import base64
import datetime
import json
import re
import threading
import uuid

import yaml

from . import calico_apiserver, fieldmanager, kinds, patch as patchlib, selectors
from .store import Store, clone

APPLY = "application/apply-patch+yaml"
MERGE = "application/merge-patch+json"
JSON_PATCH = "application/json-patch+json"
STRATEGIC = "application/strategic-merge-patch+json"
PATCH_TYPES = (JSON_PATCH, MERGE, STRATEGIC, APPLY)

_DNS1123_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")


def status(code, reason, message, details=None):
    body = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
            "message": message, "reason": reason, "code": code}
    if details:
        body["details"] = details
    return body


class APIError(Exception):
    def __init__(self, code, reason, message, details=None):
        super().__init__(message)
        self.code = code
        self.body = status(code, reason, message, details)


def _details(rtype, name, kind=None):
    details = {"name": name, "kind": kind or rtype.plural}
    if rtype.group:
        details["group"] = rtype.group
    return details


def not_found(rtype, name):
    return APIError(404, "NotFound", '%s "%s" not found' % (rtype.qualified, name), _details(rtype, name))


def bad_request(message):
    return APIError(400, "BadRequest", message)


def conflict(rtype, name):
    return APIError(409, "Conflict",
                    'Operation cannot be fulfilled on %s "%s": the object has been modified; please apply '
                    'your changes to the latest version and try again' % (rtype.qualified, name),
                    _details(rtype, name))


def _go_value(value):
    if isinstance(value, str):
        return json.dumps(value)
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    return json.dumps(value, sort_keys=True)


def invalid(rtype, name, errors, message=None):
    """422 Invalid; ``errors`` are ``(field, value, detail, reason)`` tuples."""
    kind_ref = "%s.%s" % (rtype.kind, rtype.group) if rtype.group else rtype.kind
    causes = []
    texts = []
    for field, value, detail, reason in errors:
        reason = reason or "FieldValueInvalid"
        if reason == "FieldValueRequired":
            text = "Required value: %s" % detail if detail else "Required value"
        elif reason == "FieldValueForbidden":
            text = "Forbidden: %s" % detail
        elif reason == "FieldValueNotSupported":
            text = "Unsupported value: %s: supported values: %s" % (_go_value(value), detail)
        elif reason == "FieldValueTooLong":
            text = "Too long: %s" % detail
        elif reason == "FieldValueTooMany":
            text = "Too many: %s: %s" % (_go_value(value), detail)
        elif reason == "FieldValueDuplicate":
            text = "Duplicate value: %s" % _go_value(value)
        else:
            text = "Invalid value: %s: %s" % (_go_value(value), detail)
        causes.append({"reason": reason, "message": text, "field": field})
        texts.append("%s: %s" % (field, text) if field else text)
    if message is None:
        joined = texts[0] if len(texts) == 1 else "[%s]" % ", ".join(texts)
        message = '%s "%s" is invalid: %s' % (kind_ref, name, joined)
    details = _details(rtype, name, rtype.kind)
    details["causes"] = causes
    return APIError(422, "Invalid", message, details)


def now():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _spec_of(obj):
    """Everything but metadata and status: what bumps ``generation``."""
    return {k: v for k, v in obj.items() if k not in ("metadata", "status", "apiVersion", "kind")}


class API:
    def __init__(self, validate=True, registry=None):
        self.kinds = registry or kinds.DEFAULT
        self.store = Store()
        self.validate_calico = validate
        self.lock = threading.RLock()
        self._request = threading.local()
        for name in ("default", "kube-system", "kube-public", "kube-node-lease"):
            self.load({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})

    # -- per-request options (each request runs in its own thread) -------------------------------
    def begin_request(self, field_validation=None):
        """Set the request's ``fieldValidation`` (Strict, Warn, Ignore) and clear its warnings."""
        self._request.field_validation = field_validation
        self._request.warnings = []

    def warn(self, text):
        if not hasattr(self._request, "warnings"):
            self._request.warnings = []
        self._request.warnings.append(text)

    def request_warnings(self):
        return list(getattr(self._request, "warnings", []))

    # -- helpers ----------------------------------------------------------------------------------
    def _present(self, rtype, obj):
        obj = clone(obj)
        obj["apiVersion"] = rtype.api_version
        obj["kind"] = rtype.kind
        return obj

    @staticmethod
    def _present_shared(rtype, obj):
        """``obj`` as served, sharing everything below the top level with the stored object."""
        out = {"apiVersion": rtype.api_version, "kind": rtype.kind}
        out.update((key, value) for key, value in obj.items() if key not in ("apiVersion", "kind"))
        return out

    def _check_namespace(self, rtype, namespace):
        if rtype.namespaced:
            if not namespace:
                raise bad_request("the server could not find the requested resource")
            if self.store.get("core/Namespace", None, namespace, shared=True) is None:
                raise APIError(404, "NotFound", 'namespaces "%s" not found' % namespace,
                               {"name": namespace, "kind": "namespaces"})

    def _check_identity(self, rtype, namespace, body, name=None):
        if not isinstance(body, dict):
            raise bad_request("the body of the request is not a JSON object")
        api_version = body.get("apiVersion")
        kind = body.get("kind")
        if api_version and api_version != rtype.api_version:
            raise bad_request("the API version in the data (%s) does not match the expected API version (%s)"
                              % (api_version, rtype.api_version))
        if kind and kind != rtype.kind:
            raise bad_request("the kind in the data (%s) does not match the expected kind (%s)" % (kind, rtype.kind))
        meta = body.setdefault("metadata", {})
        if not isinstance(meta, dict):
            raise bad_request("metadata must be an object")
        if rtype.namespaced:
            if meta.get("namespace") and meta["namespace"] != namespace:
                raise bad_request("the namespace of the provided object does not match the namespace sent "
                                  "on the request")
            meta["namespace"] = namespace
        else:
            meta.pop("namespace", None)
        if name is not None and meta.get("name") and meta["name"] != name:
            raise bad_request("the name of the object (%s) does not match the name on the URL (%s)"
                              % (meta["name"], name))
        if name is not None:
            meta["name"] = name
        body["apiVersion"] = rtype.api_version
        body["kind"] = rtype.kind

    @staticmethod
    def _normalise(rtype, obj):
        """What the API server's defaulting/conversion does on every write of core kinds."""
        if rtype.kind == "Secret":
            string_data = obj.pop("stringData", None) or {}
            if string_data:
                data = obj.setdefault("data", {}) or {}
                for key, value in string_data.items():
                    data[key] = base64.b64encode(str(value).encode()).decode()
                obj["data"] = data
            if not obj.get("type"):
                obj["type"] = "Opaque"

    def _validate(self, rtype, obj, old=None):
        self._normalise(rtype, obj)
        name = obj["metadata"].get("name", "")
        if not name:
            raise invalid(rtype, "", [("metadata.name", None, "name or generateName is required",
                                       "FieldValueRequired")])
        if not _DNS1123_SUBDOMAIN.match(name) or len(name) > 253:
            raise invalid(rtype, name, [("metadata.name", name,
                                         "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric "
                                         "characters, '-' or '.', and must start and end with an alphanumeric "
                                         "character (e.g. 'example.com', regex used for validation is "
                                         "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
                                         None)])
        for field in ("labels", "annotations"):
            value = obj["metadata"].get(field)
            if value is not None and (not isinstance(value, dict)
                                      or not all(isinstance(v, str) for v in value.values())):
                raise invalid(rtype, name, [("metadata." + field, value, "values must be strings", None)])
        if rtype.is_calico:
            self._validate_calico(rtype, obj, old)

    def _validate_calico(self, rtype, obj, old):
        """Decode, prune, default and validate as the serving path does (docs/lab-kubeapi.md: which path checks what)."""
        api_server = rtype.group == kinds.CALICO_V3 and self.kinds.calico_api_server
        crd = self.kinds.crd(rtype) if self.validate_calico else None
        if api_server:
            calico_apiserver.decode(rtype.kind, obj)
        if crd is not None:
            unknown = [p for p in crd.prune(obj) if p.split(".")[0] in ("spec", "status")]
            mode = getattr(self._request, "field_validation", None) or "Warn"
            if unknown and mode == "Strict":
                raise bad_request('%s in version "%s" cannot be handled as a %s: strict decoding error: %s'
                                  % (rtype.kind, rtype.version, rtype.kind,
                                     ", ".join('unknown field "%s"' % p for p in unknown)))
            if mode == "Warn":
                for path in unknown:
                    self.warn('unknown field "%s"' % path)
            crd.default(obj)
        if api_server:
            calico_apiserver.default(rtype.kind, obj)
        if crd is not None:
            errors = crd.validate(obj, old)
            if errors:
                raise invalid(rtype, obj["metadata"]["name"], errors)

    def _generation(self, rtype, old, new):
        if not (rtype.is_calico or rtype.kind == "PodDisruptionBudget"):
            return
        if old is None:
            new["metadata"]["generation"] = 1
        else:
            gen = old["metadata"].get("generation", 1)
            new["metadata"]["generation"] = gen + 1 if _spec_of(old) != _spec_of(new) else gen

    def _commit(self, rtype, obj, event, dry_run):
        if dry_run:
            return self._present(rtype, obj)
        return self._present(rtype, self.store.put(rtype.storage, obj, event, owned=True))

    # -- reads ------------------------------------------------------------------------------------
    def get(self, rtype, namespace, name):
        obj = self.store.get(rtype.storage, namespace if rtype.namespaced else None, name, shared=True)
        if obj is None:
            raise not_found(rtype, name)
        return self._present(rtype, obj)

    def list(self, rtype, namespace=None, label_selector=None, field_selector=None, shared=False):
        """The LIST answer; ``shared=True``: its items share the stored objects (to be serialised, never
        changed), which saves a copy of every object (1,000 CalicoNodeStatus of 70 KB: 70 MB) per LIST."""
        try:
            lreqs = selectors.parse_labels(label_selector)
            freqs = selectors.parse_fields(field_selector)
            selectors.check_fields(rtype.kind, freqs)
        except selectors.SelectorError as exc:
            raise bad_request(str(exc)) from exc
        items, rv = self.store.list(rtype.storage, namespace if rtype.namespaced else None, shared=True)
        present = self._present_shared if shared else self._present
        items = [present(rtype, o) for o in items
                 if selectors.match_labels(lreqs, o["metadata"].get("labels"))
                 and selectors.match_fields(freqs, o)]
        return {"apiVersion": rtype.api_version, "kind": rtype.kind + "List",
                "metadata": {"resourceVersion": rv}, "items": items}

    # -- writes -----------------------------------------------------------------------------------
    def create(self, rtype, namespace, body, dry_run=False, manager=None, keep_status=False):
        body = clone(body)
        self._check_identity(rtype, namespace, body)
        with self.lock:
            self._check_namespace(rtype, namespace)
            meta = body["metadata"]
            if not meta.get("name") and meta.get("generateName"):
                meta["name"] = meta["generateName"] + uuid.uuid4().hex[:5]
            if "status" in rtype.subresources and not keep_status:
                if rtype.kind == "Pod":
                    body["status"] = {"phase": "Pending"}
                elif rtype.is_calico:
                    body.pop("status", None)
            self._validate(rtype, body)
            meta = body["metadata"]
            name = meta["name"]
            if self.store.get(rtype.storage, namespace if rtype.namespaced else None, name, shared=True) is not None:
                raise APIError(409, "AlreadyExists", '%s "%s" already exists' % (rtype.qualified, name),
                               _details(rtype, name))
            for key in ("resourceVersion", "deletionTimestamp", "deletionGracePeriodSeconds", "selfLink"):
                meta.pop(key, None)
            if meta.get("managedFields") is not None and not keep_status:
                meta.pop("managedFields")
            meta["uid"] = str(uuid.uuid4())
            meta["creationTimestamp"] = now()
            if rtype.kind == "Namespace":
                body.setdefault("spec", {"finalizers": ["kubernetes"]})
                body["status"] = {"phase": "Active"}
                meta.setdefault("labels", {})["kubernetes.io/metadata.name"] = name
            self._generation(rtype, None, body)
            if manager and not keep_status:
                fieldmanager.record_update(None, body, rtype.kind, manager, rtype.api_version)
            return self._commit(rtype, body, "ADDED", dry_run)

    def _prepare_update(self, rtype, old, new, subresource):
        """Carry over what a write through this endpoint may not change."""
        meta = new["metadata"]
        for key in ("uid", "creationTimestamp", "generation", "deletionTimestamp"):
            if key in old["metadata"]:
                meta[key] = old["metadata"][key]
            else:
                meta.pop(key, None)
        if subresource == "status":
            # everything but the status from the stored object (``old`` may be the shared one: its
            # status, the large part, is not copied only to be replaced)
            result = {key: clone(value) for key, value in old.items() if key != "status"}
            if "status" in new:
                result["status"] = new["status"]
            else:
                result.pop("status", None)
            result["metadata"]["resourceVersion"] = meta.get("resourceVersion")
            return result
        if "status" in rtype.subresources:
            if "status" in old:
                new["status"] = clone(old["status"])
            else:
                new.pop("status", None)
        if rtype.kind == "Namespace":
            new["metadata"].setdefault("labels", {})["kubernetes.io/metadata.name"] = meta["name"]
        return new

    def update(self, rtype, namespace, name, body, dry_run=False, manager=None, subresource=None):
        body = clone(body)
        self._check_identity(rtype, namespace, body, name)
        with self.lock:
            old = self.store.get(rtype.storage, namespace if rtype.namespaced else None, name)
            if old is None:
                raise not_found(rtype, name)
            rv = body["metadata"].get("resourceVersion")
            if not rv and rtype.is_calico:
                raise invalid(rtype, name, [("metadata.resourceVersion", 0,
                                             "must be specified for an update", None)])
            if rv and rv != old["metadata"]["resourceVersion"]:
                raise conflict(rtype, name)
            return self._write(rtype, old, body, dry_run, manager, subresource)

    def _write(self, rtype, old, new, dry_run, manager, subresource, applied=False):
        new = self._prepare_update(rtype, old, new, subresource)
        self._validate(rtype, new, old)
        self._generation(rtype, old, new)
        if not applied:
            # Like kube-apiserver's field manager: managedFields written by the request replace the
            # stored ones (kubectl's client-side -> server-side apply upgrade is such a JSON patch);
            # absent or empty ones (clients that do not know them), and any on a subresource, do not.
            given = new["metadata"].pop("managedFields", None)
            managed = given if given and isinstance(given, list) and subresource is None \
                else old["metadata"].get("managedFields")
            if managed:
                new["metadata"]["managedFields"] = managed
            if manager:
                base = dict(old, metadata=dict(old["metadata"], managedFields=managed or []))
                fieldmanager.record_update(base, new, rtype.kind, manager, rtype.api_version, subresource)
        if self._same(old, new):
            return self._present(rtype, old)      # no-op: no new resourceVersion, no event
        return self._commit(rtype, new, "MODIFIED", dry_run)

    @staticmethod
    def _same(old, new):
        """Whether a write changes nothing (resourceVersion and managedFields times aside), without copies."""
        if set(old) - {"apiVersion"} != set(new) - {"apiVersion"}:
            return False
        if any(old[key] != new[key] for key in old if key not in ("apiVersion", "metadata")):
            return False
        meta_old, meta_new = old["metadata"], new["metadata"]
        skip = ("resourceVersion", "managedFields")
        if set(meta_old) - set(skip) != set(meta_new) - set(skip) or \
                any(meta_old[k] != meta_new[k] for k in meta_old if k not in skip):
            return False

        def fields(meta):
            return [{k: v for k, v in entry.items() if k != "time"} for entry in meta.get("managedFields") or []]
        return fields(meta_old) == fields(meta_new)

    def patch(self, rtype, namespace, name, patch_type, raw, dry_run=False, manager=None, force=False,
              subresource=None):
        patch_type = (patch_type or "").split(";")[0].strip()
        if patch_type not in PATCH_TYPES or (patch_type == STRATEGIC and not rtype.strategic_merge):
            accepted = [JSON_PATCH, MERGE, APPLY] + ([STRATEGIC] if rtype.strategic_merge else [])
            raise APIError(415, "UnsupportedMediaType",
                           "the body of the request was in an unknown format - accepted media types include: "
                           + ", ".join(accepted))
        try:
            if patch_type == APPLY:
                doc = yaml.safe_load(raw.decode("utf-8") if isinstance(raw, bytes) else raw)
            else:
                doc = json.loads(raw)
        except (ValueError, yaml.YAMLError) as exc:
            raise bad_request("error decoding patch: %s" % exc) from exc
        if patch_type == APPLY:
            return self.apply(rtype, namespace, name, doc, dry_run, manager, force, subresource)
        with self.lock:
            old = self.store.get(rtype.storage, namespace if rtype.namespaced else None, name, shared=True)
            if old is None:
                raise not_found(rtype, name)
            current = self._present(rtype, old)
            try:
                if patch_type == JSON_PATCH:
                    new = patchlib.json_patch(current, doc)
                elif patch_type == MERGE:
                    if not isinstance(doc, dict):
                        raise patchlib.PatchError("merge patch must be a JSON object")
                    new = patchlib.merge_patch(current, doc)
                else:
                    new = patchlib.strategic_merge_patch(current, doc, rtype.kind)
            except patchlib.PatchError as exc:
                raise APIError(422, "Invalid", str(exc)) from exc
            if not isinstance(new, dict) or not isinstance(new.get("metadata"), dict):
                raise bad_request("the patch removed the object's metadata")
            wanted_rv = doc.get("metadata", {}).get("resourceVersion") if isinstance(doc, dict) and \
                isinstance(doc.get("metadata"), dict) else None
            if wanted_rv and wanted_rv != old["metadata"]["resourceVersion"]:
                raise conflict(rtype, name)
            self._check_identity(rtype, namespace, new, name)
            new["metadata"]["resourceVersion"] = old["metadata"]["resourceVersion"]
            return self._write(rtype, old, new, dry_run, manager, subresource)

    def apply(self, rtype, namespace, name, config, dry_run=False, manager=None, force=False, subresource=None):
        if not manager:
            raise bad_request("PATCH, application/apply-patch+yaml requires fieldManager to be set")
        if not isinstance(config, dict):
            raise bad_request("apply configuration must be an object")
        if not config.get("apiVersion") or not config.get("kind"):
            raise bad_request("apiVersion and kind must be set in an apply configuration")
        self._check_identity(rtype, namespace, config, name)
        if config["metadata"].get("managedFields"):
            raise bad_request("metadata.managedFields must be nil")
        with self.lock:
            old = self.store.get(rtype.storage, namespace if rtype.namespaced else None, name)
            wanted_rv = config["metadata"].get("resourceVersion")
            if old is not None and wanted_rv and wanted_rv != old["metadata"]["resourceVersion"]:
                raise conflict(rtype, name)
            try:
                result = fieldmanager.apply(old, config, rtype.kind, manager, rtype.api_version, force)
            except fieldmanager.ApplyConflict as exc:
                count = len(exc.conflicts)
                lines = ["conflict with \"%s\": %s" % (m, f) for m, f in exc.conflicts]
                message = "Apply failed with %d conflict%s: %s" % (count, "" if count == 1 else "s",
                                                                   "\n".join(lines))
                details = _details(rtype, name)
                details["causes"] = [{"reason": "FieldManagerConflict",
                                      "message": "conflict with \"%s\"" % m, "field": f}
                                     for m, f in exc.conflicts]
                raise APIError(409, "Conflict", message, details) from exc
            result["apiVersion"] = rtype.api_version
            result["kind"] = rtype.kind
            result["metadata"]["name"] = name
            if rtype.namespaced:
                result["metadata"]["namespace"] = namespace
            if old is None:
                managed = result["metadata"].get("managedFields")
                created = self.create(rtype, namespace, result, dry_run=True, manager=None)
                created["metadata"]["managedFields"] = managed
                return self._commit(rtype, created, "ADDED", dry_run) if not dry_run else created
            result["metadata"]["resourceVersion"] = old["metadata"]["resourceVersion"]
            return self._write(rtype, old, result, dry_run, manager, subresource, applied=True)

    def delete(self, rtype, namespace, name, dry_run=False, preconditions=None):
        with self.lock:
            old = self.store.get(rtype.storage, namespace if rtype.namespaced else None, name)
            if old is None:
                raise not_found(rtype, name)
            preconditions = preconditions or {}
            if preconditions.get("resourceVersion") and \
                    preconditions["resourceVersion"] != old["metadata"]["resourceVersion"]:
                raise conflict(rtype, name)
            if preconditions.get("uid") and preconditions["uid"] != old["metadata"].get("uid"):
                raise APIError(409, "Conflict",
                               'Operation cannot be fulfilled on %s "%s": Precondition failed: UID in precondition: '
                               '%s, UID in object meta: %s' % (rtype.qualified, name, preconditions["uid"],
                                                               old["metadata"].get("uid")),
                               _details(rtype, name))
            if dry_run:
                return self._present(rtype, old)
            gone = self.store.remove(rtype.storage, namespace if rtype.namespaced else None, name)
            if rtype.kind == "Namespace":
                for other in self.kinds.types:
                    if other.namespaced and other.storage != rtype.storage:
                        for obj in self.store.list(other.storage, name, shared=True)[0]:
                            self.store.remove(other.storage, name, obj["metadata"]["name"])
            return self._present(rtype, gone)

    def delete_collection(self, rtype, namespace, label_selector=None, field_selector=None, dry_run=False):
        listed = self.list(rtype, namespace, label_selector, field_selector)
        for obj in listed["items"]:
            try:
                self.delete(rtype, obj["metadata"].get("namespace"), obj["metadata"]["name"], dry_run)
            except APIError:
                pass
        return listed

    def evict(self, namespace, name, body, dry_run=False):
        pods = self.kinds.by_path("", "v1", "pods")
        if not isinstance(body, dict) or body.get("kind") not in (None, "Eviction"):
            raise bad_request("the body of an eviction must be a policy/v1 Eviction")
        self.delete(pods, namespace, name, dry_run)
        return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "code": 201}

    # -- preloading -------------------------------------------------------------------------------
    def load(self, obj):
        """Store ``obj`` as it is (status and all), validated like a create; for the lab and tests."""
        rtype = self.kinds.by_kind(obj.get("apiVersion", ""), obj.get("kind", ""))
        if rtype is None:
            raise ValueError("kubeapi: unknown kind %s/%s in preload" % (obj.get("apiVersion"), obj.get("kind")))
        namespace = obj.get("metadata", {}).get("namespace") or ("default" if rtype.namespaced else None)
        return self.create(rtype, namespace, obj, keep_status=True)

    def load_documents(self, docs):
        out = []
        for doc in docs:
            if not doc:
                continue
            if doc.get("kind", "").endswith("List") and isinstance(doc.get("items"), list):
                out.extend(self.load_documents(doc["items"]))
            else:
                out.append(self.load(doc))
        return out
