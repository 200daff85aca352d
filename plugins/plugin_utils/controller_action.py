# -*- coding: utf-8 -*-
# Copyright: kubefabric.bgp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The base of the fabric action plugins that run on the controller (fabric_plan, fabric_preflight, fabric_lock)."""

from __future__ import annotations

from ansible.plugins.action import ActionBase


class ControllerAction(ActionBase):
    """No files, no connection to the task's host: ``run_controller(args, task_vars, result)`` does the work.

    ``args`` is a copy of the task's arguments, ``result`` the base result to update and return.
    """

    TRANSFERS_FILES = False
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super().run(tmp, task_vars)
        return self.run_controller(dict(self._task.args), task_vars, result)

    def run_controller(self, args, task_vars, result):  # pragma: no cover - abstract
        raise NotImplementedError
