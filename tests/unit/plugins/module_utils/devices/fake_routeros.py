"""A fake librouteros ``Api`` for unit tests: in-memory RouterOS tables that enforce the device model.

The writable fields of each path and version are the driver's (``routeros.schema``, whose neighbor
fields come from the field table ``fields.py``): the RouterOS version facts are written once.  What
the fake adds is the device's behaviour: which paths exist, required fields, keys and references.
Values travel as librouteros sends them (True -> "yes", ints -> str) and come back converted the way
librouteros converts replies (ints and bools), with durations in RouterOS's own spelling (``90s``
prints as ``1m30s``); ``tcp-md5-key`` is printed like any string property, as RouterOS does.  Built
``read_only=True`` it fails the test on any write, which is how check-mode tests prove that nothing is
sent.
"""
import re

from librouteros.exceptions import TrapError

from ansible_collections.kubefabric.bgp.plugins.module_utils.devices import routeros


def _tables(version):
    schema = routeros.schema(version)
    read_only = {"fields": set(), "required": set(), "key": None, "read_only": True}
    if version[0] < 7:
        return {
            "system/resource": None,
            "ip/route": dict(read_only),
            "routing/bgp/instance": {"fields": schema["routing/bgp/instance"], "required": {"name"}, "key": "name"},
            "routing/bgp/peer": {"fields": schema["routing/bgp/peer"], "required": {"remote-address", "remote-as"},
                                 "key": "name", "refs": {"instance": "routing/bgp/instance"}},
        }
    tables = {
        "system/resource": None,
        "ip/route": dict(read_only),
        "routing/bgp/connection": {"fields": schema["routing/bgp/connection"],
                                   "required": {"name", "remote.address", "local.role"}, "key": None, "refs": {}},
        "routing/bgp/template": {"fields": schema["routing/bgp/template"], "required": {"name"}, "key": "name"},
        "routing/bgp/session": dict(read_only),
    }
    if "routing/bgp/instance" in schema:  # 7.20: connections name their instance
        tables["routing/bgp/connection"]["required"].add("instance")
        tables["routing/bgp/connection"]["refs"] = {"instance": "routing/bgp/instance"}
        tables["routing/bgp/instance"] = {"fields": schema["routing/bgp/instance"], "required": {"name", "as"},
                                          "key": "name"}
    return tables


_UNITS = (("w", 604800), ("d", 86400), ("h", 3600), ("m", 60), ("s", 1))


