# -*- coding: utf-8 -*-
# Copyright: kubefabric.bgp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one CLI driver that Comware and FRR specialise with a dialect (commands, prompts, parsing).

Shared here: connection, line-by-line push, rollback, save, sessions and routes (``CliDriver``); the
lines of the neighbor fields of the field table (``field_lines``/``store_attr``/``inherit_fields``);
the checks and the shape of a transition; the module's argument spec and entry points
(``entry_points``: ``read_state``, ``read_sessions``, ``run_module``).

A push stops at the first line the device refuses, or at the first line after which the session
is lost (no prompt: the management link dropped, the SSH session was killed).  In both cases the
driver restores the configuration read before the run:

* refused line: on the same session (the device answered, the session is sound);
* lost session: on a NEW connection (the broken session is never reused: it may sit in a config
  sub-mode, where ``show running-config bgpd`` is an unknown command).  The device is read again and
  the difference back to the configuration before the run is pushed.

If the device cannot be reached again, the task fails saying which lines were sent; the next run
reads the device, and since every line of a push is a declarative step towards the plan, it sends
what is missing (or removes what is not planned), so the change completes then.  A neighbor created
just before the link dropped, before its ownership marker line, is recognised by the next run from
the journal (``journal.py``) that the engine writes before every push that creates neighbors.
"""

from __future__ import annotations

import copy
import ipaddress

from ..common.errors import FabricError
from . import fields as _fields
from . import model as _model
from . import resource as _resource
from . import ssh as _ssh
from . import templates as _templates

FAMILY_VIEWS = {"ipv4": "address-family ipv4 unicast", "ipv6": "address-family ipv6 unicast"}
FAMILY_OF_VIEW = {("ipv4", ""): "ipv4", ("ipv4", "unicast"): "ipv4", ("ipv6", ""): "ipv6",
                  ("ipv6", "unicast"): "ipv6"}


def is_ip(text):
    try:
        ipaddress.ip_address(text)
        return True
    except ValueError:
        return False


def families(neighbor):
    """The address families a neighbor is active in that a CLI driver manages (unset: ipv4)."""
    wanted = neighbor.get("address_families")
    return ["ipv4"] if wanted is None else [fam for fam in wanted if fam in FAMILY_VIEWS]


timers = _fields.cli_timers


def store_attr(entry, platform, attr, value):
    """Store a parsed ``peer/neighbor X <attr> <value>`` line of a table field in ``entry``; False when
    ``attr`` is not a table field's keyword (the dialect handles it)."""
    found = _fields.cli_keywords(platform).get(attr)
    if found is None:
        return False
    row, on = found
    parsed = on.parse(value or "")
    if on.fields:
        if any(part is not None for part in parsed):  # e.g. FRR "timers connect 5" is not keepalive/hold
            entry.update(zip(on.fields, parsed))
    else:
        entry[row.name] = parsed
    return True


def inherit_fields(neighbor, platform, entry, group):
    """The table fields of ``neighbor`` from its parsed entry, a field it leaves unset from its group."""
    for row in _fields.cli_fields(platform):
        for key in row.on_cli(platform).fields or (row.name,):
            value = entry[key]
            if value in (None, False) and group is not None:
                value = group[key]
            neighbor[key] = bool(value) if row.default is False else value


def _cli_form(row, neighbor):
    value = row.cli_value(neighbor)
    return bool(value) if row.default is False else (value or None)


def field_lines(platform, old, new, prefix, undo):
    """The lines that change the table fields of one neighbor from ``old`` to ``new``, in table order:
    ``<prefix> IP <keyword> <value>`` to set, ``<undo> IP <keyword>`` to unset."""
    lines = []
    for row in _fields.cli_fields(platform):
        on = row.on_cli(platform)
        value = _cli_form(row, new)
        if value == _cli_form(row, old):
            continue
        if value in (None, False):
            lines.append("%s %s %s" % (undo, new["address"], on.name))
            continue
        text = on.render(value)
        lines.append(" ".join(part for part in (prefix, new["address"], on.name, text) if part))
    return lines


