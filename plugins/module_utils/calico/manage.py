# -*- coding: utf-8 -*-
# Copyright: kubefabric.bgp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the Calico modules do: module options -> Calico objects -> a plan of writes -> results.

Every module follows the same order, so that bad input never leaves a half-applied change:

1. build the desired objects from the options (pure; AS numbers, selectors, IPs checked here);
2. validate them with the collection's one Calico model (``resources.validate``), whichever API
   group is served (the ``crd.projectcalico.org/v1`` CRDs skip Calico's validation, so the
   collection does it);
3. read what exists and plan the writes (:class:`CalicoChange`), computing ``changed`` and the diff;
4. only then write, through :class:`~.k8s.KubeClient` (server-side dry run in check mode).

Secrets: a password given in clear is stored in a Secret labelled managed-by kubefabric and the
Calico object references it (``secretKeyRef``). A changed password is found by comparing with the
Secret's data; diffs and results show only the reference and a ``<hidden, changed>`` marker.
"""

from __future__ import annotations

import base64
import copy
import json
import time

from ansible.module_utils.basic import missing_required_lib

from ..common.errors import FabricError, fail_module
from ..common.query import check_expectations
from . import k8s
from .asn import parse_asn
from .k8s import MANAGED_BY, MANAGED_BY_LABEL
from . import resources
from . import nodes as calico_nodes
from . import selector as calico_selector
from . import status
from .status import status_rows
from .peering import load_documents

SECRET_KEY = "password"


# -- the plan --------------------------------------------------------------------------------------
CONFLICT_RETRIES = 3


def merged_body(existing, desired):
    """``existing`` with the desired spec and the desired labels/annotations merged in (a replace body)."""
    meta = desired["metadata"]
    body = copy.deepcopy(existing)
    body.pop("status", None)
    for key, value in desired.items():
        if key not in ("metadata", "apiVersion", "kind"):
            body[key] = copy.deepcopy(value)
    body_meta = body.setdefault("metadata", {})
    for field in ("labels", "annotations"):
        if meta.get(field):
            merged = dict(body_meta.get(field) or {})
            merged.update(meta[field])
            body_meta[field] = merged
    return body


def _status(exc):
    return (getattr(exc, "details", None) or {}).get("status")


class CalicoChange:
    """Planned writes with their diff; ``run()`` performs them (dry run in check mode).

    A write that fails part-way raises one FabricError whose ``details`` name the objects written
    (``written``) and not written (``not_written``); every write is idempotent, so a rerun resumes.
    A 409 conflict (someone changed the object since it was read) re-reads and re-applies, up to
    ``CONFLICT_RETRIES`` times.
    """

    def __init__(self, client):
        self.client = client
        self.steps = []           # (ref, function, args)
        self.before = {}
        self.after = {}
        self.objects = []         # result rows {kind, name, namespace, action}
        self.warnings = []
        self._current = {}        # ref -> the object as read when planned
        self.written = []
        self.not_written = []
        self.extra = {}           # what the module returns besides the objects (e.g. the resulting spec)
        self.nodes_after = None   # plan_nodes: every k8s Node of the cluster as the plan leaves it

    @property
    def changed(self):
        return bool(self.steps)

    def _record(self, kind, name, namespace, action, before, after):
        ref = k8s.KubeClient.ref(kind, name, namespace)
        row = {"kind": kind, "name": name, "action": action}
        if namespace:
            row["namespace"] = namespace
        self.objects.append(row)
        if action != "unchanged":
            self.before[ref] = before
            self.after[ref] = after
        return row

    def _converge(self, kind, desired, same):
        """Create or replace ``desired``; on a 409 conflict re-read and re-apply (bounded)."""
        meta = desired["metadata"]
        name, namespace = meta["name"], meta.get("namespace")
        existing = self._current.get(k8s.KubeClient.ref(kind, name, namespace))
        for attempt in range(CONFLICT_RETRIES + 1):
            try:
                if existing is None:
                    return self.client.create(kind, desired)
                return self.client.replace(kind, merged_body(existing, desired))
            except FabricError as exc:
                if _status(exc) != 409 or attempt == CONFLICT_RETRIES:
                    if _status(exc) == 409:
                        ref = k8s.KubeClient.ref(kind, name, namespace)
                        exc.fix = ("another client keeps changing %s (%d conflicts in a row): find it (kubectl get "
                                   "-o yaml, managedFields) and rerun" % (ref, attempt + 1))
                    raise
                existing = self.client.get(kind, name, namespace)
                if existing is not None and same(existing, desired):
                    return existing  # the other writer wrote what we want
        return None  # pragma: no cover - the loop returns or raises

    def ensure(self, kind, desired, existing, same, changed_secret_keys=()):
        """Create ``desired`` or replace ``existing`` with it unless ``same(existing, desired)``."""
        meta = desired["metadata"]
        name, namespace = meta["name"], meta.get("namespace")
        hide = dict(changed_secret_keys=changed_secret_keys)
        ref = k8s.KubeClient.ref(kind, name, namespace)
        self._current[ref] = existing
        if existing is None:
            self.steps.append((ref, self._converge, (kind, desired, same)))
            return self._record(kind, name, namespace, "created", None, k8s.for_diff(desired, **hide))
        if same(existing, desired):
            return self._record(kind, name, namespace, "unchanged", None, None)
        body = merged_body(existing, desired)
        self.steps.append((ref, self._converge, (kind, desired, same)))
        before = k8s.for_diff(existing)
        return self._record(kind, name, namespace, "updated", before, k8s.for_diff(body, **hide))

    def patch(self, kind, existing, patch, after):
        """A merge patch of ``existing`` (``after`` is the object as it will be)."""
        meta = existing["metadata"]
        ref = k8s.KubeClient.ref(kind, meta["name"], meta.get("namespace"))
        self.steps.append((ref, self.client.patch, (kind, meta["name"], patch, meta.get("namespace"))))
        return self._record(kind, meta["name"], meta.get("namespace"), "updated", k8s.for_diff(existing),
                            k8s.for_diff(after))

    def unchanged(self, kind, name, namespace=None):
        return self._record(kind, name, namespace, "unchanged", None, None)

    def delete(self, kind, existing):
        meta = existing["metadata"]
        ref = k8s.KubeClient.ref(kind, meta["name"], meta.get("namespace"))
        self.steps.append((ref, self.client.delete, (kind, meta["name"], meta.get("namespace"))))
        return self._record(kind, meta["name"], meta.get("namespace"), "deleted", k8s.for_diff(existing), None)

    def run(self, keep_going=False):
        """Perform the writes in order. ``keep_going`` (for dry runs) tries every write and reports
        every failure; otherwise the first failure stops the run. Raises one FabricError naming what
        was written and what was not."""
        self.written, self.not_written, failures = [], [], []
        for index, (ref, function, args) in enumerate(self.steps):
            if failures and not keep_going:
                self.not_written.extend(step[0] for step in self.steps[index:])
                break
            try:
                function(*args)
            except FabricError as exc:
                failures.append((ref, exc))
                self.not_written.append(ref)
                continue
            self.written.append(ref)
        if failures:
            raise self.partial_error(failures)

    def partial_error(self, failures):
        ref, first = failures[0]
        dry = self.client.check_mode
        if len(failures) == 1 and not self.written and len(self.steps) == 1:
            first.details = dict(first.details, written=[], not_written=list(self.not_written))
            return first
        verb = "dry run of" if dry else "write of"
        message = "%s (%s %s failed; %s: %s; %s: %s)" % (
            first.message, verb, ref, "validated" if dry else "written", ", ".join(self.written) or "nothing",
            "refused" if dry else "not written", ", ".join(self.not_written))
        for other_ref, other in failures[1:]:
            message += "; %s: %s" % (other_ref, other.message)
        fix = first.fix or "correct the cause"
        if not dry and self.written:
            fix += "; then rerun: the objects already written are left as they are and the rest is written"
        return FabricError(message, host=first.host or ref, field=first.field, fix=fix,
                           details=dict(first.details, written=list(self.written), not_written=list(self.not_written),
                                        failed=[r for r, _e in failures]))

    def diff(self):
        return {"before": self.before, "after": self.after}

    @classmethod
    def combine(cls, client, changes):
        """One change made of ``changes`` (planned against ``client``), written in their order by one
        ``run()``: what calico_apply uses to write peers, nodes and the configuration back to back."""
        combined = cls(client)
        for change in changes:
            combined.steps.extend(change.steps)
            combined.objects.extend(change.objects)
            combined.before.update(change.before)
            combined.after.update(change.after)
            combined.warnings.extend(change.warnings)
        return combined

    def result(self):
        result = dict(changed=self.changed, api_group=self.client._group, objects=self.objects,
                      writes=len(self.client.writes))
        if self.warnings:
            result["warnings"] = list(self.warnings)
        result.update(self.extra)
        return result


# -- shared helpers --------------------------------------------------------------------------------
def _drop_none(mapping):
    return dict((key, value) for key, value in mapping.items() if value is not None)


def _asn_text(value):
    """An AS number option as Calico's decoder receives it: an int when plain, else the text."""
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return value


