# -*- coding: utf-8 -*-
# Copyright: kubefabric.bgp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""H3C Comware V7 driver: running config -> model, model changes -> CLI lines, sessions.

Everything here except ``ComwareDriver``, ``read_sessions`` and ``read_state`` is pure (no connection),
so that ``state: parsed`` and ``state: rendered`` work offline and the unit tests need no device.

* ``parse_config(text)`` reads ``display current-configuration configuration bgp`` through the
  TextFSM template ``templates/comware_bgp_config.py`` into the platform-neutral model.
* ``render_transition(before, after)`` gives the lines (entered in system-view) that turn the
  device's BGP config ``before`` into ``after``; a failed push is rolled back by rendering the
  transition from what the device holds afterwards back to ``before``.
* ``parse_peers(text)`` reads ``display bgp peer ipv4`` with ntc-templates' template (fallback: the
  collection's own, which accepts dynamically created peers) into normalised session rows.
* ``parse_routes(text)`` reads ``display ip routing-table`` (the active routes) with ntc-templates'
  template into normalised route rows, keeping the BGP ones.

Model mapping (Comware V7 syntax, BGP view unless noted)::

    asn                         bgp ASN
    router_id                   router-id X
    neighbor.remote_as          peer IP as-number N
    neighbor.description        peer IP description TEXT
    neighbor.password           peer IP password simple PWD   (the device shows: password cipher $c$3$...)
    neighbor.update_source      peer IP connect-interface IFNAME
    neighbor.multihop           peer IP ebgp-max-hop 255
    neighbor.hold_time/keepalive_time  peer IP timer keepalive K hold H
    neighbor.bfd                peer IP bfd
    neighbor.address_families   address-family ipv4 unicast / ipv6 unicast: peer IP enable
    neighbor.route_reflector_client   (address family) peer IP reflect-client
    neighbor.import/export_policy     (address family) peer IP route-policy NAME import|export
    listen_ranges[] with peer_group   group NAME internal|external; peer NAME as-number N (external);
                                      peer NET LEN group NAME; (address family) peer NAME enable
    listen_ranges[] without group     peer NET LEN as-number N; (address family) peer NET LEN enable
