"""Unit tests of devices/comware.py: TextFSM parsing of real-format output, rendering per state,
check mode, idempotence, rollback after a rejected line, session rows."""
import functools
from pathlib import Path

import pytest

from ansible_collections.kubefabric.bgp.plugins.module_utils.common.errors import FabricError
from ansible_collections.kubefabric.bgp.plugins.module_utils.devices import owner
from ansible_collections.kubefabric.bgp.plugins.module_utils.devices import comware, model, resource, sessions

from tests.unit.plugins.module_utils.devices import fake_cli
from tests.unit.plugins.module_utils.devices.fake_cli import FakeCli, WriteInCheckMode

FIX = Path(__file__).resolve().parents[4] / "unit" / "fixtures" / "comware"
FULL = (FIX / "display_current-configuration_configuration_bgp.txt").read_text()
EMPTY = (FIX / "display_current-configuration_configuration_bgp_empty.txt").read_text()
ONE = (FIX / "display_current-configuration_configuration_bgp_one_peer.txt").read_text()
PARTIAL = (FIX / "display_current-configuration_configuration_bgp_partial.txt").read_text()
# ONE with its neighbor created by the collection (ownership marker of the default owner)
OWNED = ONE.replace(" peer 172.20.0.12 as-number 65001\n",
                    " peer 172.20.0.12 as-number 65001\n peer 172.20.0.12 description kubefabric:default\n")
PARAMS = {"hostname": "leaf1", "username": "admin", "password": "pw-not-in-results"}


fake = functools.partial(fake_cli.device, comware)
driver_with = functools.partial(fake_cli.connected, comware, PARAMS)


def test_parse_full_config():
    cfg = comware.parse_config(FULL)
    assert cfg["asn"] == 65001 and cfg["router_id"] == "172.20.0.1"
    spine = model.find(cfg["neighbors"], "address", "10.9.9.9")
    # remote AS and connect-interface come from the group "spine"
    assert spine["remote_as"] == 65000 and spine["update_source"] == "LoopBack0"
    assert spine["password"] == "$c$3$mJ6qF0KnvtZ3e1VEmxQ3Y1FPfT7cxEr0OQ=="
    assert (spine["hold_time"], spine["keepalive_time"]) == (90, 30)
    assert spine["multihop"] and spine["bfd"] and spine["description"] == "spine-1"
    assert (spine["import_policy"], spine["export_policy"]) == ("K8S-IN", "K8S-OUT")
    assert spine["address_families"] == ["ipv4"]   # enabled through its group
    client = model.find(cfg["neighbors"], "address", "172.20.0.12")
    assert client["route_reflector_client"] is True and client["remote_as"] == 65001
    # the VPN instance's peer is not part of the default instance
    assert [n["address"] for n in cfg["neighbors"]] == ["10.9.9.9", "172.20.0.12"]
    assert resource.user_view(cfg)["listen_ranges"] == [
        {"prefix": "172.20.0.0/24", "remote_as": 65001, "peer_group": "calico"},   # internal group
        {"prefix": "172.21.0.0/24", "remote_as": 64513, "peer_group": None},
    ]


def test_group_membership_with_its_own_as():
    text = "#\nbgp 65001\n group rr internal\n peer 10.0.0.3 group rr\n peer 10.0.0.4 group ext as-number 65009\n" \
           " group ext external\n #\n address-family ipv4 unicast\n  peer rr enable\n#\nreturn\n"
    cfg = comware.parse_config(text)
    assert [(n["address"], n["remote_as"], n["address_families"]) for n in cfg["neighbors"]] == [
        ("10.0.0.3", 65001, ["ipv4"]), ("10.0.0.4", 65009, [])]


def test_parse_without_bgp():
    assert comware.parse_config(EMPTY) == model.empty_config()


def test_parsed_state_is_offline():
    driver = comware.ComwareDriver({}, offline=True, connect=lambda *a: pytest.fail("parsed connected"))
    result = resource.run(driver, "parsed", running_config=FULL)
    assert result["parsed"]["asn"] == 65001
    assert "password" not in result["parsed"]["neighbors"][0]