ASN_FIELDS = ("asNumber", "localASNumber")


def to_storage(obj):
    """The object as written: AS numbers as plain integers (both groups' schemas are integers)."""
    obj = copy.deepcopy(obj)
    spec = obj.get("spec") or {}
    for field in ASN_FIELDS:
        if spec.get(field) is not None:
            spec[field] = parse_asn(spec[field])
    return obj


def validate(obj, group=k8s.V3, context=None):
    """The one Calico model (``resources``): raise FabricError in Calico's wording when invalid.

    ``projectcalico.org/v3`` means Calico's full rules (what the Calico API server enforces); the
    other group means the CRD schema and CEL rules of ``crd.projectcalico.org/v1``.
    """
    resources.check(obj, group, api_server=(group == k8s.V3), context=context)


def validate_for_group(objects, client):
    """Objects already checked with Calico's rules, converted for storage and checked by the served
    group's schema (``crd.projectcalico.org/v1`` has integer AS numbers, int32)."""
    group = client.calico_group
    stored = [to_storage(obj) for obj in objects]
    if group != k8s.V3:
        for obj in stored:
            validate(obj, group)
    return stored


def calico_object(kind, name, spec, labels=None):
    metadata = {"name": name, "labels": {MANAGED_BY_LABEL: MANAGED_BY}}
    if labels:
        metadata["labels"].update(labels)
    return {"apiVersion": k8s.V3, "kind": kind, "metadata": metadata, "spec": spec}