"""

from __future__ import annotations

import copy
import ipaddress
import re

from ..common.errors import FabricError
from . import cli as _cli
from . import fields as _fields
from . import model as _model
from . import rows as _rows
from . import ssh as _ssh
from .templates import ntc_template, run_template
from .templates import comware_bgp_config as _cfg_template
from .templates import comware_bgp_peer_ipv4 as _peer_template

PLATFORM = "comware"
DEVICE_TYPE = "hp_comware"
SHOW_CONFIG = "display current-configuration configuration bgp"
SHOW_PEERS = "display bgp peer ipv4"
SHOW_ROUTES = "display ip routing-table"
# Proto column values of BGP routes (Comware V7 shows BGP; IBGP/EBGP are accepted as well)
BGP_PROTOCOLS = ("BGP", "IBGP", "EBGP")
SAVE_COMMAND = "save force"

# A line the device rejected: Comware prints a caret line and then "% <reason>".
ERROR_PATTERN = r"^\s*%\s*(?:Unrecognized|Wrong|Incomplete|Too many|Ambiguous|Unknown|Invalid|Failed|Error)[^\n]*$"
ERROR_RE = re.compile(ERROR_PATTERN, re.M | re.I)

# An information-center log message on a monitoring terminal ("terminal monitor"), which Comware
# may print between a configuration line and the next prompt; it is not the line's answer.
# Format: "%" timestamp (date "Jun 26 17:08:35:809 2008", boot "0.109391473" or none) sysname
# MODULE/level/DIGEST: content
LOG_PATTERN = (r"%(?:[A-Z][a-z]{2} +\d{1,2} \d{2}:\d{2}:\d{2}(?::\d{3})? \d{4}|\d+\.\d+)? *\S+ "
               r"[A-Z][A-Z0-9_]*/[0-7]/[A-Z0-9_]+(?:\(\w+\))?:")
LOG_RE = re.compile(LOG_PATTERN)

# Comware shows a configured password as "cipher $c$<n>$<base64>"; such a value can be sent back
# unchanged with "password cipher" (that is how a rollback restores it).
CIPHER_RE = _fields.CIPHER_RE

FAMILY_VIEWS = _cli.FAMILY_VIEWS


# --------------------------------------------------------------------------- parsing


def _empty_peer():
    return dict(_fields.cli_entry(PLATFORM), as_number=None, group=None, families={})


def _family_entry(peer, family):
    return peer["families"].setdefault(family, {"enable": False, "reflect_client": False,
                                                "import": None, "export": None})


def parse_raw(text, host=None):
    """The BGP view as data: ``{asn, router_id, groups{}, peers{}, ranges{}}`` (Comware terms)."""
    rows = run_template(_cfg_template.TEMPLATE, text or "", host=host,
                        what="'%s' output" % SHOW_CONFIG)
    raw = {"asn": None, "router_id": None, "groups": {}, "peers": {}, "ranges": {}}
    family = None
    for row in rows:
        if row["asn"] and raw["asn"] is None:
            raw["asn"] = _model.parse_asn(row["asn"], field="running_config: bgp", host=host)
        if not row["keyword"]:
            continue
        depth = len(row["indent"])
        keyword = row["keyword"]
        if depth == 1:
            family = None
            if keyword == "address-family":
                family = _cli.FAMILY_OF_VIEW.get((row["target"], row["attr"]), "other")
                continue
            if keyword.startswith("ip"):
                family = "vrf"
                continue
        elif family in (None, "vrf", "other"):
            continue  # a view this collection does not manage (VPN instance, other families)
        if keyword == "router-id":
            raw["router_id"] = row["target"]
            continue
        if keyword == "group":
            group = raw["groups"].setdefault(row["target"], _empty_peer())
            group["type"] = row["attr"] or "internal"
            continue
        if keyword != "peer":
            continue
        target = row["target"]
        if row["mask"]:
            key = "%s/%s" % (target, row["mask"])
            entry = raw["ranges"].setdefault(key, _empty_peer())
        elif _cli.is_ip(target):
            entry = raw["peers"].setdefault(target, _empty_peer())
        else:
            entry = raw["groups"].setdefault(target, _empty_peer())
            entry.setdefault("type", "internal")
        _apply_attr(entry, row["attr"], row["value"], family)
    return raw


def _apply_attr(entry, attr, value, family):
    if family is not None:
        fam = _family_entry(entry, family)
        if attr == "enable":
            fam["enable"] = True
        elif attr == "reflect-client":
            fam["reflect_client"] = True
        elif attr == "route-policy":
            parts = value.split()
            if len(parts) == 2 and parts[1] in ("import", "export"):
                fam[parts[1]] = parts[0]
        return
    if attr == "as-number":
        entry["as_number"] = int(value) if value.isdigit() else _model.parse_asn(value)
    elif attr == "group":
        parts = value.split()
        entry["group"] = parts[0]
        if len(parts) == 3 and parts[1] == "as-number":  # peer IP group NAME as-number N
            entry["as_number"] = _model.parse_asn(parts[2])
    else:
        _cli.store_attr(entry, PLATFORM, attr, value)


def _families_of(entry, group):
    out = {}
    for source in (group, entry):
        if not source:
            continue
        for family, fam in source["families"].items():
            merged = out.setdefault(family, {"enable": False, "reflect_client": False, "import": None,
                                             "export": None})
            for key, value in fam.items():
                if value:
                    merged[key] = value
    return out


def _remote_as(entry, group, asn):
    """A peer's AS: its own, else its group's, else the local AS for an internal group."""
    remote_as = entry["as_number"]
    if remote_as is None and group is not None:
        remote_as = group["as_number"]
        if remote_as is None and group.get("type") == "internal":
            remote_as = asn
    return remote_as


def raw_to_model(raw):
    """The platform-neutral model of a parsed BGP view (effective values, group settings inherited)."""
    config = _model.empty_config()
    config["asn"] = raw["asn"]
    config["router_id"] = raw["router_id"]
    for address, entry in raw["peers"].items():
        group = raw["groups"].get(entry["group"]) if entry["group"] else None
        neighbor = _model.empty_neighbor(str(ipaddress.ip_address(address)))
        neighbor["remote_as"] = _remote_as(entry, group, raw["asn"])
        _cli.inherit_fields(neighbor, PLATFORM, entry, group)
        families = _families_of(entry, group)
        enabled = [fam for fam in _model.ADDRESS_FAMILIES if families.get(fam, {}).get("enable")]
        config["neighbors"].append(_cli.set_families(neighbor, enabled, families, ("reflect_client", "import", "export")))
    for key, entry in raw["ranges"].items():
        rng = _model.empty_listen_range(str(ipaddress.ip_network(key, strict=False)))
        group = raw["groups"].get(entry["group"]) if entry["group"] else None
        rng["remote_as"] = _remote_as(entry, group, raw["asn"])
        rng["peer_group"] = entry["group"]
        rng["_marker"] = (group if group is not None else entry)["description"]  # ownership (owner.py)
        config["listen_ranges"].append(rng)
    return _cli.sort_config(config)


def parse_config(text, host=None):
    """``display current-configuration configuration bgp`` text -> platform-neutral model."""
    return raw_to_model(parse_raw(text, host=host))


# --------------------------------------------------------------------------- validation


def check_supported(config, host=None):
    """Reject what Comware cannot express, before anything is sent."""
    _cli.check_neighbor_text(config, host, "Comware's CLI", "on Comware", PLATFORM)
    for index, neighbor in enumerate(config.get("neighbors") or []):
        path = "config.neighbors[%d]" % index
        source = neighbor.get("update_source")
        if source and _cli.is_ip(source):
            raise FabricError("Comware's connect-interface takes an interface, not an address (%s)" % source,
                              host=host, field=path + ".update_source",
                              fix="give the interface name, e.g. LoopBack0")
        if neighbor.get("keepalive_time") is not None and neighbor.get("hold_time") is None:
            raise FabricError("Comware sets keepalive and hold time together", host=host,
                              field=path + ".hold_time", fix="give hold_time as well (3x keepalive_time)")
        for key in ("description", "password"):
            value = neighbor.get(key)
            if value is not None and (not str(value) or re.search(r"\s", str(value)) and key == "password"):
                raise FabricError("%s must be non-empty%s" % (key, " and without spaces" if key == "password" else ""),
                                  host=host, field="%s.%s" % (path, key), fix="change the %s" % key)
        password = neighbor.get("password")
        if password is not None and not CIPHER_RE.match(str(password)) and not 1 <= len(str(password)) <= 80:
            raise FabricError("a Comware BGP password has 1 to 80 characters", host=host,
                              field=path + ".password", fix="use a shorter password")
    for index, rng in enumerate(config.get("listen_ranges") or []):
        path = "config.listen_ranges[%d]" % index
        if rng.get("prefix") and ipaddress.ip_network(rng["prefix"]).version != 4:
            raise FabricError("dynamic peer ranges are managed for IPv4 only on Comware", host=host,
                              field=path + ".prefix", fix="use an IPv4 prefix")


# --------------------------------------------------------------------------- rendering


def _neighbor_view_lines(old, new):
    """BGP-view lines for one neighbor; ``old`` None means the peer is created."""
    ip = new["address"]
    lines = []
    if old is None:
        lines.append("peer %s as-number %s" % (ip, new["remote_as"]))
        old = _model.empty_neighbor(ip)
    lines.extend(_cli.field_lines(PLATFORM, old, new, "peer", "undo peer"))
    return lines


def _neighbor_family_lines(old, new, family):
    """Address-family lines for one neighbor in ``family`` (old None: not enabled there before)."""
    ip = new["address"] if new else old["address"]
    lines = []
    if new is None:
        return ["undo peer %s enable" % ip]
    if old is None:
        lines.append("peer %s enable" % ip)
        old = {"route_reflector_client": False, "import_policy": None, "export_policy": None}
    if bool(new.get("route_reflector_client")) != bool(old.get("route_reflector_client")):
        lines.append("peer %s reflect-client" % ip if new.get("route_reflector_client")
                     else "undo peer %s reflect-client" % ip)
    for key, direction in (("import_policy", "import"), ("export_policy", "export")):
        if new.get(key) != old.get(key):
            if old.get(key):
                lines.append("undo peer %s route-policy %s %s" % (ip, old[key], direction))
            if new.get(key):
                lines.append("peer %s route-policy %s %s" % (ip, new[key], direction))
    return lines


def _range_target(prefix):
    net = ipaddress.ip_network(prefix)
    return "%s %d" % (net.network_address, net.prefixlen)


def _range_lines_add(rng, asn, groups_after_lines):
    target = _range_target(rng["prefix"])
    if rng.get("peer_group"):
        name = rng["peer_group"]
        if name not in groups_after_lines:
            internal = rng["remote_as"] == asn
            group_lines = ["group %s %s" % (name, "internal" if internal else "external")]
            if not internal:
                group_lines.append("peer %s as-number %s" % (name, rng["remote_as"]))
            if rng.get("_marker"):
                group_lines.append("peer %s description %s" % (name, rng["_marker"]))
            groups_after_lines[name] = group_lines
        return ["peer %s group %s" % (target, name)], "peer %s enable" % name
    lines = ["peer %s as-number %s" % (target, rng["remote_as"])]
    if rng.get("_marker"):
        lines.append("peer %s description %s" % (target, rng["_marker"]))
    return lines, "peer %s enable" % target


def render_transition(before, after, host=None):
    """CLI lines (system-view) that turn BGP config ``before`` into ``after`` (both full models).

    ``before`` may be None or have ``asn`` None (no BGP yet).  Returns ``[]`` when nothing changes.
    """
    before = before or _model.empty_config()
    check_supported(after, host=host)
    # state=deleted without config removes the BGP instance ("undo bgp": Comware asks [Y/N])
    asn, decided = _cli.transition_asn(before, after, host, "undo bgp", (
        "the device runs BGP AS %s; Comware cannot change the AS of a running BGP instance",
        "remove BGP from the device first (undo bgp), or use asn %s"))
    if decided is not None:
        return decided
    view, families = [], {fam: [] for fam in FAMILY_VIEWS}
    if before.get("router_id") != after.get("router_id"):
        view.append("router-id %s" % after["router_id"] if after.get("router_id") else "undo router-id")

    old_n = {n["address"]: n for n in before.get("neighbors") or []}
    new_n = {n["address"]: n for n in after.get("neighbors") or []}
    for ip in sorted(set(old_n) - set(new_n), key=_model._ip_sort_key):  # pylint: disable=protected-access
        view.append("undo peer %s" % ip)
    for ip in sorted(new_n, key=_model._ip_sort_key):  # pylint: disable=protected-access
        new = new_n[ip]
        old = old_n.get(ip)
        if old is not None and old.get("remote_as") != new.get("remote_as"):
            view.append("undo peer %s" % ip)  # Comware keeps a peer's AS; re-create it
            old = None
        view.extend(_neighbor_view_lines(old, new))
        old_fams = set(_cli.families(old)) if old is not None else set()
        if old is not None and old.get("address_families") == []:
            old_fams = set()
        for family in FAMILY_VIEWS:
            in_new = family in _cli.families(new)
            if in_new:
                families[family].extend(_neighbor_family_lines(old if family in old_fams else None, new, family))
            elif family in old_fams:
                families[family].extend(_neighbor_family_lines(old, None, family))

    _range_lines(before, after, asn, view, families["ipv4"])
    return _cli.wrap_view("bgp %s" % asn, view, families, "quit", "quit", keep_empty=before.get("asn") is None)


def _range_lines(before, after, asn, view, enables):
    """Add the lines of the dynamic-peer ranges (and their groups) to ``view``, their ``enable`` lines to
    ``enables`` (address family ipv4)."""
    old_r = {r["prefix"]: r for r in before.get("listen_ranges") or []}
    new_r = {r["prefix"]: r for r in after.get("listen_ranges") or []}
    changed = {p for p in set(old_r) & set(new_r)
               if any(old_r[p].get(f) != new_r[p].get(f) for f in _model.LISTEN_RANGE_FIELDS)}
    old_groups = {r["peer_group"] for r in old_r.values() if r.get("peer_group")}
    kept_groups = {r["peer_group"] for p, r in new_r.items() if r.get("peer_group") and p not in changed
                   and p in old_r}
    for prefix in sorted((set(old_r) - set(new_r)) | changed, key=_model._ip_sort_key):  # pylint: disable=protected-access
        view.append("undo peer %s" % _range_target(prefix))
    for name in sorted(old_groups - kept_groups):
        view.append("undo group %s" % name)
    group_lines = {name: None for name in kept_groups}
    for prefix in sorted((set(new_r) - set(old_r)) | changed, key=_model._ip_sort_key):  # pylint: disable=protected-access
        lines, enable = _range_lines_add(new_r[prefix], asn, group_lines)
        name = new_r[prefix].get("peer_group")
        if name and group_lines.get(name):
            view.extend(group_lines[name])
            group_lines[name] = []
        view.extend(lines)
        if enable not in enables:
            enables.append(enable)


def align_passwords(plan):
    """``plan.after`` with the device's (encrypted) password kept wherever the plan changes none.

    Comware shows only ``cipher $c$3$...``, so a password from the task never equals the one read
    back; the engine decides (``password_update``) whether it is sent, and says so in ``changes``.
    """
    after = copy.deepcopy(plan.after)
    have = {n["address"]: n for n in (plan.have or {}).get("neighbors") or []}
    changed = {op["key"] for op in plan.of("neighbor", "update") if "password" in op["changes"]}
    for neighbor in after.get("neighbors") or []:
        old = have.get(neighbor["address"])
        if old is not None and neighbor["address"] not in changed and neighbor.get("remote_as") == old.get("remote_as"):
            neighbor["password"] = old.get("password")
    return after


def redact_commands(lines):
    """Commands with every password replaced, for results and error messages."""
    return [re.sub(r"(password\s+(?:cipher|simple)\s+)\S+", r"\1********", line) for line in lines]


# --------------------------------------------------------------------------- sessions


def parse_peers(text, host=None):
    """``display bgp peer ipv4`` text -> normalised session rows (``rows.session_row``)."""
    rows = None
    ntc = ntc_template("hp_comware", SHOW_PEERS)
    if ntc is not None:
        try:
            rows = run_template(ntc, text or "", host=host, what="'%s' output" % SHOW_PEERS)
        except FabricError:
            rows = None  # e.g. a dynamically created peer ("*"), which ntc's template rejects
    if rows is None:
        rows = run_template(_peer_template.TEMPLATE, text or "", host=host, what="'%s' output" % SHOW_PEERS)
    return _rows.sort_rows([
        _rows.session_row(row["peer"], remote_as=row["remote_asn"], local_as=row.get("local_as_number"),
                          state=row["state"], uptime=row["up_down"],
                          prefixes_received=row.get("prefixes_received"))
        for row in rows])


def parse_routes(text, host=None):
    """``display ip routing-table`` text -> normalised route rows (``rows.route_row``), BGP only.

    The command lists the active (optimal) routes only, so every row is ``active``; an ECMP route
    gives one row per next hop.
    """
    if ERROR_RE.search(text or ""):
        raise FabricError("the device refused '%s': %s" % (SHOW_ROUTES, ERROR_RE.search(text).group(0).strip()),
                          host=host, field="routes", fix="leave routes off for this device")
    ntc = ntc_template("hp_comware", SHOW_ROUTES)
    if ntc is None:
        raise FabricError("ntc-templates has no template for '%s'" % SHOW_ROUTES, host=host, field="routes",
                          fix="pip install ntc-templates (4.0 or later) on the controller")
    rows = run_template(ntc, text or "", host=host, what="'%s' output" % SHOW_ROUTES)
    return [_rows.route_row("%s/%s" % (row["network"], row["prefix_length"]), row["nexthop_ip"], active=True)
            for row in rows if row.get("protocol", "").upper() in BGP_PROTOCOLS]


# --------------------------------------------------------------------------- the device


def _prompt_re(base_prompt):
    return r"^[<\[]%s[^\]>\r\n]*[\]>]\s*$" % re.escape(base_prompt)


CONFIRM_RE = r"\[Y/N\]"


class ComwareDriver(_cli.CliDriver):
    """``resource.Driver`` for H3C Comware V7 over netmiko ``hp_comware``.

    ``params``: the module's params (SSH options of ``ssh.SSH_ARGUMENT_SPEC`` plus ``save``).
    ``connect`` replaces ``ssh.connect`` in unit tests.
    """

    platform = PLATFORM
    password_readable = False  # the device shows only "cipher $c$3$...", never the password
    description_max = 79  # peer X description: 1-79 characters
    device_type = DEVICE_TYPE
    show_config = SHOW_CONFIG
    save_command = SAVE_COMMAND
    show_sessions = SHOW_PEERS
    route_commands = (SHOW_ROUTES,)

    def _session(self, conn):
        return _ssh.CliSession(conn, _prompt_re(conn.base_prompt), ERROR_RE, host=self.host,
                               confirm_re=CONFIRM_RE, any_output_is_error=True, ignore_re=LOG_RE)

    def parse_text(self, text):
        return parse_config(text, host=self.host)

    def check_supported(self, config):
        check_supported(config, host=self.host)

    def render(self, plan):
        return render_transition(plan.have, align_passwords(plan), host=self.host)

    def transition(self, before, after):
        return render_transition(before, after, host=self.host)

    def redact(self, lines):
        return redact_commands(lines)

    def save_ok(self, output):
        return not ERROR_RE.search(output)

    def parse_sessions(self, text):
        return parse_peers(text, host=self.host)

    def parse_routes(self, text, command):
        return parse_routes(text, host=self.host)


DRIVER = ComwareDriver
read_state, read_sessions, run_module = _cli.entry_points(ComwareDriver)
