"""The Kubernetes API server's words for invalid Calico objects (a 422 Status and its causes).

``errors`` are field errors with ``path``, ``reason`` and ``k8s_text()`` (``spec.x: Invalid value:
...``), whoever found them.
"""


def format_k8s_invalid(kind, api_version, name, errors):
    """``Kind.group "name" is invalid: <one error>`` or ``... is invalid: [<e1>, <e2>]``."""
    texts = [err.k8s_text() for err in errors]
    body = texts[0] if len(texts) == 1 else "[%s]" % ", ".join(texts)
    return '%s.%s "%s" is invalid: %s' % (kind, api_version.split("/")[0], name, body)


def k8s_status_causes(errors):
    """``details.causes``: reason, field, and the message without the leading ``field: ``."""
    causes = []
    for err in errors:
        text = err.k8s_text()
        prefix = err.path + ": "
        causes.append({"reason": err.reason, "field": err.path,
                       "message": text[len(prefix):] if text.startswith(prefix) else text})
    return causes
