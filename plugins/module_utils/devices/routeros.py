# -*- coding: utf-8 -*-
# Copyright: kubefabric.bgp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""MikroTik RouterOS driver (librouteros): BGP model <-> /routing/bgp rows, per RouterOS version.

Layouts (the version is read once from ``/system/resource``):

=============  ===========================================  ==========================================
RouterOS       neighbors / listen ranges                    global asn + router_id
=============  ===========================================  ==========================================
6.x            ``/routing/bgp/peer`` (no listen ranges)     ``/routing/bgp/instance`` name=kubefabric
7.0 - 7.19     ``/routing/bgp/connection`` (``as``,         ``/routing/bgp/template`` name=kubefabric
               ``router-id`` on each connection)
7.20+          ``/routing/bgp/connection`` (``instance``)   ``/routing/bgp/instance`` name=kubefabric
=============  ===========================================  ==========================================

Address families are ``address-families`` before 7.19 and ``afi`` from 7.19 (and on 6.x peers).
A listen range is a connection whose ``remote.address`` is a prefix.

Ownership: a row is managed when its comment starts with ``kubefabric:`` (global rows: their name
is ``kubefabric``).  Only managed rows are gathered, changed or removed; an unmanaged row that peers
with an address the task manages is an error (two sessions to one peer) before any write.

Passwords: ``tcp-md5-key`` is an ordinary string property that print and export return in clear:
MikroTik's property reference lists it as ``tcp-md5-key (string; Default: )`` under ``/routing bgp
peer`` (RouterOS 6) and ``/routing/bgp/connection`` (RouterOS 7), and export hides it only when asked
(``hide-sensitive``).  So ``password_readable`` is True: the key read back is compared with the task's
(``password_update`` does not apply, as on FRR), and results never show it (``show()`` masks it, the
engine drops passwords from before/after).
"""

from __future__ import annotations

import functools
import ipaddress
import re
import shlex
import socket
import ssl


from ..common.errors import FabricError
from . import connection, fields, model
from . import rows as rowlib
from . import resource
from .resource import Driver

try:
    import librouteros
    from librouteros.exceptions import LibRouterosError, TrapError
    from librouteros.query import Key as _Key
    HAS_LIBROUTEROS = True
    LIBROUTEROS_IMPORT_ERROR = None
except ImportError as _exc:  # pragma: no cover - exercised by the sanity import test
    librouteros = None

    class LibRouterosError(Exception):
        """Stand-in so that the except clauses stay valid without librouteros."""

    class TrapError(LibRouterosError):
        """Stand-in so that the except clauses stay valid without librouteros."""

    _Key = None  # connect() fails before any query is built
    HAS_LIBROUTEROS = False
    LIBROUTEROS_IMPORT_ERROR = _exc

MARKER = "kubefabric:"
GLOBAL_NAME = "kubefabric"
RANGE_NAME_PREFIX = "kubefabric-range-"
NEIGHBOR_NAME_PREFIX = "kubefabric-"
SECRET_FIELDS = ("tcp-md5-key",)
MASK = "******"

API_ARGUMENT_SPEC = dict(
    hostname=dict(type="str", required=True),
    username=dict(type="str", required=True),
    password=dict(type="str", required=True, no_log=True),
    port=dict(type="int"),
    tls=dict(type="bool", default=True, aliases=["ssl"]),
    validate_certs=dict(type="bool", default=True),
    validate_cert_hostname=dict(type="bool", default=False),
    ca_path=dict(type="path"),
    timeout=dict(type="int", default=10),
)

# RouterOS family names <-> model names
_AFI_TO_ROS = fields.AFI_TO_ROS


# --------------------------------------------------------------------------- versions and schema

def parse_version(text):
    """``7.10.2 (stable)`` -> (7, 10, 2)."""
    match = re.match(r"\s*(\d+)\.(\d+)(?:\.(\d+))?", str(text or ""))
    if not match:
        raise FabricError("cannot read the RouterOS version from %r" % (text,), field="routeros_version",
                          fix="give a version such as 7.10.2")
    return (int(match.group(1)), int(match.group(2)), int(match.group(3) or 0))


def format_version(version):
    return ".".join(str(part) for part in version)


# The fields of a neighbor's row that are not neutral fields (those come from fields.py, per version).
_CONNECTION_FIELDS = {
    "name", "disabled", "connect", "listen", "as", "remote.address", "remote.port", "local.role", "local.port",
    "templates", "routing-table", "vrf", "nexthop-choice", "cluster-id", "save-to", "output.redistribute",
    "output.network", "remote.ttl", "local.ttl",
}
_PEER_FIELDS = {
    "name", "disabled", "instance", "remote-address", "remote-port", "passive", "ttl", "nexthop-choice",
    "default-originate", "as-override", "remove-private-as", "allow-as-in", "max-prefix-limit",
    "max-prefix-restart-time",
}


def neighbor_fields(version):
    """The device fields of the neutral neighbor fields on ``version`` (from the table)."""
    return set(fields.routeros_fields(version))


def afi_field(version):
    """``address-families`` or (from 7.19) ``afi``: the table's RouterOS name of address_families."""
    return fields.NEIGHBORS["address_families"].on_routeros(version).name


