# -*- coding: utf-8 -*-
# Copyright: kubefabric.bgp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Calico selector grammar: the behaviours summarised in shared/reference/calico/selector_cases.txt."""

from __future__ import annotations

import pytest

from ansible_collections.kubefabric.bgp.plugins.module_utils.calico import selector as sel
from ansible_collections.kubefabric.bgp.plugins.module_utils.calico.selector import SelectorError, parse

EMPTY = {}

# (selector, label maps that match, label maps that do not)
MATCH_CASES = [
    # multi-map cases
    ('a == "a"', [{"a": "a"}, {"a": "a", "b": "b"}], [{}, {"a": "b"}, {"b": "a"}]),
    ('a == "a" && b == "b"', [{"a": "a", "b": "b"}], [{}, {"a": "a"}, {"b": "b"}, {"a": "a", "b": "c"}]),
    ('a == "a" || b == "b"', [{"a": "a"}, {"b": "b"}, {"a": "a", "b": "b"}], [{}, {"a": "b", "b": "a"}]),
    ('a in {"a", "b"}', [{"a": "a"}, {"a": "b"}], [{}, {"a": "c"}, {"b": "a"}]),
    ('a not in {"a", "b"}', [{}, {"a": "c"}, {"b": "a"}], [{"a": "a"}, {"a": "b"}]),
    # single operations
    ("a == 'a'", [{"a": "a"}], [{}, {"a": "b"}]),
    ('a=="a"', [{"a": "a"}], [{}]),
    ('a != "a"', [{}, {"a": "b"}, {"b": "a"}], [{"a": "a"}]),
    ("a != 'a'", [{}, {"a": "b"}], [{"a": "a"}]),
    ('a!="a"', [{}], [{"a": "a"}]),
    ('a in {"\'", "b"}', [{"a": "'"}, {"a": "b"}], [{"a": '"'}, {}]),
    ("a in {'\"', 'b'}", [{"a": '"'}], [{"a": "'"}, {}]),
    ("a in {'x', \"y\"}", [{"a": "x"}, {"a": "y"}], [{"a": "z"}]),
    ('a in {}', [], [{}, {"a": ""}]),
    ('a not in {}', [{}, {"a": ""}], []),
    ('a notin {"x"}', [{}, {"a": "y"}], [{"a": "x"}]),
    ('has(a)', [{"a": ""}, {"a": "b"}], [{}, {"b": "a"}]),
    ('has( a )', [{"a": "x"}], [{}]),
    ('!has(a)', [{}, {"b": "a"}], [{"a": ""}]),
    ('!!has(a)', [{"a": "x"}], [{}]),
    ('! !!has(a)', [{}], [{"a": "x"}]),
    ('!! ! has(a)', [{}], [{"a": "x"}]),
    ('!a in {"a"}', [{}, {"a": "b"}], [{"a": "a"}]),
    ("!a == 'a1'", [{}, {"a": "a2"}], [{"a": "a1"}]),
    ('a contains "bc"', [{"a": "abcd"}, {"a": "bc"}], [{}, {"a": "b"}, {"b": "bc"}]),
    ('a starts with "ab"', [{"a": "abcd"}, {"a": "ab"}], [{}, {"a": "cab"}]),
    ('a startswith "ab"', [{"a": "abc"}], [{"a": "ba"}]),
    ('a ends with "cd"', [{"a": "abcd"}, {"a": "cd"}], [{}, {"a": "cdx"}]),
    ('a endswith "cd"', [{"a": "xcd"}], [{"a": "dc"}]),
    ('a starts  with "x"', [{"a": "xy"}], [{"a": "yx"}]),
    ("", [{}, {"a": "b"}], []),
    (" ", [{}, {"a": "b"}], []),
    ("\t", [{}], []),
    ("all()", [{}, {"a": "b"}], []),
    (" all()", [{}, {"a": "b"}], []),
    ("all( )", [{}], []),
    ("global()", [{}, {"a": "b"}], []),
    ("global( )", [{}], []),
    ("(all())", [{}], []),
    ('calico/k8s_NS-.1/role == "x"', [{"calico/k8s_NS-.1/role": "x"}], [{"calico/k8s_NS-.1/role": "y"}]),
    ('contains contains "contains"', [{"contains": "xcontainsx"}], [{"contains": "x"}]),
    ('startswith starts with "value"', [{"startswith": "values"}], [{"startswith": "x"}]),
    ('endswith ends with "value"', [{"endswith": "a value"}], [{"endswith": "x"}]),
    ('label contains"value"', [{"label": "xvaluex"}], [{}]),
    # boolean combinations
    ('has(a) && has(b)', [{"a": "", "b": ""}], [{"a": ""}, {"b": ""}, {}]),
    ('has(a) && !has(b)', [{"a": ""}], [{"a": "", "b": ""}, {}]),
    ('!has(a) && !has(b)', [{}], [{"a": ""}, {"b": ""}]),
    ('a == "a" && b != "b"', [{"a": "a"}, {"a": "a", "b": "c"}], [{"a": "a", "b": "b"}, {}]),
    ('a in {"a"} && b not in {"b"}', [{"a": "a"}], [{"a": "a", "b": "b"}]),
    ('(a == "a")&&(b == "b")', [{"a": "a", "b": "b"}], [{"a": "a"}]),
    ('!(!has(a) || has(b))', [{"a": ""}], [{}, {"a": "", "b": ""}, {"b": ""}]),
    ('has(a) && has(b) && has(c)', [{"a": "", "b": "", "c": ""}], [{"a": "", "b": ""}]),
    ('has(a) || has(b) && has(c)', [{"a": ""}, {"b": "", "c": ""}], [{"b": ""}, {"c": ""}, {}]),
    ('(has(a) || has(b)) && has(c)', [{"a": "", "c": ""}, {"b": "", "c": ""}], [{"a": ""}, {"c": ""}]),
    ('has(a) || has(b)', [{"a": ""}, {"b": ""}], [{}]),
    ('a notin {"bar"}&&!has(foo)||b in {"c"}', [{"a": "x"}, {"b": "c", "foo": ""}],
     [{"a": "bar"}, {"a": "x", "foo": ""}]),
    ('has(a) && all()', [{"a": ""}], [{}]),
    ('!all()', [], [{}, {"a": "b"}]),
]


