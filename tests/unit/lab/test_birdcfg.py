"""The lab's BIRD 1.6 renderer and confd engine on hand-made inputs (the confd fixtures test the rest)."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from lab import birdcfg, confd

V3 = "projectcalico.org/v3"


def node(name, v4=None, v6=None, **bgp):
    if v4:
        bgp["ipv4Address"] = v4
    if v6:
        bgp["ipv6Address"] = v6
    return {"apiVersion": V3, "kind": "Node", "metadata": {"name": name}, "spec": {"bgp": bgp}}


def peer(name, **spec):
    return {"apiVersion": V3, "kind": "BGPPeer", "metadata": {"name": name}, "spec": spec}


def config(**spec):
    return {"apiVersion": V3, "kind": "BGPConfiguration", "metadata": {"name": "default"}, "spec": spec}


EVERYTHING = [
    config(nodeToNodeMeshEnabled=False, asNumber=64512, listenPort=1179, bindMode="NodeIP",
           serviceClusterIPs=[{"cidr": "10.96.0.0/12"}], serviceExternalIPs=[{"cidr": "203.0.113.0/24"}],
           communities=[{"name": "c", "value": "65000:1"}],
           prefixAdvertisements=[{"cidr": "192.168.0.0/16", "communities": ["c", "65000:2:3"]}]),
    node("rr", "10.0.0.1/24", "fd00::1/64", routeReflectorClusterID="244.0.0.1"),
    node("c1", "10.0.0.2/24", "fd00::2/64"),
    peer("tor", node="rr", peerIP="10.0.0.254", asNumber=65000, localASNumber=64999, numAllowedLocalASNumbers=1,
         ttlSecurity=1, maxRestartTime="120s", keepaliveTime="20s", nextHopMode="Self", reachableBy="10.0.0.253",
         password={"secretKeyRef": {"name": "bgp", "key": "tor"}}, filters=["only-pods"]),
    peer("clients", node="rr", peerSelector="!has(x)"),
    {"apiVersion": V3, "kind": "IPPool", "metadata": {"name": "pods"},
     "spec": {"cidr": "192.168.0.0/16", "ipipMode": "CrossSubnet"}},
    {"apiVersion": V3, "kind": "IPPool", "metadata": {"name": "pods6"}, "spec": {"cidr": "fd10::/64"}},
    {"apiVersion": V3, "kind": "BGPFilter", "metadata": {"name": "only-pods"},
     "spec": {"exportV4": [{"action": "Accept", "matchOperator": "In", "cidr": "192.168.0.0/16"},
                           {"action": "Reject"}]}},
    {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "bgp", "namespace": "kube-system"},
     "stringData": {"tor": "pa$s w0rd"}},
]


def test_protocol_block_line_order_and_values():
    model = confd.Model(EVERYTHING)
    tor = [p for p in confd.node_sessions(model, "rr") if p.name == "Node_10_0_0_254"][0]
    lines = [line.strip() for line in birdcfg.render_peer(tor, model).splitlines()]
    assert lines[:7] == [
        "protocol bgp Node_10_0_0_254 from bgp_template {", "local as 64999;", "neighbor 10.0.0.254 as 65000;",
        "source address 10.0.0.1;  # The local address we use for the TCP connection", "ttl security on;",
        "multihop 1;", "import filter {"]
    assert "'bgp_only-pods_exportFilterV4'();" in lines
    assert lines.index("'bgp_only-pods_exportFilterV4'();") < lines.index("calico_export_to_bgp_peers(false);")
    tail = lines[lines.index("};  # Only want to export routes for workloads.") + 1:]
    assert tail == ["graceful restart time 120;", "keepalive time 20;", 'password "pa$s w0rd";', "next hop self;",
                    "allow local as 1;", "}"]
    attrs = birdcfg.protocol_attributes(birdcfg.render_peer(tor, model))
    assert attrs == {"neighbor": "10.0.0.254", "port": None, "peer_as": 65000, "local_as": 64999,
                     "source_address": "10.0.0.1", "ttl_security": 1, "multihop": 1, "passive": False,
                     "graceful_restart": 120, "keepalive": 20, "rr_client": False, "rr_cluster_id": None,
                     "password": "pa$s w0rd", "next_hop": "self", "allow_local_as": 1, "export_internal": False}


def test_rr_client_block():
    model = confd.Model(EVERYTHING)
    client = [p for p in confd.node_sessions(model, "rr") if p.name == "Node_10_0_0_2_port_1179"][0]
    text = birdcfg.render_peer(client, model)
    assert "  rr client;\n  rr cluster id 244.0.0.1;\n" in text
    assert "calico_export_to_bgp_peers(true);" in text


def test_node_files_contents():
    files = birdcfg.render_node(EVERYTHING, node="rr", blocks=["192.168.5.0/26", {"cidr": "192.168.6.0/26",
                                                                                  "state": "pending"}])
    assert sorted(files) == ["bird.cfg", "bird6.cfg", "bird6_aggr.cfg", "bird6_ipam.cfg", "bird_aggr.cfg",
                             "bird_ipam.cfg"]
    bird = files["bird.cfg"]
    assert "listen bgp address 10.0.0.1 port 1179;" in bird
    assert "router id 10.0.0.1;" in bird
    assert "bgp_community.add((65000, 1));" in bird and "bgp_large_community.add((65000, 2, 3));" in bird
    assert "function 'bgp_only-pods_exportFilterV4'() {" in bird
    assert "# No v6 BGPFilters configured" in files["bird6.cfg"]
    assert "listen bgp address fd00::1 port 1179;" in files["bird6.cfg"]
    aggr = files["bird_aggr.cfg"]
    assert "route 192.168.5.0/26 blackhole;" in aggr and "192.168.6.0/26" not in aggr
    assert "route 10.96.0.0/12 blackhole;" in aggr and "route 203.0.113.0/24 blackhole;" in aggr
    assert "# Static routes needed for node specific BGP peers.\n   route 10.0.0.254/32 via 10.0.0.253;" in aggr
    ipam = files["bird_ipam.cfg"]
    assert ('if (net ~ 192.168.0.0/16) then { reject; } # Cluster routes are handled by Felix.' in ipam)
    assert "if ( net ~ 10.96.0.0/12 ) then { reject; }" in ipam
    assert "if (net ~ fd10::/64) then { accept; }" in files["bird6_ipam.cfg"]


def test_router_id_variants_and_disabled_family():
    res = [node("a", "10.0.0.1/24"), node("b", "10.0.0.2/24")]
    assert "router id 10.10.10.10;" in birdcfg.render_node(res, node="a", router_id="10.10.10.10")["bird.cfg"]
    hashed = birdcfg.hash_router_id("a")
    assert "router id %s;" % hashed in birdcfg.render_node(res, node="a", router_id="hash")["bird.cfg"]
    assert len(hashed.split(".")) == 4
    files = birdcfg.render_node(res, node="a")
    assert files["bird6.cfg"].rstrip().endswith("# IPv6 disabled on this node.")
    assert "# No IP blocks or static routes for this host." in files["bird6_aggr.cfg"]


def test_filter_name_truncation():
    assert birdcfg.truncate_filter_name("x" * 45) == "x" * 45
    long_name = "y" * 46
    short = birdcfg.truncate_filter_name(long_name)
    assert len(short) == 45 and short.startswith("y" * 28 + "_")
    assert short != birdcfg.truncate_filter_name("y" * 47)


def test_stock_variant_leaves_ipip_to_felix():
    res = [config(programClusterRoutes="Enabled"), node("a", "10.0.0.1/24"),
           {"apiVersion": V3, "kind": "IPPool", "metadata": {"name": "p"},
            "spec": {"cidr": "192.168.0.0/16", "ipipMode": "Always"}}]
    calico = birdcfg.render_node(res, node="a")["bird_ipam.cfg"]
    stock = birdcfg.render_node(res, node="a", bird_variant="stock")["bird_ipam.cfg"]
    assert 'krt_tunnel="tunl0"' in calico and "krt_tunnel" not in stock
    assert '(ifname ~ "tunl0")' in stock and '(ifname ~ "tunl0")' not in calico


def test_password_bird_cannot_hold_is_refused():
    resources = [r if r.get("kind") != "Secret" else dict(r, stringData={"tor": 'pa"ss'}) for r in EVERYTHING]
    with pytest.raises(birdcfg.RenderError) as err:
        birdcfg.render_node(resources, node="rr")
    assert str(err.value).startswith("Secret/bgp data.tor: ")
    assert 'pa"ss' not in str(err.value)


def test_protocol_blocks_normalises_comments_and_braces():
    text = ("protocol kernel {\n}\nprotocol bgp A from t {\n  neighbor 1.2.3.4 as 1;  # c\n  export filter {\n"
            "    if x then {\n    }\n  };\n  password \"a#b\";\n}\nprotocol bgp B from t {\n}\n")
    blocks = birdcfg.protocol_blocks(text)
    assert list(blocks) == ["A", "B"]
    assert 'password "a#b";' in blocks["A"] and "# c" not in blocks["A"]


@pytest.mark.skipif(not shutil.which("bird"), reason="bird (Debian bird 1.6) not installed")
def test_bird_accepts_a_file_with_every_option(tmp_path):
    files = birdcfg.render_node(EVERYTHING, node="rr", blocks=["192.168.5.0/26"], bird_variant="stock")
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    for binary, main in (("bird", "bird.cfg"), ("bird6", "bird6.cfg")):
        proc = subprocess.run([shutil.which(binary), "-p", "-c", str(tmp_path / main)], cwd=tmp_path,
                              capture_output=True, text=True, timeout=60, check=False)
        assert proc.returncode == 0, proc.stderr
    # and BIRD does reject a broken one, so the check above can fail
    (tmp_path / "bird.cfg").write_text(files["bird.cfg"].replace("neighbor 10.0.0.254 as 65000;",
                                                                 "neighbor 10.0.0.254 as;"))
    proc = subprocess.run([shutil.which("bird"), "-p", "-c", str(tmp_path / "bird.cfg")], cwd=tmp_path,
                          capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode != 0


def test_big_lab_scan_time_changes_only_the_two_scan_periods():
    from lab.calico_node import with_scan_time
    res = [node("a", "10.0.0.1/24"), node("b", "10.0.0.2/24")]
    files = birdcfg.render_node(res, node="a")
    slow = with_scan_time(files, 30)
    assert set(slow) == set(files)
    for name, text in files.items():
        before, after = text.splitlines(), slow[name].splitlines()
        changed = [(x, y) for x, y in zip(before, after) if x != y]
        assert len(before) == len(after)
        assert all("scan time 2;" in x and "scan time 30;" in y for x, y in changed)
    assert slow["bird.cfg"].count("scan time 30;") == 2  # the kernel template and protocol device
    assert "scan time 2;" not in slow["bird.cfg"]