def schema(version):
    """The writable fields of each BGP path this driver uses, for ``version`` (a tuple).

    Facts from community.routeros' data model and MikroTik's documentation: the neighbor fields and
    their renames (``address-families`` -> ``afi`` at 7.19) are in fields.py; ``router-id`` left the
    connection/template at 7.20, when connections got a required ``instance``; 7.x has no
    ``/routing/bgp/peer``; ``/routing/bgp/instance`` is the 6.x layout and returns at 7.20.
    """
    if version[0] < 7:
        return {
            "routing/bgp/instance": {"name", "as", "router-id", "disabled", "client-to-client-reflection",
                                     "cluster-id", "routing-table", "redistribute-connected",
                                     "redistribute-static", "out-filter", "ignore-as-path-len", "confederation"},
            "routing/bgp/peer": _PEER_FIELDS | neighbor_fields(version),
        }
    connection = _CONNECTION_FIELDS | neighbor_fields(version)
    template = {"name", "comment", "disabled", "as", "cluster-id", "hold-time", "keepalive-time", "multihop",
                "use-bfd", "templates", "routing-table", "vrf", "input.filter", "output.filter-chain",
                afi_field(version)}
    if version < (7, 20):
        connection.add("router-id")
        template.add("router-id")
        return {"routing/bgp/connection": connection, "routing/bgp/template": template}
    connection.add("instance")
    connection.discard("cluster-id")
    return {
        "routing/bgp/connection": connection,
        "routing/bgp/template": template,
        "routing/bgp/instance": {"name", "comment", "disabled", "as", "router-id", "cluster-id", "routing-table",
                                 "vrf", "ignore-as-path-len"},
    }


class Layout:
    """Where the model lives on one RouterOS version."""

    def __init__(self, version):
        self.version = version
        self.v6 = version[0] < 7
        self.schema = schema(version)
        if self.v6:
            self.global_path = "routing/bgp/instance"
            self.peer_path = "routing/bgp/peer"
        else:
            self.global_path = "routing/bgp/template" if version < (7, 20) else "routing/bgp/instance"
            self.peer_path = "routing/bgp/connection"
        self.afi_field = afi_field(version)
        self.global_has_comment = "comment" in self.schema[self.global_path]
        self.address_field = "remote-address" if self.v6 else "remote.address"

    @property
    def label(self):
        return "RouterOS %s" % format_version(self.version)


# --------------------------------------------------------------------------- value canon

_duration = fields.ros_duration
_bool = fields.ros_bool
_afi_set = fields.ros_afi_set
_seconds = fields.ros_seconds


def _host(value):
    """A remote address as printed (maybe with /32) -> (address, is_range)."""
    text = str(value)
    try:
        network = ipaddress.ip_network(text, strict=False)
    except ValueError:
        return text, False
    if network.prefixlen == network.max_prefixlen:
        return str(network.network_address), False
    return str(network), True


# the comparable form of each field: the neighbor fields' from the table, the row's own fields here
_CANON = fields.routeros_canon()
_CANON.update({
    "disabled": _bool, "connect": _bool, "listen": _bool,
    "remote.address": lambda value: _host(value)[0], "remote-address": lambda value: _host(value)[0],
    "router-id": lambda value: None if value in (None, "", "0.0.0.0", "main") else str(value),
    "as": lambda value: None if value in (None, "") else str(value),
})


def canon(field, value):
    """Comparable form of a field's value (device print or desired)."""
    if field in _CANON:
        return _CANON[field](value)
    if value == "":
        return None
    return value


def _differs(field, have, desired, layout):
    left, right = canon(field, have), canon(field, desired)
    default = fields.routeros_default(field, layout.version)
    if default is not None:
        left = default if left is None else left
        right = default if right is None else right
    return left != right


# --------------------------------------------------------------------------- model <-> rows

def _comment(description):
    """The row's comment: the engine gives descriptions with their ownership marker (owner.py);
    a bare description gets the legacy marker."""
    if description and str(description).startswith(MARKER):
        return description
    return MARKER if not description else "%s %s" % (MARKER, description)


def _description(comment):
    """The comment of a managed row as the engine reads it (the ownership marker included)."""
    text = str(comment or "")
    if not text.startswith(MARKER):
        return None
    return text.strip()


def is_managed(row, path, layout):
    if path == layout.global_path:
        return row.get("name") == GLOBAL_NAME
    return str(row.get("comment") or "").startswith(MARKER)


def neighbor_name(address):
    return NEIGHBOR_NAME_PREFIX + address


