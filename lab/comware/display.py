"""``display bgp peer ipv4 [verbose]`` and ``display ip routing-table [protocol bgp]`` in Comware
V7's layout, filled from FRR's JSON.

Layout facts: ntc-templates' hp_comware ``display_bgp_peer_ipv4`` samples and TextFSM template
(summary), and the H3C/HP manuals' verbose examples (key lines only).
"""
import ipaddress
import re
import time

HEADER = "  Peer                    AS  MsgRcvd  MsgSent OutQ PrefRcv Up/Down  State"


def updown(seconds):
    """``hh:mm:ss`` below a day, ``NNNNhNNm`` from a day on."""
    seconds = max(0, int(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours < 24:
        return "%02d:%02d:%02d" % (hours, minutes, secs)
    return "%04dh%02dm" % (hours, minutes)


def frr_state(state):
    """FRR's state names are the RFC's, as Comware's; ``Idle (Admin)`` and friends -> ``Idle``."""
    state = (state or "Idle").split()[0]
    return state


def _rows(bgp, summary, neighbors, now):
    """(peer key as shown, dynamic, remote AS, FRR summary entry, seconds in state)."""
    peers = (summary.get("ipv4Unicast") or {}).get("peers") or {}
    rows = []
    for ip, info in peers.items():
        dynamic = bool(info.get("dynamicPeer")) or (neighbors.get(ip) or {}).get("dynamicPeer", False)
        if info.get("state") == "Established":
            secs = info.get("peerUptimeMsec", 0) / 1000.0
        else:
            conf = bgp.peers.get(ip)
            secs = now - conf.created if conf is not None else 0
        rows.append((ip, dynamic, info.get("remoteAs", 0), info, secs))
    rows.sort(key=lambda r: tuple(int(x) for x in r[0].split(".")))
    return rows


def peer_table(bgp, summary, neighbors, now=None):
    now = time.time() if now is None else now
    if bgp is None:
        return ""
    top = summary.get("ipv4Unicast") or {}
    router_id = top.get("routerId") or bgp.router_id or "0.0.0.0"
    rows = _rows(bgp, summary, neighbors, now)
    established = sum(1 for r in rows if r[3].get("state") == "Established")
    lines = ["",
             " BGP local router ID: %s" % router_id,
             " Local AS number: %d" % bgp.asn,
             " Total number of peers: %-17d Peers in established state: %d" % (len(rows), established),
             ""]
    if not rows:
        return "\n".join(lines) + "\n"
    lines += ["  * - Dynamically created peer", HEADER, ""]
    for ip, dynamic, remote_as, info, secs in rows:
        peer = ("*" + ip) if dynamic else ip
        lines.append("  %-15s %10s %8d %8d %4d %7d %-8s %s" % (
            peer, remote_as, info.get("msgRcvd", 0), info.get("msgSent", 0), info.get("outq", 0),
            info.get("pfxRcd", 0), updown(secs), frr_state(info.get("state"))))
    return "\n".join(lines) + "\n"


def _hms(secs):
    secs = int(secs)
    h, rest = divmod(secs, 3600)
    m, s = divmod(rest, 60)
    return "%02dh%02dm%02ds" % (h, m, s)


def peer_verbose(bgp, summary, neighbors, only=None, now=None):
    now = time.time() if now is None else now
    if bgp is None:
        return ""
    top = summary.get("ipv4Unicast") or {}
    local_id = top.get("routerId") or bgp.router_id or "0.0.0.0"
    out = []
    for ip, dynamic, remote_as, info, secs in _rows(bgp, summary, neighbors, now):
        if only is not None and ip != only:
            continue
        nb = neighbors.get(ip) or {}
        state = frr_state(info.get("state"))
        link = "IBGP link" if remote_as == bgp.asn else "EBGP link"
        msgs = nb.get("messageStats") or {}
        out += ["",
                "         Peer: %s  Local: %s" % (ip, local_id),
                "         Type: %s" % link,
                "         BGP version 4, remote router ID %s" % nb.get("remoteRouterId", "0.0.0.0"),
                "         BGP current state: %s%s" % (
                    state, (", Up for %s" % _hms(secs)) if state == "Established" else ""),
                "         BGP current event: %s" % ("RecvKeepalive" if state == "Established" else "ConnectRetryTimerExpired"),
                "         BGP last state: %s" % ((nb.get("lastResetDueTo") and "Idle") or ("OpenConfirm" if state == "Established" else state)),
                "         Port:  Local - %s      Remote - %s" % (nb.get("portLocal", 0), nb.get("portForeign", 0)),
                "         Configured: Active Hold Time: %d sec   Keepalive Time: %d sec" % (
                    nb.get("bgpTimerConfiguredHoldTimeMsecs", 180000) // 1000,
                    nb.get("bgpTimerConfiguredKeepAliveIntervalMsecs", 60000) // 1000),
                "         Received  : Active Hold Time: %d sec" % (nb.get("bgpTimerHoldTimeMsecs", 0) // 1000),
                "         Negotiated: Active Hold Time: %d sec   Keepalive Time: %d sec" % (
                    nb.get("bgpTimerHoldTimeMsecs", 0) // 1000, nb.get("bgpTimerKeepAliveIntervalMsecs", 0) // 1000),
                "         Address family IPv4 Unicast: advertised and received",
                "",
                " Received: Total %d messages, Update messages %d" % (
                    msgs.get("totalRecv", info.get("msgRcvd", 0)), msgs.get("updatesRecv", 0)),
                " Sent: Total %d messages, Update messages %d" % (
                    msgs.get("totalSent", info.get("msgSent", 0)), msgs.get("updatesSent", 0)),
                " Maximum allowed route limit: 4294967295",
                " Threshold: 75%",
                " Minimum time between advertisements: %d seconds" % (30 if link == "EBGP link" else 15),
                " Optional capabilities:",
                "  Multi-protocol extended capability has been enabled",
                "  Route refresh capability has been enabled",
                " Peer preferred value: 0",
                " BFD: %s" % ("Enabled" if _bfd(bgp, ip) else "Disabled"),
                " Routing policy configured:",
                "  No routing policy is configured"]
    if not out:
        return ""
    return "\n".join(out) + "\n"


def _bfd(bgp, ip):
    peer = bgp.peers.get(ip)
    if peer is None:
        return False
    if peer.bfd is not None:
        return True
    return peer.group is not None and bgp.groups[peer.group].bfd is not None


# -- display ip routing-table ---------------------------------------------------------------------
# Comware V7's layout (H3C "Layer 3 - IP Routing Command Reference", display ip routing-table):
#
#   Destinations : 13        Routes : 13
#
#   Destination/Mask   Proto   Pre Cost        NextHop         Interface
#   0.0.0.0/32         Direct  0   0           127.0.0.1       InLoop0
#   10.233.64.0/26     BGP     255 0           172.20.0.11     GE1/0/1
#                                              172.21.0.11     GE1/0/2       (an ECMP next hop)
#
# Only active routes; Direct routes come from the interface addresses (network, network/32,
# host/32 on InLoop0, broadcast/32), plus the fixed InLoop0/NULL0 entries every device has.
ROUTE_HEADER = "Destination/Mask   Proto   Pre Cost        NextHop         Interface"
ROUTE_ROW = "%-18s %-7s %-3s %-11s %-15s %s"
ROUTE_MORE = " " * 43 + "%-15s %s"

# FRR protocol -> (Comware Proto, preference)
PROTOCOLS = {"connected": ("Direct", 0), "static": ("Static", 60), "kernel": ("Static", 60),
             "bgp": ("BGP", 255), "ospf": ("O_INTRA", 10), "rip": ("RIP", 100), "isis": ("IS_L1", 15)}

_FIXED = [("0.0.0.0/32", "127.0.0.1", "InLoop0"), ("127.0.0.0/8", "127.0.0.1", "InLoop0"),
          ("127.0.0.0/32", "127.0.0.1", "InLoop0"), ("127.0.0.1/32", "127.0.0.1", "InLoop0"),
          ("127.255.255.255/32", "127.0.0.1", "InLoop0"), ("224.0.0.0/4", "0.0.0.0", "NULL0"),
          ("224.0.0.0/24", "0.0.0.0", "NULL0"), ("255.255.255.255/32", "127.0.0.1", "InLoop0")]


def interface_names(interfaces):
    """Linux interface name -> the abbreviated Comware name the routing table shows.

    ``lo`` -> InLoop0, ``mgmt*`` -> M-GE0/0/0, ``vlanN`` -> VlanN, ``geN`` -> GE1/0/N,
    ``xgeN`` -> XGE1/0/N, ``loopN`` -> LoopN; any other name gets the next free GE1/0/N in the
    order of the interface index.
    """
    names, generic = {}, []
    for name, info in sorted(interfaces.items(), key=lambda item: ((item[1] or {}).get("index", 0), item[0])):
        lower = name.lower()
        match = re.fullmatch(r"(vlan|vlan-interface|vlanif|ge|xge|loop|loopback)(\d+)", lower)
        if lower == "lo":
            names[name] = "InLoop0"
        elif lower.startswith("mgmt"):
            names[name] = "M-GE0/0/0"
        elif match:
            kind, num = match.groups()
            names[name] = {"ge": "GE1/0/%s", "xge": "XGE1/0/%s", "loop": "Loop%s",
                           "loopback": "Loop%s"}.get(kind, "Vlan%s") % num
        else:
            generic.append(name)
    used = set(names.values())
    number = 1
    for name in generic:
        while "GE1/0/%d" % number in used:
            number += 1
        names[name] = "GE1/0/%d" % number
        used.add(names[name])
    return names


def _direct_routes(interfaces, ifnames):
    """(network, next hop, interface) of the Direct routes of the interface addresses (IPv4)."""
    out = []
    for name, info in sorted((interfaces or {}).items()):
        if (info or {}).get("operationalStatus", "up") != "up":
            continue
        for entry in (info or {}).get("ipAddresses") or []:
            try:
                iface = ipaddress.ip_interface(entry.get("address", ""))
            except ValueError:
                continue
            if iface.version != 4 or iface.ip.is_loopback:
                continue
            host = "%s/32" % iface.ip
            if name == "lo" or iface.network.prefixlen >= 31:
                out.append((host, "127.0.0.1", "InLoop0"))
                if iface.network.prefixlen == 31:
                    out.append((str(iface.network), str(iface.ip), ifnames[name]))
                continue
            net, local, ifname = iface.network, str(iface.ip), ifnames[name]
            out += [(str(net), local, ifname), ("%s/32" % net.network_address, local, ifname),
                    (host, "127.0.0.1", "InLoop0"), ("%s/32" % net.broadcast_address, local, ifname)]
    return out


def _hops(entry, ifnames):
    """(next hop, interface) of one FRR route entry's active next hops (a recursive one takes the
    interface of the next hop that resolves it)."""
    hops = entry.get("nexthops") or []
    out = []
    for i, hop in enumerate(hops):
        if hop.get("resolver") or hop.get("active") is False:
            continue
        if hop.get("blackhole") or hop.get("unreachable"):
            out.append(("0.0.0.0", "NULL0"))
            continue
        ifname = hop.get("interfaceName")
        if ifname is None:
            for later in hops[i + 1:]:
                if not later.get("resolver"):
                    break
                if later.get("interfaceName"):
                    ifname = later["interfaceName"]
                    break
        out.append((hop.get("ip", "0.0.0.0"), ifnames.get(ifname, "NULL0") if ifname else "NULL0"))
    return out


def route_entries(routes, interfaces, selected=True, protocol=None):
    """``[(network, Proto, Pre, Cost, [(next hop, interface)])]`` sorted by destination, from FRR's
    ``show ip route json`` (``routes``) and ``show interface json`` (``interfaces``).

    ``selected``: the active routes (True) or the inactive ones (False); ``protocol``: only the
    routes of that FRR protocol (``bgp``), and then no Direct/fixed entries.
    """
    ifnames = interface_names(interfaces or {})
    table = {}
    if protocol in (None, "connected") and selected:
        for net, hop, ifname in _FIXED + _direct_routes(interfaces, ifnames):
            table.setdefault(net, ("Direct", 0, 0, []))[3].append((hop, ifname))
    for prefix, entries in sorted((routes or {}).items()):
        for entry in entries:
            proto = entry.get("protocol")
            if proto == "connected" or (protocol is not None and proto != protocol):
                continue
            if bool(entry.get("selected")) != selected or proto not in PROTOCOLS:
                continue
            hops = _hops(entry, ifnames)
            if not hops:
                continue
            name, pre = PROTOCOLS[proto]
            net = str(ipaddress.ip_network(entry.get("prefix") or prefix, strict=False))
            if net in table and selected:
                continue  # one active route per destination
            table.setdefault(net, (name, pre, entry.get("metric", 0), []))[3].extend(hops)
    rows = []
    for net in sorted(table, key=lambda n: (int(ipaddress.ip_network(n).network_address),
                                            ipaddress.ip_network(n).prefixlen)):
        name, pre, cost, hops = table[net]
        seen = []
        for hop in hops:
            if hop not in seen:
                seen.append(hop)
        rows.append((net, name, pre, cost, seen))
    return rows


def _route_lines(entries):
    lines = [ROUTE_HEADER]
    for net, name, pre, cost, hops in entries:
        lines.append(ROUTE_ROW % (net, name, pre, cost, hops[0][0], hops[0][1]))
        lines += [ROUTE_MORE % hop for hop in hops[1:]]
    return lines


def routing_table(routes, interfaces):
    """``display ip routing-table``."""
    entries = route_entries(routes, interfaces)
    count = sum(len(e[4]) for e in entries)
    return "\n".join(["", "Destinations : %-8d Routes : %d" % (len(entries), count), ""]
                     + _route_lines(entries)) + "\n"


def routing_table_protocol(routes, interfaces, protocol="bgp", label="BGP"):
    """``display ip routing-table protocol bgp``: a summary, then the active and the inactive routes."""
    active = route_entries(routes, interfaces, selected=True, protocol=protocol)
    inactive = route_entries(routes, interfaces, selected=False, protocol=protocol)
    total = sum(len(e[4]) for e in active + inactive)
    lines = ["", "Summary count : %d" % total, ""]
    for status, entries in (("Active", active), ("Inactive", inactive)):
        lines += ["%s Routing table status : <%s>" % (label, status),
                  "Summary count : %d" % sum(len(e[4]) for e in entries), ""]
        if entries:
            lines += _route_lines(entries) + [""]
    return "\n".join(lines[:-1]) + "\n"
