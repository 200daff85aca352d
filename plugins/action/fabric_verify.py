# -*- coding: utf-8 -*-
# Copyright: kubefabric.bgp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin for kubefabric.bgp.fabric_verify: gather both sides until they match the plan."""

from __future__ import annotations

import time

from ansible.module_utils.parsing.convert_bool import boolean
from ansible.plugins.action import ActionBase
from ansible.utils.display import Display

from concurrent.futures import ThreadPoolExecutor

from ansible_collections.kubefabric.bgp.plugins.module_utils.calico import k8s, status
from ansible_collections.kubefabric.bgp.plugins.module_utils.common.errors import FabricError
from ansible_collections.kubefabric.bgp.plugins.module_utils.common.query import check_expectations
from ansible_collections.kubefabric.bgp.plugins.module_utils.devices import connection, sessions
from ansible_collections.kubefabric.bgp.plugins.module_utils.fabric import observe, verify
from ansible_collections.kubefabric.bgp.plugins.module_utils.fabric.verify import verify_result

display = Display()


def session_params(hostvars, host):
    """bgp_session_info's parameters for a device (defaults filled in), from its inventory variables
    (``connection.INVENTORY_VARS``) and, for what they leave unset, the environment (the AWX
    credential types)."""
    data = hostvars[host]
    platform = data.get("platform")
    params = {name: spec.get("default") for name, spec in sessions.info_argument_spec().items()}
    params.update(connection.options_from_hostvars(data, host, platform))
    params["platform"] = platform
    params, _secrets = connection.fill_from_env(params, connection.family_of(platform))
    if params.get("port") is None:
        params.pop("port")
    return params


# What a device read error that is a connection failure looks like: the device was not reached
# (reported as "unreachable"); any other error or a crash is a read error of its own.
CONNECTION_FIELDS = ("hostname", "host", "port")


def device_outcome(host, exc):
    """None (unreachable) or ``{"error": text}`` for an exception raised while reading ``host``."""
    if isinstance(exc, FabricError) and exc.field in CONNECTION_FIELDS:
        return None
    if isinstance(exc, FabricError):
        return {verify.ERROR_KEY: str(exc)}
    return {verify.ERROR_KEY: "%s: the driver crashed: %s: %s" % (host, type(exc).__name__, exc)}


PROGRESS_EVERY = 10.0  # seconds: a round whose counts did not change is still shown this often


