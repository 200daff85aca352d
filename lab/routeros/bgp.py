"""RouterOS BGP configuration -> FRR configuration, applied incrementally.

Semantics carried over (RouterOS 7): a connection inherits from its ``templates`` (``default`` when
unset); ``local.role`` ``ibgp*`` peers inside the AS, ``ebgp*`` outside (used when ``remote.as`` is
not given, as RouterOS learns it from the OPEN); ``ibgp-rr`` means *this* router reflects to that
peer (FRR ``route-reflector-client``); a ``remote.address`` that is a prefix is a listen range
(FRR ``bgp listen range`` + a peer-group); ``connect=no`` is passive; ``tcp-md5-key`` is the TCP MD5
password; ``multihop=yes`` allows eBGP over more than one hop.  RouterOS 6: ``/routing/bgp/instance``
carries ``as``/``router-id``/``cluster-id``/redistribution, ``/routing/bgp/peer`` ``route-reflect=yes``
makes the peer a reflection client.  RouterOS advertises nothing by default but what
``output.network`` (an address list; v6 ``/routing/bgp/network``) or redistribution names; a listed
network is sent only when a matching route exists (FRR's import check; v6 ``synchronize=no`` turns
it off).  FRR 8's eBGP policy requirement is turned off because a RouterOS device has none.
"""
import ipaddress
import re

from .model import parse_duration

V7 = (7, 0, 0)
V7_20 = (7, 20, 0)
REDIST_MAP = {"connected": "connected", "static": "static", "ospf": "ospf", "rip": "rip"}


class FrrConfig:
    """What one ``router bgp`` block should contain, split so that changes can be applied per peer."""

    def __init__(self, asn=None):
        self.asn = asn
        self.globals = []  # lines directly under router bgp (not per neighbour)
        self.af_globals = []  # lines under address-family ipv4 unicast
        self.peers = {}  # key -> (lines, af_lines, removal_lines)

    def empty(self):
        return self.asn is None

    def full_lines(self):
        lines = ["router bgp %s" % self.asn] + self.globals
        for peer in self.peers.values():
            lines += peer[0]
        lines += ["address-family ipv4 unicast"] + self.af_globals
        for peer in self.peers.values():
            lines += peer[1]
        lines += ["exit-address-family", "exit"]
        return lines

    def __eq__(self, other):
        return isinstance(other, FrrConfig) and (self.asn, self.globals, self.af_globals, self.peers) == (
            other.asn, other.globals, other.af_globals, other.peers)


def diff_commands(old, new):
    """vtysh configuration lines turning ``old`` (applied, or None) into ``new``."""
    if old is not None and not old.empty():
        if new.empty() or old.asn != new.asn or old.globals != new.globals or old.af_globals != new.af_globals:
            return ["no router bgp %s" % old.asn] + ([] if new.empty() else new.full_lines())
        lines, af = [], []
        for key, peer in old.peers.items():
            if key not in new.peers or new.peers[key] != peer:
                lines += peer[2]
        for key, peer in new.peers.items():
            if key not in old.peers or old.peers[key] != peer:
                lines += peer[0]
                af += peer[1]
        if not lines and not af:
            return []
        out = ["router bgp %s" % new.asn] + lines
        if af:
            out += ["address-family ipv4 unicast"] + af + ["exit-address-family"]
        return out + ["exit"]
    return [] if new.empty() else new.full_lines()


def _bool(value):
    return str(value).lower() in ("true", "yes")


def _is_ip(value):
    try:
        ipaddress.ip_address(value)
        return True
    except (ValueError, TypeError):
        return False


def _seconds(value):
    if value in (None, ""):
        return None
    if value == "infinity":
        return 0
    return parse_duration(value)


def _group_name(name):
    return "ros-" + re.sub(r"[^A-Za-z0-9_.-]", "_", name)


