"""A small Comware-style command parser: unique-prefix keywords, typed parameters, and the four
error lines a Comware V7 device prints with a caret under the offending token.

Patterns are written as space-separated elements: a keyword (``peer``), or a typed parameter
(``<ip>``, ``<int:0-32>``, ``<peer>`` ...).  Optional parts are expanded by the caller into
several patterns.  Matching is done over a trie of all patterns of a view, with backtracking, so
that e.g. ``peer 10.0.0.1 enable`` (an address) and ``peer rr enable`` (a group name) share one
prefix.  The deepest failure wins, and its kind decides the message:

* no keyword/parameter of the position matches -> ``Unrecognized command``
* a parameter position whose value is malformed or out of range -> ``Wrong parameter``
* the line ends before a command is complete -> ``Incomplete command``
* the line goes on after a complete command -> ``Too many parameters``
* a prefix that matches several keywords -> ``Ambiguous command``
"""
import ipaddress
import re

UNRECOGNIZED = "Unrecognized command"
WRONG = "Wrong parameter"
INCOMPLETE = "Incomplete command"
TOO_MANY = "Too many parameters"
AMBIGUOUS = "Ambiguous command"

# Comware prints the message one space in, after a caret line.
ERROR_FORMAT = " %% %s found at '^' position."


class ParseError(Exception):
    """A rejected line: ``kind`` (one of the constants above) at character ``column`` of the line."""

    def __init__(self, kind, column):
        super().__init__(kind)
        self.kind = kind
        self.column = column

    def lines(self, prompt_len):
        """The caret line (under the prompt + line as echoed) and the message line."""
        return [" " * (prompt_len + self.column) + "^", ERROR_FORMAT % self.kind]


class Token:
    __slots__ = ("text", "start")

    def __init__(self, text, start):
        self.text = text
        self.start = start


def tokenize(line):
    return [Token(m.group(0), m.start()) for m in re.finditer(r"\S+", line)]


# -- parameter types ------------------------------------------------------------------------------
# A type is a function (tokens, i, line) -> (value, next_i); it raises _Mismatch when the token is
# not of this kind at all (so other branches are tried and "Unrecognized" is possible), or
# ParseError(WRONG, column) when it is of this kind but malformed / out of range.

class _Mismatch(Exception):
    pass


def _wrong(tok):
    return ParseError(WRONG, tok.start)


def _int_type(lo, hi, allowed=None):
    def parse(tokens, i, line):
        tok = tokens[i]
        if not tok.text.isdigit():
            raise _wrong(tok)
        value = int(tok.text)
        if allowed is not None:
            if not any(a <= value <= b for a, b in allowed):
                raise _wrong(tok)
        elif not lo <= value <= hi:
            raise _wrong(tok)
        return value, i + 1
    return parse


def _looks_numeric(text):
    return re.fullmatch(r"[0-9.]+", text) is not None


def _ip(tokens, i, line):
    tok = tokens[i]
    try:
        if not re.fullmatch(r"\d{1,3}(\.\d{1,3}){3}", tok.text):
            raise ValueError(tok.text)
        return str(ipaddress.IPv4Address(tok.text)), i + 1
    except ValueError:
        raise _wrong(tok) from None


def _string(lo, hi):
    def parse(tokens, i, line):
        tok = tokens[i]
        if not lo <= len(tok.text) <= hi:
            raise _wrong(tok)
        return tok.text, i + 1
    return parse


def _rest(lo, hi):
    """The rest of the line, spaces included (descriptions)."""
    def parse(tokens, i, line):
        text = line[tokens[i].start:].rstrip()
        if not lo <= len(text) <= hi:
            raise _wrong(tokens[i])
        return text, len(tokens)
    return parse


class PeerRef:
    """``ipv4-address [ mask-length ]`` or ``group-name`` as Comware's ``peer`` commands take them."""

    __slots__ = ("ip", "mask", "group")

    def __init__(self, ip=None, mask=None, group=None):
        self.ip, self.mask, self.group = ip, mask, group

    @property
    def key(self):
        if self.group is not None:
            return self.group
        return self.ip if self.mask is None else "%s %d" % (self.ip, self.mask)

    @property
    def is_group(self):
        return self.group is not None

    @property
    def is_range(self):
        return self.mask is not None

    def __repr__(self):
        return "PeerRef(%s)" % self.key


def _peer(tokens, i, line):
    tok = tokens[i]
    if _looks_numeric(tok.text):
        ip, j = _ip(tokens, i, line)
        if j < len(tokens) and tokens[j].text.isdigit():
            mask = int(tokens[j].text)
            if mask > 32:
                raise _wrong(tokens[j])
            if mask == 32:
                return PeerRef(ip=ip), j + 1
            net = ipaddress.IPv4Network("%s/%d" % (ip, mask), strict=False)
            return PeerRef(ip=str(net.network_address), mask=mask), j + 1
        return PeerRef(ip=ip), j
    if not 1 <= len(tok.text) <= 47 or tok.text[0] in "-<>[]":
        raise _wrong(tok)
    return PeerRef(group=tok.text), i + 1


