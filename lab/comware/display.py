"""``display bgp peer ipv4 [verbose]`` in Comware V7's layout, filled from FRR's JSON.

Layout facts: ntc-templates' hp_comware ``display_bgp_peer_ipv4`` samples and TextFSM template
(summary), and the H3C/HP manuals' verbose examples (key lines only).
"""
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
