"""The bad-input matrix: every inventory mistake of issue 11, planned from a shipped example.

Each case changes one example inventory the way a user would (a typo, a YAML float, an INI string, a
name the API server refuses, an inconsistent combination) and states the outcome: ``refused`` with
the host, the field and words of the message and of the fix, or ``read`` (accepted, and the plan
shows the right reading -- an INI ``false`` is false).  docs/security.md carries the same matrix and
its counts; ``test_security_doc_matrix`` fails when they drift (``KUBEFABRIC_UPDATE_DOCS=1`` rewrites
the section from this file).
"""
import copy
import os
from pathlib import Path

import pytest
import yaml

from ansible_collections.kubefabric.bgp.plugins.module_utils.common.errors import FabricError
from ansible_collections.kubefabric.bgp.plugins.module_utils.fabric.plan import build_plan

from .test_plan import fabric_of

REPO = Path(__file__).resolve().parents[5]
EXAMPLES = REPO / "examples"
SECURITY_DOC = REPO / "docs" / "security.md"
BEGIN, END = "<!-- bad-input-matrix: begin -->", "<!-- bad-input-matrix: end -->"


def inventory_fabric(example):
    """The planner input the action plugin builds from an example, with the variable names it sees."""
    fabric = copy.deepcopy(fabric_of(example))
    variables = yaml.safe_load((EXAMPLES / example / "inventory.yml").read_text())["all"].get("vars", {})
    fabric["variables"] = {"all": sorted(variables)}
    return fabric


def setting(*path):
    """A mutation that sets ``fabric[path[0]]...[path[-2]] = path[-1]``."""
    def mutate(f):
        target = f
        for key in path[:-2]:
            target = target[key]
        target[path[-2]] = path[-1]
    return mutate


def node_var(host, name, value):
    return setting("nodes", host, name, value)


def device_var(host, name, value):
    return setting("devices", host, name, value)


def all_var(option, value):
    return setting(option, value)


def rack_var(rack, key, value):
    return setting("racks", rack, key, value)


def unknown(host, name):
    """A variable set on a host (or ``all``): the action plugin passes its name only."""
    def mutate(f):
        f["variables"].setdefault(host, []).append(name)
    return mutate


def each(*mutations):
    def mutate(f):
        for m in mutations:
            m(f)
    return mutate


def rename_rack(old, new):
    def mutate(f):
        f["racks"][new] = f["racks"].pop(old)
        for node in f["nodes"].values():
            if node.get("rack") == old:
                node["rack"] = new
        for device in f["devices"].values():
            if old in (device.get("racks") or {}):
                device["racks"][new] = device["racks"].pop(old)
    return mutate


def all_devices(name, value):
    def mutate(f):
        for device in f["devices"].values():
            device[name] = value
    return mutate


def rr_of(plan, node):
    return bool(plan["calico"]["nodes"][node]["bgp"]["routeReflectorClusterID"])


