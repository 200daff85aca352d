# -*- coding: utf-8 -*-
# Copyright: kubefabric.bgp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The neutral neighbor fields, declared once: one ``Field`` row per field.

A row holds what the collection knows about the field everywhere:

* ``option``: its argument spec under ``config.neighbors`` (``model.config_argument_spec``; the
  ``kubefabric.bgp.bgp_config`` doc fragment is checked against it by a unit test);
* ``normalise(value, path, host)``: the validator/canonicaliser of ``model.normalise`` (``check`` runs
  after every field of the neighbor is normalised, for rules across fields);
* ``default``: the neutral value an unset field has on every platform (``model.DEFAULTS``);
* per platform, how the device holds it (``On``): ``routeros`` a list of ``On`` with RouterOS version
  ranges (``since``/``until``, ``until`` excluded), ``comware`` and ``frr`` one ``On`` for a line of the
  neighbor in the BGP view (None: the dialect's own code handles it, see ``cli_handled``).

``On(name, parse, render, unset, default)``: ``name`` is the device's field (RouterOS) or the
keyword after ``peer IP`` / ``neighbor IP`` (CLI); ``parse`` turns the device's text into the neutral
value, ``render`` the neutral value into the device's text (CLI: the words after the keyword, ``""``
for a flag); ``unset`` is what a RouterOS 6 ``set`` writes to return the field to its default (RouterOS 7
unsets with ``!field``); ``default`` is the device's value of an unset field when it prints one.

The shape follows community.routeros' ``_api_data`` (``KeyInfo`` per field, versioned fields) and
ansible.netcommon's rm_templates parser entries (name, parse, render per attribute).  Adding a field is
one row here plus its tests; the drivers, the model and the unit-test fake of RouterOS read the table.
"""

from __future__ import annotations

import ipaddress
import re

from ..common.errors import FabricError
from . import rows as _rows

ASN_MAX = 4294967295
ADDRESS_FAMILIES = ("ipv4", "ipv6", "vpnv4", "vpnv6", "l2vpn", "evpn")
V7 = (7, 0)
V7_19 = (7, 19)

# Names of policies, peer groups and interfaces.
_NAME_RE = re.compile(r"^[A-Za-z0-9_.:-]{1,63}$")
# Comware shows a configured password as "cipher $c$<n>$<base64>"; such a value can be sent back
# unchanged with "password cipher" (that is how a rollback restores it).
CIPHER_RE = re.compile(r"^\$c\$\d+\$\S+$")


# --------------------------------------------------------------------------- scalar parsers

def parse_asn(value, field="asn", host=None):
    """An AS number: int, digits, or dotted ``X.Y`` (asdot); 1..4294967295."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise FabricError("AS number must be a number, got %r" % (value,), host=host, field=field,
                          fix="use a plain AS number 1..4294967295 or asdot X.Y")
    text = str(value).strip()
    number = None
    if re.fullmatch(r"\d+", text):
        number = int(text)
    else:
        match = re.fullmatch(r"(\d+)\.(\d+)", text)
        if match and int(match.group(1)) <= 65535 and int(match.group(2)) <= 65535:
            number = int(match.group(1)) * 65536 + int(match.group(2))
    if number is None or number < 1 or number > ASN_MAX:
        raise FabricError("invalid AS number %r" % (value,), host=host, field=field,
                          fix="use a plain AS number 1..4294967295 or asdot X.Y (each part 0..65535)")
    return number


def parse_ip(value, field, host=None, version=None):
    """A host address (IPv4 or IPv6), returned compressed; ``/32`` or ``/128`` is accepted."""
    if value is None:
        return None
    text = str(value).strip()
    try:
        if "/" in text:
            iface = ipaddress.ip_interface(text)
            if iface.network.prefixlen != iface.max_prefixlen:
                raise ValueError("a prefix, not an address")
            addr = iface.ip
        else:
            addr = ipaddress.ip_address(text)
    except ValueError:
        raise FabricError("invalid IP address %r" % (value,), host=host, field=field,
                          fix="give a single IPv4 or IPv6 address such as 172.16.30.254") from None
    if version and addr.version != version:
        raise FabricError("%r is not an IPv%d address" % (value, version), host=host, field=field,
                          fix="give an IPv%d address" % version)
    return str(addr)


def boolean(value, field, host):
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("yes", "true", "on"):
        return True
    if isinstance(value, str) and value.lower() in ("no", "false", "off"):
        return False
    raise FabricError("expected a boolean, got %r" % (value,), host=host, field=field, fix="use true or false")


