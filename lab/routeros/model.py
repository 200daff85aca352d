"""The emulated RouterOS data model, as data: paths, fields, defaults, value types, versions.

Facts (which path exists in which version, field names, defaults, required fields) follow the
reference notes on RouterOS 6 / 7 and community.routeros's published data model; the code and the
tables here are our own.  Values are kept as the strings RouterOS prints (``true``/``false``,
``3m``, ``64513``).

Layout per version:
  * 6.x:         /routing/bgp/instance (v6 layout, key ``name``, builtin ``default``),
                 /routing/bgp/peer (status fields filled from the daemon)
  * 7.0 - 7.19:  /routing/bgp/connection, /routing/bgp/template (``default`` exists),
                 /routing/bgp/session (read-only state)
  * 7.20+:       as 7.x, plus /routing/bgp/instance (the 7.20 layout: ``as``, ``router-id`` ...),
                 connection requires ``instance``; ``router-id`` moved from connection to instance.
"""
import ipaddress
import re

# --------------------------------------------------------------------------------------------
# versions


def parse_version(text):
    """'7.10' / '7.10.2' / '7.10.2 (stable)' -> (7, 10, 2)."""
    m = re.match(r"^\s*(\d+)\.(\d+)(?:\.(\d+))?", str(text))
    if not m:
        raise ValueError("bad RouterOS version %r (expected e.g. 6.49, 7.10, 7.20.4)" % text)
    return (int(m.group(1)), int(m.group(2)), int(m.group(3) or 0))


# full version strings reported for the short forms the lab uses
FULL_VERSIONS = {(6, 49): "6.49.17 (long-term)", (7, 10): "7.10.2 (stable)", (7, 20): "7.20.4 (stable)"}


def full_version(text):
    v = parse_version(text)
    if re.match(r"^\s*\d+\.\d+\s*$", str(text)) and v[:2] in FULL_VERSIONS:
        return FULL_VERSIONS[v[:2]]
    if "(" in str(text):
        return str(text).strip()
    base = "%d.%d" % v[:2] + (".%d" % v[2] if v[2] else "")
    return base + (" (long-term)" if v[0] == 6 else " (stable)")


class ApiError(Exception):
    """A ``!trap`` with RouterOS's own message (and optional category)."""

    def __init__(self, message, category=None):
        super().__init__(message)
        self.message = message
        self.category = category


# --------------------------------------------------------------------------------------------
# value types

_TIME_UNITS = {"w": 604800, "d": 86400, "h": 3600, "m": 60, "s": 1, "ms": 0.001}


def parse_duration(text):
    """RouterOS time: '3m', '1h30m', '180', '180s', '00:03:00' -> seconds (int)."""
    text = str(text).strip()
    if re.fullmatch(r"\d+", text):
        return int(text)
    m = re.fullmatch(r"(\d+):(\d\d):(\d\d)", text)
    if m:
        return int(m.group(1)) * 3600 + int(m.group(2)) * 60 + int(m.group(3))
    parts = re.findall(r"(\d+)(ms|w|d|h|m|s)", text)
    if not parts or "".join(a + b for a, b in parts) != text:
        raise ValueError(text)
    return int(sum(int(a) * _TIME_UNITS[b] for a, b in parts))


def format_duration(seconds):
    seconds = int(seconds)
    if seconds == 0:
        return "0s"
    out = []
    for unit in ("w", "d", "h", "m", "s"):
        n, seconds = divmod(seconds, _TIME_UNITS[unit])
        if n:
            out.append("%d%s" % (n, unit))
    return "".join(out)


TRUE_WORDS = ("yes", "true")
FALSE_WORDS = ("no", "false")


