# -*- coding: utf-8 -*-
# Copyright: kubefabric.bgp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Walking an object along its schema: types, enums, patterns, bounds, list types and CEL rules."""

from __future__ import annotations

import json
import re

from .asn import INT32_MAX, INT32_MIN
from .fielderrors import (DUPLICATE, FORBIDDEN, INVALID, NOT_SUPPORTED, REQUIRED, TOO_LONG, TOO_MANY, TYPE_INVALID,
                          FieldError, k8s_value, type_name)
from .gosyntax import k8s_cidr_format
from .schema import MISSING


class Ctx:
    def __init__(self, v3server, update):
        self.v3server = v3server
        self.update = update
        self.errors = []

    def add(self, path, value, message, reason=INVALID, source="schema", detail=None, fix=None, field=None):
        self.errors.append(FieldError(path, value, message, reason, source, field=field, fix=fix, detail=detail))


def join(path, key):
    return "%s.%s" % (path, key) if path else key


def check_value(value, spec, path, ctx, old=MISSING):
    """Validate ``value`` against ``spec`` (schema then rules). Returns True when the subtree is clean."""
    before = len(ctx.errors)
    if value is None:
        return True
    kind = spec.kind
    if kind in ("object", "array"):
        if not isinstance(value, dict if kind == "object" else list):
            ctx.add(path, value, "must be of type %s" % kind, TYPE_INVALID,
                    detail='%s: Invalid value: "%s": %s in body must be of type %s: "%s"'
                    % (path, type_name(value), path, kind, type_name(value)))
            return False
        if kind == "object":
            _check_object(value, spec, path, ctx, old)
        else:
            _check_array(value, spec, path, ctx)
    elif kind == "string":
        _check_string(value, spec, path, ctx)
    elif kind == "integer":
        _check_integer(value, spec, path, ctx)
    elif kind == "boolean":
        if not isinstance(value, bool):
            ctx.add(path, value, "must be of type boolean", TYPE_INVALID,
                    detail='%s: Invalid value: "%s": %s in body must be of type boolean: "%s"'
                    % (path, type_name(value), path, type_name(value)))
    if len(ctx.errors) == before:
        for rule in spec.rules:
            if rule.transition and (not ctx.update or old is MISSING or old is None):
                continue
            try:
                ok = rule.check(value, None if old is MISSING else old)
            except (ValueError, TypeError, KeyError) as exc:
                ok = False
                ctx.add(path, None, rule.message, rule.reason, "cel",
                        detail="%s: Invalid value: %s: %s (%s)" % (path or "<nil>", k8s_value(value), rule.message, exc),
                        fix=rule.fix)
                continue
            if not ok:
                if rule.reason == FORBIDDEN:
                    detail = "%s: Forbidden: %s" % (path or "<nil>", rule.message)
                else:
                    detail = "%s: Invalid value: %s: %s" % (path or "<nil>", '"%s"' % type_name(value)
                                                            if isinstance(value, (dict, list)) else
                                                            k8s_value(value), rule.message)
                ctx.add(path, None, rule.message, rule.reason, "cel", detail=detail, fix=rule.fix)
    return len(ctx.errors) == before


def _check_object(value, spec, path, ctx, old):
    for key in spec.required:
        if value.get(key) is None:
            ctx.add(join(path, key), None, "Required value", REQUIRED, detail="%s: Required value" % join(path, key),
                    fix="set %s" % join(path, key))
    present = [k for k, v in value.items() if v is not None]
    if spec.min_props is not None and len(present) < spec.min_props:
        ctx.add(path, value, "should have at least %d properties" % spec.min_props,
                detail="%s: Invalid value: %d: %s in body should have at least %d properties"
                % (path, len(present), path, spec.min_props))
    if spec.max_props is not None and len(present) > spec.max_props:
        ctx.add(path, value, "should have at most %d properties" % spec.max_props, TOO_MANY,
                detail="%s: Too many: %d: must have at most %d items" % (path, len(present), spec.max_props))
    if spec.preserve_unknown:
        return
    for key, child in spec.props.items():
        if key in value:
            child_old = old.get(key, MISSING) if isinstance(old, dict) else MISSING
            check_value(value[key], child, join(path, key), ctx, child_old)


