# -*- coding: utf-8 -*-
# Copyright: kubefabric.bgp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pre-flight: everything a run needs, checked in parallel before its first write on any side.

Three kinds of check run at the same time (a thread pool on the controller), each read-only:

* **Calico**: every object the run would write goes through the API server's own validation as a
  server-side dry run (``dryRun=All``): the Node patches, the BGPPeers (and their Secrets) and the
  BGPConfiguration, planned by the same code as the Calico modules (``calico/manage.py``). Every
  failing object is reported, not only the first.
* **Kubernetes credentials**: one SelfSubjectAccessReview per verb and resource the run needs
  (:data:`PERMISSIONS`); a missing right is reported with the RBAC manifest that grants it.
* **Devices**: each device is reached, authenticated and read through its driver's resource-module
  path in check mode (``devices/resource.run(..., check_mode=True)``: gather, validate the planned
  configuration against the platform, compute the commands, write nothing). This is what the
  devices role would do next, without the write. The device parameters come from the caller (the action
  plugin uses fabric_verify's ``session_params``: inventory variables, then the environment).

Each row also counts what the write would change (Calico writes, device commands; ``changes(rows)``), so the
pattern roles know before the lock whether the run writes at all.

The result names every endpoint that failed (host, field, fix); nothing is changed either way.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from ..common.errors import FabricError
from ..calico import manage
from ..devices import resource as device_resource
from ..devices import sessions

RBAC_MANIFEST = "docs/rbac/kubefabric-controller.yaml"
CALICO = "calico"   # placeholder for the served Calico API group

# (verb, group, resource, subresource, namespace): namespace None = cluster scope, "secrets"/"lock" =
# the secret namespace / the lock namespace of the run.
PERMISSIONS = {
    "calico": [
        ("list", "", "nodes", None, None), ("patch", "", "nodes", None, None),
        ("list", CALICO, "bgppeers", None, None), ("create", CALICO, "bgppeers", None, None),
        ("update", CALICO, "bgppeers", None, None), ("delete", CALICO, "bgppeers", None, None),
        ("get", CALICO, "bgpconfigurations", None, None), ("create", CALICO, "bgpconfigurations", None, None),
        ("update", CALICO, "bgpconfigurations", None, None),
    ],
    "secrets": [
        ("get", "", "secrets", None, "secrets"), ("create", "", "secrets", None, "secrets"),
        ("update", "", "secrets", None, "secrets"), ("delete", "", "secrets", None, "secrets"),
    ],
    "verify": [
        ("list", CALICO, "caliconodestatuses", None, None), ("get", CALICO, "caliconodestatuses", None, None),
        ("create", CALICO, "caliconodestatuses", None, None), ("delete", CALICO, "caliconodestatuses", None, None),
        ("list", CALICO, "ippools", None, None),
    ],
    "lock": [
        ("get", "coordination.k8s.io", "leases", None, "lock"), ("create", "coordination.k8s.io", "leases", None, "lock"),
        ("update", "coordination.k8s.io", "leases", None, "lock"),
        ("delete", "coordination.k8s.io", "leases", None, "lock"),
    ],
    "drain": [
        ("list", "", "pods", None, None), ("get", "", "pods", None, None), ("create", "", "pods", "eviction", None),
        ("patch", "", "nodes", None, None),
    ],
}

DRIVER_CLASSES = {"routeros": "RouterOSDriver", "comware": "ComwareDriver", "frr": "FrrDriver"}


def _row(endpoint, kind, error=None, **extra):
    row = {"endpoint": endpoint, "kind": kind, "ok": error is None}
    if error is not None:
        row["error"] = error.as_dict()
        row["message"] = str(error)
    row.update(extra)
    return row


def as_error(exc, host, what, rename=False):
    """A FabricError naming ``host``; ``rename``: a device's inventory name goes first (the address the
    driver used is kept beside it)."""
    if isinstance(exc, FabricError):
        if not exc.host:
            exc.host = host
        elif rename and host not in str(exc.host):
            exc.host = "%s (%s)" % (host, exc.host)
        return exc
    return FabricError("%s failed: %s: %s" % (what, type(exc).__name__, exc), host=host,
                       fix="this is not an input error: report it with the output of -vvv")


# -- devices -----------------------------------------------------------------------------------------
def make_driver(platform, params, driver_factory=None):
    """The resource-module driver of ``platform`` for one device (``driver_factory(platform, params)``
    instead in the unit tests)."""
    if driver_factory is not None:
        return driver_factory(platform, params)
    return getattr(sessions._driver(platform), DRIVER_CLASSES[platform])(params)  # pylint: disable=protected-access


def run_device(host, platform, params, config, state, owner=None, options=None, check_mode=True,
               driver_factory=None):
    """One device and owner scope through the devices role's resource-module path (gather, validate, plan,
    and without ``check_mode`` push, read back, save): ``(driver, outcome)``. ``options``: the role's ``adopt``
    and ``password_update``. Raises FabricError for an unknown platform, else what the driver raised."""
    if platform not in DRIVER_CLASSES:
        raise FabricError("unknown platform %r" % (platform,), host=host, field="platform",
                          fix="use one of %s" % ", ".join(sorted(DRIVER_CLASSES)))
    options = options or {}
    driver = make_driver(platform, params, driver_factory)
    outcome = device_resource.run(driver, state, config=config, check_mode=check_mode, host=host, owner=owner,
                                  adopt=bool(options.get("adopt")),
                                  password_update=options.get("password_update") or "on_change")
    return driver, outcome


def check_device(host, platform, params, config, state, owner=None, options=None, driver_factory=None):
    """Reach, log in, read and plan one device in check mode, as the owner scope ``owner`` (the
    devices role's ``kubefabric_fabric_id``, or a cluster's scope on a shared device) with the devices role's
    ``options`` (``adopt``, ``password_update``), so that ``changes`` is the number of commands the write
    would send. Returns a result row."""
    try:
        _driver, outcome = run_device(host, platform, params, config, state, owner, options,
                                      driver_factory=driver_factory)
    except Exception as exc:  # pylint: disable=broad-except
        return _row(host, "device", as_error(exc, host, "reading the device", rename=True))
    return _row(host, "device", None, platform=platform, changes=len(outcome.get("commands") or []))


# -- Kubernetes credentials --------------------------------------------------------------------------
def needed_permissions(steps, calico_group, secret_namespace, lock_namespace):
    wanted = []
    group = calico_group.split("/")[0]
    for step in steps:
        for verb, api_group, resource, sub, namespace in PERMISSIONS[step]:
            namespace = {"secrets": secret_namespace, "lock": lock_namespace}.get(namespace, namespace)
            item = (verb, group if api_group == CALICO else api_group, resource, sub, namespace)
            if item not in wanted:
                wanted.append(item)
    return wanted


def check_access(client, steps, secret_namespace="kube-system", lock_namespace="kube-system"):
    """SelfSubjectAccessReview of every right the run needs; one row for the API with the missing ones."""
    endpoint = "Kubernetes API %s" % client.host
    wanted = needed_permissions(steps, client.calico_group, secret_namespace, lock_namespace)
    missing = []
    for verb, group, resource, sub, namespace in wanted:
        if not client.can(verb, resource, group, namespace, sub):
            missing.append("%s %s%s%s%s" % (verb, resource, "/" + sub if sub else "", "." + group if group else "",
                                            " in namespace %s" % namespace if namespace else ""))
    if missing:
        return _row(endpoint, "kubernetes", FabricError(
            "the Kubernetes credentials may not: %s" % "; ".join(missing), host=endpoint, field="api_key",
            fix="bind the ClusterRole and Role of %s (in the collection) to this identity, or use credentials "
                "that have these rights" % RBAC_MANIFEST), missing=missing)
    return _row(endpoint, "kubernetes", None, checked=len(wanted))


# -- Calico objects ----------------------------------------------------------------------------------
def _calico_planners(nodes, peers, configuration, exclusive, secret_namespace):
    out = []
    if nodes:
        out.append(("Nodes", manage.plan_nodes, {"nodes": nodes, "state": "present"}))
    if peers is not None:
        out.append(("BGPPeers", manage.plan_peers, {"peers": peers, "state": "present", "exclusive": exclusive,
                                                    "secret_namespace": secret_namespace}))
    if configuration:
        params = dict(configuration, name="default", state="present", secret_namespace=secret_namespace)
        out.append(("BGPConfiguration default", manage.plan_bgp_configuration, params))
    return out


def check_calico(client, nodes=None, peers=None, configuration=None, exclusive=True, secret_namespace="kube-system"):
    """Dry-run every write the Calico side of the run would make (``client`` is in check mode). One row
    per object that failed, or one ok row per kind of object."""
    if not client.check_mode:
        raise FabricError("pre-flight needs a client in check mode", field="check_mode",
                          fix="this is a bug: report it")
    rows = []
    for what, planner, params in _calico_planners(nodes, peers, configuration, exclusive, secret_namespace):
        try:
            plan = planner(client, params)
        except FabricError as exc:
            # offline validation stops at the first bad entry: plan each entry alone to name every one
            rows.extend(_per_entry(client, what, planner, params, exc))
            continue
        try:
            plan.run(keep_going=True)
        except FabricError as exc:
            failed = exc.details.get("failed") or [exc.host or what]
            for ref in failed:
                rows.append(_row(ref, "calico", exc if len(failed) == 1 else FabricError(
                    "the API server refused the dry run of %s" % ref, host=ref, field=exc.field, fix=exc.fix)))
            if len(failed) > 1:
                rows.append(_row(what, "calico", exc))
            continue
        rows.append(_row(what, "calico", None, writes=len(plan.steps), warnings=plan.warnings))
    return rows


def _per_entry(client, what, planner, params, first):
    key = "nodes" if "nodes" in params else "peers" if "peers" in params else None
    if key is None or len(params[key]) < 2:
        return [_row(first.host or what, "calico", first)]
    rows = []
    for entry in params[key]:
        try:
            planner(client, dict(params, **{key: [entry], "exclusive": False})).run(keep_going=True)
        except FabricError as exc:
            rows.append(_row(exc.host or "%s %s" % (what, entry.get("name")), "calico", exc))
    return rows or [_row(first.host or what, "calico", first)]


# -- the whole pre-flight ----------------------------------------------------------------------------
def run(connect, devices=(), calico=None, steps=(), secret_namespace="kube-system", lock_namespace="kube-system",
        workers=16, driver_factory=None):
    """Every check in parallel. ``connect()`` returns a check-mode KubeClient (one per thread);
    ``devices``: ``[(host, platform, params, config, state[, owner])]``; ``calico``: ``dict(nodes, peers,
    configuration, exclusive)`` or None. Returns ``{"ok", "rows", "failures"}``."""
    jobs = []
    with ThreadPoolExecutor(max_workers=max(1, min(workers, len(devices) + 2))) as pool:
        if steps or calico is not None:
            def kube():
                try:
                    client = connect()
                    rows = []
                    if steps:
                        rows.append(check_access(client, steps, secret_namespace, lock_namespace))
                    return rows
                except Exception as exc:  # pylint: disable=broad-except
                    return [_row("Kubernetes API", "kubernetes", as_error(exc, "Kubernetes API", "the API check"))]
            jobs.append(pool.submit(kube))
        if calico is not None:
            def objects():
                try:
                    return check_calico(connect(), secret_namespace=secret_namespace, **calico)
                except Exception as exc:  # pylint: disable=broad-except
                    return [_row("Calico objects", "calico", as_error(exc, "Calico objects", "the dry run"))]
            jobs.append(pool.submit(objects))
        for device in devices:
            jobs.append(pool.submit(lambda args: [check_device(*args, driver_factory=driver_factory)],
                                    tuple(device)))
        rows = [row for job in jobs for row in job.result()]
    failures = [row for row in rows if not row["ok"]]
    # one API failure (unreachable, 401, hung) is reported once, not by each check that met it
    seen, unique = set(), []
    for row in failures:
        if row["message"] in seen:
            continue
        seen.add(row["message"])
        unique.append(row)
    return {"ok": not failures, "rows": rows, "failures": unique, "changes": changes(rows)}


def changes(rows):
    """What the run would change, from the check-mode rows: ``{"calico": writes, "devices": {host: commands}}``.
    A run whose pre-flight counts 0 everywhere has nothing to write (the pattern roles then take no lock and
    skip the writing tasks)."""
    calico = sum(row.get("writes") or 0 for row in rows if row["kind"] == "calico")
    devices = {}
    for row in rows:
        if row["kind"] == "device":
            devices[row["endpoint"]] = devices.get(row["endpoint"], 0) + (row.get("changes") or 0)
    return {"calico": calico, "devices": devices}


def failure_message(outcome):
    lines = ["pre-flight failed for %d endpoint(s); nothing was changed on any side:" % len(outcome["failures"])]
    for row in outcome["failures"]:
        lines.append("- %s" % row["message"])
    return "\n".join(lines)
