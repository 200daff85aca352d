"""Calico kinds decided by their CustomResourceDefinition manifests, as kube-apiserver does.

A served version of a CRD brings its names (plural, singular, short names, scope), its
subresources, its printer columns and its ``openAPIV3Schema``.  On every write of a custom
resource kube-apiserver, in this order:

1. prunes what the structural schema does not declare (``fieldValidation``: Strict refuses the
   request, Warn answers with a warning, Ignore drops silently) and the ``null`` values of fields
   that are not ``nullable``;
2. applies the schema's ``default`` values (inside objects that are present);
3. validates the OpenAPI v3 schema -- accepted fast by ``fastjsonschema`` (compiled once per CRD
   version), and checked in full with ``jsonschema`` (Draft 4, the dialect of OpenAPI v3's schema
   object) for the wording of every error when that refuses; both extended by what Kubernetes adds: Go (RE2) ``pattern`` semantics,
   the ``int32``/``int64``/``cidr``/``date-time`` formats, ``x-kubernetes-list-type`` set/map
   uniqueness;
4. evaluates every ``x-kubernetes-validations`` CEL rule with ``cel-python`` (``celpy``), with the
   Kubernetes IP/CIDR library functions Calico's rules use (``cidr``, ``ip``, ``family``,
   ``masked``, ``prefixLength``, ``containsIP``); rules that read ``oldSelf`` run only on update,
   where the old object has the field.

Errors come back as ``(field, value, detail, reason)`` tuples, the shape ``api.invalid`` turns into a
422 ``Status`` the way kube-apiserver words it.  Where the manifests come from: ``find_dir()``.
"""
import copy
import ipaddress
import json
import os
import re
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
# The Calico CRD manifests of the reference data (../shared, never copied into the project).
REFERENCE_CRDS = ("reference", "calico", "crds")


def find_dir():
    """The directory of Calico CRD manifests to serve, or None.

    ``KUBEFABRIC_CRDS`` names it; otherwise the reference data under ``KUBEFABRIC_SHARED`` (default:
    the ``shared`` directory beside the repository) is used when it is there.
    """
    explicit = os.environ.get("KUBEFABRIC_CRDS")
    if explicit:
        return explicit
    shared = Path(os.environ.get("KUBEFABRIC_SHARED", REPO.parent / "shared"))
    path = shared.joinpath(*REFERENCE_CRDS)
    return str(path) if path.is_dir() else None


