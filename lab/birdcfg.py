"""BIRD 1.6 configuration in calico-node's format (confd's ``bird*.cfg`` templates).

:func:`render_node` produces the six files calico-node writes for one node - ``bird.cfg``,
``bird_aggr.cfg``, ``bird_ipam.cfg`` and the IPv6 ``bird6*.cfg`` - from the peering engine's
sessions (:mod:`lab.confd`, or any objects with the same attributes), the node's IPAM block affinities, the IP pools and the
BGPConfiguration (service CIDRs, communities, listen port, log level, ignored interfaces,
route priorities, programClusterRoutes) and BGPFilters. Debian's ``bird`` package (BIRD 1.6.8)
loads the output unchanged: ``bird -c bird.cfg`` with the include files beside it. This is the
lab's calico-node (lab/calico_node.py); the collection itself never renders BIRD files.

:func:`render_peer` renders one ``protocol bgp`` block on its own.
"""

from __future__ import annotations

import hashlib
import ipaddress

from .confd import Model, node_sessions


class RenderError(ValueError):
    """What calico-node could not render (the message names the object and the field)."""


BIRD_INT_MAX = 2147483647
OVERRIDE_PREFERENCE = 200
MAX_BIRD_SYMBOL = 64
# "calico": confd's output exactly (krt_tunnel needs calico's BIRD fork when BIRD programs IPIP routes);
# "stock": for Debian's BIRD 1.6, which has no krt_tunnel: IPIP cluster routes are left to Felix.
BIRD_VARIANTS = ("calico", "stock")
_FILTER_AFFIXES = len("bgp__importFilterV4")

_DIRECT_COMMENT = [
    " # Exclude cali* and kube-ipvs* but",
    "                                          # include everything else.  In",
    "                                          # IPVS-mode, kube-proxy creates a",
    "                                          # kube-ipvs0 interface. We exclude",
    "                                          # kube-ipvs0 because this interface",
    "                                          # gets an address for every in use",
    "                                          # cluster IP. We use static routes",
    "                                          # for when we legitimately want to",
    "                                          # export cluster IPs.",
]
_DEFAULT_INTERFACES = '-"cali*", -"kube-ipvs*", "*"'


# --------------------------------------------------------------------------------------------
# helpers


def truncate_filter_name(name, max_length=MAX_BIRD_SYMBOL - _FILTER_AFFIXES):
    """Calico's BIRD symbol shortening: names longer than 45 characters keep a prefix and a hash."""
    if len(name) <= max_length:
        return name
    digest = hashlib.sha256(name.encode("utf-8")).hexdigest().upper()[:16]
    return "%s_%s" % (name[:max_length - len(digest) - 1], digest)


def hash_router_id(node_name):
    """``CALICO_ROUTER_ID=hash``: the first four bytes of SHA-256 of the node name, dotted."""
    digest = hashlib.sha256(node_name.encode("utf-8")).digest()
    return ".".join(str(b) for b in digest[:4])


def _family(cidr):
    return 6 if ":" in cidr else 4


def _log_level(model, node_name):
    """``none`` / ``debug`` / ``info`` as confd derives it from logSeverityScreen (node config wins)."""
    for name in ("node.%s" % node_name, "default"):
        cfg = model.configs.get(name)
        value = cfg.spec.get("logSeverityScreen") if cfg else None
        if value:
            low = str(value).lower()
            return low if low in ("debug", "info") else "none"
    return "info"


def _debug_modes(level):
    if level == "none":
        return None, None
    if level == "debug":
        return "all", "debug all;"
    return "{ states }", "debug { states, routes, filters, events };"


def _normal_priority(model, version):
    key = "ipv4NormalRoutePriority" if version == 4 else "ipv6NormalRoutePriority"
    value = model.global_spec.get(key)
    return int(value) if value not in (None, "") else 1024


# --------------------------------------------------------------------------------------------
# BGPFilter functions


def _filter_rules(flt, direction, version):
    spec = flt.get("spec") or {}
    return spec.get("%sV%d" % (direction, version)) or []