def _ros_duration(text):
    parts = re.findall(r"(\d+)([wdhms])", text)
    if not parts or "".join(n + u for n, u in parts) != text:
        raise TrapError("value of hold-time is not a time interval: %s" % text)
    total = sum(int(n) * dict(_UNITS)[u] for n, u in parts)
    out = ""
    for unit, size in _UNITS:
        if total >= size:
            out += "%d%s" % (total // size, unit)
            total %= size
    return out or "0s"


def _reply_value(text):
    if text in ("yes", "true"):
        return True
    if text in ("no", "false"):
        return False
    try:
        if str(int(text)) == text:
            return int(text)
    except ValueError:
        pass
    return text


def _wire(value):
    if value is True:
        return "yes"
    if value is False:
        return "no"
    return str(value)


class FakeRouterOS:
    """State of one fake router; ``api()`` returns a client object like ``librouteros.connect``."""

    def __init__(self, version="7.10.2", read_only=False, rows=None, sessions=None, routes=None):
        self.version_text = version
        self.version = tuple(int(p) for p in re.match(r"(\d+)\.(\d+)(?:\.(\d+))?", version).groups("0"))
        self.tables = _tables(self.version)
        self.data = {path: [] for path in self.tables}
        self.read_only = read_only
        self.writes = []
        self.reads = []
        self.queries = []  # (path, .proplist fields, query words) of every select().where() print
        self.connections = 0
        self.closed = 0
        self._next = 1
        for path, row in rows or []:
            self._add(path, {k: _wire(v) for k, v in row.items()})
        for row in sessions or []:
            self.data["routing/bgp/session" if self.version[0] >= 7 else "routing/bgp/peer"].append(
                dict({".id": self._id()}, **{k: _wire(v) for k, v in row.items()}))
        for row in routes or []:  # /ip/route rows as RouterOS prints them (flags "true"/"false")
            self.data["ip/route"].append(dict({".id": self._id()}, **{k: str(v) for k, v in row.items()}))

    def _id(self):
        value = "*%X" % self._next
        self._next += 1
        return value

    def api(self, params=None):
        self.connections += 1
        return _Api(self)

    # -- verbs
    def _table(self, path):
        if path not in self.tables:
            raise TrapError("no such command prefix")
        return self.tables[path]

    def print(self, path):
        self.reads.append(path)
        if path == "system/resource":
            return [{"version": self.version_text + " (stable)", "platform": "MikroTik", "board-name": "fake"}]
        self._table(path)
        return [{k: _reply_value(v) for k, v in row.items()} for row in self.data[path]]

    def query(self, path, fields, words):
        """``print`` with ``.proplist`` and query words (``?=name=value`` / ``?name=value``, all ANDed;
        booleans compare the way RouterOS does: yes == true)."""
        self.queries.append((path, tuple(fields), tuple(words)))
        canon = {"yes": "true", "no": "false"}
        matches = []
        for word in words:
            match = re.fullmatch(r"\?=?([^=]+)=(.*)", word)
            if not match:
                raise TrapError("unsupported query word %s" % word)
            matches.append((match.group(1), canon.get(match.group(2), match.group(2))))
        rows = [row for row in self.print(path)
                if all(canon.get(str(row.get(k)).lower(), str(row.get(k)).lower()) == v for k, v in matches)]
        return [{k: v for k, v in row.items() if not fields or k in fields} for row in rows]

    def _write(self, path, verb, attrs):
        if self.read_only:
            raise AssertionError("write in check mode: /%s/%s %r" % (path, verb, attrs))
        self.writes.append((path, verb, dict(attrs)))

    def _check(self, path, attrs):
        table = self._table(path)
        if table.get("read_only") or table is None:
            raise TrapError("cannot modify read-only path")
        for key in attrs:
            field = key[1:] if key.startswith("!") else key
            if field == ".id":
                continue
            if field not in table["fields"]:
                raise TrapError("unknown parameter %s" % field)
            if key.startswith("!") and field in table["required"]:
                raise TrapError("cannot unset required %s" % field)
        for field, target in (table.get("refs") or {}).items():
            if field in attrs and not any(r.get("name") == attrs[field] for r in self.data[target]):
                raise TrapError("input does not match any value of %s" % field)

    def _store(self, row, attrs):
        for key, value in attrs.items():
            if key == ".id":
                continue
            if key.startswith("!"):
                row.pop(key[1:], None)
                continue
            value = _wire(value)
            if key in ("hold-time", "keepalive-time") and value not in ("", "infinity"):
                value = _ros_duration(value)
            row[key] = value

    def _add(self, path, attrs):
        table = self._table(path)
        self._check(path, attrs)
        missing = table["required"] - set(attrs)
        if missing:
            raise TrapError("missing value(s) of argument(s) %s" % " ".join(sorted(missing)))
        if table["key"] and any(r.get(table["key"]) == attrs[table["key"]] for r in self.data[path]):
            raise TrapError("failure: entry already exists")
        if "name" in attrs and any(r.get("name") == attrs["name"] for r in self.data[path]):
            raise TrapError("failure: name already exists")
        row = {".id": self._id()}
        self._store(row, attrs)
        self.data[path].append(row)
        return row[".id"]

    def add(self, path, attrs):
        self._write(path, "add", attrs)
        return self._add(path, attrs)

    def set(self, path, attrs):
        self._write(path, "set", attrs)
        self._check(path, attrs)
        ids = str(attrs.get(".id", "")).split(",")
        for row in self.data[path]:
            if row[".id"] in ids:
                self._store(row, attrs)
                return
        raise TrapError("no such item")

    def remove(self, path, ids):
        self._write(path, "remove", {".id": ",".join(ids)})
        for item in ids:
            if not any(r[".id"] == item for r in self.data[path]):
                raise TrapError("no such item (%s)" % item)
        self.data[path] = [r for r in self.data[path] if r[".id"] not in ids]

    # -- helpers for assertions
    def rows(self, path):
        return self.data[path]

    def row(self, path, **match):
        for row in self.data[path]:
            if all(row.get(k) == _wire(v) for k, v in match.items()):
                return row
        return None


class _Path:
    def __init__(self, fake, path):
        self.fake = fake
        self.path = path

    def __iter__(self):
        return iter(self.fake.print(self.path))

    def select(self, *keys):
        return _Query(self.fake, self.path, [str(key) for key in keys])

    def add(self, **kwargs):
        return self.fake.add(self.path, kwargs)

    def update(self, **kwargs):
        self.fake.set(self.path, kwargs)

    def remove(self, *ids):
        self.fake.remove(self.path, list(ids))


class _Query:
    """librouteros' ``Path.select(*keys).where(*queries)``: keys become .proplist, queries ``?`` words."""

    def __init__(self, fake, path, fields):
        self.fake = fake
        self.path = path
        self.fields = fields
        self.words = ()

    def where(self, *args):
        self.words = tuple(word for arg in args for word in arg)
        return self

    def __iter__(self):
        return iter(self.fake.query(self.path, self.fields, self.words))


class _Api:
    def __init__(self, fake):
        self.fake = fake

    def path(self, *parts):
        return _Path(self.fake, "/".join(p.strip("/") for p in parts if p))

    def close(self):
        self.fake.closed += 1