# (id, example, mutate, outcome)
#   outcome refused: ("refused", host, field, words in the message, words in the fix)
#   outcome read:    ("read", check(plan) -> bool, what the check shows)
CASES = [
    # typos and variables the collection does not know
    ("bgp_pasword (typo) on a device", "tor_three_racks", unknown("tor1", "bgp_pasword"),
     ("refused", "tor1", "bgp_pasword", "did you mean bgp_password?", "rename it to bgp_password")),
    ("calico_as instead of calico_asn", "tor_three_racks", unknown("all", "calico_as"),
     ("refused", "all", "calico_as", "did you mean calico_asn?", "rename it to calico_asn")),
    ("tor_peerings instead of tor_peering", "seed004_tor_routeros", unknown("all", "tor_peerings"),
     ("refused", "all", "tor_peerings", "did you mean tor_peering?", "rename it to tor_peering")),
    ("fabric_rack instead of fabric_racks", "seed001_rr_per_leaf", unknown("all", "fabric_rack"),
     ("refused", "all", "fabric_rack", "did you mean fabric_racks?", "kubefabric_extra_variables")),
    ("route_reflecter (typo) on a node", "seed002_route_reflector", unknown("ip-172-31-40-30", "route_reflecter"),
     ("refused", "ip-172-31-40-30", "route_reflecter", "did you mean route_reflector?", "rename it")),
    ("rack key 'as' instead of 'asn'", "tor_three_racks", rack_var("r1", "as", 64601),
     ("refused", "rack r1", "fabric_racks.r1.as", "did you mean asn?", "asn, cluster_id or allow_local_as")),
    ("uplink key peer_adress", "tor_three_racks",
     device_var("tor1", "uplinks", [{"peer": "spine", "address": "10.255.0.1/31", "peer_adress": "10.255.0.0"}]),
     ("refused", "tor1", "uplinks[0].peer_adress", "did you mean peer_address?", "peer_address")),
    ("unknown variable with kubefabric_unknown_variables: warn", "tor_three_racks",
     each(unknown("tor1", "bgp_pasword"), all_var("unknown_variables", "warn")),
     ("read", lambda p: any("bgp_pasword" in w and "bgp_password" in w for w in p["warnings"]),
      "planned, with a warning naming the variable and bgp_password")),
    ("another role's calico_version / user variable ntp_servers", "tor_three_racks",
     each(unknown("all", "calico_version"), unknown("tor1", "ntp_servers"), unknown("tor1", "ansible_user")),
     ("read", lambda p: not p["warnings"], "not flagged")),
    # types
    ("route_reflector: 'false' (a string)", "seed002_route_reflector",
     node_var("ip-172-31-40-30", "route_reflector", "false"),
     ("read", lambda p: not rr_of(p, "ip-172-31-40-30"), "not a route reflector")),
    ("route_reflector=no (INI)", "seed002_route_reflector", node_var("ip-172-31-40-30", "route_reflector", "no"),
     ("read", lambda p: not rr_of(p, "ip-172-31-40-30"), "not a route reflector")),
    ("route_reflector: 'maybe'", "seed002_route_reflector", node_var("ip-172-31-40-30", "route_reflector", "maybe"),
     ("refused", "ip-172-31-40-30", "route_reflector", "is not a boolean", "write true or false")),
    ("dynamic_neighbors: 'false' (a string)", "tor_three_racks", device_var("tor1", "dynamic_neighbors", "false"),
     ("read", lambda p: not p["devices"]["tor1"]["config"]["listen_ranges"], "no listen range")),
    ("asn: 65000.10 unquoted (a YAML float)", "tor_three_racks", rack_var("r1", "asn", 65000.1),
     ("refused", "rack r1", "fabric_racks.r1.asn", "YAML float", "quote it")),
    ("calico_asn: 65000.10 unquoted", "tor_three_racks", all_var("calico_asn", 65000.1),
     ("refused", "all", "calico_asn", "YAML float", "quote it")),
    ("asn: '65000.10' quoted (asdot)", "tor_three_racks", rack_var("r1", "asn", "65000.10"),
     ("read", lambda p: p["calico"]["nodes"]["r1-n1"]["bgp"]["asNumber"] == 65000 * 65536 + 10, "AS 4259840010")),
    ("rack asn: 0", "tor_three_racks", rack_var("r1", "asn", 0),
     ("refused", "rack r1", "fabric_racks.r1.asn", "AS 0 is reserved", "from 1 to")),
    ("node bgp_asn: 23456 (AS_TRANS)", "tor_three_racks", node_var("r1-n1", "bgp_asn", 23456),
     ("refused", "r1-n1", "bgp_asn", "AS_TRANS", "use another AS")),
    ("calico_asn: '23456'", "seed002_route_reflector", all_var("calico_asn", "23456"),
     ("refused", "all", "calico_asn", "AS_TRANS", "use another AS")),
    ("device bgp_asn: true", "tor_three_racks", device_var("tor2", "bgp_asn", True),
     ("refused", "tor2", "bgp_asn", "is not an AS number", "use 1-4294967295")),
    ("allow_local_as: 'abc' (int('abc'))", "tor_three_racks", rack_var("r1", "allow_local_as", "abc"),
     ("refused", "rack r1", "fabric_racks.r1.allow_local_as", "is not a whole number", "write a whole number")),
    ("router_id: 'abc'", "tor_three_racks", device_var("tor3", "router_id", "abc"),
     ("refused", "tor3", "router_id", "not an IPv4 address", "plain IPv4 address")),
    ("bgp_ipv4_address without prefix length", "tor_three_racks", node_var("r2-n1", "bgp_ipv4_address", "10.2.0.11"),
     ("refused", "r2-n1", "bgp_ipv4_address", "not an address with prefix length", "ADDRESS/PREFIXLEN")),
    ("bgp_ipv4_address holding IPv6", "tor_three_racks", node_var("r2-n1", "bgp_ipv4_address", "fd00::11/64"),
     ("refused", "r2-n1", "bgp_ipv4_address", "is not IPv4", "IPv4 address with prefix length here")),
    ("bgp_ipv6_address (read and dropped before)", "tor_three_racks",
     node_var("r2-n1", "bgp_ipv6_address", "fd00::11/64"),
     ("refused", "r2-n1", "bgp_ipv6_address", "not supported", "remove bgp_ipv6_address")),
    ("service_cluster_ips: '10.96.0.0/12' (not a list)", "seed004_tor_routeros",
     all_var("service_cluster_ips", "10.96.0.0/12"),
     ("refused", "all", "service_cluster_ips", "is not a list", "YAML list")),
    ("service_cluster_ips entry with host bits", "seed004_tor_routeros", all_var("service_cluster_ips", ["10.96.0.1/24"]),
     ("refused", "all", "service_cluster_ips[0]", "not a network prefix", "no host bits")),
    # names that become labels and object names
    ("rack name Rack_1 (not a DNS-1123 label)", "tor_three_racks", rename_rack("r1", "Rack_1"),
     ("refused", "all", "fabric_racks", "not a valid DNS-1123 label", "'rack-1'")),
    ("rack name of 70 characters", "tor_three_racks", rename_rack("r2", "r" * 70),
     ("refused", "all", "fabric_racks", "not a valid DNS-1123 label", "at most 63")),
    ("node rack: Rack_1 not in fabric_racks", "tor_three_racks", node_var("r1-n1", "rack", "Rack_1"),
     ("refused", "r1-n1", "rack", "not a valid DNS-1123 label", "lower-case")),
    ("calico_node_name: Node_1", "tor_three_racks", node_var("r1-n1", "calico_node_name", "Node_1"),
     ("refused", "r1-n1", "calico_node_name", "not a valid DNS-1123 subdomain", "'node-1'")),
    ("calico_labels value with a space", "tor_three_racks", node_var("r1-n1", "calico_labels", {"zone": "a b"}),
     ("refused", "r1-n1", "calico_labels.zone", "not a valid label value", "at most 63")),
    ("device name ToR_1 in BGPPeer names", "seed004_tor_routeros",
     lambda f: f["devices"].update(ToR_1=f["devices"].pop("router")),
     ("refused", "ToR_1", "inventory_hostname", "not a valid DNS-1123 subdomain", "'tor-1'")),
    # inconsistent combinations
    ("leaf with the AS of its rack (rr_per_leaf)", "seed001_rr_per_leaf", device_var("leaf2", "bgp_asn", 64513),
     ("refused", "leaf2", "bgp_asn", "would be iBGP", "give the leaf its own AS")),
    ("rack without a leaf (rr_per_leaf)", "seed001_rr_per_leaf", device_var("leaf2", "racks", {}),
     ("refused", "rack rack2", "racks", "has nodes (node4) but no leaf", "add rack2")),
    ("route_reflector: true in full_mesh", "full_mesh", node_var("mesh-2", "route_reflector", True),
     ("refused", "mesh-2", "route_reflector", "full_mesh, which has no route reflectors",
      "fabric_pattern: route_reflector")),
    ("device peering address outside the rack subnet", "tor_three_racks",
     device_var("tor2", "racks", {"r2": "10.9.0.254"}),
     ("refused", "tor2", "racks.r2", "outside the subnet 10.2.0.0/24", "address in 10.2.0.0/24")),
    ("overlapping service CIDRs", "seed004_tor_routeros",
     all_var("service_cluster_ips", ["10.96.0.0/24", "10.96.0.128/25"]),
     ("refused", "all", "service_cluster_ips[1]", "overlaps 10.96.0.0/24", "without overlaps")),
    ("service external range overlapping a cluster range", "seed004_tor_routeros",
     all_var("service_external_ips", ["10.96.0.0/16"]),
     ("refused", "all", "service_external_ips[0]", "overlaps 10.96.0.0/24", "without overlaps")),
    ("service CIDR inside the pod pool", "seed004_tor_routeros", all_var("service_cluster_ips", ["192.168.10.0/24"]),
     ("refused", "all", "service_cluster_ips[0]", "overlaps the pod pool 192.168.0.0/16", "outside pod_cidr")),
    ("global peer naming an unknown device", "full_mesh", all_var("global_peers", ["tor2"]),
     ("refused", "all", "fabric_global_peers[0]", "not a device of the inventory", "did you mean tor1?")),
    ("uplink to an unknown device", "tor_three_racks",
     device_var("tor1", "uplinks", [{"peer": "spine1", "address": "10.255.0.1/31", "peer_address": "10.255.0.0"}]),
     ("refused", "tor1", "uplinks[0].peer", "not a device of the inventory", "did you mean spine?")),
    ("two nodes of a rack in one AS behind an eBGP ToR (tor_three_racks before)", "tor_three_racks",
     lambda f: [spec.pop("allow_local_as") for spec in f["racks"].values()],
     ("refused", "r1-n2", "fabric_racks.r1.allow_local_as", "AS-path loop", "allow_local_as: 1")),
    ("allow_local_as: 1 plans numAllowedLocalASNumbers", "tor_three_racks", lambda f: None,
     ("read", lambda p: all(peer["spec"].get("numAllowedLocalASNumbers") == 1 for peer in p["calico"]["bgp_peers"]),
      "every rack BGPPeer has numAllowedLocalASNumbers: 1")),
    # passwords
    ("different passwords at the two ends of an uplink", "tor_three_racks",
     each(all_devices("bgp_password", "Same-pw-1"), device_var("spine", "bgp_password", "Other-pw-2")),
     ("refused", "tor1", "bgp_password", "different bgp_password values", "give tor1 and spine the same")),
    ("per-device bgp_password on the ToRs, none on the spine", "tor_three_racks",
     each(device_var("tor1", "bgp_password", "T1-pw"), device_var("tor2", "bgp_password", "T2-pw"),
          device_var("tor3", "bgp_password", "T3-pw")),
     ("refused", "tor1", "bgp_password", "tor1 has a bgp_password and spine none", "or neither")),
    ("300-character password (RouterOS)", "seed004_tor_routeros", device_var("router", "bgp_password", "x" * 300),
     ("refused", "router", "bgp_password", "has 300 characters", "1 to 80 characters")),
    ("password with '?' (FRR, vtysh help key)", "seed001_rr_per_leaf",
     each(all_devices("bgp_password", "abc?def"), device_var("leaf1", "platform", "routeros")),
     ("refused", "leaf2", "bgp_password", "vtysh's help key", "without '?'")),
    ("password with '?' (Comware)", "seed001_rr_per_leaf",
     each(all_devices("bgp_password", "abc?def"), device_var("leaf2", "platform", "routeros"),
          device_var("spine1", "platform", "routeros")),
     ("refused", "leaf1", "bgp_password", "Comware CLI's help key", "without '?'")),
    ("password with a space (Comware)", "seed001_rr_per_leaf",
     each(all_devices("bgp_password", "abc def"), device_var("leaf2", "platform", "routeros"),
          device_var("spine1", "platform", "routeros")),
     ("refused", "leaf1", "bgp_password", "one word", "without ' '")),
    ("password with a double quote (bird.cfg)", "seed004_tor_routeros", device_var("router", "bgp_password", 'ab"c'),
     ("refused", "router", "bgp_password", "bird.cfg", "without '\"'")),
    ("password with a non-ASCII character", "seed004_tor_routeros", device_var("router", "bgp_password", "pässwort"),
     ("refused", "router", "bgp_password", "outside printable ASCII", "printable ASCII")),
]