@pytest.mark.parametrize("text,matching,not_matching", MATCH_CASES)
def test_match(text, matching, not_matching):
    parsed = parse(text)
    again = parse(parsed.canonical())
    for labels in matching:
        assert parsed.evaluate(labels) is True, (text, labels)
        assert again.evaluate(labels) is True, (parsed.canonical(), labels)
    for labels in not_matching:
        assert parsed.evaluate(labels) is False, (text, labels)
        assert again.evaluate(labels) is False, (parsed.canonical(), labels)


BAD_SELECTORS = [
    ("b == b", 5), ("b contains b", 11), ("b starts with b", 14), ("b ends with b", 12),
    ("'b1' == b", 0), ("b", 1), ("a b", 2), ("!", 1), ('a == "b" &', 9), ('a == "b" |', 9),
    ("foo != ||", 7), ('foo in {"", ||', 12), ('foo in ""', 7), ('a == "b', 5), ("a == 'b", 5),
    ('a == "FOO\'', 5), ("a == 'FOO\"", 5), ("(", 1), ('(a == "foo"', 11), (")", 0), ("()", 1),
    ("%", 0), ("has(foo) && %", 12), ("has(foo) || %", 12), ("a ", 2), ("has(foo) &&", 11),
    ('label = "value"', 6), ("all(", 4), ("global(", 7), ("has()", 4), ("has(foo", 7), ("has( foo ", 9),
    ("a starts foo", 9), ('a inf {"a"}', 2), ("a ends foo", 7), ('a ends withs "x"', 7), ('a squiggles "x"', 2),
]


@pytest.mark.parametrize("text,position", BAD_SELECTORS)
def test_bad_selector(text, position):
    with pytest.raises(SelectorError) as err:
        parse(text)
    assert err.value.position == position, str(err.value)
    assert isinstance(err.value, ValueError)
    # The message quotes the selector and points at the position.
    lines = str(err.value).splitlines()
    assert "position %d" % position in lines[0]
    assert lines[-1] == " " * position + "^"
    assert isinstance(sel.validate(text), SelectorError)


