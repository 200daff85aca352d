# -*- coding: utf-8 -*-
# Copyright: kubefabric.bgp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The resource-module engine shared by every ``<platform>_bgp`` module.

It turns ``want`` (the task's config), ``have`` (what the driver gathered) and ``state`` into a
``Plan`` of platform-neutral operations plus the predicted ``after`` config, asks the driver to
render the plan into device commands, gates every write on check mode in ONE place (``run``), and
returns the Ansible network resource-module results: ``before``/``after``/``commands`` for the
action states, ``gathered``/``rendered``/``parsed`` for the others.  Secrets never reach a result.

A driver (see ``Driver`` and docs/device-model.md) knows one platform; the engine knows none.
"""

from __future__ import annotations

import copy

from ..common.errors import FabricError
from . import model

ACTION_STATES = ("merged", "replaced", "overridden", "deleted")
OFFLINE_STATES = ("rendered", "parsed")
STATES = ACTION_STATES + ("gathered",) + OFFLINE_STATES


class Driver:
    """The interface a platform driver implements (subclass it).

    * ``gather()`` -> model config (normalised with ``model.normalise``), read from the device.
      Only objects the driver manages are returned.  It connects on first use (never in
      ``rendered``/``parsed``, which do not call it).
    * ``parse(running_config)`` -> model config, offline, from the platform's configuration text.
    * ``validate(want, state)`` -> None or raise ``FabricError``: what the platform/version cannot
      express (called after ``gather`` for action states, offline for ``rendered``).
    * ``render(plan)`` -> list of commands (any objects the driver's ``apply`` understands).
      An empty list means "nothing to do": ``changed`` is ``bool(commands)``.
    * ``show(commands)`` -> list of strings for the ``commands``/``rendered`` result; must not
      contain secrets (mask them).
    * ``apply(commands)`` -> None; sends the writes.  The engine never calls it in check mode.
    * ``close()`` -> None.

    ``password_readable`` says whether ``gather`` can read neighbor passwords back (RouterOS:
    no, ``tcp-md5-key`` is write-only; FRR: yes).  When it cannot, password changes follow the
    ``password_update`` option (``on_create``: only when the neighbor is added; ``always``: sent
    on every run, which then always reports changed).
    """

    platform = "generic"
    password_readable = False

    def gather(self):  # pragma: no cover - interface
        raise NotImplementedError

    def parse(self, running_config):  # pragma: no cover - interface
        raise NotImplementedError

    def validate(self, want, state):
        return None

    def render(self, plan):  # pragma: no cover - interface
        raise NotImplementedError

    def show(self, commands):
        return [str(command) for command in commands]

    def apply(self, commands):  # pragma: no cover - interface
        raise NotImplementedError

    def close(self):
        return None


class Plan:
    """The engine's decision: operations and the predicted config after them.

    ``ops`` is a list of dicts ``{action, object, key, before, after, changes}``:

    * ``action``: ``add`` | ``update`` | ``delete``
    * ``object``: ``global`` (asn/router_id) | ``neighbor`` (key: address) |
      ``listen_range`` (key: prefix)
    * ``before``/``after``: the object before/after (None for add/delete), passwords included
      (drivers need them; results never show them)
    * ``changes``: for update, ``{field: new value}`` where None means "unset / back to default"
    """

    def __init__(self, state, want, have, after, ops, password_update):
        self.state = state
        self.want = want
        self.have = have
        self.after = after
        self.ops = ops
        self.password_update = password_update

    def of(self, obj, action=None):
        return [op for op in self.ops if op["object"] == obj and (action is None or op["action"] == action)]

    def __repr__(self):  # pragma: no cover - debugging aid
        return "Plan(state=%s, ops=%r)" % (self.state, [(o["action"], o["object"], o["key"]) for o in self.ops])


def _same(field, left, right):
    return model.effective(field, left) == model.effective(field, right)


def _target(want_item, have_item, fields, key_field, replace, password_readable, password_update):
    """The item after merging/replacing ``want_item`` into ``have_item``; and its changes."""
    if have_item is None:
        return copy.deepcopy(want_item), None
    result = copy.deepcopy(have_item)
    changes = {}
    for field in fields:
        if field == key_field:
            continue
        wanted = want_item.get(field)
        if field == "password":
            if password_readable:
                if wanted is not None or replace:
                    result[field] = wanted
                    if wanted != have_item.get(field):
                        changes[field] = wanted
            elif wanted is not None:
                result[field] = wanted
                if password_update == "always":
                    changes[field] = wanted
            continue
        if wanted is None and not replace:
            continue
        result[field] = wanted
        if not _same(field, have_item.get(field), wanted):
            changes[field] = wanted
    return result, changes


def _plan_items(ops, after_items, want_items, have_items, obj, fields, key_field, state, password_readable,
                password_update):
    have_by_key = {item[key_field]: item for item in have_items}
    want_keys = set()
    for want_item in want_items:
        key = want_item[key_field]
        want_keys.add(key)
        have_item = have_by_key.get(key)
        if state == "deleted":
            if have_item is not None:
                ops.append(dict(action="delete", object=obj, key=key, before=have_item, after=None, changes={}))
                after_items.pop(key, None)
            continue
        result, changes = _target(want_item, have_item, fields, key_field, state in ("replaced", "overridden"),
                                  password_readable, password_update)
        if have_item is None:
            for field in fields:
                result.setdefault(field, None)
            ops.append(dict(action="add", object=obj, key=key, before=None, after=result, changes={}))
        elif changes:
            ops.append(dict(action="update", object=obj, key=key, before=have_item, after=result, changes=changes))
        after_items[key] = result
    if state == "overridden":
        for key, have_item in have_by_key.items():
            if key not in want_keys:
                ops.append(dict(action="delete", object=obj, key=key, before=have_item, after=None, changes={}))
                after_items.pop(key, None)


def compute(want, have, state, password_readable=False, password_update="on_create"):
    """Plan the operations that take the device from ``have`` to ``want`` under ``state``.

    merged: set what ``want`` specifies, add missing neighbors/ranges, touch nothing else.
    replaced: like merged, but each listed neighbor/range (and router_id) is replaced as a whole:
        fields the task leaves out go back to their defaults.
    overridden: replaced, and every managed neighbor/range not listed is removed.
    deleted: remove the listed neighbors/ranges; with none listed, remove everything managed
        (neighbors, ranges, and the global asn/router_id object).
    """
    if state not in ACTION_STATES:
        raise ValueError("compute() handles %s, not %s" % (", ".join(ACTION_STATES), state))
    want = want or model.empty_config()
    have = have or model.empty_config()
    after = copy.deepcopy(have)
    ops = []

    if state == "deleted" and not want.get("neighbors") and not want.get("listen_ranges"):
        for neighbor in have["neighbors"]:
            ops.append(dict(action="delete", object="neighbor", key=neighbor["address"], before=neighbor,
                            after=None, changes={}))
        for rng in have["listen_ranges"]:
            ops.append(dict(action="delete", object="listen_range", key=rng["prefix"], before=rng,
                            after=None, changes={}))
        if have.get("asn") is not None or have.get("router_id") is not None:
            ops.append(dict(action="delete", object="global", key=None,
                            before={"asn": have.get("asn"), "router_id": have.get("router_id")}, after=None,
                            changes={}))
        return Plan(state, want, have, model.empty_config(), ops, password_update)

    if state != "deleted":
        before_global = {"asn": have.get("asn"), "router_id": have.get("router_id")}
        after_global = dict(before_global)
        changes = {}
        if want.get("asn") is not None and want["asn"] != have.get("asn"):
            changes["asn"] = after_global["asn"] = want["asn"]
        if want.get("router_id") is not None or state in ("replaced", "overridden"):
            if want.get("router_id") != have.get("router_id"):
                changes["router_id"] = after_global["router_id"] = want.get("router_id")
        if changes:
            ops.append(dict(action="update", object="global", key=None, before=before_global, after=after_global,
                            changes=changes))
            after.update(after_global)

    after_neighbors = {item["address"]: item for item in after["neighbors"]}
    _plan_items(ops, after_neighbors, want.get("neighbors") or [], have["neighbors"], "neighbor",
                model.NEIGHBOR_FIELDS, "address", state, password_readable, password_update)
    after_ranges = {item["prefix"]: item for item in after["listen_ranges"]}
    _plan_items(ops, after_ranges, want.get("listen_ranges") or [], have["listen_ranges"], "listen_range",
                model.LISTEN_RANGE_FIELDS, "prefix", state, password_readable, password_update)
    after["neighbors"] = sorted(after_neighbors.values(), key=lambda n: model._ip_sort_key(n["address"]))
    after["listen_ranges"] = sorted(after_ranges.values(), key=lambda r: model._ip_sort_key(r["prefix"]))
    return Plan(state, want, have, after, ops, password_update)


def _want(config, state, host):
    return model.normalise(config, host=host, require_remote_as=state not in ("deleted",))


def validate_params(state, config=None, running_config=None, host=None):
    """Check the state/config/running_config combination; return the normalised want (or None)."""
    if state not in STATES:
        raise FabricError("unknown state %r" % (state,), host=host, field="state", fix="use one of %s" % ", ".join(STATES))
    if state in ("merged", "replaced", "overridden", "rendered") and config is None:
        raise FabricError("state=%s needs config" % state, host=host, field="config", fix="give the BGP config")
    if state == "parsed" and not running_config:
        raise FabricError("state=parsed needs running_config", host=host, field="running_config",
                          fix="give the device's configuration text")
    if state in ACTION_STATES or state == "rendered":
        return _want(config, state, host)
    return None


def run(driver, state, config=None, running_config=None, check_mode=False, password_update="on_create",
        host=None):
    """Run one resource-module task against ``driver``; the only place that decides to write.

    The input is validated before the driver connects, and the driver validates the want against
    the platform/version before anything is rendered, so bad input fails before any write.
    """
    want = validate_params(state, config, running_config, host)
    if state == "parsed":
        return {"changed": False, "parsed": model.present(driver.parse(running_config))}
    if state == "rendered":
        driver.validate(want, state)
        plan = compute(want, model.empty_config(), "merged", driver.password_readable, "always")
        return {"changed": False, "rendered": driver.show(driver.render(plan))}
    try:
        have = driver.gather()
        if state == "gathered":
            return {"changed": False, "gathered": model.present(have)}
        driver.validate(want, state)
        plan = compute(want, have, state, driver.password_readable, password_update)
        commands = driver.render(plan)
        changed = bool(commands)
        if changed and not check_mode:
            driver.apply(commands)
    finally:
        driver.close()
    before = model.present(have)
    after = model.present(plan.after)
    return {
        "changed": changed,
        "commands": driver.show(commands),
        "before": before,
        "after": after,
        "diff": {"before": before, "after": after},
    }