def _normal_spec(obj, group):
    obj = copy.deepcopy(obj or {})
    obj.setdefault("spec", {})
    try:
        obj = resources.apply_defaults(obj, group) or obj
    except (KeyError, ValueError, TypeError):
        pass
    return json.loads(json.dumps(obj.get("spec") or {}, sort_keys=True))


def same_calico(group):
    """Equality of two Calico objects: spec (with defaults applied) and the desired labels."""
    def same(existing, desired):
        labels = (existing.get("metadata") or {}).get("labels") or {}
        for key, value in ((desired.get("metadata") or {}).get("labels") or {}).items():
            if labels.get(key) != value:
                return False
        return _normal_spec(existing, group) == _normal_spec(desired, group)
    return same


# -- secrets ---------------------------------------------------------------------------------------
def secret_object(name, namespace, key, value, owner):
    return {
        "apiVersion": "v1", "kind": "Secret", "type": "Opaque",
        "metadata": {"name": name, "namespace": namespace,
                     "labels": {MANAGED_BY_LABEL: MANAGED_BY},
                     "annotations": {"kubefabric.io/used-by": owner}},
        "data": {key: base64.b64encode(value.encode("utf-8")).decode("ascii")},
    }


def secret_value(secret, key):
    data = (secret or {}).get("data") or {}
    if key not in data:
        return None
    try:
        return base64.b64decode(data[key]).decode("utf-8")
    except (ValueError, UnicodeDecodeError):
        return None


def plan_secret(plan, name, namespace, key, value, owner):
    """Ensure the Secret holds ``value`` under ``key``; the value never reaches the diff."""
    client = plan.client
    existing = client.get("Secret", name, namespace)
    desired = secret_object(name, namespace, key, value, owner)
    if existing is not None and not k8s.is_managed(existing) and secret_value(existing, key) != value:
        raise FabricError("Secret %s/%s exists and is not managed by kubefabric" % (namespace, name),
                          host="Secret/%s/%s" % (namespace, name), field="password",
                          fix="reference it with password_secret instead of a clear password, or choose another name")

    def same(have, want):
        return secret_value(have, key) == value and k8s.is_managed(have)
    changed_keys = () if secret_value(existing, key) == value else (key,)
    return plan.ensure("Secret", desired, existing, same, changed_secret_keys=changed_keys)