def _has_peer_type(rules):
    return any(rule.get("peerType") for rule in rules)


def filter_calls(model, names, direction, version, same_as):
    """The ``'bgp_<name>_<direction>FilterVn'(...)`` calls for a peer's filters, in list order."""
    lines = []
    for name in names:
        flt = model.filters.get(name)
        if flt is None:
            continue
        rules = _filter_rules(flt, direction, version)
        if not rules:
            continue
        arg = ("true" if same_as else "false") if _has_peer_type(rules) else ""
        lines.append("'bgp_%s_%sFilterV%d'(%s);" % (truncate_filter_name(name), direction, version, arg))
    return lines


_OPERATORS = {"Equal": "=", "NotEqual": "!=", "In": "~", "NotIn": "!~"}


def _rule_conditions(rule, version):
    conds = []
    cidr = rule.get("cidr")
    if cidr:
        op = _OPERATORS.get(rule.get("matchOperator") or "In", "~")
        length = rule.get("prefixLength") or {}
        if length and op in ("~", "!~"):
            low = length.get("min", int(cidr.split("/")[1]))
            high = length.get("max", 32 if version == 4 else 128)
            conds.append("(net %s [ %s{%d,%d} ])" % (op, cidr, low, high))
        else:
            conds.append("(net %s %s)" % (op, cidr))
    if rule.get("source") == "RemotePeers":
        conds.append("((defined(source))&&(source ~ [ RTS_BGP ]))")
    iface = rule.get("interface")
    if iface:
        conds.append('((defined(ifname))&&(ifname ~ "%s"))' % iface)
    community = (rule.get("communities") or {}).get("values") or []
    for value in community:
        parts = str(value).split(":")
        if len(parts) == 3:
            conds.append("((%s) ~ bgp_large_community)" % ", ".join(parts))
        else:
            conds.append("((%s) ~ bgp_community)" % ", ".join(parts))
    as_path = (rule.get("asPathPrefix") or [])
    if as_path:
        conds.append("(bgp_path ~ [= %s * =])" % " ".join(str(a) for a in as_path))
    priority = rule.get("priority")
    if priority is not None:
        conds.append("(defined(bgp_local_pref)&&(bgp_local_pref = %d))" % (BIRD_INT_MAX - int(priority)))
    return conds


def _rule_operations(rule):
    ops = []
    for op in rule.get("operations") or []:
        if "addCommunity" in op:
            value = str((op["addCommunity"] or {}).get("value"))
            parts = value.split(":")
            if len(parts) == 3:
                ops.append("bgp_large_community.add((%s));" % ", ".join(parts))
            else:
                ops.append("bgp_community.add((%s));" % ", ".join(parts))
        elif "prependASPath" in op:
            for asn in reversed((op["prependASPath"] or {}).get("prefix") or []):
                ops.append("bgp_path.prepend(%s);" % asn)
        elif "setPriority" in op:
            ops.append("bgp_local_pref = %d;" % (BIRD_INT_MAX - int((op["setPriority"] or {}).get("value"))))
    return ops


def filter_functions(model, version):
    """BIRD functions for every BGPFilter with rules for ``version`` (sorted by name)."""
    lines = []
    for name in sorted(model.filters):
        flt = model.filters[name]
        chunks = []
        for direction in ("import", "export"):
            rules = _filter_rules(flt, direction, version)
            if not rules:
                continue
            param = "bool is_same_as" if _has_peer_type(rules) else ""
            body = ["function 'bgp_%s_%sFilterV%d'(%s) {" % (truncate_filter_name(name), direction, version, param)]
            for rule in rules:
                action = "accept" if (rule.get("action") or "Accept") == "Accept" else "reject"
                conds = _rule_conditions(rule, version)
                ops = _rule_operations(rule)
                stmt = " ".join(ops + ["%s;" % action])
                if conds:
                    stmt = "if (%s) then { %s }" % ("&&".join(conds), stmt)
                peer_type = rule.get("peerType")
                if peer_type in ("iBGP", "eBGP"):
                    stmt = "if (%sis_same_as) then { %s }" % ("" if peer_type == "iBGP" else "!", stmt)
                body.append("  %s" % stmt)
            body.append("}")
            chunks.extend(body)
        if chunks:
            lines.append("# v%d BGPFilter %s" % (version, name))
            lines.extend(chunks)
    return lines


