"""The emulated device: tables, the API verbs (print/add/set/remove/...), queries, persistence.

``Device.execute(words)`` takes one API sentence (command word, ``=attr=value`` words, ``?query``
words, optional ``.tag``) and returns the reply sentences without the tag; the server adds it.
Everything that reaches the network (interfaces, addresses, FRR) goes through ``self.backend``.
"""
import json
import os
import re
import time

from .model import (ApiError, V7_18, full_version, menu_prefixes, parse_version, path_spec)

MUTATING = ("add", "set", "remove", "unset", "enable", "disable", "move", "comment")
PRINT_OPTIONS = {".proplist", "detail", "count-only", "without-paging", "terse", "brief", "stats", "from",
                 "follow", "interval", "as-value", "where"}
BGP_PATHS = {("routing", "bgp", "instance"), ("routing", "bgp", "peer"),
             ("routing", "bgp", "connection"), ("routing", "bgp", "template"),
             ("routing", "bgp", "network"), ("ip", "firewall", "address-list")}
# connection fields that RouterOS prints although nobody set them
CONNECTION_PRINT_DEFAULTS = {"routing-table": "main", "templates": "default"}


class Fatal(Exception):
    """``!fatal`` then close the connection."""


def _api_value(value):
    if value is True:
        return "yes"
    if value is False:
        return "no"
    return str(value)


def _id_num(item_id):
    return int(item_id[1:], 16)


def _bool_word(value):
    low = str(value).lower()
    if low in ("yes", "true"):
        return "true"
    if low in ("no", "false"):
        return "false"
    return value