def plan_secret_removal(plan, ref, namespace):
    """Delete the Secret a removed object referenced, when kubefabric made it."""
    name = ((ref or {}).get("secretKeyRef") or {}).get("name")
    if not name:
        return
    existing = plan.client.get("Secret", name, namespace)
    if existing is not None and k8s.is_managed(existing):
        plan.delete("Secret", existing)


def plan_orphaned_secret(plan, have, field, new_spec, namespace):
    """A kubefabric Secret the object referenced and no longer references is deleted."""
    old_ref = ((have or {}).get("spec") or {}).get(field)
    old_name = ((old_ref or {}).get("secretKeyRef") or {}).get("name")
    new_name = (((new_spec or {}).get(field) or {}).get("secretKeyRef") or {}).get("name")
    if old_name and old_name != new_name:
        plan_secret_removal(plan, old_ref, namespace)


def _password_ref(clear, reference, default_name):
    """The ``secretKeyRef`` for a clear password and/or a reference, or None when neither is given."""
    reference = reference or {}
    if clear is None and not reference.get("name"):
        return None
    return {"secretKeyRef": {"name": reference.get("name") or default_name, "key": reference.get("key") or SECRET_KEY}}


# -- BGPPeer ---------------------------------------------------------------------------------------
PEER_FIELDS = (
    # option, Calico field, kind of value
    ("peer_ip", "peerIP", "str"),
    ("as_number", "asNumber", "asn"),
    ("node", "node", "str"),
    ("node_selector", "nodeSelector", "str"),
    ("peer_selector", "peerSelector", "str"),
    ("local_workload_selector", "localWorkloadSelector", "str"),
    ("source_address", "sourceAddress", "str"),
    ("keep_original_next_hop", "keepOriginalNextHop", "bool"),
    ("next_hop_mode", "nextHopMode", "str"),
    ("max_restart_time", "maxRestartTime", "str"),
    ("keepalive_time", "keepaliveTime", "str"),
    ("ttl_security", "ttlSecurity", "int"),
    ("num_allowed_local_as_numbers", "numAllowedLocalASNumbers", "int"),
    ("local_as_number", "localASNumber", "asn"),
    ("reachable_by", "reachableBy", "str"),
    ("reverse_peering", "reversePeering", "str"),
    ("filters", "filters", "list"),
)


def peer_secret_name(peer_name):
    return "kubefabric-bgppeer-%s" % peer_name


def build_peer(options, index=None):
    """(BGPPeer object, clear password or None) from one entry of the ``peers`` option."""
    name = options["name"]
    spec = {}
    for option, field, kind in PEER_FIELDS:
        value = options.get(option)
        if value is None:
            continue
        if kind == "asn":
            value = _asn_text(value)
        spec[field] = value
    password_ref = _password_ref(options.get("password"), options.get("password_secret"),
                                 peer_secret_name(name))
    if password_ref:
        spec["password"] = password_ref
    return calico_object("BGPPeer", name, spec, options.get("labels")), options.get("password")