FP = owner.fingerprint("s3cret-pw", "default", "172.20.0.11")


def test_rendered_state_is_offline():
    driver = comware.ComwareDriver({}, offline=True, connect=lambda *a: pytest.fail("rendered connected"))
    config = {"asn": 65001, "router_id": "172.20.0.1",
              "neighbors": [{"address": "172.20.0.11", "remote_as": 65001, "route_reflector_client": True,
                             "password": "s3cret-pw"}],
              "listen_ranges": [{"prefix": "172.20.0.0/24", "remote_as": 64512, "peer_group": "calico"}]}
    result = resource.run(driver, "rendered", config=config)
    assert result["rendered"] == [
        "bgp 65001",
        " router-id 172.20.0.1",
        " peer 172.20.0.11 as-number 65001",
        " peer 172.20.0.11 description kubefabric:default/%s" % FP,
        " peer 172.20.0.11 password simple ********",
        " group calico external",
        " peer calico as-number 64512",
        " peer calico description kubefabric:default",
        " peer 172.20.0.0 24 group calico",
        " address-family ipv4 unicast",
        "  peer 172.20.0.11 enable",
        "  peer 172.20.0.11 reflect-client",
        "  peer calico enable",
        " quit",
        "quit",
    ]


def test_render_roundtrip_is_idempotent():
    cfg = comware.parse_config(FULL)
    assert comware.render_transition(cfg, cfg) == []
    lines = comware.render_transition(model.empty_config(), cfg)
    # a cipher password read from the device is sent back as cipher (how a rollback restores it)
    assert " peer 10.9.9.9 password cipher $c$3$mJ6qF0KnvtZ3e1VEmxQ3Y1FPfT7cxEr0OQ==" in lines


def plan_lines(have_text, config, state, password_update="on_create"):
    have = comware.parse_config(have_text)
    want = resource.validate_params(state, config)
    plan = resource.compute(want, have, state, comware.ComwareDriver.password_readable, password_update)
    return comware.render_transition(plan.have, plan.after)


@pytest.mark.parametrize("state,config,expected", [
    ("merged", {"neighbors": [{"address": "172.20.0.12", "route_reflector_client": True, "remote_as": 65001}]},
     ["bgp 65001", " address-family ipv4 unicast", "  peer 172.20.0.12 reflect-client", " quit", "quit"]),
    ("merged", {"neighbors": [{"address": "172.20.0.12", "remote_as": 65001}]}, []),
    ("merged", {"neighbors": [{"address": "172.20.0.12", "remote_as": 65009}]},
     ["bgp 65001", " undo peer 172.20.0.12", " peer 172.20.0.12 as-number 65009", " address-family ipv4 unicast",
      "  peer 172.20.0.12 enable", " quit", "quit"]),
    ("replaced", {"asn": 65001, "neighbors": [{"address": "172.20.0.12", "remote_as": 65001}]},
     ["bgp 65001", " undo router-id", "quit"]),
    ("overridden", {"asn": 65001, "router_id": "172.20.0.1",
                    "neighbors": [{"address": "172.20.0.13", "remote_as": 65001}]},
     ["bgp 65001", " undo peer 172.20.0.12", " peer 172.20.0.13 as-number 65001", " address-family ipv4 unicast",
      "  peer 172.20.0.13 enable", " quit", "quit"]),
    ("deleted", {"neighbors": [{"address": "172.20.0.12"}]}, ["bgp 65001", " undo peer 172.20.0.12", "quit"]),
    ("deleted", {"neighbors": [{"address": "172.20.0.99"}]}, []),
    ("deleted", None, ["undo bgp"]),
])
def test_states(state, config, expected):
    assert plan_lines(ONE, config, state) == expected


