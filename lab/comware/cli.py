"""The Comware V7 command line of the emulated device: views, prompts, commands, the running
configuration and its effect on the namespace's real FRR.

One :class:`Device` holds the state every SSH session shares (sysname, BGP model, saved
configuration, the count of configuration lines accepted); each session is a :class:`Session`
with its own view.  ``Session.feed(line)`` returns the text to print, followed by the prompt.
"""
import json
import re
import threading
import time
from pathlib import Path

from . import display, grammar
from .grammar import Grammar, ParseError
from .model import Bgp, Group, Peer, decrypt_password, encrypt_password

VERSION_LINE = "H3C Comware Software, Version 7.1.070, Release 6635P07"
BANNER = "\r\n".join([
    "******************************************************************************",
    "* Copyright (c) 2004-2024 New H3C Technologies Co., Ltd. All rights reserved.*",
    "* Without the owner's prior written consent,                                 *",
    "* no decompiling or reverse-engineering shall be allowed.                    *",
    "******************************************************************************",
    "",
])
CONTINUE_PROMPT = "Press Y or ENTER to continue, N to exit."

USER, SYSTEM, BGP, BGP_IPV4 = "user", "system", "bgp", "bgp-ipv4"
PARENT = {SYSTEM: USER, BGP: SYSTEM, BGP_IPV4: BGP}

SAVE_DONE = ["Validating file. Please wait...",
             "Saved the current configuration to mainboard device successfully."]


class CommandError(Exception):
    """A line the parser accepted but the device refuses (printed as is)."""


def _peer_variants(tail):
    return ["peer <peer> " + tail]


def _build_grammars():
    common = [
        ("display current-configuration", "display_current"),
        ("display current-configuration configuration bgp", "display_current_bgp"),
        ("display saved-configuration", "display_saved"),
        ("display version", "display_version"),
        ("display bgp peer ipv4", "display_peers"),
        ("display bgp peer ipv4 unicast", "display_peers"),
        ("display bgp peer ipv4 verbose", "display_peers_verbose"),
        ("display bgp peer ipv4 unicast verbose", "display_peers_verbose"),
        ("display bgp peer ipv4 <ip:peer> verbose", "display_peers_verbose"),
        ("display bgp peer ipv4 unicast <ip:peer> verbose", "display_peers_verbose"),
        ("display ip routing-table", "display_routes"),
        ("display ip routing-table protocol bgp", "display_routes_bgp"),
        ("save", "save"),
        ("save force", "save_force"),
        ("quit", "quit"),
    ]
    views = {USER: [("system-view", "system_view"), ("screen-length disable", "screen_length")],
             SYSTEM: [("return", "return_"),
                      ("sysname <sysname:name>", "sysname"),
                      ("bgp <asn>", "bgp"),
                      ("undo bgp", "undo_bgp"),
                      ("undo bgp <asn>", "undo_bgp")],
             BGP: [("return", "return_"), ("display this", "display_this"),
                   ("router-id <ip:rid>", "router_id"),
                   ("undo router-id", "undo_router_id"),
                   ("group <group>", "group_internal"),
                   ("group <group> internal", "group_internal"),
                   ("group <group> external", "group_external"),
                   ("undo group <group>", "undo_group"),
                   ("peer <peer> as-number <asn>", "peer_as"),
                   ("undo peer <peer-ip:peer>", "undo_peer"),
                   ("undo peer <peer> as-number", "undo_peer_as"),
                   ("peer <peer-ip:peer> group <group>", "peer_group"),
                   ("peer <peer-ip:peer> group <group> as-number <asn>", "peer_group"),
                   ("undo peer <peer-ip:peer> group <group>", "undo_peer_group"),
                   ("peer <peer> password cipher <cipher-password:password>", "peer_password_cipher"),
                   ("peer <peer> password simple <simple-password:password>", "peer_password_simple"),
                   ("undo peer <peer> password", "undo_peer_password"),
                   ("peer <peer> connect-interface <iface>", "peer_connect_interface"),
                   ("undo peer <peer> connect-interface", "undo_peer_connect_interface"),
                   ("peer <peer> description <description>", "peer_description"),
                   ("undo peer <peer> description", "undo_peer_description"),
                   ("peer <peer> timer keepalive <keepalive> hold <hold>", "peer_timer"),
                   ("undo peer <peer> timer", "undo_peer_timer"),
                   ("peer <peer> ebgp-max-hop", "peer_ebgp_max_hop"),
                   ("peer <peer> ebgp-max-hop <hop>", "peer_ebgp_max_hop"),
                   ("undo peer <peer> ebgp-max-hop", "undo_peer_ebgp_max_hop"),
                   ("peer <peer> bfd", "peer_bfd"),
                   ("peer <peer> bfd echo", "peer_bfd_echo"),
                   ("peer <peer> bfd single-hop", "peer_bfd_single_hop"),
                   ("undo peer <peer> bfd", "undo_peer_bfd"),
                   ("address-family ipv4", "address_family"),
                   ("address-family ipv4 unicast", "address_family"),
                   ("undo address-family ipv4", "undo_address_family"),
                   ("undo address-family ipv4 unicast", "undo_address_family")],
             BGP_IPV4: [("return", "return_"), ("display this", "display_this"),
                        ("peer <peer> enable", "peer_enable"),
                        ("undo peer <peer> enable", "undo_peer_enable"),
                        ("peer <peer> reflect-client", "peer_reflect_client"),
                        ("undo peer <peer> reflect-client", "undo_peer_reflect_client"),
                        ("peer <peer> route-policy <policy> import", "peer_route_policy_import"),
                        ("peer <peer> route-policy <policy> export", "peer_route_policy_export"),
                        ("undo peer <peer> route-policy <policy> import", "undo_peer_route_policy_import"),
                        ("undo peer <peer> route-policy <policy> export", "undo_peer_route_policy_export")]}
    grammars = {}
    for view, cmds in views.items():
        g = Grammar()
        for pattern, handler in common + cmds:
            g.add(pattern, handler)
        grammars[view] = g
    return grammars


