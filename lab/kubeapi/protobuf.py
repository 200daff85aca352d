"""Decoding the Kubernetes protobuf encoding for the few kinds kubectl sends that way.

kubectl's typed commands (``kubectl create secret|namespace|configmap``) send
``application/vnd.kubernetes.protobuf`` and do not fall back to JSON.  The envelope is the magic
``k8s\\0`` and a ``runtime.Unknown`` (typeMeta, raw); ``raw`` is the object in the field numbers of
``k8s.io/api/core/v1/generated.proto``.  Only what those commands send is described here.
"""
import base64
import datetime

MAGIC = b"k8s\x00"


class ProtobufError(ValueError):
    pass


def _varint(data, pos):
    result = shift = 0
    while True:
        if pos >= len(data):
            raise ProtobufError("truncated varint")
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7


def fields(data):
    """``{field number: [value, ...]}``: ints for varints, bytes for length-delimited fields."""
    out = {}
    pos = 0
    while pos < len(data):
        key, pos = _varint(data, pos)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = _varint(data, pos)
        elif wire == 2:
            length, pos = _varint(data, pos)
            value = bytes(data[pos:pos + length])
            pos += length
        elif wire == 1:
            value, pos = int.from_bytes(data[pos:pos + 8], "little"), pos + 8
        elif wire == 5:
            value, pos = int.from_bytes(data[pos:pos + 4], "little"), pos + 4
        else:
            raise ProtobufError("unsupported wire type %d" % wire)
        out.setdefault(number, []).append(value)
    return out


def _str(values):
    return values[-1].decode("utf-8") if values else None


def _map(values, bytes_values=False):
    out = {}
    for entry in values:
        pair = fields(entry)
        key = _str(pair.get(1, [b""]))
        raw = pair.get(2, [b""])[-1]
        out[key] = base64.b64encode(raw).decode() if bytes_values else raw.decode("utf-8")
    return out


def _time(values):
    if not values:
        return None
    seconds = fields(values[-1]).get(1, [0])[-1]
    return datetime.datetime.fromtimestamp(seconds, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _object_meta(data):
    f = fields(data)
    meta = {}
    for number, key in ((1, "name"), (2, "generateName"), (3, "namespace"), (6, "resourceVersion")):
        if f.get(number) and f[number][-1]:
            meta[key] = _str(f[number])
    if f.get(11):
        meta["labels"] = _map(f[11])
    if f.get(12):
        meta["annotations"] = _map(f[12])
    if f.get(14):
        meta["finalizers"] = [v.decode() for v in f[14]]
    if f.get(13):
        meta["ownerReferences"] = []
        for ref in f[13]:
            r = fields(ref)
            item = {"apiVersion": _str(r.get(5, [])), "kind": _str(r.get(1, [])), "name": _str(r.get(3, [])),
                    "uid": _str(r.get(4, []))}
            if r.get(6):
                item["controller"] = bool(r[6][-1])
            meta["ownerReferences"].append(item)
    return meta


def _secret(f):
    obj = {}
    if f.get(2):
        obj["data"] = _map(f[2], bytes_values=True)
    if f.get(4):
        obj["stringData"] = _map(f[4])
    if f.get(3) and f[3][-1]:
        obj["type"] = _str(f[3])
    if f.get(5):
        obj["immutable"] = bool(f[5][-1])
    return obj


def _configmap(f):
    obj = {}
    if f.get(2):
        obj["data"] = _map(f[2])
    if f.get(3):
        obj["binaryData"] = _map(f[3], bytes_values=True)
    if f.get(4):
        obj["immutable"] = bool(f[4][-1])
    return obj


def _namespace(f):
    obj = {}
    if f.get(2):
        spec = fields(f[2][-1])
        obj["spec"] = {"finalizers": [v.decode() for v in spec.get(1, [])]}
    return obj


def _access_review(f):
    """authorization/v1 SelfSubjectAccessReview (``kubectl auth can-i``): spec = 2; in the spec,
    resourceAttributes = 1 (namespace 1, verb 2, group 3, version 4, resource 5, subresource 6, name 7)
    and nonResourceAttributes = 2 (path 1, verb 2)."""
    spec = fields(f[2][-1]) if f.get(2) else {}
    out = {}
    if spec.get(1):
        attrs = fields(spec[1][-1])
        out["resourceAttributes"] = dict(
            (key, _str(attrs[number])) for number, key in ((1, "namespace"), (2, "verb"), (3, "group"),
                                                           (4, "version"), (5, "resource"), (6, "subresource"),
                                                           (7, "name")) if attrs.get(number))
    if spec.get(2):
        attrs = fields(spec[2][-1])
        out["nonResourceAttributes"] = dict(
            (key, _str(attrs[number])) for number, key in ((1, "path"), (2, "verb")) if attrs.get(number))
    return {"spec": out}


_KINDS = {"Secret": _secret, "ConfigMap": _configmap, "Namespace": _namespace,
          "SelfSubjectAccessReview": _access_review}


def decode(body):
    """The JSON-shaped object of a protobuf request body; ``ProtobufError`` for other kinds."""
    if not body.startswith(MAGIC):
        raise ProtobufError("missing the k8s protobuf magic number")
    unknown = fields(body[len(MAGIC):])
    type_meta = fields(unknown.get(1, [b""])[-1])
    api_version, kind = _str(type_meta.get(1, [])), _str(type_meta.get(2, []))
    if kind not in _KINDS:
        raise ProtobufError("protobuf is not supported for %s %s; send JSON" % (api_version, kind))
    raw = fields(unknown.get(2, [b""])[-1])
    obj = {"apiVersion": api_version, "kind": kind}
    obj["metadata"] = _object_meta(raw[1][-1]) if raw.get(1) else {}
    obj.update(_KINDS[kind](raw))
    return obj