class CRDVersion:
    """One served version of one CRD."""

    def __init__(self, crd, version):
        spec = crd["spec"]
        names = spec["names"]
        self.group = spec["group"]
        self.version = version["name"]
        self.kind = names["kind"]
        self.plural = names["plural"]
        self.singular = names.get("singular") or self.kind.lower()
        self.short_names = tuple(names.get("shortNames") or ())
        self.categories = tuple(names.get("categories") or ())
        self.namespaced = spec.get("scope") == "Namespaced"
        self.subresources = tuple(sorted((version.get("subresources") or {}).keys()))
        self.printer_columns = tuple((c["name"], c["type"], c["jsonPath"], c.get("description", ""))
                                     for c in version.get("additionalPrinterColumns") or ())
        self.schema = (version.get("schema") or {}).get("openAPIV3Schema") or {}
        self._validator = None

    @property
    def api_version(self):
        return "%s/%s" % (self.group, self.version)

    # -- 1. pruning ---------------------------------------------------------------------------------
    def prune(self, obj):
        """Remove unknown fields and non-nullable nulls from ``obj`` in place; returns the unknown paths."""
        unknown = []
        for key in list(obj):
            if key in ("apiVersion", "kind", "metadata"):
                continue
            sub = (self.schema.get("properties") or {}).get(key)
            if sub is None and not self.schema.get("x-kubernetes-preserve-unknown-fields"):
                unknown.append(key)
                del obj[key]
            elif sub is not None:
                if obj[key] is None and not sub.get("nullable"):
                    del obj[key]
                else:
                    _prune(obj[key], sub, key, unknown)
        return unknown

    # -- 2. defaulting ------------------------------------------------------------------------------
    def default(self, obj):
        for key, sub in (self.schema.get("properties") or {}).items():
            if key in ("apiVersion", "kind", "metadata"):
                continue
            if key in obj:
                _default(obj[key], sub)

    # -- 3 and 4. validation ------------------------------------------------------------------------
    def validate(self, obj, old=None):
        """Schema and CEL errors of ``obj`` (metadata is the server's own business)."""
        body = {k: v for k, v in obj.items() if k not in ("apiVersion", "kind", "metadata")}
        schema = {k: v for k, v in self.schema.items() if k != "required"}
        schema["properties"] = {k: v for k, v in (self.schema.get("properties") or {}).items()
                                if k not in ("apiVersion", "kind", "metadata")}
        schema["required"] = [r for r in self.schema.get("required") or () if r not in ("metadata",)]
        if not self._schema_ok(schema, body):
            # the full check (jsonschema) only for an object the fast one refused: every error, worded
            errors = [_field_error(err) for err in sorted(_validator_class()(schema).iter_errors(body),
                                                          key=lambda e: list(e.absolute_path))]
            if errors:
                return errors     # like kube-apiserver: CEL runs only on a schema-valid object
        errors = []
        old_body = None if old is None else {k: v for k, v in old.items() if k not in ("metadata",)}
        _cel(body, schema, old_body, "", errors)
        return errors

    def _schema_ok(self, schema, body):
        """The fast accept check: ``fastjsonschema`` compiled once per version (a 64 KB CalicoNodeStatus
        in about a millisecond), plus the Kubernetes extensions it does not know."""
        if self._validator is None:
            import fastjsonschema  # pylint: disable=import-outside-toplevel
            formats = {name: (lambda _text: True) for name in _formats(schema)}
            formats.update({"cidr": _cidr_ok, "date-time": lambda text: bool(_DATE_TIME.match(text))})
            self._validator = fastjsonschema.compile(_python_patterns(schema), formats=formats, use_default=False)
        try:
            self._validator(body)
        except Exception:  # pylint: disable=broad-except  # fastjsonschema.JsonSchemaValueException
            return False
        return _extras_ok(body, schema)


def _formats(schema, out=None):
    out = set() if out is None else out
    if isinstance(schema, dict):
        if isinstance(schema.get("format"), str):
            out.add(schema["format"])
        for value in schema.values():
            _formats(value, out)
    elif isinstance(schema, list):
        for value in schema:
            _formats(value, out)
    return out


def _python_patterns(schema):
    """A copy of ``schema`` whose ``pattern``s mean in Python what they mean in Go (RE2)."""
    if isinstance(schema, dict):
        return {k: (_go_regex(v).pattern if k == "pattern" and isinstance(v, str) else _python_patterns(v))
                for k, v in schema.items()}
    if isinstance(schema, list):
        return [_python_patterns(v) for v in schema]
    return schema


_BELOW = {}
_OWN = {
    "extras": lambda n: n.get("format") in ("int32", "int64") or n.get("x-kubernetes-list-type") in ("set", "map"),
    "cel": lambda n: bool(n.get("x-kubernetes-validations")),
    "default": lambda n: any(isinstance(v, dict) and "default" in v for v in (n.get("properties") or {}).values()),
}


def _below(schema, what):
    """Whether a schema node or one below it has ``what`` (an ``_OWN`` test); remembered per node, so
    the walks over a large object descend only where there is something to do."""
    key = (id(schema), what)
    if key not in _BELOW:
        children = list((schema.get("properties") or {}).values())
        children += [schema.get("items"), schema.get("additionalProperties")]
        subs = [v for v in children if isinstance(v, dict)]
        _BELOW[key] = (schema, _OWN[what](schema) or any(_below(v, what) for v in subs))
    return _BELOW[key][1]


def _has_extras(schema):
    return _below(schema, "extras")