def check_route_reflection(after, asn, host):
    """Route reflection is for iBGP neighbors, multihop for eBGP ones (both CLIs refuse the others)."""
    for neighbor in after.get("neighbors") or []:
        if neighbor.get("route_reflector_client") and neighbor.get("remote_as") not in (None, asn):
            raise FabricError("neighbor %s (AS %s) cannot be a route-reflector client of AS %s: route reflection "
                              "is for iBGP peers" % (neighbor["address"], neighbor["remote_as"], asn), host=host,
                              field="config.neighbors[address=%s].route_reflector_client" % neighbor["address"],
                              fix="set route_reflector_client: false, or give the neighbor remote_as %s" % asn)
        if neighbor.get("multihop") and neighbor.get("remote_as") == asn:
            raise FabricError("neighbor %s is iBGP (AS %s); multihop is for eBGP sessions (iBGP is multihop "
                              "already)" % (neighbor["address"], asn), host=host,
                              field="config.neighbors[address=%s].multihop" % neighbor["address"],
                              fix="leave multihop out for iBGP neighbors")


def transition_asn(before, after, host, remove_all, asn_change):
    """The AS a transition renders under, after the checks both CLIs share.

    Returns ``(asn, lines)``: ``lines`` is the whole answer when it is already decided (remove the
    instance: ``remove_all``; nothing to do: ``[]``), else None.  ``asn_change`` is ``(message, fix)``
    for an AS change, which neither CLI can make on a running instance.
    """
    if after.get("asn") is None and before.get("asn") is not None and not after.get("neighbors") \
            and not after.get("listen_ranges"):
        return None, [remove_all]
    asn = after.get("asn") or before.get("asn")
    if asn is None:
        if after.get("neighbors") or after.get("listen_ranges") or after.get("router_id"):
            raise FabricError("no AS number: the device runs no BGP yet", host=host, field="config.asn",
                              fix="give config.asn")
        return None, []
    if before.get("asn") is not None and after.get("asn") is not None and before["asn"] != after["asn"]:
        raise FabricError(asn_change[0] % before["asn"], host=host, field="config.asn",
                          fix=asn_change[1] % before["asn"])
    check_route_reflection(after, asn, host)
    return asn, None


def check_neighbor_text(config, host, cli_name, where, platform):
    """What both CLIs refuse in every neighbor: a field the platform cannot express, an address family
    they do not manage (``where``: "on Comware"), and ``?`` (the CLI's help key) or control characters
    in the description or password."""
    for index, neighbor in enumerate(config.get("neighbors") or []):
        path = "config.neighbors[%d]" % index
        for row in _fields.cli_unsupported(platform):
            if neighbor.get(row.name) not in (None, row.default):
                raise FabricError("%s is not managed %s" % (row.name, where), host=host,
                                  field="%s.%s" % (path, row.name), fix="leave %s out for this device" % row.name)
        for family in neighbor.get("address_families") or []:
            if family not in FAMILY_VIEWS:
                raise FabricError("address family %s is not managed %s" % (family, where), host=host,
                                  field=path + ".address_families", fix="use ipv4 and/or ipv6")
        for key in ("description", "password"):
            value = neighbor.get(key)
            if value is not None and (not str(value).isprintable() or "?" in str(value)):
                raise FabricError("%s cannot take %s with '?' (its help key) or control characters" % (cli_name, key),
                                  host=host, field="%s.%s" % (path, key), fix="use printable characters other than '?'")


def set_families(neighbor, enabled, families, keys):
    """The family-level fields of a parsed neighbor: the families it is enabled in, route-reflector
    client in any of them, the policies of the first; ``keys`` name (rr client, import, export) in
    the dialect's parsed family entries."""
    neighbor["address_families"] = enabled
    neighbor["route_reflector_client"] = any(families.get(fam, {}).get(keys[0]) for fam in enabled)
    first = families.get(enabled[0], {}) if enabled else {}
    neighbor["import_policy"] = first.get(keys[1])
    neighbor["export_policy"] = first.get(keys[2])
    return neighbor


def sort_config(config):
    config["neighbors"].sort(key=lambda n: _model.ip_sort_key(n["address"]))
    config["listen_ranges"].sort(key=lambda r: _model.ip_sort_key(r["prefix"]))
    return config