GRAMMARS = _build_grammars()

# handlers that never change the configuration (everything else counts as a configuration line)
NOT_WRITES = {"display_current", "display_current_bgp", "display_saved", "display_version",
              "display_peers", "display_peers_verbose", "display_routes", "display_routes_bgp", "display_this",
              "save", "save_force", "quit", "return_", "system_view", "screen_length"}


class Device:
    """State shared by all sessions of one emulated switch."""

    def __init__(self, sysname, state_dir, frr=None):
        self.sysname = sysname
        self.dir = Path(state_dir)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.frr = frr  # FrrLink or None (parser-only use)
        self.bgp = None
        self.lock = threading.RLock()
        self.startup = self.dir / "startup.cfg"
        self.writes_file = self.dir / "config_writes"
        self.log_file = self.dir / "config.log"
        self.config_writes = 0
        if self.writes_file.exists():
            self.config_writes = int(self.writes_file.read_text().split()[0] or 0)
        if self.startup.exists():
            self.load(self.startup.read_text())

    # -- persistence ------------------------------------------------------------------------------
    def record_write(self, view, line):
        self.config_writes += 1
        tmp = self.writes_file.with_suffix(".tmp")
        tmp.write_text("%d\n" % self.config_writes)
        tmp.replace(self.writes_file)
        with open(self.log_file, "a") as fh:
            fh.write(json.dumps({"view": view, "line": line, "time": time.time()}) + "\n")

    def current_configuration(self, bgp_only=False):
        lines = ["#"]
        if not bgp_only:
            lines += [" version 7.1.070, Release 6635P07", "#", " sysname %s" % self.sysname, "#"]
        if self.bgp is not None:
            lines += self.bgp.comware_lines()
            lines.append("#")
        lines.append("return")
        return lines

    def save(self):
        text = "\n".join(self.current_configuration()) + "\n"
        tmp = self.startup.with_suffix(".tmp")
        tmp.write_text(text)
        tmp.replace(self.startup)

    def load(self, text):
        """Replay a saved configuration (Comware's layout) through the command handlers."""
        session = Session(self, replay=True)
        session.view = SYSTEM
        for raw in text.splitlines():
            stripped = raw.strip()
            if not stripped or stripped.startswith("version") or stripped == "return":
                continue
            if stripped == "#":
                if raw.startswith("#"):
                    session.view = SYSTEM
                elif session.view == BGP_IPV4:
                    session.view = BGP
                continue
            session.feed(stripped)
        if session.errors:
            raise ValueError("saved configuration %s did not load: %s" % (self.startup, session.errors))

    # -- FRR ----------------------------------------------------------------------------------------
    def change(self, mutate):
        """Run ``mutate()`` on the model; push the difference to FRR."""
        old_asn = self.bgp.asn if self.bgp else None
        old_items = self.bgp.frr_items() if self.bgp else []
        mutate()
        if self.frr is None:
            return
        from .frrlink import plan_changes
        new_asn = self.bgp.asn if self.bgp else None
        new_items = self.bgp.frr_items() if self.bgp else []
        self.frr.apply(plan_changes(old_asn, old_items, new_asn, new_items))

    def sessions(self):
        if self.frr is None or self.bgp is None:
            return {}, {}
        return (self.frr.show_json("show bgp summary json"),
                self.frr.show_json("show bgp neighbors json"))

    def routes(self):
        """FRR's IPv4 RIB and its interfaces (``show ip route json``, ``show interface json``)."""
        if self.frr is None:
            return {}, {}
        return self.frr.show_json("show ip route json"), self.frr.show_json("show interface json")