def _extras_ok(value, schema):
    """Integer formats and list-type uniqueness, walking only the parts of the schema that have them."""
    if not _has_extras(schema):
        return True
    if isinstance(value, int) and not isinstance(value, bool):
        return not ((schema.get("format") == "int32" and not -2 ** 31 <= value < 2 ** 31)
                    or (schema.get("format") == "int64" and not -2 ** 63 <= value < 2 ** 63))
    if isinstance(value, dict):
        props = schema.get("properties") or {}
        extra = schema.get("additionalProperties")
        return all(_extras_ok(v, props[k] if k in props else extra) for k, v in value.items()
                   if k in props or isinstance(extra, dict))
    if isinstance(value, list):
        kind = schema.get("x-kubernetes-list-type")
        if kind in ("set", "map"):
            keys = schema.get("x-kubernetes-list-map-keys") or []
            seen = [json.dumps(v if kind == "set" else [v.get(k) for k in keys] if isinstance(v, dict) else v,
                               sort_keys=True) for v in value]
            if len(set(seen)) != len(seen):
                return False
        items = schema.get("items")
        return not isinstance(items, dict) or all(_extras_ok(v, items) for v in value)
    return True


def _prune(value, schema, path, unknown):
    if isinstance(value, dict) and schema.get("type") == "object" and \
            not schema.get("x-kubernetes-preserve-unknown-fields"):
        props = schema.get("properties")
        extra = schema.get("additionalProperties")
        for key in list(value):
            sub = props.get(key) if props is not None else (extra if isinstance(extra, dict) else None)
            if sub is None:
                if props is not None or extra is None or extra is False:
                    unknown.append("%s.%s" % (path, key))
                    del value[key]
                continue
            if value[key] is None and not sub.get("nullable"):
                del value[key]
            else:
                _prune(value[key], sub, "%s.%s" % (path, key), unknown)
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        for index, item in enumerate(value):
            _prune(item, schema["items"], "%s[%d]" % (path, index), unknown)


def _default(value, schema):
    if not _below(schema, "default"):
        return
    if isinstance(value, dict):
        for key, sub in (schema.get("properties") or {}).items():
            if key not in value and "default" in sub:
                value[key] = copy.deepcopy(sub["default"])
            if key in value:
                _default(value[key], sub)
        extra = schema.get("additionalProperties")
        if isinstance(extra, dict) and not schema.get("properties"):
            for item in value.values():
                _default(item, extra)
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        for item in value:
            _default(item, schema["items"])


# -- the schema check: jsonschema with the Kubernetes extensions ---------------------------------

_VALIDATOR = None


def _go_regex(pattern):
    # RE2 as Kubernetes runs it: '$' is the end of the text, \d is ASCII, (?i) may follow '^'.
    return re.compile(pattern.replace("^(?i)", "(?i)^").replace("$", r"\Z"), re.ASCII)


def _cidr_ok(text):
    """kube-openapi's ``cidr`` format (netutils.ParseCIDRSloppy: leading zeros in IPv4 octets pass)."""
    if ":" not in text:
        text = re.sub(r"(?<![0-9])0+([0-9])", r"\1", text)
    if "/" not in text or "%" in text:
        return False
    try:
        net = ipaddress.ip_network(text, strict=False)
    except ValueError:
        return False
    return not (net.version == 6 and ipaddress.ip_address(text.split("/")[0]).ipv4_mapped)


_DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")