class Field:
    """One property of a path.

    kind: str, bool, int, asn, ip, ipprefix (address/len), ip-or-prefix, time, enum, enumlist,
          iface (an interface of the namespace), ref (name in another path), reflist.
    """

    def __init__(self, name, kind="str", default=None, required=False, ro=False, choices=None,
                 lo=None, hi=None, ref=None, since=None, until=None, secret=False, special=None,
                 inheritable=False):
        self.name = name
        self.kind = kind
        self.default = default
        self.required = required
        self.ro = ro
        self.choices = choices
        self.lo, self.hi = lo, hi
        self.ref = ref
        self.since = since  # version tuple, inclusive
        self.until = until  # version tuple, exclusive
        self.secret = secret
        self.special = special  # e.g. 'infinity' allowed for time
        self.inheritable = inheritable

    def exists_in(self, version):
        if self.since and version < self.since:
            return False
        if self.until and version >= self.until:
            return False
        return True

    def normalise(self, value, lookup=None):
        """Validate an input value and return what RouterOS stores/prints; ApiError otherwise."""
        n = self.name
        bad = ApiError("invalid value for argument %s" % n)
        if self.kind == "str":
            return value
        if self.kind == "bool":
            low = value.lower()
            if low in TRUE_WORDS:
                return "true"
            if low in FALSE_WORDS:
                return "false"
            raise bad
        if self.kind in ("int", "asn"):
            lo, hi = (0, 4294967295) if self.kind == "asn" else (self.lo, self.hi)
            text = value.strip()
            if self.kind == "asn" and re.fullmatch(r"\d+\.\d+", text):
                hi16, lo16 = (int(x) for x in text.split("."))
                if hi16 > 65535 or lo16 > 65535:
                    raise ApiError("value of %s out of range (%d..%d)" % (n, lo, hi))
                return str(hi16 * 65536 + lo16)
            if not re.fullmatch(r"-?\d+", text):
                raise bad
            num = int(text)
            if (lo is not None and num < lo) or (hi is not None and num > hi):
                raise ApiError("value of %s out of range (%s..%s)" % (n, lo, hi))
            return str(num)
        if self.kind == "ip":
            try:
                return str(ipaddress.ip_address(value.strip()))
            except ValueError:
                raise bad from None
        if self.kind == "ipprefix":
            try:
                iface = ipaddress.ip_interface(value.strip())
            except ValueError:
                raise bad from None
            return "%s/%d" % (iface.ip, iface.network.prefixlen)
        if self.kind == "ip-or-prefix":
            text = value.strip()
            try:
                if "/" in text:
                    return str(ipaddress.ip_network(text, strict=False))
                return str(ipaddress.ip_address(text))
            except ValueError:
                raise bad from None
        if self.kind == "time":
            if self.special and value.strip() in self.special:
                return value.strip()
            try:
                secs = parse_duration(value)
            except ValueError:
                raise bad from None
            if (self.lo is not None and secs < self.lo) or (self.hi is not None and secs > self.hi):
                raise ApiError("value of %s out of range (%s..%s)" % (
                    n, format_duration(self.lo), format_duration(self.hi)))
            return format_duration(secs)
        if self.kind == "enum":
            if value not in self.choices:
                raise ApiError("input does not match any value of %s" % n)
            return value
        if self.kind == "enumlist":
            items = [v for v in value.split(",") if v]
            for item in items:
                if item not in self.choices:
                    raise ApiError("input does not match any value of %s" % n)
            return ",".join(items)
        if self.kind in ("iface", "ref", "reflist"):
            items = [v for v in value.split(",") if v] if self.kind == "reflist" else [value]
            for item in items:
                if lookup is not None and not lookup(self, item):
                    raise ApiError("input does not match any value of %s" % n)
            return ",".join(items)
        return value


class PathSpec:
    """A menu of the API: ``kind`` is list (add/set/remove), single (set only) or state (read-only)."""

    def __init__(self, path, kind, fields, key=None, since=None, until=None, builtin=None,
                 verbs=None, ordered=False, unique=None):
        self.path = path
        self.kind = kind
        self.fields = {f.name: f for f in fields}
        self.key = key
        self.since, self.until = since, until
        self.builtin = builtin or []  # entries present on a fresh device
        self.ordered = ordered
        self.unique = unique  # tuple of fields whose combination must be unique
        if verbs is None:
            verbs = {"list": ("print", "getall", "get", "add", "set", "remove", "unset", "enable",
                              "disable", "move", "comment", "find", "export", "edit"),
                     "single": ("print", "getall", "get", "set", "unset", "export", "edit"),
                     "state": ("print", "getall", "get", "find")}[kind]
        self.verbs = verbs

    def exists_in(self, version):
        if self.since and version < self.since:
            return False
        if self.until and version >= self.until:
            return False
        return True

    def fields_for(self, version):
        return {k: f for k, f in self.fields.items() if f.exists_in(version)}


