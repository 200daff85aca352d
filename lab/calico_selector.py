"""Calico label selectors for the lab's calico-node (``nodeSelector``, ``peerSelector``).

A small recursive-descent evaluator of Calico's selector language: ``all()``, ``global()``,
``has(k)``, ``k == 'v'``, ``k != 'v'``, ``k in {'a', 'b'}``, ``k not in {...}``, ``k contains 'v'``,
``k starts with 'v'``, ``k ends with 'v'``, ``!``, ``&&``, ``||`` and parentheses. The lab only needs
to evaluate selectors the collection wrote; a selector it cannot read matches nothing (and the
reason is raised as ``ValueError`` for the caller to log).
"""
import re

_TOKEN = re.compile(r"""\s*(?:
    (?P<str>"[^"]*"|'[^']*')
  | (?P<op>&&|\|\||==|!=|!|\(|\)|\{|\}|,)
  | (?P<word>[A-Za-z0-9_./\-]+)
)""", re.VERBOSE)


def _tokens(text):
    out = []
    pos = 0
    text = text.rstrip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None or match.end() == pos:
            raise ValueError("cannot read selector %r at %d" % (text, pos))
        if match.group("str") is not None:
            out.append(("str", match.group("str")[1:-1]))
        elif match.group("op") is not None:
            out.append(("op", match.group("op")))
        else:
            out.append(("word", match.group("word")))
        pos = match.end()
    return out


class _Reader:
    def __init__(self, text):
        self.text = text
        self.items = _tokens(text)
        self.pos = 0

    def peek(self, offset=0):
        index = self.pos + offset
        return self.items[index] if index < len(self.items) else (None, None)

    def take(self, kind=None, value=None):
        item = self.peek()
        if (kind and item[0] != kind) or (value and item[1] != value):
            raise ValueError("selector %r: expected %s near token %d" % (self.text, value or kind, self.pos))
        self.pos += 1
        return item[1]

    def disjunction(self):
        terms = [self.conjunction()]
        while self.peek() == ("op", "||"):
            self.take()
            terms.append(self.conjunction())
        return lambda labels: any(term(labels) for term in terms)

    def conjunction(self):
        terms = [self.unary()]
        while self.peek() == ("op", "&&"):
            self.take()
            terms.append(self.unary())
        return lambda labels: all(term(labels) for term in terms)

    def unary(self):
        if self.peek() == ("op", "!"):
            self.take()
            inner = self.unary()
            return lambda labels: not inner(labels)
        if self.peek() == ("op", "("):
            self.take()
            inner = self.disjunction()
            self.take("op", ")")
            return inner
        return self.term()

    def term(self):
        word = self.take("word")
        if word in ("all", "global") and self.peek() == ("op", "("):
            self.take()
            self.take("op", ")")
            return lambda labels: True
        if word == "has" and self.peek() == ("op", "("):
            self.take()
            key = self.take("word")
            self.take("op", ")")
            return lambda labels: key in labels
        return self.comparison(word)

    def comparison(self, key):
        kind, value = self.peek()
        if kind == "op" and value in ("==", "!="):
            self.take()
            want = self.take("str")
            if value == "==":
                return lambda labels: labels.get(key) == want
            return lambda labels: labels.get(key) != want
        if (kind, value) == ("word", "not") and self.peek(1) == ("word", "in"):
            self.take()
            self.take()
            members = self.members()
            return lambda labels: labels.get(key) not in members
        if (kind, value) == ("word", "in"):
            self.take()
            members = self.members()
            return lambda labels: labels.get(key) in members
        return self.string_test(key)

    def string_test(self, key):
        word = self.take("word")
        if word in ("starts", "ends"):
            self.take("word", "with")
        want = self.take("str")
        tests = {"contains": lambda v: want in v, "starts": lambda v: v.startswith(want),
                 "ends": lambda v: v.endswith(want)}
        if word not in tests:
            raise ValueError("selector %r: unknown operator %r" % (self.text, word))
        test = tests[word]
        return lambda labels: key in labels and test(labels[key])

    def members(self):
        self.take("op", "{")
        out = set()
        while self.peek() != ("op", "}"):
            out.add(self.take("str"))
            if self.peek() == ("op", ","):
                self.take()
        self.take("op", "}")
        return out


def compile_selector(text):
    """A function ``labels -> bool`` for a Calico selector text (empty text: matches nothing)."""
    if not text or not text.strip():
        return lambda labels: False
    reader = _Reader(text)
    test = reader.disjunction()
    if reader.pos != len(reader.items):
        raise ValueError("selector %r: unexpected text after token %d" % (text, reader.pos))
    return test
