"""The lab calico-node's CalicoNodeStatus reporting: its own status writes never wake it, BIRD is asked
once per node and tick, and a status is written only when it differs from the one last written; and
BIRD's control protocol read as birdc prints it."""
import time
from pathlib import Path

from lab.calico_node import CalicoNodeEmulator, NodeRuntime


class FakeBird:
    """A BIRD that answers from a table; counts the questions."""

    def __init__(self, ctl):
        self.ctl = ctl
        self.state = "Established"
        self.asked = {"protocols": 0, "routes": 0}

    def protocols(self):
        self.asked["protocols"] += 1
        return {"Mesh_10_0_0_2": {"proto": "BGP", "state": "up", "since": "10:00:00", "info": self.state}}

    def routes(self):
        self.asked["routes"] += 1
        return [{"destination": "192.168.1.0/26", "protocol": "static1", "primary": True, "gateway": "",
                 "interface": ""}]


class FakeAPI:
    def __init__(self):
        self.calls = []

    def request(self, method, path, body=None, query=None, stream=False):
        self.calls.append((method, path, body))
        return {}


def emulator(tmp_path):
    ctl = Path(tmp_path) / "bird.ctl"
    ctl.write_text("")
    api = FakeAPI()
    runtime = NodeRuntime("n1", FakeBird(ctl), ["192.168.1.0/26"])
    emu = CalicoNodeEmulator(api, [runtime], log=lambda msg: None)
    emu.bird_control = lambda runtime: runtime.bird
    return emu, api, runtime.bird


def status_object(name, classes, period=1, status=None):
    obj = {"metadata": {"name": name}, "spec": {"node": "n1", "classes": classes, "updatePeriodSeconds": period}}
    if status is not None:
        obj["status"] = status
    return obj


def patches(api):
    return [call for call in api.calls if call[0] == "PATCH"]


def test_own_status_writes_do_not_make_objects_due_nor_wake_the_reconciler(tmp_path):
    emu, api, bird = emulator(tmp_path)
    emu._status_event("ADDED", status_object("a", ["Agent", "BGP", "Routes"]))
    emu._status_event("ADDED", status_object("b", ["Agent", "BGP"]))
    now = time.time()
    due = emu.due_statuses(now)
    assert sorted(name for name, _spec in due["n1"]) == ["a", "b"]
    emu.report_status(due)
    # BIRD asked once for the node, routes once (one object wants them), two objects written
    assert bird.asked == {"protocols": 1, "routes": 1}
    written = {call[1].rsplit("/", 2)[-2]: call[2]["status"] for call in patches(api)}
    assert set(written) == {"a", "b"} and "routes" in written["a"] and "routes" not in written["b"]
    assert all(call[1].endswith("/status") for call in patches(api))
    # the watch brings our own writes back: same spec, so nothing becomes due and no reconcile is asked for
    for name in ("a", "b"):
        emu._status_event("MODIFIED", status_object(name, ["Agent", "BGP", "Routes"] if name == "a"
                                                    else ["Agent", "BGP"], status=written[name]))
    assert emu.due_statuses(now + 0.5) == {}
    assert not emu.changed.is_set()


def test_a_period_without_change_writes_nothing_a_change_is_written(tmp_path):
    emu, api, bird = emulator(tmp_path)
    emu._status_event("ADDED", status_object("a", ["Agent", "BGP"], period=1))
    now = time.time()
    emu.report_status(emu.due_statuses(now))
    assert len(patches(api)) == 1
    emu.report_status(emu.due_statuses(now + 1.0))  # due again after its period, BIRD unchanged
    assert bird.asked["protocols"] == 2 and len(patches(api)) == 1
    bird.state = "Active"
    emu.report_status(emu.due_statuses(now + 2.0))
    assert len(patches(api)) == 2
    assert patches(api)[-1][2]["status"]["bgp"]["numberNotEstablishedV4"] == 1


def test_a_changed_spec_is_due_at_once_and_a_deleted_object_is_forgotten(tmp_path):
    emu, api, _bird = emulator(tmp_path)
    emu._status_event("ADDED", status_object("a", ["Agent", "BGP"], period=60))
    now = time.time()
    emu.report_status(emu.due_statuses(now))
    assert emu.due_statuses(now + 1) == {}
    emu._status_event("MODIFIED", status_object("a", ["Agent", "BGP", "Routes"], period=60))
    due = emu.due_statuses(now + 1)
    assert [name for name, _spec in due["n1"]] == ["a"]
    emu._status_event("DELETED", status_object("a", ["Agent", "BGP", "Routes"], period=60))
    assert emu.due_statuses(now + 100) == {} and "a" not in emu.status_objects


def test_period_zero_reports_once(tmp_path):
    emu, api, _bird = emulator(tmp_path)
    emu._status_event("ADDED", status_object("a", ["Agent", "BGP"], period=0))
    now = time.time()
    emu.report_status(emu.due_statuses(now))
    assert emu.due_statuses(now + 3600) == {} and len(patches(api)) == 1


def test_bird_control_reads_replies_as_birdc_prints_them(tmp_path):
    import socket
    import threading

    from lab.calico_node import BirdControl
    path = str(tmp_path / "bird.ctl")
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(path)
    server.listen(1)

    def answer():
        conn = server.accept()[0]
        with conn:
            conn.sendall(b"0001 BIRD 1.6.8 ready.\n")
            assert conn.makefile("rb").readline() == b"show protocols\n"
            conn.sendall(b"2002-name     proto    table    state  since       info\n"
                         b"1002-static1  Static   master   up     10:00:00    \n"
                         b" Mesh_10_0_0_2 BGP      master   up     10:00:01    Established   \n"
                         b"0000 \n")

    thread = threading.Thread(target=answer)
    thread.start()
    rows = BirdControl(path, "n1").protocols()
    thread.join()
    server.close()
    assert rows == {"static1": {"proto": "Static", "table": "master", "state": "up", "since": "10:00:00", "info": ""},
                    "Mesh_10_0_0_2": {"proto": "BGP", "table": "master", "state": "up", "since": "10:00:01",
                                      "info": "Established"}}