# --------------------------------------------------------------------------------------------
# protocol bgp block


def render_peer(peer, model=None, normal_priority=1024):
    """One ``protocol bgp`` block as calico-node renders it."""
    lines = ["protocol bgp %s from bgp_template {" % peer.name]
    if peer.local_as_override:
        lines.append("  local as %d;" % peer.local_as_override)
    lines.append("  neighbor %s%s as %d;" % (peer.peer_ip, " port %d" % peer.port if peer.port else "", peer.peer_as))
    if peer.source_address:
        lines.append("  source address %s;  # The local address we use for the TCP connection" % peer.source_address)
    if not peer.multihop:
        pass  # v3.31 mesh sessions: directly connected, no ttl security / multihop lines
    elif peer.ttl_security:
        lines.append("  ttl security on;")
        lines.append("  multihop %d;" % peer.ttl_security)
    else:
        lines.append("  ttl security off;")
        lines.append("  multihop;")
    same_as = peer.peer_as == peer.local_as
    mesh = peer.peer_type == "mesh"
    calls_in = [] if mesh or model is None else filter_calls(model, peer.filters, "import", peer.ip_version, same_as)
    calls_out = [] if mesh or model is None else filter_calls(model, peer.filters, "export", peer.ip_version, same_as)
    lines.append("  import filter {")
    lines.extend("    " + call for call in calls_in)
    lines.append("    if (defined(bgp_local_pref)&&(bgp_local_pref > %d)) then" % (BIRD_INT_MAX - normal_priority))
    lines.append("      preference = %d;" % OVERRIDE_PREFERENCE)
    lines.append("    accept;")
    lines.append("  };")
    lines.append("  export filter {")
    lines.append("    if (defined(source) && source = RTS_BGP && defined(bgp_local_pref)) then {")
    lines.append("      krt_metric = %d - bgp_local_pref;" % BIRD_INT_MAX)
    lines.append("    } else {")
    lines.append("      if (!defined(krt_metric)) then { krt_metric = %d; }" % normal_priority)
    lines.append("      bgp_local_pref = %d - krt_metric;" % BIRD_INT_MAX)
    lines.append("    }")
    lines.extend("    " + call for call in calls_out)
    lines.append("    calico_export_to_bgp_peers(%s);" % ("true" if peer.export_internal else "false"))
    lines.append("    reject;")
    lines.append("  };  # Only want to export routes for workloads.")
    if peer.passive:
        lines.append("  passive on;")
    if peer.graceful_restart:
        lines.append("  graceful restart time %d;" % peer.graceful_restart)
    if peer.keepalive:
        lines.append("  keepalive time %d;" % peer.keepalive)
    if peer.rr_client and peer.rr_cluster_id:
        lines.append("  rr client;")
        lines.append("  rr cluster id %s;" % peer.rr_cluster_id)
    if peer.password is not None:
        if '"' in peer.password or "\n" in peer.password:
            ref = peer.password_ref or {}
            raise RenderError("Secret/%s data.%s: the BGP password for %s on node %s contains a double quote or a "
                              "line break, which a BIRD 1.6 string cannot hold"
                              % (ref.get("name"), ref.get("key"), peer.name, peer.node))
        lines.append('  password "%s";' % peer.password)
    if peer.next_hop == "keep":
        lines.append("  next hop keep;")
    if peer.next_hop == "self":
        lines.append("  next hop self;")
    if peer.allow_local_as:
        lines.append("  allow local as %d;" % peer.allow_local_as)
    lines.append("}")
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------
# the node's files