def plan_peers(client, params, nodes=None):
    """Plan for calico_bgp_peer: every listed peer present/absent, and the purge of ``exclusive``.
    ``nodes``: the cluster's k8s Nodes the selectors are checked against (default: as they are now)."""
    entries = params.get("peers") or []
    state = params.get("state") or "present"
    namespace = params.get("secret_namespace") or "kube-system"
    names = [entry["name"] for entry in entries]
    duplicates = sorted(set(n for n in names if names.count(n) > 1))
    if duplicates:
        raise FabricError("peer %s is listed more than once" % ", ".join(duplicates), field="peers",
                          fix="give each BGPPeer once")
    built = [build_peer(entry, index) for index, entry in enumerate(entries)]
    if state == "present":
        for peer, _clear in built:
            validate(peer)                      # offline: Calico's rules, before any request
        if any(peer["spec"].get("filters") for peer, _clear in built):
            context = {"bgpfilters": [f["metadata"]["name"] for f in client.list("BGPFilter")]}
            for peer, _clear in built:
                validate(peer, context=context)
        stored = validate_for_group([peer for peer, _clear in built], client)
        built = [(obj, clear) for obj, (_peer, clear) in zip(stored, built)]
    group = client.calico_group
    plan = CalicoChange(client)
    existing = dict((item["metadata"]["name"], item) for item in client.list("BGPPeer"))
    same = same_calico(group)
    for peer, clear in built:
        name = peer["metadata"]["name"]
        have = existing.get(name)
        if state == "absent":
            if have is None:
                plan.unchanged("BGPPeer", name)
                continue
            plan.delete("BGPPeer", have)
            plan_secret_removal(plan, (have.get("spec") or {}).get("password"), namespace)
            continue
        if clear is not None:
            secret_ref = peer["spec"]["password"]["secretKeyRef"]
            plan_secret(plan, secret_ref["name"], namespace, secret_ref["key"], clear, "BGPPeer/%s" % name)
        plan.ensure("BGPPeer", peer, have, same)
        plan_orphaned_secret(plan, have, "password", peer["spec"], namespace)
    if state == "present":
        plan.warnings.extend(unmatched_selectors([peer for peer, _clear in built], client, nodes))
    if params.get("exclusive") and state == "present":
        listed = set(names)
        for name in sorted(existing):
            have = existing[name]
            if name not in listed and k8s.is_managed(have):
                plan.delete("BGPPeer", have)
                plan_secret_removal(plan, (have.get("spec") or {}).get("password"), namespace)
    return plan


def unmatched_selectors(peers, client, nodes=None):
    """Warnings for BGPPeers whose nodeSelector matches none of the cluster's nodes (``nodes``, default:
    the nodes as they are now)."""
    selecting = [p for p in peers if (p.get("spec") or {}).get("nodeSelector")]
    if not selecting:
        return []
    labels = [((calico_nodes.calico_node_from_k8s(node).get("metadata") or {}).get("labels") or {})
              for node in (client.list("Node") if nodes is None else nodes)]
    warnings = []
    for peer in selecting:
        text = peer["spec"]["nodeSelector"]
        try:
            parsed = calico_selector.parse(text)
        except calico_selector.SelectorError:
            continue  # validation reports it
        if not any(parsed.evaluate(node_labels) for node_labels in labels):
            target = peer["spec"].get("peerIP") or "its peers"
            warnings.append("BGPPeer %s: nodeSelector %r matches no node of the cluster now, so no node will "
                            "peer with %s until a node carries those labels (check the node labels, e.g. the "
                            "rack label set by calico_node)" % (peer["metadata"]["name"], text, target))
    return warnings


# -- BGPConfiguration ------------------------------------------------------------------------------
CONFIG_FIELDS = (
    ("as_number", "asNumber", "asn"),
    ("node_to_node_mesh_enabled", "nodeToNodeMeshEnabled", "bool"),
    ("log_severity_screen", "logSeverityScreen", "str"),
    ("listen_port", "listenPort", "int"),
    ("service_cluster_ips", "serviceClusterIPs", "cidrs"),
    ("service_external_ips", "serviceExternalIPs", "cidrs"),
    ("service_load_balancer_ips", "serviceLoadBalancerIPs", "cidrs"),
    ("service_load_balancer_aggregation", "serviceLoadBalancerAggregation", "str"),
    ("communities", "communities", "list"),
    ("prefix_advertisements", "prefixAdvertisements", "prefixes"),
    ("node_mesh_max_restart_time", "nodeMeshMaxRestartTime", "str"),
    ("bind_mode", "bindMode", "str"),
    ("ignored_interfaces", "ignoredInterfaces", "list"),
    ("ipv4_normal_route_priority", "ipv4NormalRoutePriority", "int"),
    ("ipv6_normal_route_priority", "ipv6NormalRoutePriority", "int"),
    ("program_cluster_routes", "programClusterRoutes", "str"),
    ("local_workload_peering_ipv4", "localWorkloadPeeringIPV4", "str"),
    ("local_workload_peering_ipv6", "localWorkloadPeeringIPV6", "str"),
)
NODE_MESH_SECRET = "kubefabric-node-mesh-password"


def config_name(params):
    if params.get("node"):
        return "node.%s" % params["node"]
    return params.get("name") or "default"