def integer(value, field, host, low, high, what):
    if value is None:
        return None
    if isinstance(value, bool):
        value = None
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        number = None
    if number is None or number < low or number > high:
        raise FabricError("invalid %s %r" % (what, value), host=host, field=field,
                          fix="use an integer %d..%d (seconds)" % (low, high))
    return number


def name(value, field, host, what):
    if value is None:
        return None
    text = str(value)
    if not _NAME_RE.match(text):
        raise FabricError("invalid %s %r" % (what, value), host=host, field=field,
                          fix="use 1-63 characters from A-Z a-z 0-9 _ . : -")
    return text


def one_line(value, field, host):
    if value is None:
        return None
    text = str(value)
    if "\n" in text or '"' in text:
        raise FabricError("description must be one line without double quotes", host=host, field=field,
                          fix="remove the newline or quote")
    return text


def _secret(value, field, host):
    return None if value is None else str(value)


def _source(value, field, host):
    if value is None:
        return None
    text = str(value).strip()
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        return name(text, field, host, "update_source (address or interface)")


def _seconds_field(what):
    def parse(value, field, host):
        return integer(value, field, host, 0, 65535, what)
    return parse


def _families(value, field, host):
    if value is None:
        return None
    if isinstance(value, str):
        value = [part for part in re.split(r"[,\s]+", value) if part]
    bad = [fam for fam in value if fam not in ADDRESS_FAMILIES]
    if bad:
        raise FabricError("unknown address family %s" % ", ".join(map(str, bad)), host=host, field=field,
                          fix="use %s" % ", ".join(ADDRESS_FAMILIES))
    families = sorted(set(value), key=ADDRESS_FAMILIES.index)
    if not families:
        raise FabricError("address_families is empty", host=host, field=field,
                          fix="list at least one family or leave the field out")
    return families


def _check_hold(out, path, host):
    if out["hold_time"] is not None and 0 < out["hold_time"] < 3:
        raise FabricError("hold_time must be 0 or 3..65535", host=host, field=path + ".hold_time",
                          fix="use 0 (no keepalives) or at least 3 seconds")


def _check_keepalive(out, path, host):
    if out["hold_time"] and out["keepalive_time"] and out["keepalive_time"] >= out["hold_time"]:
        raise FabricError("keepalive_time %s is not below hold_time %s" % (out["keepalive_time"], out["hold_time"]),
                          host=host, field=path + ".keepalive_time", fix="use about a third of hold_time")


# --------------------------------------------------------------------------- device value forms

def ros_duration(value):
    """A RouterOS time (``3m``, ``90s``, ``infinity``) -> seconds (``infinity`` is 0: no keepalives)."""
    if value in (None, ""):
        return None
    if isinstance(value, str) and value.strip() == "infinity":
        return 0
    return _rows.parse_duration(value)


def ros_seconds(value):
    if value is None:
        return None
    return "infinity" if value == 0 else "%ds" % value


def ros_bool(value):
    if isinstance(value, bool):
        return value
    if value is None:
        return None
    return str(value).lower() in ("yes", "true")


# RouterOS family names <-> model names
AFI_TO_ROS = {"ipv4": "ip", "ipv6": "ipv6", "vpnv4": "vpnv4", "vpnv6": "vpnv6", "l2vpn": "l2vpn"}
AFI_FROM_ROS = {value: key for key, value in AFI_TO_ROS.items()}


def ros_afi_set(value):
    if value in (None, ""):
        return None
    return tuple(sorted(part for part in re.split(r"[,\s]+", str(value)) if part))


def _ros_afi_parse(value):
    afis = ros_afi_set(value)
    return None if afis is None else [AFI_FROM_ROS.get(item, item) for item in afis]


def _ros_afi_render(families):
    return None if families is None else ",".join(AFI_TO_ROS[item] for item in families)


def _text_or_none(value):
    return None if value in (None, "", "none") else str(value)


def _blank_none(value):
    return None if value == "" else value


def _str_or_none(value):
    return None if value in (None, "") else str(value)


def _flag(value):
    return "" if value else None


def _comware_password_parse(text):
    parts = text.split(None, 1)
    return parts[1] if len(parts) == 2 and parts[0] in ("cipher", "simple") else text


def _comware_password_render(password):
    return "%s %s" % ("cipher" if CIPHER_RE.match(password) else "simple", password)


