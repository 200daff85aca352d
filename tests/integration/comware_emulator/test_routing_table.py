"""``display ip routing-table`` of the emulated Comware switch, filled from its real FRR, in Comware
V7's layout: read through netmiko's hp_comware driver and parsed with ntc-templates' template
(``use_textfsm``), with a real BIRD 1.6 peer whose static route arrives over BGP.
"""
import re

from netmiko import ConnectHandler

from lab.bird import BirdInstance
from lab.netns import wait_for

from .conftest import node_beside
from .test_bgp_session import BIRD_CFG  # the same BIRD peer

HEADER = "Destination/Mask   Proto   Pre Cost        NextHop         Interface"


def _table(conn):
    rows = conn.send_command("display ip routing-table", use_textfsm=True)
    assert isinstance(rows, list), "ntc-templates did not parse the output:\n%s" % rows
    return rows


def _bgp_rows(conn):
    return [r for r in _table(conn) if r["protocol"] == "BGP"]


def test_routing_table_layout_and_ntc_template(comware, netns_factory, tmp_path):
    node = node_beside(comware, netns_factory, "rt", "172.16.40.2")
    conn = ConnectHandler(**comware.netmiko_params())
    try:
        # before BGP: the Direct routes of the interface addresses and the fixed InLoop0/NULL0 entries
        text = conn.send_command("display ip routing-table")
        lines = text.splitlines()
        match = re.fullmatch(r"Destinations : (\d+) +Routes : (\d+)", lines[1])
        assert lines[0] == "" and match and lines[2] == "" and lines[3] == HEADER, text
        body = lines[4:]
        assert int(match.group(1)) == len(body) == int(match.group(2))
        rows = _table(conn)
        by_dest = {"%s/%s" % (r["network"], r["prefix_length"]): r for r in rows}
        assert {k: (v["protocol"], v["distance"], v["nexthop_ip"], v["nexthop_if"]) for k, v in by_dest.items()
                if k.startswith("172.16.40.")} == {
            "172.16.40.0/24": ("Direct", "0", "172.16.40.1", "GE1/0/1"),
            "172.16.40.0/32": ("Direct", "0", "172.16.40.1", "GE1/0/1"),
            "172.16.40.1/32": ("Direct", "0", "127.0.0.1", "InLoop0"),
            "172.16.40.255/32": ("Direct", "0", "172.16.40.1", "GE1/0/1")}
        assert by_dest["127.0.0.0/8"]["nexthop_if"] == "InLoop0" and by_dest["224.0.0.0/4"]["nexthop_if"] == "NULL0"
        assert by_dest["%s/32" % comware.address]["nexthop_if"] == "InLoop0"  # the management address
        assert _bgp_rows(conn) == []

        out = conn.send_config_set(["bgp 65001", "router-id 172.16.40.1", "peer 172.16.40.2 as-number 65002",
                                    "address-family ipv4 unicast", "peer 172.16.40.2 enable"])
        assert "%" not in out
        writes = comware.config_writes
        bird = BirdInstance(node, tmp_path / "bird", name="node1").start(BIRD_CFG)
        try:
            bird.wait_established("Leaf1")
            rows = wait_for(lambda: _bgp_rows(conn), 30, interval=0.5, what="BIRD's route in the routing table")
            assert [(r["network"], r["prefix_length"], r["distance"], r["metric"], r["nexthop_ip"], r["nexthop_if"])
                    for r in rows] == [("192.168.60.0", "26", "255", "0", "172.16.40.2", "GE1/0/1")]
            text = conn.send_command("display ip routing-table")
            assert re.search(r"^192\.168\.60\.0/26 +BGP +255 +0 +172\.16\.40\.2 +GE1/0/1$", text, re.M), text
            counts = re.search(r"Destinations : (\d+) +Routes : (\d+)", text)
            assert int(counts.group(1)) == len(text.splitlines()[4:]) == int(counts.group(2))
            # the abbreviated command, an output filter, and the per-protocol view
            assert conn.send_command("dis ip rou | include BGP").strip().startswith("192.168.60.0/26")
            bgp = conn.send_command("display ip routing-table protocol bgp")
            assert "BGP Routing table status : <Active>" in bgp and "BGP Routing table status : <Inactive>" in bgp
            active = bgp.split("<Inactive>")[0]
            assert "Summary count : 1" in active and "192.168.60.0/26" in active
            # exactly these commands: other protocols and options are not known to the emulator
            for line in ("display ip routing-table protocol ospf", "display ip routing-table verbose"):
                assert "% Unrecognized command" in conn.send_command(line)
        finally:
            bird.stop()
        # BIRD gone: its route leaves the table
        wait_for(lambda: _bgp_rows(conn) == [], 30, interval=0.5, what="BIRD's route withdrawn")
        assert comware.config_writes == writes  # display commands are no configuration lines
    finally:
        conn.disconnect()