class NodeContext:
    """Everything the templates need about one node, computed once for both families."""

    def __init__(self, model, node_name, peers, blocks=(), router_id=None, static_routes=None, service_routes=(),
                 bird_variant="calico"):
        if bird_variant not in BIRD_VARIANTS:
            raise RenderError("unknown bird_variant %r (use one of %s)" % (bird_variant, ", ".join(BIRD_VARIANTS)))
        self.variant = bird_variant
        self.model = model
        self.node = model.nodes[node_name]
        self.peers = peers
        self.blocks = list(blocks or ())
        rid = router_id or ""
        if rid == "hash":
            rid = hash_router_id(node_name)
        self.router_id = rid or self.node.ipv4 or ""
        self.level = _log_level(model, node_name)
        self.service_routes = list(service_routes or ())
        self.static_routes = static_routes

    # ---- configuration values
    def listen(self, version):
        spec = self.model.global_spec
        address = None
        if spec.get("bindMode") == "NodeIP":
            address = self.node.ip(version)
        port = self.model.node_port(self.node.name)
        return address, port

    def communities(self, version):
        cfg = self.model.configs.get("node.%s" % self.node.name)
        if not (cfg and cfg.spec.get("prefixAdvertisements") is not None):
            cfg = self.model.configs.get("default")
        if not cfg or cfg.spec.get("prefixAdvertisements") is None:
            return []
        defined = {c.get("name"): str(c.get("value")) for c in cfg.spec.get("communities") or []}
        rules = []
        for adv in cfg.spec.get("prefixAdvertisements") or []:
            cidr = adv.get("cidr")
            if not cidr or _family(cidr) != version:
                continue
            values = set()
            for community in adv.get("communities") or []:
                text = str(community)
                if text.count(":") in (1, 2) and all(part.isdigit() for part in text.split(":")):
                    values.add(text)
                elif text in defined:
                    values.add(defined[text])
            adds = []
            for value in sorted(values):
                parts = value.split(":")
                if len(parts) == 2:
                    adds.append("bgp_community.add((%s, %s));" % tuple(parts))
                else:
                    adds.append("bgp_large_community.add((%s, %s, %s));" % tuple(parts))
            if adds:
                rules.append((cidr, adds))
        return rules

    def service_cidrs(self, version):
        """(advertised static routes, kernel-rejected CIDRs) from the default BGPConfiguration."""
        spec = self.model.global_spec
        excluded = self.node.labels.get("node.kubernetes.io/exclude-from-external-load-balancers") == "true"
        aggregate_lb = (spec.get("serviceLoadBalancerAggregation") or "Enabled") == "Enabled"
        advertise, reject = [], []
        for key in ("serviceClusterIPs", "serviceExternalIPs", "serviceLoadBalancerIPs"):
            for item in spec.get(key) or []:
                cidr = (item or {}).get("cidr")
                if not cidr or _family(cidr) != version:
                    continue
                net = ipaddress.ip_network(cidr, strict=False)
                single = net.prefixlen == net.max_prefixlen
                if key == "serviceClusterIPs":
                    reject.append(cidr)
                    if not excluded:
                        advertise.append(cidr)
                    continue
                if single or (key == "serviceLoadBalancerIPs" and not aggregate_lb):
                    continue
                if not excluded:
                    reject.append(cidr)
                    advertise.append(cidr)
        for cidr in self.service_routes:
            if _family(cidr) == version and not excluded:
                advertise.append(cidr)
        return sorted(set(advertise)), reject

    def pools(self, version):
        out = []
        for pool in self.model.pools:
            spec = pool.get("spec") or {}
            cidr = spec.get("cidr")
            if not cidr or _family(cidr) != version:
                continue
            out.append(spec)
        return sorted(out, key=lambda s: s["cidr"])

    # ---- files
    def bird_cfg(self, version):
        six = version == 6
        direct_mode, peer_debug = _debug_modes(self.level)
        lines = ["function apply_communities ()", "{"]
        for cidr, adds in self.communities(version):
            lines.append("      if ( net ~ %s ) then {" % cidr)
            lines.extend("          " + add for add in adds)
            lines.append("      }")
        lines.append("}")
        lines += [
            "template kernel kernel_template {",
            "  learn;             # Learn all alien routes from the kernel",
            "  persist;           # Don't remove routes on bird shutdown",
            "  scan time 2;       # Scan kernel routing table every 2 seconds",
            "  import all;",
            "}",
            "template direct direct_template {",
        ]
        if direct_mode:
            lines.append("  debug %s;" % direct_mode)
        ignored = (self.model.global_spec.get("ignoredInterfaces") or [])
        interfaces = ", ".join(['-"%s"' % i for i in ignored] + [_DEFAULT_INTERFACES])
        if interfaces == _DEFAULT_INTERFACES:
            lines.append("  interface %s;%s" % (interfaces, _DIRECT_COMMENT[0]))
            lines.extend(_DIRECT_COMMENT[1:])
        else:
            lines.append("  interface %s;" % interfaces)
        lines += [
            "}",
            "",
            "# Generated by confd",
            'include "bird%s_aggr.cfg";' % ("6" if six else ""),
            'include "bird%s_ipam.cfg";' % ("6" if six else ""),
            "",
            "router id %s;" % self.router_id,
        ]
        address, port = self.listen(version)
        if address or port:
            lines.append("")
            lines.append("# BGP listen configuration")
            lines.append("listen bgp%s%s;" % (" address %s" % address if address else "", " port %d" % port if port else ""))
        lines += [
            "",
            "# Configure synchronization between routing tables and kernel.",
            "protocol kernel from kernel_template {",
            "  export filter calico_kernel_programming; # Default is export none",
            "  graceful restart;  # Turn on graceful restart to reduce potential flaps in",
            "                     # routes when reloading BIRD configuration.  With a full",
            "                     # automatic mesh, there is no way to prevent BGP from",
            "                     # flapping since multiple nodes update their BGP",
            "                     # configuration at the same time, GR is not guaranteed to",
            "                     # work correctly in this scenario.",
            "  merge paths on;    # Allow export multipath routes (ECMP)",
            "}",
            "",
            "# Watch interface up/down events.",
            "protocol device {",
        ]
        if direct_mode:
            lines.append("  debug %s;" % direct_mode)
        lines += [
            "  scan time 2;    # Scan interfaces every 2 seconds",
            "}",
            "",
            "protocol direct from direct_template {",
            "}",
            "",
        ]
        if not self.node.ip(version):
            lines.append("# IPv%d disabled on this node." % version)
            return "\n".join(lines) + "\n"
        lines.append("# Template for all BGP clients")
        lines.append("template bgp bgp_template {")
        if peer_debug:
            lines.append("  " + peer_debug)
        lines += [
            '  description "Connection to BGP peer";',
            "  local as %d;" % self.model.node_as(self.node),
            "  gateway recursive; # This should be the default, but just in case.",
            "  add paths on;",
            "  graceful restart;  # See comment in kernel section about graceful restart.",
            "  connect delay time 2;",
            "  connect retry time 5;",
            "  error wait time 5,30;",
            "}",
            "",
            "# -------------- BGP Filters ------------------",
        ]
        functions = filter_functions(self.model, version)
        lines.extend(functions or ["# No v%d BGPFilters configured" % version])
        peers = [p for p in self.peers if p.ip_version == version]
        if peers:
            lines.append("")
            lines.append("# BGP Protocol Configurations")
            priority = _normal_priority(self.model, version)
            for peer in peers:
                lines.append(render_peer(peer, self.model, priority))
                lines.append("")
        else:
            lines.append("")
            lines.append("# No BGP peers configured for this node")
        return "\n".join(lines) + "\n"

    def aggr_cfg(self, version):
        blocks = []
        for block in self.blocks:
            cidr = block["cidr"] if isinstance(block, dict) else str(block)
            state = (block.get("state") if isinstance(block, dict) else None) or ""
            if _family(cidr) != version or state == "pending":
                continue
            blocks.append((cidr, state))
        blocks.sort()
        routes = []
        for cidr, _state in blocks:
            net = ipaddress.ip_network(cidr, strict=False)
            if net.prefixlen != net.max_prefixlen:
                routes.append("   route %s blackhole;" % cidr)
        advertise, _reject = self.service_cidrs(version)
        reach = {"global": [], "node": []}
        for peer in self.peers:
            if peer.ip_version == version and peer.reachable_by and peer.peer_type in reach:
                length = 32 if version == 4 else 128
                reach[peer.peer_type].append("   route %s/%d via %s;" % (peer.peer_ip, length, peer.reachable_by))
        lines = ["# Generated by confd", "template static static_template {"]
        if routes:
            lines.append("   # IP blocks for this host.")
            lines.extend(routes)
        if advertise:
            lines.append("   # Static routes.")
            lines.extend("   route %s blackhole;" % cidr for cidr in advertise)
        if reach["global"]:
            lines.append("   # Static routes needed for global BGP peers.")
            lines.extend(reach["global"])
        if reach["node"]:
            lines.append("   # Static routes needed for node specific BGP peers.")
            lines.extend(reach["node"])
        any_routes = routes or advertise or reach["global"] or reach["node"]
        if not any_routes:
            lines.append("   # No IP blocks or static routes for this host.")
        lines.append("}")
        if any_routes:
            lines += ["", "protocol static from static_template {", "}"]
        lines += ["", "# Aggregation of routes on this host; export the block, nothing beneath it.",
                  "function calico_aggr ()", "{"]
        priority = _normal_priority(self.model, version)
        for cidr, state in blocks:
            if state == "confirmed":
                lines.append("      # Block %s is confirmed" % cidr)
            else:
                lines.append("      # Block %s is implicitly confirmed." % cidr)
            lines.append("      if ( net = %s ) then { accept; }" % cidr)
            lines.append("      if ( net ~ %s && krt_metric < %d ) then { accept; }" % (cidr, priority))
            lines.append("      if ( net ~ %s ) then { reject; }" % cidr)
        lines.append("}")
        return "\n".join(lines) + "\n"

    def _cluster_route_policy(self):
        mode = self.model.global_spec.get("programClusterRoutes") or "EnabledNoEncapOnly"
        if self.variant == "stock" and any((p.get("ipipMode") or "Never") != "Never" for p in self.pools(4)):
            mode = {"Enabled": "EnabledNoEncapOnly", "EnabledIPIPOnly": "Disabled"}.get(mode, mode)
        return {"Enabled": (True, True), "EnabledIPIPOnly": (True, False), "EnabledNoEncapOnly": (False, True),
                "Disabled": (False, False)}.get(mode, (False, True))

    def ipam_cfg(self, version):
        ipip_policy, noencap_policy = self._cluster_route_policy()
        pools = self.pools(version)
        advertise, reject = self.service_cidrs(version)
        tunnels = '(ifname ~ "*.cali") || (ifname ~ "*.calico")'
        if not ipip_policy:
            tunnels += ' || (ifname ~ "tunl0")'
        lines = [
            "# Generated by confd",
            "function reject_local_routes () {",
            "  # Don't export local routes learned via BPF as they should never leave the node.",
            "  if (defined(ifname)) then {",
            '     if (ifname ~ "bpf*.cali") then {',
            "        reject;",
            "     }",
            "  }",
            "}",
            "",
            "function calico_export_to_bgp_peers(bool internal_peer) {",
            "  # filter code terminates when it calls `accept;` or `reject;`,",
        ]
        for pool in pools:
            if pool.get("disableBGPExport"):
                lines.append("  if (net ~ %s) then { reject; } # BGP export is disabled." % pool["cidr"])
        lines += [
            "  if (internal_peer) then {",
            "    if (defined(ifname)) then {",
            "      if (%s) then {" % tunnels,
            "        reject;",
            "      }",
            "    }",
            "  }",
            "  reject_local_routes();",
            "  apply_communities();",
            "  calico_aggr();",
        ]
        if advertise:
            lines.append("  # Export static routes.")
            lines.extend("  if ( net ~ %s ) then { accept; }" % cidr for cidr in advertise)
        for pool in pools:
            if not pool.get("disableBGPExport") and not pool.get("disabled"):
                lines.append("  if (net ~ %s) then { accept; }" % pool["cidr"])
        lines += ["}", "", "filter calico_kernel_programming {"]
        if reject:
            lines.append("  # Don't program static routes into kernel.")
            lines.extend("  if ( net ~ %s ) then { reject; }" % cidr for cidr in reject)
        priority = _normal_priority(self.model, version)
        lines += [
            "  if (defined(source) && (source = RTS_BGP) && !defined(krt_metric)) then {",
            "      krt_metric = %d;" % priority,
            "      if (defined(bgp_local_pref)) then {",
            "          krt_metric = %d - bgp_local_pref;" % BIRD_INT_MAX,
            "      }",
            "      if (krt_metric < %d) then {" % priority,
            "          preference = %d;" % OVERRIDE_PREFERENCE,
            "      }",
            "  }",
        ]
        subnet = self.node.ipv4_cidr if version == 4 else self.node.ipv6_cidr
        if subnet:
            subnet = str(ipaddress.ip_network(subnet, strict=False))
        for pool in pools if self.node.ip(version) else ():
            cidr = pool["cidr"]
            ipip = pool.get("ipipMode") or "Never"
            vxlan = pool.get("vxlanMode") or "Never"
            if vxlan != "Never":
                lines.append("  if (net ~ %s) then { reject; } # VXLAN routes are handled by Felix." % cidr)
            elif ipip != "Never":
                if not ipip_policy:
                    lines.append("  if (net ~ %s) then { reject; } # Cluster routes are handled by Felix." % cidr)
                elif ipip == "CrossSubnet" and subnet:
                    lines.append('  if (net ~ %s) then { if (defined(bgp_next_hop)&&(bgp_next_hop ~ %s)) then '
                                 'krt_tunnel=""; else krt_tunnel="tunl0"; accept; }' % (cidr, subnet))
                else:
                    lines.append('  if (net ~ %s) then { krt_tunnel="tunl0"; accept; }' % cidr)
            elif not noencap_policy:
                lines.append("  if (net ~ %s) then { reject; } # Cluster routes are handled by Felix." % cidr)
            elif version == 4:
                lines.append("  if (net ~ %s) then { accept; }" % cidr)
        lines += ["  accept;", "}"]
        return "\n".join(lines) + "\n"

    def files(self):
        return {
            "bird.cfg": self.bird_cfg(4), "bird_aggr.cfg": self.aggr_cfg(4), "bird_ipam.cfg": self.ipam_cfg(4),
            "bird6.cfg": self.bird_cfg(6), "bird6_aggr.cfg": self.aggr_cfg(6), "bird6_ipam.cfg": self.ipam_cfg(6),
        }


