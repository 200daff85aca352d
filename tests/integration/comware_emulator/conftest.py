"""Fixtures for the Comware emulator tests: a started emulated switch in its own namespace."""
import pytest

from lab.comware import start_comware
from lab.netns import veth_between

PASSWORD = "Lab-Pass-1"


@pytest.fixture
def comware(netns_factory, tmp_path):
    ns = netns_factory("cw")
    sw = start_comware(ns, tmp_path / "leaf1", sysname="leaf1", username="admin", password=PASSWORD)
    yield sw
    sw.stop()


def node_beside(comware, netns_factory, name, address):
    """A namespace joined to the switch by a veth: the switch's eth1 is 172.16.40.1/24, the node's eth0
    ``address`` (/24)."""
    node = netns_factory(name)
    veth_between(comware.ns, "eth1", node, "eth0")
    comware.ns.add_address("eth1", "172.16.40.1/24")
    node.add_address("eth0", "%s/24" % address)
    return node