def range_name(item):
    return item["peer_group"] or RANGE_NAME_PREFIX + item["prefix"].replace("/", "_")


def _role(asn, remote_as, rr_client):
    if rr_client:
        return "ibgp-rr"
    if asn is not None and remote_as is not None and asn == remote_as:
        return "ibgp"
    return "ebgp"


def _str_or_none(value):
    return None if value in (None, "") else str(value)


# the comment carries the ownership marker (_comment/_description); tcp-md5-key is sent by render()
_SPECIAL_FIELDS = ("description", "password")


def global_row(config, layout):
    if config["asn"] is None and config["router_id"] is None:
        return None
    row = {"name": GLOBAL_NAME}
    if layout.global_has_comment:
        row["comment"] = MARKER + " BGP instance managed by kubefabric.bgp"
    if config["asn"] is not None:
        row["as"] = str(config["asn"])
    row["router-id"] = config["router_id"] or ("0.0.0.0" if layout.v6 else None)
    return row


def neighbor_row(neighbor, config, layout):
    """The desired row of a neighbor (None values mean unset); the neutral fields as the table says."""
    row = {"name": neighbor_name(neighbor["address"]), "comment": _comment(neighbor["description"])}
    for device_field, (field, on) in fields.routeros_fields(layout.version).items():
        if field.name not in _SPECIAL_FIELDS:
            row[device_field] = on.render(neighbor[field.name])
    if layout.v6:
        row.update({"instance": GLOBAL_NAME, "remote-address": neighbor["address"]})
        return row
    row.update({
        "remote.address": neighbor["address"],
        "as": str(config["asn"]),
        "local.role": _role(config["asn"], neighbor["remote_as"], neighbor["route_reflector_client"]),
    })
    _add_global_refs(row, config, layout)
    return row


def range_row(item, config, layout):
    row = {
        "name": range_name(item),
        "comment": item.get("_marker") or MARKER + " listen range",
        "remote.address": item["prefix"],
        "remote.as": str(item["remote_as"]),
        "as": str(config["asn"]),
        "local.role": _role(config["asn"], item["remote_as"], False),
    }
    _add_global_refs(row, config, layout)
    return row


def _add_global_refs(row, config, layout):
    if layout.version < (7, 20):
        row["router-id"] = config["router_id"]
    else:
        row["instance"] = GLOBAL_NAME


def rows_from_config(config, layout):
    """{path: {key: row}} of the desired managed rows; key = remote address (or GLOBAL_NAME)."""
    out = {layout.global_path: {}, layout.peer_path: {}}
    grow = global_row(config, layout)
    if grow is not None:
        out[layout.global_path][GLOBAL_NAME] = grow
    for neighbor in config["neighbors"]:
        out[layout.peer_path][neighbor["address"]] = neighbor_row(neighbor, config, layout)
    for item in config["listen_ranges"]:
        out[layout.peer_path][item["prefix"]] = range_row(item, config, layout)
    return out


def neighbor_from_row(row, address, layout):
    """The neutral neighbor of a printed row, field by field as the table says.

    A boolean field is false when absent; a scalar default the version prints (RouterOS 6 hold-time
    3m) reads as unset, since unset and that value are the same there.
    """
    neighbor = {"address": address, "description": _description(row.get("comment")),
                "password": _str_or_none(row.get("tcp-md5-key"))}
    for device_field, (field, on) in fields.routeros_fields(layout.version).items():
        if field.name in _SPECIAL_FIELDS:
            continue
        value = on.parse(row.get(device_field))
        if isinstance(on.default, bool):
            value = bool(value)
        elif on.default is not None and not isinstance(on.default, tuple) and value == on.default:
            value = None
        neighbor[field.name] = value
    if not layout.v6:
        neighbor["route_reflector_client"] = row.get("local.role") == "ibgp-rr"
    return neighbor


def config_from_rows(global_rows, peer_rows, layout, host=None):
    """The model of the managed rows (as printed by the device or parsed from an export)."""
    cfg = {"asn": None, "router_id": None, "neighbors": [], "listen_ranges": []}
    for row in global_rows:
        cfg["asn"] = row.get("as")
        router_id = row.get("router-id")
        if router_id not in (None, "", "0.0.0.0", "main"):
            cfg["router_id"] = router_id
    for row in peer_rows:
        address, is_range = _host(row.get(layout.address_field))
        if is_range:
            name = str(row.get("name") or "")
            cfg["listen_ranges"].append({
                "prefix": address,
                "remote_as": row.get("remote.as"),
                "peer_group": None if name.startswith(RANGE_NAME_PREFIX) else name,
            })
            continue
        cfg["neighbors"].append(neighbor_from_row(row, address, layout))
    markers = {}
    for row in peer_rows:
        address, is_range = _host(row.get(layout.address_field))
        if is_range:
            markers[address] = str(row.get("comment") or "").strip()
    try:
        out = model.normalise(cfg, host=host, require_remote_as=False, path="device")
        for item in out["listen_ranges"]:
            item["_marker"] = markers.get(item["prefix"])  # ownership (owner.py); legacy: default owner
        return out
    except FabricError as exc:
        raise FabricError("the device holds a managed BGP row this collection cannot read: %s" % exc.message,
                          host=host, field=exc.field,
                          fix="correct or remove the row on the device (comment %s)" % MARKER) from None