def test_replaced_resets_unlisted_fields():
    lines = plan_lines(FULL, {"asn": 65001, "router_id": "172.20.0.1",
                              "neighbors": [{"address": "10.9.9.9", "remote_as": 65000}]}, "replaced")
    for expected in (" undo peer 10.9.9.9 description", " undo peer 10.9.9.9 connect-interface",
                     " undo peer 10.9.9.9 ebgp-max-hop", " undo peer 10.9.9.9 timer", " undo peer 10.9.9.9 bfd",
                     "  undo peer 10.9.9.9 route-policy K8S-IN import"):
        assert expected in lines
    # the password cannot be read back: it is left alone under password_update=on_create
    assert not any("password" in line for line in lines)


def test_listen_range_changes():
    lines = plan_lines(FULL, {"listen_ranges": [{"prefix": "172.20.0.0/24", "remote_as": 64512,
                                                 "peer_group": "calico"}]}, "merged")
    assert lines == ["bgp 65001", " undo peer 172.20.0.0 24", " undo group calico", " group calico external",
                     " peer calico as-number 64512", " peer 172.20.0.0 24 group calico",
                     " address-family ipv4 unicast", "  peer calico enable", " quit", "quit"]


@pytest.mark.parametrize("config,field", [
    ({"asn": 65001, "neighbors": [{"address": "10.0.0.1", "remote_as": 1, "update_source": "10.0.0.2"}]},
     "config.neighbors[0].update_source"),
    ({"asn": 65001, "neighbors": [{"address": "10.0.0.1", "remote_as": 1, "address_families": ["evpn"]}]},
     "config.neighbors[0].address_families"),
    ({"asn": 65001, "listen_ranges": [{"prefix": "fd00::/64", "remote_as": 1}]}, "config.listen_ranges[0].prefix"),
    ({"asn": 65009}, "config.asn"),
])
def test_unsupported_input_fails_before_any_write(config, field):
    conn = fake([ONE], read_only=True)
    with pytest.raises(FabricError) as err:
        resource.run(driver_with(conn), "merged", config=config, host="leaf1")
    assert err.value.field == field
    assert conn.sent == []


@pytest.mark.parametrize("value,field", [("4294967296", "config.asn"), ("x.1", "config.asn")])
def test_invalid_as_fails_before_connecting(value, field):
    driver = comware.ComwareDriver(PARAMS, connect=lambda *a: pytest.fail("connected despite bad input"))
    with pytest.raises(FabricError) as err:
        resource.run(driver, "merged", config={"asn": value})
    assert err.value.field == field


def test_invalid_ip_fails_before_connecting():
    driver = comware.ComwareDriver(PARAMS, connect=lambda *a: pytest.fail("connected despite bad input"))
    with pytest.raises(FabricError) as err:
        config = {"asn": 65001, "neighbors": [{"address": "172.20.0.300", "remote_as": 1}]}
        resource.run(driver, "merged", config=config)
    assert err.value.field == "config.neighbors[0].address"


CONFIG = {"asn": 65001, "neighbors": [{"address": "10.5.5.5", "remote_as": 65010, "description": "spine-5",
                                       "import_policy": "BAD", "password": "pw-not-in-results"}]}


def test_check_mode_sends_nothing_that_changes_config():
    conn = fake([ONE], read_only=True)
    result = resource.run(driver_with(conn), "merged", config=CONFIG, check_mode=True)
    assert result["changed"] is True
    assert " peer 10.5.5.5 as-number 65010" in result["commands"]
    assert [e[0] for e in conn.events] == ["show"]
    assert "pw-not-in-results" not in repr(result)
    assert model.find(result["after"]["neighbors"], "address", "10.5.5.5")["description"] == "spine-5"


def test_merged_applies_line_by_line_and_saves():
    conn = fake([ONE])
    driver = driver_with(conn)
    result = resource.run(driver, "merged", config=CONFIG)
    assert result["changed"] is True
    assert conn.sent[:3] == ["bgp 65001", " peer 10.5.5.5 as-number 65010",
                             " peer 10.5.5.5 description kubefabric:default/%s spine-5"
                             % owner.fingerprint("pw-not-in-results", "default", "10.5.5.5")]
    # the operator's own neighbor 172.20.0.12 is not touched, and the read-back is the result
    assert not [line for line in conn.sent if "172.20.0.12" in line]
    assert [n["address"] for n in result["after"]["neighbors"]] == ["10.5.5.5"]
    assert " peer 10.5.5.5 password simple pw-not-in-results" in conn.sent
    assert conn.saves == 1 and driver.saved
    assert "pw-not-in-results" not in repr(result)
    assert conn.disconnected


