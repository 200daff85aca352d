"""Where the emulated device meets the real namespace: interfaces, addresses, routes and FRR.

The server process runs inside the device's namespace, so ``ip`` commands here act on it directly.
BGP configuration (RouterOS 6 instance/peers, RouterOS 7 connections/templates/instances) is
translated into FRR configuration (:mod:`lab.routeros.bgp`) and applied incrementally, so that a
change to one connection does not reset the others; session state is read back from FRR.
"""
import ipaddress
import json
import subprocess
import sys

from . import bgp
from .model import format_duration


def _ip(*args):
    proc = subprocess.run(["ip"] + list(args), check=False, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          timeout=30)
    return proc.returncode, proc.stdout, proc.stderr


class NetnsBackend:
    """Interfaces and addresses of the current namespace; BGP through an FRR instance (optional)."""

    def __init__(self, frr=None, protected=()):
        self.frr = frr
        self.protected = set(protected)  # addresses (CIDR) never removed (the management address)
        self.applied_addresses = set()
        self.applied_bgp = None  # bgp.FrrConfig last applied
        self.session_ids = {}

    # -- interfaces and addresses ---------------------------------------------------------------
    def interfaces(self, device=None):
        code, out, dummy = _ip("-j", "link", "show")
        rows = []
        if code != 0:
            return rows
        for link in json.loads(out or "[]"):
            name = link.get("ifname")
            if not name or name == "lo":
                continue
            kind = "ether" if link.get("link_type") == "ether" else link.get("link_type", "ether")
            rows.append({"name": name, "type": kind, "mtu": str(link.get("mtu", 1500)),
                         "actual-mtu": str(link.get("mtu", 1500)),
                         "mac-address": (link.get("address") or "").upper(),
                         "running": "true" if link.get("operstate") in ("UP", "UNKNOWN") else "false",
                         "disabled": "false"})
        for i, row in enumerate(rows):
            row[".id"] = "*%X" % (i + 1)
        return [dict({".id": r.pop(".id")}, **r) for r in rows]

    def kernel_addresses(self):
        code, out, dummy = _ip("-j", "-4", "addr", "show")
        found = []
        if code != 0:
            return found
        for link in json.loads(out or "[]"):
            for info in link.get("addr_info", []):
                if link.get("ifname") != "lo":
                    found.append(("%s/%s" % (info["local"], info["prefixlen"]), link["ifname"]))
        return found

    def initial_addresses(self):
        """Addresses present when the device first boots (the management address) become entries."""
        return self.kernel_addresses()

    def apply_addresses(self, device):
        want = set()
        for item in device.items(("ip", "address")):
            if item.get("disabled") == "true":
                continue
            want.add((item["address"], item["interface"]))
        have = set(self.kernel_addresses())
        for cidr, iface in sorted(have - want):
            if (cidr, iface) in self.applied_addresses and cidr not in self.protected:
                _ip("addr", "del", cidr, "dev", iface)
        for cidr, iface in sorted(want - have):
            code, dummy, err = _ip("addr", "add", cidr, "dev", iface)
            if code != 0:
                print("routeros: ip addr add %s dev %s: %s" % (cidr, iface, err.strip()), file=sys.stderr)
        self.applied_addresses = want

    # -- routes ------------------------------------------------------------------------------------
    def routes(self, device):
        rows = []
        data = {}
        if self.frr is not None:
            try:
                data = self.frr.show_json("show ip route json")
            except Exception as exc:  # pylint: disable=broad-except
                print("routeros: show ip route: %s" % exc, file=sys.stderr)
        for prefix, entries in data.items():
            for entry in entries:
                hops = entry.get("nexthops") or [{}]
                hop = hops[0]
                proto = entry.get("protocol", "")
                gateway = hop.get("ip") or hop.get("interfaceName", "")
                row = {"dst-address": prefix, "gateway": gateway,
                       "immediate-gw": ("%s%%%s" % (hop["ip"], hop.get("interfaceName", "")))
                       if hop.get("ip") else hop.get("interfaceName", ""),
                       "distance": str(entry.get("distance", 0)), "scope": "10" if proto == "connected" else "30",
                       "routing-table": "main", "active": "true" if entry.get("selected") else "false",
                       "dynamic": "true", "connect": "true" if proto == "connected" else "false",
                       "static": "true" if proto == "static" else "false",
                       "bgp": "true" if proto == "bgp" else "false",
                       "inactive": "false" if entry.get("selected") else "true", "disabled": "false"}
                rows.append(row)
        if not data:
            code, out, dummy = _ip("-j", "-4", "route", "show")
            for entry in json.loads(out or "[]") if code == 0 else []:
                dst = entry.get("dst")
                if dst == "default":
                    dst = "0.0.0.0/0"
                elif "/" not in dst:
                    dst += "/32"
                proto = entry.get("protocol", "")
                rows.append({"dst-address": dst, "gateway": entry.get("gateway", entry.get("dev", "")),
                             "distance": "0" if proto == "kernel" else "1", "routing-table": "main",
                             "active": "true", "dynamic": "true",
                             "connect": "true" if proto == "kernel" else "false", "static": "false",
                             "bgp": "true" if proto == "bgp" else "false", "inactive": "false",
                             "disabled": "false"})
        rows.sort(key=lambda r: ipaddress.ip_network(r["dst-address"]))
        return [dict({".id": "*%X" % (0x80000000 + i)}, **r) for i, r in enumerate(rows)]

    # -- BGP -------------------------------------------------------------------------------------
    def apply_bgp(self, device):
        if self.frr is None:
            return
        desired = bgp.compile_config(device)
        try:
            lines = bgp.diff_commands(self.applied_bgp, desired)
            if self.applied_bgp is None:
                # unknown starting point (first apply, or a failed one): start from no BGP at all
                stale = [line.strip() for line in self.frr.running_config().splitlines()
                         if line.startswith("router bgp ")]
                lines = ["no " + line for line in stale] + lines
            if lines:
                self.frr.configure(lines)
            self.applied_bgp = desired
        except Exception as exc:  # pylint: disable=broad-except
            # the device accepted the configuration; a daemon problem is logged, not trapped
            print("routeros: applying BGP to FRR failed: %s" % exc, file=sys.stderr)
            self.applied_bgp = None

    def _neighbors(self):
        if self.frr is None:
            return {}
        try:
            data = self.frr.show_json("show bgp neighbors json")
        except Exception:  # pylint: disable=broad-except
            return {}
        return {k: v for k, v in data.items() if isinstance(v, dict)}

    def sessions(self, device):
        """/routing/bgp/session rows (RouterOS 7) from FRR's neighbour state."""
        rows = []
        neighbors = self._neighbors()
        for conn in bgp.effective_connections(device):
            if conn["disabled"]:
                continue
            if conn["range"] is not None:
                net = ipaddress.ip_network(conn["range"])
                peers = sorted((a for a in neighbors if _in(a, net)), key=_ipkey)
            else:
                peers = [conn["address"]]
            for index, address in enumerate(peers, 1):
                state = neighbors.get(address)
                if state is None:
                    continue
                name = "%s-%d" % (conn["name"], index)
                rows.append(self._session_row(name, conn, address, state))
        return rows

    def _session_row(self, name, conn, address, n):
        sid = self.session_ids.setdefault(name, "*%X" % (len(self.session_ids) + 1))
        established = n.get("bgpState") == "Established"
        stats = n.get("messageStats", {})
        af = n.get("addressFamilyInfo", {}).get("ipv4Unicast", {})
        row = {".id": sid, "name": name}
        if conn.get("instance"):
            row["instance"] = conn["instance"]
        row.update({
            "remote.address": address, "remote.as": str(n.get("remoteAs", conn.get("remote_as") or "")),
            "local.role": conn["role"], "local.as": str(n.get("localAs", "")),
            "established": "true" if established else "false",
            "ebgp": "false" if n.get("nbrInternalLink") or n.get("remoteAs") == n.get("localAs") else "true",
            "state": n.get("bgpState", "Idle").lower(),
        })
        if established:
            row.update({
                "remote.id": n.get("remoteRouterId", ""), "local.id": n.get("localRouterId", ""),
                "local.address": n.get("hostLocal", ""), "remote.messages": str(stats.get("totalRecv", 0)),
                "local.messages": str(stats.get("totalSent", 0)), "remote.afi": "ip", "local.afi": "ip",
                "hold-time": format_duration(n.get("bgpTimerHoldTimeMsecs", 0) // 1000),
                "keepalive-time": format_duration(n.get("bgpTimerKeepAliveIntervalMsecs", 0) // 1000),
                "uptime": format_duration(n.get("bgpTimerUpMsec", 0) // 1000),
                "prefix-count": str(af.get("acceptedPrefixCounter", 0)),
            })
        else:
            row["last-stopped"] = n.get("lastResetDueTo", "")
        return row

    def v6_peer_status(self, device, item):
        """Status fields of a RouterOS 6 /routing/bgp/peer entry from FRR."""
        if item.get("disabled") == "true":
            return {"state": "idle", "established": "false"} if self.frr else {}
        n = self._neighbors().get(item.get("remote-address"))
        if n is None:
            return {}
        established = n.get("bgpState") == "Established"
        out = {"state": n.get("bgpState", "Idle").lower(), "established": "true" if established else "false"}
        if established:
            stats = n.get("messageStats", {})
            caps = n.get("neighborCapabilities", {})
            af = n.get("addressFamilyInfo", {}).get("ipv4Unicast", {})
            out.update({
                "remote-id": n.get("remoteRouterId", ""), "local-address": n.get("hostLocal", ""),
                "uptime": format_duration(n.get("bgpTimerUpMsec", 0) // 1000),
                "prefix-count": str(af.get("acceptedPrefixCounter", 0)),
                "updates-sent": str(stats.get("updatesSent", 0)),
                "updates-received": str(stats.get("updatesRecv", 0)),
                "withdrawn-sent": "0", "withdrawn-received": "0",
                "remote-hold-time": format_duration(n.get("bgpTimerHoldTimeMsecs", 0) // 1000),
                "used-hold-time": format_duration(n.get("bgpTimerHoldTimeMsecs", 0) // 1000),
                "used-keepalive-time": format_duration(n.get("bgpTimerKeepAliveIntervalMsecs", 0) // 1000),
                "refresh-capability": "true" if "routeRefresh" in caps else "false",
                "as4-capability": "true" if "4byteAs" in caps else "false",
            })
        return out


def _in(address, net):
    try:
        return ipaddress.ip_address(address) in net
    except ValueError:
        return False


def _ipkey(address):
    return ipaddress.ip_address(address)