V7 = (7, 0, 0)
V7_18 = (7, 18, 0)
V7_19 = (7, 19, 0)
V7_20 = (7, 20, 0)

ROLES = ("ebgp", "ebgp-customer", "ebgp-peer", "ebgp-provider", "ebgp-rs", "ebgp-rs-client",
         "ibgp", "ibgp-rr", "ibgp-rr-client")
REDISTRIBUTE = ("bgp", "bgp-mpls-vpn", "connected", "copy", "dhcp", "fantasy", "modem", "ospf",
                "rip", "static", "vpn")
HOLD = dict(kind="time", lo=3, hi=65535, special=("infinity",))
KEEPALIVE = dict(kind="time", lo=1, hi=65535, special=("infinity",))


def _bgp_common_v7():
    """Fields shared by /routing/bgp/connection and /routing/bgp/template (RouterOS 7)."""
    return [
        Field("as", "asn"),
        Field("address-families", "enumlist", choices=("ip", "ipv6", "l2vpn", "l2vpn-cisco", "vpnv4", "vpnv6"),
              until=V7_19),
        Field("afi", "enumlist", choices=("ip", "ipv6", "l2vpn", "l2vpn-cisco", "vpnv4", "vpnv6"), since=V7_19),
        Field("router-id", "str", until=V7_20),
        Field("cluster-id", "ip", until=V7_20),
        Field("hold-time", **HOLD),
        Field("keepalive-time", **KEEPALIVE),
        Field("multihop", "bool"),
        Field("nexthop-choice", "enum", choices=("default", "force-self", "propagate")),
        Field("routing-table", "str"),
        Field("vrf", "str"),
        Field("templates", "reflist", ref=("routing", "bgp", "template")),
        Field("use-bfd", "bool"),
        Field("as-override", "bool"),
        Field("comment", "str"),
        Field("disabled", "bool", default="false"),
        Field("save-to", "str"),
        Field("cisco-vpls-nlri-len-fmt", "str"),
        Field("add-path-out", "str"),
        Field("input.filter", "str"),
        Field("input.allow-as", "int", lo=0, hi=10),
        Field("input.accept-communities", "str"),
        Field("input.accept-ext-communities", "str"),
        Field("input.accept-large-communities", "str"),
        Field("input.accept-nlri", "str"),
        Field("input.accept-unknown", "str", until=V7_19),
        Field("input.affinity", "str"),
        Field("input.ignore-as-path-len", "bool", until=V7_20),
        Field("input.limit-process-routes-ipv4", "int", lo=0, hi=4294967295),
        Field("input.limit-process-routes-ipv6", "int", lo=0, hi=4294967295),
        Field("output.filter-chain", "str"),
        Field("output.filter-select", "str"),
        Field("output.network", "str"),
        Field("output.redistribute", "enumlist", choices=REDISTRIBUTE),
        Field("output.default-originate", "enum", choices=("always", "if-installed", "never")),
        Field("output.default-prepend", "int", lo=0, hi=16),
        Field("output.as-override", "bool"),
        Field("output.remove-private-as", "bool"),
        Field("output.no-client-to-client-reflection", "bool"),
        Field("output.keep-sent-attributes", "bool"),
        Field("output.no-early-cut", "bool"),
        Field("output.affinity", "str"),
    ]


def _connection_fields():
    return _bgp_common_v7() + [
        Field("name", "str", required=True),
        Field("instance", "ref", ref=("routing", "bgp", "instance"), required=True, since=V7_20),
        Field("remote.address", "ip-or-prefix", required=True),
        Field("remote.as", "asn"),
        Field("remote.port", "int", lo=1, hi=65535),
        Field("remote.ttl", "int", lo=1, hi=255),
        Field("remote.allowed-as", "str"),
        Field("local.role", "enum", choices=ROLES, required=True),
        Field("local.address", "ip"),
        Field("local.port", "int", lo=1, hi=65535),
        Field("local.ttl", "int", lo=1, hi=255),
        # printed in clear like any string property, as RouterOS does (MikroTik's property reference:
        # "tcp-md5-key (string; Default: )"; export hides it only with hide-sensitive); secret=True only
        # masks it in the emulator's own write log
        Field("tcp-md5-key", "str", secret=True),
        Field("connect", "bool", default="true"),
        Field("listen", "bool", default="true"),
        Field("inactive", "bool", ro=True),
        Field("local.default-address", "ip", ro=True),
    ]


