# -*- coding: utf-8 -*-
# Copyright: kubefabric.bgp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Configure every device of a run at once, from the controller (kubefabric.bgp.fabric_devices).

One thread per device (bounded by ``workers``), each through the same resource-module path as
routeros_bgp / comware_bgp / frr_bgp (``devices/resource.run``: gather, validate, plan, push, read back,
save), so the result of a device is the one its module would return. Compared with one Ansible fork per
device, the drivers (netmiko, paramiko, librouteros) are imported once and no module payload is built or
started per device; Ansible's forks do not limit it. A device that fails does not stop the others; every
failure is named (host, field, fix).
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

from . import preflight


def push_device(host, platform, params, config, state, owner=None, options=None, check_mode=False,
                driver_factory=None):
    """One device and owner scope: ``{"host", "owner", "changed", ...module result}`` or ``{"host", "owner",
    "failed": True, "error", "msg"}``."""
    options = options or {}
    row = {"host": host, "owner": owner}
    started = time.monotonic()
    try:
        driver, outcome = preflight.run_device(host, platform, dict(params, save=options.get("save", True)), config,
                                               state, owner, options, check_mode=check_mode,
                                               driver_factory=driver_factory)
        outcome.update(driver.result_extras(state))
    except Exception as exc:  # pylint: disable=broad-except
        error = preflight.as_error(exc, host, "configuring the device", rename=True)
        # a push rejected part-way was rolled back by the driver; its message says what was taken
        return dict(row, failed=True, changed=False, error=error.as_dict(), msg=str(error),
                    seconds=_since(started))
    return dict(row, seconds=_since(started), **outcome)


def _since(started):
    return round(time.monotonic() - started, 3)


def push(devices, check_mode=False, workers=32, driver_factory=None):
    """Every ``(host, platform, params, config, state, owner, options)`` at the same time; the scopes of one
    device in order, in one thread (never two sessions to one device at once). Returns the rows in input order."""
    by_host = {}
    for device in devices:
        by_host.setdefault(device[0], []).append(device)

    def one_host(scopes):
        return [push_device(*scope, check_mode=check_mode, driver_factory=driver_factory) for scope in scopes]

    if not by_host:
        return []
    with ThreadPoolExecutor(max_workers=max(1, min(workers, len(by_host)))) as pool:
        results = list(pool.map(one_host, by_host.values()))
    return [row for rows in results for row in rows]


def failure_message(rows):
    failed = [row for row in rows if row.get("failed")]
    lines = ["%d of %d device configuration(s) failed (the others were applied):" % (len(failed), len(rows))]
    lines.extend("- %s" % row["msg"] for row in failed)
    return "\n".join(lines)