def wrap_view(header, view, families, family_exit, view_exit, keep_empty):
    """The lines of a transition: ``header``, the view's lines, each family's lines in its own view, the
    exits.  ``[]`` when nothing changes, unless ``keep_empty`` (the instance is created empty)."""
    body = list(view)
    for family, lines in families.items():
        if lines:
            body.append(FAMILY_VIEWS[family])
            body.extend(" " + line for line in lines)
            body.append(family_exit)
    if not body and not keep_empty:
        return []
    return [header] + [" " + line for line in body] + [view_exit]


def module_argument_spec():
    """The argument spec of comware_bgp and frr_bgp: the resource options, the SSH options, ``save``."""
    spec = _model.resource_argument_spec()
    spec.update(_ssh.argument_spec())
    spec.update(save=dict(type="bool", default=True))
    return spec


MODULE_RULES = dict(required_if=_model.RESOURCE_REQUIRED_IF, mutually_exclusive=_model.RESOURCE_MUTUALLY_EXCLUSIVE)
OFFLINE_STATES = ("rendered", "parsed")


class CliDriver(_resource.Driver):
    """``resource.Driver`` base for a CLI reached over SSH with netmiko (subclasses: Comware, FRR).

    Subclasses set ``platform``, ``device_type``, ``show_config``, ``save_command``, ``cli_name``
    (for messages) and implement ``_session(conn)``, ``parse_text(text)``, ``render(plan)``,
    ``transition(before, after)`` and ``redact(lines)``.
    """

    device_type = None
    show_config = None
    save_command = None
    cli_name = "the device"
    show_sessions = None  # the command whose output parse_sessions reads
    route_commands = ()  # the commands whose outputs parse_routes reads (with routes)

    def __init__(self, params, offline=False, connect=None):
        self.params = params or {}
        self.host = self.params.get("hostname")
        self.offline = offline
        self._connect = connect or _ssh.connect
        self.conn = None
        self.session = None
        self.have = None
        self.saved = False
        self.rolled_back = None

    # -- hooks
    def _session(self, conn):  # pragma: no cover - interface
        raise NotImplementedError

    def parse_text(self, text):  # pragma: no cover - interface
        raise NotImplementedError

    def transition(self, before, after):  # pragma: no cover - interface
        raise NotImplementedError

    def redact(self, lines):  # pragma: no cover - interface
        raise NotImplementedError

    def check_supported(self, config):  # pragma: no cover - interface
        raise NotImplementedError

    def parse_sessions(self, text):  # pragma: no cover - interface
        raise NotImplementedError

    def parse_routes(self, text, command):  # pragma: no cover - interface
        raise NotImplementedError

    def validate(self, want, state):
        if state == "deleted":
            return  # only the keys (address, prefix) matter
        self.check_supported(want or _model.empty_config())

    def missing_requirement(self, state):
        if not _templates.HAS_TEXTFSM:
            return "textfsm", _templates.TEXTFSM_IMPORT_ERROR
        if not _ssh.HAS_NETMIKO and state not in OFFLINE_STATES:
            return "netmiko", _ssh.NETMIKO_IMPORT_ERROR
        return None

    def result_extras(self, state):
        return {"saved": self.saved} if state in _resource.ACTION_STATES else {}

    # -- connection
    def _open(self):
        if self.offline:
            raise FabricError("no device connection in an offline state", host=self.host, field="state",
                              fix="use rendered/parsed without a device")
        if self.conn is None:
            self.conn = self._connect(self.params, self.device_type)
            self.session = self._session(self.conn)
        return self.session

    def close(self):
        if self.conn is not None:
            _resource.close_quietly(self.conn.disconnect)
            self.conn = None
            self.session = None

    def _leave_config(self):
        try:
            self.conn.exit_config_mode()
        except Exception:  # pylint: disable=broad-except
            pass

    # -- reading
    def read_config_text(self):
        return self._open().show(self.show_config)

    def gather(self):
        self.have = self.parse_text(self.read_config_text())
        return copy.deepcopy(self.have)

    def parse(self, running_config):
        return self.parse_text(running_config)

    def show(self, commands):
        return self.redact(commands)

    # -- writing
    def apply(self, commands):
        session = self._open()
        before = self.have if self.have is not None else self.gather()
        try:
            self.conn.config_mode()
            session.push(commands)
        except _ssh.CliLineError as err:
            self._recover(before, err, len(commands))
        except FabricError:
            raise
        except Exception as exc:  # pylint: disable=broad-except  # config mode itself failed: session lost
            self._recover(before, _ssh.CliLineError(commands[0], 0, str(exc), lost=True), len(commands))
        finally:
            if self.conn is not None:
                self._leave_config()
        if self.params.get("save", True):
            self.save()

    def _recover(self, before, err, total):
        shown = self.redact([err.line.strip()])[0]
        if err.lost:
            self.close()  # never reuse a session that lost its prompt
            try:
                self._open()
            except FabricError as exc:
                raise FabricError(
                    "the session to the device was lost at line %d of %d %r (%s), and reconnecting failed (%s); "
                    "the %d line(s) before it may be applied" % (err.index + 1, total, shown, err.message,
                                                                 exc.message, err.index),
                    host=self.host, field="hostname",
                    fix="restore the management connection and run again: the next run reads the device and "
                        "completes the change (or removes what is not planned)",
                    details={"failed_line": shown, "lines_sent": err.index}) from None
        self._rollback(before)
        what = "the session was lost after" if err.lost else "%s rejected" % self.cli_name
        raise FabricError(
            "%s line %d %r: %s; the %d line(s) before it were rolled back%s, nothing of this run is left on the "
            "device" % (what, err.index + 1, shown, err.message, err.index,
                        " over a new connection" if err.lost else ""),
            host=self.host, field="hostname" if err.lost else "config",
            fix="check the management connection and run again" if err.lost else
            "correct the value that produced this line (see the commands of a check-mode run)",
            details={"failed_line": shown, "rolled_back": self.rolled_back}) from None

    def _rollback(self, before):
        """Restore ``before``: re-read the device, push the difference back."""
        self._leave_config()
        current = self.parse_text(self.read_config_text())
        lines = self.transition(current, before)
        self.rolled_back = self.redact(lines)
        if not lines:
            return
        try:
            self.conn.config_mode()
            self.session.push(lines)
        except _ssh.CliLineError as err:
            raise FabricError("a line failed, and rolling back failed at %r (%s); the BGP configuration is partly "
                              "changed" % (self.redact([err.line.strip()])[0], err.message),
                              host=self.host, field="config",
                              fix="run the task again (it reads the device and sends the difference), or inspect "
                                  "'%s' and restore it by hand" % self.show_config) from None
        finally:
            self._leave_config()

    def save(self):
        """Save the running configuration (netmiko ``save_config``), so the change survives a reboot."""
        try:
            output = self.conn.save_config()
        except Exception as exc:  # pylint: disable=broad-except
            raise FabricError("the change is applied but '%s' failed: %s" % (self.save_command, exc),
                              host=self.host, field="save", fix="save the configuration on the device") from None
        finally:
            self._leave_config()
        if not self.save_ok(output or ""):
            raise FabricError("the change is applied but '%s' failed: %s" % (self.save_command, output.strip()),
                              host=self.host, field="save", fix="save the configuration on the device")
        self.saved = True

    def save_ok(self, output):  # pragma: no cover - interface
        raise NotImplementedError

    # -- sessions and routes
    def read_state(self, routes=False):
        """Sessions (and with ``routes`` the BGP routes) on one connection, closed after."""
        try:
            session = self._open()
            rows = self.parse_sessions(session.show(self.show_sessions))
            table = None
            if routes:
                table = []
                for command in self.route_commands:
                    table.extend(self.parse_routes(session.show(command), command))
            return {"sessions": rows, "routes": table}
        finally:
            self.close()


def entry_points(driver_class):
    """A CLI driver module's entry points: ``read_state(params, routes)``, ``read_sessions(params)`` (for
    bgp_session_info and fabric_verify) and ``run_module(module)`` (the module edge)."""
    def read_state(params, routes=False):
        return driver_class(params).read_state(routes=routes)

    def read_sessions(params):
        return read_state(params)["sessions"]

    def run_module(module):
        offline = (module.params.get("state") or "merged") in OFFLINE_STATES
        _resource.run_module(module, driver_class(module.params, offline=offline))

    return read_state, read_sessions, run_module
