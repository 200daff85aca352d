"""The emulator's command line, without SSH: views, prompts, accepted forms, and Comware's error
lines (caret under the offending token) for what a Comware V7 device rejects.

Facts: shared/reference/ECOSYSTEM.md §4 (views, prompts, error wording, save force output).
"""
import pytest

from lab.comware.cli import Device, Session
from lab.comware.model import decrypt_password


@pytest.fixture
def session(tmp_path):
    return Session(Device("leaf1", tmp_path))


def run(session, *lines):
    """Feed lines; return the output lines of the last one."""
    out = []
    for line in lines:
        out = session.feed(line)[0]
    return out


def enter_bgp(session, asn=65001):
    run(session, "system-view", "bgp %d" % asn)
    assert session.prompt() == "[leaf1-bgp-default]"


def test_prompts_and_views(session):
    assert session.prompt() == "<leaf1>"
    assert run(session, "system-view") == ["System View: return to User View with Ctrl+Z."]
    assert session.prompt() == "[leaf1]"
    run(session, "bgp 65001")
    assert session.prompt() == "[leaf1-bgp-default]"
    run(session, "address-family ipv4 unicast")
    assert session.prompt() == "[leaf1-bgp-default-ipv4]"
    run(session, "quit")
    assert session.prompt() == "[leaf1-bgp-default]"
    run(session, "address-family ipv4")
    run(session, "return")
    assert session.prompt() == "<leaf1>"
    run(session, "quit")
    assert session.closed


def test_unique_prefixes_are_accepted(session):
    run(session, "sys")
    assert session.prompt() == "[leaf1]"
    run(session, "bgp 65001", "pe 10.0.0.2 as 65002", "addr ipv4 uni", "pe 10.0.0.2 en", "ret")
    text = "\n".join(run(session, "dis cur conf bgp"))
    assert " peer 10.0.0.2 as-number 65002" in text
    assert "  peer 10.0.0.2 enable" in text


PROMPT = "[leaf1-bgp-default]"


@pytest.mark.parametrize("line, kind, token", [
    ("peer 10.0.0.2 as-numbr 65002", "Unrecognized command", "as-numbr"),
    ("frobnicate", "Unrecognized command", "frobnicate"),
    ("peer 10.0.0.2 as-number abc", "Wrong parameter", "abc"),
    ("peer 10.0.0.2 as-number 4294967296", "Wrong parameter", "4294967296"),
    ("peer 10.0.0.2 as-number 65000.1", "Wrong parameter", "65000.1"),
    ("peer 10.0.0.300 as-number 65002", "Wrong parameter", "10.0.0.300"),
    ("peer 10.0.0.0 33 as-number 65002", "Wrong parameter", "33"),
    ("router-id 1.2.3", "Wrong parameter", "1.2.3"),
    ("peer 10.0.0.2 timer keepalive 10 hold 2", "Wrong parameter", "2"),
    ("peer 10.0.0.2 as-number 65002 7", "Too many parameters", "7"),
    ("peer 10.0.0.2 enable", "Unrecognized command", "enable"),  # IPv4 family command in BGP view
    ("peer 10.0.0.2 password plain secret", "Unrecognized command", "plain"),
    ("group rr interior", "Unrecognized command", "interior"),
])
def test_rejected_lines_get_comware_errors_under_the_token(session, line, kind, token):
    enter_bgp(session)
    before = run(session, "display current-configuration configuration bgp")
    writes = session.device.config_writes
    out = run(session, line)
    assert out[1] == " %% %s found at '^' position." % kind
    column = out[0].index("^")
    assert (PROMPT + line)[column:].startswith(token)
    assert run(session, "display current-configuration configuration bgp") == before
    assert session.device.config_writes == writes


@pytest.mark.parametrize("line", [
    "peer 10.0.0.2 as-number",
    "peer 10.0.0.2",
    "peer",
    "group",
    "peer 10.0.0.2 timer keepalive 10",
    "undo peer rr",
    "peer 10.0.0.2 connect-interface LoopBack",
])
def test_incomplete_lines(session, line):
    enter_bgp(session)
    out = run(session, line)
    assert out[1] == " % Incomplete command found at '^' position."
    assert out[0].index("^") > len(PROMPT + line) - 1