def effective_connections(device):
    """RouterOS 7 connections with template/instance inheritance resolved (list of dicts)."""
    if device.version < V7:
        return []
    templates = {t.get("name"): t for t in device.items(("routing", "bgp", "template"))}
    instances = {i.get("name"): i for i in device.items(("routing", "bgp", "instance"))} \
        if device.version >= V7_20 else {}
    out = []
    for item in device.items(("routing", "bgp", "connection")):
        merged = {}
        for tname in reversed((item.get("templates") or "default").split(",")):
            merged.update({k: v for k, v in templates.get(tname, {}).items() if k not in (".id", "name")})
        merged.update(item)
        inst = instances.get(item.get("instance")) if item.get("instance") else None
        local_as = item.get("as") or (inst or {}).get("as") or merged.get("as") or "65530"
        addr = item.get("remote.address", "")
        role = item.get("local.role", "ebgp")
        disabled = _bool(item.get("disabled", "false")) or (inst is not None and _bool(inst.get("disabled", "false")))
        out.append({
            "name": item.get("name", item[".id"]), "id": item[".id"], "role": role,
            "address": None if "/" in addr else addr, "range": addr if "/" in addr else None,
            "as": local_as, "remote_as": item.get("remote.as"), "disabled": disabled,
            "instance": item.get("instance"),
            "router_id": (inst or {}).get("router-id") or merged.get("router-id"),
            "cluster_id": (inst or {}).get("cluster-id") or merged.get("cluster-id"),
            "hold": merged.get("hold-time"), "keepalive": merged.get("keepalive-time"),
            "multihop": _bool(merged.get("multihop", "false")), "ttl": item.get("remote.ttl"),
            "md5": merged.get("tcp-md5-key"), "local_address": merged.get("local.address"),
            "port": merged.get("remote.port"), "connect": _bool(item.get("connect", "true")),
            "redistribute": merged.get("output.redistribute", ""),
            "network": merged.get("output.network"),
            "default_originate": merged.get("output.default-originate", "never"),
            "allow_as": merged.get("input.allow-as"),
            "as_override": _bool(merged.get("output.as-override", merged.get("as-override", "false"))),
            "remove_private": _bool(merged.get("output.remove-private-as", "false")),
            "nexthop": merged.get("nexthop-choice", "default"),
            "reflect": role == "ibgp-rr",
            "client_to_client": not _bool(merged.get("output.no-client-to-client-reflection", "false")),
        })
    return out


def _v6_peers(device):
    instances = {i.get("name"): i for i in device.items(("routing", "bgp", "instance"))}
    out = []
    for item in device.items(("routing", "bgp", "peer")):
        inst = instances.get(item.get("instance", "default"), {})
        ttl = item.get("ttl", "default")
        out.append({
            "name": item.get("name", item[".id"]), "id": item[".id"], "role": None,
            "address": item.get("remote-address"), "range": None, "as": inst.get("as", "65530"),
            "remote_as": item.get("remote-as"),
            "disabled": _bool(item.get("disabled", "false")) or _bool(inst.get("disabled", "false")),
            "router_id": inst.get("router-id"), "cluster_id": inst.get("cluster-id"),
            "hold": item.get("hold-time"), "keepalive": item.get("keepalive-time"),
            "multihop": _bool(item.get("multihop", "false")), "ttl": None if ttl == "default" else ttl,
            "md5": item.get("tcp-md5-key"), "local_address": item.get("update-source"),
            "port": item.get("remote-port"), "connect": not _bool(item.get("passive", "false")),
            "redistribute": ",".join(k for k in ("connected", "static", "rip", "ospf")
                                     if _bool(inst.get("redistribute-%s" % k, "false"))),
            "default_originate": item.get("default-originate", "never"),
            "allow_as": item.get("allow-as-in"), "as_override": _bool(item.get("as-override", "false")),
            "remove_private": _bool(item.get("remove-private-as", "false")),
            "nexthop": item.get("nexthop-choice", "default"),
            "reflect": _bool(item.get("route-reflect", "false")),
            "client_to_client": _bool(inst.get("client-to-client-reflection", "true")),
        })
    return out


def _prefix(text):
    return str(ipaddress.ip_network(text, strict=False))


def _networks(device, conns):
    """Prefixes to originate -> synchronize (advertise only when a matching route exists).

    RouterOS 7: the entries of the address lists named in the connections' ``output.network``
    (sent only when a matching route exists, FRR's import check).  RouterOS 6: ``/routing/bgp/network``.
    """
    out = {}
    if device.version < V7:
        for item in device.items(("routing", "bgp", "network")):
            if not _bool(item.get("disabled", "false")):
                out[_prefix(item["network"])] = _bool(item.get("synchronize", "true"))
        return out
    lists = {c["network"] for c in conns if c.get("network")}
    for item in device.items(("ip", "firewall", "address-list")):
        if item.get("list") in lists and not _bool(item.get("disabled", "false")):
            out[_prefix(item["address"])] = True
    return out


