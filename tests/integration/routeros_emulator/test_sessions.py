"""Real BGP: configuration sent over the API peers with a BIRD 1.6 node (seed 004 addressing)."""
import pytest

from lab.bird import BirdInstance
from lab.netns import veth_between, wait_for

# a Calico-like node: 172.16.30.102 (ubuntu-2 in seed 004), AS 64513, announcing its pod block and
# the service CIDR the seed advertises (serviceClusterIPs 10.96.0.0/24)
BIRD_NODE = """
router id 172.16.30.102;
protocol device { scan time 2; }
protocol direct { interface "eth0"; }
protocol static { route 192.168.10.0/26 blackhole; route 10.96.0.0/24 blackhole; }
protocol kernel { export none; }
protocol bgp Node_172_16_30_254 {
  local as %(node_as)s;
  neighbor 172.16.30.254 as %(router_as)s;
  source address 172.16.30.102;
  import all;
  export where proto = "static1";
  connect delay time 1;
  connect retry time 2;
  error wait time 1, 5;
}
"""


def _lab(routeros, netns_factory, tmp_path, version, node_as=64513, router_as=64513):
    dev = routeros(version, name="rtr", frr=True)
    node = netns_factory("node")
    veth_between(node, "eth0", dev.ns, "ether2")
    node.add_address("eth0", "172.16.30.102/24")
    bird = BirdInstance(node, tmp_path / "bird", name="ubuntu-2").start(
        BIRD_NODE % {"node_as": node_as, "router_as": router_as})
    api = dev.connect()
    api.path("ip", "address").add(address="172.16.30.254/24", interface="ether2")
    return dev, api, bird


def _established_session(api):
    rows = [s for s in api.path("routing", "bgp", "session") if s.get("established") is True]
    return rows[0] if rows else None


@pytest.mark.parametrize("version", ("7.10", "7.20"))
def test_connection_over_the_api_reaches_established(routeros, netns_factory, tmp_path, version):
    dev, api, bird = _lab(routeros, netns_factory, tmp_path, version)
    conn = {"name": "k8s-peer-1", "remote.address": "172.16.30.102", "remote.as": 64513, "local.role": "ibgp"}
    if version == "7.20":
        api.path("routing", "bgp", "instance").add(name="bgp-instance-1", **{"as": 64513})
        conn["instance"] = "bgp-instance-1"
    else:
        conn["as"] = 64513
    api.path("routing", "bgp", "connection").add(**conn)

    session = wait_for(lambda: _established_session(api), 90, interval=0.5, what="RouterOS session up")
    bird.wait_established("Node_172_16_30_254")
    assert session["name"] == "k8s-peer-1-1"
    assert session["remote.address"] == "172.16.30.102" and session["remote.as"] == 64513
    assert session["remote.id"] == "172.16.30.102" and session["local.address"] == "172.16.30.254"
    assert session["ebgp"] is False and session["local.role"] == "ibgp"

    # the routes the node announces are learned (the service CIDR of seed 004 among them)
    def learned():
        routes = {r["dst-address"]: r for r in api.path("ip", "route")}
        return routes if "10.96.0.0/24" in routes and "192.168.10.0/26" in routes else None
    routes = wait_for(learned, 60, interval=0.5, what="routes from BIRD")
    assert routes["10.96.0.0/24"]["bgp"] is True and routes["10.96.0.0/24"]["gateway"] == "172.16.30.102"
    assert wait_for(lambda: _established_session(api).get("prefix-count") == 2, 60, interval=0.5,
                    what="prefix count 2")

    # adding another connection leaves the established session alone (no reset)
    frr = dev.frr()
    before = frr.show_json("show bgp neighbors 172.16.30.102 json")["172.16.30.102"]["connectionsEstablished"]
    other = dict(conn, name="other", **{"remote.address": "172.16.30.103"})
    api.path("routing", "bgp", "connection").add(**other)
    after = frr.show_json("show bgp neighbors 172.16.30.102 json")["172.16.30.102"]
    assert after["bgpState"] == "Established" and after["connectionsEstablished"] == before
    names = sorted(s["name"] for s in api.path("routing", "bgp", "session"))
    assert names == ["k8s-peer-1-1", "other-1"]
    assert [s["established"] for s in api.path("routing", "bgp", "session") if s["name"] == "other-1"] == [False]

    # disabling the connection takes the session down on both sides
    cid = next(c[".id"] for c in api.path("routing", "bgp", "connection") if c["name"] == "k8s-peer-1")
    api.path("routing", "bgp", "connection").update(**{".id": cid, "disabled": True})
    wait_for(lambda: bird.protocols()["Node_172_16_30_254"]["info"] != "Established", 60, interval=0.5,
             what="BIRD session down")
    assert _established_session(api) is None