def build_config_spec(params):
    spec = {}
    for option, field, kind in CONFIG_FIELDS:
        value = params.get(option)
        if value is None:
            continue
        if kind == "asn":
            value = _asn_text(value)
        elif kind == "cidrs":
            value = [{"cidr": cidr} for cidr in value]
        elif kind == "list":
            value = [_drop_none(v) if isinstance(v, dict) else v for v in value]
        elif kind == "prefixes":
            value = [_drop_none(v) for v in value]
        spec[field] = value
    password_ref = _password_ref(params.get("node_mesh_password"), params.get("node_mesh_password_secret"),
                                 NODE_MESH_SECRET)
    if password_ref:
        spec["nodeMeshPassword"] = password_ref
    return spec


def plan_bgp_configuration(client, params):
    name = config_name(params)
    namespace = params.get("secret_namespace") or "kube-system"
    state = params.get("state") or "present"
    plan = CalicoChange(client)
    if state == "absent":
        have = client.get("BGPConfiguration", name)
        if have is None:
            plan.unchanged("BGPConfiguration", name)
        else:
            plan.delete("BGPConfiguration", have)
            plan_secret_removal(plan, (have.get("spec") or {}).get("nodeMeshPassword"), namespace)
        return plan
    given = build_config_spec(params)
    # Offline: what the user asked for, by Calico's rules, before any request.
    validate(calico_object("BGPConfiguration", name, copy.deepcopy(given)))
    have = client.get("BGPConfiguration", name)
    if params.get("replace") or have is None:
        spec = given
    else:
        spec = copy.deepcopy(have.get("spec") or {})
        spec.update(given)
    desired = calico_object("BGPConfiguration", name, spec)
    if have is not None:
        # The managed-by label goes on what kubefabric creates; an existing configuration is not
        # changed just to carry it (nothing purges BGPConfigurations).
        desired["metadata"].pop("labels")
    validate(desired)  # the merged result, too (e.g. a mesh password kept while the mesh is turned off)
    desired = validate_for_group([desired], client)[0]
    spec = desired["spec"]
    clear = params.get("node_mesh_password")
    if clear is not None:
        secret_ref = spec["nodeMeshPassword"]["secretKeyRef"]
        plan_secret(plan, secret_ref["name"], namespace, secret_ref["key"], clear, "BGPConfiguration/%s" % name)
    plan.ensure("BGPConfiguration", desired, have, same_calico(client.calico_group))
    plan_orphaned_secret(plan, have, "nodeMeshPassword", desired["spec"], namespace)
    plan.extra["spec"] = desired["spec"]
    return plan


# -- Calico Node (core/v1 Node annotations and labels) ---------------------------------------------
def build_node_bgp(entry, index):
    """The Calico ``spec.bgp`` fields one ``nodes`` entry sets (None = leave alone)."""
    bgp = {}
    if entry.get("as_number") is not None:
        bgp["asNumber"] = _asn_text(entry["as_number"])
    for option, field in (("ipv4_address", "ipv4Address"), ("ipv6_address", "ipv6Address"),
                          ("route_reflector_cluster_id", "routeReflectorClusterID")):
        if entry.get(option) is not None:
            bgp[field] = entry[option]
    return bgp


def plan_nodes(client, params):
    """Plan for calico_node: one LIST of nodes, one PATCH per node whose Calico settings change."""
    entries = params.get("nodes") or []
    state = params.get("state") or "present"
    names = [entry["name"] for entry in entries]
    duplicates = sorted(set(n for n in names if names.count(n) > 1))
    if duplicates:
        raise FabricError("node %s is listed more than once" % ", ".join(duplicates), field="nodes",
                          fix="give each node once")
    wanted = []
    for index, entry in enumerate(entries):
        bgp = build_node_bgp(entry, index)
        labels = entry.get("labels")
        if state == "present":
            setting = dict((k, v) for k, v in bgp.items() if v != "")
            errors = resources.validate_node_bgp(setting) if setting else []
            if errors:
                raise resources.validation_error_for_module("Node", entry["name"], errors)
            if "asNumber" in setting:
                bgp["asNumber"] = parse_asn(setting["asNumber"])
        wanted.append((entry["name"], bgp, labels))
    plan = CalicoChange(client)
    existing = dict((item["metadata"]["name"], item) for item in client.list("Node"))
    missing = [name for name in names if name not in existing]
    if missing:
        raise FabricError("Kubernetes node(s) %s do not exist" % ", ".join(missing), host=client.host,
                          field="nodes", fix="check the names with 'kubectl get nodes'; nothing was changed")
    for name, bgp, labels in wanted:
        node = existing[name]
        current = calico_nodes.calico_node_from_k8s(node)
        new_bgp = copy.deepcopy(((current.get("spec") or {}).get("bgp")) or {})
        new_labels = dict(((current.get("metadata") or {}).get("labels")) or {})
        if state == "present":
            for field, value in bgp.items():
                if value == "":
                    new_bgp.pop(field, None)
                else:
                    new_bgp[field] = value
            for key, value in (labels or {}).items():
                if value is None:
                    new_labels.pop(key, None)
                else:
                    new_labels[key] = value
        else:
            if not bgp and not labels:
                new_bgp = {}
            for field in bgp:
                new_bgp.pop(field, None)
            for key in labels or {}:
                new_labels.pop(key, None)
        patch = calico_nodes.bgp_patch_for_k8s_node(node, new_bgp or None, new_labels)
        if not patch:
            plan.unchanged("Node", name)
            continue
        existing[name] = calico_nodes.apply_merge_patch(node, patch)
        plan.patch("Node", node, patch, existing[name])
    plan.nodes_after = list(existing.values())   # every node of the cluster as it will be
    return plan


