import ipaddress

import pytest

from ansible_collections.kubefabric.bgp.plugins.module_utils.calico import addr


@pytest.mark.parametrize("text, ip, port", [
    ("10.0.0.1", "10.0.0.1", None),
    ("10.0.0.1:179", "10.0.0.1", 179),
    ("10.0.0.1:1", "10.0.0.1", 1),
    ("10.0.0.1:65535", "10.0.0.1", 65535),
    ("10.0.0.1:00179", "10.0.0.1", 179),
    ("2001:db8::1", "2001:db8::1", None),
    ("[2001:db8::1]:1790", "2001:db8::1", 1790),
    ("[::ffff:10.0.0.1]:179", "::ffff:10.0.0.1", 179),
    ("::1", "::1", None),
    ("1::2:3:179", "1::2:3:179", None),   # no regex match: the whole text is an IPv6 address
    ("::ffff:10.0.0.1", "::ffff:10.0.0.1", None),
])
def test_parse_peer_ip_valid(text, ip, port):
    assert addr.parse_peer_ip(text) == (ip, port)
    assert addr.is_valid_peer_ip(text)


@pytest.mark.parametrize("text, message", [
    ("", addr.PEER_IP_FORMAT_MSG),
    ("10.0.0.1:0", addr.PEER_IP_PORT_MSG),
    ("10.0.0.1:65536", addr.PEER_IP_PORT_MSG),
    ("10.0.0.1:99999999999999999999", addr.PEER_IP_PORT_MSG),
    ("[2001:db8::1]:0", addr.PEER_IP_PORT_MSG),
    ("[2001:db8::1]:70000", addr.PEER_IP_PORT_MSG),
    ("1:2:3:4:179", addr.PEER_IP_FORMAT_MSG),       # matches the IPv4:port regex, too many colons
    ("10x0x0x1:179", addr.PEER_IP_ADDRESS_MSG),     # '.' in Calico's regex matches any character
    ("300.0.0.1:179", addr.PEER_IP_ADDRESS_MSG),
    ("[2001:db8::1]", addr.PEER_IP_ADDRESS_MSG),
    ("2001:db8::1:179x", addr.PEER_IP_ADDRESS_MSG),
    ("10.0.0.1:179:1", addr.PEER_IP_ADDRESS_MSG),
    ("router1", addr.PEER_IP_ADDRESS_MSG),
    ("10.0.0.1/32", addr.PEER_IP_ADDRESS_MSG),
    ("fe80::1%eth0", addr.PEER_IP_ADDRESS_MSG),
    ("010.0.0.1", addr.PEER_IP_ADDRESS_MSG),         # Go refuses leading zeros in IPv4
    ("10.0.0.1 ", addr.PEER_IP_ADDRESS_MSG),
    ("１0.0.0.1", addr.PEER_IP_ADDRESS_MSG),
])
def test_parse_peer_ip_invalid(text, message):
    with pytest.raises(ValueError) as err:
        addr.parse_peer_ip(text)
    assert str(err.value) == message
    assert not addr.is_valid_peer_ip(text)


@pytest.mark.parametrize("ip, port, text", [
    ("10.0.0.1", None, "10.0.0.1"), ("10.0.0.1", 179, "10.0.0.1:179"),
    ("2001:db8::1", 179, "[2001:db8::1]:179"), ("2001:db8::1", None, "2001:db8::1"),
])
def test_format_peer_ip_round_trip(ip, port, text):
    assert addr.format_peer_ip(ip, port) == text
    assert addr.parse_peer_ip(text) == (ip, port)


@pytest.mark.parametrize("text, version", [
    ("10.0.0.1", 4), ("2001:db8::1", 6), ("::ffff:10.0.0.1", 4), ("::", 6), ("0.0.0.0", 4),
])
def test_ip_version(text, version):
    assert addr.ip_version(text) == version
    assert addr.is_ipv4(text) == (version == 4)
    assert addr.is_ipv6(text) == (version == 6)


@pytest.mark.parametrize("text", ["", "10.0.0", "10.0.0.1/32", "fe80::1%1", "x", None, 167772161])
def test_ip_version_rejects(text):
    with pytest.raises(ValueError):
        addr.ip_version(text)
    assert not addr.is_ipv4(text) and not addr.is_ipv6(text)


@pytest.mark.parametrize("text, ip, net", [
    ("10.0.0.5", "10.0.0.5", "10.0.0.5/32"),
    ("10.0.0.5/24", "10.0.0.5", "10.0.0.0/24"),
    ("10.0.0.0/8", "10.0.0.0", "10.0.0.0/8"),
    ("2001:db8::5/64", "2001:db8::5", "2001:db8::/64"),
    ("2001:db8::5", "2001:db8::5", "2001:db8::5/128"),
    ("0.0.0.0/0", "0.0.0.0", "0.0.0.0/0"),
])
def test_parse_cidr_or_ip(text, ip, net):
    got_ip, got_net = addr.parse_cidr_or_ip(text)
    assert got_ip == ipaddress.ip_address(ip)
    assert got_net == ipaddress.ip_network(net)


@pytest.mark.parametrize("text", ["10.0.0.5/33", "2001:db8::/129", "10.0.0/24", "10.0.0.1/", "/24",
                                  "10.0.0.1/-1", "10.0.0.1/2x", "abc", "", None])
def test_parse_cidr_or_ip_rejects(text):
    with pytest.raises(ValueError):
        addr.parse_cidr_or_ip(text)


def test_cidr_family_tags():
    assert addr.is_cidr_v4("192.168.1.10/24") and not addr.is_cidr_v6("192.168.1.10/24")
    assert addr.is_cidr_v6("fd00::10/64") and not addr.is_cidr_v4("fd00::10/64")
    assert not addr.is_cidr_v4("nonsense") and not addr.is_cidr_v6("nonsense")
    assert addr.cidr_version("10.1.0.0/16") == 4
    assert addr.is_masked("10.1.0.0/16") and not addr.is_masked("10.1.0.1/16")
    assert addr.is_masked("10.1.0.1")
