# -*- coding: utf-8 -*-
# Copyright: kubefabric.bgp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""FRR driver (vtysh over SSH through netmiko): running config -> model, model changes -> vtysh lines.

The SSH login lands in vtysh (the user's login shell is ``/usr/bin/vtysh``), which netmiko drives
as device_type ``cisco_ios``: ``terminal length 0``, ``configure terminal`` ... ``end``,
``write memory``.  Everything except ``FrrDriver``, ``read_sessions`` and ``read_state`` is pure, so
``parsed`` and ``rendered`` work offline.

* ``parse_config(text)`` reads ``show running-config bgpd`` through the TextFSM template
  ``templates/frr_bgp_config.py`` into the platform-neutral model.
* ``render_transition(before, after)`` gives the vtysh lines (inside ``configure terminal``) that
  turn ``before`` into ``after``.  A push runs in one ``configure terminal`` session and stops at the
  first line vtysh rejects; the lines already taken are then rolled back (the device is re-read and
  the difference back to ``before`` is pushed) before ``end``.
* ``parse_summary(json_text)`` reads ``show bgp summary json`` into normalised session rows.
* ``parse_routes(json_text)`` reads ``show ip route bgp json`` / ``show ipv6 route bgp json`` (zebra's
  RIB: the routes bgpd learned, ``selected`` = the best one for the prefix) into normalised route rows.

Model mapping::

    asn / router_id            router bgp ASN / bgp router-id X
    neighbor.remote_as         neighbor IP remote-as N
    neighbor.description       neighbor IP description TEXT
    neighbor.password          neighbor IP password PWD
    neighbor.update_source     neighbor IP update-source ADDR|IFNAME
    neighbor.multihop          neighbor IP ebgp-multihop 255
    neighbor.hold/keepalive    neighbor IP timers K H
    neighbor.bfd               neighbor IP bfd
    neighbor.address_families  address-family ipv4|ipv6 unicast: neighbor IP activate (ipv4 is on by default)
    route_reflector_client     (address family) neighbor IP route-reflector-client
    import/export_policy       (address family) neighbor IP route-map NAME in|out
    listen_ranges[]            neighbor GROUP peer-group; neighbor GROUP remote-as N;
                               bgp listen range PREFIX peer-group GROUP
"""

from __future__ import annotations

import ipaddress
import json
import re

from ..common.errors import FabricError
from . import cli as _cli
from . import fields as _fields
from . import model as _model
from . import rows as _rows
from . import ssh as _ssh
from .templates import run_template
from .templates import frr_bgp_config as _cfg_template

PLATFORM = "frr"
DEVICE_TYPE = "cisco_ios"
SHOW_CONFIG = "show running-config bgpd"
SHOW_SUMMARY = "show bgp summary json"
SHOW_ROUTES = ("show ip route bgp json", "show ipv6 route bgp json")
SAVE_COMMAND = "write memory"

# vtysh answers a rejected line with "% ..." (Unknown command, Command incomplete, Invalid input,
# Specify remote-as or peer-group commands first, Create the peer-group first, Malformed address) and
# a few messages without "%" ("BGP is already running; AS is N", "Can't ...").
ERROR_RE = re.compile(r"^\s*(?:%.*|BGP is already running.*|Can't .*|Cannot .*|.*\b[Ee]rror\b.*)$", re.M)

FAMILY_VIEWS = _cli.FAMILY_VIEWS


# --------------------------------------------------------------------------- parsing


def _empty_entry():
    return dict(_fields.cli_entry(PLATFORM), remote_as=None, peer_group=None, is_group=False, families={})


def _family(entry, family):
    return entry["families"].setdefault(family, {"activate": None, "rr_client": False, "in": None, "out": None})


def parse_raw(text, host=None):
    """The default-VRF ``router bgp`` block as data (FRR terms)."""
    rows = run_template(_cfg_template.TEMPLATE, text or "", host=host, what="'%s' output" % SHOW_CONFIG)
    raw = {"asn": None, "router_id": None, "default_ipv4": True, "requires_policy": True, "entries": {}, "ranges": {}}
    family = None
    for row in rows:
        if row["asn"] and raw["asn"] is None:
            raw["asn"] = _model.parse_asn(row["asn"], field="running_config: router bgp", host=host)
        keyword = re.sub(r"\s+", " ", row["keyword"])
        if not keyword:
            continue
        if len(row["indent"]) == 1:
            family = None
            if keyword == "address-family":
                family = _cli.FAMILY_OF_VIEW.get((row["target"], row["attr"]), "other")
                continue
        elif family in (None, "other"):
            continue
        if keyword == "bgp router-id":
            raw["router_id"] = row["target"]
        elif keyword == "no bgp default" and row["target"] == "ipv4-unicast":
            raw["default_ipv4"] = False

        elif keyword == "bgp listen range":
            raw["ranges"][row["target"]] = row["value"].split()[0] if row["attr"] == "peer-group" else None
        elif keyword in ("neighbor", "no neighbor"):
            entry = raw["entries"].setdefault(row["target"], _empty_entry())
            _apply_attr(entry, keyword == "no neighbor", row["attr"], row["value"], family)
    block = re.search(r"^router bgp \d+\n((?:[ !].*\n)*)", text or "", re.M)
    if block and re.search(r"^ no bgp ebgp-requires-policy\s*$", block.group(1), re.M):
        raw["requires_policy"] = False
    return raw


def _apply_attr(entry, negated, attr, value, family):
    if family is not None:
        fam = _family(entry, family)
        if attr == "activate":
            fam["activate"] = not negated
        elif attr == "route-reflector-client":
            fam["rr_client"] = True
        elif attr == "route-map":
            parts = value.split()
            if len(parts) == 2 and parts[1] in ("in", "out"):
                fam[parts[1]] = parts[0]
        return
    if negated:
        return
    if attr == "peer-group":
        if value:
            entry["peer_group"] = value.split()[0]
        else:
            entry["is_group"] = True
    elif attr == "remote-as":
        entry["remote_as"] = value
    else:
        _cli.store_attr(entry, PLATFORM, attr, value)


def _remote_as(value, asn):
    if value is None:
        return None
    if value == "internal":
        return asn
    if value == "external":
        return None
    return _model.parse_asn(value)


def raw_to_model(raw):
    """The platform-neutral model of a parsed ``router bgp`` block (peer-group settings inherited)."""
    config = _model.empty_config()
    config["asn"] = raw["asn"]
    config["router_id"] = raw["router_id"]
    entries = raw["entries"]
    for target, entry in entries.items():
        if entry["is_group"] or not _cli.is_ip(target):
            continue
        group = entries.get(entry["peer_group"]) if entry["peer_group"] else None
        neighbor = _model.empty_neighbor(str(ipaddress.ip_address(target)))
        neighbor["remote_as"] = _remote_as(entry["remote_as"] or (group or {}).get("remote_as"), raw["asn"])
        _cli.inherit_fields(neighbor, PLATFORM, entry, group)
        families = {}
        for source in (group, entry):
            if source is None:
                continue
            for fam, values in source["families"].items():
                merged = families.setdefault(fam, {"activate": None, "rr_client": False, "in": None, "out": None})
                for key, value in values.items():
                    if value is not None and value is not False:
                        merged[key] = value
                if values["activate"] is False:
                    merged["activate"] = False
        enabled = []
        for fam in _model.ADDRESS_FAMILIES:
            values = families.get(fam, {})
            default = fam == "ipv4" and raw["default_ipv4"]  # every neighbor, IPv6 ones too
            if values.get("activate") is True or (values.get("activate") is None and default):
                enabled.append(fam)
        config["neighbors"].append(_cli.set_families(neighbor, enabled, families, ("rr_client", "in", "out")))
    for prefix, group_name in raw["ranges"].items():
        rng = _model.empty_listen_range(str(ipaddress.ip_network(prefix, strict=False)))
        rng["peer_group"] = group_name
        group = entries.get(group_name) if group_name else None
        rng["remote_as"] = _remote_as(group["remote_as"], raw["asn"]) if group else None
        rng["_marker"] = group["description"] if group else None  # ownership (owner.py)
        config["listen_ranges"].append(rng)
    return _cli.sort_config(config)


def parse_config(text, host=None):
    """``show running-config bgpd`` text -> platform-neutral model."""
    return raw_to_model(parse_raw(text, host=host))


# --------------------------------------------------------------------------- validation


def check_supported(config, host=None):
    """Reject what this driver cannot express on FRR, before anything is sent."""
    _cli.check_neighbor_text(config, host, "vtysh", "by frr_bgp", PLATFORM)
    for index, neighbor in enumerate(config.get("neighbors") or []):
        path = "config.neighbors[%d]" % index
        password = neighbor.get("password")
        if password is not None and (not password or re.search(r"\s", password) or len(password) > 80):
            raise FabricError("an FRR BGP password is 1 to 80 characters without spaces", host=host,
                              field=path + ".password", fix="change the password")
    for index, rng in enumerate(config.get("listen_ranges") or []):
        if rng.get("prefix") and not rng.get("peer_group"):
            raise FabricError("FRR binds a listen range to a peer group", host=host,
                              field="config.listen_ranges[%d].peer_group" % index,
                              fix="give peer_group (the peer group is created with the range's remote_as)")
    groups = {}
    for index, rng in enumerate(config.get("listen_ranges") or []):
        name = rng.get("peer_group")
        if name and name in groups and groups[name] != rng.get("remote_as"):
            raise FabricError("listen ranges of peer group %s have different remote_as" % name, host=host,
                              field="config.listen_ranges[%d].remote_as" % index,
                              fix="use one peer group per remote AS")
        groups[name] = rng.get("remote_as")


# --------------------------------------------------------------------------- rendering


def _neighbor_lines(old, new):
    ip = new["address"]
    lines = []
    if old is None or old.get("remote_as") != new.get("remote_as"):
        lines.append("neighbor %s remote-as %s" % (ip, new["remote_as"]))
    lines.extend(_cli.field_lines(PLATFORM, old or {}, new, "neighbor", "no neighbor"))
    return lines


def _family_lines(old, new, family, default_on):
    """Address-family lines for one neighbor (``old``/``new`` None: not active in ``family``)."""
    ip = (new or old)["address"]
    if new is None:
        return ["no neighbor %s activate" % ip]
    lines = []
    if old is None:
        if not default_on:
            lines.append("neighbor %s activate" % ip)
        old = {}
    if bool(new.get("route_reflector_client")) != bool(old.get("route_reflector_client")):
        lines.append("neighbor %s route-reflector-client" % ip if new.get("route_reflector_client")
                     else "no neighbor %s route-reflector-client" % ip)
    for key, direction in (("import_policy", "in"), ("export_policy", "out")):
        if new.get(key) != old.get(key):
            if old.get(key):
                lines.append("no neighbor %s route-map %s %s" % (ip, old[key], direction))
            if new.get(key):
                lines.append("neighbor %s route-map %s %s" % (ip, new[key], direction))
    return lines


def render_transition(before, after, host=None, default_ipv4=True):
    """vtysh lines (inside ``configure terminal``) that turn ``before`` into ``after``.

    ``default_ipv4``: whether the instance activates neighbors in ipv4 unicast automatically
    (FRR's default; ``no bgp default ipv4-unicast`` turns it off).
    """
    before = before or _model.empty_config()
    check_supported(after, host=host)
    asn, decided = _cli.transition_asn(before, after, host, "no router bgp %s" % before.get("asn"), (
        "the device runs router bgp %s; the AS of a running instance cannot be changed in place",
        "remove BGP first (state: deleted without config), or use asn %s"))
    if decided is not None:
        return decided
    creating = before.get("asn") is None
    view, families = [], {fam: [] for fam in FAMILY_VIEWS}
    if creating:
        # FRR 8 refuses to exchange eBGP routes without policies unless this is off; Calico peers
        # have none (see docs/platform-frr.md).
        view.append("no bgp ebgp-requires-policy")
        default_ipv4 = True
    if before.get("router_id") != after.get("router_id"):
        view.append("bgp router-id %s" % after["router_id"] if after.get("router_id") else "no bgp router-id")

    old_n = {n["address"]: n for n in before.get("neighbors") or []}
    new_n = {n["address"]: n for n in after.get("neighbors") or []}
    for ip in sorted(set(old_n) - set(new_n), key=_model._ip_sort_key):  # pylint: disable=protected-access
        view.append("no neighbor %s" % ip)
    for ip in sorted(new_n, key=_model._ip_sort_key):  # pylint: disable=protected-access
        new, old = new_n[ip], old_n.get(ip)
        view.extend(_neighbor_lines(old, new))
        old_fams = set(_cli.families(old)) if old is not None else set()
        for family in FAMILY_VIEWS:
            default_on = family == "ipv4" and default_ipv4
            if family in _cli.families(new):
                families[family].extend(_family_lines(old if family in old_fams else None, new, family, default_on))
            elif family in old_fams or (old is None and default_on):
                families[family].extend(_family_lines(old or new, None, family, default_on))

    view.extend(_range_lines(before, after))
    return _cli.wrap_view("router bgp %s" % asn, view, families, "exit-address-family", "exit", keep_empty=False)


def _range_lines(before, after):
    """Lines for the listen ranges and their peer groups (FRR binds a range to a peer group)."""
    lines = []
    old_r = {r["prefix"]: r for r in before.get("listen_ranges") or []}
    new_r = {r["prefix"]: r for r in after.get("listen_ranges") or []}
    old_groups = {r["peer_group"]: r["remote_as"] for r in old_r.values() if r.get("peer_group")}
    new_groups = {r["peer_group"]: r["remote_as"] for r in new_r.values() if r.get("peer_group")}
    for prefix in sorted(old_r, key=_model._ip_sort_key):  # pylint: disable=protected-access
        rng = old_r[prefix]
        if prefix not in new_r or new_r[prefix].get("peer_group") != rng.get("peer_group"):
            lines.append("no bgp listen range %s peer-group %s" % (prefix, rng["peer_group"]))
    for name in sorted(set(old_groups) - set(new_groups)):
        lines.append("no neighbor %s peer-group" % name)
    markers = {r["peer_group"]: r.get("_marker") for r in new_r.values() if r.get("peer_group")}
    for name in sorted(new_groups):
        if name not in old_groups:
            lines.append("neighbor %s peer-group" % name)
            if markers.get(name):
                lines.append("neighbor %s description %s" % (name, markers[name]))
        if old_groups.get(name) != new_groups[name] or name not in old_groups:
            lines.append("neighbor %s remote-as %s" % (name, new_groups[name]))
    for prefix in sorted(new_r, key=_model._ip_sort_key):  # pylint: disable=protected-access
        rng = new_r[prefix]
        if prefix not in old_r or old_r[prefix].get("peer_group") != rng.get("peer_group"):
            lines.append("bgp listen range %s peer-group %s" % (prefix, rng["peer_group"]))
    return lines


def redact_commands(lines):
    """Commands with every password replaced, for results and error messages."""
    return [re.sub(r"(neighbor\s+\S+\s+password\s+)\S+", r"\1********", line) for line in lines]


# --------------------------------------------------------------------------- sessions


def parse_summary(text, host=None):
    """``show bgp summary json`` -> normalised session rows (all address families, one row per peer)."""
    try:
        data = json.loads(text or "{}")
    except ValueError:
        raise FabricError("'%s' did not return JSON: %s" % (SHOW_SUMMARY, (text or "").strip()[:120]), host=host,
                          field="hostname", fix="check that the login shell is vtysh and FRR's bgpd runs") from None
    rows = {}
    for _family_name, table in sorted(data.items()):
        if not isinstance(table, dict) or not isinstance(table.get("peers"), dict):
            continue
        for address, peer in table["peers"].items():
            if address in rows:
                continue
            state = peer.get("state")
            rows[address] = _rows.session_row(
                address, remote_as=peer.get("remoteAs"), local_as=peer.get("localAs", table.get("as")),
                state=state,
                uptime=(peer.get("peerUptimeMsec") // 1000) if isinstance(peer.get("peerUptimeMsec"), int)
                else peer.get("peerUptime"),
                prefixes_received=peer.get("pfxRcd", peer.get("prefixReceivedCount")))
    return _rows.sort_rows(list(rows.values()))


def parse_routes(text, host=None, command=SHOW_ROUTES[0]):
    """``show ip[v6] route bgp json`` -> normalised route rows, one per next hop.

    ``active``: the route is zebra's selected one for its prefix and the next hop is active.  The
    next hops zebra adds to resolve a recursive one (``resolver``) are not next hops of the route.
    """
    try:
        data = json.loads(text or "{}")
    except ValueError:
        raise FabricError("'%s' did not return JSON: %s" % (command, (text or "").strip()[:120]), host=host,
                          field="hostname", fix="check that the login shell is vtysh and FRR's zebra runs") from None
    rows = []
    for prefix, entries in sorted(data.items()) if isinstance(data, dict) else []:
        for entry in entries if isinstance(entries, list) else []:
            if not isinstance(entry, dict) or entry.get("protocol") != "bgp":
                continue
            selected = bool(entry.get("selected"))
            hops = [hop for hop in entry.get("nexthops") or [] if isinstance(hop, dict) and not hop.get("resolver")]
            for hop in hops or [{}]:
                rows.append(_rows.route_row(entry.get("prefix") or prefix, hop.get("ip"),
                                            active=selected and hop.get("active", True) is not False))
    return rows


# --------------------------------------------------------------------------- the device


def _prompt_re(base_prompt):
    return r"^%s(?:\([^)\r\n]*\))?[#>]\s*$" % re.escape(base_prompt)


class FrrDriver(_cli.CliDriver):
    """``resource.Driver`` for FRR through vtysh over SSH (netmiko ``cisco_ios`` on a vtysh login shell)."""

    platform = PLATFORM
    password_readable = True  # running-config shows "neighbor X password PWD"
    description_max = 80  # neighbor X description LINE: up to 80 characters
    device_type = DEVICE_TYPE
    show_config = SHOW_CONFIG
    save_command = SAVE_COMMAND
    cli_name = "vtysh"
    show_sessions = SHOW_SUMMARY
    route_commands = SHOW_ROUTES

    def __init__(self, params, offline=False, connect=None):
        super().__init__(params, offline=offline, connect=connect)
        self.default_ipv4 = True
        self.requires_policy = False

    def _session(self, conn):
        return _ssh.CliSession(conn, _prompt_re(conn.base_prompt), ERROR_RE, host=self.host)

    def read_config_text(self):
        text = self._open().show(SHOW_CONFIG)
        if ERROR_RE.search(text) and "router bgp" not in text:
            raise FabricError("vtysh refused %r: %s" % (SHOW_CONFIG, text.strip()[:200]), host=self.host,
                              field="username", fix="log in as a user whose shell is vtysh, with bgpd running")
        return text

    def parse_text(self, text):
        raw = parse_raw(text, host=self.host)
        self.default_ipv4, self.requires_policy = raw["default_ipv4"], raw["requires_policy"]
        return raw_to_model(raw)

    def parse(self, running_config):
        return parse_config(running_config, host=self.host)

    def check_supported(self, config):
        check_supported(config, host=self.host)

    def render(self, plan):
        self._check_policy_requirement(plan)
        return render_transition(plan.have, plan.after, host=self.host, default_ipv4=self.default_ipv4)

    def _check_policy_requirement(self, plan):
        """An instance the collection did not create may keep FRR's ``bgp ebgp-requires-policy``: an eBGP
        neighbor without import and export policies would then exchange no routes, silently."""
        if not self.requires_policy or plan.have.get("asn") is None:
            return
        asn = plan.after.get("asn") or plan.have["asn"]
        for op in plan.of("neighbor", "add") + plan.of("neighbor", "update"):
            neighbor = op["after"]
            has_policies = neighbor.get("import_policy") and neighbor.get("export_policy")
            if neighbor.get("remote_as") not in (None, asn) and not has_policies:
                raise FabricError(
                    "router bgp %s requires policies on eBGP sessions (bgp ebgp-requires-policy, FRR's default): "
                    "neighbor %s would exchange no routes" % (asn, neighbor["address"]), host=self.host,
                    field="config.neighbors[address=%s].import_policy" % neighbor["address"],
                    fix="give import_policy and export_policy (route-maps that exist on the device), or configure "
                        "'no bgp ebgp-requires-policy' under router bgp %s by hand" % asn)

    def transition(self, before, after):
        return render_transition(before, after, host=self.host, default_ipv4=self.default_ipv4)

    def redact(self, lines):
        return redact_commands(lines)

    def save_ok(self, output):
        return not ERROR_RE.search(output) or "[OK]" in output

    def parse_sessions(self, text):
        return parse_summary(text, host=self.host)

    def parse_routes(self, text, command):
        return parse_routes(text, host=self.host, command=command)


DRIVER = FrrDriver
read_state, read_sessions, run_module = _cli.entry_points(FrrDriver)