# --------------------------------------------------------------------------- commands

class ApiCommand:
    """One API write: ``verb`` add|set|remove on ``path``, with ``attrs`` (and row ``ids``)."""

    def __init__(self, path, verb, attrs=None, ids=None, names=None):
        self.path = path
        self.verb = verb
        self.attrs = dict(attrs or {})
        self.ids = list(ids or [])
        self.names = list(names or [])

    def _words(self):
        words = []
        for key in sorted(self.attrs):
            value = self.attrs[key]
            if key == ".id":
                continue
            if key.startswith("!"):
                words.append(key)
                continue
            if key in SECRET_FIELDS and value:
                value = MASK
            words.append("%s=%s" % (key, _quote(value)))
        return words

    def __str__(self):
        where = ""
        if self.names:
            where = " [find %s]" % " or ".join('name=%s' % _quote(name) for name in self.names)
        words = self._words()
        return "/%s/%s%s%s" % (self.path, self.verb, where, (" " + " ".join(words)) if words else "")

    def __repr__(self):
        return "ApiCommand(%s)" % self

    def __eq__(self, other):
        return isinstance(other, ApiCommand) and (self.path, self.verb, self.attrs, self.ids) == (
            other.path, other.verb, other.attrs, other.ids)

    def __hash__(self):  # pragma: no cover - commands are not used as keys
        return hash((self.path, self.verb))


def _quote(value):
    if isinstance(value, bool):
        return "yes" if value else "no"
    text = str(value)
    if text == "" or re.search(r'[\s"\\;$\[\]{}]', text):
        return '"%s"' % text.replace("\\", "\\\\").replace('"', '\\"')
    return text


def _unset(layout, field):
    """Attribute(s) that return ``field`` to its default."""
    found = fields.routeros_fields(layout.version).get(field)
    if layout.v6 and found is not None and found[1].unset:
        return {field: found[1].unset}  # RouterOS 6 writes its default back (update-source none, hold-time 3m)
    default = fields.routeros_default(field, layout.version)
    if default is not None:
        return {field: ",".join(default) if isinstance(default, tuple) else default}
    if layout.v6:
        return {field: ""}
    return {"!" + field: ""}


def diff_rows(path, have_rows, desired_rows, layout, password_keys=()):
    """Commands for one path: (adds, sets, remove_ids, remove_names)."""
    adds, sets, remove_ids, remove_names = [], [], [], []
    for key, desired in desired_rows.items():
        have = have_rows.get(key)
        if have is None:
            attrs = {field: value for field, value in desired.items() if value is not None}
            for field in list(attrs):
                if attrs[field] is False and fields.routeros_default(field, layout.version) is False:
                    attrs.pop(field)  # false is the default: an add leaves it out
            adds.append(ApiCommand(path, "add", attrs, names=[]))
            continue
        attrs = {}
        for field, value in desired.items():
            if field in SECRET_FIELDS:
                continue
            if value is None:
                if canon(field, have.get(field)) is not None and _differs(field, have.get(field), None, layout):
                    attrs.update(_unset(layout, field))
            elif _differs(field, have.get(field), value, layout):
                attrs[field] = value
        if key in password_keys:
            attrs["tcp-md5-key"] = desired.get("tcp-md5-key") or ""
        if attrs:
            attrs[".id"] = have[".id"]
            sets.append(ApiCommand(path, "set", attrs, ids=[have[".id"]], names=[have.get("name")]))
    for key, have in have_rows.items():
        if key not in desired_rows:
            remove_ids.append(have[".id"])
            remove_names.append(have.get("name"))
    return adds, sets, remove_ids, remove_names


# --------------------------------------------------------------------------- connection

def _ssl_wrapper(params):
    context = ssl.create_default_context()
    if params.get("ca_path"):
        try:
            context.load_verify_locations(cafile=params["ca_path"])
        except (OSError, ssl.SSLError) as exc:
            raise FabricError("cannot load the CA file %s: %s" % (params["ca_path"], exc), host=params["hostname"],
                              field="ca_path", fix="give a readable PEM CA certificate") from None
    if not params.get("validate_certs", True):
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context.wrap_socket
    if params.get("validate_cert_hostname"):
        return functools.partial(context.wrap_socket, server_hostname=params["hostname"])
    context.check_hostname = False
    return context.wrap_socket


