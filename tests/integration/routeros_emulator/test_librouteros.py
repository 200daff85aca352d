"""The emulator against the real librouteros client: login, paths, queries, writes, TLS."""
import ssl

import librouteros
import pytest
from librouteros.exceptions import TrapError
from librouteros.login import token
from librouteros.query import And, Key, Or

from .conftest import VERSIONS


@pytest.mark.parametrize("version", VERSIONS)
def test_plain_login_and_system_paths(routeros, version):
    dev = routeros(version)
    api = dev.connect()
    resource = list(api.path("system", "resource"))
    assert len(resource) == 1
    assert resource[0]["version"].split(" ")[0].startswith(version + ".")
    assert resource[0]["board-name"] == "CHR"
    assert list(api.path("system", "identity")) == [{"name": "ros"}]
    api.path("system", "identity").update(name="edge-1")
    assert list(api.path("system", "identity")) == [{"name": "edge-1"}]
    # the management address is an /ip/address entry, its interface an /interface entry
    addresses = list(api.path("ip", "address"))
    assert [a["address"] for a in addresses] == ["%s/30" % dev.address]
    assert addresses[0]["interface"] in [i["name"] for i in api.path("interface")]
    api.close()


def test_wrong_password_is_a_trap(routeros):
    dev = routeros("7.10")
    with pytest.raises(TrapError) as exc:
        librouteros.connect(host=dev.address, username="admin", password="wrong", port=dev.port, timeout=5)
    assert str(exc.value) == "invalid user name or password (6)"
    with pytest.raises(TrapError):
        librouteros.connect(host=dev.address, username="nobody", password=dev.password, port=dev.port, timeout=5)


def test_token_login(routeros):
    dev = routeros("6.49")
    api = librouteros.connect(host=dev.address, username="admin", password=dev.password, port=dev.port,
                              login_method=token, timeout=5)
    assert list(api.path("system", "identity"))[0]["name"] == "ros"
    with pytest.raises(TrapError):
        librouteros.connect(host=dev.address, username="admin", password="nope", port=dev.port,
                            login_method=token, timeout=5)


def test_tls_with_the_devices_ca(routeros):
    dev = routeros("7.20")
    ctx = ssl.create_default_context(cafile=str(dev.ca_path))
    ctx.check_hostname = False
    api = librouteros.connect(host=dev.address, username="admin", password=dev.password, port=dev.tls_port,
                              ssl_wrapper=ctx.wrap_socket, timeout=5)
    assert list(api.path("system", "identity"))[0]["name"] == "ros"
    # a client that does not trust the CA refuses the certificate
    strict = ssl.create_default_context()
    strict.check_hostname = False
    with pytest.raises(ssl.SSLError):
        librouteros.connect(host=dev.address, username="admin", password=dev.password, port=dev.tls_port,
                            ssl_wrapper=strict.wrap_socket, timeout=5)


@pytest.mark.parametrize("version", ("6.49", "7.10"))
def test_add_update_remove_select(routeros, version):
    dev = routeros(version)
    api = dev.connect()
    ip = api.path("ip", "address")
    mgmt_if = list(ip)[0]["interface"]
    ids = [ip.add(address="10.0.%d.1/24" % n, interface=mgmt_if, comment="n%d" % n) for n in range(4)]
    assert ids == ["*2", "*3", "*4", "*5"]
    address, comment, disabled = Key("address"), Key("comment"), Key("disabled")

    rows = list(ip.select(address, comment).where(comment == "n2"))
    assert rows == [{"address": "10.0.2.1/24", "comment": "n2"}]
    rows = list(ip.select(comment).where(comment.In("n0", "n3")))
    assert sorted(r["comment"] for r in rows) == ["n0", "n3"]
    rows = list(ip.select(comment).where(Or(comment == "n1", comment == "n2")))
    assert sorted(r["comment"] for r in rows) == ["n1", "n2"]
    rows = list(ip.select(address, comment).where(comment != "n1", disabled == "no"))
    assert sorted(r.get("comment", "-") for r in rows) == ["-", "n0", "n2", "n3"]
    rows = list(ip.select(comment).where(And(comment == "n1", disabled == "yes")))
    assert rows == []

    ip.update(**{".id": ids[1], "disabled": True, "comment": "off"})
    row = next(r for r in ip if r[".id"] == ids[1])
    assert row["disabled"] is True and row["comment"] == "off" and row["network"] == "10.0.1.0"
    ip.remove(ids[0], ids[2])
    assert sorted(r[".id"] for r in ip) == ["*1", ids[1], ids[3]]
    with pytest.raises(TrapError, match="no such item"):
        ip.remove(ids[0])
    with pytest.raises(TrapError, match="invalid value for argument address"):
        ip.add(address="10.0.0.300/24", interface=mgmt_if)
    with pytest.raises(TrapError, match="input does not match any value of interface"):
        ip.add(address="10.9.9.1/24", interface="ether99")
    with pytest.raises(TrapError, match="unknown parameter"):
        ip.add(address="10.9.9.1/24", interface=mgmt_if, colour="blue")
    with pytest.raises(TrapError, match="missing value"):
        ip.add(interface=mgmt_if)
    with pytest.raises(TrapError, match="already have such address"):
        ip.add(address="10.0.3.1/24", interface=mgmt_if)
    api.close()


