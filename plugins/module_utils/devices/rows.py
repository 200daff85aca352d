# -*- coding: utf-8 -*-
# Copyright: kubefabric.bgp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Normalised session and route rows, the same for every platform.

The drivers build their rows here; ``sessions.py`` dispatches to the drivers.  This module imports
no driver, so the drivers and ``sessions.py`` form no import circle (rows <- drivers <- sessions).

A session row is ``{peer_address, remote_as, local_as, state, established, uptime, prefixes_received}``:
``state`` is a BGP FSM state name spelt the RFC 4271 way, ``uptime`` is seconds (int) or None,
``prefixes_received`` an int or None.  A route row is ``{prefix, next_hop, protocol, active}``.
"""

from __future__ import annotations

import ipaddress
import re

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