def render_node(resources=None, node=None, blocks=(), router_id=None, service_routes=(), model=None, peers=None,
                bird_variant="calico"):
    """The six BIRD files calico-node writes for ``node``: ``{file name: text}``.

    ``resources`` are the API objects (or give ``model``, a :class:`lab.confd.Model`, and the node's
    ``peers``). ``blocks`` are the node's IPAM block affinities (``"10.0.0.0/26"`` or
    ``{"cidr": ..., "state": "confirmed"|"pending"|""}``); ``service_routes`` extra /32 (/128)
    service routes from the route generator; ``router_id`` an address or ``"hash"``
    (``CALICO_ROUTER_ID``); ``bird_variant`` ``calico`` (confd's text) or ``stock`` (Debian's BIRD
    1.6, which lacks the ``krt_tunnel`` attribute of calico's BIRD fork: cluster routes of IPIP pools
    are then left to Felix as with ``programClusterRoutes: Disabled``).
    """
    if model is None:
        model = Model(resources or [])
    if node not in model.nodes:
        raise RenderError("node %r is not among the Node objects (known: %s)" % (node, ", ".join(sorted(model.nodes)[:20])))
    if peers is None:
        peers = node_sessions(model, node)
    return NodeContext(model, node, peers, blocks=blocks, router_id=router_id, service_routes=service_routes,
                       bird_variant=bird_variant).files()


