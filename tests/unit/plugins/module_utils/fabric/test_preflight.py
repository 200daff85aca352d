# -*- coding: utf-8 -*-
# Copyright: kubefabric.bgp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pre-flight logic: Calico dry runs, access reviews and device reads, every failure named, nothing written."""

import pytest

from ansible_collections.kubefabric.bgp.plugins.module_utils.calico import k8s
from ansible_collections.kubefabric.bgp.plugins.module_utils.common.errors import FabricError
from ansible_collections.kubefabric.bgp.plugins.module_utils.fabric import preflight
from tests.unit.plugins.module_utils.calico.fake_kube import FakeKube, client


class ReviewingKube(FakeKube):
    """The fake API plus SelfSubjectAccessReview: ``denied`` is a set of (verb, resource) pairs."""

    def __init__(self, denied=(), **kwargs):
        super().__init__(**kwargs)
        self.denied = set(denied)
        self.reviews = []

    def request(self, method, path, body=None, query=None, content_type=None, what=None):
        if path == k8s.ACCESS_REVIEW_PATH:
            attrs = body["spec"]["resourceAttributes"]
            self.reviews.append(attrs)
            return {"status": {"allowed": (attrs["verb"], attrs["resource"]) not in self.denied}}
        return super().request(method, path, body, query, content_type, what)


def cluster(**kwargs):
    fake = ReviewingKube(read_only=True, **kwargs)
    for name in ("n1", "n2"):
        fake.add("nodes", {"apiVersion": "v1", "kind": "Node", "metadata": {"name": name, "labels": {}}})
    return fake


CALICO = {"nodes": [{"name": "n1", "as_number": 64512, "labels": {"rack": "r1"}},
                    {"name": "n2", "as_number": 64513, "labels": {"rack": "r2"}}],
          "peers": [{"name": "r1-leaf", "peer_ip": "10.0.0.1", "as_number": 65001, "node_selector": "rack == 'r1'"}],
          "configuration": {"as_number": 64512, "node_to_node_mesh_enabled": False,
                            "service_cluster_ips": ["10.96.0.0/12"]},
          "exclusive": True}


def connect_to(fake):
    return lambda: client(fake, check_mode=True)


def test_a_good_plan_is_dry_run_object_by_object_and_nothing_is_written():
    fake = cluster()
    outcome = preflight.run(connect_to(fake), calico=CALICO, steps=["calico", "verify", "lock"])
    assert outcome["ok"], outcome["failures"]
    # two node patches, one BGPPeer, one BGPConfiguration: each sent as a dry run
    assert fake.dry_runs == 4 and fake.writes == 0
    assert {r["endpoint"] for r in outcome["rows"]} >= {"Nodes", "BGPPeers", "BGPConfiguration default"}
    verbs = {(r["verb"], r["resource"], r.get("namespace")) for r in fake.reviews}
    assert ("patch", "nodes", None) in verbs and ("create", "leases", "kube-system") in verbs
    assert ("delete", "caliconodestatuses", None) in verbs


def test_every_failing_object_is_named_not_only_the_first():
    fake = cluster()
    calico = dict(CALICO, nodes=[{"name": "n1"}, {"name": "ghost-1"}, {"name": "ghost-2"}],
                  configuration=dict(CALICO["configuration"], service_cluster_ips=["10.96.0.0/12", "10.300.0.0/16"]))
    outcome = preflight.run(connect_to(fake), calico=calico)
    assert not outcome["ok"]
    text = preflight.failure_message(outcome)
    assert "ghost-1" in text and "ghost-2" in text and "10.300.0.0/16" in text
    assert text.startswith("pre-flight failed for 3 endpoint(s); nothing was changed on any side")
    assert fake.writes == 0


def test_missing_rights_are_listed_with_the_rbac_manifest():
    fake = cluster(denied={("patch", "nodes"), ("create", "leases")})
    outcome = preflight.run(connect_to(fake), steps=["calico", "lock"])
    [row] = outcome["failures"]
    assert row["missing"] == ["patch nodes", "create leases.coordination.k8s.io in namespace kube-system"]
    assert row["error"]["field"] == "api_key" and preflight.RBAC_MANIFEST in row["error"]["fix"]


class Driver:
    """A resource-module driver whose gather answers, refuses or crashes; any write fails the test."""

    platform = "frr"
    password_readable = True

    def __init__(self, host, behaviour):
        self.host, self.behaviour = host, behaviour
        self.closed = False

    def gather(self):
        if self.behaviour == "refuse":
            raise FabricError("authentication failed", host="198.18.0.9", field="password", fix="check the password")
        if self.behaviour == "crash":
            raise KeyError("peer-group")
        if self.behaviour.startswith("owned-by:"):  # a neighbour an earlier run made for that owner scope
            return {"asn": 65001, "router_id": "10.0.0.1", "listen_ranges": [], "neighbors": [
                {"address": "10.0.0.9", "remote_as": 64512, "description": "kubefabric:" + self.behaviour[9:]}]}
        return {"asn": 65001, "router_id": "10.0.0.1", "neighbors": [], "listen_ranges": []}

    def validate(self, want, state):
        pass

    def render(self, plan):
        return ["neighbor 10.0.0.9 remote-as 64512"] if plan.after != plan.have else []

    def show(self, commands):
        return list(commands)

    def apply(self, commands):
        raise AssertionError("pre-flight wrote to a device")

    def close(self):
        self.closed = True