def test_output_network_originates_listed_prefixes(routeros, netns_factory, tmp_path):
    dev, api, bird = _lab(routeros, netns_factory, tmp_path, "7.10")
    # seed 004's external network on the router, and a listed prefix the router has no route for
    api.path("ip", "address").add(address="172.16.81.120/24", interface="ether2")
    lists = api.path("ip", "firewall", "address-list")
    lists.add(list="bgp-out", address="172.16.81.0/24")
    lists.add(list="bgp-out", address="10.250.0.0/24")
    lists.add(list="other", address="172.16.82.0/24")
    api.path("routing", "bgp", "connection").add(**{
        "name": "k8s-peer-1", "remote.address": "172.16.30.102", "remote.as": 64513, "local.role": "ibgp",
        "as": 64513, "output.network": "bgp-out"})
    wait_for(lambda: _established_session(api), 90, interval=0.5, what="session up")

    def node_routes():
        text = bird.birdc("show route protocol Node_172_16_30_254")
        return text if "172.16.81.0/24" in text else None
    text = wait_for(node_routes, 60, interval=0.5, what="BIRD learns 172.16.81.0/24")
    assert "10.250.0.0/24" not in text and "172.16.82.0/24" not in text
    lists.remove(next(e[".id"] for e in lists if e["address"] == "172.16.81.0/24"))
    wait_for(lambda: "172.16.81.0/24" not in bird.birdc("show route protocol Node_172_16_30_254"), 60,
             interval=0.5, what="withdrawal of 172.16.81.0/24")


def test_ebgp_listen_range(routeros, netns_factory, tmp_path):
    dev, api, bird = _lab(routeros, netns_factory, tmp_path, "7.10", node_as=64513, router_as=65000)
    api.path("routing", "bgp", "connection").add(**{
        "name": "k8s-nodes", "remote.address": "172.16.30.0/24", "remote.as": 64513,
        "local.role": "ebgp", "as": 65000})
    session = wait_for(lambda: _established_session(api), 90, interval=0.5, what="listen-range session")
    bird.wait_established("Node_172_16_30_254")
    assert session["name"] == "k8s-nodes-1" and session["remote.address"] == "172.16.30.102"
    assert session["ebgp"] is True and session["local.as"] == 65000


def test_v6_peer_reaches_established(routeros, netns_factory, tmp_path):
    dev, api, bird = _lab(routeros, netns_factory, tmp_path, "6.49", node_as=64513, router_as=64513)
    inst = api.path("routing", "bgp", "instance")
    inst.update(**{".id": list(inst)[0][".id"], "as": 64513, "router-id": "172.16.30.254"})
    api.path("routing", "bgp", "peer").add(**{"name": "ubuntu-2", "remote-address": "172.16.30.102",
                                              "remote-as": 64513, "route-reflect": True})

    def up():
        rows = list(api.path("routing", "bgp", "peer"))
        return rows[0] if rows[0].get("established") is True else None
    peer = wait_for(up, 90, interval=0.5, what="v6 peer established")
    bird.wait_established("Node_172_16_30_254")
    assert peer["state"] == "established" and peer["remote-id"] == "172.16.30.102"
    assert peer["local-address"] == "172.16.30.254"
    assert wait_for(lambda: list(api.path("routing", "bgp", "peer"))[0]["prefix-count"] == 2, 60,
                    interval=0.5, what="prefix count")
    # RouterOS 6 originates /routing/bgp/network entries that have a route (synchronize=yes)
    api.path("ip", "address").add(address="172.16.81.120/24", interface="ether2")
    api.path("routing", "bgp", "network").add(network="172.16.81.0/24")
    wait_for(lambda: "172.16.81.0/24" in bird.birdc("show route protocol Node_172_16_30_254"), 60,
             interval=0.5, what="BIRD learns 172.16.81.0/24 from the v6 router")


