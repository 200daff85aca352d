# -*- coding: utf-8 -*-
# Copyright: kubefabric.bgp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The collection's one exception type.

Every error a user can cause carries the host (or object) it concerns, the field, and the fix, so
that the edge (a module's ``fail_json``) can print one precise sentence.
"""

from __future__ import annotations


class FabricError(Exception):
    """An error with the host/object, the field and the fix that the user needs to act on it."""

    def __init__(self, message, host=None, field=None, fix=None, details=None):
        super().__init__(message)
        self.message = message
        self.host = host
        self.field = field
        self.fix = fix
        self.details = details or {}

    def __str__(self):
        parts = []
        if self.host:
            parts.append("%s:" % self.host)
        if self.field:
            parts.append("%s:" % self.field)
        parts.append(self.message)
        text = " ".join(parts)
        if self.fix:
            text += " Fix: %s" % self.fix
        return text

    def as_dict(self):
        """The structured form returned next to ``msg`` in a failed module result."""
        return {"host": self.host, "field": self.field, "fix": self.fix, "message": self.message}


def fail_module(module, exc, **result):
    """Turn a FabricError into ``fail_json`` with the structured error beside the message."""
    result.setdefault("error", exc.as_dict())
    module.fail_json(msg=str(exc), **result)
