"""A real BGP session behind the emulated CLI: the Comware switch (FRR underneath) peers with a
real BIRD 1.6 in another namespace; ``display bgp peer ipv4`` shows it Established in Comware's
layout (parsed with ntc-templates), and undoing the peer tears the session down.
"""
from netmiko import ConnectHandler

from lab.bird import BirdInstance
from lab.netns import wait_for

from .conftest import node_beside

BIRD_CFG = """
router id 172.16.40.2;
protocol device { scan time 2; }
protocol static { route 192.168.60.0/26 blackhole; }
protocol kernel { export none; }
protocol bgp Leaf1 {
  local as 65002;
  neighbor 172.16.40.1 as 65001;
  import all;
  export where proto = "static1";
  connect delay time 1;
  connect retry time 2;
}
"""


def _peer_rows(conn):
    rows = conn.send_command("display bgp peer ipv4", use_textfsm=True)
    assert isinstance(rows, list), rows
    return {r["peer"]: r for r in rows}


def test_comware_to_bird_session_established(comware, netns_factory, tmp_path):
    node = node_beside(comware, netns_factory, "node", "172.16.40.2")
    bird = BirdInstance(node, tmp_path / "bird", name="node1").start(BIRD_CFG)

    conn = ConnectHandler(**comware.netmiko_params())
    try:
        out = conn.send_config_set(["bgp 65001", "router-id 172.16.40.1", "peer 172.16.40.2 as-number 65002",
                                    "peer 172.16.40.2 description node1", "address-family ipv4 unicast",
                                    "peer 172.16.40.2 enable"])
        assert "%" not in out
        bird.wait_established("Leaf1")
        wait_for(lambda: _peer_rows(conn).get("172.16.40.2", {}).get("state") == "Established", 30,
                 interval=0.5, what="display bgp peer ipv4 showing Established")
        row = _peer_rows(conn)["172.16.40.2"]
        assert row["remote_asn"] == "65002" and row["local_as_number"] == "65001"
        assert row["local_router_id"] == "172.16.40.1"
        wait_for(lambda: _peer_rows(conn)["172.16.40.2"]["prefixes_received"] == "1", 30, interval=0.5,
                 what="BIRD's static route counted as received")
        text = conn.send_command("display bgp peer ipv4")
        assert "Peers in established state: 1" in text
        verbose = conn.send_command("display bgp peer ipv4 172.16.40.2 verbose")
        assert "BGP current state: Established, Up for" in verbose
        assert "Type: EBGP link" in verbose and "remote router ID 172.16.40.2" in verbose

        # the rollback a driver does: undo the peer -> BIRD loses the session
        conn.send_config_set(["bgp 65001", "undo peer 172.16.40.2"])
        wait_for(lambda: bird.protocols()["Leaf1"]["info"] != "Established", 30, interval=0.5,
                 what="BIRD session down after undo peer")
        text = conn.send_command("display bgp peer ipv4")
        assert "Total number of peers: 0" in text and "172.16.40.2" not in text
    finally:
        conn.disconnect()


def test_dynamic_peer_range_accepts_a_bird_node(comware, netns_factory, tmp_path):
    node = node_beside(comware, netns_factory, "dyn", "172.16.40.7")
    conn = ConnectHandler(**comware.netmiko_params())
    try:
        out = conn.send_config_set(["bgp 65001", "router-id 172.16.40.1", "group nodes external",
                                    "peer nodes as-number 65002", "peer 172.16.40.0 24 group nodes",
                                    "address-family ipv4 unicast", "peer nodes enable"])
        assert "%" not in out
        assert " peer 172.16.40.0 24 group nodes" in conn.send_command(
            "display current-configuration configuration bgp").splitlines()
        bird = BirdInstance(node, tmp_path / "bird", name="node7").start(BIRD_CFG.replace("172.16.40.2", "172.16.40.7"))
        bird.wait_established("Leaf1")

        def shown():
            text = conn.send_command("display bgp peer ipv4")
            rows = [l for l in text.splitlines() if "172.16.40.7" in l]
            return rows and rows[0].split()[-1] == "Established" and rows[0]
        row = wait_for(shown, 30, interval=0.5, what="dynamic peer shown Established")
        assert row.startswith("  *172.16.40.7")  # dynamically created peers are marked "*"
        assert row.split()[1] == "65002"
    finally:
        conn.disconnect()
