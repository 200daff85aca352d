import subprocess

import pytest

from lab import netns


def test_namespace_mgmt_link_and_cleanup(netns_factory):
    ns = netns_factory("a")
    link = ns.add_mgmt_link()
    assert ipaddr_in_range(link.ns_ip)
    # the root namespace reaches the device's management address over the /30
    subprocess.run(["ping", "-c", "1", "-W", "2", link.ns_ip], check=True, stdout=subprocess.DEVNULL)
    proc = ns.spawn(["sleep", "60"], tag="sleeper")
    name = ns.name
    ns.destroy()
    assert proc.wait(timeout=5) is not None
    assert name not in subprocess.run(["ip", "netns", "list"], stdout=subprocess.PIPE, text=True, check=True).stdout
    assert link.root_ifname not in subprocess.run(["ip", "link"], stdout=subprocess.PIPE, text=True, check=True).stdout


def test_safety_route_blackholes_missing_devices():
    netns.ensure_safety_route()
    out = subprocess.run(["ip", "route", "get", "198.19.255.254"], stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, text=True, check=False).stdout
    assert "unreachable" in out or "No route to host" in out


def ipaddr_in_range(ip):
    import ipaddress
    return ipaddress.ip_address(ip) in netns.MGMT_RANGE


def test_fixed_management_address(netns_factory):
    ns = netns_factory("fixed")
    link = ns.add_mgmt_link(ns_ip="198.18.250.2")
    assert (link.host_ip, link.ns_ip) == ("198.18.250.1", "198.18.250.2")
    subprocess.run(["ping", "-c", "1", "-W", "2", "198.18.250.2"], check=True, stdout=subprocess.DEVNULL)
    ns.destroy()
    assert link.root_ifname not in subprocess.run(["ip", "link"], stdout=subprocess.PIPE, text=True, check=True).stdout


def test_batch_builds_a_node_in_one_process_and_names_the_failure(netns_factory):
    node, pod = netns_factory("n"), netns_factory("p")
    netns.batch([["link", "add", "eth0", "netns", pod.name, "type", "veth", "peer", "name", "cali0",
                  "netns", node.name]])
    node.batch([["link", "set", "cali0", "up"], ["addr", "replace", "169.254.1.1/32", "dev", "cali0"]])
    pod.batch([["link", "set", "eth0", "up"], ["addr", "replace", "10.9.0.1/32", "dev", "eth0"],
               ["route", "add", "169.254.1.1", "dev", "eth0", "scope", "link"]])
    node.set_sysctls({"net.ipv4.ip_forward": 1, "net.ipv4.conf.all.rp_filter": 0})
    assert "169.254.1.1/32" in node.run(["ip", "-4", "addr", "show", "dev", "cali0"])
    assert "169.254.1.1 dev eth0" in pod.run(["ip", "route"])
    assert node.run(["sysctl", "-n", "net.ipv4.ip_forward"]).strip() == "1"
    with pytest.raises(netns.LabError, match=pod.name):
        pod.batch([["link", "set", "eth0", "up"], ["route", "add", "10.1.0.0/16", "dev", "nosuchdev"]])
