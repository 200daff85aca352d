"""The emulated device's BGP configuration: the model, Comware's rendering of it, the cipher form of
passwords, and the FRR configuration that realises it (the session itself is FRR's).
"""
import base64
import hashlib
import os
import time

CIPHER_PREFIX = "$c$3$"
_CIPHER_KEY = b"kubefabric-lab-comware"


def encrypt_password(plain):
    """Comware shows ``password cipher $c$3$...``; a fresh salt each time, like the device."""
    salt = os.urandom(4)
    data = plain.encode()
    stream = hashlib.sha256(salt + _CIPHER_KEY).digest()
    while len(stream) < len(data):
        stream += hashlib.sha256(stream).digest()
    body = bytes(a ^ b for a, b in zip(data, stream))
    return CIPHER_PREFIX + base64.b64encode(salt + body).decode()


def decrypt_password(cipher):
    """Plain text of a ``$c$3$`` string made by :func:`encrypt_password`; ValueError otherwise."""
    if not cipher.startswith(CIPHER_PREFIX):
        raise ValueError("not a cipher password")
    try:
        raw = base64.b64decode(cipher[len(CIPHER_PREFIX):], validate=True)
    except ValueError:
        raise ValueError("bad cipher password") from None
    if len(raw) < 5:
        raise ValueError("bad cipher password")
    salt, body = raw[:4], raw[4:]
    stream = hashlib.sha256(salt + _CIPHER_KEY).digest()
    while len(stream) < len(body):
        stream += hashlib.sha256(stream).digest()
    try:
        return bytes(a ^ b for a, b in zip(body, stream)).decode()
    except UnicodeDecodeError:
        raise ValueError("bad cipher password") from None


class PeerAttrs:
    """Settings a peer and a peer group share (BGP instance view and IPv4 unicast view)."""

    def __init__(self):
        self.description = None
        self.password_cipher = None  # as displayed; plain text via decrypt_password
        self.connect_interface = None
        self.timer = None  # (keepalive, hold)
        self.ebgp_max_hop = None
        self.bfd = None  # "", "echo", "single-hop"
        # IPv4 unicast address family
        self.enabled = False
        self.reflect_client = False
        self.route_policy = {}  # "import"/"export" -> name


class Group(PeerAttrs):
    def __init__(self, name, kind):
        super().__init__()
        self.name = name
        self.kind = kind  # "internal" / "external"
        self.asn = None


class Peer(PeerAttrs):
    def __init__(self, ip, mask=None):
        super().__init__()
        self.ip = ip
        self.mask = mask  # a dynamic-peer range when set
        self.asn = None
        self.group = None
        self.created = time.time()

    @property
    def key(self):
        return self.ip if self.mask is None else "%s %d" % (self.ip, self.mask)


def _ip_sort(key):
    ip = key.split()[0]
    return tuple(int(x) for x in ip.split(".")), key