def test_save_can_be_turned_off():
    conn = fake([ONE])
    resource.run(driver_with(conn, save=False), "merged", config=CONFIG)
    assert conn.saves == 0 and conn.sent


def test_second_run_is_idempotent():
    conn = fake([OWNED], read_only=True)
    result = resource.run(driver_with(conn), "merged",
                          config={"asn": 65001, "router_id": "172.20.0.1",
                                  "neighbors": [{"address": "172.20.0.12", "remote_as": 65001}]})
    assert result["changed"] is False and result["commands"] == []


def test_rejected_line_rolls_back_what_was_sent():
    # the device takes the lines up to the route-policy (PARTIAL is its config then) and rejects that one
    conn = fake([ONE, PARTIAL], reject=r"route-policy BAD",
                error_text="% Unrecognized command found at '^' position.")
    with pytest.raises(FabricError) as err:
        resource.run(driver_with(conn), "merged", config=CONFIG)
    message = str(err.value)
    assert "peer 10.5.5.5 route-policy BAD import" in message and "Unrecognized command" in message
    assert "rolled back" in message and "pw-not-in-results" not in message
    failed_at = conn.sent.index("  peer 10.5.5.5 route-policy BAD import")
    assert conn.sent[failed_at + 1:] == ["bgp 65001", " undo peer 10.5.5.5", "quit"]
    assert conn.saves == 0


def test_deleted_without_config_answers_the_confirmation():
    conn = FakeCli("H3C", "[H3C]", {comware.SHOW_CONFIG: [OWNED, EMPTY]},
                   confirm=(r"^undo bgp$", "Undo BGP process? [Y/N]:"))
    result = resource.run(driver_with(conn), "deleted")
    assert result["commands"] == ["undo bgp"] and result["after"] == model.empty_config()
    assert conn.sent == ["undo bgp", "Y"]


def test_deleted_without_config_keeps_a_shared_instance():
    # ONE's neighbor is the operator's: the BGP instance stays, nothing is sent
    conn = fake([ONE], read_only=True)
    result = resource.run(driver_with(conn), "deleted")
    assert result["changed"] is False and conn.sent == []


def test_gathered():
    conn = fake([FULL], read_only=True)
    result = resource.run(driver_with(conn), "gathered")
    assert result["gathered"]["asn"] == 65001
    assert all("password" not in n for n in result["gathered"]["neighbors"])


def test_sessions_from_ntc_template():
    rows = comware.parse_peers((FIX / "display_bgp_peer_ipv4.txt").read_text())
    assert rows[0] == {"peer_address": "10.9.9.9", "remote_as": 65000, "local_as": 65001, "state": "Established",
                       "established": True, "uptime": 286 * 3600 + 47 * 60, "prefixes_received": 4}
    assert rows[1]["state"] == "Active" and rows[1]["uptime"] is None and not rows[1]["established"]


def test_sessions_with_dynamic_peer_use_the_collection_template():
    rows = comware.parse_peers((FIX / "display_bgp_peer_ipv4_dynamic.txt").read_text())
    assert [(r["peer_address"], r["state"], r["uptime"]) for r in rows] == [
        ("172.20.0.11", "Established", 185), ("172.20.0.12", "Connect", None)]


def test_read_sessions_uses_display_bgp_peer(monkeypatch):
    conn = FakeCli("H3C", "<H3C>", {comware.SHOW_PEERS: [(FIX / "display_bgp_peer_ipv4.txt").read_text()]},
                   read_only=True)
    monkeypatch.setattr(comware._ssh, "connect", lambda params, device_type: conn)  # pylint: disable=protected-access
    rows = comware.read_sessions(PARAMS)
    assert len(rows) == 3 and conn.disconnected


