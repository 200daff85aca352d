"""Unit tests of the RouterOS emulator's pieces (no namespace): codec, queries, values, FRR translation."""
import asyncio

import pytest
from librouteros import protocol as lr

from lab.routeros import bgp
from lab.routeros.device import Device, evaluate_query
from lab.routeros.model import ApiError, Field, format_duration, full_version, parse_duration
from lab.routeros.protocol import encode_length, encode_sentence, read_sentence


@pytest.mark.parametrize("length", [0, 1, 0x7F, 0x80, 0x3FFF, 0x4000, 0x1FFFFF, 0x200000, 0xFFFFFFF])
def test_length_prefix_matches_librouteros(length):
    assert encode_length(length) == lr.encode_length(length)


def test_sentence_roundtrip():
    words = ["/ip/address/add", "=comment=" + "x" * 300, ".tag=1"]
    assert encode_sentence(words) == lr.encode_sentence(*words, encoding="utf-8")

    async def read():
        reader = asyncio.StreamReader()
        reader.feed_data(b"\x00" + encode_sentence(words))  # empty sentences are skipped
        reader.feed_eof()
        return await read_sentence(reader)
    assert asyncio.run(read()) == words


ROW = {".id": "*1", "name": "a", "disabled": "false", "as": "64513"}


@pytest.mark.parametrize("query,expected", [
    (["?name=a"], True), (["?=name=b"], False), (["?name"], True), (["?-name"], False),
    (["?-comment"], True), (["?disabled=no"], True), (["?disabled=yes"], False),
    (["?<as=65000"], True), (["?>as=65000"], False), (["?>as=64513"], False),
    (["?name=b", "?name=a", "?#|"], True), (["?name=b", "?name=a", "?#&"], False),
    (["?name=a", "?#!"], False), (["?name=b", "?#!"], True), (["?name=a", "?#.", "?#&"], True),
    (["?name=b", "?name=a", "?#0"], False), ([], True),
])
def test_query_stack(query, expected):
    assert evaluate_query(query, ROW) is expected


def test_values_are_normalised_like_routeros():
    assert Field("x", "bool").normalise("yes") == "true"
    assert Field("as", "asn").normalise("1.10") == str(65536 + 10)
    with pytest.raises(ApiError, match=r"value of as out of range \(0..4294967295\)"):
        Field("as", "asn").normalise("4294967296")
    assert Field("hold-time", "time", lo=3, hi=65535, special=("infinity",)).normalise("180") == "3m"
    assert Field("a", "ipprefix").normalise("10.0.0.7/24") == "10.0.0.7/24"
    with pytest.raises(ApiError, match="input does not match any value of local.role"):
        Field("local.role", "enum", choices=("ibgp",)).normalise("internal")
    assert parse_duration("1h30m") == 5400 and format_duration(5400) == "1h30m"
    assert full_version("7.10") == "7.10.2 (stable)" and full_version("7.16.1") == "7.16.1 (stable)"


def _device(version, tmp_path):
    return Device(version=version, state_file=str(tmp_path / "s.json"), write_log=str(tmp_path / "w.log"))


def test_incremental_frr_changes(tmp_path):
    dev = _device("7.10", tmp_path)
    ok = dev.execute(["/routing/bgp/connection/add", "=name=a", "=remote.address=10.0.0.2",
                      "=local.role=ibgp", "=as=64513"])
    assert ok == [["!done", "=ret=*1"]]
    first = bgp.compile_config(dev)
    assert bgp.diff_commands(None, first)[0] == "router bgp 64513"
    dev.execute(["/routing/bgp/connection/add", "=name=b", "=remote.address=10.0.0.3",
                 "=local.role=ebgp", "=remote.as=65001", "=as=64513", "=tcp-md5-key=k"])
    second = bgp.compile_config(dev)
    lines = bgp.diff_commands(first, second)
    assert "no router bgp 64513" not in lines and "neighbor 10.0.0.2 remote-as internal" not in lines
    assert "neighbor 10.0.0.3 password k" in lines
    dev.execute(["/routing/bgp/connection/set", "=.id=*1", "=as=65000"])
    assert bgp.diff_commands(second, bgp.compile_config(dev))[0] == "no router bgp 64513"
    dev.execute(["/routing/bgp/connection/remove", "=.id=*1,*2"])
    assert bgp.diff_commands(second, bgp.compile_config(dev)) == ["no router bgp 64513"]


def test_write_log_masks_secrets(tmp_path):
    dev = _device("7.10", tmp_path)
    dev.execute(["/routing/bgp/connection/add", "=name=a", "=remote.address=10.0.0.2",
                 "=local.role=ibgp", "=tcp-md5-key=topsecret"])
    text = (tmp_path / "w.log").read_text()
    assert "topsecret" not in text and "********" in text


def test_print_returns_the_tcp_md5_key_as_routeros_does(tmp_path):
    """MikroTik documents tcp-md5-key as an ordinary string property (print and export show it; export
    hides it only with hide-sensitive): the emulator prints it, only its write log masks it."""
    dev = _device("6.49", tmp_path)
    dev.execute(["/routing/bgp/peer/add", "=name=a", "=remote-address=10.0.0.2", "=remote-as=65001",
                 "=tcp-md5-key=topsecret"])
    rows = [reply for reply in dev.execute(["/routing/bgp/peer/print"]) if reply[0] == "!re"]
    assert "=tcp-md5-key=topsecret" in rows[0]
