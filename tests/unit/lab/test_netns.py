import subprocess

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
