# -*- coding: utf-8 -*-
# Copyright: kubefabric.bgp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Normalised BGP session rows, the same for every platform (``kubefabric.bgp.bgp_session_info``).

A row is ``{peer_address, remote_as, local_as, state, established, uptime, prefixes_received}``:
``state`` is a BGP FSM state name spelt the RFC 4271 way, ``uptime`` is seconds (int) or None,
``prefixes_received`` an int or None.  Each platform driver module exposes
``read_sessions(params) -> [row]``; ``read(platform, params)`` dispatches to it by name.

Routes: each driver also exposes ``read_state(params, routes=False) -> {"sessions": [row], "routes":
[route] or None}``, reading both over one connection; ``read_state(platform, params, routes)`` here
dispatches to it.  A route row is ``{prefix, next_hop, protocol, active}``: BGP-learned routes only
(``protocol`` is always ``bgp``), one row per next hop, ``prefix`` a normalised network
(``192.168.10.0/26``), ``next_hop`` an address or None, ``active`` whether the device selected the
route (it is the best one and in use).
"""

from __future__ import annotations

import ipaddress
import re

from ansible.module_utils.basic import missing_required_lib

from ..common.errors import FabricError, fail_module
from ..common.query import check_expectations
from . import connection, ssh

PLATFORMS = ("routeros", "comware", "frr")

STATES = ("Idle", "Connect", "Active", "OpenSent", "OpenConfirm", "Established")
_STATE_BY_LOWER = {name.lower(): name for name in STATES}
_STATE_BY_LOWER.update({"open-sent": "OpenSent", "open-confirm": "OpenConfirm", "opensent": "OpenSent",
                        "openconfirm": "OpenConfirm", "up": "Established", "down": "Idle",
                        "idle (admin)": "Idle", "idle (pfx)": "Idle", "clearing": "Idle", "deleted": "Idle"})

_UNITS = {"w": 604800, "d": 86400, "h": 3600, "m": 60, "s": 1}


def normalise_state(text):
    """``established``/``Established``/``open-sent``/``up`` -> the canonical FSM state name."""
    if text is None:
        return "Idle"
    key = str(text).strip().lower()
    if key in _STATE_BY_LOWER:
        return _STATE_BY_LOWER[key]
    return str(text).strip()


def parse_duration(value):
    """Seconds from RouterOS ``1w2d3h4m5s`` (ms parts dropped), ``hh:mm:ss``, ``0286h47m``, ints."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return int(value)
    text = str(value).strip()
    if re.fullmatch(r"\d+", text):
        return int(text)
    match = re.fullmatch(r"(?:(\d+)d)?(\d+):(\d\d):(\d\d)", text)
    if match:
        days = int(match.group(1) or 0)
        return days * 86400 + int(match.group(2)) * 3600 + int(match.group(3)) * 60 + int(match.group(4))
    text = re.sub(r"\d+ms$", "", text) or "0s"
    parts = re.findall(r"(\d+)([wdhms])", text)
    if parts and "".join(n + u for n, u in parts) == text:
        return sum(int(n) * _UNITS[u] for n, u in parts)
    return None


def _int_or_none(value):
    if value is None or value == "" or isinstance(value, bool):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def session_row(peer_address, remote_as=None, local_as=None, state=None, established=None, uptime=None,
                prefixes_received=None):
    """One normalised row; ``established`` follows ``state`` unless given."""
    address = str(peer_address)
    if "/" in address:
        address = address.split("/", 1)[0]
    try:
        address = str(ipaddress.ip_address(address))
    except ValueError:
        pass
    state = normalise_state(state if state is not None else ("Established" if established else None))
    if established is None:
        established = state == "Established"
    return {
        "peer_address": address,
        "remote_as": _int_or_none(remote_as),
        "local_as": _int_or_none(local_as),
        "state": state,
        "established": bool(established),
        "uptime": parse_duration(uptime) if established else None,
        "prefixes_received": _int_or_none(prefixes_received),
    }


def sort_rows(rows):
    def key(row):
        try:
            addr = ipaddress.ip_address(row["peer_address"])
            return (addr.version, int(addr))
        except ValueError:
            return (9, 0)
    return sorted(rows, key=key)


def route_row(prefix, next_hop=None, active=True, protocol="bgp"):
    """One normalised route row; ``next_hop`` loses an ``%interface`` suffix, an unparsable one is None."""
    text = str(prefix).strip()
    try:
        text = str(ipaddress.ip_network(text, strict=False))
    except ValueError:
        pass
    hop = None
    if next_hop not in (None, ""):
        hop = str(next_hop).strip().split("%", 1)[0]
        try:
            hop = str(ipaddress.ip_address(hop))
        except ValueError:
            hop = None
    return {"prefix": text, "next_hop": hop, "protocol": protocol, "active": bool(active)}


