# -*- coding: utf-8 -*-
# Copyright: kubefabric.bgp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One problem with one field of a Calico object, and the texts Calico prints for a list of them.

The reasons are Kubernetes' field error types (``k8s.io/apimachinery/pkg/util/validation/field``),
as used in a StatusCause's ``reason`` and in the CRDs' CEL rules.
"""

from __future__ import annotations

import json

# Kubernetes field error types (k8s.io/apimachinery/pkg/util/validation/field), as used in the
# ``reason`` of a StatusCause and in the CRDs' CEL rules.
INVALID = "FieldValueInvalid"
REQUIRED = "FieldValueRequired"
FORBIDDEN = "FieldValueForbidden"
NOT_SUPPORTED = "FieldValueNotSupported"
TOO_LONG = "FieldValueTooLong"
TOO_MANY = "FieldValueTooMany"
DUPLICATE = "FieldValueDuplicate"
TYPE_INVALID = "FieldValueTypeInvalid"


class FieldError:
    """One problem with one field.

    ``path`` is the JSON path (``spec.peerIP``, ``spec.importV4[0].cidr``); ``value`` the offending
    value (None when Calico prints none); ``message`` the reason in the wording of whoever enforces
    it; ``reason`` the Kubernetes cause type; ``source`` one of ``schema``, ``cel``, ``decode``,
    ``go``, ``clientv3``, ``k8s``; ``field`` the name Calico prints (Go field name for Go checks, the
    JSON path otherwise); ``fix`` a hint for the user.
    """

    __slots__ = ("path", "value", "message", "reason", "source", "field", "fix", "detail")

    def __init__(self, path, value, message, reason=INVALID, source="schema", field=None, fix=None, detail=None):
        self.path = path
        self.value = value
        self.message = message
        self.reason = reason
        self.source = source
        self.field = field or path
        self.fix = fix
        self.detail = detail

    def calico_text(self):
        """Calico's ``ErroredField.String()``: ``Name = 'value' (reason)``."""
        text = self.field if self.value is None else "%s = '%s'" % (self.field, go_value(self.value))
        if self.message:
            text += " (%s)" % self.message
        return text

    def k8s_text(self):
        """The Kubernetes API server's ``field.Error.Error()`` for this problem."""
        return self.detail or "%s: Invalid value: %s: %s" % (self.path, k8s_value(self.value), self.message)

    def as_dict(self):
        return {"path": self.path, "value": self.value, "message": self.message, "reason": self.reason,
                "source": self.source, "field": self.field, "fix": self.fix}

    def __eq__(self, other):
        return isinstance(other, FieldError) and self.as_dict() == other.as_dict()

    def __hash__(self):
        return hash((self.path, self.message))

    def __repr__(self):
        return "FieldError(%r, %r, %r)" % (self.path, self.value, self.message)


def go_value(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + " ".join(go_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "map[" + " ".join("%s:%s" % (k, go_value(v)) for k, v in sorted(value.items())) + "]"
    return str(value)


def k8s_value(value):
    if isinstance(value, dict):
        return '"object"'
    if isinstance(value, list):
        return '"array"'
    return json.dumps(value)


# OpenAPI type names in the order they are tested (bool before int: a bool is an int in Python)
_TYPE_NAMES = ((bool, "boolean"), (int, "integer"), (float, "number"), (str, "string"), (list, "array"),
               (dict, "object"))


def type_name(value):
    return next((name for kind, name in _TYPE_NAMES if isinstance(value, kind)), "null")


def format_field_errors(kind=None, name=None, errors=()):
    """Calico's ``ErrorValidation.Error()`` text for ``errors``.

    One error: ``error with field X = 'v' (msg)``; several: ``error with the following fields:``
    then one ``-  ...`` line each. ``kind`` and ``name`` are accepted for symmetry with
    :func:`validation_error_for_module`, which puts them in front.
    """
    del kind, name
    errors = list(errors)
    if not errors:
        return "unknown validation error"
    if len(errors) == 1:
        return "error with field %s" % errors[0].calico_text()
    return "error with the following fields:\n" + "".join("-  %s\n" % e.calico_text() for e in errors)


def validation_error_for_module(kind, name, errors):
    """A FabricError naming the object, the first failing field and how to fix it."""
    from ..common.errors import FabricError  # pylint: disable=import-outside-toplevel
    errors = list(errors)
    message = format_field_errors(kind, name, errors).rstrip("\n")
    first = errors[0] if errors else None
    fixes = []
    for err in errors:
        if err.fix and err.fix not in fixes:
            fixes.append(err.fix)
    fix = "; ".join(fixes) if fixes else ("correct %s" % first.path if first else None)
    return FabricError(message, host="%s/%s" % (kind, name), field=first.path if first else None, fix=fix,
                       details={"errors": [e.as_dict() for e in errors]})