def connect(params):
    """A librouteros ``Api`` for the module's connection options; every failure a FabricError."""
    if not HAS_LIBROUTEROS:
        raise FabricError("the Python library librouteros is not installed on the controller", field="hostname",
                          fix="pip install librouteros")
    host = params["hostname"]
    tls = params.get("tls", True)
    port = params.get("port") or (8729 if tls else 8728)
    where = "%s:%s" % (host, port)
    kwargs = dict(port=port, timeout=params.get("timeout") or 10)
    if tls:
        kwargs["ssl_wrapper"] = _ssl_wrapper(params)
    try:
        return librouteros.connect(host, params["username"], params["password"], **kwargs)
    except ssl.SSLCertVerificationError as exc:
        raise FabricError("TLS certificate of the RouterOS API at %s failed verification: %s"
                          % (where, getattr(exc, "verify_message", None) or exc), host=host, field="validate_certs",
                          fix="give the router's CA with ca_path (inventory: bgp_device_ca_path; credential: "
                              "KUBEFABRIC_ROUTEROS_CA_PATH), or, on a lab only, set validate_certs: false") from None
    except ssl.SSLError as exc:
        raise FabricError("TLS handshake with %s failed: %s" % (where, exc), host=host, field="tls",
                          fix="enable the api-ssl service with a certificate, or set tls: false for the plain API (8728)") from None
    except TrapError as exc:
        message = str(exc)
        if "invalid user name or password" in message or "cannot log in" in message:
            raise FabricError("login to the RouterOS API at %s failed: %s" % (where, message), host=host,
                              field="password", fix="check username and password (inventory: ansible_user, "
                              "ansible_password; credential: KUBEFABRIC_ROUTEROS_USERNAME/_PASSWORD)") from None
        raise FabricError("RouterOS API at %s refused the login: %s" % (where, message), host=host,
                          field="username", fix="check the user's API policy and credentials") from None
    except (socket.timeout, TimeoutError) as exc:
        raise FabricError("no answer from the RouterOS API at %s within %ss (%s)" % (where, kwargs["timeout"], exc),
                          host=host, field="hostname", fix="check hostname/port and that the API service is enabled") from None
    except (OSError, LibRouterosError) as exc:
        raise FabricError("cannot reach the RouterOS API at %s: %s" % (where, exc), host=host, field="hostname",
                          fix="check hostname/port, the api/api-ssl service and its allowed addresses") from None


def _rows(path, host, rows):
    """``[dict(row) ...]`` of a print; the device's refusal or a lost connection as a FabricError."""
    try:
        return [dict(row) for row in rows]
    except TrapError as exc:
        raise FabricError("reading /%s failed: %s" % (path, exc), host=host, field="hostname",
                          fix="check that the user has read policy and that the path exists on this version") from None
    except (OSError, LibRouterosError) as exc:
        raise FabricError("connection lost while reading /%s: %s" % (path, exc), host=host, field="hostname",
                          fix="check the device and retry") from None


def _read(api, path, host):
    return _rows(path, host, api.path(*path.split("/")))


def read_version(api, host):
    rows = _read(api, "system/resource", host)
    if not rows or "version" not in rows[0]:
        raise FabricError("/system/resource did not return a version", host=host, field="hostname",
                          fix="check the device is a RouterOS router")
    return parse_version(rows[0]["version"])


# --------------------------------------------------------------------------- the driver