def _template_fields():
    fields = {f.name: f for f in _bgp_common_v7()}
    defaults = {"as": "65530", "hold-time": "3m", "keepalive-time": "3m", "multihop": "false",
                "nexthop-choice": "default", "routing-table": "main", "vrf": "main",
                "as-override": "false", "use-bfd": "false", "output.default-originate": "never",
                "output.keep-sent-attributes": "false", "output.remove-private-as": "false",
                "input.ignore-as-path-len": "false"}
    for name, value in defaults.items():
        fields[name].default = value
    return list(fields.values()) + [Field("name", "str", required=True)]


V6_PEER_STATUS = ("state", "established", "remote-id", "local-address", "uptime", "prefix-count",
                  "updates-sent", "updates-received", "withdrawn-sent", "withdrawn-received",
                  "remote-hold-time", "used-hold-time", "used-keepalive-time", "refresh-capability",
                  "as4-capability")


def _v6_peer_fields():
    return [
        Field("name", "str"),
        Field("instance", "ref", ref=("routing", "bgp", "instance"), default="default"),
        Field("remote-address", "ip-or-prefix", required=True),
        Field("remote-as", "asn", required=True),
        Field("remote-port", "int", lo=1, hi=65535),
        Field("tcp-md5-key", "str", secret=True),
        Field("nexthop-choice", "enum", choices=("default", "force-self", "propagate"), default="default"),
        Field("multihop", "bool", default="false"),
        Field("route-reflect", "bool", default="false"),
        Field("hold-time", **HOLD, default="3m"),
        Field("keepalive-time", **KEEPALIVE),
        Field("ttl", "str", default="default"),
        Field("max-prefix-limit", "int", lo=0, hi=4294967295),
        Field("max-prefix-restart-time", "time", lo=1, hi=4294967295),
        Field("in-filter", "str"),
        Field("out-filter", "str"),
        Field("allow-as-in", "int", lo=0, hi=10),
        Field("remove-private-as", "bool", default="false"),
        Field("as-override", "bool", default="false"),
        Field("default-originate", "enum", choices=("always", "if-installed", "never"), default="never"),
        Field("passive", "bool", default="false"),
        Field("use-bfd", "bool", default="false"),
        Field("address-families", "enumlist", choices=("ip", "ipv6", "l2vpn", "l2vpn-cisco", "vpnv4", "vpnv6"),
              default="ip"),
        Field("update-source", "str"),
        Field("cisco-vpls-nlri-len-fmt", "str"),
        Field("comment", "str"),
        Field("disabled", "bool", default="false"),
    ] + [Field(name, "str", ro=True) for name in V6_PEER_STATUS]


def _v6_instance_fields():
    return [
        Field("name", "str", required=True),
        Field("as", "asn", required=True),
        Field("router-id", "ip", default="0.0.0.0"),
        Field("redistribute-connected", "bool", default="false"),
        Field("redistribute-static", "bool", default="false"),
        Field("redistribute-rip", "bool", default="false"),
        Field("redistribute-ospf", "bool", default="false"),
        Field("redistribute-other-bgp", "bool", default="false"),
        Field("out-filter", "str", default=""),
        Field("client-to-client-reflection", "bool", default="true"),
        Field("ignore-as-path-len", "bool", default="false"),
        Field("routing-table", "str", default=""),
        Field("cluster-id", "ip"),
        Field("confederation", "asn"),
        Field("comment", "str"),
        Field("disabled", "bool", default="false"),
        Field("default", "bool", ro=True),
    ]


def _v7_instance_fields():
    return [
        Field("name", "str", required=True),
        Field("as", "asn", required=True),
        Field("router-id", "str"),
        Field("cluster-id", "ip"),
        Field("routing-table", "str"),
        Field("vrf", "str"),
        Field("ignore-as-path-len", "bool"),
        Field("comment", "str"),
        Field("disabled", "bool", default="false"),
    ]