def protocol_blocks(text):
    """``{name: normalised block}`` for every ``protocol bgp`` block in a BIRD config text.

    Comments after ``#`` and blank lines are dropped and white space is collapsed, so blocks
    compare equal when BIRD would read them the same way.
    """
    blocks = {}
    current = None
    depth = 0
    for raw in text.splitlines():
        line = " ".join(_strip_comment(raw).split())
        if not line:
            continue
        if current is None:
            if line.startswith("protocol bgp "):
                current = [line]
                blocks[line.split()[2]] = current
                depth = line.count("{") - line.count("}")
            continue
        current.append(line)
        depth += line.count("{") - line.count("}")
        if depth <= 0:
            current = None
    return {name: "\n".join(lines) for name, lines in blocks.items()}


def _strip_comment(line):
    quote = None
    for index, char in enumerate(line):
        if quote:
            if char == quote:
                quote = None
        elif char in "\"'":
            quote = char
        elif char == "#":
            return line[:index]
    return line


def _int_or_text(text):
    return int(text) if text.isdigit() else text


def protocol_attributes(block):
    """The session attributes a ``protocol bgp`` block sets, whatever the template's line order.

    Returns ``{neighbor, port, peer_as, local_as, source_address, ttl_security, multihop, passive,
    graceful_restart, keepalive, rr_client, rr_cluster_id, password, next_hop, allow_local_as,
    export_internal}``; ``ttl_security`` is ``"off"``, a hop count or None (line absent),
    ``multihop`` True, a hop count or None, ``export_internal`` the argument of
    ``calico_export_to_bgp_peers`` (None when the block does not call it).
    """
    attrs = {"neighbor": None, "port": None, "peer_as": None, "local_as": None, "source_address": None,
             "ttl_security": None, "multihop": None, "passive": False, "graceful_restart": None,
             "keepalive": None, "rr_client": False, "rr_cluster_id": None, "password": None, "next_hop": None,
             "allow_local_as": None, "export_internal": None}
    ttl_on = False
    for raw in block.splitlines():
        line = " ".join(_strip_comment(raw).split()).rstrip(";").strip()
        words = line.split()
        if not words:
            continue
        if words[0] == "neighbor":
            attrs["neighbor"] = words[1]
            if "port" in words:
                attrs["port"] = int(words[words.index("port") + 1])
            attrs["peer_as"] = int(words[words.index("as") + 1])
        elif words[:2] == ["local", "as"]:
            attrs["local_as"] = int(words[2])
        elif words[:2] == ["source", "address"]:
            attrs["source_address"] = words[2]
        elif words[:2] == ["ttl", "security"]:
            ttl_on = words[2] == "on"
            attrs["ttl_security"] = "off" if not ttl_on else attrs["ttl_security"]
        elif words[0] == "multihop":
            attrs["multihop"] = int(words[1]) if len(words) > 1 else True
        elif words[:2] == ["passive", "on"]:
            attrs["passive"] = True
        elif words[:3] == ["graceful", "restart", "time"]:
            attrs["graceful_restart"] = int(words[3])
        elif words[:2] == ["keepalive", "time"]:
            attrs["keepalive"] = int(words[2])
        elif words[:2] == ["rr", "client"]:
            attrs["rr_client"] = True
        elif words[:3] == ["rr", "cluster", "id"]:
            attrs["rr_cluster_id"] = words[3]
        elif words[0] == "password":
            attrs["password"] = line.split(None, 1)[1].strip().strip('"')
        elif words[:2] == ["next", "hop"]:
            attrs["next_hop"] = words[2]
        elif words[:3] == ["allow", "local", "as"]:
            attrs["allow_local_as"] = _int_or_text(words[3])
        elif line.startswith("calico_export_to_bgp_peers("):
            attrs["export_internal"] = line[len("calico_export_to_bgp_peers("):].startswith("true")
    if ttl_on:
        attrs["ttl_security"] = attrs["multihop"]
    return attrs
