# -*- coding: utf-8 -*-
# Copyright: kubefabric.bgp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the two SSH/CLI drivers (Comware, FRR) share: connection, line-by-line push, rollback, save.

A push stops at the first line the device refuses, or at the first line after which the session
is lost (no prompt: the management link dropped, the SSH session was killed).  In both cases the
driver restores the configuration read before the run:

* refused line: on the same session (the device answered, the session is sound);
* lost session: on a NEW connection (the broken session is never reused: it may sit in a config
  sub-mode, where ``show running-config bgpd`` is an unknown command).  The device is read again and
  the difference back to the configuration before the run is pushed.

If the device cannot be reached again, the task fails saying which lines were sent; the next run
reads the device, and since every line of a push is a declarative step towards the plan, it sends
what is missing (or removes what is not planned), so the change completes then.  A neighbor created
just before the link dropped, before its ownership marker line, is recognised by the next run from
the journal (``journal.py``) that the engine writes before every push that creates neighbors.
"""

from __future__ import annotations

import copy

from ..common.errors import FabricError
from . import resource as _resource
from . import ssh as _ssh


class CliDriver(_resource.Driver):
    """``resource.Driver`` base for a CLI reached over SSH with netmiko (subclasses: Comware, FRR).

    Subclasses set ``platform``, ``device_type``, ``show_config``, ``save_command``, ``cli_name``
    (for messages) and implement ``_session(conn)``, ``parse_text(text)``, ``render(plan)``,
    ``transition(before, after)`` and ``redact(lines)``.
    """

    device_type = None
    show_config = None
    save_command = None
    cli_name = "the device"

    def __init__(self, params, offline=False, connect=None):
        self.params = params or {}
        self.host = self.params.get("hostname")
        self.offline = offline
        self._connect = connect or _ssh.connect
        self.conn = None
        self.session = None
        self.have = None
        self.saved = False
        self.rolled_back = None

    # -- hooks
    def _session(self, conn):  # pragma: no cover - interface
        raise NotImplementedError

    def parse_text(self, text):  # pragma: no cover - interface
        raise NotImplementedError

    def transition(self, before, after):  # pragma: no cover - interface
        raise NotImplementedError

    def redact(self, lines):  # pragma: no cover - interface
        raise NotImplementedError

    # -- connection
    def _open(self):
        if self.offline:
            raise FabricError("no device connection in an offline state", host=self.host, field="state",
                              fix="use rendered/parsed without a device")
        if self.conn is None:
            self.conn = self._connect(self.params, self.device_type)
            self.session = self._session(self.conn)
        return self.session

    def close(self):
        if self.conn is not None:
            try:
                self.conn.disconnect()
            except Exception:  # pylint: disable=broad-except  # closing a dead session must not mask the result
                pass
            self.conn = None
            self.session = None

    def _leave_config(self):
        try:
            self.conn.exit_config_mode()
        except Exception:  # pylint: disable=broad-except
            pass

    # -- reading
    def read_config_text(self):
        return self._open().show(self.show_config)

    def gather(self):
        self.have = self.parse_text(self.read_config_text())
        return copy.deepcopy(self.have)

    def parse(self, running_config):
        return self.parse_text(running_config)

    def show(self, commands):
        return self.redact(commands)

    # -- writing
    def apply(self, commands):
        session = self._open()
        before = self.have if self.have is not None else self.gather()
        try:
            self.conn.config_mode()
            session.push(commands)
        except _ssh.CliLineError as err:
            self._recover(before, err, len(commands))
        except FabricError:
            raise
        except Exception as exc:  # pylint: disable=broad-except  # config mode itself failed: session lost
            self._recover(before, _ssh.CliLineError(commands[0], 0, str(exc), lost=True), len(commands))
        finally:
            if self.conn is not None:
                self._leave_config()
        if self.params.get("save", True):
            self.save()

    def _recover(self, before, err, total):
        shown = self.redact([err.line.strip()])[0]
        if err.lost:
            self.close()  # never reuse a session that lost its prompt
            try:
                self._open()
            except FabricError as exc:
                raise FabricError(
                    "the session to the device was lost at line %d of %d %r (%s), and reconnecting failed (%s); "
                    "the %d line(s) before it may be applied" % (err.index + 1, total, shown, err.message,
                                                                 exc.message, err.index),
                    host=self.host, field="hostname",
                    fix="restore the management connection and run again: the next run reads the device and "
                        "completes the change (or removes what is not planned)",
                    details={"failed_line": shown, "lines_sent": err.index}) from None
        self._rollback(before)
        what = "the session was lost after" if err.lost else "%s rejected" % self.cli_name
        raise FabricError(
            "%s line %d %r: %s; the %d line(s) before it were rolled back%s, nothing of this run is left on the "
            "device" % (what, err.index + 1, shown, err.message, err.index,
                        " over a new connection" if err.lost else ""),
            host=self.host, field="hostname" if err.lost else "config",
            fix="check the management connection and run again" if err.lost else
            "correct the value that produced this line (see the commands of a check-mode run)",
            details={"failed_line": shown, "rolled_back": self.rolled_back}) from None

    def _rollback(self, before):
        """Restore ``before``: re-read the device, push the difference back."""
        self._leave_config()
        current = self.parse_text(self.read_config_text())
        lines = self.transition(current, before)
        self.rolled_back = self.redact(lines)
        if not lines:
            return
        try:
            self.conn.config_mode()
            self.session.push(lines)
        except _ssh.CliLineError as err:
            raise FabricError("a line failed, and rolling back failed at %r (%s); the BGP configuration is partly "
                              "changed" % (self.redact([err.line.strip()])[0], err.message),
                              host=self.host, field="config",
                              fix="run the task again (it reads the device and sends the difference), or inspect "
                                  "'%s' and restore it by hand" % self.show_config) from None
        finally:
            self._leave_config()

    def save(self):
        """Save the running configuration (netmiko ``save_config``), so the change survives a reboot."""
        try:
            output = self.conn.save_config()
        except Exception as exc:  # pylint: disable=broad-except
            raise FabricError("the change is applied but '%s' failed: %s" % (self.save_command, exc),
                              host=self.host, field="save", fix="save the configuration on the device") from None
        finally:
            self._leave_config()
        if not self.save_ok(output or ""):
            raise FabricError("the change is applied but '%s' failed: %s" % (self.save_command, output.strip()),
                              host=self.host, field="save", fix="save the configuration on the device")
        self.saved = True

    def save_ok(self, output):  # pragma: no cover - interface
        raise NotImplementedError