def test_ambiguous_prefix(session):
    run(session, "system-view", "bgp 65001", "peer 10.0.0.2 as-number 65002")
    assert run(session, "peer 10.0.0.2 e 5") == []  # the only BGP-view keyword starting with "e"
    assert " peer 10.0.0.2 ebgp-max-hop 5" in run(session, "display this")
    run(session, "address-family ipv4")
    out = run(session, "peer 10.0.0.2 r")  # reflect-client / route-policy
    assert out[1] == " % Ambiguous command found at '^' position."
    assert out[0].index("^") == len("[leaf1-bgp-default-ipv4]peer 10.0.0.2 ")


def test_display_and_save_work_in_every_view(session, tmp_path):
    for setup in ([], ["system-view"], ["system-view", "bgp 65001"],
                  ["system-view", "bgp 65001", "address-family ipv4"]):
        s = Session(session.device)
        run(s, *setup)
        assert run(s, "display current-configuration")[-1] == "return"
        assert run(s, "save force") == ["Validating file. Please wait...",
                                        "Saved the current configuration to mainboard device successfully."]


def test_screen_length_only_in_user_view(session):
    assert run(session, "screen-length disable") == []
    out = run(session, "system-view", "screen-length disable")
    assert out[1] == " % Unrecognized command found at '^' position."


def test_return_is_not_a_user_view_command(session):
    out = run(session, "return")
    assert out[1] == " % Unrecognized command found at '^' position."


def test_full_bgp_stanza_renders_in_comware_layout(session):
    enter_bgp(session)
    run(session, "router-id 10.0.0.1", "group rr internal", "group up external",
        "peer up as-number 65100", "peer 10.0.0.2 as-number 65002", "peer 10.0.0.3 group rr",
        "peer 10.0.0.4 group up", "peer 10.1.0.0 24 group rr",
        "peer 10.0.0.2 password simple s3cret", "peer rr connect-interface LoopBack 0",
        "peer 10.0.0.2 description to node1 rack 3", "peer 10.0.0.2 timer keepalive 10 hold 30",
        "peer 10.0.0.2 ebgp-max-hop 3", "peer 10.0.0.2 bfd",
        "address-family ipv4 unicast", "peer rr enable", "peer 10.0.0.2 enable", "peer rr reflect-client",
        "peer 10.0.0.2 route-policy IN import", "peer 10.0.0.2 route-policy OUT export", "return")
    lines = run(session, "display current-configuration configuration bgp")
    assert lines[0] == "#" and lines[1] == "bgp 65001" and lines[-2:] == ["#", "return"]
    body = lines[2:-2]
    for expected in [" router-id 10.0.0.1", " group rr internal", " group up external",
                     " peer up as-number 65100", " peer 10.0.0.2 as-number 65002", " peer 10.0.0.3 group rr",
                     " peer 10.0.0.4 group up", " peer 10.1.0.0 24 group rr",
                     " peer rr connect-interface LoopBack0", " peer 10.0.0.2 description to node1 rack 3",
                     " peer 10.0.0.2 timer keepalive 10 hold 30", " peer 10.0.0.2 ebgp-max-hop 3",
                     " peer 10.0.0.2 bfd", " #", " address-family ipv4 unicast", "  peer rr enable",
                     "  peer 10.0.0.2 enable", "  peer rr reflect-client",
                     "  peer 10.0.0.2 route-policy IN import", "  peer 10.0.0.2 route-policy OUT export"]:
        assert expected in body, expected
    # the password is shown in cipher form only, and the cipher decrypts to what was set
    pw = [l for l in body if " password " in l]
    assert len(pw) == 1 and "s3cret" not in pw[0]
    cipher = pw[0].split("password cipher ")[1]
    assert cipher.startswith("$c$3$") and decrypt_password(cipher) == "s3cret"
    # the cipher form is accepted back as is (what a driver re-sends)
    run(session, "system-view", "bgp 65001", "peer 10.0.0.2 password cipher %s" % cipher, "return")
    assert [l for l in run(session, "dis cur conf bgp") if " password " in l] == pw
    # a cipher that is not one is refused
    out = run(session, "system-view", "bgp 65001", "peer 10.0.0.2 password cipher garbage")
    assert out and "%" not in out[0] and "password" in out[0].lower()