def _validator_class():
    global _VALIDATOR  # pylint: disable=global-statement
    if _VALIDATOR is not None:
        return _VALIDATOR
    import jsonschema  # pylint: disable=import-outside-toplevel

    def pattern(_validator, regex, instance, _schema):
        if isinstance(instance, str) and not _go_regex(regex).search(instance):
            yield jsonschema.ValidationError("should match '%s'" % regex, validator_value=regex)

    def fmt(_validator, name, instance, _schema):
        bad = False
        if isinstance(instance, int) and not isinstance(instance, bool):
            bad = (name == "int32" and not -2 ** 31 <= instance < 2 ** 31) or \
                (name == "int64" and not -2 ** 63 <= instance < 2 ** 63)
        elif isinstance(instance, str):
            bad = (name == "cidr" and not _cidr_ok(instance)) or (name == "date-time" and not _DATE_TIME.match(instance))
        if bad:
            yield jsonschema.ValidationError("must be of type %s" % name, validator_value=name)

    def list_type(_validator, kind, instance, schema):
        if not isinstance(instance, list) or kind not in ("set", "map"):
            return
        keys = schema.get("x-kubernetes-list-map-keys") or []
        seen = []
        for item in instance:
            key = item if kind == "set" else tuple(item.get(k) for k in keys) if isinstance(item, dict) else item
            if key in seen:
                error = jsonschema.ValidationError("duplicate", validator_value=kind)
                error.duplicate = item
                yield error
            seen.append(key)

    _VALIDATOR = jsonschema.validators.extend(jsonschema.Draft4Validator, {
        "pattern": pattern, "format": fmt, "x-kubernetes-list-type": list_type})
    return _VALIDATOR


def _path_text(parts):
    out = ""
    for part in parts:
        out += "[%d]" % part if isinstance(part, int) else ("." if out else "") + str(part)
    return out


_JSON_TYPES = ((bool, "boolean"), (int, "integer"), (float, "number"), (str, "string"), (list, "array"),
               (dict, "object"), (type(None), "null"))


def type_name(value):
    for py_type, name in _JSON_TYPES:
        if isinstance(value, py_type):
            return name
    return "unknown"


def _field_error(err):
    """A ``jsonschema`` error worded as kube-apiserver's OpenAPI validation words it."""
    parts = list(err.absolute_path)
    kind = err.validator
    if kind == "required":
        missing = re.match(r"'([^']+)'", err.message)
        name = missing.group(1) if missing else ""
        return (_path_text(parts + [name]), None, "", "FieldValueRequired")
    path = _path_text(parts)
    value = err.instance
    if kind == "type":
        wanted = err.validator_value if isinstance(err.validator_value, str) else "/".join(err.validator_value)
        return (path, type_name(value), '%s in body must be of type %s: "%s"' % (path, wanted, type_name(value)),
                None)
    if kind == "enum":
        return (path, value, ", ".join(json.dumps(v) for v in err.validator_value), "FieldValueNotSupported")
    if kind == "maxLength":
        return (path, value, "may not be more than %d bytes" % err.validator_value, "FieldValueTooLong")
    if kind == "minItems" or kind == "minProperties":
        return (path, value, "%s in body should have at least %d %s" % (
            path, err.validator_value, "items" if kind == "minItems" else "properties"), None)
    if kind == "maxItems" or kind == "maxProperties":
        return (path, len(value), "must have at most %d items" % err.validator_value, "FieldValueTooMany")
    if kind == "x-kubernetes-list-type":
        return (path + "[%d]" % value.index(err.duplicate, value.index(err.duplicate) + 1), err.duplicate, "",
                "FieldValueDuplicate")
    if kind == "minimum":
        return (path, value, "%s in body should be greater than or equal to %s" % (path, err.validator_value), None)
    if kind == "maximum":
        return (path, value, "%s in body should be less than or equal to %s" % (path, err.validator_value), None)
    if kind == "minLength":
        return (path, value, "%s in body should be at least %d chars long" % (path, err.validator_value), None)
    if kind == "pattern":
        return (path, value, "%s in body should match '%s'" % (path, err.validator_value), None)
    if kind == "format":
        return (path, value, '%s in body must be of type %s: %s' % (path, err.validator_value, json.dumps(value)),
                None)
    return (path, value, "%s in body %s" % (path, err.message), None)


# -- CEL ------------------------------------------------------------------------------------------

_CEL = {}


