# -*- coding: utf-8 -*-
# Copyright: kubefabric.bgp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What ``fabric_verify`` reads each round, at the cost of reading.

* :class:`DeviceReader`: one device's sessions (and BGP routes), over ONE connection per device and
  run: the connection opened by the first round is kept for every later round (the drivers' own
  ``close`` leaves it open) and closed by :meth:`DeviceReader.close` at the end of the run. A read that
  fails drops the connection; the next round opens a new one. The connection settings (netmiko's
  timing included) are the device's, as for every other device module.
* :func:`progress_line`: the line printed per round while waiting.

The nodes' side is ``calico.status.VerifyStatuses`` (one LIST of CalicoNodeStatus per round).
"""

from __future__ import annotations

from ..devices import rows, sessions
from ..devices import comware, frr, routeros, ssh

CLI_DRIVERS = {"frr": frr, "comware": comware}


class _Kept:
    """A connection lent to a driver for one read: closing it is left to its ``DeviceReader``."""

    def __init__(self, conn):
        self._conn = conn

    def __getattr__(self, name):
        return getattr(self._conn, name)

    def __call__(self, *args, **kwargs):  # librouteros' Api is called with a command
        return self._conn(*args, **kwargs)

    def disconnect(self):  # netmiko: the driver closes after each read; the reader keeps it
        return None

    def close(self):  # librouteros
        return None


class DeviceReader:
    """Reads one device round after round over the same connection.

    ``connect`` (tests) replaces the real connector: ``connect(params, device_type)`` for the CLI
    platforms (``ssh.connect``), ``connect(params)`` for RouterOS (``routeros.connect``)."""

    def __init__(self, platform, params, connect=None):
        if platform not in sessions.PLATFORMS:
            from ..common.errors import FabricError  # pylint: disable=import-outside-toplevel
            raise FabricError("unknown platform %r" % (platform,), host=params.get("hostname"), field="platform",
                              fix="use one of %s" % ", ".join(sessions.PLATFORMS))
        self.platform = platform
        self.params = params
        self._connector = connect
        self.conn = None
        self.connects = 0
        self.reads = 0

    def _open(self, params, device_type=None):
        if self.conn is None:
            if self.platform == "routeros":
                self.conn = (self._connector or routeros.connect)(params)
            else:
                self.conn = (self._connector or ssh.connect)(params, device_type)
            self.connects += 1
        return _Kept(self.conn)

    def read(self, routes=False):
        """``{"sessions": sorted rows, "routes": sorted rows or None}``, as ``sessions.read_state``."""
        self.reads += 1
        try:
            if self.platform == "routeros":
                state = routeros.read_state(self.params, routes=bool(routes), api_factory=self._open)
            else:
                state = CLI_DRIVERS[self.platform].DRIVER(self.params, connect=self._open).read_state(
                    routes=bool(routes))
        except Exception:
            self.close()  # never reuse a connection a read failed on
            raise
        table = state.get("routes")
        return {"sessions": rows.sort_rows(state.get("sessions") or []),
                "routes": rows.sort_routes(table) if routes and table is not None else None}

    def close(self):
        conn, self.conn = self.conn, None
        if conn is None:
            return
        try:
            (conn.close if self.platform == "routeros" else conn.disconnect)()
        except Exception:  # pylint: disable=broad-except  # closing a dead connection must not mask the result
            pass


def progress_line(attempt, elapsed, outcome, statuses=None, check_routes=True, shown=4):
    """One round: session ends Established / expected, prefixes present / expected, the problems and where
    the routes are checked (``routes at 16 reflector node(s) + 9 device(s)``), the nodes whose status is
    still to come, and the first problems (``statuses``: the view of ``VerifyStatuses.read``)."""
    problems = ["%s->%s %s" % (p["endpoint"], p["peer_name"] or p["peer_address"], p["verdict"])
                for p in outcome["problems"][:shown]]
    problems += ["%s: %s from %s %s" % (p["endpoint"], p["prefix"], p["origin"], p["verdict"])
                 for p in outcome.get("route_problems", [])[:max(0, shown - len(problems))]]
    waiting = ""
    if statuses and statuses.get("pending"):
        waiting = ", status of %d node(s) to come" % len(statuses["pending"])
    unseen = ""
    if outcome.get("not_observed"):
        unseen = ", %d node(s) not observed" % len(outcome["not_observed"])
    return ("fabric_verify round %d (%.1f s): %d/%d session ends Established%s, %d problem(s)%s%s%s%s"
            % (attempt, elapsed, outcome["established"], outcome["expected"],
               ", %d/%d prefixes present" % (outcome["prefixes_present"], outcome["prefixes_expected"])
               if check_routes and "prefixes_present" in outcome else "",
               len(outcome["problems"]) + len(outcome.get("route_problems", [])),
               ", routes at " + outcome["routes_where"] if check_routes and outcome.get("routes_where") else "",
               waiting, unseen,
               "" if outcome["ok"] else ": " + ", ".join(problems)))