ROUTES = (FIX / "display_ip_routing-table.txt").read_text()


def test_routes_from_the_ntc_template_keep_bgp_only():
    rows = comware.parse_routes(ROUTES)
    assert rows == [
        {"prefix": "10.233.64.0/26", "next_hop": "172.20.0.11", "protocol": "bgp", "active": True},
        {"prefix": "10.233.64.64/26", "next_hop": "172.20.0.12", "protocol": "bgp", "active": True},
        # an ECMP route: the continuation line is a second next hop of the same destination
        {"prefix": "10.233.70.0/26", "next_hop": "172.20.0.13", "protocol": "bgp", "active": True},
        {"prefix": "10.233.70.0/26", "next_hop": "172.21.0.13", "protocol": "bgp", "active": True},
        {"prefix": "192.168.100.0/24", "next_hop": "10.255.0.2", "protocol": "bgp", "active": True},
    ]
    # Direct, Static, O_INTRA and O_ASE2 routes of the table are not BGP routes
    assert not {"0.0.0.0/0", "10.255.0.2/32", "172.20.0.0/24", "192.168.200.0/24"} & {r["prefix"] for r in rows}


def test_routes_of_an_empty_bgp_table_and_a_refused_command():
    head = ROUTES.split("0.0.0.0/0")[0]
    assert comware.parse_routes(head) == []
    with pytest.raises(FabricError) as err:
        comware.parse_routes("           ^\n % Unrecognized command found at '^' position.\n", host="leaf1")
    assert err.value.host == "leaf1" and err.value.field == "routes"


def test_read_state_reads_peers_and_routes_on_one_connection(monkeypatch):
    shows = {comware.SHOW_PEERS: [(FIX / "display_bgp_peer_ipv4.txt").read_text()], comware.SHOW_ROUTES: [ROUTES]}
    conn = FakeCli("H3C", "<H3C>", shows, read_only=True)
    opened = []
    monkeypatch.setattr(comware._ssh, "connect",  # pylint: disable=protected-access
                        lambda params, device_type: opened.append(device_type) or conn)
    state = comware.read_state(PARAMS, routes=True)
    assert opened == ["hp_comware"] and conn.disconnected
    assert conn.events == [("show", comware.SHOW_PEERS), ("show", comware.SHOW_ROUTES)]
    assert len(state["sessions"]) == 3 and len(state["routes"]) == 5
    # without routes the routing table is not read
    conn.events.clear()
    assert comware.read_state(PARAMS)["routes"] is None
    assert conn.events == [("show", comware.SHOW_PEERS)] and opened == ["hp_comware"] * 2


def test_read_state_through_sessions_sorts_routes_by_prefix(monkeypatch):
    shows = {comware.SHOW_PEERS: [(FIX / "display_bgp_peer_ipv4.txt").read_text()], comware.SHOW_ROUTES: [ROUTES]}
    conn = FakeCli("H3C", "<H3C>", shows, read_only=True)
    monkeypatch.setattr(comware._ssh, "connect", lambda params, device_type: conn)  # pylint: disable=protected-access
    state = sessions.read_state("comware", PARAMS, routes=True)
    assert [r["peer_address"] for r in state["sessions"]] == ["10.9.9.9", "172.20.0.12", "172.20.0.13"]
    assert [(r["prefix"], r["next_hop"]) for r in state["routes"]] == [
        ("10.233.64.0/26", "172.20.0.11"), ("10.233.64.64/26", "172.20.0.12"), ("10.233.70.0/26", "172.20.0.13"),
        ("10.233.70.0/26", "172.21.0.13"), ("192.168.100.0/24", "10.255.0.2")]


def test_check_mode_fake_refuses_writes():
    conn = fake([ONE], read_only=True)
    with pytest.raises(WriteInCheckMode):
        conn.config_mode()