class RouterOSDriver(Driver):
    """``resource.Driver`` for RouterOS 6 and 7 (see the module docstring for the layouts)."""

    platform = "routeros"
    password_readable = True  # print returns tcp-md5-key (see the module docstring)

    def __init__(self, params, version=None, api_factory=None):
        self.params = params
        self.host = params.get("hostname") or "routeros"
        self.api = None
        self.api_factory = api_factory or connect
        self.layout = Layout(parse_version(version)) if version else None
        self.have_rows = None

    # -- reading
    def _connect(self):
        if self.api is None:
            self.api = self.api_factory(self.params)
        return self.api

    def gather(self):
        api = self._connect()
        self.layout = Layout(read_version(api, self.host))
        layout = self.layout
        self.have_rows = {}
        found = {}
        for path in (layout.global_path, layout.peer_path):
            table = {"managed": {}, "unmanaged": {}, "names": {}}
            for row in _read(api, path, self.host):
                if path == layout.global_path:
                    if row.get("name") == GLOBAL_NAME:
                        table["managed"][GLOBAL_NAME] = row
                    continue
                key = _host(row.get(layout.address_field))[0]
                if not is_managed(row, path, layout):
                    table["unmanaged"].setdefault(key, []).append(row)
                    table["names"][row.get("name")] = row
                    continue
                if key in table["managed"]:
                    raise FabricError("two managed rows on /%s peer with %s (%s and %s)"
                                      % (path, key, table["managed"][key].get("name"), row.get("name")),
                                      host=self.host, field="config", fix="remove one of them on the device")
                table["managed"][key] = row
            self.have_rows[path] = table
            found[path] = list(table["managed"].values())
        return config_from_rows(found[layout.global_path], found[layout.peer_path], layout, self.host)

    def parse(self, running_config):
        return parse_export(running_config, self.params.get("routeros_version"), host=self.host)

    # -- checking
    def _require_layout(self):
        if self.layout is None:
            raise FabricError("state=rendered needs the RouterOS version", host=self.host, field="routeros_version",
                              fix="set routeros_version, e.g. 7.10.2")
        return self.layout

    def validate(self, want, state):
        layout = self._require_layout()
        if want is None or state == "deleted":
            return
        if layout.version < (6, 0):
            raise FabricError("%s is not supported" % layout.label, host=self.host, field="hostname",
                              fix="use RouterOS 6.x or 7.x")
        if layout.v6 and want["listen_ranges"]:
            raise FabricError("%s has no dynamic BGP neighbors (listen ranges)" % layout.label, host=self.host,
                              field="config.listen_ranges[0]",
                              fix="upgrade to RouterOS 7 (a connection with a prefix as remote.address) or list "
                                  "the neighbors one by one")
        for index, neighbor in enumerate(want["neighbors"]):
            path = "config.neighbors[%d]" % index
            for key in ("description", "password"):
                value = neighbor[key]
                if value is not None and not (value.isascii() and value.isprintable()):
                    raise FabricError("the RouterOS API carries printable ASCII only", host=self.host,
                                      field="%s.%s" % (path, key), fix="use printable ASCII characters in %s" % key)
            if neighbor["password"] is not None and not 1 <= len(neighbor["password"]) <= 80:
                raise FabricError("a TCP MD5 key (tcp-md5-key) has 1 to 80 characters; RouterOS does not apply a "
                                  "longer one", host=self.host, field=path + ".password",
                                  fix="use a password of at most 80 characters")
            for family in neighbor["address_families"] or []:
                if family not in _AFI_TO_ROS:
                    raise FabricError("address family %s is not available on %s" % (family, layout.label),
                                      host=self.host, field=path + ".address_families",
                                      fix="use %s" % ", ".join(_AFI_TO_ROS))
            source = neighbor["update_source"]
            if source is not None and not layout.v6:
                try:
                    ipaddress.ip_address(source)
                except ValueError:
                    raise FabricError("%s takes an address as local.address, not the interface %r"
                                      % (layout.label, source), host=self.host, field=path + ".update_source",
                                      fix="give the local IP address the session is sourced from") from None

    # -- writing
    def render(self, plan):
        layout = self._require_layout()
        after = plan.after
        if (after["neighbors"] or after["listen_ranges"]) and after["asn"] is None:
            raise FabricError("%s needs the local AS number for its BGP neighbors" % layout.label, host=self.host,
                              field="config.asn", fix="set config.asn")
        desired = rows_from_config(after, layout)
        for item in after["neighbors"]:
            if item["password"]:
                desired[layout.peer_path][item["address"]]["tcp-md5-key"] = item["password"]
        password_keys = set()
        for op in plan.of("neighbor", "update"):
            if "password" in op["changes"]:
                password_keys.add(op["key"])
                desired[layout.peer_path][op["key"]]["tcp-md5-key"] = op["changes"]["password"]
        have_rows = self.have_rows or {}
        self._check_conflicts(desired, have_rows, layout)
        commands = []
        g_adds, g_sets, g_remove, g_names = diff_rows(layout.global_path, _managed(have_rows, layout.global_path),
                                                      desired[layout.global_path], layout)
        # only the rows of this run's owner (plan.have): another fabric's kubefabric rows stay as they are
        owned = {n["address"] for n in plan.have["neighbors"]} | {r["prefix"] for r in plan.have["listen_ranges"]}
        owned_rows = {key: row for key, row in _managed(have_rows, layout.peer_path).items() if key in owned}
        p_adds, p_sets, p_remove, p_names = diff_rows(layout.peer_path, owned_rows,
                                                      desired[layout.peer_path], layout, password_keys)
        commands.extend(g_adds + g_sets)
        if p_remove:
            commands.append(ApiCommand(layout.peer_path, "remove", ids=p_remove, names=p_names))
        commands.extend(p_sets + p_adds)
        if g_remove:
            commands.append(ApiCommand(layout.global_path, "remove", ids=g_remove, names=g_names))
        for command in commands:
            self._check_fields(command, layout)
        return commands

    def _check_conflicts(self, desired, have_rows, layout):
        table = have_rows.get(layout.peer_path) or {}
        managed = table.get("managed", {})
        unmanaged = table.get("unmanaged", {})
        names = table.get("names", {})
        for key, row in desired[layout.peer_path].items():
            if key in unmanaged and key not in managed:
                raise FabricError("/%s %r (not managed by kubefabric) already peers with %s"
                                  % (layout.peer_path, unmanaged[key][0].get("name"), key), host=self.host,
                                  field="config", fix="remove that row, or adopt it by starting its comment with %r"
                                  % MARKER)
            if row["name"] in names:
                raise FabricError("/%s name %r is taken by a row kubefabric does not manage"
                                  % (layout.peer_path, row["name"]), host=self.host, field="config",
                                  fix="rename that row, or choose another peer_group")

    def _check_fields(self, command, layout):
        allowed = layout.schema[command.path]
        for key in command.attrs:
            field = key.lstrip("!")
            if field != ".id" and field not in allowed:
                raise FabricError("%s has no field %s on /%s" % (layout.label, field, command.path),
                                  host=self.host, field="config",
                                  fix="remove the option that needs it for this RouterOS version")

    def show(self, commands):
        return [str(command) for command in commands]

    def apply(self, commands):
        api = self._connect()
        for command in commands:
            path = api.path(*command.path.split("/"))
            try:
                if command.verb == "add":
                    path.add(**command.attrs)
                elif command.verb == "set":
                    path.update(**command.attrs)
                elif command.verb == "remove":
                    path.remove(*command.ids)
                else:  # pragma: no cover - render never makes other verbs
                    raise ValueError(command.verb)
            except TrapError as exc:
                raise FabricError("%s refused %s: %s" % (self.layout.label, command, exc), host=self.host,
                                  field="config", fix="correct the value the device names") from None
            except (OSError, LibRouterosError) as exc:
                raise FabricError("connection lost while sending %s: %s" % (command, exc), host=self.host,
                                  field="hostname", fix="check the device and run again") from None

    def close(self):
        if self.api is not None:
            resource.close_quietly(self.api.close)
            self.api = None

    def missing_requirement(self, state):
        if state in CONNECTED_STATES and not HAS_LIBROUTEROS:
            return "librouteros", LIBROUTEROS_IMPORT_ERROR
        return None

    def result_extras(self, state):
        if self.layout is not None and state in CONNECTED_STATES:
            return {"routeros_version": format_version(self.layout.version)}
        return {}


