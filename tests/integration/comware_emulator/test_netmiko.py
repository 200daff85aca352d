"""netmiko's hp_comware driver, unchanged, against the emulator over real SSH (with a real FRR
behind it): session preparation, send_command, send_config_set, save_config, error lines,
persistence across reconnects and reboots, host-key checking, the TextFSM template of
ntc-templates for ``display bgp peer ipv4``.
"""
import paramiko
import pytest
from netmiko import ConnectHandler, SSHDetect

from .conftest import PASSWORD

STANZA = ["bgp 65001", "router-id 10.0.0.1", "group rr internal", "peer 10.0.0.2 as-number 65002",
          "peer 10.0.0.3 group rr", "peer 10.0.0.2 password simple Peer-Secret",
          "address-family ipv4 unicast", "peer 10.0.0.2 enable", "peer rr enable", "peer rr reflect-client"]


def connect(sw, **kw):
    return ConnectHandler(**sw.netmiko_params(**kw))


def test_session_preparation_and_display(comware):
    conn = connect(comware)
    try:
        assert conn.base_prompt == "leaf1"
        assert conn.find_prompt() == "<leaf1>"
        out = conn.send_command("display current-configuration")
        assert " sysname leaf1" in out and out.rstrip().endswith("return")
        out = conn.send_command("display version")
        assert "H3C Comware Software" in out
    finally:
        conn.disconnect()


def test_autodetect_and_h3c_device_type(comware):
    detect = SSHDetect(**comware.netmiko_params(device_type="autodetect"))
    assert detect.autodetect() in ("hp_comware", "h3c_comware")  # "H3C Comware Software" in display version
    conn = connect(comware, device_type="h3c_comware")
    try:
        assert conn.find_prompt() == "<leaf1>"
    finally:
        conn.disconnect()


def test_config_set_reaches_the_config_and_frr_and_save(comware):
    conn = connect(comware)
    try:
        out = conn.send_config_set(STANZA)
        assert "%" not in out
        assert "[leaf1-bgp-default-ipv4]" in out
        assert conn.find_prompt() == "<leaf1>"  # send_config_set leaves with `return`
        cfg = conn.send_command("display current-configuration configuration bgp")
        for line in [" peer 10.0.0.2 as-number 65002", " peer 10.0.0.3 group rr", "  peer rr reflect-client"]:
            assert line in cfg.splitlines()
        assert "Peer-Secret" not in cfg and " peer 10.0.0.2 password cipher $c$3$" in cfg
        # the real FRR behind the CLI got the same configuration
        frr = comware.frr.running_config()
        assert "neighbor 10.0.0.2 remote-as 65002" in frr
        assert "neighbor 10.0.0.3 peer-group G_rr" in frr
        assert "neighbor 10.0.0.2 password Peer-Secret" in frr
        assert "neighbor G_rr route-reflector-client" in frr
        assert comware.config_writes == len(STANZA)
        out = conn.save_config()
        assert "Saved the current configuration to mainboard device successfully." in out
        assert conn.check_config_mode()  # save_config leaves the session in system view ...
        assert "peer 10.0.0.2 as-number 65002" in conn.send_command("display current-configuration")  # ... and display works there
        assert "peer 10.0.0.2 as-number 65002" in comware.saved_configuration
    finally:
        conn.disconnect()


def test_rejected_lines_print_comware_errors_and_change_nothing(comware):
    conn = connect(comware)
    try:
        conn.send_config_set(["bgp 65001", "peer 10.0.0.2 as-number 65002"])
        writes = comware.config_writes
        frr_before = comware.frr.running_config()
        out = conn.send_config_set(["bgp 65001", "peer 10.0.0.2 as-numbr 65009", "peer 10.0.0.2 as-number xyz",
                                    "peer 10.0.0.2 timer keepalive 10"])
        lines = out.splitlines()
        i = lines.index("[leaf1-bgp-default]peer 10.0.0.2 as-numbr 65009")
        assert lines[i + 1] == " " * len("[leaf1-bgp-default]peer 10.0.0.2 ") + "^"
        assert lines[i + 2] == " % Unrecognized command found at '^' position."
        i = lines.index("[leaf1-bgp-default]peer 10.0.0.2 as-number xyz")
        assert lines[i + 1] == " " * len("[leaf1-bgp-default]peer 10.0.0.2 as-number ") + "^"
        assert lines[i + 2] == " % Wrong parameter found at '^' position."
        i = lines.index("[leaf1-bgp-default]peer 10.0.0.2 timer keepalive 10")
        assert lines[i + 2] == " % Incomplete command found at '^' position."
        assert comware.config_writes == writes  # "bgp 65001" re-entered an existing view: not a write
        cfg = conn.send_command("display current-configuration configuration bgp")
        assert "65009" not in cfg and "xyz" not in cfg and "timer" not in cfg
        assert comware.frr.running_config() == frr_before
        out = conn.send_command("dispaly bgp peer ipv4")
        assert out.splitlines()[-1] == " % Unrecognized command found at '^' position."
    finally:
        conn.disconnect()


