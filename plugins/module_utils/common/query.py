# -*- coding: utf-8 -*-
# Copyright: kubefabric.bgp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""JMESPath over the collection's results (session tables, plans, drift).

Shared by the ``kubefabric.bgp.query`` filter and by every module's ``expect`` option, so users
do not depend on community.general's ``json_query`` being installed where the collection runs.
"""

from __future__ import annotations

from .errors import FabricError

try:
    import jmespath
    from jmespath.exceptions import JMESPathError
    HAS_JMESPATH = True
    JMESPATH_IMPORT_ERROR = None
except ImportError as exc:  # pragma: no cover - exercised only where jmespath is missing
    jmespath = None
    JMESPathError = Exception
    HAS_JMESPATH = False
    JMESPATH_IMPORT_ERROR = exc


def _require():
    if not HAS_JMESPATH:
        raise FabricError("the Python library jmespath is not installed on the controller",
                          field="expect", fix="pip install jmespath (it is in the collection's requirements.txt)")


def query(data, expression, field="query"):
    """Evaluate ``expression`` against ``data``; a bad expression names the position."""
    _require()
    try:
        return jmespath.search(expression, data)
    except JMESPathError as exc:
        raise FabricError("invalid JMESPath expression %r: %s" % (expression, exc), field=field,
                          fix="see https://jmespath.org/specification.html")


def check_expectations(data, expect, host=None):
    """Evaluate an ``expect`` option and return the list of failures (empty when all hold).

    ``expect`` is either one expression (must be truthy) or a list of items, each either an
    expression string or ``{query: EXPR, equals: VALUE}`` / ``{query: EXPR, msg: TEXT}``.
    """
    if expect is None:
        return []
    items = expect if isinstance(expect, list) else [expect]
    failures = []
    for index, item in enumerate(items):
        field = "expect[%d]" % index
        if isinstance(item, str):
            item = {"query": item}
        if not isinstance(item, dict) or "query" not in item:
            raise FabricError("each expectation must be a JMESPath string or a dict with 'query'",
                              host=host, field=field, fix="write e.g. {query: 'sessions_total', equals: 9}")
        value = query(data, item["query"], field=field)
        if "equals" in item:
            ok = value == item["equals"]
            why = "%s is %r, expected %r" % (item["query"], value, item["equals"])
        else:
            ok = bool(value)
            why = "%s is %r, expected a true value" % (item["query"], value)
        if not ok:
            failures.append(item.get("msg") or why)
    return failures
