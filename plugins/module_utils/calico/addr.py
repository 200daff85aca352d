# -*- coding: utf-8 -*-
# Copyright: kubefabric.bgp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""IP addresses, ``peerIP`` values and CIDRs, read the way Calico reads them.

Calico parses addresses with Go's ``net.ParseIP`` / ``net.ParseCIDR``. Differences from Python's
``ipaddress`` that matter here, and that this module removes:

* an IPv6 zone (``fe80::1%eth0``) is not an address for Go;
* an IPv4-mapped IPv6 address (``::ffff:10.0.0.1``) is IPv4 for Calico (``IP.Version()`` is 4);
* only ASCII digits count (Go's regexp ``\\d``).

A BGPPeer ``peerIP`` is ``IP``, ``<IPv4>:<port>`` or ``[<IPv6>]:<port>`` (port 1..65535, at most 64
characters). Calico decides whether a port is present with the two regular expressions
``^(\\d+).(\\d+).(\\d+).(\\d+):(\\d+)$`` and ``^\\[[0-9a-fA-F:.]+\\]:(\\d+)$`` (the dots in the first
one match any character) and then splits host and port like ``net.SplitHostPort``.
"""

from __future__ import annotations

import ipaddress
import re

PEER_IP_MAX_LENGTH = 64

_IPV4_PORT = re.compile(r"^([0-9]+).([0-9]+).([0-9]+).([0-9]+):([0-9]+)$")
_IPV6_PORT = re.compile(r"^\[[0-9a-fA-F:.]+\]:([0-9]+)$")
_PREFIX_LEN = re.compile(r"[0-9]+\Z")

PEER_IP_FORMAT_MSG = 'PeerIP value is invalid, it should either be "<IP>" or "<IPv4>:<port>" or "[<IPv6>]:<port>".'
PEER_IP_PORT_MSG = "PeerIP value has invalid port."
PEER_IP_ADDRESS_MSG = "PeerIP value is invalid."


def parse_ip(text):
    """Go ``net.ParseIP`` plus Calico's version rule. Returns an ``ipaddress`` address or None.

    An IPv4-mapped IPv6 address comes back as the IPv4 address, as Calico treats it.
    """
    if not isinstance(text, str) or not text or "%" in text or not text.isascii():
        return None
    try:
        addr = ipaddress.ip_address(text)
    except ValueError:
        return None
    if addr.version == 6 and addr.ipv4_mapped is not None:
        return addr.ipv4_mapped
    return addr


def ip_version(text):
    """4 or 6 for an address text; ``ValueError`` when it is not an address."""
    addr = parse_ip(text)
    if addr is None:
        raise ValueError("invalid IP address: %r" % (text,))
    return addr.version


def is_ipv4(text):
    """Calico's ``ipv4`` tag: ``net.ParseIP`` succeeds and ``To4()`` is not nil."""
    addr = parse_ip(text)
    return addr is not None and addr.version == 4


def is_ipv6(text):
    """Calico's ``ipv6`` tag: ``net.ParseIP`` succeeds and ``To4()`` is nil."""
    addr = parse_ip(text)
    return addr is not None and addr.version == 6


def _split_host_port(text):
    """``net.SplitHostPort`` for the two shapes that reach it; None when Go reports an error."""
    if text.startswith("["):
        end = text.find("]")
        if end < 0 or text[end + 1:end + 2] != ":":
            return None
        host, port = text[1:end], text[end + 2:]
        if "[" in host or "]" in port or "[" in port:
            return None
        return host, port
    colon = text.rfind(":")
    host, port = text[:colon], text[colon + 1:]
    if ":" in host or "[" in host or "]" in host:
        return None
    return host, port


def parse_peer_ip(text):
    """Split a ``peerIP`` into ``(ip, port)``; port is None when absent.

    ``ip`` is the address text as written (Calico keeps it so). Raises ``ValueError`` with the
    message Calico logs for the failure.
    """
    if not isinstance(text, str) or text == "":
        raise ValueError(PEER_IP_FORMAT_MSG)
    host, port = text, None
    if _IPV4_PORT.match(text) or _IPV6_PORT.match(text):
        split = _split_host_port(text)
        if split is None:
            raise ValueError(PEER_IP_FORMAT_MSG)
        host, port_text = split
        if not _PREFIX_LEN.match(port_text):
            raise ValueError(PEER_IP_PORT_MSG)
        port = int(port_text)
        if port < 1 or port > 65535:
            raise ValueError(PEER_IP_PORT_MSG)
    if parse_ip(host) is None:
        raise ValueError(PEER_IP_ADDRESS_MSG)
    return host, port


def is_valid_peer_ip(text):
    try:
        parse_peer_ip(text)
    except ValueError:
        return False
    return True


def format_peer_ip(ip, port=None):
    """``ip``, ``ip:port`` or ``[ip]:port`` for a BGPPeer ``peerIP``."""
    if port is None:
        return str(ip)
    if ip_version(str(ip)) == 6 and ":" in str(ip):
        return "[%s]:%d" % (ip, port)
    return "%s:%d" % (ip, port)


def parse_cidr_or_ip(text):
    """Calico ``cnet.ParseCIDROrIP``: ``(address, network)``; an address alone gets a full mask.

    The network is not required to be strictly masked (``10.0.0.5/24`` gives ``10.0.0.5`` and
    ``10.0.0.0/24``). Raises ``ValueError``.
    """
    if not isinstance(text, str):
        raise ValueError("invalid CIDR address: %r" % (text,))
    if "/" not in text:
        addr = parse_ip(text)
        if addr is None:
            raise ValueError("invalid IP address: %s" % text)
        return addr, ipaddress.ip_network("%s/%d" % (addr, addr.max_prefixlen))
    addr_text, _sep, length = text.partition("/")
    addr = parse_ip(addr_text)
    if addr is None or not _PREFIX_LEN.match(length):
        raise ValueError("invalid CIDR address: %s" % text)
    raw = ipaddress.ip_address(addr_text)
    prefix = int(length)
    if prefix > raw.max_prefixlen:
        raise ValueError("invalid CIDR address: %s" % text)
    if raw.version == 6 and addr.version == 4:
        # ::ffff:a.b.c.d/n: Go keeps the 128-bit mask; only masks covering the mapped prefix work.
        if prefix < 96:
            raise ValueError("invalid CIDR address: %s" % text)
        prefix -= 96
    return addr, ipaddress.ip_network("%s/%d" % (addr, prefix), strict=False)


def cidr_version(text):
    """4 or 6 for an IP or CIDR text; ``ValueError`` otherwise."""
    return parse_cidr_or_ip(text)[0].version


def is_cidr_v4(text):
    """Calico's ``cidrv4`` tag: an IPv4 address or (not strictly masked) IPv4 CIDR."""
    try:
        return cidr_version(text) == 4
    except ValueError:
        return False


def is_cidr_v6(text):
    """Calico's ``cidrv6`` tag: an IPv6 address or (not strictly masked) IPv6 CIDR."""
    try:
        return cidr_version(text) == 6
    except ValueError:
        return False


def is_masked(text):
    """True when an IP/CIDR text is strictly masked (``10.0.0.0/24`` yes, ``10.0.0.1/24`` no)."""
    addr, net = parse_cidr_or_ip(text)
    return net.network_address == addr