def sort_routes(rows):
    """Route rows by prefix (as ``ip_network``: version, address, length), then next hop; duplicates dropped."""
    def key(row):
        try:
            net = ipaddress.ip_network(row["prefix"], strict=False)
            prefix = (net.version, int(net.network_address), net.prefixlen)
        except ValueError:
            prefix = (9, 0, 0)
        try:
            hop = ipaddress.ip_address(row.get("next_hop") or "")
            hop_key = (hop.version, int(hop))
        except ValueError:
            hop_key = (0, 0)
        return prefix + hop_key + (not row.get("active"),)
    seen, out = set(), []
    for row in sorted(rows, key=key):
        ident = (row["prefix"], row.get("next_hop"), row.get("protocol"), bool(row.get("active")))
        if ident not in seen:
            seen.add(ident)
            out.append(row)
    return out


def _driver(platform):
    """The platform's driver module.  The imports are static so that Ansible packs every driver
    with the modules that read sessions (AnsiballZ follows import statements, also in functions)."""
    # pylint: disable=import-outside-toplevel,cyclic-import
    if platform == "routeros":
        from . import routeros as driver
    elif platform == "comware":
        from . import comware as driver
    else:
        from . import frr as driver
    return driver


def read(platform, params):
    """Dispatch to ``devices/<platform>.py:read_sessions(params)``."""
    if platform not in PLATFORMS:
        raise FabricError("unknown platform %r" % (platform,), host=params.get("hostname"), field="platform",
                          fix="use one of %s" % ", ".join(PLATFORMS))
    return sort_rows(_driver(platform).read_sessions(params))


def read_state(platform, params, routes=False):
    """Dispatch to ``devices/<platform>.py:read_state(params, routes)``: sessions and (``routes``) BGP
    routes read over one connection -> ``{"sessions": sorted rows, "routes": sorted rows or None}``."""
    if platform not in PLATFORMS:
        raise FabricError("unknown platform %r" % (platform,), host=params.get("hostname"), field="platform",
                          fix="use one of %s" % ", ".join(PLATFORMS))
    state = _driver(platform).read_state(params, routes=bool(routes))
    table = state.get("routes")
    return {"sessions": sort_rows(state.get("sessions") or []),
            "routes": sort_routes(table) if routes and table is not None else None}


# --------------------------------------------------------------------------- module glue

def info_argument_spec():
    """``bgp_session_info``: platform + the RouterOS API options + the SSH options (one merged spec)."""
    from . import routeros  # pylint: disable=import-outside-toplevel  # routeros imports this module

    spec = dict(platform=dict(type="str", required=True, choices=list(PLATFORMS)), expect=dict(type="raw"),
                routes=dict(type="bool", default=False))
    for name, option in list(ssh.SSH_ARGUMENT_SPEC.items()) + list(routeros.API_ARGUMENT_SPEC.items()):
        option = dict(option)
        if name in spec:
            continue
        if name == "port":
            option.pop("default", None)  # 8729/8728 for RouterOS, 22 for SSH
        if name == "password":
            option["required"] = False  # SSH may use a key instead
        spec[name] = option
    spec["hostname"]["aliases"] = ["host"]
    spec["hostname"]["required"] = True
    for name, aliases in connection.OPTION_ALIASES.items():
        if name in spec:
            spec[name]["aliases"] = list(aliases)
    # the environment fallbacks depend on the platform: run_info_module applies them
    return spec


def run_info_module(module):
    """The body of bgp_session_info: read (with ``routes``: also the BGP routes, over the same connection),
    normalise, evaluate ``expect``; never changed."""
    platform = module.params["platform"]
    params, secrets = connection.fill_from_env(module.params, connection.family_of(platform))
    module.no_log_values.update(secrets)
    host = params.get("hostname")
    if platform == "routeros":
        from . import routeros  # pylint: disable=import-outside-toplevel  # routeros imports this module
        if not routeros.HAS_LIBROUTEROS:
            module.fail_json(msg=missing_required_lib("librouteros"), exception=str(routeros.LIBROUTEROS_IMPORT_ERROR))
    try:
        if not params.get("username"):
            raise FabricError("no user name given", host=host, field="username",
                              fix="set username (inventory: ansible_user; environment: %s)"
                                  % " or ".join(connection.env_names("username", connection.family_of(platform))))
        if platform == "routeros" and not params.get("password"):
            raise FabricError("the RouterOS API needs a password", host=host, field="password",
                              fix="set password (inventory: ansible_password; environment: %s)"
                                  % " or ".join(connection.env_names("password", "routeros")))
        if params.get("routes"):
            state = read_state(platform, params, routes=True)
            rows = state["sessions"]
        else:
            state, rows = None, read(platform, params)
        result = {
            "platform": platform,
            "sessions": rows,
            "established": sum(1 for row in rows if row["established"]),
            "not_established": sum(1 for row in rows if not row["established"]),
        }
        if state is not None:
            result["routes"] = state["routes"] or []
        failures = check_expectations(result, params.get("expect"), host=host)
    except FabricError as exc:
        if exc.host is None:
            exc.host = host
        fail_module(module, exc)
        return
    if failures:
        module.fail_json(msg="%s: expectation(s) not met: %s" % (host, "; ".join(failures)), failures=failures,
                         changed=False, **result)
    module.exit_json(changed=False, **result)