SESSION_FIELDS = (
    "name", "established", "ebgp", "remote.address", "remote.as", "remote.id", "remote.capabilities",
    "remote.afi", "remote.messages", "remote.bytes", "remote.eor", "local.role", "local.address",
    "local.as", "local.id", "local.cluster-id", "local.capabilities", "local.messages", "local.bytes",
    "local.eor", "output.procid", "input.procid", "hold-time", "keepalive-time", "uptime",
    "last-started", "last-stopped", "prefix-count", "state", "instance")


def build_paths():
    """All paths the emulator knows, keyed by tuple (each with its version window)."""
    ident = Field("name", "str", default="MikroTik")
    resource_fields = [Field(n, "str", ro=True) for n in (
        "uptime", "version", "build-time", "factory-software", "free-memory", "total-memory", "cpu",
        "cpu-count", "cpu-frequency", "cpu-load", "free-hdd-space", "total-hdd-space",
        "write-sect-since-reboot", "write-sect-total", "architecture-name", "board-name", "platform")]
    paths = [
        PathSpec(("system", "identity"), "single", [ident]),
        PathSpec(("system", "resource"), "state", resource_fields),
        PathSpec(("interface",), "state", [Field(n, "str", ro=True) for n in (
            "name", "type", "mtu", "actual-mtu", "mac-address", "running", "disabled")]),
        PathSpec(("ip", "address"), "list", [
            Field("address", "ipprefix", required=True),
            Field("interface", "iface", required=True),
            Field("network", "ip"),
            Field("comment", "str"),
            Field("disabled", "bool", default="false"),
            Field("actual-interface", "str", ro=True),
            Field("invalid", "bool", ro=True),
            Field("dynamic", "bool", ro=True),
        ], unique=("address", "interface")),
        PathSpec(("ip", "firewall", "address-list"), "list", [
            Field("list", "str", required=True),
            Field("address", "ip-or-prefix", required=True),
            Field("comment", "str"),
            Field("disabled", "bool", default="false"),
            Field("dynamic", "bool", ro=True),
        ], unique=("list", "address")),
        PathSpec(("ip", "route"), "state", [Field(n, "str", ro=True) for n in (
            "dst-address", "gateway", "immediate-gw", "distance", "scope", "routing-table",
            "active", "dynamic", "connect", "static", "bgp", "inactive", "disabled")]),
        # RouterOS 6 BGP
        PathSpec(("routing", "bgp", "instance"), "list", _v6_instance_fields(), key="name", until=V7,
                 builtin=[{"name": "default", "as": "65530", "default": "true"}]),
        PathSpec(("routing", "bgp", "peer"), "list", _v6_peer_fields(), key="name", until=V7),
        PathSpec(("routing", "bgp", "network"), "list", [
            Field("network", "ip-or-prefix", required=True),
            Field("synchronize", "bool", default="true"),
            Field("comment", "str"),
            Field("disabled", "bool", default="false"),
        ], until=V7, unique=("network",)),
        # RouterOS 7 BGP
        PathSpec(("routing", "bgp", "connection"), "list", _connection_fields(), key="name", since=V7),
        PathSpec(("routing", "bgp", "template"), "list", _template_fields(), key="name", since=V7,
                 builtin=[{"name": "default"}]),
        PathSpec(("routing", "bgp", "session"), "state", [Field(n, "str", ro=True) for n in SESSION_FIELDS],
                 since=V7),
    ]
    v7_instance = PathSpec(("routing", "bgp", "instance"), "list", _v7_instance_fields(), key="name",
                           since=V7_20)
    table = {}
    for spec in paths:
        table.setdefault(spec.path, []).append(spec)
    table[v7_instance.path].append(v7_instance)
    return table


PATHS = build_paths()


def path_spec(path, version):
    """The PathSpec of ``path`` (tuple) in ``version``, or None when the menu does not exist."""
    for spec in PATHS.get(tuple(path), ()):
        if spec.exists_in(version):
            return spec
    return None


def menu_prefixes(version):
    """Every existing menu prefix (for telling 'no such command' from 'no such command prefix')."""
    out = set()
    for path, specs in PATHS.items():
        if any(s.exists_in(version) for s in specs):
            for i in range(1, len(path) + 1):
                out.add(path[:i])
    out.update({("routing",), ("routing", "bgp"), ("system",), ("ip",)})
    return out
