# -*- coding: utf-8 -*-
# Copyright: kubefabric.bgp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Calico resource model: BGPConfiguration, BGPPeer, CalicoNodeStatus, IPPool, BGPFilter.

One declarative description of each kind (field types, enums, patterns, bounds, defaults, the CRDs'
CEL rules, Calico's Go validators and clientv3 checks) that the collection's modules validate with
before they write anything.

What is enforced depends on who serves the API group (docs/calico-validation.md):

``crd.projectcalico.org/v1`` (and native ``projectcalico.org/v3`` CRDs, ``api_server=False``)
    the CRD's OpenAPI schema, its defaults and its ``x-kubernetes-validations`` (CEL) rules only.
    No selector syntax, no ``peerIP`` format, no default-only fields, no IPPool defaults.
``projectcalico.org/v3`` served by the Calico API server (``api_server=True``, the default)
    Calico's decoding (AS numbers as ``X.Y`` text, durations), the Go validators
    (``libcalico-go/lib/validator/v3``), the CRD schema and CEL rules, and the clientv3 checks
    (default-only BGPConfiguration fields, existing BGPFilters, IPPool defaults and overlaps).

``validate(obj, group)`` returns a list of :class:`FieldError`; nothing here raises for bad input;
``check`` raises the module's FabricError. This module is the entry point; the parts live beside it:
``schema`` (the kinds' declarative schema and CEL rules), ``schemacheck`` (walking an object along
it), ``defaults`` (server-side defaulting), ``gorules`` (Calico's decoding, Go validators and clientv3
checks), ``gosyntax`` (Go-compatible syntax predicates) and ``fielderrors`` (the error type and texts).
Pure Python, standard library only; the selector parser is imported lazily.
"""

from __future__ import annotations

import json

from .defaults import apply_defaults
from .fielderrors import (INVALID, NOT_SUPPORTED, REQUIRED, TYPE_INVALID, FieldError, format_field_errors,
                          validation_error_for_module)
from .gorules import (GO_KIND_CHECKS, clientv3_checks, decode_v3, go_object_meta, go_tags, validate_node,
                      validate_node_bgp)
from .gosyntax import K8S_NAME_MESSAGE, NAME_RE, parse_go_duration
from .schema import GROUP_V1, GROUP_V3, GROUPS, KINDS, MISSING, object_schema
from .schemacheck import Ctx, check_value

__all__ = ["GROUP_V1", "GROUP_V3", "GROUPS", "KINDS", "FieldError", "apply_defaults", "check", "format_field_errors",
           "parse_go_duration", "validate", "validate_node_bgp", "validation_error_for_module"]


def validate(obj, group=GROUP_V1, api_server=True, old=None, context=None, clientv3=True):
    """Validate a Calico object as the side serving ``group`` would; a list of :class:`FieldError`.

    ``group``: ``crd.projectcalico.org/v1`` or ``projectcalico.org/v3``; ``api_server`` says
    whether ``projectcalico.org/v3`` is served by the Calico API server (True) or by native CRDs.
    ``old`` is the stored object on update (for transition rules). ``context`` may hold
    ``{"bgpfilters": [names], "ippools": {name: cidr}}`` for the clientv3 existence/overlap checks.
    The object is validated after the server's defaults are applied, as the server does.
    ``clientv3=False`` leaves out what the Calico API server's client library adds around Calico's
    validator (IPPool defaults, default-only and existence checks): ``validator.Validate()`` alone.
    """
    if group not in GROUPS:
        raise ValueError("unknown Calico API group %r (expected one of %s)" % (group, ", ".join(GROUPS)))
    if not isinstance(obj, dict):
        return [FieldError("", obj, "must be of type object", TYPE_INVALID)]
    if obj.get("kind") == "Node":
        return validate_node(obj)
    info = KINDS.get(obj.get("kind"))
    if info is None:
        return [FieldError("kind", obj.get("kind"), "unknown Calico kind (expected one of %s, Node)"
                           % ", ".join(KINDS), NOT_SUPPORTED)]
    v3server = group == GROUP_V3 and api_server
    ctx = Ctx(v3server, update=old is not None)
    if v3server and obj.get("spec") is None:
        obj = dict(obj, spec={})  # Calico decodes a missing or null spec as the empty spec struct
    obj = apply_defaults(obj, group, api_server and clientv3, _canonical=False)
    old_spec = MISSING
    if isinstance(old, dict):
        old_spec = apply_defaults(old, group, api_server and clientv3, _canonical=False).get("spec", MISSING)
    _check_name(obj.get("metadata"), v3server, ctx)
    if v3server:
        decode_errors = _decode_errors(obj, info)
        if decode_errors:
            return ctx.errors + decode_errors
        obj, old_spec = _go_checks(obj, old_spec, info, ctx)
    _check_schema(obj, old_spec, info, group, ctx)
    if v3server and clientv3 and isinstance(obj.get("spec"), dict):
        clientv3_checks(obj, obj["spec"], ctx, context)
    return _dedupe(ctx.errors)


def _check_name(meta, v3server, ctx):
    """metadata.name as Kubernetes checks it (the Calico API server checks it in its Go validators)."""
    name = meta.get("name") if isinstance(meta, dict) else None
    if name is None or name == "":
        if not (isinstance(meta, dict) and meta.get("generateName")):
            ctx.add("metadata.name", None, "name or generateName is required", REQUIRED, "k8s",
                    detail="metadata.name: Required value: name or generateName is required",
                    fix="set metadata.name")
    elif isinstance(name, str) and not v3server and (len(name) > 253 or not NAME_RE.match(name)):
        ctx.add("metadata.name", name, K8S_NAME_MESSAGE, INVALID, "k8s",
                detail="metadata.name: Invalid value: %s: %s" % (json.dumps(name), K8S_NAME_MESSAGE),
                fix="use lower-case letters, digits, '-' and '.'")


def _decode_errors(obj, info):
    """Calico decodes the JSON into its Go types first: a value of the wrong JSON type fails there,
    and nothing else is checked."""
    shape = Ctx(True, False)
    check_value(obj.get("spec"), info.spec, "spec", shape)
    if info.status is not None and "status" in obj:
        check_value(obj.get("status"), info.status, "status", shape)
    decode_errors = [e for e in shape.errors if e.reason == TYPE_INVALID]
    for err in decode_errors:
        err.source = "decode"
        err.fix = err.fix or "give %s as %s" % (err.path, err.message.replace("must be of type ", "a JSON "))
    return decode_errors


def _go_checks(obj, old_spec, info, ctx):
    """Calico's Go validators; returns the object and old spec as decoded into the Go types."""
    go_object_meta(obj, ctx)
    spec = obj.get("spec")
    if isinstance(spec, dict):
        spec = decode_v3(spec, info.spec, "spec", ctx, "Spec")
        obj = dict(obj, spec=spec)
        if isinstance(old_spec, dict):
            old_spec = decode_v3(old_spec, info.spec, "spec", Ctx(True, True), "Spec")
        go_tags(spec, info.spec, "spec", ctx, "Spec")
        GO_KIND_CHECKS[info.kind](spec, ctx)
    return obj, old_spec


def _check_schema(obj, old_spec, info, group, ctx):
    """The CRD's OpenAPI schema and CEL rules."""
    schema = object_schema(info, group)
    for key in schema.required:
        if obj.get(key) is None:
            ctx.add(key, None, "Required value", REQUIRED, detail="%s: Required value" % key, fix="set %s" % key)
    for key in ("apiVersion", "kind"):
        check_value(obj.get(key), schema.props[key], key, ctx)
    if "spec" in obj:
        check_value(obj.get("spec"), info.spec, "spec", ctx, old_spec)
    if info.status is not None and "status" in obj:
        check_value(obj.get("status"), info.status, "status", ctx)


def _dedupe(errors):
    seen = set()
    out = []
    for err in errors:
        key = (err.path, err.message, err.source)
        if key not in seen:
            seen.add(key)
            out.append(err)
    return out


def check(obj, group=GROUP_V1, api_server=True, old=None, context=None):
    """Validate and raise the module FabricError when anything is wrong."""
    errors = validate(obj, group, api_server=api_server, old=old, context=context)
    if errors:
        name = (obj.get("metadata") or {}).get("name") if isinstance(obj, dict) else None
        raise validation_error_for_module(obj.get("kind") if isinstance(obj, dict) else None, name, errors)
    return obj