def cli_timers(neighbor):
    """(keepalive, hold) as both CLIs set them, in one line (keepalive defaults to a third of hold), or None."""
    hold = neighbor.get("hold_time")
    if hold is None:
        return None
    keepalive = neighbor.get("keepalive_time")
    return (hold // 3 if keepalive is None else keepalive), hold


def _two_ints(pattern):
    def parse(text):
        match = re.search(pattern, text)
        return (int(match.group(1)), int(match.group(2))) if match else (None, None)
    return parse


# A CLI platform that cannot express a field: setting it there is an error before anything is sent.
UNSUPPORTED = "unsupported"


class On:
    """How one platform holds a neutral field (see the module docstring)."""

    def __init__(self, name, parse=None, render=None, unset="", default=None, since=None, until=None, secret=False,
                 fields=None, canon=None):
        self.name = name
        self.fields = fields  # CLI: parse returns a tuple, one value per field named here (timers)
        self.parse = parse or _blank_none
        self.canon = canon or self.parse  # RouterOS: the comparable form of a printed or desired value
        self.render = render or (lambda value: value)
        self.unset = unset
        self.default = default
        self.since = since
        self.until = until
        self.secret = secret

    def applies(self, version):
        return (self.since is None or version >= self.since) and (self.until is None or version < self.until)


class Field:
    """One neutral neighbor field (see the module docstring)."""

    def __init__(self, name, option, normalise, default=None, check=None, routeros=(), comware=None, frr=None,
                 cli_value=None):
        self.name = name
        self.cli_value = cli_value or (lambda neighbor: neighbor.get(name))
        self.option = option
        self.normalise = normalise
        self.default = default
        self.check = check
        self.routeros = tuple(routeros)
        self.comware = comware
        self.frr = frr

    def on_routeros(self, version):
        """The RouterOS ``On`` of this field for ``version`` (a tuple), or None."""
        for on in self.routeros:
            if on.applies(version):
                return on
        return None

    def on_cli(self, platform):
        return getattr(self, platform)


# RouterOS: true/false fields are printed as booleans and unset to "no"
_ROS_BOOL = dict(parse=ros_bool, render=bool, default=False)
_ROS_TIME = dict(parse=ros_duration, render=ros_seconds)

NEIGHBOR_TABLE = (
    Field("address", dict(type="str", required=True, aliases=["peer"]), None),
    Field("remote_as", dict(type="str"), None,
          routeros=[On("remote-as", parse=_str_or_none, render=str, until=V7),
                    On("remote.as", parse=_str_or_none, render=str, since=V7)]),
    Field("description", dict(type="str"), one_line,
          routeros=[On("comment")],  # carries the ownership marker (owner.py, routeros._comment)
          comware=On("description"), frr=On("description")),
    Field("password", dict(type="str", no_log=True), _secret,
          routeros=[On("tcp-md5-key", secret=True)],
          comware=On("password", parse=_comware_password_parse, render=_comware_password_render),
          frr=On("password")),
    Field("route_reflector_client", dict(type="bool"), boolean, default=False,
          # RouterOS 7 derives it into local.role=ibgp-rr (routeros._role)
          routeros=[On("route-reflect", until=V7, **_ROS_BOOL)]),
    Field("update_source", dict(type="str"), _source,
          routeros=[On("update-source", parse=_text_or_none, unset="none", until=V7), On("local.address", since=V7)],
          comware=On("connect-interface"), frr=On("update-source")),
    Field("multihop", dict(type="bool"), boolean, default=False,
          routeros=[On("multihop", **_ROS_BOOL)],
          comware=On("ebgp-max-hop", parse=lambda text: True, render=lambda value: "255" if value else None),
          frr=On("ebgp-multihop", parse=lambda text: True, render=lambda value: "255" if value else None)),
    Field("hold_time", dict(type="int"), _seconds_field("hold_time"), check=_check_hold, cli_value=cli_timers,
          # the CLIs set keepalive and hold time in one line, read back into both fields
          comware=On("timer", parse=_two_ints(r"keepalive\s+(\d+)\s+hold\s+(\d+)"),
                     render=lambda timers: "keepalive %d hold %d" % timers, fields=("keepalive_time", "hold_time")),
          frr=On("timers", parse=_two_ints(r"^(\d+)\s+(\d+)$"), render=lambda timers: "%d %d" % timers,
                 fields=("keepalive_time", "hold_time")),
          # RouterOS 6 prints its default hold time (3m); unset and 180 s are the same there
          routeros=[On("hold-time", unset="3m", default=180, until=V7, **_ROS_TIME),
                    On("hold-time", since=V7, **_ROS_TIME)]),
    Field("keepalive_time", dict(type="int"), _seconds_field("keepalive_time"), check=_check_keepalive,
          routeros=[On("keepalive-time", **_ROS_TIME)]),
    Field("bfd", dict(type="bool"), boolean, default=False,
          routeros=[On("use-bfd", **_ROS_BOOL)],
          comware=On("bfd", parse=lambda text: True, render=_flag),
          frr=On("bfd", parse=lambda text: True, render=_flag)),
    Field("passive", dict(type="bool"), boolean, default=False,
          routeros=[On("passive", until=V7, **_ROS_BOOL),
                    On("connect", parse=lambda value: ros_bool(value) is False, canon=ros_bool,
                       render=lambda passive: False if passive else None, default=True, since=V7)],
          comware=UNSUPPORTED, frr=On("passive", parse=lambda text: True, render=_flag)),
    Field("import_policy", dict(type="str"), lambda value, field, host: name(value, field, host, "policy name"),
          routeros=[On("in-filter", until=V7), On("input.filter", since=V7)]),
    Field("export_policy", dict(type="str"), lambda value, field, host: name(value, field, host, "policy name"),
          routeros=[On("out-filter", until=V7), On("output.filter-chain", since=V7)]),
    Field("address_families", dict(type="list", elements="str", choices=list(ADDRESS_FAMILIES)), _families,
          default=["ipv4"],
          routeros=[On("address-families", parse=_ros_afi_parse, render=_ros_afi_render, canon=ros_afi_set,
                       default=("ip",), until=V7_19),
                    On("afi", parse=_ros_afi_parse, render=_ros_afi_render, canon=ros_afi_set, default=("ip",),
                       since=V7_19)]),
)

NEIGHBORS = {row.name: row for row in NEIGHBOR_TABLE}
NEIGHBOR_FIELDS = tuple(row.name for row in NEIGHBOR_TABLE)
# The value an unset field has on every platform.  Fields not listed default to None (unset).
DEFAULTS = {row.name: row.default for row in NEIGHBOR_TABLE if row.default is not None}
SECRET_FIELDS = tuple(row.name for row in NEIGHBOR_TABLE if row.option.get("no_log"))


def neighbor_options():
    """The ``config.neighbors`` suboptions of the argument spec."""
    return {row.name: dict(row.option) for row in NEIGHBOR_TABLE}


def cli_fields(platform):
    """The rows a CLI driver (``comware``/``frr``) reads and writes as one neighbor line each (in the
    order of the table, which is the order of the lines)."""
    return [row for row in NEIGHBOR_TABLE if isinstance(row.on_cli(platform), On)]


def cli_unsupported(platform):
    """The rows a CLI platform cannot express (``UNSUPPORTED``)."""
    return [row for row in NEIGHBOR_TABLE if row.on_cli(platform) == UNSUPPORTED]


def cli_keywords(platform):
    """``{keyword after peer/neighbor IP: (Field, On)}`` of a CLI platform."""
    return {row.on_cli(platform).name: (row, row.on_cli(platform)) for row in cli_fields(platform)}


def cli_entry(platform):
    """The neutral fields of a parsed CLI peer/group entry, unset (``False`` for the boolean ones)."""
    entry = {}
    for row in cli_fields(platform):
        for key in row.on_cli(platform).fields or (row.name,):
            entry[key] = False if row.default is False else None
    return entry


# --------------------------------------------------------------------------- RouterOS, by version

def routeros_fields(version):
    """``{device field: (Field, On)}`` of the neighbor fields RouterOS ``version`` holds."""
    out = {}
    for row in NEIGHBOR_TABLE:
        on = row.on_routeros(version)
        if on is not None:
            out[on.name] = (row, on)
    return out


def routeros_canon():
    """``{device field: canon}`` over every RouterOS version (a field's name means one thing on all)."""
    return {on.name: on.canon for row in NEIGHBOR_TABLE for on in row.routeros}


def routeros_default(device_field, version):
    """The value RouterOS ``version`` prints for ``device_field`` when unset (None: prints nothing)."""
    found = routeros_fields(version).get(device_field)
    return None if found is None else found[1].default