class Bgp:
    def __init__(self, asn):
        self.asn = asn
        self.router_id = None
        self.groups = {}
        self.peers = {}
        self.ipv4 = False  # address-family ipv4 unicast exists

    # -- lookups ----------------------------------------------------------------------------------
    def entity(self, ref):
        """The Group or Peer a PeerRef names, or None."""
        if ref.is_group:
            return self.groups.get(ref.group)
        return self.peers.get(ref.key)

    def effective_asn(self, peer):
        if peer.asn is not None:
            return peer.asn
        if peer.group is not None:
            group = self.groups[peer.group]
            if group.kind == "internal":
                return self.asn
            return group.asn
        return None

    def is_ibgp(self, ent):
        if isinstance(ent, Group):
            return ent.kind == "internal" or ent.asn == self.asn
        return self.effective_asn(ent) == self.asn

    # -- Comware rendering ------------------------------------------------------------------------
    def comware_lines(self):
        """``display current-configuration configuration bgp`` body, one-space indentation."""
        out = ["bgp %d" % self.asn]
        if self.router_id:
            out.append(" router-id %s" % self.router_id)
        groups = [self.groups[k] for k in sorted(self.groups)]
        peers = [self.peers[k] for k in sorted(self.peers, key=_ip_sort)]
        for g in groups:
            out.append(" group %s %s" % (g.name, g.kind))
            if g.asn is not None:
                out.append(" peer %s as-number %d" % (g.name, g.asn))
        for p in peers:
            if p.asn is not None:
                out.append(" peer %s as-number %d" % (p.key, p.asn))
            if p.group is not None:
                out.append(" peer %s group %s" % (p.key, p.group))
        for ent, name in [(g, g.name) for g in groups] + [(p, p.key) for p in peers]:
            if ent.description is not None:
                out.append(" peer %s description %s" % (name, ent.description))
            if ent.connect_interface is not None:
                out.append(" peer %s connect-interface %s" % (name, ent.connect_interface))
            if ent.password_cipher is not None:
                out.append(" peer %s password cipher %s" % (name, ent.password_cipher))
            if ent.timer is not None:
                out.append(" peer %s timer keepalive %d hold %d" % ((name,) + tuple(ent.timer)))
            if ent.ebgp_max_hop is not None:
                out.append(" peer %s ebgp-max-hop %d" % (name, ent.ebgp_max_hop))
            if ent.bfd is not None:
                out.append((" peer %s bfd %s" % (name, ent.bfd)).rstrip())
        if self.ipv4:
            out.append(" #")
            out.append(" address-family ipv4 unicast")
            ents = [(g, g.name) for g in groups] + [(p, p.key) for p in peers]
            for ent, name in ents:
                if ent.enabled:
                    out.append("  peer %s enable" % name)
            for ent, name in ents:
                if ent.reflect_client:
                    out.append("  peer %s reflect-client" % name)
                for direction in ("import", "export"):
                    if direction in ent.route_policy:
                        out.append("  peer %s route-policy %s %s" % (
                            name, ent.route_policy[direction], direction))
        return out

    # -- FRR rendering ----------------------------------------------------------------------------
    def frr_items(self):
        """The FRR ``router bgp`` configuration as an ordered list of (key, line, af) items.

        ``key`` identifies one setting, so that a changed value re-sends one line and a removed key
        is undone with ``no <line>``; ``af`` is True for lines inside ``address-family ipv4``.
        The order is the order FRR needs (groups before members, neighbours before attributes).
        """
        items = [(("base", "default-ipv4"), "no bgp default ipv4-unicast", False),
                 (("base", "policy"), "no bgp ebgp-requires-policy", False)]
        if self.router_id:
            items.append((("router-id",), "bgp router-id %s" % self.router_id, False))
        names = {}
        for g in (self.groups[k] for k in sorted(self.groups)):
            frr_name = "G_" + g.name
            names[g.name] = frr_name
            items.append((("nbr", frr_name, "exists"), "neighbor %s peer-group" % frr_name, False))
            remote = g.asn if g.asn is not None else g.kind
            items.append((("nbr", frr_name, "remote-as"), "neighbor %s remote-as %s" % (frr_name, remote),
                          False))
        dyn_groups = []
        for p in (self.peers[k] for k in sorted(self.peers, key=_ip_sort)):
            if p.mask is not None:
                prefix = "%s/%d" % (p.ip, p.mask)
                if p.group is not None:
                    pg = names[p.group]
                else:
                    pg = "D_%s_%d" % (p.ip, p.mask)
                    dyn_groups.append((pg, p))
                    items.append((("nbr", pg, "exists"), "neighbor %s peer-group" % pg, False))
                    items.append((("nbr", pg, "remote-as"), "neighbor %s remote-as %s" % (pg, p.asn), False))
                items.append((("listen", prefix), "bgp listen range %s peer-group %s" % (prefix, pg), False))
                names[p.key] = pg
                continue
            names[p.key] = p.ip
            if p.asn is not None:
                items.append((("nbr", p.ip, "remote-as"), "neighbor %s remote-as %d" % (p.ip, p.asn), False))
            if p.group is not None:
                items.append((("nbr", p.ip, "peer-group"), "neighbor %s peer-group %s" % (p.ip, names[p.group]),
                              False))
        ents = [(g, names[g.name]) for g in (self.groups[k] for k in sorted(self.groups))]
        ents += [(p, names[p.key]) for p in (self.peers[k] for k in sorted(self.peers, key=_ip_sort))
                 if p.mask is None or p.group is None]
        for ent, name in ents:
            if ent.description is not None:
                items.append((("nbr", name, "description"), "neighbor %s description %s" % (name, ent.description),
                              False))
            if ent.password_cipher is not None:
                try:
                    plain = decrypt_password(ent.password_cipher)
                except ValueError:
                    plain = None
                if plain:
                    items.append((("nbr", name, "password"), "neighbor %s password %s" % (name, plain), False))
            if ent.connect_interface is not None:
                items.append((("nbr", name, "update-source"),
                              "neighbor %s update-source %s" % (name, frr_ifname(ent.connect_interface)), False))
            if ent.timer is not None:
                items.append((("nbr", name, "timers"), "neighbor %s timers %d %d" % ((name,) + tuple(ent.timer)),
                              False))
            if ent.ebgp_max_hop is not None and not self.is_ibgp(ent):
                items.append((("nbr", name, "ebgp-multihop"),
                              "neighbor %s ebgp-multihop %d" % (name, ent.ebgp_max_hop), False))
            if ent.bfd is not None:
                items.append((("nbr", name, "bfd"), "neighbor %s bfd" % name, False))
        if self.ipv4:
            for ent, name in ents:
                if ent.enabled:
                    items.append((("af", name, "activate"), "neighbor %s activate" % name, True))
            for ent, name in ents:
                if ent.reflect_client and self.is_ibgp(ent):
                    items.append((("af", name, "rr"), "neighbor %s route-reflector-client" % name, True))
                for direction, frr_dir in (("import", "in"), ("export", "out")):
                    if direction in ent.route_policy:
                        items.append((("af", name, "route-map", frr_dir),
                                      "neighbor %s route-map %s %s" % (name, ent.route_policy[direction], frr_dir),
                                      True))
        return items


def frr_ifname(comware_name):
    """``LoopBack0`` is the namespace's ``lo``; other names are passed through lower-cased."""
    if comware_name.lower() == "loopback0":
        return "lo"
    return comware_name.lower()
