"""Unit tests of devices/sessions.py: the normalised session row."""
import pytest

from ansible_collections.kubefabric.bgp.plugins.module_utils.common.errors import FabricError
from ansible_collections.kubefabric.bgp.plugins.module_utils.devices import sessions


@pytest.mark.parametrize("text, seconds", [
    ("1h2m3s", 3723), ("1w2d", 777600), ("45s", 45), ("3m10s250ms", 190), ("01:02:03", 3723),
    ("2d01:00:00", 176400), ("0286h47m", 1032420), (17, 17), ("", None), (None, None), ("soon", None),
])
def test_parse_duration(text, seconds):
    assert sessions.parse_duration(text) == seconds


@pytest.mark.parametrize("text, state", [
    ("established", "Established"), ("Established", "Established"), ("open-sent", "OpenSent"),
    ("active", "Active"), (None, "Idle"), ("up", "Established"),
])
def test_normalise_state(text, state):
    assert sessions.normalise_state(text) == state


def test_session_row():
    row = sessions.session_row("172.16.30.102/32", "64513", 64513, established=True, uptime="1m", prefixes_received=3)
    assert row == {"peer_address": "172.16.30.102", "remote_as": 64513, "local_as": 64513, "state": "Established",
                   "established": True, "uptime": 60, "prefixes_received": 3}
    down = sessions.session_row("2001:db8:0::1", 1, 2, state="active", uptime="1m")
    assert down["established"] is False and down["uptime"] is None and down["peer_address"] == "2001:db8::1"


def test_read_unknown_and_missing_platform():
    with pytest.raises(FabricError) as err:
        sessions.read("junos", {"hostname": "r1"})
    assert err.value.field == "platform"


def test_sort_rows():
    rows = [sessions.session_row("10.0.0.10"), sessions.session_row("10.0.0.9")]
    assert [r["peer_address"] for r in sessions.sort_rows(rows)] == ["10.0.0.9", "10.0.0.10"]