class Device:
    def __init__(self, version="7.10", identity="MikroTik", backend=None, state_file=None,
                 write_log=None, started=None):
        self.version_text = full_version(version)
        self.version = parse_version(version)
        self.backend = backend
        self.state_file = state_file
        self.write_log = write_log
        self.started = started or time.time()
        self.tables = {}
        self.identity = identity
        self.first_boot = not (state_file and os.path.exists(state_file))
        if not self.first_boot:
            self._load()
        else:
            self._fresh()
            self._save()

    # -- state ---------------------------------------------------------------------------------
    def _fresh(self):
        from .model import PATHS
        for path, specs in PATHS.items():
            spec = next((s for s in specs if s.exists_in(self.version)), None)
            if spec is None or spec.kind != "list":
                continue
            table = self.tables.setdefault("/".join(path), {"next": 1, "items": []})
            for entry in spec.builtin:
                self._insert(table, dict(entry))
        if self.backend is not None:
            for address, iface in self.backend.initial_addresses():
                self._insert(self.tables["ip/address"], {"address": address, "interface": iface})

    def _load(self):
        with open(self.state_file) as fh:
            data = json.load(fh)
        self.tables = data["tables"]
        self.identity = data.get("identity", self.identity)

    def _save(self):
        if not self.state_file:
            return
        tmp = self.state_file + ".tmp"
        with open(tmp, "w") as fh:
            json.dump({"version": self.version_text, "identity": self.identity, "tables": self.tables},
                      fh, indent=1, sort_keys=True)
        os.replace(tmp, self.state_file)

    @staticmethod
    def _insert(table, values):
        item_id = "*%X" % table["next"]
        table["next"] += 1
        values[".id"] = item_id
        table["items"].append(values)
        return item_id

    def table(self, path):
        return self.tables.setdefault("/".join(path), {"next": 1, "items": []})

    def items(self, path):
        return self.table(path)["items"]

    def _log_write(self, command, attrs, spec, outcome):
        if not self.write_log:
            return
        safe = {}
        for k, v in attrs.items():
            field = spec.fields.get(k.lstrip("!")) if spec else None
            safe[k] = "********" if field is not None and field.secret else v
        line = json.dumps({"time": time.time(), "command": command, "attrs": safe, "result": outcome})
        with open(self.write_log, "a") as fh:
            fh.write(line + "\n")

    # -- entry points --------------------------------------------------------------------------
    def execute(self, words):
        """Run one sentence; returns a list of reply sentences (lists of words)."""
        command = words[0]
        attrs, queries = {}, []
        for word in words[1:]:
            if word.startswith("="):
                key, dummy, value = word[1:].partition("=")
                attrs[key] = value
            elif word.startswith("?"):
                queries.append(word)
            elif word.startswith(".tag="):
                continue
            else:
                return [["!trap", "=message=expected end of command"], ["!done"]]
        if command == "/quit":
            raise Fatal("session terminated on request")
        if command in ("/cancel", "/login"):
            return [["!done"]]
        parts = tuple(p for p in command.split("/") if p)
        if len(parts) < 1 or not command.startswith("/"):
            return [["!trap", "=message=no such command prefix"], ["!done"]]
        path, verb = parts[:-1], parts[-1]
        spec = path_spec(path, self.version)
        mutating = verb in MUTATING
        error = None
        if spec is None:
            error = "no such command" if parts in menu_prefixes(self.version) else "no such command prefix"
        elif verb not in spec.verbs:
            error = "no such command"
        if error:
            if mutating:  # every mutating request received is counted, valid or not
                self._log_write(command, attrs, spec, "trap: " + error)
            return [["!trap", "=message=%s" % error], ["!done"]]
        try:
            replies = getattr(self, "_verb_" + verb)(spec, attrs, queries)
        except ApiError as exc:
            if mutating:
                self._log_write(command, attrs, spec, "trap: " + exc.message)
            trap = ["!trap", "=message=%s" % exc.message]
            if exc.category is not None:
                trap.append("=category=%s" % exc.category)
            return [trap, ["!done"]]
        if mutating:
            self._log_write(command, attrs, spec, "ok")
            self._save()
            self._realise(spec.path)
        return replies

    def apply_initial(self, commands):
        """A startup configuration: ``[(command, {attr: value}), ...]`` run without counting as writes.

        Raises ApiError with the command named when one is refused."""
        log, self.write_log = self.write_log, None
        try:
            for command, attrs in commands:
                words = [command] + ["=%s=%s" % (k, _api_value(v)) for k, v in (attrs or {}).items()]
                replies = self.execute(words)
                if replies[0][0] == "!trap":
                    raise ApiError("initial configuration: %s: %s" % (" ".join(words), replies[0][1][9:]))
        finally:
            self.write_log = log
        self._save()

    def _realise(self, path):
        if self.backend is None:
            return
        if path == ("ip", "address"):
            self.backend.apply_addresses(self)
        if path in BGP_PATHS:
            self.backend.apply_bgp(self)

    def realise_all(self):
        if self.backend is not None:
            self.backend.apply_addresses(self)
            self.backend.apply_bgp(self)

    # -- rendering -----------------------------------------------------------------------------
    def rows(self, spec):
        """The rows of a path as RouterOS prints them (dicts of str, '.id' first)."""
        if spec.kind == "single":
            return [{"name": self.identity}] if spec.path == ("system", "identity") else [{}]
        if spec.kind == "state":
            return self._state_rows(spec)
        fields = spec.fields_for(self.version)
        out = []
        for item in self.items(spec.path):
            row = {".id": item[".id"]}
            if "name" in item:
                row["name"] = item["name"]
            for name, field in fields.items():
                if name in item:
                    row[name] = item[name]
                elif field.default is not None:
                    row[name] = field.default
                elif spec.path == ("routing", "bgp", "connection") and name in CONNECTION_PRINT_DEFAULTS:
                    row[name] = CONNECTION_PRINT_DEFAULTS[name]
            self._computed(spec, item, row)
            out.append(row)
        return out

    def _computed(self, spec, item, row):
        if spec.path == ("ip", "address"):
            if "network" not in item:
                import ipaddress
                row["network"] = str(ipaddress.ip_interface(item["address"]).network.network_address)
            row["actual-interface"] = item["interface"]
            row["invalid"] = "false"
            row["dynamic"] = "false"
        elif spec.path == ("ip", "firewall", "address-list"):
            row["dynamic"] = "false"
        elif spec.path == ("routing", "bgp", "connection"):
            row["inactive"] = "true" if row.get("disabled") == "true" else "false"
            row.pop("local.default-address", None)
        elif spec.path == ("routing", "bgp", "instance") and "default" in spec.fields:
            row["default"] = "true" if item.get("default") == "true" else "false"
        elif spec.path == ("routing", "bgp", "peer") and self.backend is not None:
            row.update(self.backend.v6_peer_status(self, item))

    def _state_rows(self, spec):
        if spec.path == ("system", "resource"):
            return [self._resource()]
        if self.backend is None:
            return []
        if spec.path == ("interface",):
            return self.backend.interfaces(self)
        if spec.path == ("ip", "route"):
            return self.backend.routes(self)
        if spec.path == ("routing", "bgp", "session"):
            return self.backend.sessions(self)
        return []

    def _resource(self):
        uptime = int(time.time() - self.started)
        from .model import format_duration
        return {
            "uptime": format_duration(uptime), "version": self.version_text,
            "build-time": "2024-01-01 00:00:00" if self.version[0] >= 7 else "Jan/01/2024 00:00:00",
            "factory-software": "6.44.6" if self.version[0] == 6 else "7.1",
            "free-memory": "201326592", "total-memory": "268435456", "cpu": "QEMU Virtual CPU",
            "cpu-count": "1", "cpu-frequency": "2400", "cpu-load": "1", "free-hdd-space": "83886080",
            "total-hdd-space": "134217728", "write-sect-since-reboot": "100", "write-sect-total": "100",
            "architecture-name": "x86_64", "board-name": "CHR", "platform": "MikroTik"}

    # -- id resolution ---------------------------------------------------------------------------
    def _resolve(self, spec, ids_text, single=False):
        """'*1,*2' or names -> items (in request order); ApiError 'no such item' when unknown."""
        if ids_text is None or ids_text == "":
            raise ApiError("no such item")
        items = self.items(spec.path)
        found = []
        for token in ids_text.split(","):
            token = token.strip()
            match = None
            if token.startswith("*"):
                match = next((i for i in items if i[".id"].upper() == token.upper()), None)
            elif spec.key:
                match = next((i for i in items if i.get(spec.key) == token), None)
            if match is None:
                raise ApiError("no such item")
            found.append(match)
        if single and len(found) != 1:
            raise ApiError("no such item")
        return found

    def _lookup(self, field, value):
        """Reference check for iface/ref/reflist fields."""
        if field.kind == "iface":
            if self.backend is None:
                return True
            return value in {row["name"] for row in self.backend.interfaces(self)}
        target = path_spec(field.ref, self.version)
        if target is None:
            return False
        return any(i.get(target.key or "name") == value for i in self.items(field.ref))

    def _validate(self, spec, attrs, for_add):
        """attrs -> (values to set, names to unset); ApiError on unknown/bad values."""
        fields = spec.fields_for(self.version)
        values, unset = {}, []
        for key in attrs:  # syntax first: an unknown name fails before any value is looked at
            if key in (".id", "numbers") and not for_add:
                continue
            field = fields.get(key[1:] if key.startswith("!") else key)
            if field is None or field.ro:
                raise ApiError("unknown parameter")
        for key, value in attrs.items():
            if key in (".id", "numbers") and not for_add:
                continue
            name = key[1:] if key.startswith("!") else key
            field = fields[name]
            if key.startswith("!") or (value == "" and field.kind not in ("str",)):
                if field.required:
                    raise ApiError("failure: %s can not be unset" % name) if not for_add else \
                        ApiError("missing value(s) of argument(s) %s" % name)
                unset.append(name)
                continue
            values[name] = field.normalise(value, self._lookup)
        return values, unset

    def _check_unique(self, spec, candidate, exclude=None):
        items = [i for i in self.items(spec.path) if i is not exclude]
        if spec.key and candidate.get(spec.key) is not None:
            if any(i.get(spec.key) == candidate[spec.key] for i in items):
                raise ApiError("failure: entry with such name already exists")
        if spec.unique:
            key = tuple(candidate.get(f) for f in spec.unique)
            if any(tuple(i.get(f) for f in spec.unique) == key for i in items):
                what = {"ip/address": "address", "routing/bgp/network": "network"}.get("/".join(spec.path), "entry")
                raise ApiError("failure: already have such %s" % what)

    def _semantic_checks(self, spec, entry):
        if spec.path == ("routing", "bgp", "peer"):
            if "/" in entry.get("remote-address", ""):
                raise ApiError("invalid value for argument remote-address")

    # -- verbs -----------------------------------------------------------------------------------
    def _verb_print(self, spec, attrs, queries):
        unknown = set(attrs) - PRINT_OPTIONS
        if unknown:
            raise ApiError("unknown parameter")
        rows = self.rows(spec)
        if "from" in attrs and spec.kind == "list":
            wanted = {i[".id"] for i in self._resolve(spec, attrs["from"])}
            rows = [r for r in rows if r.get(".id") in wanted]
        if queries:
            rows = [r for r in rows if evaluate_query(queries, r)]
        if "count-only" in attrs:
            return [["!done", "=ret=%d" % len(rows)]]
        proplist = None
        if ".proplist" in attrs:
            proplist = [p for p in attrs[".proplist"].split(",") if p]
        replies = []
        for row in rows:
            if proplist is not None:
                row = {k: row[k] for k in proplist if k in row}
            replies.append(["!re"] + ["=%s=%s" % (k, v) for k, v in row.items()])
        if not replies and self.version >= V7_18:
            replies.append(["!empty"])
        replies.append(["!done"])
        return replies

    _verb_getall = _verb_print

    def _verb_get(self, spec, attrs, queries):
        name = attrs.get("value-name")
        if spec.kind == "list":
            row_id = attrs.get("number", attrs.get("numbers", attrs.get(".id")))
            item = self._resolve(spec, row_id, single=True)[0]
            row = next(r for r in self.rows(spec) if r[".id"] == item[".id"])
        else:
            rows = self.rows(spec)
            row = rows[0] if rows else {}
        if name is None:
            raise ApiError("missing value(s) of argument(s) value-name")
        if name not in row:
            if name in spec.fields:
                return [["!done"]]
            raise ApiError("no such property")
        return [["!done", "=ret=%s" % row[name]]]

    def _verb_add(self, spec, attrs, queries):
        for special in (".id", "numbers"):
            if special in attrs:
                raise ApiError("unknown parameter")
        place_before = attrs.pop("place-before", None)
        copy_from = attrs.pop("copy-from", None)
        values = self._validate(spec, attrs, for_add=True)[0]
        entry = {}
        if copy_from is not None:
            source = self._resolve(spec, copy_from, single=True)[0]
            entry.update({k: v for k, v in source.items() if k not in (".id", "default")})
        entry.update(values)
        fields = spec.fields_for(self.version)
        if spec.path == ("routing", "bgp", "peer") and "name" not in entry:
            n = 1
            names = {i.get("name") for i in self.items(spec.path)}
            while "peer%d" % n in names:
                n += 1
            entry["name"] = "peer%d" % n
        missing = [n for n, f in fields.items() if f.required and n not in entry]
        if missing:
            raise ApiError("missing value(s) of argument(s) %s" % " ".join(missing))
        self._semantic_checks(spec, entry)
        self._check_unique(spec, entry)
        table = self.table(spec.path)
        new_id = self._insert(table, entry)
        if place_before is not None:
            target = self._resolve(spec, place_before, single=True)[0]
            table["items"].remove(entry)
            table["items"].insert(table["items"].index(target), entry)
        return [["!done", "=ret=%s" % new_id]]

    def _verb_set(self, spec, attrs, queries):
        if spec.kind == "single":
            values, unset = self._validate(spec, attrs, for_add=False)
            if spec.path == ("system", "identity"):
                if "name" in values:
                    self.identity = values["name"]
                if "name" in unset:
                    self.identity = "MikroTik"
            return [["!done"]]
        ids = attrs.get(".id", attrs.get("numbers"))
        targets = self._resolve(spec, ids)
        values, unset = self._validate(spec, attrs, for_add=False)
        for item in targets:
            candidate = dict(item)
            candidate.update(values)
            for name in unset:
                candidate.pop(name, None)
            self._semantic_checks(spec, candidate)
            if spec.key and values.get(spec.key) not in (None, item.get(spec.key)):
                self._check_unique(spec, candidate, exclude=item)
            if spec.unique and any(f in values for f in spec.unique):
                self._check_unique(spec, candidate, exclude=item)
        for item in targets:
            item.update(values)
            for name in unset:
                item.pop(name, None)
        return [["!done"]]

    def _verb_unset(self, spec, attrs, queries):
        name = attrs.get("value-name")
        field = spec.fields_for(self.version).get(name or "")
        if field is None or field.ro:
            raise ApiError("unknown parameter")
        if field.required:
            raise ApiError("failure: %s can not be unset" % name)
        if spec.kind == "single":
            if spec.path == ("system", "identity"):
                self.identity = "MikroTik"
            return [["!done"]]
        for item in self._resolve(spec, attrs.get("numbers", attrs.get(".id"))):
            item.pop(name, None)
        return [["!done"]]

    def _verb_enable(self, spec, attrs, queries):
        for item in self._resolve(spec, attrs.get("numbers", attrs.get(".id"))):
            item["disabled"] = "false"
        return [["!done"]]

    def _verb_disable(self, spec, attrs, queries):
        for item in self._resolve(spec, attrs.get("numbers", attrs.get(".id"))):
            item["disabled"] = "true"
        return [["!done"]]

    def _verb_comment(self, spec, attrs, queries):
        for item in self._resolve(spec, attrs.get("numbers", attrs.get(".id"))):
            if attrs.get("comment", ""):
                item["comment"] = attrs["comment"]
            else:
                item.pop("comment", None)
        return [["!done"]]

    def _verb_remove(self, spec, attrs, queries):
        unknown = set(attrs) - {".id", "numbers"}
        if unknown:
            raise ApiError("unknown parameter")
        targets = self._resolve(spec, attrs.get(".id", attrs.get("numbers")))
        for item in targets:
            if item.get("default") == "true" and spec.path == ("routing", "bgp", "instance"):
                raise ApiError("failure: can not remove default instance")
            if spec.path == ("routing", "bgp", "template") and item.get("name") == "default":
                raise ApiError("failure: can not remove default template")
            if spec.path in (("routing", "bgp", "instance"), ("routing", "bgp", "template")):
                self._check_not_referenced(spec, item)
        items = self.items(spec.path)
        for item in targets:
            if item in items:
                items.remove(item)
        return [["!done"]]

    def _check_not_referenced(self, spec, item):
        name = item.get("name")
        for other in (("routing", "bgp", "connection"), ("routing", "bgp", "peer")):
            ospec = path_spec(other, self.version)
            if ospec is None:
                continue
            field = "instance" if spec.path[-1] == "instance" else "templates"
            for entry in self.items(other):
                if name in (entry.get(field) or "").split(","):
                    raise ApiError("failure: %s is used by %s" % (spec.path[-1], entry.get("name")))

    def _verb_move(self, spec, attrs, queries):
        targets = self._resolve(spec, attrs.get("numbers", attrs.get(".id")))
        dest = attrs.get("destination")
        items = self.items(spec.path)
        dest_item = self._resolve(spec, dest, single=True)[0] if dest else None
        if dest_item is not None and dest_item in targets:
            return [["!done"]]
        for item in targets:
            items.remove(item)
        if dest_item is None:
            items.extend(targets)
        else:
            pos = items.index(dest_item)
            items[pos:pos] = targets
        return [["!done"]]