def test_addresses_reach_the_namespace(routeros):
    dev = routeros("7.10")
    api = dev.connect()
    ip = api.path("ip", "address")
    mgmt_if = list(ip)[0]["interface"]
    new_id = ip.add(address="172.16.30.254/24", interface=mgmt_if)
    assert "172.16.30.254/24" in dev.ns.run(["ip", "-4", "addr", "show", "dev", mgmt_if])
    ip.update(**{".id": new_id, "disabled": True})
    assert "172.16.30.254/24" not in dev.ns.run(["ip", "-4", "addr", "show", "dev", mgmt_if])
    ip.update(**{".id": new_id, "disabled": False})
    ip.remove(new_id)
    assert "172.16.30.254" not in dev.ns.run(["ip", "-4", "addr", "show", "dev", mgmt_if])
    # the management address stays, whatever happens to its entry
    assert dev.address in dev.ns.run(["ip", "-4", "addr", "show", "dev", mgmt_if])


def test_move_orders_entries(routeros):
    dev = routeros("7.10")
    api = dev.connect()
    ip = api.path("ip", "address")
    mgmt_if = list(ip)[0]["interface"]
    a, b, c = (ip.add(address="10.1.%d.1/24" % n, interface=mgmt_if) for n in range(3))
    tuple(ip("move", numbers=c, destination=a))
    assert [r[".id"] for r in ip] == ["*1", c, a, b]
    tuple(ip("move", numbers="%s,%s" % (a, b)))
    assert [r[".id"] for r in ip] == ["*1", c, a, b]
    tuple(ip("move", numbers=b, destination="*1"))
    assert [r[".id"] for r in ip] == [b, "*1", c, a]


def test_writes_are_counted_and_survive_a_restart(routeros):
    from lab.routeros import start_routeros
    dev = routeros("7.10")
    api = dev.connect()
    assert dev.writes == 0
    list(api.path("ip", "address"))
    assert dev.writes == 0
    mgmt_if = list(api.path("ip", "address"))[0]["interface"]
    new_id = api.path("ip", "address").add(address="10.2.0.1/24", interface=mgmt_if)
    api.path("system", "identity").update(name="renamed")
    with pytest.raises(TrapError):
        api.path("ip", "address").remove("*99")
    assert dev.writes == 3
    log = dev.write_log()
    assert [e["command"] for e in log] == ["/ip/address/add", "/system/identity/set", "/ip/address/remove"]
    assert log[2]["result"] == "trap: no such item"
    api.close()
    dev.stop()
    again = start_routeros(dev.ns, dev.workdir, version="7.10", identity="ros", password=dev.password, frr=False)
    try:
        assert again.writes == 3
        api = again.connect()
        assert list(api.path("system", "identity"))[0]["name"] == "renamed"
        assert [r[".id"] for r in api.path("ip", "address")] == ["*1", new_id]
        api.close()
    finally:
        again.stop()


def test_initial_configuration_is_not_a_write(routeros):
    from lab.netns import LabError
    dev = routeros("7.10", initial=[("/system/identity/set", {"name": "core-1"}),
                                    ("/ip/firewall/address-list/add", {"list": "bgp-out", "address": "10.96.0.0/24",
                                                                       "disabled": False})])
    api = dev.connect()
    assert list(api.path("system", "identity")) == [{"name": "core-1"}]
    assert [(e["list"], e["address"], e["disabled"]) for e in api.path("ip", "firewall", "address-list")] == [
        ("bgp-out", "10.96.0.0/24", False)]
    assert dev.writes == 0
    with pytest.raises(LabError, match="initial configuration: .*local.role"):
        routeros("7.10", name="bad", initial=[("/routing/bgp/connection/add", {
            "name": "x", "remote.address": "10.0.0.1", "local.role": "nonsense"})])