def _run_with_password(password_update):
    text = FULL.replace("peer 10.9.9.9 description spine-1", "peer 10.9.9.9 description kubefabric:default/%s spine-1"
                        % owner.fingerprint("pw-not-in-results", "default", "10.9.9.9"))
    conn = fake([text], read_only=password_update == "on_create")
    config = {"neighbors": [{"address": "10.9.9.9", "remote_as": 65000, "password": "pw-not-in-results"}]}
    return resource.run(driver_with(conn), "merged", config=config, password_update=password_update,
                        check_mode=password_update == "on_create"), conn


def test_password_on_create_is_idempotent_against_the_cipher():
    result, conn = _run_with_password("on_create")
    assert result["changed"] is False and conn.sent == []


def test_password_always_is_sent_again():
    result, conn = _run_with_password("always")
    assert result["commands"] == ["bgp 65001", " peer 10.9.9.9 password simple ********", "quit"]
    assert " peer 10.9.9.9 password simple pw-not-in-results" in conn.sent


def test_route_reflector_client_must_be_ibgp():
    conn = fake([ONE], read_only=True)
    with pytest.raises(FabricError) as err:
        resource.run(driver_with(conn), "merged", config={"neighbors": [
            {"address": "10.1.1.1", "remote_as": 65000, "route_reflector_client": True}]})
    assert "route_reflector_client" in err.value.field and conn.sent == []


def test_a_refusal_without_percent_is_an_error_too():
    conn = FakeCli("H3C", "[H3C-bgp-default]", {comware.SHOW_CONFIG: [ONE]}, reject=r"peer 10.5.5.5 description",
                   error_text="The peer 10.5.5.5 does not exist.")
    marker = "kubefabric:default spine-5"
    with pytest.raises(FabricError) as err:
        resource.run(driver_with(conn), "merged", config={"neighbors": [
            {"address": "10.5.5.5", "remote_as": 65010, "description": "spine-5"}]})
    assert "does not exist" in str(err.value) and "line 3" in str(err.value)
    # the device still shows the config of before the run: nothing to roll back, nothing sent after the refusal
    assert conn.sent[-1] == " peer 10.5.5.5 description %s" % marker


BGP_LOG = ("%Dec  4 03:12:07:418 2026 H3C BGP/5/BGP_STATE_CHANGED: BGP default.: 10.5.5.5 state has changed "
           "from OPENCONFIRM to ESTABLISHED.")


def test_an_async_log_message_is_not_an_answer_to_the_line():
    conn = fake([ONE], log=(r"peer 10.5.5.5 as-number", BGP_LOG))
    result = resource.run(driver_with(conn), "merged", config=CONFIG)
    assert result["changed"] is True and conn.saves == 1
    # the same lines as on a terminal without logs, and nothing rolled back
    quiet = fake([ONE])
    resource.run(driver_with(quiet), "merged", config=CONFIG)
    assert conn.sent == quiet.sent and not [line for line in conn.sent if "undo" in line]


def test_a_log_message_does_not_hide_a_refusal():
    conn = fake([ONE, PARTIAL], reject=r"route-policy BAD", error_text="The route policy does not exist.",
                log=(r"route-policy BAD", BGP_LOG))
    with pytest.raises(FabricError) as err:
        resource.run(driver_with(conn), "merged", config=CONFIG)
    assert "The route policy does not exist." in str(err.value) and "BGP_STATE_CHANGED" not in str(err.value)
    assert conn.saves == 0


@pytest.mark.parametrize("line, is_log", [
    (BGP_LOG, True),
    ("%Jun 26 17:08:35:809 2008 Sysname SHELL/4/LOGIN: VTY login from 1.1.1.1.", True),
    ("%0.109391473 Sysname FTPD/5/FTPD_LOGIN: User ftp (192.168.1.23) has logged in successfully.", True),
    ("% Sysname IFNET/3/LINK_UPDOWN: Ethernet0/6 link status is DOWN.", True),
    ("% Unrecognized command found at '^' position.", False),
    ("% Wrong parameter found at '^' position.", False),
    ("The peer 10.9.9.9 does not exist.", False),
])
def test_log_pattern(line, is_log):
    assert bool(comware.LOG_RE.match(line)) is is_log