def test_restart_keeps_configuration_and_session(routeros, netns_factory, tmp_path):
    from lab.routeros import start_routeros
    dev, api, bird = _lab(routeros, netns_factory, tmp_path, "7.10")
    api.path("routing", "bgp", "connection").add(**{
        "name": "k8s-peer-1", "remote.address": "172.16.30.102", "remote.as": 64513, "local.role": "ibgp",
        "as": 64513})
    wait_for(lambda: _established_session(api), 90, interval=0.5, what="session up")
    writes = dev.writes
    api.close()
    dev.stop()
    wait_for(lambda: bird.protocols()["Node_172_16_30_254"]["info"] != "Established", 60, interval=0.5,
             what="BIRD notices the router is gone")
    again = start_routeros(dev.ns, dev.workdir, version="7.10", identity="rtr", password=dev.password)
    try:
        api = again.connect()
        session = wait_for(lambda: _established_session(api), 90, interval=0.5, what="session up again")
        assert session["remote.address"] == "172.16.30.102"
        assert again.writes == writes
        api.close()
    finally:
        again.stop()


def test_ibgp_rr_reflects_between_clients(routeros, netns_factory, tmp_path):
    """local.role=ibgp-rr: the router reflects one node's routes to the other (plain ibgp does not)."""
    from lab.netns import attach_to_bridge, bridge_in
    dev = routeros("7.10", name="rtr", frr=True)
    bridge_in(dev.ns, "bridge1")
    birds = {}
    for n, (ip, pool) in enumerate((("172.16.30.102", "192.168.10.0/26"), ("172.16.30.103", "192.168.20.0/26"))):
        node = netns_factory("node%d" % n)
        veth_between(node, "eth0", dev.ns, "ether%d" % (n + 2))
        attach_to_bridge(dev.ns, "ether%d" % (n + 2), "bridge1")
        node.add_address("eth0", "%s/24" % ip)
        cfg = BIRD_NODE.replace("172.16.30.102", ip).replace(
            "route 192.168.10.0/26 blackhole; route 10.96.0.0/24 blackhole;", "route %s blackhole;" % pool)
        birds[ip] = BirdInstance(node, tmp_path / ("bird%d" % n), name="node%d" % n).start(
            cfg % {"node_as": 64513, "router_as": 64513})
    api = dev.connect()
    api.path("ip", "address").add(address="172.16.30.254/24", interface="bridge1")
    conns = api.path("routing", "bgp", "connection")
    ids = [conns.add(**{"name": "node-%s" % ip.rsplit(".", 1)[1], "remote.address": ip, "remote.as": 64513,
                        "local.role": "ibgp", "as": 64513}) for ip in birds]
    wait_for(lambda: len([s for s in api.path("routing", "bgp", "session") if s["established"] is True]) == 2,
             90, interval=0.5, what="both sessions up")
    frr = dev.frr()
    wait_for(lambda: "192.168.10.0/26" in frr.show_json("show bgp ipv4 unicast json").get("routes", {}), 60,
             interval=0.5, what="router learns node0's pool")
    advertised = frr.show_json("show bgp ipv4 unicast neighbors 172.16.30.103 advertised-routes json")
    assert "192.168.10.0/26" not in advertised.get("advertisedRoutes", {})  # iBGP split horizon

    for cid in ids:
        conns.update(**{".id": cid, "local.role": "ibgp-rr"})
    wait_for(lambda: "192.168.10.0/26" in birds["172.16.30.103"].birdc("show route protocol Node_172_16_30_254"),
             60, interval=0.5, what="node1 learns node0's pool through the reflector")
    assert [s["local.role"] for s in api.path("routing", "bgp", "session")] == ["ibgp-rr", "ibgp-rr"]