def test_every_undo_form_removes_what_it_names(session):
    enter_bgp(session)
    setup = ["router-id 10.0.0.1", "group rr internal", "peer 10.0.0.2 as-number 65002", "peer 10.0.0.3 group rr",
             "peer 10.1.0.0 24 group rr", "peer 10.0.0.2 password simple x", "peer 10.0.0.2 connect-interface LoopBack0",
             "peer 10.0.0.2 description d", "peer 10.0.0.2 timer keepalive 10 hold 30", "peer 10.0.0.2 ebgp-max-hop",
             "peer 10.0.0.2 bfd", "address-family ipv4 unicast", "peer 10.0.0.2 enable", "peer rr reflect-client",
             "peer 10.0.0.2 route-policy A import", "peer 10.0.0.2 route-policy B export", "quit"]
    run(session, *setup)
    assert session.errors == []
    undo = ["address-family ipv4", "undo peer 10.0.0.2 route-policy A import", "undo peer 10.0.0.2 route-policy B export",
            "undo peer rr reflect-client", "undo peer 10.0.0.2 enable", "quit",
            "undo peer 10.0.0.2 bfd", "undo peer 10.0.0.2 ebgp-max-hop", "undo peer 10.0.0.2 timer",
            "undo peer 10.0.0.2 description", "undo peer 10.0.0.2 connect-interface", "undo peer 10.0.0.2 password",
            "undo peer 10.1.0.0 24 group rr", "undo peer 10.0.0.3 group rr", "undo peer 10.0.0.2",
            "undo group rr", "undo router-id", "undo address-family ipv4 unicast"]
    run(session, *undo)
    assert session.errors == []
    assert run(session, "display this") == ["#", "bgp 65001", "#", "return"]
    run(session, "quit", "undo bgp")
    assert session.pending is not None  # Comware asks first
    run(session, "Y")
    assert run(session, "display current-configuration configuration bgp") == ["#", "return"]


def test_semantic_refusals_change_nothing(session):
    enter_bgp(session)
    run(session, "group rr internal")
    before = run(session, "dis cur conf bgp")
    for line in ["peer 10.0.0.5 group nosuch", "peer 10.0.0.5 group rr as-number 65009",
                 "peer nosuch as-number 65009", "peer rr as-number 65009", "undo peer 10.9.9.9",
                 "undo group nosuch"]:
        out = run(session, line)
        assert out and "%" not in out[0], line
    assert run(session, "dis cur conf bgp") == before
    run(session, "quit")
    out = run(session, "bgp 65002")  # one BGP instance, AS 65001
    assert out and session.prompt() == "[leaf1]"


def test_writes_are_counted_and_logged(session):
    run(session, "display current-configuration", "system-view")
    assert session.device.config_writes == 0
    run(session, "bgp 65001", "peer 10.0.0.2 as-number 65002", "quit", "bgp 65001", "peer 10.0.0.2 as-numbr 1")
    assert session.device.config_writes == 2  # bgp (created), peer; re-entering and errors do not count
    log = (session.device.dir / "config.log").read_text().splitlines()
    assert len(log) == 2 and '"peer 10.0.0.2 as-number 65002"' in log[1]


def test_saved_configuration_is_reloaded(session, tmp_path):
    enter_bgp(session)
    run(session, "peer 10.0.0.2 as-number 65002", "address-family ipv4", "peer 10.0.0.2 enable", "return",
        "save force", "system-view", "bgp 65001", "peer 10.0.0.3 as-number 65003")
    rebooted = Device("leaf1", session.device.dir)
    text = "\n".join(rebooted.current_configuration(bgp_only=True))
    assert "peer 10.0.0.2 as-number 65002" in text and "  peer 10.0.0.2 enable" in text
    assert "10.0.0.3" not in text  # not saved


def test_save_asks_before_writing(session):
    out, question = session.feed("save")
    assert question.endswith("[Y/N]:")
    out, question = session.feed("y")
    assert "file name" in question
    out, question = session.feed("")
    assert out == ["Validating file. Please wait...",
                   "Saved the current configuration to mainboard device successfully."]
    assert question == "<leaf1>"


def test_display_output_filters(session):
    enter_bgp(session)
    run(session, "peer 10.0.0.2 as-number 65002", "peer 10.0.0.3 as-number 65003", "return")
    assert run(session, "display current-configuration | include as-number") == [
        " peer 10.0.0.2 as-number 65002", " peer 10.0.0.3 as-number 65003"]
    assert run(session, "display current-configuration | begin ^bgp")[0] == "bgp 65001"
    assert "bgp 65001" not in run(session, "dis cur | exc bgp")
    out = run(session, "system-view", "bgp 65001 | include x")  # filters exist for display only
    assert out[1] == " % Unrecognized command found at '^' position."
    assert out[0].index("^") == len("[leaf1]bgp 65001 ")