class Session:
    """One CLI session: the current view, and a pending question (``[Y/N]``) if any."""

    def __init__(self, device, replay=False):
        self.device = device
        self.view = USER
        self.replay = replay
        self.errors = []
        self.pending = None  # generator waiting for an answer
        self.closed = False

    # -- prompts ------------------------------------------------------------------------------------
    def prompt(self):
        name = self.device.sysname
        return {USER: "<%s>" % name, SYSTEM: "[%s]" % name, BGP: "[%s-bgp-default]" % name,
                BGP_IPV4: "[%s-bgp-default-ipv4]" % name}[self.view]

    # -- input --------------------------------------------------------------------------------------
    def feed(self, line):
        """Handle one input line; returns (output lines, prompt or question to print next)."""
        with self.device.lock:
            if self.pending is not None:
                return self._advance(self.pending, line.strip())
            prompt = self.prompt()
            if not line.strip():
                return [], prompt
            original = line
            line, out_filter = self._split_filter(line)
            try:
                handler, args = GRAMMARS[self.view].parse(line)
                if out_filter is not None and not handler.startswith("display"):
                    raise ParseError(grammar.UNRECOGNIZED, original.index("|"))
            except ParseError as err:
                self.errors.append((line, err.kind))
                return err.lines(len(prompt)), self.prompt()
            if out_filter is not None:
                return out_filter(getattr(self, "do_" + handler)(**args) or []), self.prompt()
            try:
                result = getattr(self, "do_" + handler)(**args)
            except CommandError as err:
                self.errors.append((line, str(err)))
                return [str(err)], self.prompt()
            if hasattr(result, "send"):  # a question: the handler is a generator
                return self._advance(result, None)
            if handler not in NOT_WRITES and not self.replay and result is not _NAVIGATION:
                self.device.record_write(self.view if handler not in ("bgp", "address_family") else
                                         PARENT[self.view], line.strip())
            if result is _NAVIGATION or result is None:
                return [], self.prompt()
            return list(result), self.prompt()

    def _advance(self, gen, answer):
        try:
            question = next(gen) if answer is None else gen.send(answer)
        except StopIteration as stop:
            self.pending = None
            return list(stop.value or []), self.prompt()
        except CommandError as err:
            self.pending = None
            self.errors.append(("", str(err)))
            return [str(err)], self.prompt()
        self.pending = gen
        return [], question

    @staticmethod
    def _split_filter(line):
        """``display ... | {begin|include|exclude} REGEX`` -> (command, filter function or None)."""
        if "|" not in line:
            return line, None
        command, rest = line.split("|", 1)
        words = rest.split(None, 1)
        if len(words) != 2:
            return line, None
        kind = [k for k in ("begin", "include", "exclude") if k.startswith(words[0].lower())]
        if len(kind) != 1:
            return line, None
        try:
            regex = re.compile(words[1].strip())
        except re.error:
            return line, None

        def apply(lines):
            lines = list(lines)
            if kind[0] == "begin":
                for i, text in enumerate(lines):
                    if regex.search(text):
                        return lines[i:]
                return []
            if kind[0] == "include":
                return [text for text in lines if regex.search(text)]
            return [text for text in lines if not regex.search(text)]
        return command.rstrip(), apply

    # -- helpers ------------------------------------------------------------------------------------
    @property
    def bgp(self):
        return self.device.bgp

    def _entity(self, ref, create=False):
        ent = self.bgp.entity(ref)
        if ent is None:
            if ref.is_group:
                raise CommandError("The peer group %s does not exist." % ref.group)
            raise CommandError("The peer %s does not exist." % ref.key)
        return ent

    def _set(self, ref, attr, value):
        ent = self._entity(ref)
        self.device.change(lambda: setattr(ent, attr, value))

    # -- navigation ---------------------------------------------------------------------------------
    def do_quit(self):
        if self.view == USER:
            self.closed = True
            return []
        self.view = PARENT[self.view]
        return _NAVIGATION

    def do_return_(self):
        self.view = USER
        return _NAVIGATION

    def do_system_view(self):
        self.view = SYSTEM
        return ["System View: return to User View with Ctrl+Z."]

    def do_screen_length(self):
        return []

    # -- display ------------------------------------------------------------------------------------
    def do_display_current(self):
        return self.device.current_configuration()

    def do_display_current_bgp(self):
        return self.device.current_configuration(bgp_only=True)

    def do_display_this(self):
        if self.bgp is None:
            return ["#", "return"]
        lines = self.bgp.comware_lines()
        if self.view == BGP_IPV4:
            start = lines.index(" address-family ipv4 unicast")
            return ["#"] + [l[1:] for l in lines[start:]] + ["#", "return"]
        return ["#"] + lines + ["#", "return"]

    def do_display_saved(self):
        if not self.device.startup.exists():
            return []
        return self.device.startup.read_text().splitlines()

    def do_display_version(self):
        return [VERSION_LINE, "Copyright (c) 2004-2024 New H3C Technologies Co., Ltd. All rights reserved.",
                "H3C %s uptime is 0 weeks, 0 days, 1 hour, 0 minutes" % self.device.sysname]

    def do_display_peers(self):
        summary, neighbors = self.device.sessions()
        return display.peer_table(self.bgp, summary, neighbors).split("\n")[:-1]

    def do_display_peers_verbose(self, peer=None):
        summary, neighbors = self.device.sessions()
        text = display.peer_verbose(self.bgp, summary, neighbors, only=peer)
        return text.split("\n")[:-1] if text else []

    def do_display_routes(self):
        return display.routing_table(*self.device.routes()).split("\n")[:-1]

    def do_display_routes_bgp(self):
        return display.routing_table_protocol(*self.device.routes()).split("\n")[:-1]

    # -- save ---------------------------------------------------------------------------------------
    def do_save_force(self):
        self.device.save()
        return SAVE_DONE

    def do_save(self):
        answer = yield "The current configuration will be written to the device. Are you sure? [Y/N]:"
        if answer.lower() not in ("y", "yes"):
            return ["Save aborted."]
        name = yield ("Please input the file name(*.cfg)[flash:/startup.cfg]\r\n"
                      "(To leave the existing filename unchanged, press the enter key):")
        if name and name not in ("flash:/startup.cfg", "startup.cfg"):
            return ["The file name is invalid."]
        if self.device.startup.exists():
            answer = yield "flash:/startup.cfg exists, overwrite? [Y/N]:"
            if answer.lower() not in ("y", "yes"):
                return ["Save aborted."]
        self.device.save()
        return SAVE_DONE

    # -- system view --------------------------------------------------------------------------------
    def do_sysname(self, name):
        self.device.sysname = name
        return []

    def do_bgp(self, asn):
        created = False
        if self.bgp is None:
            def make():
                self.device.bgp = Bgp(asn)
            self.device.change(make)
            created = True
        elif self.bgp.asn != asn:
            raise CommandError("The AS number of the BGP instance default is %d." % self.bgp.asn)
        self.view = BGP
        return None if created else _NAVIGATION

    def do_undo_bgp(self, asn=None):
        if self.bgp is None or (asn is not None and asn != self.bgp.asn):
            raise CommandError("The BGP instance does not exist.")
        answer = "y" if self.replay else (yield "Undo BGP process? [Y/N]:")
        if answer.lower() in ("y", "yes"):
            def drop():
                self.device.bgp = None
            self.device.change(drop)
            if not self.replay:
                self.device.record_write(SYSTEM, "undo bgp")
        return []

    # -- BGP instance view --------------------------------------------------------------------------
    def do_router_id(self, rid):
        self.device.change(lambda: setattr(self.bgp, "router_id", rid))

    def do_undo_router_id(self):
        self.device.change(lambda: setattr(self.bgp, "router_id", None))

    def do_group_internal(self, group):
        return self._group(group, "internal")

    def do_group_external(self, group):
        return self._group(group, "external")

    def _group(self, name, kind):
        existing = self.bgp.groups.get(name)
        if existing is not None:
            if existing.kind != kind:
                raise CommandError("The type of peer group %s can't be changed." % name)
            return
        if any(p.key == name for p in self.bgp.peers.values()):
            raise CommandError("The peer group name %s is invalid." % name)
        self.device.change(lambda: self.bgp.groups.__setitem__(name, Group(name, kind)))

    def do_undo_group(self, group):
        if group not in self.bgp.groups:
            raise CommandError("The peer group %s does not exist." % group)

        def drop():
            del self.bgp.groups[group]
            for key in list(self.bgp.peers):
                p = self.bgp.peers[key]
                if p.group == group:
                    if p.asn is None:
                        del self.bgp.peers[key]
                    else:
                        p.group = None
        self.device.change(drop)

    def do_peer_as(self, peer, asn):
        bgp = self.bgp
        if peer.is_group:
            g = self._entity(peer)
            if g.kind == "internal" and asn != bgp.asn:
                raise CommandError("The AS number of IBGP peer group %s must be the local AS number." % g.name)
            if g.kind == "external" and asn == bgp.asn:
                raise CommandError("The AS number of EBGP peer group %s can't be the local AS number." % g.name)
            self.device.change(lambda: setattr(g, "asn", asn))
            return
        p = bgp.peers.get(peer.key)
        if p is not None and p.group is not None:
            g = bgp.groups[p.group]
            if g.kind == "internal" and asn != bgp.asn:
                raise CommandError("The peer %s is in IBGP peer group %s; its AS number must be the local AS number."
                                   % (peer.key, g.name))
            if g.asn is not None and g.asn != asn:
                raise CommandError("The AS number of peer %s must be the same as that of peer group %s."
                                   % (peer.key, g.name))

        def setit():
            target = bgp.peers.get(peer.key)
            if target is None:
                target = Peer(peer.ip, peer.mask)
                bgp.peers[peer.key] = target
            target.asn = asn
        self.device.change(setit)

    def do_undo_peer(self, peer):
        if peer.key not in self.bgp.peers:
            raise CommandError("The peer %s does not exist." % peer.key)
        self.device.change(lambda: self.bgp.peers.pop(peer.key))

    def do_undo_peer_as(self, peer):
        if not peer.is_group:
            # Comware V7 deletes a peer with "undo peer ipv4-address [ mask-length ]"
            if peer.key not in self.bgp.peers:
                raise CommandError("The peer %s does not exist." % peer.key)
            self.device.change(lambda: self.bgp.peers.pop(peer.key))
            return
        g = self._entity(peer)

        def drop():
            g.asn = None
            for key in list(self.bgp.peers):
                p = self.bgp.peers[key]
                if p.group == g.name and p.asn is None and g.kind == "external":
                    del self.bgp.peers[key]
        self.device.change(drop)

    def do_peer_group(self, peer, group, asn=None):
        bgp = self.bgp
        g = bgp.groups.get(group)
        if g is None:
            raise CommandError("The peer group %s does not exist." % group)
        p = bgp.peers.get(peer.key)
        own = asn if asn is not None else (p.asn if p is not None else None)
        effective = own if own is not None else (bgp.asn if g.kind == "internal" else g.asn)
        if effective is None:
            raise CommandError("Please specify the AS number of peer %s first." % peer.key)
        if g.kind == "internal" and effective != bgp.asn:
            raise CommandError("The peer %s can't join IBGP peer group %s." % (peer.key, group))
        if g.kind == "external" and effective == bgp.asn:
            raise CommandError("The peer %s can't join EBGP peer group %s." % (peer.key, group))
        if g.asn is not None and own is not None and own != g.asn:
            raise CommandError("The AS number of peer %s must be the same as that of peer group %s."
                               % (peer.key, group))

        def setit():
            target = bgp.peers.get(peer.key)
            if target is None:
                target = Peer(peer.ip, peer.mask)
                bgp.peers[peer.key] = target
            if asn is not None:
                target.asn = asn
            target.group = group
        self.device.change(setit)

    def do_undo_peer_group(self, peer, group):
        p = self.bgp.peers.get(peer.key)
        if p is None or p.group != group:
            raise CommandError("The peer %s is not in peer group %s." % (peer.key, group))

        def drop():
            if p.asn is None:
                del self.bgp.peers[peer.key]
            else:
                p.group = None
        self.device.change(drop)

    def do_peer_password_cipher(self, peer, password):
        try:
            decrypt_password(password)
        except ValueError:
            raise CommandError("Invalid password.") from None
        self._set(peer, "password_cipher", password)

    def do_peer_password_simple(self, peer, password):
        self._set(peer, "password_cipher", encrypt_password(password))

    def do_undo_peer_password(self, peer):
        self._set(peer, "password_cipher", None)

    def do_peer_connect_interface(self, peer, iface):
        self._set(peer, "connect_interface", iface)

    def do_undo_peer_connect_interface(self, peer):
        self._set(peer, "connect_interface", None)

    def do_peer_description(self, peer, description):
        self._set(peer, "description", description)

    def do_undo_peer_description(self, peer):
        self._set(peer, "description", None)

    def do_peer_timer(self, peer, keepalive, hold):
        if hold and keepalive and hold < 3 * keepalive:
            raise CommandError("The hold time must be at least three times the keepalive interval.")
        self._set(peer, "timer", (keepalive, hold))

    def do_undo_peer_timer(self, peer):
        self._set(peer, "timer", None)

    def do_peer_ebgp_max_hop(self, peer, hop=64):
        self._set(peer, "ebgp_max_hop", hop)

    def do_undo_peer_ebgp_max_hop(self, peer):
        self._set(peer, "ebgp_max_hop", None)

    def do_peer_bfd(self, peer):
        self._set(peer, "bfd", "")

    def do_peer_bfd_echo(self, peer):
        self._set(peer, "bfd", "echo")

    def do_peer_bfd_single_hop(self, peer):
        self._set(peer, "bfd", "single-hop")

    def do_undo_peer_bfd(self, peer):
        self._set(peer, "bfd", None)

    def do_address_family(self):
        created = not self.bgp.ipv4
        if created:
            self.device.change(lambda: setattr(self.bgp, "ipv4", True))
        self.view = BGP_IPV4
        return None if created else _NAVIGATION

    def do_undo_address_family(self):
        def drop():
            self.bgp.ipv4 = False
            for ent in list(self.bgp.groups.values()) + list(self.bgp.peers.values()):
                ent.enabled = False
                ent.reflect_client = False
                ent.route_policy = {}
        self.device.change(drop)

    # -- IPv4 unicast view --------------------------------------------------------------------------
    def do_peer_enable(self, peer):
        self._set(peer, "enabled", True)

    def do_undo_peer_enable(self, peer):
        self._set(peer, "enabled", False)

    def do_peer_reflect_client(self, peer):
        self._set(peer, "reflect_client", True)

    def do_undo_peer_reflect_client(self, peer):
        self._set(peer, "reflect_client", False)

    def _route_policy(self, peer, direction, name):
        ent = self._entity(peer)

        def setit():
            if name is None:
                ent.route_policy.pop(direction, None)
            else:
                ent.route_policy[direction] = name
        self.device.change(setit)

    def do_peer_route_policy_import(self, peer, policy):
        self._route_policy(peer, "import", policy)

    def do_peer_route_policy_export(self, peer, policy):
        self._route_policy(peer, "export", policy)

    def do_undo_peer_route_policy_import(self, peer, policy):
        self._route_policy(peer, "import", None)

    def do_undo_peer_route_policy_export(self, peer, policy):
        self._route_policy(peer, "export", None)


class _Navigation:
    """Marker: the command only moved between views."""


_NAVIGATION = _Navigation()
