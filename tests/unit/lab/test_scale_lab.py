"""The scale lab's pieces that need no lab: the generated inventories, the lab's starting Calico objects
and the benchmark's parsing of the verify role's converged line (benchmarks/bench_lab_scale.py)."""
import importlib.util
import ipaddress
from pathlib import Path

import pytest

from lab import fabric

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("bench_lab_scale", REPO / "benchmarks" / "bench_lab_scale.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _hosts(inv, group):
    children = inv["all"]["children"]
    if group == "k8s_nodes":
        return children["k8s_nodes"]["hosts"]
    return children["network_devices"]["children"][group]["hosts"]


def test_thousand_nodes_forty_leaves_two_spines(bench):
    inv = bench.inventory(1000, 40, spines=2, lab_mesh=False)
    nodes, leaves, spines = _hosts(inv, "k8s_nodes"), _hosts(inv, "leaves"), _hosts(inv, "spines")
    assert (len(nodes), len(leaves), len(spines)) == (1000, 40, 2)
    assert inv["all"]["vars"]["lab_node_to_node_mesh"] is False
    assert inv["all"]["vars"]["lab_bird_scan_time"] == 30
    devices = dict(leaves, **spines)
    mgmt = [ipaddress.ip_address(d["ansible_host"]) for d in devices.values()]
    # one management /30 per device, inside the lab's range
    assert len({int(a) // 4 for a in mgmt}) == len(devices)
    assert all(a in ipaddress.ip_network("198.18.0.0/16") for a in mgmt)
    for leaf in leaves.values():
        assert [u["peer"] for u in leaf["uplinks"]] == ["spine1", "spine2"]
    uplinks = [u["address"] for leaf in leaves.values() for u in leaf["uplinks"]]
    assert len(set(uplinks)) == 80
    # 25 nodes per rack, the first two of each rack route reflectors
    assert sum(1 for n in nodes.values() if n.get("route_reflector")) == 80
    assert len({n["bgp_ipv4_address"] for n in nodes.values()}) == 1000


def test_the_200_node_inventory_is_still_generated_as_shipped(bench):
    generated = bench.inventory(200, 8)
    assert "lab_node_to_node_mesh" not in generated["all"]["vars"]
    import yaml  # pylint: disable=import-outside-toplevel
    shipped = yaml.safe_load((REPO / "examples" / "scale_200" / "inventory.yml").read_text())
    assert generated == shipped


def test_too_many_devices_for_the_management_range(bench):
    with pytest.raises(SystemExit, match="62 devices"):
        bench.inventory(1000, 61, spines=2)


@pytest.mark.parametrize("text,expected", [
    # the verify role's message since the route check (a folded YAML string: one line)
    ('"msg": "800/800 session ends Established, 41600/41600 prefixes present after 253.6 s"',
     {"converged": True, "session_ends": 800, "verify_elapsed_s": 253.6, "prefixes_present": 41600}),
    ('"msg": "798/800 session ends Established, 41600/41600 prefixes present after 12.0 s"',
     {"converged": False, "session_ends_established": 798}),
    ('"msg": "800/800 session ends Established, 41000/41600 prefixes present after 12.0 s"',
     {"converged": False, "prefixes_present": 41000}),
    # with where the routes were checked and fabric_verify's converged_at
    ('"msg": "800/800 session ends Established, 4984/4984 prefixes present after 9.49 s (routes checked at 16 '
     'reflector node(s) + 9 device(s); converged at 1796543245.803)"',
     {"converged": True, "prefixes_expected": 4984, "verify_elapsed_s": 9.49, "verify_converged_at": 1796543245.803}),
    # before the route check
    ('"msg": "800/800 session ends Established after 20.8 s"', {"converged": True, "verify_elapsed_s": 20.8}),
    ("no converged line", {"converged": False, "session_ends": None}),
])
def test_converged_line(bench, text, expected):
    result = bench.parse_converged("fabric_verify round 1 (2 s): 10/800 session ends Established\n" + text)
    assert {k: result.get(k) for k in expected} == expected


def test_bird_since_column_as_epoch(bench):
    now = 1796543245.8  # the clock of the run; BIRD prints local time
    local = bench.time.localtime(now)
    clock = bench.time.strftime("%H:%M:%S", local)
    assert bench._since_epoch(clock, now) == float(int(now))
    assert bench._since_epoch(bench.time.strftime("%Y-%m-%d %H:%M:%S", local), now) == float(int(now))
    # a time of day later than now is yesterday's
    later = bench.time.strftime("%H:%M:%S", bench.time.localtime(now + 3600))
    assert bench._since_epoch(later, now) == float(int(now)) + 3600 - 86400
    assert bench._since_epoch("garbage", now) is None


def test_verify_report_lag_from_converged_at_else_the_round_line(bench):
    established = {"bird_last_established": 100.0, "frr_last_established": 99.5, "last_established": 100.0}
    lag = bench.verify_lag({"verify_converged_at": 101.8}, established, 101.9)
    assert lag["verify_report_lag_s"] == 1.8 and lag["verify_report_lag_frr_s"] == 2.3
    assert bench.verify_lag({}, established, 103.0)["verify_report_lag_s"] == 3.0  # an older fabric_verify
    assert "verify_report_lag_s" not in bench.verify_lag({}, dict(established, last_established=None), 103.0)


def test_lab_cluster_starts_with_calico_defaults_unless_the_mesh_is_off():
    kinds = [o["kind"] for o in fabric.cluster_objects({}, "192.168.0.0/16")]
    assert kinds == ["IPPool"]
    objects = fabric.cluster_objects({"lab_node_to_node_mesh": False}, "192.168.0.0/16")
    config = [o for o in objects if o["kind"] == "BGPConfiguration"]
    assert config and config[0]["metadata"]["name"] == "default"
    assert config[0]["spec"] == {"nodeToNodeMeshEnabled": False}