def run_case(example, mutate):
    fabric = inventory_fabric(example)
    mutate(fabric)
    return build_plan(fabric)


@pytest.mark.parametrize("name,example,mutate,outcome", CASES, ids=[c[0] for c in CASES])
def test_bad_input(name, example, mutate, outcome):
    if outcome[0] == "read":
        plan = run_case(example, mutate)
        assert outcome[1](plan), "%s: expected %s" % (name, outcome[2])
        return
    host, field, words, fix = outcome[1:]
    with pytest.raises(FabricError) as err:
        run_case(example, mutate)
    assert (err.value.host, err.value.field) == (host, field), str(err.value)
    assert words in err.value.message, str(err.value)
    assert err.value.fix and fix in err.value.fix, str(err.value)


def classify(example, mutate, outcome):
    """What the planner did with one case: refused clearly, read right, or accepted wrongly."""
    try:
        plan = run_case(example, mutate)
    except FabricError as exc:
        if outcome[0] == "refused" and (exc.host, exc.field) == outcome[1:3] and outcome[3] in exc.message \
                and exc.fix and outcome[4] in exc.fix:
            return "refused clearly"
        return "refused unclearly"
    if outcome[0] == "read" and outcome[1](plan):
        return "read correctly"
    return "accepted wrongly"


