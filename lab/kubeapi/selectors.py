"""Kubernetes label selectors and field selectors, as the API server parses them."""
import re


class SelectorError(ValueError):
    pass


_TOKEN = re.compile(r"\s*(!=|==|=|\(|\)|,|!|[A-Za-z0-9_./\-]+)")
_KEY = re.compile(r"^([a-z0-9A-Z]([-a-z0-9A-Z_.]*[a-z0-9A-Z])?/)?[a-zA-Z0-9]([-a-zA-Z0-9_.]*[a-zA-Z0-9])?$")


def _tokens(text):
    pos = 0
    out = []
    text = text.strip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if not match:
            raise SelectorError("unable to parse requirement: found '%s'" % text[pos:])
        out.append(match.group(1))
        pos = match.end()
    return out


def parse_labels(text):
    """Return a list of requirements ``(key, op, values)``; op in =, !=, in, notin, exists, !exists."""
    reqs = []
    if not text or not text.strip():
        return reqs
    toks = _tokens(text)
    i = 0

    def need(cond, what):
        if not cond:
            raise SelectorError("unable to parse requirement: %s in %r" % (what, text))

    while i < len(toks):
        if toks[i] == "!":
            need(i + 1 < len(toks), "expected a key after '!'")
            key = toks[i + 1]
            need(_KEY.match(key), "invalid label key %r" % key)
            reqs.append((key, "!exists", ()))
            i += 2
        else:
            key = toks[i]
            need(_KEY.match(key), "invalid label key %r" % key)
            i += 1
            if i >= len(toks) or toks[i] == ",":
                reqs.append((key, "exists", ()))
            elif toks[i] in ("=", "==", "!="):
                op = "!=" if toks[i] == "!=" else "="
                i += 1
                value = ""
                if i < len(toks) and toks[i] not in (",", "(", ")", "!", "=", "==", "!="):
                    value = toks[i]
                    i += 1
                reqs.append((key, op, (value,)))
            elif toks[i] in ("in", "notin"):
                op = toks[i]
                i += 1
                need(i < len(toks) and toks[i] == "(", "expected '(' after %s" % op)
                i += 1
                values = []
                while i < len(toks) and toks[i] != ")":
                    if toks[i] != ",":
                        values.append(toks[i])
                    i += 1
                need(i < len(toks), "expected ')'")
                i += 1
                reqs.append((key, op, tuple(values)))
            else:
                raise SelectorError("unable to parse requirement: unexpected %r in %r" % (toks[i], text))
        if i < len(toks):
            need(toks[i] == ",", "expected ','")
            i += 1
    return reqs


def match_labels(reqs, labels):
    labels = labels or {}
    for key, op, values in reqs:
        present = key in labels
        if op == "exists" and not present:
            return False
        if op == "!exists" and present:
            return False
        if op in ("=", "in") and (not present or labels[key] not in values):
            return False
        if op in ("!=", "notin") and present and labels[key] in values:
            return False
    return True


def parse_fields(text):
    """Return ``[(path, op, value)]`` with op ``=`` or ``!=``."""
    reqs = []
    if not text or not text.strip():
        return reqs
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        for op in ("!=", "==", "="):
            if op in part:
                key, value = part.split(op, 1)
                reqs.append((key.strip(), "!=" if op == "!=" else "=", value.strip()))
                break
        else:
            raise SelectorError("invalid selector: '%s'; can't understand '%s'" % (text, part))
    return reqs


# Field labels each kind supports (besides metadata.name and metadata.namespace).
FIELD_LABELS = {
    "Pod": ("spec.nodeName", "spec.restartPolicy", "spec.schedulerName", "spec.serviceAccountName",
            "spec.hostNetwork", "status.phase", "status.podIP", "status.nominatedNodeName"),
    "Node": ("spec.unschedulable",),
    "Secret": ("type",),
    "Namespace": ("status.phase",),
    "Event": ("involvedObject.kind", "involvedObject.namespace", "involvedObject.name",
              "involvedObject.uid", "involvedObject.apiVersion", "involvedObject.resourceVersion",
              "involvedObject.fieldPath", "reason", "reportingComponent", "source", "type"),
}


def check_fields(kind, reqs):
    allowed = ("metadata.name", "metadata.namespace") + FIELD_LABELS.get(kind, ())
    for key, _op, _values in reqs:
        if key not in allowed:
            raise SelectorError('field label not supported: %s' % key)


def _field_value(obj, path):
    cur = obj
    for part in path.split("."):
        if not isinstance(cur, dict):
            return ""
        cur = cur.get(part)
    if cur is None:
        return ""
    if isinstance(cur, bool):
        return "true" if cur else "false"
    return str(cur)


def match_fields(reqs, obj):
    for key, op, value in reqs:
        actual = _field_value(obj, key)
        if (actual == value) != (op == "="):
            return False
    return True