def _managed(have_rows, path):
    return ((have_rows or {}).get(path) or {}).get("managed", {})


# --------------------------------------------------------------------------- export parsing

_PATH_ALIASES = {
    "routing bgp connection": "routing/bgp/connection",
    "routing bgp template": "routing/bgp/template",
    "routing bgp instance": "routing/bgp/instance",
    "routing bgp peer": "routing/bgp/peer",
}


def _norm_path(text):
    text = text.strip().strip("/").replace("/", " ")
    return _PATH_ALIASES.get(" ".join(text.split()))


def _joined_lines(text):
    """The lines of an export, a line continued with ``\\`` joined to the next."""
    lines = []
    buffer = ""
    for raw in (text or "").splitlines():
        line = raw.rstrip()
        if line.endswith("\\"):
            buffer += line[:-1] + " "
            continue
        lines.append((buffer + line).strip())
        buffer = ""
    if buffer:
        lines.append(buffer.strip())
    return lines


def parse_export(text, version=None, host=None):
    """The model from ``/routing/bgp ... export`` text (or this module's rendered commands).

    The version comes from the export header (``by RouterOS 7.10.2``), else ``version``, else the
    layout is recognised from the paths and fields used.
    """
    lines = _joined_lines(text)
    header = re.search(r"by RouterOS (\d+\.\d+(?:\.\d+)?)", text or "")
    rows = {}
    current = None
    for line in lines:
        if not line or line.startswith("#"):
            continue
        verb_line = None
        if line.startswith("/"):
            match = re.match(r"^(/\S+(?: \S+)*?)(?:/| )(add|set|remove)(?:\s+(.*))?$", line)
            if match and _norm_path(match.group(1)):
                current = _norm_path(match.group(1))
                verb_line = (match.group(2), match.group(3) or "")
            else:
                current = _norm_path(line)
                continue
        elif current:
            parts = line.split(None, 1)
            verb_line = (parts[0], parts[1] if len(parts) > 1 else "")
        if not current or not verb_line or verb_line[0] != "add":
            continue
        try:
            words = shlex.split(verb_line[1], posix=True)
        except ValueError as exc:
            raise FabricError("cannot parse %r: %s" % (line, exc), host=host, field="running_config",
                              fix="give the output of /routing/bgp/connection/export (or peer/instance)") from None
        row = {}
        for word in words:
            if "=" in word:
                key, value = word.split("=", 1)
                row[key] = value
        rows.setdefault(current, []).append(row)
    if header:
        parsed_version = parse_version(header.group(1))
    elif version:
        parsed_version = parse_version(version)
    elif "routing/bgp/peer" in rows:
        parsed_version = (6, 49, 0)
    elif any("instance" in row for row in rows.get("routing/bgp/connection", [])):
        parsed_version = (7, 20, 0)
    elif any("afi" in row for row in rows.get("routing/bgp/connection", [])):
        parsed_version = (7, 19, 0)
    else:
        parsed_version = (7, 10, 0)
    layout = Layout(parsed_version)
    global_rows = [row for row in rows.get(layout.global_path, []) if row.get("name") == GLOBAL_NAME]
    peer_rows = [row for row in rows.get(layout.peer_path, []) if str(row.get("comment", "")).startswith(MARKER)]
    return config_from_rows(global_rows, peer_rows, layout, host)


