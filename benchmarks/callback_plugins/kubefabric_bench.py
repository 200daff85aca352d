# -*- coding: utf-8 -*-
# Copyright: kubefabric.bgp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark-only callback: per task, the hosts' wall time window and the device commands they sent.

Enabled by benchmarks/bench_lab_scale.py (ANSIBLE_CALLBACK_PLUGINS + ANSIBLE_CALLBACKS_ENABLED); writes
JSON to $KUBEFABRIC_BENCH_TASKS at the end of the playbook.  Commands: the ``commands`` list that the
device modules return (resource-module contract), so check mode counts what would be sent.
"""
from __future__ import annotations

import json
import os
import time

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = r"""
name: kubefabric_bench
type: aggregate
short_description: per-task counts for bench_lab_scale.py
description: Writes task wall times and device command counts to $KUBEFABRIC_BENCH_TASKS.
"""


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "kubefabric_bench"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self):
        super().__init__()
        self.tasks = {}
        self.order = []
        self.current = None

    def v2_playbook_on_task_start(self, task, is_conditional):
        name = task.get_name()
        if name not in self.tasks:
            self.tasks[name] = {"start": time.time(), "end": time.time(), "hosts": 0, "changed": 0,
                                "commands": 0}
            self.order.append(name)
        self.current = name

    def _result(self, result):
        entry = self.tasks.get(result._task.get_name())
        if entry is None:
            return
        entry["end"] = time.time()
        entry["hosts"] += 1
        res = result._result or {}
        entry["changed"] += 1 if res.get("changed") else 0
        # a looped task (one item per owner scope) carries its items' results in "results", fabric_devices
        # (every device from the controller) one row per device and owner scope in "devices"
        rows = [r for r in (res.get("results") or []) + (res.get("devices") or []) if isinstance(r, dict)]
        for item in [res] + rows:
            commands = item.get("commands")
            if isinstance(commands, list):
                entry["commands"] += len(commands)

    v2_runner_on_ok = _result
    v2_runner_on_failed = _result

    def v2_playbook_on_stats(self, stats):
        path = os.environ.get("KUBEFABRIC_BENCH_TASKS")
        if not path:
            return
        # at: the task's start in seconds since the epoch (the benchmark places it in its own timeline)
        out = [dict(name=name, seconds=round(self.tasks[name]["end"] - self.tasks[name]["start"], 2),
                    at=round(self.tasks[name]["start"], 3),
                    **{k: v for k, v in self.tasks[name].items() if k not in ("start", "end")})
               for name in self.order]
        with open(path, "w", encoding="utf-8") as handle:
            json.dump(out, handle, indent=1)
