# -*- coding: utf-8 -*-
# Copyright: kubefabric.bgp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The resource-module engine shared by every ``<platform>_bgp`` module.

It turns ``want`` (the task's config), ``have`` (what the driver gathered) and ``state`` into a
``DeviceChange`` of platform-neutral operations plus the predicted ``after`` config, asks the driver to
render the plan into device commands, gates every write on check mode in ONE place (``run``), and
returns the Ansible network resource-module results: ``before``/``after``/``commands`` for the
action states, ``gathered``/``rendered``/``parsed`` for the others.  Secrets never reach a result.

A driver (see ``Driver`` and docs/device-model.md) knows one platform; the engine knows none.
"""

from __future__ import annotations

import copy

from ansible.module_utils.basic import missing_required_lib

from ..common.errors import FabricError, fail_module
from . import journal as _journal
from . import model
from . import owner as _owner

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
    * ``missing_requirement(state)`` -> None, or ``(library, import error)`` the state needs.
    * ``result_extras(state)`` -> dict of the platform's keys beside the engine's result.

    ``password_readable`` says whether ``gather`` can read neighbor passwords back (RouterOS:
    yes, print returns ``tcp-md5-key``; FRR: yes; Comware: no, it shows a cipher).  When it cannot, password changes follow the
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

    def missing_requirement(self, state):
        return None

    def result_extras(self, state):
        return {}


def close_quietly(close):
    """Call a connection's close/disconnect: a dead socket must not mask the task's result."""
    try:
        close()
    except Exception:  # pylint: disable=broad-except
        pass


class DeviceChange:
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
        return "DeviceChange(state=%s, ops=%r)" % (self.state, [(o["action"], o["object"], o["key"]) for o in self.ops])


def _same(field, left, right):
    return model.effective(field, left) == model.effective(field, right)


def _target(want_item, have_item, fields, key_field, replace, password_readable, password_update, rotate=()):
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
                if password_update == "always" or want_item.get(key_field) in rotate:
                    changes[field] = wanted
            continue
        if wanted is None and not replace:
            continue
        result[field] = wanted
        if not _same(field, have_item.get(field), wanted):
            changes[field] = wanted
    return result, changes


def _plan_items(ops, after_items, want_items, have_items, obj, fields, key_field, state, password_readable,
                password_update, rotate=()):
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
                                  password_readable, password_update, rotate)
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


def _delete_all(want, have, shared, password_update):
    """``deleted`` with no neighbor or range listed: remove everything owned (the global object too,
    unless the instance is shared)."""
    ops = []
    for neighbor in have["neighbors"]:
        ops.append(dict(action="delete", object="neighbor", key=neighbor["address"], before=neighbor,
                        after=None, changes={}))
    for rng in have["listen_ranges"]:
        ops.append(dict(action="delete", object="listen_range", key=rng["prefix"], before=rng,
                        after=None, changes={}))
    after = model.empty_config()
    if shared:
        after["asn"], after["router_id"] = have.get("asn"), have.get("router_id")
    elif have.get("asn") is not None or have.get("router_id") is not None:
        ops.append(dict(action="delete", object="global", key=None,
                        before={"asn": have.get("asn"), "router_id": have.get("router_id")}, after=None,
                        changes={}))
    return DeviceChange("deleted", want, have, after, ops, password_update)


def compute(want, have, state, password_readable=False, password_update="on_create", rotate=(), shared=False):
    """Plan the operations that take the device from ``have`` to ``want`` under ``state``.

    merged: set what ``want`` specifies, add missing neighbors/ranges, touch nothing else.
    replaced: like merged, but each listed neighbor/range (and router_id) is replaced as a whole:
        fields the task leaves out go back to their defaults.
    overridden: replaced, and every managed neighbor/range not listed is removed.
    deleted: remove the listed neighbors/ranges; with none listed, remove everything managed
        (neighbors, ranges, and the global asn/router_id object unless the instance is ``shared``).

    ``have`` holds only what the collection owns; ``shared`` says that the BGP instance also holds
    objects it does not own (then the global object is never removed and router_id never unset).
    ``rotate``: addresses whose password must be sent (a platform that cannot read it back saw that
    the password's fingerprint changed).
    """
    if state not in ACTION_STATES:
        raise ValueError("compute() handles %s, not %s" % (", ".join(ACTION_STATES), state))
    want = want or model.empty_config()
    have = have or model.empty_config()
    after = copy.deepcopy(have)
    ops = []

    if state == "deleted" and not want.get("neighbors") and not want.get("listen_ranges"):
        return _delete_all(want, have, shared, password_update)

    if state != "deleted":
        before_global = {"asn": have.get("asn"), "router_id": have.get("router_id")}
        after_global = dict(before_global)
        changes = {}
        if want.get("asn") is not None and want["asn"] != have.get("asn"):
            changes["asn"] = after_global["asn"] = want["asn"]
        if want.get("router_id") is not None or (state in ("replaced", "overridden") and not shared):
            if want.get("router_id") != have.get("router_id"):
                changes["router_id"] = after_global["router_id"] = want.get("router_id")
        if changes:
            ops.append(dict(action="update", object="global", key=None, before=before_global, after=after_global,
                            changes=changes))
            after.update(after_global)

    after_neighbors = {item["address"]: item for item in after["neighbors"]}
    _plan_items(ops, after_neighbors, want.get("neighbors") or [], have["neighbors"], "neighbor",
                model.NEIGHBOR_FIELDS, "address", state, password_readable, password_update, rotate)
    after_ranges = {item["prefix"]: item for item in after["listen_ranges"]}
    _plan_items(ops, after_ranges, want.get("listen_ranges") or [], have["listen_ranges"], "listen_range",
                model.LISTEN_RANGE_FIELDS, "prefix", state, password_readable, password_update)
    after["neighbors"] = sorted(after_neighbors.values(), key=lambda n: model._ip_sort_key(n["address"]))
    after["listen_ranges"] = sorted(after_ranges.values(), key=lambda r: model._ip_sort_key(r["prefix"]))
    return DeviceChange(state, want, have, after, ops, password_update)


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


class Ownership:
    """The device's BGP instance split into what ``owner`` owns and what it does not (``foreign``).

    ``owned`` is a model config in device terms (descriptions carry the marker); ``fingerprints``
    maps an owned neighbor's address to the password fingerprint its marker holds (or None).
    """

    def __init__(self, full, owner, host=None, want=None, adopt=False, pending=()):
        self.owner = owner
        self.owned = model.empty_config()
        self.owned["asn"], self.owned["router_id"] = full.get("asn"), full.get("router_id")
        self.foreign_neighbors = []
        self.foreign_ranges = []
        self.fingerprints = {}
        self.descriptions = {}
        self.adopted = []
        self.recovered = []
        wanted = {n["address"] for n in (want or {}).get("neighbors") or []}
        wanted_ranges = {r["prefix"] for r in (want or {}).get("listen_ranges") or []}
        for neighbor in full.get("neighbors") or []:
            marker = _owner.parse(neighbor.get("description"))
            mine = marker is not None and (marker[0] or _owner.DEFAULT_OWNER) == owner
            if not mine and neighbor["address"] in wanted:
                if marker is None and neighbor["address"] in pending:
                    self.recovered.append(neighbor["address"])  # created by a lost push (journal.py)
                    mine = True
                elif adopt and (marker is None or marker[0] is None):
                    self.adopted.append(neighbor["address"])
                    mine = True
                else:
                    whose = "not created by kubefabric" if marker is None else "owned by %r" % (marker[0] or "default")
                    raise FabricError(
                        "neighbor %s already exists on the device (%s); this run plans it for owner %r"
                        % (neighbor["address"], whose, owner), host=host,
                        field="config.neighbors[address=%s]" % neighbor["address"],
                        fix="remove it on the device by hand, or run once with adopt: true to take it over"
                        if marker is None else "give each fabric its own addresses, or remove it from fabric %r"
                        % (marker[0] or "default"))
            if mine:
                self.fingerprints[neighbor["address"]] = marker[1] if marker else None
                self.descriptions[neighbor["address"]] = marker[2] if marker else neighbor.get("description")
                self.owned["neighbors"].append(neighbor)
            else:
                self.foreign_neighbors.append(neighbor["address"])
        for rng in full.get("listen_ranges") or []:
            rng = dict(rng)
            mark = rng.get("_marker", True)  # kept: the driver writes it back unchanged
            mine = mark is True or _owner.owned_by(mark, owner)
            if not mine and rng["prefix"] in wanted_ranges:
                raise FabricError(
                    "listen range %s already exists on the device and is not owned by %r" % (rng["prefix"], owner),
                    host=host, field="config.listen_ranges[prefix=%s]" % rng["prefix"],
                    fix="remove it on the device by hand, or adopt it by setting its peer group's description "
                        "to %r" % _owner.make(owner))
            if mine:
                self.owned["listen_ranges"].append(rng)
            else:
                self.foreign_ranges.append(rng["prefix"])

    @property
    def shared(self):
        return bool(self.foreign_neighbors or self.foreign_ranges)

    def foreign_text(self):
        items = self.foreign_neighbors + self.foreign_ranges
        return ", ".join(items[:5]) + (" and %d more" % (len(items) - 5) if len(items) > 5 else "")


def mark(want, owner, ownership=None, description_max=None, state="merged", password_update="on_change"):
    """``want`` in device terms: every neighbor's description carries the owner marker (with the
    password's fingerprint), every listen range the marker its peer group gets; and the addresses
    whose password fingerprint differs from the one on the device (``rotate``)."""
    out = copy.deepcopy(want)
    rotate = set()
    have_fps = ownership.fingerprints if ownership is not None else {}
    for neighbor in out.get("neighbors") or []:
        address = neighbor["address"]
        fp = _owner.fingerprint(neighbor.get("password"), owner, address)
        if fp is None or (password_update == "on_create" and address in have_fps):
            fp = have_fps.get(address)  # no password in the task, or it is not sent: keep the device's
        elif address in have_fps and have_fps[address] != fp:
            rotate.add(address)
        description = neighbor.get("description")
        if description is None and state in ("merged", "deleted") and ownership is not None:
            description = ownership.descriptions.get(address)  # merged: an unset field is left as it is
        neighbor["description"] = _owner.make(owner, description, fp, description_max)
    for rng in out.get("listen_ranges") or []:
        rng["_marker"] = _owner.make(owner)
    return out, rotate


def user_view(config):
    """A device-terms config as the task sees it: descriptions without the marker, no range markers."""
    if config is None:
        return None
    out = copy.deepcopy(config)
    for neighbor in out.get("neighbors") or []:
        neighbor["description"] = _owner.user_part(neighbor.get("description"))
    for rng in out.get("listen_ranges") or []:
        rng.pop("_marker", None)
    return out


def check_shared_globals(plan, ownership, host=None):
    """Refuse a change of the instance's AS or router ID while it carries neighbors the run does not own."""
    if not ownership.shared:
        return
    for op in plan.of("global", "update"):
        if op["before"].get("asn") is None:
            continue
        for field in ("asn", "router_id"):
            if field in op["changes"]:
                raise FabricError(
                    "changing %s from %s to %s resets the whole BGP instance, which also carries neighbors/ranges "
                    "this run does not own (%s); nothing was changed" % (field, op["before"].get(field),
                                                                         op["changes"][field], ownership.foreign_text()),
                    host=host, field="config.%s" % field,
                    fix="keep %s %s, or move or remove the other neighbors by hand first (maintenance window)"
                    % (field, op["before"].get(field)))


def _effective_equal(field, wanted, got):
    if field == "description":
        return (wanted or None) == (got or None)
    return model.effective(field, wanted) == model.effective(field, got)


def verify(wanted, got, host=None, password_readable=False):
    """Compare the owned config read back after a write with the one wanted; raise naming every field
    that differs (a value that was not specified, None, is not compared)."""
    problems = []
    if wanted.get("asn") is not None and wanted["asn"] != got.get("asn"):
        problems.append("config.asn")
    if wanted.get("router_id") is not None and wanted["router_id"] != got.get("router_id"):
        problems.append("config.router_id")
    got_n = {n["address"]: n for n in got.get("neighbors") or []}
    want_n = {n["address"]: n for n in wanted.get("neighbors") or []}
    for address in sorted(set(got_n) - set(want_n), key=model.ip_sort_key):
        problems.append("config.neighbors[address=%s] (still on the device)" % address)
    for address in sorted(want_n, key=model.ip_sort_key):
        if address not in got_n:
            problems.append("config.neighbors[address=%s] (missing on the device)" % address)
            continue
        for field in model.NEIGHBOR_FIELDS:
            value = want_n[address].get(field)
            if field == "address" or (value is None and field not in model.DEFAULTS):
                continue
            if field in model.SECRET_FIELDS:
                if password_readable and value != got_n[address].get(field):
                    problems.append("config.neighbors[address=%s].password" % address)
                continue
            if not _effective_equal(field, value, got_n[address].get(field)):
                problems.append("config.neighbors[address=%s].%s" % (address, field))
    got_r = {r["prefix"]: r for r in got.get("listen_ranges") or []}
    want_r = {r["prefix"]: r for r in wanted.get("listen_ranges") or []}
    for prefix in sorted(set(got_r) ^ set(want_r), key=model.ip_sort_key):
        problems.append("config.listen_ranges[prefix=%s]" % prefix)
    for prefix in sorted(set(got_r) & set(want_r), key=model.ip_sort_key):
        for field in ("remote_as", "peer_group"):
            if want_r[prefix].get(field) is not None and want_r[prefix][field] != got_r[prefix].get(field):
                problems.append("config.listen_ranges[prefix=%s].%s" % (prefix, field))
    if problems:
        raise FabricError("the configuration read back after the change differs from the one sent: %s"
                          % ", ".join(problems), host=host, field=problems[0],
                          fix="inspect the device's BGP configuration (another writer, or a value the device "
                              "rewrites); the next run sends the difference again")


def run(driver, state, config=None, running_config=None, check_mode=False, password_update="on_change",
        host=None, owner=None, adopt=False):
    """Run one resource-module task against ``driver``; the only place that decides to write.

    The input is validated before the driver connects, and the driver validates the want against
    the platform/version before anything is rendered, so bad input fails before any write.  Only the
    neighbors/ranges marked for ``owner`` are compared, changed or removed (``Ownership``); after a
    write the device is read again and ``after`` is that read-back (``verify``).
    """
    want = validate_params(state, config, running_config, host)
    owner = _owner.check_owner(owner, host)
    limit = getattr(driver, "description_max", None)
    if state == "parsed":
        return {"changed": False, "parsed": model.present(user_view(driver.parse(running_config)))}
    if state == "rendered":
        driver.validate(want, state)
        dwant, _rotate = mark(want, owner, None, limit)
        plan = compute(dwant, model.empty_config(), "merged", driver.password_readable, "always")
        return {"changed": False, "rendered": driver.show(driver.render(plan))}
    read_back = None
    try:
        full = driver.gather()
        if state == "gathered":
            return {"changed": False, "gathered": model.present(user_view(Ownership(full, owner, host).owned))}
        driver.validate(want, state)
        ownership = Ownership(full, owner, host, want=want, adopt=adopt, pending=_journal.pending(host, owner))
        dwant, rotate = mark(want, owner, ownership, limit, state, password_update)
        if password_update != "on_change" or driver.password_readable:
            rotate = set()
        mode = "on_create" if password_update == "on_change" else password_update
        plan = compute(dwant, ownership.owned, state, driver.password_readable, mode, rotate, ownership.shared)
        check_shared_globals(plan, ownership, host)
        commands = driver.render(plan)
        changed = bool(commands)
        if changed and not check_mode:
            creating = [op["key"] for op in plan.of("neighbor", "add")]
            if creating:
                _journal.record(host, owner, creating)
            driver.apply(commands)
            read_back = Ownership(driver.gather(), owner, host).owned
            verify(plan.after, read_back, host, driver.password_readable)
            _journal.clear(host, owner)
    finally:
        driver.close()
    before = model.present(user_view(ownership.owned))
    after = model.present(user_view(read_back if read_back is not None else plan.after))
    result = {
        "changed": changed,
        "commands": driver.show(commands),
        "before": before,
        "after": after,
        "diff": {"before": before, "after": after},
    }
    if ownership.adopted:
        result["adopted"] = ownership.adopted
    if ownership.recovered:
        result["recovered"] = ownership.recovered
    return result


def run_module(module, driver):
    """The module edge of the device family (routeros_bgp, comware_bgp, frr_bgp): ``run`` with the
    module's params, then ``exit_json`` with the engine's result and the driver's extras, or
    ``fail_json`` with the ``FabricError`` (host, field, fix) that stopped it."""
    params = module.params
    state = params.get("state") or "merged"
    missing = driver.missing_requirement(state)
    if missing:
        module.fail_json(msg=missing_required_lib(missing[0]), exception=str(missing[1]))
    host = params.get("hostname") or driver.platform
    try:
        result = run(driver, state, config=params.get("config"), running_config=params.get("running_config"),
                     check_mode=module.check_mode, password_update=params.get("password_update") or "on_change",
                     host=host, owner=params.get("owner"), adopt=bool(params.get("adopt")))
        result.update(driver.result_extras(state))
    except FabricError as exc:
        if exc.host is None:
            exc.host = host
        fail_module(module, exc)
        return
    module.exit_json(**result)
