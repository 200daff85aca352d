# -*- coding: utf-8 -*-
# Copyright: kubefabric.bgp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Go-compatible syntax checks used by Calico's validators and the CRDs' formats.

Names, label keys and values, Go durations, Go (RE2) regular expressions, the Kubernetes ``cidr``
format and CEL ``cidr()`` value, and the predicates behind Calico's validator tags (``selector``,
``name``, ``IP:port``, ``net``, ``cidrv4``...).
"""

from __future__ import annotations

import ipaddress
import json
import re

from .addr import parse_cidr_or_ip, parse_ip, parse_peer_ip
from .fielderrors import type_name

_NAME_LABEL = "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
NAME_SUBDOMAIN_FMT = _NAME_LABEL + "(\\." + _NAME_LABEL + ")*"
NAME_RE = re.compile("^" + NAME_SUBDOMAIN_FMT + r"\Z")
NAME_MESSAGE = ("name must consist of lower case alphanumeric characters, '-' or '.' (regex: %s)"
                % NAME_SUBDOMAIN_FMT)
K8S_NAME_MESSAGE = ("a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', "
                    "and must start and end with an alphanumeric character (e.g. 'example.com', regex used for "
                    "validation is '%s')" % NAME_SUBDOMAIN_FMT)
IGNORED_INTERFACE_RE = re.compile(r"^[a-zA-Z0-9_.*-]{1,15}\Z")
BGPFILTER_INTERFACE_RE = re.compile(r"^[a-zA-Z0-9_.*-]{1,15}\Z")
STANDARD_COMMUNITY = re.compile(r"^([0-9]+):([0-9]+)\Z")
LARGE_COMMUNITY = re.compile(r"^([0-9]+):([0-9]+):([0-9]+)\Z")
_QUALIFIED_NAME_PART = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]\Z")
_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?\Z")

_DURATION_UNITS = {"ns": 1, "us": 1000, "\u00b5s": 1000, "\u03bcs": 1000, "ms": 10 ** 6, "s": 10 ** 9,
                   "m": 60 * 10 ** 9, "h": 3600 * 10 ** 9}
_DURATION_PART = re.compile(r"([0-9]*)(?:\.([0-9]*))?([^0-9.]*)")


def go_regex(pattern):
    """Compile a Go (RE2) pattern from a CRD with Go's meaning: ``$`` is end of text, ``\\d`` ASCII."""
    text = pattern.replace("^(?i)", "(?i)^").replace("$", r"\Z")
    return re.compile(text, re.ASCII)


def is_valid_name(name):
    return isinstance(name, str) and len(name) <= 253 and bool(NAME_RE.match(name))


def parse_go_duration(text):
    """Go ``time.ParseDuration``: nanoseconds, or ``ValueError`` with Go's message."""
    quoted = json.dumps(text)
    if not isinstance(text, str):
        raise ValueError("json: cannot unmarshal %s into Go value of type string" % type_name(text))
    rest = text
    sign = 1
    if rest[:1] in ("-", "+"):
        sign = -1 if rest[0] == "-" else 1
        rest = rest[1:]
    if rest == "0":
        return 0
    if rest == "":
        raise ValueError("time: invalid duration %s" % quoted)
    total = 0
    while rest:
        match = _DURATION_PART.match(rest)
        whole, frac, unit = match.group(1), match.group(2), match.group(3)
        if not whole and not frac:
            raise ValueError("time: invalid duration %s" % quoted)
        if unit == "":
            raise ValueError("time: missing unit in duration %s" % quoted)
        known = None
        for name in sorted(_DURATION_UNITS, key=len, reverse=True):
            if unit.startswith(name):
                known = name
                break
        if known is None:
            raise ValueError("time: unknown unit %s in duration %s" % (json.dumps(unit), quoted))
        scale = _DURATION_UNITS[known]
        total += int(whole or "0") * scale
        if frac:
            total += int(frac) * scale // (10 ** len(frac))
        rest = rest[match.start(3) + len(known):]
    if total > (1 << 63) - 1:
        raise ValueError("time: invalid duration %s" % quoted)
    return sign * total