def compile_config(device):
    conns = _v6_peers(device) if device.version < V7 else effective_connections(device)
    conns = [c for c in conns if not c["disabled"] and (c["address"] or c["range"])]
    if not conns:
        return FrrConfig()
    cfg = FrrConfig(int(conns[0]["as"]))
    cfg.globals = ["no bgp ebgp-requires-policy"]
    networks = _networks(device, conns)
    if any(not sync for sync in networks.values()):
        cfg.globals.append("no bgp network import-check")
    rid = next((c["router_id"] for c in conns if _is_ip(c["router_id"]) and c["router_id"] != "0.0.0.0"), None)
    if rid:
        cfg.globals.append("bgp router-id %s" % rid)
    cluster = next((c["cluster_id"] for c in conns if c["cluster_id"]), None)
    if cluster:
        cfg.globals.append("bgp cluster-id %s" % cluster)
    if not all(c["client_to_client"] for c in conns):
        cfg.globals.append("no bgp client-to-client reflection")
    redist = set()
    for c in conns:
        redist.update(r for r in (c["redistribute"] or "").split(",") if r in REDIST_MAP)
    cfg.af_globals = ["redistribute %s" % REDIST_MAP[r] for r in sorted(redist)]
    cfg.af_globals += ["network %s" % n for n in sorted(networks, key=ipaddress.ip_network)]
    for c in conns:
        cfg.peers[c["id"]] = _peer_lines(c, cfg.asn)
    return cfg


def _peer_lines(c, asn):
    if c["remote_as"]:
        remote_as = c["remote_as"]
    elif c["role"] is not None:
        remote_as = "internal" if c["role"].startswith("ibgp") else "external"
    else:
        remote_as = "external"
    if c["range"]:
        target = _group_name(c["name"])
        lines = ["neighbor %s peer-group" % target, "neighbor %s remote-as %s" % (target, remote_as)]
        removal = ["no bgp listen range %s peer-group %s" % (c["range"], target), "no neighbor %s peer-group" % target]
    else:
        target = c["address"]
        lines = ["neighbor %s remote-as %s" % (target, remote_as)]
        removal = ["no neighbor %s" % target]
    lines.append("neighbor %s description %s" % (target, re.sub(r"\s+", "_", c["name"])))
    if int(c["as"]) != asn:
        lines.append("neighbor %s local-as %s no-prepend replace-as" % (target, c["as"]))
    if c["md5"]:
        lines.append("neighbor %s password %s" % (target, c["md5"]))
    if c["local_address"] and c["local_address"] not in ("none", ""):
        lines.append("neighbor %s update-source %s" % (target, c["local_address"]))
    if c["port"]:
        lines.append("neighbor %s port %s" % (target, c["port"]))
    if not c["connect"] or c["range"]:
        if not c["range"]:
            lines.append("neighbor %s passive" % target)
    ebgp = remote_as == "external" or (remote_as != "internal" and int(remote_as) != int(c["as"]))
    if c["multihop"] and ebgp:
        lines.append("neighbor %s ebgp-multihop %s" % (target, c["ttl"] or 255))
    hold, keep = _seconds(c["hold"]), _seconds(c["keepalive"])
    if hold is not None or keep is not None:
        if hold is None:
            hold = 180
        if keep is None:
            keep = hold // 3
        lines.append("neighbor %s timers %d %d" % (target, min(keep, 65535), hold))
    if c["range"]:
        lines.append("bgp listen range %s peer-group %s" % (c["range"], target))
    af = []
    if c["reflect"]:
        af.append("neighbor %s route-reflector-client" % target)
    if c["default_originate"] in ("always", "if-installed"):
        af.append("neighbor %s default-originate" % target)
    if c["allow_as"]:
        af.append("neighbor %s allowas-in %s" % (target, c["allow_as"]))
    if c["as_override"]:
        af.append("neighbor %s as-override" % target)
    if c["remove_private"]:
        af.append("neighbor %s remove-private-AS" % target)
    if c["nexthop"] == "force-self":
        af.append("neighbor %s next-hop-self" % target)
    return (lines, af, removal)