def test_config_persists_across_reconnect_and_saved_config_across_reboot(comware):
    conn = connect(comware)
    conn.send_config_set(["bgp 65001", "peer 10.0.0.2 as-number 65002"])
    conn.save_config()
    conn.send_config_set(["bgp 65001", "peer 10.0.0.4 as-number 65004"])  # not saved
    conn.disconnect()
    conn = connect(comware)
    try:
        cfg = conn.send_command("display current-configuration configuration bgp")
        assert "peer 10.0.0.2 as-number 65002" in cfg and "peer 10.0.0.4 as-number 65004" in cfg
    finally:
        conn.disconnect()
    writes = comware.config_writes
    comware.restart()
    conn = connect(comware)
    try:
        cfg = conn.send_command("display current-configuration configuration bgp")
        assert "peer 10.0.0.2 as-number 65002" in cfg
        assert "10.0.0.4" not in cfg
        assert "10.0.0.4" not in comware.frr.running_config()  # FRR follows the reboot too
        assert "neighbor 10.0.0.2 remote-as 65002" in comware.frr.running_config()
    finally:
        conn.disconnect()
    assert comware.config_writes == writes  # loading the saved configuration is not a write


def test_rollback_with_undo_lines(comware):
    conn = connect(comware)
    try:
        conn.send_config_set(STANZA)
        undo = ["bgp 65001", "address-family ipv4 unicast", "undo peer rr reflect-client", "undo peer rr enable",
                "undo peer 10.0.0.2 enable", "quit", "undo peer 10.0.0.2 password", "undo peer 10.0.0.3 group rr",
                "undo peer 10.0.0.2", "undo group rr", "undo router-id", "undo address-family ipv4 unicast"]
        out = conn.send_config_set(undo)
        assert "%" not in out
        assert conn.send_command("display current-configuration configuration bgp").splitlines() == [
            "#", "bgp 65001", "#", "return"]
        frr = comware.frr.running_config()
        assert "10.0.0.2" not in frr and "G_rr" not in frr
    finally:
        conn.disconnect()


def test_display_bgp_peer_parses_with_ntc_templates(comware):
    conn = connect(comware)
    try:
        conn.send_config_set(["bgp 65001", "router-id 10.0.0.1", "peer 10.0.0.2 as-number 65002",
                              "peer 10.0.0.3 as-number 65001", "address-family ipv4 unicast",
                              "peer 10.0.0.2 enable", "peer 10.0.0.3 enable"])
        rows = conn.send_command("display bgp peer ipv4", use_textfsm=True)
        assert isinstance(rows, list), rows
        by_peer = {r["peer"]: r for r in rows}
        assert set(by_peer) == {"10.0.0.2", "10.0.0.3"}
        assert by_peer["10.0.0.2"]["remote_asn"] == "65002"
        assert by_peer["10.0.0.2"]["local_as_number"] == "65001"
        assert by_peer["10.0.0.2"]["local_router_id"] == "10.0.0.1"
        assert by_peer["10.0.0.2"]["state"] in ("Idle", "Connect", "Active")
    finally:
        conn.disconnect()


def test_host_key_checking(comware, tmp_path):
    conn = connect(comware, ssh_strict=True, system_host_keys=False, alt_host_keys=True,
                   alt_key_file=str(comware.known_hosts_file))
    assert conn.find_prompt() == "<leaf1>"
    conn.disconnect()
    wrong = tmp_path / "wrong_known_hosts"
    import asyncssh  # pylint: disable=import-outside-toplevel
    stranger = asyncssh.generate_private_key("ssh-ed25519").export_public_key("openssh").decode().split()[1]
    assert stranger != comware.known_hosts_line.split()[2]
    wrong.write_text("%s ssh-ed25519 %s\n" % (comware.address, stranger))
    with pytest.raises(Exception) as err:
        connect(comware, ssh_strict=True, system_host_keys=False, alt_host_keys=True, alt_key_file=str(wrong))
    assert "key" in str(err.value).lower() or isinstance(err.value, paramiko.BadHostKeyException)
    assert comware.host_key_fingerprint.startswith("SHA256:")


def test_wrong_password_is_refused(comware):
    from netmiko.exceptions import NetmikoAuthenticationException
    with pytest.raises(NetmikoAuthenticationException):
        ConnectHandler(**comware.netmiko_params(password=PASSWORD + "x"))


def test_exec_channel_runs_one_command(comware):
    client = paramiko.SSHClient()
    client.set_missing_host_key_policy(paramiko.RejectPolicy())
    client.load_host_keys(str(comware.known_hosts_file))
    client.connect(comware.address, port=comware.port, username="admin", password=PASSWORD,
                   look_for_keys=False, allow_agent=False)
    try:
        stdout = client.exec_command("display current-configuration")[1]
        assert " sysname leaf1" in stdout.read().decode()
    finally:
        client.close()


def test_continue_prompt_banner(netns_factory, tmp_path):
    from lab.comware import start_comware
    sw = start_comware(netns_factory("cwc"), tmp_path / "sw", sysname="leaf9", password=PASSWORD,
                       continue_prompt=True, with_frr=False)
    try:
        conn = ConnectHandler(**sw.netmiko_params())
        assert conn.base_prompt == "leaf9"
        assert "sysname leaf9" in conn.send_command("display current-configuration")
        conn.disconnect()
    finally:
        sw.stop()
