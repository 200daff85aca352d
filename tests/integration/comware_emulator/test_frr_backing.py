"""Every BGP command the emulator accepts reaches its FRR without an FRR error, and undoing all of
them leaves FRR's BGP configuration empty again (no leftovers that would keep sessions alive)."""
import re

from netmiko import ConnectHandler

FULL = ["bgp 65001", "router-id 10.0.0.1", "group rr internal", "group up external", "peer up as-number 65100",
        "peer 10.0.0.2 as-number 65002", "peer 10.0.0.3 group rr", "peer 10.0.0.4 group up",
        "peer 10.0.0.5 as-number 65005", "group ext2 external", "peer 10.0.0.5 group ext2",
        "peer 10.1.0.0 24 group rr", "peer 10.2.0.0 16 as-number 65200",
        "peer 10.0.0.2 password simple s3cret", "peer rr connect-interface LoopBack0",
        "peer 10.0.0.2 description to node1 rack 3", "peer 10.0.0.2 timer keepalive 10 hold 30",
        "peer 10.0.0.2 ebgp-max-hop 3", "peer 10.0.0.2 bfd", "peer rr timer keepalive 5 hold 15",
        "address-family ipv4 unicast", "peer rr enable", "peer 10.0.0.2 enable", "peer rr reflect-client",
        "peer 10.2.0.0 16 enable", "peer 10.0.0.2 route-policy IN import", "peer 10.0.0.2 route-policy OUT export",
        "peer up enable", "quit", "peer 10.0.0.2 as-number 65003", "peer 10.0.0.2 password simple other"]
UNDO = ["bgp 65001", "address-family ipv4", "undo peer 10.0.0.2 route-policy IN import",
        "undo peer 10.0.0.2 route-policy OUT export", "undo peer rr reflect-client", "undo peer 10.0.0.2 enable",
        "quit", "undo peer 10.0.0.2 bfd", "undo peer 10.0.0.2 ebgp-max-hop", "undo peer 10.0.0.2 timer",
        "undo peer 10.0.0.2 description", "undo peer rr connect-interface", "undo peer 10.0.0.2 password",
        "undo peer 10.1.0.0 24 group rr", "undo peer 10.0.0.3 group rr", "undo peer 10.0.0.2", "undo group rr",
        "undo peer up as-number", "undo group up", "undo peer 10.2.0.0 16", "undo group ext2", "undo peer 10.0.0.5",
        "undo router-id", "undo address-family ipv4 unicast"]


def _frr_bgp(sw):
    text = sw.frr.vtysh("show running-config bgpd")
    return text[text.index("router bgp"):] if "router bgp" in text else ""


def test_all_accepted_commands_reach_frr_cleanly(comware):
    conn = ConnectHandler(**comware.netmiko_params())
    try:
        out = conn.send_config_set(FULL)
        assert "%" not in out
        frr = _frr_bgp(comware)
        for line in ["neighbor 10.0.0.2 remote-as 65003", "neighbor 10.0.0.2 password other",
                     "neighbor 10.0.0.2 ebgp-multihop 3", "neighbor 10.0.0.2 timers 10 30",
                     "neighbor G_rr update-source lo", "neighbor 10.0.0.4 peer-group G_up",
                     "bgp listen range 10.1.0.0/24 peer-group G_rr", "neighbor 10.0.0.2 route-map OUT out",
                     "neighbor G_rr route-reflector-client", "neighbor 10.0.0.2 description to node1 rack 3"]:
            assert line in frr, line
        out = conn.send_config_set(UNDO)
        assert "%" not in out
        frr = _frr_bgp(comware)
        assert re.findall(r"^ (neighbor|bgp listen|bgp router-id).*$", frr, re.M) == []
        assert conn.send_command("display current-configuration configuration bgp").splitlines() == [
            "#", "bgp 65001", "#", "return"]
    finally:
        conn.disconnect()
    errors = comware.state_dir / "frr-errors.log"
    assert not errors.exists(), errors.read_text()