def _peer_ip(tokens, i, line):
    """An address only (no group names): ``peer ipv4-address group ...``."""
    ref, j = _peer(tokens, i, line)
    if ref.is_group:
        raise _wrong(tokens[i])
    return ref, j


# interface types Comware knows (enough for connect-interface)
IFACE_TYPES = ("LoopBack", "Vlan-interface", "GigabitEthernet", "Ten-GigabitEthernet",
               "FortyGigE", "HundredGigE", "Twenty-FiveGigE", "M-GigabitEthernet",
               "Route-Aggregation", "Bridge-Aggregation", "Tunnel")


def _iface(tokens, i, line):
    tok = tokens[i]
    m = re.fullmatch(r"([A-Za-z][A-Za-z-]*?)([0-9][0-9/:.]*)?", tok.text)
    if not m:
        raise _wrong(tok)
    word, num = m.group(1), m.group(2)
    matches = [t for t in IFACE_TYPES if t.lower().startswith(word.lower())]
    exact = [t for t in matches if t.lower() == word.lower()]
    if exact:
        matches = exact
    if not matches:
        raise _wrong(tok)
    if len(matches) > 1:
        raise ParseError(AMBIGUOUS, tok.start)
    j = i + 1
    if num is None:
        if j >= len(tokens):
            raise ParseError(INCOMPLETE, len(line.rstrip()) + 1)
        if not re.fullmatch(r"[0-9][0-9/:.]*", tokens[j].text):
            raise _wrong(tokens[j])
        num = tokens[j].text
        j += 1
    return matches[0] + num, j


TYPES = {
    "ip": _ip,
    "peer": _peer,
    "peer-ip": _peer_ip,
    "asn": _int_type(1, 4294967295),
    "keepalive": _int_type(0, 21845),
    "hold": _int_type(0, 65535, allowed=[(0, 0), (3, 65535)]),
    "hop": _int_type(1, 255),
    "group": _string(1, 47),
    "policy": _string(1, 63),
    "sysname": _string(1, 64),
    "simple-password": _string(1, 80),
    "cipher-password": _string(1, 201),
    "description": _rest(1, 79),
    "iface": _iface,
    "name": _string(1, 31),
}


# -- trie -----------------------------------------------------------------------------------------
class _Node:
    def __init__(self):
        self.keywords = {}  # keyword -> node
        self.params = []  # (name, type name, node)
        self.handler = None

    def child_param(self, name, tname):
        for pname, ptype, node in self.params:
            if pname == name and ptype == tname:
                return node
        node = _Node()
        self.params.append((name, tname, node))
        return node


class Grammar:
    """The commands of one view: ``add(pattern, handler)``, then ``parse(line)``."""

    def __init__(self):
        self.root = _Node()

    def add(self, pattern, handler):
        node = self.root
        for elem in pattern.split():
            m = re.fullmatch(r"<([a-z-]+)(?::([a-z-]+))?>", elem)
            if m:
                tname = m.group(1)
                name = m.group(2) or tname
                if tname not in TYPES:
                    raise ValueError("unknown parameter type %r" % tname)
                node = node.child_param(name, tname)
            else:
                node = node.keywords.setdefault(elem, _Node())
        if node.handler is not None and node.handler != handler:
            raise ValueError("pattern %r defined twice" % pattern)
        node.handler = handler
        return self

    def parse(self, line):
        """-> (handler, {param: value}); raises ParseError."""
        tokens = tokenize(line)
        if not tokens:
            return None, {}
        best = [None]  # deepest ParseError

        def fail(err):
            if best[0] is None or err.column > best[0].column:
                best[0] = err

        def walk(node, i, args):
            if i >= len(tokens):
                if node.handler is not None:
                    return node.handler, args
                fail(ParseError(INCOMPLETE, len(line.rstrip()) + 1))
                return None
            if not node.keywords and not node.params:
                fail(ParseError(TOO_MANY, tokens[i].start))
                return None
            tok = tokens[i]
            word = tok.text.lower()
            matches = [k for k in node.keywords if k.startswith(word)]
            if word in node.keywords:
                matches = [word]
            if len(matches) > 1:
                fail(ParseError(AMBIGUOUS, tok.start))
            elif matches:
                found = walk(node.keywords[matches[0]], i + 1, args)
                if found:
                    return found
            tried_param = False
            for name, tname, child in node.params:
                try:
                    value, j = TYPES[tname](tokens, i, line)
                except _Mismatch:
                    continue
                except ParseError as err:
                    tried_param = True
                    fail(err)
                    continue
                tried_param = True
                found = walk(child, j, dict(args, **{name: value}))
                if found:
                    return found
            if not matches and not tried_param:
                fail(ParseError(UNRECOGNIZED, tok.start))
            return None

        found = walk(self.root, 0, {})
        if found:
            return found
        error = best[0]
        if error is None:  # cannot happen: every failing branch records why
            error = ParseError(UNRECOGNIZED, tokens[0].start)
        raise error