def _check_array(value, spec, path, ctx):
    if spec.max_items is not None and len(value) > spec.max_items:
        ctx.add(path, value, "must have at most %d items" % spec.max_items, TOO_MANY,
                detail="%s: Too many: %d: must have at most %d items" % (path, len(value), spec.max_items))
    if spec.min_items is not None and len(value) < spec.min_items:
        ctx.add(path, value, "should have at least %d items" % spec.min_items,
                detail="%s: Invalid value: %d: %s in body should have at least %d items"
                % (path, len(value), path, spec.min_items))
    for index, item in enumerate(value):
        if item is None and not spec.items.nullable:
            # Kubernetes prunes nulls from object fields only; a null list item is a type error.
            ctx.add("%s[%d]" % (path, index), None, "must be of type %s" % spec.items.kind, TYPE_INVALID,
                    detail='%s[%d]: Invalid value: "null": %s[%d] in body must be of type %s: "null"'
                    % (path, index, path, index, spec.items.kind))
            continue
        check_value(item, spec.items, "%s[%d]" % (path, index), ctx)
    if spec.list_type == "set":
        seen = []
        for index, item in enumerate(value):
            if item in seen:
                ctx.add("%s[%d]" % (path, index), item, "Duplicate value", DUPLICATE,
                        detail="%s[%d]: Duplicate value: %s" % (path, index, k8s_value(item)))
            else:
                seen.append(item)
    elif spec.list_type == "map":
        seen = []
        for index, item in enumerate(value):
            if not isinstance(item, dict):
                continue
            key = tuple(item.get(k) for k in spec.map_keys)
            if key in seen:
                ctx.add("%s[%d]" % (path, index), item, "Duplicate value", DUPLICATE,
                        detail="%s[%d]: Duplicate value: %s" % (path, index, json.dumps(dict(zip(spec.map_keys, key)))))
            else:
                seen.append(key)


def _check_string(value, spec, path, ctx):
    if not isinstance(value, str):
        ctx.add(path, value, "must be of type string", TYPE_INVALID,
                detail='%s: Invalid value: "%s": %s in body must be of type string: "%s"'
                % (path, type_name(value), path, type_name(value)))
        return
    if spec.max_length is not None and len(value) > spec.max_length:
        ctx.add(path, value, "may not be more than %d bytes" % spec.max_length, TOO_LONG,
                detail="%s: Too long: may not be more than %d bytes" % (path, spec.max_length))
    if spec.min_length is not None and len(value) < spec.min_length:
        ctx.add(path, value, "should be at least %d chars long" % spec.min_length,
                detail="%s: Invalid value: %s: %s in body should be at least %d chars long"
                % (path, json.dumps(value), path, spec.min_length))
    if spec.enum is not None and value not in spec.enum:
        ctx.add(path, value, "supported values: %s" % ", ".join('"%s"' % e for e in spec.enum), NOT_SUPPORTED,
                detail="%s: Unsupported value: %s: supported values: %s"
                % (path, json.dumps(value), ", ".join('"%s"' % e for e in spec.enum)),
                fix="use one of %s" % ", ".join(spec.enum))
    if spec.regex is not None and not spec.regex.search(value):
        ctx.add(path, value, "should match '%s'" % spec.pattern,
                detail="%s: Invalid value: %s: %s in body should match '%s'"
                % (path, json.dumps(value), path, spec.pattern))
    if spec.fmt == "cidr" and not k8s_cidr_format(value):
        ctx.add(path, value, "must be of type cidr",
                detail='%s: Invalid value: %s: %s in body must be of type cidr: %s'
                % (path, json.dumps(value), path, json.dumps(value)), fix="write a CIDR such as 10.0.0.0/24")
    if spec.fmt == "date-time" and not re.match(
            r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$", value, re.ASCII):
        ctx.add(path, value, "must be of type date-time",
                detail='%s: Invalid value: %s: %s in body must be of type date-time: %s'
                % (path, json.dumps(value), path, json.dumps(value)))


def _check_integer(value, spec, path, ctx):
    if ctx.v3server and spec.asn:
        return  # decoded (and range-checked) by decode_v3
    if isinstance(value, bool) or not isinstance(value, int):
        ctx.add(path, value, "must be of type integer", TYPE_INVALID,
                detail='%s: Invalid value: "%s": %s in body must be of type integer: "%s"'
                % (path, type_name(value), path, type_name(value)))
        return
    if spec.fmt == "int32" and not INT32_MIN <= value <= INT32_MAX:
        ctx.add(path, value, "must be of type integer with format int32",
                detail="%s: Invalid value: %d: %s in body must be of type int32: \"%d\"" % (path, value, path, value),
                fix="Kubernetes 1.36+ enforces int32 here; %s" % (
                    "write 4-byte AS numbers through projectcalico.org/v3 or on the Node" if spec.asn
                    else "use a smaller value"))
    if spec.fmt == "int64" and not -(1 << 63) <= value < (1 << 63):
        ctx.add(path, value, "must be of type integer with format int64")
    if spec.minimum is not None and value < spec.minimum:
        ctx.add(path, value, "should be greater than or equal to %d" % spec.minimum,
                detail="%s: Invalid value: %d: %s in body should be greater than or equal to %d"
                % (path, value, path, spec.minimum))
    if spec.maximum is not None and value > spec.maximum:
        ctx.add(path, value, "should be less than or equal to %d" % spec.maximum,
                detail="%s: Invalid value: %d: %s in body should be less than or equal to %d"
                % (path, value, path, spec.maximum))
