"""The FRR switch: real FRR + real OpenSSH in a namespace, vtysh as login shell, driven by netmiko
(``cisco_ios`` against vtysh, LAB_NOTES §2) and by plain paramiko; a session to a real BIRD 1.6.
"""
import json

import asyncssh
import paramiko
import pytest
from netmiko import ConnectHandler

from lab.bird import BirdInstance
from lab.frrswitch import start_frr_switch
from lab.netns import veth_between, wait_for

PASSWORD = "Lab-Pass-2"

BIRD_CFG = """
router id 172.16.41.2;
protocol device { scan time 2; }
protocol static { route 192.168.61.0/26 blackhole; }
protocol kernel { export none; }
protocol bgp Leaf2 {
  local as 65003;
  neighbor 172.16.41.1 as 65010;
  import all;
  export where proto = "static1";
  connect delay time 1;
  connect retry time 2;
}
"""


@pytest.fixture
def switch(netns_factory, tmp_path):
    sw = start_frr_switch(netns_factory("frr"), tmp_path / "leaf2", hostname="leaf2", username="admin",
                          password=PASSWORD, shell_username="labsh")
    yield sw
    sw.stop()


def _json(text):
    return json.loads(text[text.index("{"):])


def test_netmiko_show_config_push_and_write_memory(switch):
    conn = ConnectHandler(**switch.netmiko_params())
    try:
        assert conn.find_prompt() == "leaf2#"  # the UTS namespace's hostname, not the host's
        assert _json(conn.send_command("show bgp summary json")) == {}
        out = conn.send_config_set(["router bgp 65010", "bgp router-id 172.16.41.1", "no bgp ebgp-requires-policy",
                                    "neighbor 172.16.41.2 remote-as 65003"])
        assert "% " not in out
        summary = _json(conn.send_command("show bgp summary json"))
        assert summary["ipv4Unicast"]["as"] == 65010
        assert summary["ipv4Unicast"]["peers"]["172.16.41.2"]["remoteAs"] == 65003
        out = conn.save_config()
        assert "Configuration saved to" in out
        saved = (switch.frr.dir / "bgpd.conf").read_text()
        assert "neighbor 172.16.41.2 remote-as 65003" in saved
        # a vtysh error is visible as such
        assert "% Unknown command" in conn.send_command("show bgp nonsense")
        assert "vtysh_pam" not in conn.send_command("show bgp summary json")
    finally:
        conn.disconnect()


def test_session_to_bird_established(switch, netns_factory, tmp_path):
    node = netns_factory("node")
    veth_between(switch.ns, "eth1", node, "eth0")
    switch.ns.add_address("eth1", "172.16.41.1/24")
    node.add_address("eth0", "172.16.41.2/24")
    bird = BirdInstance(node, tmp_path / "bird", name="node2").start(BIRD_CFG)
    conn = ConnectHandler(**switch.netmiko_params())
    try:
        conn.send_config_set(["router bgp 65010", "no bgp ebgp-requires-policy",
                              "neighbor 172.16.41.2 remote-as 65003"])
        bird.wait_established("Leaf2")

        def established():
            peers = _json(conn.send_command("show bgp summary json"))["ipv4Unicast"]["peers"]
            return peers["172.16.41.2"]["state"] == "Established" and peers["172.16.41.2"]["pfxRcd"] == 1
        wait_for(established, 30, interval=0.5, what="FRR switch session to BIRD")
    finally:
        conn.disconnect()


def test_host_key_and_exec_channel(switch, tmp_path):
    client = paramiko.SSHClient()
    client.set_missing_host_key_policy(paramiko.RejectPolicy())
    client.load_host_keys(str(switch.known_hosts_file))
    client.connect(switch.address, port=switch.port, username="admin", password=PASSWORD,
                   look_for_keys=False, allow_agent=False)
    try:
        stdout = client.exec_command("show bgp summary json")[1]
        assert json.loads(stdout.read().decode()) == {}
    finally:
        client.close()
    wrong = tmp_path / "known_hosts"
    stranger = asyncssh.generate_private_key("ssh-ed25519").export_public_key("openssh").decode().split()[1]
    assert stranger != switch.known_hosts_line.split()[2]
    wrong.write_text("%s ssh-ed25519 %s\n" % (switch.address, stranger))
    client = paramiko.SSHClient()
    client.set_missing_host_key_policy(paramiko.RejectPolicy())
    client.load_host_keys(str(wrong))
    with pytest.raises(paramiko.BadHostKeyException):
        client.connect(switch.address, port=switch.port, username="admin", password=PASSWORD,
                       look_for_keys=False, allow_agent=False)
    client.close()


def test_wrong_password_and_unknown_user_refused(switch):
    from netmiko.exceptions import NetmikoAuthenticationException
    with pytest.raises(NetmikoAuthenticationException):
        ConnectHandler(**switch.netmiko_params(password="nope"))
    with pytest.raises(NetmikoAuthenticationException):
        ConnectHandler(**switch.netmiko_params(username="root", password="nope"))


def test_linux_shell_user_with_vtysh_c(switch):
    conn = ConnectHandler(**switch.netmiko_params(device_type="linux", username="labsh"))
    try:
        out = conn.send_command("vtysh -c 'show bgp summary json'")
        assert _json(out) == {}
        assert conn.send_command("hostname").strip() == "leaf2"
    finally:
        conn.disconnect()
