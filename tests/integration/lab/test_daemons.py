"""The lab's real daemons: BIRD 1.6 and FRR in two namespaces peer over a veth."""
from lab.bird import BirdInstance
from lab.frr import FrrInstance
from lab.netns import veth_between

BIRD_CFG = """
router id 172.16.30.102;
protocol device { scan time 2; }
protocol direct { interface "eth0"; }
protocol static { route 192.168.10.0/26 blackhole; }
protocol kernel { export none; }
protocol bgp Node_172_16_30_254 {
  local as 64513;
  neighbor 172.16.30.254 as 64513;
  source address 172.16.30.102;
  import all;
  export where proto = "static1";
  connect delay time 1;
  connect retry time 2;
}
"""


def test_bird_and_frr_establish_and_exchange_routes(netns_factory, tmp_path):
    node, router = netns_factory("node"), netns_factory("rtr")
    veth_between(node, "eth0", router, "ether2")
    node.add_address("eth0", "172.16.30.102/24")
    router.add_address("ether2", "172.16.30.254/24")

    frr = FrrInstance(router, tmp_path / "frr", hostname="router").start()
    frr.configure(["router bgp 64513", "bgp router-id 172.16.30.254", "no bgp ebgp-requires-policy",
                   "neighbor 172.16.30.102 remote-as 64513"])
    bird = BirdInstance(node, tmp_path / "bird", name="ubuntu-2").start(BIRD_CFG)

    frr.wait_established("172.16.30.102")
    bird.wait_established("Node_172_16_30_254")
    assert bird.protocols()["Node_172_16_30_254"]["state"] == "up"
    # the node's pod block reached the router's BGP table
    routes = frr.show_json("show bgp ipv4 unicast json")["routes"]
    assert "192.168.10.0/26" in routes

    # a reconfiguration that keeps the protocol text keeps the session (birdc configure, no restart)
    bird.configure(BIRD_CFG + "\nprotocol static extra { route 192.168.11.0/26 blackhole; }\n")
    assert bird.protocols()["Node_172_16_30_254"]["info"].startswith("Established")
