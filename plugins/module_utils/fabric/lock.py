# -*- coding: utf-8 -*-
# Copyright: kubefabric.bgp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One run at a time per fabric: a ``coordination.k8s.io/v1`` Lease in the cluster.

The pattern playbooks and migrations take the lock right after pre-flight, before their first
write, renew it between their phases and release it at the end (also when they fail). The Lease's
``holderIdentity`` names the run (a run id, the controller's host name and the ansible-playbook
pid); a second run finds it held and stops at once, naming the holder. A lease that was not renewed
within ``leaseDurationSeconds`` is stale (the run died) and is taken over, as is one whose holder
process no longer exists on this same controller. Every write is optimistic (``resourceVersion``):
two runs that race for a free lease get one 409 between them, and the loser is refused.
"""

from __future__ import annotations

import datetime
import json
import os
import socket
import uuid

from ..common.errors import FabricError
from ..calico import k8s

DEFAULT_NAME = "kubefabric-fabric-lock"
DEFAULT_NAMESPACE = "kube-system"
DEFAULT_DURATION = 900
MICROTIME = "%Y-%m-%dT%H:%M:%S.%fZ"


def new_holder(run_id=None, host=None, pid=None):
    """The holder identity of this run: ``{"run", "host", "pid"}`` as compact JSON text."""
    return json.dumps({"run": run_id or uuid.uuid4().hex[:12], "host": host or socket.gethostname(),
                       "pid": int(pid if pid is not None else os.getppid())}, sort_keys=True,
                      separators=(",", ":"))


def describe_holder(text):
    try:
        data = json.loads(text)
        return "run %s on %s (pid %s)" % (data["run"], data["host"], data["pid"])
    except (ValueError, TypeError, KeyError):
        return repr(text)


def _holder_is_dead_here(text):
    """True when the holder ran on this controller and its process is gone (it cannot renew)."""
    try:
        data = json.loads(text)
        if data.get("host") != socket.gethostname():
            return False
        os.kill(int(data["pid"]), 0)
    except ProcessLookupError:
        return True
    except (ValueError, TypeError, KeyError, PermissionError, OSError):
        return False
    return False


def _format(moment):
    return moment.strftime(MICROTIME)


def _parse(text):
    if not text:
        return None
    for fmt in (MICROTIME, "%Y-%m-%dT%H:%M:%SZ"):
        try:
            return datetime.datetime.strptime(text, fmt).replace(tzinfo=datetime.timezone.utc)
        except ValueError:
            continue
    return None


def _now():
    return datetime.datetime.now(datetime.timezone.utc)


def lease_object(name, namespace, holder, duration, moment, transitions=0, acquired=None):
    return {
        "apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
        "metadata": {"name": name, "namespace": namespace, "labels": {k8s.MANAGED_BY_LABEL: k8s.MANAGED_BY}},
        "spec": {"holderIdentity": holder, "leaseDurationSeconds": int(duration),
                 "acquireTime": _format(acquired or moment), "renewTime": _format(moment),
                 "leaseTransitions": int(transitions)},
    }


def expiry(lease):
    spec = (lease or {}).get("spec") or {}
    renewed = _parse(spec.get("renewTime")) or _parse(spec.get("acquireTime"))
    if renewed is None:
        return None
    return renewed + datetime.timedelta(seconds=int(spec.get("leaseDurationSeconds") or 0))


def held_error(lease, name, namespace, moment):
    spec = lease.get("spec") or {}
    until = expiry(lease)
    return FabricError(
        "the fabric is locked by another run: Lease %s/%s is held by %s since %s, renewed %s, valid until %s"
        % (namespace, name, describe_holder(spec.get("holderIdentity")), spec.get("acquireTime"),
           spec.get("renewTime"), _format(until) if until else "?"),
        host="Lease/%s/%s" % (namespace, name), field="lock",
        fix="wait for that run to finish (it releases the lock at its end, also on failure) and run again; if "
            "that run is dead, the lock expires at %s, or delete it: kubectl -n %s delete lease %s. Nothing was "
            "changed by this run" % (_format(until) if until else "its renewTime + leaseDurationSeconds", namespace,
                                     name),
        details={"holder": spec.get("holderIdentity"), "expires": _format(until) if until else None,
                 "checked_at": _format(moment)})


def acquire(client, holder, name=DEFAULT_NAME, namespace=DEFAULT_NAMESPACE, duration=DEFAULT_DURATION, now=_now,
            renew_only=False):
    """Take (or renew, when ours) the lock; raise FabricError naming the holder when another run has it.

    ``renew_only``: the lock must already be ours (a later phase of the same run): a lost lock fails.
    Returns ``{"acquired": bool (newly), "renewed": bool, "took_over": holder of a stale lease or None}``.
    """
    moment = now()
    lease = client.get("Lease", name, namespace)
    result = {"acquired": False, "renewed": False, "took_over": None, "holder": holder, "name": name,
              "namespace": namespace}
    try:
        if lease is None:
            if renew_only:
                raise FabricError("this run lost the fabric lock: Lease %s/%s does not exist any more" % (namespace, name),
                                  host="Lease/%s/%s" % (namespace, name), field="lock",
                                  fix="someone deleted the lock while this run held it: check that no other run is "
                                      "changing the fabric, then rerun")
            client.create("Lease", lease_object(name, namespace, holder, duration, moment))
            result["acquired"] = True
            return result
        spec = lease.get("spec") or {}
        current = spec.get("holderIdentity")
        body = lease_object(name, namespace, holder, duration, moment, spec.get("leaseTransitions") or 0,
                            _parse(spec.get("acquireTime")))
        body["metadata"]["resourceVersion"] = lease["metadata"].get("resourceVersion")
        if current == holder:
            client.replace("Lease", body)
            result["renewed"] = True
            return result
        if renew_only:
            raise FabricError("this run lost the fabric lock to %s" % describe_holder(current),
                              host="Lease/%s/%s" % (namespace, name), field="lock",
                              fix="the lock expired while this run held it (raise kubefabric_lock_duration) or was "
                                  "taken: check what the other run changed, then rerun")
        until = expiry(lease)
        stale = not current or until is None or until <= moment or _holder_is_dead_here(current)
        if not stale:
            raise held_error(lease, name, namespace, moment)
        body["spec"]["acquireTime"] = _format(moment)
        body["spec"]["leaseTransitions"] = int(spec.get("leaseTransitions") or 0) + 1
        client.replace("Lease", body)
        result.update(acquired=True, took_over=current)
        return result
    except FabricError as exc:
        if exc.details.get("status") != 409:
            raise
        # another run created or updated the lease between our read and our write: it won
        lease = client.get("Lease", name, namespace)
        if lease is None:
            raise
        raise held_error(lease, name, namespace, moment) from None


def release(client, holder, name=DEFAULT_NAME, namespace=DEFAULT_NAMESPACE):
    """Delete the lease when this run holds it; someone else's lease is left alone."""
    lease = client.get("Lease", name, namespace)
    if lease is None:
        return {"released": False, "reason": "no lock"}
    current = (lease.get("spec") or {}).get("holderIdentity")
    if current != holder:
        return {"released": False, "reason": "held by %s" % describe_holder(current)}
    options = {"apiVersion": "v1", "kind": "DeleteOptions",
               "preconditions": {"resourceVersion": lease["metadata"].get("resourceVersion")}}
    client.delete("Lease", name, namespace, body=options)
    return {"released": True}


def run(params, check_mode=False, holder=None):
    """The body of kubefabric.bgp.fabric_lock (module or action plugin): ``params`` are its options."""
    holder = params.get("holder") or holder or new_holder()
    name, namespace = params.get("name") or DEFAULT_NAME, params.get("namespace") or DEFAULT_NAMESPACE
    client = k8s.connect(dict(params, api_group="auto"), check_mode=check_mode)
    state = params.get("state") or "acquired"
    if check_mode:
        lease = client.get("Lease", name, namespace)
        current = ((lease or {}).get("spec") or {}).get("holderIdentity")
        return {"changed": False, "holder": holder, "held_by": current}
    if state == "released":
        outcome = release(client, holder, name, namespace)
        return dict(outcome, changed=outcome["released"], holder=holder)
    outcome = acquire(client, holder, name, namespace, params.get("duration") or DEFAULT_DURATION,
                      renew_only=(state == "renewed"))
    return dict(outcome, changed=True)
