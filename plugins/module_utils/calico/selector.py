# -*- coding: utf-8 -*-
# Copyright: kubefabric.bgp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Calico label selectors: tokenizer, parser, evaluator and canonical form.

The grammar is Calico's (libcalico-go ``lib/selector``)::

    selector   := or_expr EOF            (empty / blank text means all())
    or_expr    := and_expr ( "||" and_expr )*
    and_expr   := unary ( "&&" unary )*
    unary      := "!" unary | operation
    operation  := "(" or_expr ")" | "has(" LABEL ")" | "all()" | "global()"
                | LABEL ( "==" | "!=" ) STRING
                | LABEL ( "in" | "not in" ) "{" [ STRING ( "," STRING )* ] "}"
                | LABEL ( "contains" | "starts with" | "ends with" ) STRING

Labels are ``[a-zA-Z0-9_./-]{1,512}``; strings are ``"..."`` or ``'...'`` without escapes; only space
and tab separate tokens. ``!=`` and ``not in`` hold when the label is absent; every other comparison
needs the label. Operator words are only recognised right after a label and may be written as one
word (``notin``, ``startswith``, ``endswith``).

``parse(text)`` returns a :class:`Selector`; a syntax error raises :class:`SelectorError` (a
``ValueError``) whose ``position`` is the 0-based character offset of the problem.
"""

from __future__ import annotations

MAX_LABEL_LENGTH = 512
MAX_SELECTOR_LENGTH = 1024

_LABEL_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_./-")
_WORD_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
_SPACE = " \t"


class SelectorError(ValueError):
    """A selector that does not parse; ``position`` is the 0-based offset of the problem."""

    def __init__(self, message, text, position):
        self.reason = message
        self.text = text
        self.position = position
        pointer = "%s\n%s^" % (text, " " * position)
        super().__init__("invalid selector %r at position %d: %s\n%s" % (text, position, message, pointer))


# --------------------------------------------------------------------------------------------
# tokens

LABEL, STRING = "label", "string"
EQ, NE, IN, NOTIN, CONTAINS, STARTS, ENDS = "==", "!=", "in", "not in", "contains", "starts with", "ends with"
NOT, AND, OR, LPAREN, RPAREN, LBRACE, RBRACE, COMMA = "!", "&&", "||", "(", ")", "{", "}", ","
HAS, ALL, GLOBAL, EOF = "has", "all", "global", "eof"

_OP_WORDS = {"in": IN, "notin": NOTIN, "contains": CONTAINS, "startswith": STARTS, "endswith": ENDS}
_TWO_WORD_OPS = {"not": ("in", NOTIN), "starts": ("with", STARTS), "ends": ("with", ENDS)}


class Token:
    __slots__ = ("kind", "value", "pos")

    def __init__(self, kind, value, pos):
        self.kind = kind
        self.value = value
        self.pos = pos

    def __repr__(self):
        return "Token(%s, %r, %d)" % (self.kind, self.value, self.pos)


def _skip(text, i):
    while i < len(text) and text[i] in _SPACE:
        i += 1
    return i


def _read_word(text, i, chars):
    j = i
    while j < len(text) and text[j] in chars:
        j += 1
    return text[i:j], j


def _read_label(text, i):
    label, j = _read_word(text, i, _LABEL_CHARS)
    if not label:
        raise SelectorError("expected a label", text, i)
    if len(label) > MAX_LABEL_LENGTH:
        raise SelectorError("label longer than %d characters" % MAX_LABEL_LENGTH, text, i)
    return label, j


def _read_call(text, i, name):
    """``name(`` already matched at i; read optional label and the closing parenthesis."""
    j = _skip(text, i + len(name) + 1)
    label = None
    if name == HAS:
        label, j = _read_label(text, j)
        j = _skip(text, j)
    if j >= len(text) or text[j] != ")":
        raise SelectorError("expected ')' to close %s(" % name, text, j)
    return label, j + 1


def tokenize(text):
    """Split a selector into tokens; raises :class:`SelectorError` on bad input."""
    tokens = []
    i = 0
    n = len(text)
    while True:
        i = _skip(text, i)
        if i >= n:
            tokens.append(Token(EOF, None, i))
            return tokens
        c = text[i]
        two = text[i:i + 2]
        if c in "(){},":
            tokens.append(Token(c, c, i))
            i += 1
        elif c in "\"'":
            end = text.find(c, i + 1)
            if end < 0:
                raise SelectorError("unterminated string (missing closing %s)" % c, text, i)
            tokens.append(Token(STRING, text[i + 1:end], i))
            i = end + 1
        elif two in ("==", "!=", "&&", "||"):
            tokens.append(Token(two, two, i))
            i += 2
        elif c == "!":
            tokens.append(Token(NOT, NOT, i))
            i += 1
        elif c in "=&|":
            raise SelectorError("expected %s%s" % (c, c) if c != "=" else "expected '==' (a single '=' is not an operator)",
                                text, i)
        elif c in _LABEL_CHARS:
            start = i
            for name in (HAS, ALL, GLOBAL):
                if text.startswith(name + "(", i):
                    value, i = _read_call(text, i, name)
                    tokens.append(Token(name, value, start))
                    break
            else:
                label, i = _read_label(text, i)
                tokens.append(Token(LABEL, label, start))
                i = _operator_after_label(text, i, tokens)
        else:
            raise SelectorError("unexpected character %r" % c, text, i)


def _operator_after_label(text, i, tokens):
    """Operator words are recognised only right after a label."""
    j = _skip(text, i)
    if j >= len(text) or text[j] not in _WORD_CHARS:
        return i
    word, k = _read_word(text, j, _LABEL_CHARS)
    if word in _OP_WORDS:
        tokens.append(Token(_OP_WORDS[word], _OP_WORDS[word], j))
        return k
    if word in _TWO_WORD_OPS:
        second, kind = _TWO_WORD_OPS[word]
        m = _skip(text, k)
        word2, end = _read_word(text, m, _LABEL_CHARS)
        if m > k and word2 == second:
            tokens.append(Token(kind, kind, j))
            return end
        raise SelectorError("expected %r after %r" % (second, word), text, m)
    raise SelectorError("unexpected %r after label (expected an operator such as ==, !=, in, not in, contains, "
                        "starts with, ends with)" % word, text, j)


# --------------------------------------------------------------------------------------------
# syntax tree


def _quote(value):
    return "'%s'" % value if '"' in value else '"%s"' % value


class Node:
    """A node of the selector tree."""

    def evaluate(self, labels):  # pragma: no cover - abstract
        raise NotImplementedError

    def canonical(self):  # pragma: no cover - abstract
        raise NotImplementedError

    def labels_used(self):
        return set()


class All(Node):
    def evaluate(self, labels):
        return True

    def canonical(self):
        return "all()"


class Global(Node):
    def evaluate(self, labels):
        return True

    def canonical(self):
        return "global()"


class Has(Node):
    def __init__(self, label):
        self.label = label

    def evaluate(self, labels):
        return self.label in labels

    def canonical(self):
        return "has(%s)" % self.label

    def labels_used(self):
        return {self.label}


class Compare(Node):
    """``label OP "value"`` for ==, !=, contains, starts with, ends with."""

    def __init__(self, label, op, value):
        self.label = label
        self.op = op
        self.value = value

    def evaluate(self, labels):
        if self.label not in labels:
            return self.op == NE
        actual = str(labels[self.label])
        if self.op == EQ:
            return actual == self.value
        if self.op == NE:
            return actual != self.value
        if self.op == CONTAINS:
            return self.value in actual
        if self.op == STARTS:
            return actual.startswith(self.value)
        return actual.endswith(self.value)

    def canonical(self):
        return "%s %s %s" % (self.label, self.op, _quote(self.value))

    def labels_used(self):
        return {self.label}


class InSet(Node):
    def __init__(self, label, values, negated):
        self.label = label
        self.values = frozenset(values)
        self.negated = negated

    def evaluate(self, labels):
        if self.label not in labels:
            return self.negated
        return (str(labels[self.label]) in self.values) != self.negated

    def canonical(self):
        return "%s %s {%s}" % (self.label, NOTIN if self.negated else IN,
                               ", ".join(_quote(v) for v in sorted(self.values)))

    def labels_used(self):
        return {self.label}


class Not(Node):
    def __init__(self, operand):
        self.operand = operand

    def evaluate(self, labels):
        return not self.operand.evaluate(labels)

    def canonical(self):
        return "!" + self.operand.canonical()

    def labels_used(self):
        return self.operand.labels_used()


class And(Node):
    def __init__(self, operands):
        self.operands = operands

    def evaluate(self, labels):
        return all(op.evaluate(labels) for op in self.operands)

    def canonical(self):
        return "(" + " && ".join(op.canonical() for op in self.operands) + ")"

    def labels_used(self):
        return set().union(*(op.labels_used() for op in self.operands))


class Or(Node):
    def __init__(self, operands):
        self.operands = operands

    def evaluate(self, labels):
        return any(op.evaluate(labels) for op in self.operands)

    def canonical(self):
        return "(" + " || ".join(op.canonical() for op in self.operands) + ")"

    def labels_used(self):
        return set().union(*(op.labels_used() for op in self.operands))


# --------------------------------------------------------------------------------------------
# parser


class _Parser:
    def __init__(self, text, tokens):
        self.text = text
        self.tokens = tokens
        self.i = 0

    def peek(self):
        return self.tokens[self.i]

    def take(self):
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def fail(self, message, tok=None):
        tok = tok or self.peek()
        found = "end of selector" if tok.kind == EOF else repr(self.text[tok.pos:tok.pos + 20])
        raise SelectorError("%s, found %s" % (message, found), self.text, tok.pos)

    def parse(self):
        if self.peek().kind == EOF:
            return All()
        node = self.or_expr()
        if self.peek().kind != EOF:
            self.fail("expected '&&', '||' or the end of the selector")
        return node

    def or_expr(self):
        operands = [self.and_expr()]
        while self.peek().kind == OR:
            self.take()
            operands.append(self.and_expr())
        return operands[0] if len(operands) == 1 else Or(operands)

    def and_expr(self):
        operands = [self.unary()]
        while self.peek().kind == AND:
            self.take()
            operands.append(self.unary())
        return operands[0] if len(operands) == 1 else And(operands)

    def unary(self):
        if self.peek().kind == NOT:
            self.take()
            return Not(self.unary())
        return self.operation()

    def operation(self):
        tok = self.take()
        if tok.kind == LPAREN:
            if self.peek().kind == RPAREN:
                self.fail("expected an expression inside parentheses")
            node = self.or_expr()
            if self.peek().kind != RPAREN:
                self.fail("expected ')'")
            self.take()
            return node
        if tok.kind == HAS:
            return Has(tok.value)
        if tok.kind == ALL:
            return All()
        if tok.kind == GLOBAL:
            return Global()
        if tok.kind != LABEL:
            self.fail("expected a label, has(), all(), global(), '!' or '('", tok)
        op = self.take()
        if op.kind in (EQ, NE, CONTAINS, STARTS, ENDS):
            value = self.take()
            if value.kind != STRING:
                self.fail("expected a quoted string after %r" % op.kind, value)
            return Compare(tok.value, op.kind, value.value)
        if op.kind in (IN, NOTIN):
            return InSet(tok.value, self.set_literal(), op.kind == NOTIN)
        self.fail("expected an operator after label %r" % tok.value, op)
        return None  # pragma: no cover

    def set_literal(self):
        if self.peek().kind != LBRACE:
            self.fail("expected a set literal such as {\"a\", \"b\"}")
        self.take()
        values = []
        if self.peek().kind == RBRACE:
            self.take()
            return values
        while True:
            tok = self.take()
            if tok.kind != STRING:
                self.fail("expected a quoted string in the set", tok)
            values.append(tok.value)
            sep = self.take()
            if sep.kind == RBRACE:
                return values
            if sep.kind != COMMA:
                self.fail("expected ',' or '}' in the set", sep)


class Selector:
    """A parsed selector: ``evaluate(labels)``, ``canonical()``, the original ``text``."""

    def __init__(self, text, root):
        self.text = text
        self.root = root

    def evaluate(self, labels):
        return self.root.evaluate(labels or {})

    def canonical(self):
        return self.root.canonical()

    def labels_used(self):
        return self.root.labels_used()

    def is_all(self):
        return isinstance(self.root, (All, Global))

    def index_hint(self):
        """A necessary condition usable for indexing: ``(label, frozenset(values) or None)``.

        Returns a label that every match must carry, with the set of values it must have (None when
        any value will do), or None when the selector offers no such handle. Matches still have to
        be confirmed with :meth:`evaluate`.
        """
        return _hint(self.root)

    def __str__(self):
        return self.canonical()

    def __repr__(self):
        return "Selector(%r)" % self.canonical()

    def __eq__(self, other):
        return isinstance(other, Selector) and other.canonical() == self.canonical()

    def __hash__(self):
        return hash(self.canonical())


def _hint(node):
    if isinstance(node, Compare) and node.op == EQ:
        return node.label, frozenset([node.value])
    if isinstance(node, InSet) and not node.negated:
        return node.label, node.values
    if isinstance(node, Has) or (isinstance(node, Compare) and node.op != NE):
        return node.label, None
    if isinstance(node, And):
        best = None
        for op in node.operands:
            hint = _hint(op)
            if hint and (best is None or (best[1] is None and hint[1] is not None)):
                best = hint
        return best
    return None


def parse(text):
    """Parse ``text`` into a :class:`Selector`; raises :class:`SelectorError`."""
    if text is None:
        text = ""
    if not isinstance(text, str):
        raise SelectorError("a selector must be a string, not %s" % type(text).__name__, str(text), 0)
    if len(text) > MAX_SELECTOR_LENGTH:
        raise SelectorError("selector longer than %d characters" % MAX_SELECTOR_LENGTH, text, MAX_SELECTOR_LENGTH)
    return Selector(text, _Parser(text, tokenize(text)).parse())


def validate(text):
    """Return None when ``text`` parses, else the :class:`SelectorError`."""
    try:
        parse(text)
    except SelectorError as exc:
        return exc
    return None


# --------------------------------------------------------------------------------------------
# an index of labelled objects: selectors answered by set operations instead of one evaluation per object

class LabelIndex:
    """Objects (``{key: labels}``) indexed by label, so that a selector costs what it matches.

    ``matching(selector)`` answers ``all()``, ``has(k)``, ``k == 'v'``, ``k in {...}`` and their
    ``&&`` / ``||`` / ``!`` combinations from the index; the parts it cannot answer (``!=``,
    ``contains``, ...) are evaluated, but only on the objects the answered parts leave.
    """

    def __init__(self, objects):
        self.labels = dict(objects)
        self.keys = frozenset(self.labels)
        self.by_value = {}
        for key, labels in self.labels.items():
            for label, value in (labels or {}).items():
                self.by_value.setdefault(label, {}).setdefault(str(value), set()).add(key)
        self.by_value = {label: {value: frozenset(keys) for value, keys in values.items()}
                         for label, values in self.by_value.items()}
        self.having = {label: frozenset().union(*values.values()) for label, values in self.by_value.items()}
        self._answers = {}

    def matching(self, selector):
        """The keys of the objects ``selector`` (a :class:`Selector` or text) matches, as a set."""
        if not isinstance(selector, Selector):
            selector = parse(selector)
        return set(self._match(selector.root, self.keys))

    def _answer(self, node):
        """The matching keys from the index alone, or None when the index cannot say (cached per term)."""
        key = node.canonical()
        if key not in self._answers:
            self._answers[key] = self._compute(node)
        return self._answers[key]

    def _compute(self, node):
        if isinstance(node, (All, Global)):
            return self.keys
        if isinstance(node, Has):
            return self.having.get(node.label, frozenset())
        if isinstance(node, Compare) and node.op == EQ:
            return self.by_value.get(node.label, {}).get(node.value, frozenset())
        if isinstance(node, InSet) and not node.negated:
            values = self.by_value.get(node.label, {})
            return frozenset().union(*(values.get(v, ()) for v in node.values))
        if isinstance(node, Not):
            inner = self._answer(node.operand)
            return None if inner is None else self.keys - inner
        if isinstance(node, (And, Or)):
            answers = [self._answer(op) for op in node.operands]
            if any(a is None for a in answers):
                return None
            if isinstance(node, And):
                return frozenset.intersection(*sorted(answers, key=len))
            return frozenset().union(*answers)
        return None

    def _match(self, node, candidates):
        answer = self._answer(node)
        if answer is not None:
            return answer & candidates
        if isinstance(node, And):
            answered = [a for a in (self._answer(op) for op in node.operands) if a is not None]
            for answer in sorted(answered, key=len):
                candidates = candidates & answer
            rest = [op for op in node.operands if self._answer(op) is None]
            return frozenset(k for k in candidates if all(op.evaluate(self.labels[k] or {}) for op in rest))
        return frozenset(k for k in candidates if node.evaluate(self.labels[k] or {}))