# --------------------------------------------------------------------------- sessions

def session_rows(version, session_table, instances=()):
    """Normalised session rows from /routing/bgp/session (7.x) or /routing/bgp/peer (6.x)."""
    rows = []
    if version[0] < 7:
        local_as = {row.get("name"): row.get("as") for row in instances}
        for row in session_table:
            if _bool(row.get("disabled")):
                continue
            state = row.get("state")
            established = _bool(row.get("established"))
            if established is None:
                established = str(state or "").lower() == "established"
            rows.append(rowlib.session_row(
                row.get("remote-address"), row.get("remote-as"), local_as.get(row.get("instance") or "default"),
                state=state or ("established" if established else "idle"), established=established,
                uptime=row.get("uptime"), prefixes_received=row.get("prefix-count")))
        return rows
    for row in session_table:
        established = bool(_bool(row.get("established")))
        rows.append(rowlib.session_row(
            row.get("remote.address"), row.get("remote.as"), row.get("local.as"),
            state=row.get("state") or ("established" if established else "active"), established=established,
            uptime=row.get("uptime"), prefixes_received=row.get("prefix-count")))
    return rows


# The BGP routes of the main table: ``/ip/route`` print restricted to the ``bgp`` flag (an API query,
# so that a router with a full table sends only the rows asked for) and to the fields used here.
# RouterOS 6 and 7 print the same names; ``gateway`` may list several next hops (6.x ECMP, comma
# separated) or carry ``%interface`` (a link-local next hop).
ROUTE_PATH = "ip/route"
ROUTE_FIELDS = ("dst-address", "gateway", "active", "bgp")


def _query(api, path, host, fields, where):
    """``path`` print with ``.proplist`` = ``fields`` and the query words ``where``."""
    return _rows(path, host, api.path(*path.split("/")).select(*[_Key(name) for name in fields]).where(*where))


def route_rows(table):
    """Normalised route rows (``rowlib.route_row``) from ``/ip/route`` rows: BGP ones only."""
    rows = []
    for row in table:
        if not _bool(row.get("bgp")) or not row.get("dst-address"):
            continue
        active = bool(_bool(row.get("active")))
        hops = [hop.strip() for hop in str(row.get("gateway") or "").split(",") if hop.strip()] or [None]
        for hop in hops:
            rows.append(rowlib.route_row(row["dst-address"], hop, active=active))
    return rows


def read_state(params, routes=False, api_factory=None):
    """Sessions (and with ``routes`` the BGP routes) over one API connection:
    ``{"sessions": [row], "routes": [route] or None}`` (rows in the device's order)."""
    host = params.get("hostname")
    api = (api_factory or connect)(params)
    try:
        version = read_version(api, host)
        if version[0] < 7:
            instances = _read(api, "routing/bgp/instance", host)
            table = _read(api, "routing/bgp/peer", host)
            rows = session_rows(version, table, instances)
        else:
            rows = session_rows(version, _read(api, "routing/bgp/session", host))
        table = None
        if routes:
            table = route_rows(_query(api, ROUTE_PATH, host, ROUTE_FIELDS, [_Key("bgp") == "true"]))
        return {"sessions": rows, "routes": table}
    finally:
        resource.close_quietly(api.close)


def read_sessions(params, api_factory=None):
    """``bgp_session_info`` for RouterOS: one connection, one read per path."""
    return read_state(params, api_factory=api_factory)["sessions"]


# --------------------------------------------------------------------------- module glue

CONNECTED_STATES = ("merged", "replaced", "overridden", "deleted", "gathered")


def module_argument_spec():
    """The full argument spec of ``kubefabric.bgp.routeros_bgp``."""
    spec = model.resource_argument_spec()
    spec.update(connection.with_connection_conventions({name: dict(option) for name, option in API_ARGUMENT_SPEC.items()},
                                                       "routeros"))
    for name in ("hostname", "username", "password"):
        spec[name] = dict(spec[name], required=False)
    spec["routeros_version"] = dict(type="str")
    return spec


MODULE_REQUIRED_IF = list(model.RESOURCE_REQUIRED_IF) + [
    ("state", state, ("hostname", "username", "password")) for state in CONNECTED_STATES
] + [("state", "rendered", ("routeros_version",))]


def run_module(module):
    """The body of routeros_bgp: one connection, one read per path, writes gated by the engine."""
    state = module.params["state"]
    driver = RouterOSDriver(module.params, version=module.params.get("routeros_version") if state == "rendered" else None)
    resource.run_module(module, driver)