def selector_error(text):
    """None when the selector parses, else the parser's message (selector.py, imported lazily)."""
    try:
        from . import selector as _selector  # pylint: disable=import-outside-toplevel
    except ImportError:  # pragma: no cover - the parser ships with the collection
        return None
    try:
        _selector.parse(text)
    except ValueError as exc:
        return str(exc)
    return None


def is_qualified_name(key):
    """Kubernetes IsQualifiedName: ``[prefix/]name``, name at most 63, prefix a DNS subdomain."""
    if not isinstance(key, str):
        return False
    parts = key.split("/")
    if len(parts) == 1:
        name = parts[0]
    elif len(parts) == 2:
        prefix, name = parts
        if not prefix or len(prefix) > 253 or not NAME_RE.match(prefix):
            return False
    else:
        return False
    return 0 < len(name) <= 63 and bool(_QUALIFIED_NAME_PART.match(name))


def is_label_value(value):
    return isinstance(value, str) and len(value) <= 63 and bool(_LABEL_VALUE.match(value))


def k8s_cidr_format(text):
    """The ``cidr`` string format of Kubernetes' OpenAPI validation (``ParseCIDRSloppy``)."""
    if not isinstance(text, str) or "/" not in text:
        return False
    ip_text, _sep, length = text.partition("/")
    if "." in ip_text and ":" not in ip_text:
        octets = ip_text.split(".")
        if len(octets) == 4 and all(o.isdigit() and o.isascii() and len(o) <= 3 for o in octets):
            ip_text = ".".join(str(int(o)) for o in octets)
    try:
        parse_cidr_or_ip(ip_text + "/" + length)
    except ValueError:
        return False
    return True


class Cidr:
    """The Kubernetes CEL ``cidr()`` value (``netip.ParsePrefix``)."""

    def __init__(self, text):
        if not isinstance(text, str) or "/" not in text or "%" in text:
            raise ValueError("network address parse error during conversion from string: %r" % (text,))
        ip_text, _sep, length = text.partition("/")
        addr = parse_ip(ip_text)
        try:
            raw = ipaddress.ip_address(ip_text)
        except ValueError:
            raise ValueError("network address parse error during conversion from string: %r" % (text,))
        if addr is None or raw.version != addr.version or not re.match(r"^(0|[1-9][0-9]*)\Z", length):
            raise ValueError("network address parse error during conversion from string: %r" % (text,))
        if int(length) > raw.max_prefixlen:
            raise ValueError("network address parse error during conversion from string: %r" % (text,))
        self.ip = raw
        self.prefix_length = int(length)
        self.network = ipaddress.ip_network("%s/%s" % (raw, length), strict=False)

    @property
    def family(self):
        return self.ip.version

    def masked(self):
        return self.network.network_address == self.ip

    def contains_ip(self, ip_text):
        other = ipaddress.ip_address(ip_text)
        return other.version == self.ip.version and other in self.network

    def contains_cidr(self, other):
        return other.family == self.family and other.network.subnet_of(self.network)


def selector_check(text):
    return selector_error(text) is None


def name_check(text):
    return bool(NAME_RE.match(text))


def peer_ip_check(text):
    try:
        parse_peer_ip(text)
    except ValueError:
        return False
    return True


def net_check(text):
    """Calico's ``net`` tag: an IP, or a strictly masked CIDR."""
    try:
        ip, net = parse_cidr_or_ip(text)
    except ValueError:
        return False
    return net.network_address == ip


def netv_check(version):
    def check(text):
        try:
            ip, net = parse_cidr_or_ip(text)
        except ValueError:
            return False
        return ip.version == version and net.network_address == ip
    return check


def cidrv_check(version):
    def check(text):
        try:
            return parse_cidr_or_ip(text)[0].version == version
        except ValueError:
            return False
    return check
