"""The OpenAPI documents kubectl downloads before apply/create/replace and for ``kubectl explain``.

- ``/openapi/v2`` (kubectl asks for protobuf): an empty ``openapi_v2.Document`` -- zero bytes are a
  valid empty protobuf message -- with kube-openapi's content type
  ``application/com.github.proto-openapi.spec.v2.v1.0+protobuf`` (the form with ``@v1.0`` is only
  accepted in ``Accept``; Go's mime parser refuses an ``@`` in a content type).  kubectl's
  client-side schema validation then knows no kind and skips, and its strategic-merge-patch builder
  falls back to the Go types compiled into kubectl (core kinds) or to a JSON merge patch (Calico
  kinds), which is what it does against a real cluster too.
- ``/openapi/v3``: one document per group version whose PATCH operations carry
  ``x-kubernetes-group-version-kind`` and the ``fieldValidation`` parameter, so kubectl uses
  server-side field validation.  The Calico kinds decided by a CRD manifest carry its
  ``openAPIV3Schema`` under ``components.schemas`` (named like kube-apiserver names CRD schemas,
  ``org.projectcalico.crd.v1.BGPPeer``), which is what ``kubectl explain`` reads.  Core kinds have
  no schema (``kubectl explain nodes`` is not served).
"""
import copy
import hashlib
import json

from . import kinds

V2_PROTOBUF = "application/com.github.proto-openapi.spec.v2.v1.0+protobuf"
_PATCH_TYPES = ("application/json-patch+json", "application/merge-patch+json", "application/apply-patch+yaml")


def _gv_path(group, version):
    return "apis/%s/%s" % (group, version) if group else "api/%s" % version


def _params(*names):
    return [{"name": n, "in": "query", "schema": {"type": "string", "uniqueItems": True}} for n in names]


def _gv_document(registry, group, version):
    paths = {}
    for rtype in registry.in_group_version(group, version):
        gvk = {"group": rtype.group, "version": rtype.version, "kind": rtype.kind}
        base = "/" + _gv_path(group, version)
        if rtype.namespaced:
            base += "/namespaces/{namespace}"
        collection = "%s/%s" % (base, rtype.plural)
        item = collection + "/{name}"
        content = {t: {"schema": {"type": "object"}} for t in _PATCH_TYPES}
        if rtype.strategic_merge and rtype.is_calico:
            content["application/strategic-merge-patch+json"] = {"schema": {"type": "object"}}
        write = {"x-kubernetes-group-version-kind": gvk,
                 "parameters": _params("dryRun", "fieldManager", "fieldValidation"),
                 "requestBody": {"content": {"application/json": {"schema": {"type": "object"}}}},
                 "responses": {"200": {"description": "OK"}}}
        paths[collection] = {
            "get": {"x-kubernetes-group-version-kind": gvk, "x-kubernetes-action": "list",
                    "parameters": _params("labelSelector", "fieldSelector", "watch", "resourceVersion"),
                    "responses": {"200": {"description": "OK"}}},
            "post": dict(write, **{"x-kubernetes-action": "post", "operationId": "create" + rtype.kind}),
        }
        paths[item] = {
            "get": {"x-kubernetes-group-version-kind": gvk, "x-kubernetes-action": "get",
                    "responses": {"200": {"description": "OK"}}},
            "put": dict(write, **{"x-kubernetes-action": "put", "operationId": "replace" + rtype.kind}),
            "patch": {"x-kubernetes-group-version-kind": gvk, "x-kubernetes-action": "patch",
                      "operationId": "patch" + rtype.kind,
                      "parameters": _params("dryRun", "fieldManager", "fieldValidation", "force"),
                      "requestBody": {"content": content}, "responses": {"200": {"description": "OK"}}},
            "delete": {"x-kubernetes-group-version-kind": gvk, "x-kubernetes-action": "delete",
                       "parameters": _params("dryRun"), "responses": {"200": {"description": "OK"}}},
        }
    return {"openapi": "3.0.0", "info": {"title": "Kubernetes", "version": "v1.32.0"}, "paths": paths,
            "components": {"schemas": _schemas(registry, group, version)}}


def schema_name(rtype):
    """kube-apiserver's name for a CRD schema: the group reversed, the version, the kind."""
    return ".".join(list(reversed(rtype.group.split("."))) + [rtype.version, rtype.kind])


def _schemas(registry, group, version):
    out = {}
    for rtype in registry.in_group_version(group, version):
        crd = registry.crd(rtype) if hasattr(registry, "crd") else None
        if crd is None or not crd.schema:
            continue
        schema = copy.deepcopy(crd.schema)
        schema["x-kubernetes-group-version-kind"] = [{"group": rtype.group, "version": rtype.version,
                                                      "kind": rtype.kind}]
        out[schema_name(rtype)] = schema
    return out


def _versions(registry):
    out = [("", "v1")]
    for group, versions in registry.groups().items():
        out.extend((group, v) for v in versions)
    return out


def document(path, registry=kinds.DEFAULT):
    """``(content_type, bytes)`` for an OpenAPI path, or None."""
    path = path.rstrip("/")
    if path == "/openapi/v2":
        return V2_PROTOBUF, b""
    if path == "/openapi/v3":
        listing = {}
        for group, version in _versions(registry):
            body = json.dumps(_gv_document(registry, group, version), sort_keys=True).encode()
            digest = hashlib.sha512(body).hexdigest().upper()[:128]
            listing[_gv_path(group, version)] = {
                "serverRelativeURL": "/openapi/v3/%s?hash=%s" % (_gv_path(group, version), digest)}
        return "application/json", json.dumps({"paths": listing}).encode()
    for group, version in _versions(registry):
        if path == "/openapi/v3/" + _gv_path(group, version):
            return "application/json", json.dumps(_gv_document(registry, group, version), sort_keys=True).encode()
    return None