class ActionModule(ActionBase):
    """Repeat: one LIST of CalicoNodeStatus and every device's sessions (kept connections), compare."""

    TRANSFERS_FILES = False
    _requires_connection = False

    def _readers(self, task_vars, devices):
        hostvars = task_vars.get("hostvars", {})
        readers = {}
        for host in devices:
            try:
                readers[host] = observe.DeviceReader(hostvars[host].get("platform"), session_params(hostvars, host))
            except Exception as exc:  # pylint: disable=broad-except  # reported per round, as a read error
                readers[host] = exc
        return readers

    def _read_devices(self, readers, pool):
        """Every device's sessions, in parallel, each over its kept connection."""
        def one(host):
            reader = readers[host]
            if isinstance(reader, Exception):
                return host, reader
            try:
                return host, reader.read(routes=self._check_routes)
            except Exception as exc:  # pylint: disable=broad-except
                return host, exc

        observed = {}
        for host, value in pool.map(one, sorted(readers)):
            if isinstance(value, Exception):
                if self._device_errors.get(host) != str(value):  # shown once, not every round
                    display.display("  %s: %s" % (host, value))
                self._device_errors[host] = str(value)
                observed[host] = device_outcome(host, value)
            else:
                self._device_errors.pop(host, None)
                observed[host] = value
        return observed

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super().run(tmp, task_vars)
        args = dict(self._task.args)
        if args.get("observed_nodes") is not None and args.get("observed_devices") is not None:
            result.update(self._execute_module(module_name="kubefabric.bgp.fabric_verify", module_args=args,
                                               task_vars=task_vars))
            return result
        plan = args.get("plan") or {}
        if "sessions" not in plan:
            return dict(result, failed=True, msg="plan: pass the plan returned by kubefabric.bgp.fabric_plan")
        devices = sorted(plan["sessions"].get("devices", {}))
        timeout = int(args.get("timeout") or 120)
        interval = max(1, int(args.get("interval") or 1))
        period = int(args.get("status_period") or status.STATUS_PERIOD)
        check_mode = bool(self._play_context.check_mode)
        auth = {k: args.get(k) for k in k8s.AUTH_ARG_SPEC}
        start = time.time()
        readers, statuses = {}, None
        self._device_errors = {}
        try:
            check_routes = args.get("check_routes") is None or boolean(args.get("check_routes"))
            self._routes_on = verify.resolve_routes_on(plan["sessions"], args.get("routes_on"), check_routes)
            self._check_routes = self._routes_on != "none"
            route_nodes, _route_devices = verify.route_endpoints(plan["sessions"], self._routes_on)
            # check mode: the client refuses nothing by itself (it would send dry runs); VerifyStatuses
            # is told not to write at all, and the device reads are reads
            client = k8s.connect(auth, check_mode=check_mode)
            pools = args.get("pools")
            if self._check_routes and pools is None:
                pools = [(p.get("spec") or {}).get("cidr") for p in client.list("IPPool")]
            # Routes (the large part of a status) only where the routes are checked; Agent and BGP everywhere
            classes = status.node_classes(plan["sessions"]["nodes"], route_nodes)
            statuses = status.VerifyStatuses(client, plan["sessions"]["nodes"], classes, period=period,
                                             write=not check_mode)
            readers = self._readers(task_vars, devices)
            attempt, outcome = self._rounds(plan, statuses, readers, devices, pools, timeout, interval, start)
            outcome = dict(outcome, elapsed=round(time.time() - start, 2))
            failures = check_expectations(outcome, args.get("expect"))
            if failures:
                raise FabricError("expectations not met: %s" % "; ".join(failures), field="expect",
                                  fix="see the rows of the result")
        except FabricError as exc:
            return dict(result, failed=True, msg=str(exc), error=exc.as_dict())
        finally:
            for reader in readers.values():
                if not isinstance(reader, Exception):
                    reader.close()
        return self._finish(result, outcome, attempt, statuses, readers, check_mode, timeout)

    def _compare(self, plan, view, observed, pools, start, memo):
        """One round's outcome; the previous round's when nothing it was computed from changed (the same
        resourceVersion of every status object, the same device rows): a converged-but-for-one-session
        fabric is not compared again and again in full."""
        key = (view.get("versions"), sorted(view["pending"]), sorted(view["unobserved"]))
        if memo and memo[0] == key and memo[1] == observed:
            return memo[2]
        outcome = verify_result(plan, view["nodes"], observed, None, time.time() - start,
                                check_routes=self._check_routes, pools=pools, unobserved=view["unobserved"],
                                routes_on=self._routes_on)
        memo[:] = [key, observed, outcome]
        return outcome

    def _rounds(self, plan, statuses, readers, devices, pools, timeout, interval, start):
        """Read until the fabric matches the plan or the time is up: ``(rounds, outcome)``, the outcome
        with ``converged_at`` (epoch seconds of the round that saw it converged).
        The LIST and the device reads of a round run side by side: a round lasts as long as the slowest."""
        attempt, shown, memo = 0, (None, 0.0), []
        with ThreadPoolExecutor(max_workers=1) as lister, \
                ThreadPoolExecutor(max_workers=max(1, min(32, len(devices)))) as pool:
            while True:
                attempt += 1
                began = time.time()
                listing = lister.submit(statuses.read)
                observed = self._read_devices(readers, pool)
                view = listing.result()
                outcome = self._compare(plan, view, observed, pools, start, memo)
                now = time.time()
                done = outcome["ok"] or now - start + interval > timeout
                line = observe.progress_line(attempt, now - start, outcome, view, self._check_routes)
                counts = line.split(": ", 1)[1]
                if done or counts != shown[0] or now - shown[1] >= PROGRESS_EVERY:
                    display.display(line)
                    shown = (counts, now)
                if done:
                    return attempt, dict(outcome, converged_at=round(now, 3) if outcome["ok"] else None)
                time.sleep(max(0.0, interval - (time.time() - began)))

    @staticmethod
    def _finish(result, outcome, attempt, statuses, readers, check_mode, timeout):
        """The task result: the outcome, the instruments used, warnings and failure."""
        # changed stays false: the status objects are the instruments of the verification, not the fabric
        result.update(outcome, changed=False, rounds=attempt,
                      status_objects_created=statuses.created, status_objects_updated=statuses.updated,
                      device_connections=sum(r.connects for r in readers.values() if not isinstance(r, Exception)))
        if outcome["not_observed"]:
            result.setdefault("warnings", []).append(
                "fabric_verify could not observe %d node(s) (%s): %s" % (
                    len(outcome["not_observed"]), "check mode creates no CalicoNodeStatus" if check_mode else
                    "no status", ", ".join(outcome["not_observed"][:10])
                    + (" ..." if len(outcome["not_observed"]) > 10 else "")))
        if not outcome["ok"]:
            result.update(failed=True, msg="the fabric did not converge to the plan within %d s:\n%s"
                          % (timeout, outcome["table"]))
        return result