def render_matrix():
    rows, counts = [], {"refused clearly": 0, "read correctly": 0, "refused unclearly": 0, "accepted wrongly": 0}
    for name, example, mutate, outcome in CASES:
        got = classify(example, mutate, outcome)
        counts[got] += 1
        if outcome[0] == "refused":
            expected = "refused: `%s` `%s`: %s" % (outcome[1], outcome[2], outcome[3])
        else:
            expected = "accepted: %s" % outcome[2]
        rows.append("| %s | `%s` | %s | %s |" % (name.replace("|", "\\|"), example, expected.replace("|", "\\|"), got))
    head = ("Cases tried: **%d**; refused clearly (host, field and fix): **%d**; read correctly: **%d**; "
            "refused unclearly: **%d**; accepted wrongly: **%d**." % (
                len(CASES), counts["refused clearly"], counts["read correctly"], counts["refused unclearly"],
                counts["accepted wrongly"]))
    table = ["| case | example | expected | result |", "|---|---|---|---|"] + rows
    return counts, "\n".join([BEGIN, head, "", *table, END])


def test_security_doc_matrix():
    counts, section = render_matrix()
    assert counts["accepted wrongly"] == 0 and counts["refused unclearly"] == 0
    text = SECURITY_DOC.read_text()
    if os.environ.get("KUBEFABRIC_UPDATE_DOCS") == "1":
        start, end = text.index(BEGIN), text.index(END) + len(END)
        SECURITY_DOC.write_text(text[:start] + section + text[end:])
        text = SECURITY_DOC.read_text()
    assert section in text, "docs/security.md's bad-input matrix differs: rerun with KUBEFABRIC_UPDATE_DOCS=1"
