# -*- coding: utf-8 -*-
# Copyright: kubefabric.bgp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""fabric_devices' push: every device through the resource-module path at once, failures named, check mode."""

import threading

from ansible_collections.kubefabric.bgp.plugins.module_utils.common.errors import FabricError
from ansible_collections.kubefabric.bgp.plugins.module_utils.fabric import push

CONFIG = {"asn": 65001, "router_id": "10.0.0.1", "neighbors": [{"address": "10.0.0.9", "remote_as": 64512}]}


class Device:
    """What one fake device holds; ``refuse``: every login fails."""

    def __init__(self, refuse=False):
        self.config = {"asn": 65001, "router_id": "10.0.0.1", "neighbors": [], "listen_ranges": []}
        self.refuse = refuse
        self.pushed = []
        self.sessions = 0
        self.open = 0
        self.lock = threading.Lock()


class Driver:
    platform = "frr"
    password_readable = True

    def __init__(self, device, params):
        self.device, self.params = device, params
        self.saved = False
        with device.lock:
            device.sessions += 1
            device.open += 1
            assert device.open == 1, "two sessions to one device at once"

    def gather(self):
        if self.device.refuse:
            raise FabricError("authentication failed", host="198.18.0.9", field="password", fix="check the password")
        return {"asn": self.device.config["asn"], "router_id": "10.0.0.1", "listen_ranges": [],
                "neighbors": [dict(n) for n in self.device.config["neighbors"]]}

    def validate(self, want, state):
        pass

    def render(self, plan):
        return ["neighbor %s" % n["address"] for n in plan.after["neighbors"]] if plan.after != plan.have else []

    def show(self, commands):
        return list(commands)

    def apply(self, commands):
        self.device.pushed.append(list(commands))
        self.device.config["neighbors"] = [dict(n) for n in self._after]
        if self.params.get("save", True):
            self.saved = True

    def result_extras(self, state):
        return {"saved": self.saved}

    def close(self):
        with self.device.lock:
            self.device.open -= 1


def run_push(devices, rows, check_mode=False):
    # the fake applies what the engine planned: capture plan.after through render
    def make(platform, params):
        driver = Driver(devices[params["hostname"]], params)
        render = driver.render

        def capture(plan):
            driver._after = plan.after["neighbors"]  # pylint: disable=protected-access
            return render(plan)
        driver.render = capture
        return driver
    return push.push(rows, check_mode=check_mode, driver_factory=make)


def test_every_device_is_configured_and_a_failure_names_its_device_only():
    devices = {"leaf1": Device(), "leaf2": Device(), "locked-out": Device(refuse=True)}
    rows = [(host, "frr", {"hostname": host}, CONFIG, "overridden", "default", {"save": False}) for host in devices]
    result = run_push(devices, rows)
    by_host = {row["host"]: row for row in result}
    assert by_host["leaf1"]["changed"] and by_host["leaf2"]["changed"]
    assert by_host["leaf1"]["saved"] is False and devices["leaf1"].pushed
    assert [n["address"] for n in devices["leaf2"].config["neighbors"]] == ["10.0.0.9"]
    assert by_host["locked-out"]["failed"] and by_host["locked-out"]["error"]["field"] == "password"
    message = push.failure_message(result)
    assert message.startswith("1 of 3 device configuration(s) failed") and "locked-out" in message
    again = run_push(devices, rows[:2])
    assert not any(row["changed"] for row in again) and len(devices["leaf1"].pushed) == 1


def test_check_mode_sends_nothing_and_scopes_of_a_device_never_overlap():
    devices = {"leaf1": Device()}
    rows = [("leaf1", "frr", {"hostname": "leaf1"}, CONFIG, "overridden", owner, None) for owner in ("dc1", "dc1.g")]
    result = run_push(devices, rows, check_mode=True)
    assert [row["owner"] for row in result] == ["dc1", "dc1.g"] and all(row["changed"] for row in result)
    assert all(isinstance(row["seconds"], float) and row["seconds"] >= 0 for row in result)  # per device and scope
    assert devices["leaf1"].pushed == [] and devices["leaf1"].sessions == 2


def test_unknown_platform_is_named():
    [row] = push.push([("sw", "junos", {"hostname": "sw"}, CONFIG, "overridden", None, None)])
    assert row["failed"] and row["error"]["field"] == "platform" and row["error"]["host"] == "sw"