class _IP:
    def __init__(self, text):
        text = str(text)
        self.addr = ipaddress.ip_address(text)
        if "%" in text or (self.addr.version == 6 and self.addr.ipv4_mapped is not None):
            raise ValueError("IP address %r not allowed" % text)

    def __eq__(self, other):
        return isinstance(other, _IP) and self.addr == other.addr

    __hash__ = None


class _CIDR:
    def __init__(self, text):
        text = str(text)
        address, sep, length = text.partition("/")
        if not sep or not re.match(r"^(0|[1-9][0-9]*)$", length):
            raise ValueError("network address parse error during conversion from string: %s" % text)
        self.ip = _IP(address)
        self.length = int(length)
        self.net = ipaddress.ip_network("%s/%d" % (address, self.length), strict=False)

    def __eq__(self, other):
        return isinstance(other, _CIDR) and self.ip == other.ip and self.length == other.length

    __hash__ = None


def _cel_library():
    from celpy import celtypes  # pylint: disable=import-outside-toplevel

    def ip(value):
        return value.ip if isinstance(value, _CIDR) else _IP(value)

    def contains_ip(cidr, other):
        other = other if isinstance(other, _IP) else _IP(other)
        return celtypes.BoolType(other.addr.version == cidr.net.version and other.addr in cidr.net)

    return {"cidr": _CIDR, "ip": ip, "family": lambda v: celtypes.IntType(v.addr.version),
            "masked": lambda v: _CIDR("%s/%d" % (v.net.network_address, v.length)),
            "prefixLength": lambda v: celtypes.IntType(v.length), "containsIP": contains_ip}


def _program(rule):
    if rule not in _CEL:
        import celpy  # pylint: disable=import-outside-toplevel
        env = _CEL.setdefault(None, celpy.Environment())
        _CEL[rule] = env.program(env.compile(rule), functions=_cel_library())
    return _CEL[rule]


def _rule_holds(rule, value, old):
    import celpy  # pylint: disable=import-outside-toplevel
    activation = {"self": celpy.json_to_cel(value)}
    if old is not None:
        activation["oldSelf"] = celpy.json_to_cel(old)
    try:
        result = _program(rule).evaluate(activation)
    except Exception:  # pylint: disable=broad-except
        return False   # a runtime error (no such key, bad CIDR) fails the rule, as in Kubernetes
    if isinstance(result, Exception):
        return False
    return bool(result)


def _cel(value, schema, old, path, errors):
    if not _below(schema, "cel"):
        return
    for rule in schema.get("x-kubernetes-validations") or ():
        transition = "oldSelf" in rule["rule"]
        if transition and old is None:
            continue
        if not _rule_holds(rule["rule"], value, old if transition else None):
            reason = rule.get("reason") or "FieldValueInvalid"
            message = rule.get("message") or "failed rule: %s" % rule["rule"]
            errors.append((path, type_name(value), message, reason))
    if isinstance(value, dict):
        for key, sub in (schema.get("properties") or {}).items():
            if key in value:
                _cel(value[key], sub, old.get(key) if isinstance(old, dict) else None,
                     "%s.%s" % (path, key) if path else key, errors)
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        for index, item in enumerate(value):
            # list items are correlated by index only for atomic lists with transition rules: none here
            _cel(item, schema["items"], None, "%s[%d]" % (path, index), errors)


# -- loading ----------------------------------------------------------------------------------------

def load(directory):
    """Every served version of every CRD in the YAML files under ``directory``, keyed by
    ``(group, version, kind)``."""
    out = {}
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    for path in sorted(Path(directory).rglob("*.y*ml")):
        with open(path, encoding="utf-8") as handle:
            for doc in yaml.load_all(handle, Loader=loader):
                if not isinstance(doc, dict) or doc.get("kind") != "CustomResourceDefinition":
                    continue
                for version in doc["spec"].get("versions") or ():
                    if version.get("served", True):
                        crd = CRDVersion(doc, version)
                        out[(crd.group, crd.version, crd.kind)] = crd
    return out