def test_devices_are_read_in_check_mode_and_every_failure_is_named():
    drivers = {}
    behaviours = {"ok1": "ok", "bad-password": "refuse", "crashes": "crash"}

    def factory(platform, params):
        drivers[params["hostname"]] = Driver(params["hostname"], behaviours[params["hostname"]])
        return drivers[params["hostname"]]

    config = {"asn": 65001, "router_id": "10.0.0.1",
              "neighbors": [{"address": "10.0.0.9", "remote_as": 64512}]}
    devices = [(host, "frr", {"hostname": host}, config, "overridden") for host in behaviours]
    devices.append(("weird", "junos", {"hostname": "weird"}, config, "overridden"))
    outcome = preflight.run(lambda: None, devices=devices, driver_factory=factory)
    rows = {r["endpoint"]: r for r in outcome["rows"]}
    assert rows["ok1"]["ok"] and rows["ok1"]["changes"] == 1
    assert rows["bad-password"]["error"]["field"] == "password"
    assert rows["bad-password"]["message"].startswith("bad-password (198.18.0.9): password: authentication failed")
    assert "KeyError" in rows["crashes"]["message"] and rows["crashes"]["error"]["host"] == "crashes"
    assert rows["weird"]["error"]["field"] == "platform"
    assert all(d.closed for d in drivers.values())
    assert len(outcome["failures"]) == 3


def test_devices_are_checked_as_their_owner_scope():
    """A second run with kubefabric_fabric_id dc1 (or a cluster's scope) finds its own neighbour: fine as
    dc1, refused as any other owner (the default one included), as the device module would."""
    config = {"asn": 65001, "router_id": "10.0.0.1", "neighbors": [{"address": "10.0.0.9", "remote_as": 64512}]}
    devices = [("leaf-dc1", "frr", {"hostname": "leaf-dc1"}, config, "overridden", "dc1"),
               ("leaf-default", "frr", {"hostname": "leaf-default"}, config, "overridden"),
               ("leaf-green", "frr", {"hostname": "leaf-green"}, config, "overridden", "dc1.green")]
    outcome = preflight.run(lambda: None, devices=devices,
                            driver_factory=lambda platform, params: Driver(params["hostname"], "owned-by:dc1"))
    rows = {r["endpoint"]: r for r in outcome["rows"]}
    assert rows["leaf-dc1"]["ok"], rows["leaf-dc1"]
    for host in ("leaf-default", "leaf-green"):
        assert not rows[host]["ok"] and "10.0.0.9" in rows[host]["message"], rows[host]


def test_one_unreachable_api_is_reported_once():
    def unreachable():
        raise FabricError("cannot reach the Kubernetes API server at https://x: connection timed out", host="https://x",
                          field="host", fix="check host")
    outcome = preflight.run(unreachable, calico=CALICO, steps=["calico"])
    assert len(outcome["failures"]) == 1 and "timed out" in outcome["failures"][0]["message"]


def test_the_calico_check_refuses_a_client_that_would_write():
    with pytest.raises(FabricError):
        preflight.check_calico(client(cluster()), **CALICO)


def test_changes_count_what_the_write_would_send():
    """0 everywhere = nothing to write (the pattern roles then take no lock and skip the writes)."""
    config = {"asn": 65001, "router_id": "10.0.0.1", "neighbors": [{"address": "10.0.0.9", "remote_as": 64512}]}

    class InPlace(Driver):
        def render(self, plan):
            return []   # the device has the plan already

    # "new" twice: two owner scopes on one device add up
    devices = [("done", "frr", {"hostname": "done"}, config, "overridden", "dc1"),
               ("new", "frr", {"hostname": "new"}, config, "overridden", "dc1"),
               ("new", "frr", {"hostname": "new"}, config, "overridden", "dc1.green")]
    outcome = preflight.run(lambda: None, devices=devices, driver_factory=lambda platform, params: (
        InPlace if params["hostname"] == "done" else Driver)(params["hostname"], "ok"))
    assert outcome["changes"] == {"calico": 0, "devices": {"done": 0, "new": 2}}
    fake = cluster()
    assert preflight.run(connect_to(fake), calico=CALICO)["changes"]["calico"] == 4


def test_devices_are_planned_with_the_roles_adopt():
    """A neighbour without a marker at a planned address: refused as the devices role would refuse it, and
    counted as a change (taken over) with the role's adopt: true."""
    config = {"asn": 65001, "router_id": "10.0.0.1", "neighbors": [{"address": "10.0.0.9", "remote_as": 64512}]}

    class Unmarked(Driver):
        def gather(self):
            return {"asn": 65001, "router_id": "10.0.0.1", "listen_ranges": [], "neighbors": [
                {"address": "10.0.0.9", "remote_as": 64512}]}

    def factory(platform, params):
        return Unmarked(params["hostname"], "ok")

    refused = preflight.run(lambda: None, devices=[("leaf", "frr", {"hostname": "leaf"}, config, "overridden")],
                            driver_factory=factory)
    assert not refused["ok"] and "adopt" in refused["failures"][0]["message"]
    adopted = preflight.run(lambda: None, devices=[("leaf", "frr", {"hostname": "leaf"}, config, "overridden",
                                                    None, {"adopt": True})], driver_factory=factory)
    assert adopted["ok"], adopted["failures"]
    assert adopted["changes"]["devices"]["leaf"] == 1
