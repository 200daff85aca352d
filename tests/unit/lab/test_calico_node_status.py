"""The lab calico-node's CalicoNodeStatus reporting: its own status writes never wake it, BIRD is asked
once per node and tick, and a status is written only when it differs from the one last written; and
BIRD's control protocol read as birdc prints it."""
import threading
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

    def request(self, method, path, body=None, query=None, stream=False, answer=True, timeout=30):
        self.calls.append((method, path, body))
        return {} if answer else None


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


class StampedBird(FakeBird):
    """A fake BIRD with a route stamp, as BirdControl reads it from ``show protocols all``."""

    def __init__(self, ctl):
        super().__init__(ctl)
        self.stamp = "1 imported"
        self.prefix = "192.168.1.0/26"

    def route_stamp(self):
        return self.stamp

    def routes(self):
        self.asked["routes"] += 1
        return [{"destination": self.prefix, "protocol": "static1", "primary": True, "gateway": "",
                 "interface": ""}]


def many(tmp_path, count, bird=FakeBird, **kwargs):
    ctl = Path(tmp_path) / "bird.ctl"
    ctl.write_text("")
    api = FakeAPI()
    runtimes = [NodeRuntime("n%d" % i, bird(ctl), ["192.168.%d.0/26" % i]) for i in range(count)]
    emu = CalicoNodeEmulator(api, runtimes, log=lambda msg: None, **kwargs)
    emu.bird_control = lambda runtime: runtime.bird
    return emu, api


def node_object(name, node, classes=("Agent", "BGP"), period=1):
    return {"metadata": {"name": name}, "spec": {"node": node, "classes": list(classes),
                                                 "updatePeriodSeconds": period}}


def test_new_objects_come_first_and_a_node_being_read_is_left_for_later(tmp_path):
    emu, _api = many(tmp_path, 4)
    for i in range(3):
        emu._status_event("ADDED", node_object("old%d" % i, "n%d" % i))
    now = time.time()
    emu.report_status(emu.due_statuses(now))                 # filled once, due again after 1 s
    emu._status_event("ADDED", node_object("new", "n3"))      # a client just created this one
    # one free worker, three old objects long overdue: the new object goes first
    assert list(emu.due_statuses(now + 5, limit=1)) == ["n3"]
    # n0 is being read by a worker: its object stays due, the others are taken
    assert sorted(emu.due_statuses(now + 5, busy={"n0"})) == ["n1", "n2"]
    assert [name for name, _spec in emu.due_statuses(now + 5)["n0"]] == ["old0"]


def test_routes_are_read_again_only_when_bird_says_they_moved(tmp_path):
    emu, api = many(tmp_path, 1, bird=StampedBird)
    bird = emu.nodes["n0"].bird
    emu._status_event("ADDED", node_object("routes", "n0", ("Agent", "BGP", "Routes")))
    emu._status_event("ADDED", node_object("plain", "n0"))
    now = time.time()
    emu.report_status(emu.due_statuses(now))
    assert bird.asked["routes"] == 1 and len(patches(api)) == 2
    for tick in range(1, 4):                                  # periods without change: no show route, no write
        emu.report_status(emu.due_statuses(now + tick))
    assert bird.asked == {"protocols": 4, "routes": 1} and len(patches(api)) == 2
    bird.stamp, bird.prefix = "2 imported", "192.168.9.0/26"  # a route came: read once, written once
    emu.report_status(emu.due_statuses(now + 10))
    assert bird.asked["routes"] == 2
    written = list(patches(api)[2:])
    assert [call[1].rsplit("/", 2)[-2] for call in written] == ["routes"]   # the object without Routes: nothing
    assert written[0][2]["status"]["routes"]["routesV4"][0]["destination"] == "192.168.9.0/26"


def test_the_status_reporter_fills_every_new_object_on_its_own(tmp_path):
    """The reporter runs beside the reconciler (which never runs here): every object created is filled
    once, by one read of its node, and its fill is counted."""
    emu, api = many(tmp_path, 40, status_workers=4)
    reporter = threading.Thread(target=emu.status_loop, daemon=True)
    reporter.start()
    try:
        for i in range(40):
            emu._status_event("ADDED", node_object("s%d" % i, "n%d" % i, period=600))
        deadline = time.time() + 60                           # a bound for a stuck reporter, not a measurement
        while emu.counters()["status_to_fill"] and time.time() < deadline:
            time.sleep(0.05)
    finally:
        emu.stop()
        reporter.join(10)
    counters = emu.counters()
    assert counters["status_to_fill"] == 0 and counters["fill_latency_s"]["count"] == 40
    assert sorted(call[1].rsplit("/", 2)[-2] for call in patches(api)) == sorted("s%d" % i for i in range(40))
    assert counters["status_checks"] == 40 and counters["reconciles"] == 0
    assert not reporter.is_alive()


