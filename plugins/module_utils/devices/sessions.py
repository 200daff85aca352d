# -*- coding: utf-8 -*-
# Copyright: kubefabric.bgp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reading BGP sessions and routes of any platform (``kubefabric.bgp.bgp_session_info``, fabric_verify).

The rows are built by the drivers with ``rows.py`` (which imports no driver, so that this module can
import the drivers without an import circle).

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

from ansible.module_utils.basic import missing_required_lib

from ..common.errors import FabricError, fail_module
from ..common.query import check_expectations
from . import comware, connection, frr, routeros, ssh
from . import rows as rowlib

PLATFORMS = ("routeros", "comware", "frr")

DRIVERS = {"routeros": routeros, "comware": comware, "frr": frr}


def _driver(platform):
    """The platform's driver module (the drivers import rows.py, never this module: no import circle)."""
    return DRIVERS[platform]


def read(platform, params):
    """Dispatch to ``devices/<platform>.py:read_sessions(params)``."""
    if platform not in PLATFORMS:
        raise FabricError("unknown platform %r" % (platform,), host=params.get("hostname"), field="platform",
                          fix="use one of %s" % ", ".join(PLATFORMS))
    return rowlib.sort_rows(_driver(platform).read_sessions(params))


def read_state(platform, params, routes=False):
    """Dispatch to ``devices/<platform>.py:read_state(params, routes)``: sessions and (``routes``) BGP
    routes read over one connection -> ``{"sessions": sorted rows, "routes": sorted rows or None}``."""
    if platform not in PLATFORMS:
        raise FabricError("unknown platform %r" % (platform,), host=params.get("hostname"), field="platform",
                          fix="use one of %s" % ", ".join(PLATFORMS))
    state = _driver(platform).read_state(params, routes=bool(routes))
    table = state.get("routes")
    return {"sessions": rowlib.sort_rows(state.get("sessions") or []),
            "routes": rowlib.sort_routes(table) if routes and table is not None else None}


# --------------------------------------------------------------------------- module glue

def info_argument_spec():
    """``bgp_session_info``: platform + the RouterOS API options + the SSH options (one merged spec)."""
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
    # the environment fallbacks depend on the platform: run_module applies them
    return spec


def run_module(module):
    """The module edge of bgp_session_info: read (with ``routes``: also the BGP routes, over the same connection),
    normalise, evaluate ``expect``; never changed."""
    platform = module.params["platform"]
    params, secrets = connection.fill_from_env(module.params, connection.family_of(platform))
    module.no_log_values.update(secrets)
    host = params.get("hostname")
    if platform == "routeros":
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