def plan_apply(client, params):
    """Plan for calico_apply: the BGPPeers, the nodes and the default BGPConfiguration, each read once and
    all validated before the first write, then written back to back in that order (one burst, so
    calico-node renders each node's BIRD once; see roles/calico/tasks/apply.yml for the order)."""
    namespace = params.get("secret_namespace") or "kube-system"
    nodes = None
    if params.get("nodes"):
        nodes = plan_nodes(client, {"nodes": params["nodes"], "state": "present"})
    peers = None
    if params.get("peers") is not None:
        # the selectors are checked against the nodes as this run leaves them (labels set in the same run)
        peers = plan_peers(client, {"peers": params["peers"], "state": "present", "secret_namespace": namespace,
                                    "exclusive": params.get("exclusive")},
                           nodes=nodes.nodes_after if nodes is not None else None)
    config = None
    if params.get("bgp_configuration"):
        config = plan_bgp_configuration(client, dict(params["bgp_configuration"], name="default", state="present",
                                                     secret_namespace=namespace))
    plan = CalicoChange.combine(client, [change for change in (peers, nodes, config) if change is not None])
    if config is not None:
        plan.extra["bgp_configuration"] = config.extra["spec"]
    return plan


def node_summary(node):
    """The Calico view of a k8s Node for results: name, bgp, Calico labels."""
    calico = calico_nodes.calico_node_from_k8s(node)
    return {"name": node["metadata"]["name"], "bgp": ((calico.get("spec") or {}).get("bgp")) or {},
            "labels": ((calico.get("metadata") or {}).get("labels")) or {}}


# -- CalicoNodeStatus ------------------------------------------------------------------------------
def status_name(prefix, node):
    return "%s%s" % (prefix, node)


def gather_node_status(client, params, sleep=time.sleep, clock=time.monotonic):
    """Create/reuse a CalicoNodeStatus per node, wait for its status, return per-node rows.

    In check mode nothing is created: CalicoNodeStatus objects that exist (made by anyone) are read.
    What this call created is deleted at the end unless ``keep`` is true.
    """
    node_names = params["nodes"]
    prefix = params.get("name_prefix") or "kubefabric-"
    timeout = params.get("timeout") if params.get("timeout") is not None else 60
    classes = params.get("classes") or ["Agent", "BGP", "Routes"]
    period = params.get("update_period_seconds") or 10
    wanted = []
    for node in node_names:
        obj = calico_object("CalicoNodeStatus", status_name(prefix, node),
                            {"node": node, "classes": list(classes), "updatePeriodSeconds": period})
        validate(obj)
        wanted.append(obj)
    # An object made by someone else is reused when it reports every class asked for; in check mode
    # (nothing may be created) any object of the node is read.
    existing, partial = {}, {}
    for item in client.list("CalicoNodeStatus"):
        spec = item.get("spec") or {}
        target = existing if set(classes) <= set(spec.get("classes") or ()) else partial
        target.setdefault(spec.get("node"), item)
    if client.check_mode:
        existing = dict(partial, **existing)
    created, objects = [], {}
    try:
        for obj in wanted:
            node = obj["spec"]["node"]
            if node in existing:
                objects[node] = existing[node]["metadata"]["name"]
            elif not client.check_mode:
                client.create("CalicoNodeStatus", obj)
                created.append(obj["metadata"]["name"])
                objects[node] = obj["metadata"]["name"]
        deadline = clock() + timeout
        statuses, pending = {}, set(objects)
        while True:
            for node in sorted(pending):
                obj = client.get("CalicoNodeStatus", objects[node])
                status = (obj or {}).get("status") or {}
                if status.get("lastUpdated") or status.get("bgp"):
                    statuses[node] = status_rows(status)
                    pending.discard(node)
            if not pending or clock() >= deadline:
                break
            sleep(1)
    finally:
        removed = []
        if not params.get("keep"):
            for name in created:
                client.delete("CalicoNodeStatus", name)
                removed.append(name)
    result = {"nodes": statuses, "status_objects": objects, "created": created, "removed": removed,
              "timed_out": sorted(pending), "missing": [n for n in node_names if n not in objects]}
    return result