# ------------------------------------------------------------------------------------------------
# queries


def _query_value(row, key):
    return row.get(key)


def _eq(left, right):
    if left is None:
        return False
    return _bool_word(left) == _bool_word(right)


def _less(left, right):
    if left is None:
        return False
    try:
        return int(left) < int(right)
    except ValueError:
        return str(left) < str(right)


def evaluate_query(words, row):
    """RouterOS API query semantics: each ``?`` word pushes a boolean; ``?#`` operates on the stack."""
    stack = []
    for word in words:
        body = word[1:]
        if body.startswith("#"):
            ops = body[1:]
            i = 0
            while i < len(ops):
                op = ops[i]
                if op.isdigit():
                    j = i
                    while j < len(ops) and ops[j].isdigit():
                        j += 1
                    index = int(ops[i:j])
                    stack.append(stack[index] if index < len(stack) else False)
                    i = j
                    continue
                if op == "!":
                    stack.append(not stack.pop() if stack else True)
                elif op == ".":
                    stack.append(stack[-1] if stack else True)
                elif op in "|&":
                    b = stack.pop() if stack else True
                    a = stack.pop() if stack else True
                    stack.append((a or b) if op == "|" else (a and b))
                i += 1
            continue
        if body.startswith("="):
            key, dummy, value = body[1:].partition("=")
            stack.append(_eq(_query_value(row, key), value))
        elif body.startswith("<"):
            key, dummy, value = body[1:].partition("=")
            stack.append(_less(_query_value(row, key), value))
        elif body.startswith(">"):
            key, dummy, value = body[1:].partition("=")
            left = _query_value(row, key)
            stack.append(left is not None and not _less(left, value) and not _eq(left, value))
        elif body.startswith("-"):
            stack.append(body[1:] not in row)
        elif "=" in body:
            key, dummy, value = body.partition("=")
            stack.append(_eq(_query_value(row, key), value))
        else:
            stack.append(body in row)
    return all(stack)


def is_write(words):
    parts = [p for p in words[0].split("/") if p]
    return bool(parts) and parts[-1] in MUTATING and re.match(r"^/", words[0]) is not None