CANONICAL = [
    ("", "all()"),
    (" all() ", "all()"),
    (" (all() )", "all()"),
    ("global()", "global()"),
    ("a=='b'", 'a == "b"'),
    ("a == 'b\"'", "a == 'b\"'"),
    ("a!='\"'", "a != '\"'"),
    ("!has(a)", "!has(a)"),
    ("!(has(b) || !has(a))", "!(has(b) || !has(a))"),
    ("has(a)&&has(b)", "(has(a) && has(b))"),
    ("has(a) || has(b) && has(c)", "(has(a) || (has(b) && has(c)))"),
    ('a startswith "x"', 'a starts with "x"'),
    ('a endswith "x"', 'a ends with "x"'),
    ('a   contains  "x"', 'a contains "x"'),
    ('a in {"z","z","x","y","x","a"}', 'a in {"a", "x", "y", "z"}'),
    ("a notin {'b'}", 'a not in {"b"}'),
    ("a in {}", "a in {}"),
    ("!!has(a)", "!!has(a)"),
]


@pytest.mark.parametrize("text,expected", CANONICAL)
def test_canonical(text, expected):
    assert parse(text).canonical() == expected
    assert parse(expected).canonical() == expected


def test_tokens_without_spaces():
    kinds = [t.kind for t in sel.tokenize('a notin"bar"&&!has(foo)||b in"c"')]
    assert kinds == [sel.LABEL, sel.NOTIN, sel.STRING, sel.AND, sel.NOT, sel.HAS, sel.OR, sel.LABEL, sel.IN,
                     sel.STRING, sel.EOF]
    # `in` with a bare string tokenizes; only the parser rejects it
    with pytest.raises(SelectorError):
        parse('b in"c"')
    kinds = [t.kind for t in sel.tokenize("a in {}")]
    assert kinds == [sel.LABEL, sel.IN, sel.LBRACE, sel.RBRACE, sel.EOF]


def test_newline_is_not_whitespace():
    with pytest.raises(SelectorError) as err:
        parse('has(a)\n&& has(b)')
    assert err.value.position == 6


def test_label_length_limit():
    assert parse("has(%s)" % ("x" * 512)).evaluate({"x" * 512: ""})
    with pytest.raises(SelectorError):
        parse("%s == 'a'" % ("x" * 513))


def test_non_string_label_values_compare_as_text():
    assert parse('rack == "7"').evaluate({"rack": 7})


def test_index_hint():
    assert parse('a == "x" && has(b)').index_hint() == ("a", frozenset(["x"]))
    assert parse('has(b) && a in {"x", "y"}').index_hint() == ("a", frozenset(["x", "y"]))
    assert parse('has(b)').index_hint() == ("b", None)
    assert parse('a != "x"').index_hint() is None
    assert parse('has(a) || has(b)').index_hint() is None
    assert parse('all()').index_hint() is None
    assert parse('all()').is_all()


def test_equality_and_hash_use_canonical_form():
    assert parse("has(a)&&has(b)") == parse("has(a) && has(b)")
    assert len({parse("a=='x'"), parse('a == "x"')}) == 1


# ---- the label index answers a selector as evaluating it on every object would

@pytest.mark.parametrize("text,good,bad", MATCH_CASES)
def test_label_index_matches_the_case_table(text, good, bad):
    objects = {"good%d" % i: labels for i, labels in enumerate(good)}
    objects.update({"bad%d" % i: labels for i, labels in enumerate(bad)})
    assert sel.LabelIndex(objects).matching(text) == {"good%d" % i for i in range(len(good))}


def test_label_index_on_racks():
    nodes = {"n1": {"rack": "r1", "rr-id": "r1", "rr-group": "r1"}, "n2": {"rack": "r1", "rr-group": "r1"},
             "n3": {"rack": "r2", "rr-group": "r2"}, "n4": {"rack": "r2", "rr-id": "r2", "rr-group": "r2", "x": "abc"}}
    index = sel.LabelIndex(nodes)
    assert index.matching("rr-group == 'r1' && !has(rr-id)") == {"n2"}
    assert index.matching("rr-id == 'r2'") == {"n4"}
    assert index.matching("has(rr-id)") == {"n1", "n4"}
    assert index.matching("all()") == {"n1", "n2", "n3", "n4"}
    assert index.matching("rack == 'r2' && x contains 'b'") == {"n4"}  # evaluated on rack r2 only
    assert index.matching("rack != 'r1'") == {"n3", "n4"}
    assert index.matching("rack in {'r1'} || x == 'abc'") == {"n1", "n2", "n4"}
    assert index.matching("rack == 'r3'") == set()
