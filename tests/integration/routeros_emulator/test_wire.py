"""Sentence-level behaviour, through librouteros's own codec: tags, !empty, !fatal, ?# queries, errors."""
import pytest
from librouteros.exceptions import FatalError


def _attrs(reply):
    return dict(w[1:].split("=", 1) for w in reply[1] if w.startswith("="))


def test_login_required_and_bad_login_keeps_the_session(routeros, raw_api):
    dev = routeros("7.10")
    api = raw_api(dev, login=False)
    assert api.call("/system/identity/print")[0][0] == "!trap"
    replies = api.call("/login", "=name=admin", "=password=bad")
    assert replies == [("!trap", ("=message=invalid user name or password (6)",)), ("!done", ())]
    assert api.call("/login", "=name=admin", "=password=%s" % dev.password) == [("!done", ())]
    assert api.call("/system/identity/print") == [("!re", ("=name=ros",)), ("!done", ())]


def test_tag_is_echoed_only_when_sent(routeros, raw_api):
    dev = routeros("7.20")
    api = raw_api(dev)
    assert api.call("/system/identity/print", ".tag=7") == [("!re", ("=name=ros", ".tag=7")),
                                                            ("!done", (".tag=7",))]
    assert api.call("/system/identity/print") == [("!re", ("=name=ros",)), ("!done", ())]
    trap = api.call("/ip/address/remove", "=.id=*77", ".tag=x1")
    assert trap == [("!trap", ("=message=no such item", ".tag=x1")), ("!done", (".tag=x1",))]


@pytest.mark.parametrize("version,empty", [("6.49", False), ("7.10", False), ("7.17", False), ("7.18", True),
                                           ("7.20", True)])
def test_empty_reply_from_7_18(routeros, raw_api, version, empty):
    dev = routeros(version)
    api = raw_api(dev)
    replies = api.call("/ip/address/print", "?comment=nothing-has-this")
    assert replies == ([("!empty", ()), ("!done", ())] if empty else [("!done", ())])


def test_quit_is_fatal(routeros, raw_api):
    dev = routeros("7.10")
    api = raw_api(dev)
    with pytest.raises(FatalError, match="session terminated on request"):
        api.call("/quit")


def test_unknown_commands_and_parameters(routeros, raw_api):
    dev = routeros("7.10")
    api = raw_api(dev)
    assert api.call("/routing/bgp/peer/print")[0] == ("!trap", ("=message=no such command prefix",))
    assert api.call("/ip/address/frobnicate")[0] == ("!trap", ("=message=no such command",))
    assert api.call("/ip/address/print", "=colour=red")[0] == ("!trap", ("=message=unknown parameter",))
    assert api.call("/ip/address/print", "stray")[0] == ("!trap", ("=message=expected end of command",))


def test_query_stack_operators(routeros, raw_api):
    dev = routeros("7.10")
    api = raw_api(dev)
    mgmt_if = _attrs(api.call("/ip/address/print")[0])["interface"]
    for n in range(4):
        assert api.call("/ip/address/add", "=address=10.3.%d.1/24" % n, "=interface=%s" % mgmt_if,
                        "=comment=c%d" % n)[-1][0] == "!done"

    def comments(*words):
        replies = api.call("/ip/address/print", "=.proplist=comment", *words)
        return sorted(_attrs(r)["comment"] for r in replies if r[0] == "!re" and _attrs(r))

    assert comments("?comment=c1", "?comment=c2", "?#|") == ["c1", "c2"]
    assert comments("?comment=c1", "?comment=c2", "?#|!") == ["c0", "c3"]
    assert comments("?comment") == ["c0", "c1", "c2", "c3"]
    assert comments("?-comment") == []
    assert comments("?>comment=c1", "?<comment=c3") == ["c2"]
    assert comments("?=disabled=no", "?comment=c3") == ["c3"]
    assert comments("?=disabled=false", "?=disabled=yes", "?#|", "?comment=c0") == ["c0"]
    assert comments("?comment=c0", "?#.", "?#&") == ["c0"]
    # count-only answers in !done's ret
    assert api.call("/ip/address/print", "=count-only=", "?comment")[-1] == ("!done", ("=ret=4",))
    # .proplist keeps only the named properties, .id included when asked
    replies = api.call("/ip/address/print", "=.proplist=.id,address", "?comment=c0")
    assert replies[0] == ("!re", ("=.id=*2", "=address=10.3.0.1/24"))


def test_set_by_comma_list_unset_and_get(routeros, raw_api):
    dev = routeros("7.10")
    api = raw_api(dev)
    mgmt_if = _attrs(api.call("/ip/address/print")[0])["interface"]
    api.call("/ip/address/add", "=address=10.4.0.1/24", "=interface=%s" % mgmt_if, "=comment=x")
    api.call("/ip/address/add", "=address=10.4.1.1/24", "=interface=%s" % mgmt_if, "=comment=y")
    assert api.call("/ip/address/set", "=.id=*2,*3", "=disabled=yes") == [("!done", ())]
    assert api.call("/ip/address/get", "=number=*3", "=value-name=disabled") == [("!done", ("=ret=true",))]
    assert api.call("/ip/address/unset", "=numbers=*2", "=value-name=comment") == [("!done", ())]
    assert api.call("/ip/address/print", "=.proplist=comment", "?.id=*2") == [("!re", ()), ("!done", ())]
    assert api.call("/ip/address/set", "=.id=*2", "=disabled=maybe")[0] == (
        "!trap", ("=message=invalid value for argument disabled",))