def test_route_stamp_leaves_out_ticking_timers(tmp_path):
    import socket

    from lab.calico_node import BirdControl
    path = str(tmp_path / "bird.ctl")
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(path)
    server.listen(3)

    def reply(hold, imported):
        return (b"2002-name     proto    table    state  since       info\n"
                b"1002-Mesh_10_0_0_2 BGP      master   up     10:00:01    Established   \n"
                b"1006-  Preference:     100\n"
                b"   Routes:         %d imported, 1 exported, 1 preferred\n"
                b"   Route change stats:     received   rejected   filtered    ignored   accepted\n"
                b"     Import updates:              %d          0          0          0          %d\n"
                b"   BGP state:          Established\n"
                b"     Hold timer:       %d/240\n"
                b"0000 \n") % (imported, imported, imported, hold)

    replies = [reply(200, 1), reply(150, 1), reply(149, 2), reply(148, 2)]

    def answer():
        for data in replies:
            conn = server.accept()[0]
            with conn:
                conn.sendall(b"0001 BIRD 1.6.8 ready.\n")
                assert conn.makefile("rb").readline() == b"show protocols all\n"
                conn.sendall(data)

    thread = threading.Thread(target=answer)
    thread.start()
    bird = BirdControl(path, "n1")
    stamps = [bird.route_stamp() for _reply in replies[:3]]
    rows, stamp = bird.protocols_and_stamp()                # the protocol lines of the same answer
    thread.join()
    server.close()
    assert stamps[0] == stamps[1] != stamps[2] == stamp
    assert rows == {"Mesh_10_0_0_2": {"proto": "BGP", "table": "master", "state": "up", "since": "10:00:01",
                                      "info": "Established"}}
    assert "Hold timer" not in stamps[0] and "Import updates" in stamps[0]


class WatchAPI:
    """An API server for one kind: LIST answers, watch streams given event lines; records the requests."""

    class Stream:
        def __init__(self, lines):
            self.lines = lines

        def stream(self, _size, decode_content=True):
            for line in self.lines:
                yield line.encode() + b"\n"

        def release_conn(self):
            pass

    def __init__(self, watches, emu_box):
        self.watches = list(watches)
        self.requests = []
        self.emu_box = emu_box

    def request(self, method, path, body=None, query=None, stream=False, answer=True, timeout=30):
        self.requests.append((method, (query or {}).get("watch"), (query or {}).get("resourceVersion")))
        if not stream:
            return {"metadata": {"resourceVersion": "100"}, "items": []}
        if not self.watches:
            self.emu_box[0].stop()
            return self.Stream([])
        return self.Stream(self.watches.pop(0))


def test_a_watch_goes_on_from_its_last_version_and_lists_again_only_when_it_expired():
    import json
    box = []

    def event(etype, name, rv):
        return json.dumps({"type": etype, "object": {"metadata": {"name": name, "resourceVersion": rv},
                                                     "spec": {"node": "n1"}}})
    expired = json.dumps({"type": "ERROR", "object": {"kind": "Status", "code": 410, "message": "too old"}})
    api = WatchAPI([[event("ADDED", "a", "101"), event("MODIFIED", "a", "105")],   # ends after 30 s
                    [],                                                              # nothing happened
                    [event("DELETED", "a", "107"), expired]], box)
    emu = CalicoNodeEmulator(api, [], log=lambda msg: None)
    box.append(emu)
    emu._watch_statuses()
    assert api.requests == [("GET", None, None), ("GET", "1", "100"), ("GET", "1", "105"), ("GET", "1", "105"),
                            ("GET", None, None), ("GET", "1", "100")]
    assert emu.status_objects == {}


def test_configure_over_the_control_socket_checks_first_and_refuses_a_bad_file(tmp_path):
    import pytest

    from lab.bird import BirdInstance
    from lab.netns import LabError
    sent = []

    def control(answers):
        def birdc(command):
            sent.append(command)
            return answers[command]
        return birdc

    bird = BirdInstance(None, tmp_path, "n1")
    ok = control({"configure check": "Reading configuration from bird.cfg\nConfiguration OK\n",
                  "configure": "Reading configuration from bird.cfg\nReconfigured\n"})
    bird.configure({"bird.cfg": "router id 10.0.0.1;\n"}, birdc=ok)
    assert sent == ["configure check", "configure"]
    assert (tmp_path / "bird.cfg").read_text() == "router id 10.0.0.1;\n"
    sent.clear()
    bad = control({"configure check": "Reading configuration from bird.cfg\nbird.cfg:1:1 syntax error\n"})
    with pytest.raises(LabError):
        bird.configure({"bird.cfg": "nonsense\n"}, birdc=bad)
    assert sent == ["configure check"]                          # never applied
