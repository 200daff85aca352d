# -*- coding: utf-8 -*-
# Copyright: kubefabric.bgp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The platform-neutral BGP model shared by every device driver (RouterOS, Comware, FRR).

A device's BGP configuration is one dict::

    {"asn": 64513, "router_id": "10.0.0.1",
     "neighbors": [{"address": "172.16.30.102", "remote_as": 64513, ...}],
     "listen_ranges": [{"prefix": "172.16.30.0/24", "remote_as": 64513, "peer_group": "k8s"}]}

``normalise()`` validates user input (or a driver's gathered data) and returns that dict in its
canonical form: every key present, ``None`` meaning "not specified", integers for AS numbers and
timers, compressed IP addresses, sorted lists.  Errors are ``FabricError`` naming the field path
(``config.neighbors[1].remote_as``), the host and the fix.

Neighbors are keyed by ``address`` and listen ranges by ``prefix``.  ``DEFAULTS`` gives the neutral
value that an unset field has on every platform (used by the engine when it compares and when
``replaced`` resets a field).
"""

from __future__ import annotations

import copy
import ipaddress

from ..common.errors import FabricError
from . import fields

ASN_MAX = fields.ASN_MAX

GLOBAL_FIELDS = ("asn", "router_id")

# The neighbor fields, their defaults and secrets come from the field table (fields.py).
NEIGHBOR_FIELDS = fields.NEIGHBOR_FIELDS

LISTEN_RANGE_FIELDS = ("prefix", "remote_as", "peer_group")

ADDRESS_FAMILIES = fields.ADDRESS_FAMILIES

SECRET_FIELDS = fields.SECRET_FIELDS

# The value an unset field has on every platform.  Fields not listed default to None (unset).
DEFAULTS = fields.DEFAULTS

# the scalar parsers live with the table that uses them
parse_asn = fields.parse_asn
parse_ip = fields.parse_ip


def config_argument_spec():
    """The ``config`` option shared by every ``<platform>_bgp`` module (documented by the
    ``kubefabric.bgp.bgp_config`` doc fragment; one source for routeros_bgp, comware_bgp, frr_bgp)."""
    return dict(
        type="dict",
        options=dict(
            asn=dict(type="str"),
            router_id=dict(type="str"),
            neighbors=dict(
                type="list", elements="dict",
                options=fields.neighbor_options(),
            ),
            listen_ranges=dict(
                type="list", elements="dict",
                options=dict(
                    prefix=dict(type="str", required=True),
                    remote_as=dict(type="str"),
                    peer_group=dict(type="str"),
                ),
            ),
        ),
    )


def resource_argument_spec():
    """``config`` + ``state`` + ``running_config`` + ``password_update`` + ``owner`` + ``adopt`` for a
    ``<platform>_bgp`` module."""
    return dict(
        config=config_argument_spec(),
        state=dict(type="str", default="merged",
                   choices=["merged", "replaced", "overridden", "deleted", "gathered", "rendered", "parsed"]),
        running_config=dict(type="str"),
        password_update=dict(type="str", default="on_change", choices=["on_change", "on_create", "always"],
                             no_log=False),
        owner=dict(type="str", default="default"),
        adopt=dict(type="bool", default=False),
    )


RESOURCE_REQUIRED_IF = [
    ("state", "merged", ("config",)),
    ("state", "replaced", ("config",)),
    ("state", "overridden", ("config",)),
    ("state", "rendered", ("config",)),
    ("state", "parsed", ("running_config",)),
]
RESOURCE_MUTUALLY_EXCLUSIVE = [("config", "running_config")]


def empty_config():
    return {"asn": None, "router_id": None, "neighbors": [], "listen_ranges": []}


def empty_neighbor(address):
    item = dict.fromkeys(NEIGHBOR_FIELDS)
    item["address"] = address
    return item


def empty_listen_range(prefix):
    item = dict.fromkeys(LISTEN_RANGE_FIELDS)
    item["prefix"] = prefix
    return item


# --------------------------------------------------------------------------- scalar parsers

def format_asn(number):
    return None if number is None else str(number)


def parse_prefix(value, field, host=None):
    """A network prefix ``a.b.c.d/n`` (host bits must be zero), returned canonical."""
    text = str(value).strip()
    try:
        network = ipaddress.ip_network(text, strict=False)
    except ValueError:
        raise FabricError("invalid prefix %r" % (value,), host=host, field=field,
                          fix="give a network such as 172.16.30.0/24") from None
    if "/" not in text:
        raise FabricError("%r is an address, not a prefix" % (value,), host=host, field=field,
                          fix="add the prefix length, e.g. %s/24" % text)
    if ipaddress.ip_interface(text).ip != network.network_address:
        raise FabricError("%r has host bits set" % (value,), host=host, field=field,
                          fix="use the network address: %s" % network)
    return str(network)


# --------------------------------------------------------------------------- normalisation

def _normalise_neighbor(item, path, host, require_remote_as):
    if not isinstance(item, dict):
        raise FabricError("each neighbor must be a dict", host=host, field=path, fix="give address, remote_as, ...")
    unknown = sorted(set(item) - set(NEIGHBOR_FIELDS) - {"peer"})
    if unknown:
        raise FabricError("unknown neighbor field(s) %s" % ", ".join(unknown), host=host, field=path,
                          fix="use only %s" % ", ".join(NEIGHBOR_FIELDS))
    address = item.get("address", item.get("peer"))
    if address is None:
        raise FabricError("a neighbor needs an address", host=host, field=path + ".address",
                          fix="give the peer's IP address")
    out = empty_neighbor(parse_ip(address, path + ".address", host))
    out["remote_as"] = parse_asn(item.get("remote_as"), path + ".remote_as", host)
    if require_remote_as and out["remote_as"] is None:
        raise FabricError("neighbor %s has no remote_as" % out["address"], host=host, field=path + ".remote_as",
                          fix="give the peer's AS number")
    for row in fields.NEIGHBOR_TABLE:
        if row.normalise is not None:
            out[row.name] = row.normalise(item.get(row.name), "%s.%s" % (path, row.name), host)
    for row in fields.NEIGHBOR_TABLE:
        if row.check is not None:
            row.check(out, path, host)
    return out


def _normalise_range(item, path, host, require_remote_as):
    if not isinstance(item, dict):
        raise FabricError("each listen range must be a dict", host=host, field=path, fix="give prefix, remote_as")
    unknown = sorted(set(item) - set(LISTEN_RANGE_FIELDS))
    if unknown:
        raise FabricError("unknown listen range field(s) %s" % ", ".join(unknown), host=host, field=path,
                          fix="use only %s" % ", ".join(LISTEN_RANGE_FIELDS))
    if item.get("prefix") is None:
        raise FabricError("a listen range needs a prefix", host=host, field=path + ".prefix",
                          fix="give the network the dynamic peers come from, e.g. 172.16.30.0/24")
    out = empty_listen_range(parse_prefix(item["prefix"], path + ".prefix", host))
    out["remote_as"] = parse_asn(item.get("remote_as"), path + ".remote_as", host)
    if require_remote_as and out["remote_as"] is None:
        raise FabricError("listen range %s has no remote_as" % out["prefix"], host=host, field=path + ".remote_as",
                          fix="give the AS number of the dynamic peers")
    out["peer_group"] = fields.name(item.get("peer_group"), path + ".peer_group", host, "peer_group")
    return out


def normalise(config, host=None, require_remote_as=True, path="config"):
    """Validate and canonicalise a BGP config dict (user input or gathered data).

    ``require_remote_as`` is False for ``state: deleted`` (only the keys matter there).
    """
    if config is None:
        config = {}
    if not isinstance(config, dict):
        raise FabricError("config must be a dict", host=host, field=path, fix="give asn, router_id, neighbors")
    unknown = sorted(set(config) - {"asn", "router_id", "neighbors", "listen_ranges"})
    if unknown:
        raise FabricError("unknown field(s) %s" % ", ".join(unknown), host=host, field=path,
                          fix="use only asn, router_id, neighbors, listen_ranges")
    out = empty_config()
    out["asn"] = parse_asn(config.get("asn"), path + ".asn", host)
    out["router_id"] = parse_ip(config.get("router_id"), path + ".router_id", host, version=4)
    seen = {}
    for index, item in enumerate(config.get("neighbors") or []):
        field = "%s.neighbors[%d]" % (path, index)
        neighbor = _normalise_neighbor(item, field, host, require_remote_as)
        if neighbor["address"] in seen:
            raise FabricError("neighbor %s is listed twice (also at %s)" % (neighbor["address"], seen[neighbor["address"]]),
                              host=host, field=field + ".address", fix="merge the two entries")
        seen[neighbor["address"]] = field
        out["neighbors"].append(neighbor)
    seen = {}
    for index, item in enumerate(config.get("listen_ranges") or []):
        field = "%s.listen_ranges[%d]" % (path, index)
        rng = _normalise_range(item, field, host, require_remote_as)
        if rng["prefix"] in seen:
            raise FabricError("listen range %s is listed twice (also at %s)" % (rng["prefix"], seen[rng["prefix"]]),
                              host=host, field=field + ".prefix", fix="merge the two entries")
        seen[rng["prefix"]] = field
        out["listen_ranges"].append(rng)
    out["neighbors"].sort(key=lambda n: _ip_sort_key(n["address"]))
    out["listen_ranges"].sort(key=lambda r: _ip_sort_key(r["prefix"]))
    return out


def ip_sort_key(text):
    """Sort key for addresses and prefixes: IPv4 before IPv6, numerically, then by prefix length."""
    return _ip_sort_key(text)


def _ip_sort_key(text):
    try:
        net = ipaddress.ip_network(text, strict=False)
        return (net.version, int(net.network_address), net.prefixlen)
    except ValueError:  # pragma: no cover - normalised data is always valid
        return (9, 0, 0)


def effective(field, value):
    """The value a field has on the device when ``value`` (possibly None) is configured."""
    if value is None and field in DEFAULTS:
        return copy.deepcopy(DEFAULTS[field])
    return value


def redact(config):
    """A copy of a config without secrets, for before/after/gathered/parsed (never shows a password)."""
    if config is None:
        return None
    out = copy.deepcopy(config)
    for neighbor in out.get("neighbors") or []:
        for key in SECRET_FIELDS:
            neighbor.pop(key, None)
    return out


def present(config):
    """The form results show: secrets dropped, unset fields that have a neutral default filled in.

    ``before``, ``after``, ``gathered`` and ``parsed`` all pass through it, so a config gathered from
    a device and the same config predicted from a task compare equal.
    """
    out = redact(config)
    if out is None:
        return None
    for neighbor in out.get("neighbors") or []:
        for key in DEFAULTS:
            if key in neighbor:
                neighbor[key] = effective(key, neighbor[key])
    return out


def find(items, key_field, key):
    for item in items:
        if item[key_field] == key:
            return item
    return None
