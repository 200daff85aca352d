"""BGP paths per version, RouterOS's errors for bad values, and what reaches the device's FRR."""
import pytest
from librouteros.exceptions import TrapError

SEED_IBGP = {"name": "k8s-peer-1", "remote.address": "172.16.30.102", "remote.as": "64513",
             "local.role": "ibgp", "as": "64513"}


def _bgpd(dev):
    return dev.frr().running_config()


def test_v7_connection_is_realised_in_frr(routeros):
    dev = routeros("7.10", frr=True)
    api = dev.connect()
    conn = api.path("routing", "bgp", "connection")
    cid = conn.add(**SEED_IBGP)
    row = list(conn)[0]
    assert row[".id"] == cid
    assert {k: row[k] for k in SEED_IBGP} == {**SEED_IBGP, "remote.as": 64513, "as": 64513}
    assert row["connect"] is True and row["listen"] is True and row["disabled"] is False
    cfg = _bgpd(dev)
    assert "router bgp 64513" in cfg and "neighbor 172.16.30.102 remote-as 64513" in cfg

    # the seed's eBGP variant: the local AS changes, FRR follows
    conn.update(**{".id": cid, "as": "65000", "local.role": "ebgp", "tcp-md5-key": "s3cret",
                   "multihop": "yes", "hold-time": "90s"})
    cfg = _bgpd(dev)
    assert "router bgp 65000" in cfg and "router bgp 64513" not in cfg
    assert "neighbor 172.16.30.102 password s3cret" in cfg
    assert "neighbor 172.16.30.102 ebgp-multihop 255" in cfg
    assert "neighbor 172.16.30.102 timers 30 90" in cfg
    assert list(conn)[0]["hold-time"] == "1m30s"

    # a second connection does not touch the first one; a range is a listen range
    conn.add(**{"name": "rr-clients", "remote.address": "172.16.31.0/24", "local.role": "ibgp-rr",
                "as": "65000", "cluster-id": "244.0.0.1"})
    cfg = _bgpd(dev)
    assert "bgp listen range 172.16.31.0/24 peer-group ros-rr-clients" in cfg
    assert "neighbor ros-rr-clients route-reflector-client" in cfg
    assert "bgp cluster-id 244.0.0.1" in cfg
    conn.update(**{".id": cid, "disabled": True})
    assert "172.16.30.102" not in _bgpd(dev)
    conn.remove(cid)
    assert [r["name"] for r in conn] == ["rr-clients"]
    conn.remove(list(conn)[0][".id"])
    assert "router bgp" not in _bgpd(dev)


def test_v7_connection_errors(routeros):
    dev = routeros("7.10")
    api = dev.connect()
    conn = api.path("routing", "bgp", "connection")
    base = dict(SEED_IBGP)
    with pytest.raises(TrapError, match=r"^missing value\(s\) of argument\(s\) local.role$"):
        conn.add(**{k: v for k, v in base.items() if k != "local.role"})
    with pytest.raises(TrapError, match="^input does not match any value of local.role$"):
        conn.add(**dict(base, **{"local.role": "internal"}))
    with pytest.raises(TrapError, match=r"^value of as out of range \(0..4294967295\)$"):
        conn.add(**dict(base, **{"as": "4294967296"}))
    with pytest.raises(TrapError, match="^invalid value for argument remote.address$"):
        conn.add(**dict(base, **{"remote.address": "172.16.30.300"}))
    with pytest.raises(TrapError, match="^input does not match any value of templates$"):
        conn.add(**dict(base, templates="nope"))
    with pytest.raises(TrapError, match="^unknown parameter$"):
        conn.add(**dict(base, instance="bgp1"))  # instance exists from 7.20 only
    conn.add(**base)
    with pytest.raises(TrapError, match="already exists"):
        conn.add(**base)
    session = api.path("routing", "bgp", "session")
    with pytest.raises(TrapError, match="^no such command$"):
        session.add(name="x")
    assert dev.writes == 9  # every mutating request received counts, refused ones too


def test_v7_template_inheritance(routeros):
    dev = routeros("7.10", frr=True)
    api = dev.connect()
    tmpl = api.path("routing", "bgp", "template")
    default = list(tmpl)
    assert [t["name"] for t in default] == ["default"]
    assert default[0]["hold-time"] == "3m"
    tmpl.update(**{".id": default[0][".id"], "as": "64513"})
    api.path("routing", "bgp", "connection").add(
        **{"name": "n1", "remote.address": "172.16.30.102", "local.role": "ibgp"})
    cfg = _bgpd(dev)
    assert "router bgp 64513" in cfg and "neighbor 172.16.30.102 remote-as internal" in cfg
    with pytest.raises(TrapError, match="can not remove default template"):
        tmpl.remove(default[0][".id"])


def test_v720_instance_layout(routeros):
    dev = routeros("7.20", frr=True)
    api = dev.connect()
    inst = api.path("routing", "bgp", "instance")
    conn = api.path("routing", "bgp", "connection")
    assert list(inst) == []
    with pytest.raises(TrapError, match=r"missing value\(s\) of argument\(s\) instance"):
        conn.add(**SEED_IBGP)
    with pytest.raises(TrapError, match="input does not match any value of instance"):
        conn.add(**dict(SEED_IBGP, instance="bgp-instance-1"))
    with pytest.raises(TrapError, match="^unknown parameter$"):
        conn.add(**dict(SEED_IBGP, instance="bgp-instance-1", **{"router-id": "1.1.1.1"}))
    iid = inst.add(name="bgp-instance-1", **{"as": "64513", "router-id": "172.16.30.254"})
    conn.add(**dict({k: v for k, v in SEED_IBGP.items() if k != "as"}, instance="bgp-instance-1"))
    cfg = _bgpd(dev)
    assert "router bgp 64513" in cfg and "bgp router-id 172.16.30.254" in cfg
    with pytest.raises(TrapError, match="is used by"):
        inst.remove(iid)


def test_v6_layout(routeros):
    dev = routeros("6.49", frr=True)
    api = dev.connect()
    raw = list(api.path("routing", "bgp", "instance"))
    assert [(i["name"], i["as"], i["default"]) for i in raw] == [("default", 65530, True)]
    with pytest.raises(TrapError, match="no such command prefix"):
        list(api.path("routing", "bgp", "connection"))
    inst = api.path("routing", "bgp", "instance")
    inst.update(**{".id": raw[0][".id"], "as": "64513", "router-id": "172.16.30.254",
                   "cluster-id": "244.0.0.1"})
    peer = api.path("routing", "bgp", "peer")
    with pytest.raises(TrapError, match=r"missing value\(s\) of argument\(s\) remote-as"):
        peer.add(**{"remote-address": "172.16.30.102"})
    peer.add(**{"name": "ubuntu-2", "remote-address": "172.16.30.102", "remote-as": "64513",
                "route-reflect": "yes"})
    row = list(peer)[0]
    assert row["name"] == "ubuntu-2" and row["route-reflect"] is True and row["hold-time"] == "3m"
    assert row["state"] in ("idle", "connect", "active")
    cfg = _bgpd(dev)
    assert "router bgp 64513" in cfg and "bgp router-id 172.16.30.254" in cfg
    assert "neighbor 172.16.30.102 route-reflector-client" in cfg and "bgp cluster-id 244.0.0.1" in cfg
    with pytest.raises(TrapError, match="can not remove default instance"):
        inst.remove(raw[0][".id"])