# -- the module edge -------------------------------------------------------------------------------
def gather_peering_info(_client, params):
    """``calico_peering_info``: the peering engine on resources given inline or in a YAML file (offline)."""
    if params["src"]:
        try:
            with open(params["src"], encoding="utf-8") as handle:
                text = handle.read()
        except OSError as exc:
            raise FabricError("cannot read %s: %s" % (params["src"], exc.strerror), field="src",
                              fix="give the path of a YAML file on the host the module runs on")
        objects = load_documents(text, where="src")
    else:
        objects = params["resources"]
    namespace = params["namespace"]
    secrets = {(namespace, name): dict(data or {}) for name, data in (params["secrets"] or {}).items()}
    return status.peering_info(objects, node=params["node"], calico_version=params["calico_version"],
                               order=params["order"], namespace=namespace, secrets=secrets)


class CalicoModule:
    """The edge of one calico_* module: ``run_module(module)`` does everything after ``AnsibleModule``.

    A write module has a ``plan(client, params)`` returning a :class:`CalicoChange`; an info module a
    ``gather(client, params)`` returning its result (``connect=False``: offline, no client).  Either way
    the result is ``exit_json(changed=..., **result)``, a FabricError becomes ``fail_json`` with the
    structured error (and, for a write that stopped part-way, what was written and what was not), and
    unmet ``expect`` checks fail with ``failures``.
    """

    def __init__(self, plan=None, gather=None, connect=True):
        self.plan, self.gather, self.connect = plan, gather, connect

    def run_module(self, module):
        if self.connect and not k8s.HAS_KUBERNETES:
            module.fail_json(msg=missing_required_lib("kubernetes"), exception=str(k8s.KUBERNETES_IMPORT_ERROR))
        error, change, result, failures = None, None, None, []
        try:
            client = k8s.connect(module.params, check_mode=module.check_mode) if self.connect else None
            if self.plan is not None:
                change = self.plan(client, module.params)
                change.run()
                result = change.result()
                if module._diff:
                    result["diff"] = change.diff()
            else:
                result = dict(self.gather(client, module.params), changed=False)
                if client is not None:
                    result["api_group"] = client.calico_group
                failures = check_expectations(result, module.params.get("expect"))
        except FabricError as exc:
            error = exc
        if error is not None:
            # Outside the except block: ansible-core >= 2.19 would attach the traceback of the handled
            # exception to the result. A FabricError is a user's error, not a crash.
            partial = {}
            if change is not None and (change.written or change.not_written):
                partial = dict(changed=bool(change.written) and not module.check_mode, written=change.written,
                               not_written=change.not_written)
            fail_module(module, error, **partial)
            return
        if failures:
            module.fail_json(msg="expectation(s) not met: %s" % "; ".join(failures), failures=failures, **result)
        for warning in result.get("warnings") or ():
            module.warn(warning)
        module.exit_json(**result)


BGP_CONFIGURATION = CalicoModule(plan=plan_bgp_configuration)
BGP_PEER = CalicoModule(plan=plan_peers)
APPLY = CalicoModule(plan=plan_apply)
NODE = CalicoModule(plan=plan_nodes)
NODE_STATUS_INFO = CalicoModule(gather=gather_node_status)
PEERING_INFO = CalicoModule(gather=gather_peering_info, connect=False)
