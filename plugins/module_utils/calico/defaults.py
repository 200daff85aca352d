# -*- coding: utf-8 -*-
# Copyright: kubefabric.bgp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The defaults the serving side applies to a Calico object before it validates it."""

from __future__ import annotations

import copy

from .addr import parse_cidr_or_ip
from .schema import GROUP_V1, GROUP_V3, KINDS, MISSING, object_schema


def _apply_schema_defaults(value, spec):
    if spec.kind == "object" and isinstance(value, dict) and not spec.preserve_unknown:
        for key, child in spec.props.items():
            if value.get(key) is None and child.default is not MISSING:
                value[key] = copy.deepcopy(child.default)
            if key in value:
                _apply_schema_defaults(value[key], child)
    elif spec.kind == "array" and isinstance(value, list):
        for item in value:
            _apply_schema_defaults(item, spec.items)


def _prune_nulls(value, spec):
    if spec.kind == "object" and isinstance(value, dict) and not spec.preserve_unknown:
        for key in list(value):
            child = spec.props.get(key)
            if value[key] is None and not (child is not None and child.nullable):
                del value[key]
            elif child is not None:
                _prune_nulls(value[key], child)
    elif spec.kind == "array" and isinstance(value, list):
        for item in value:
            _prune_nulls(item, spec.items)


def apply_defaults(obj, group=GROUP_V1, api_server=True, _canonical=True):
    """A deep copy of ``obj`` with the defaults the serving side applies.

    Every group gets the CRD defaults (``logSeverityScreen: Info``,
    ``serviceLoadBalancerAggregation: Enabled``, IPPool ``assignmentMode: Automatic`` and
    ``nodeSelector: all()``, password ``secretKeyRef.name: ""``). The Calico API server
    (``projectcalico.org/v3`` with ``api_server=True``) also defaults IPPools the way clientv3
    does: ``blockSize`` 26 / 122, ``ipipMode`` and ``vxlanMode`` Never, ``allowedUses``
    [Workload, Tunnel], and writes the CIDR in canonical form.
    """
    out = copy.deepcopy(obj)
    info = KINDS.get(out.get("kind")) if isinstance(out, dict) else None
    if info is None:
        return out
    schema = object_schema(info, group)
    _prune_nulls(out, schema)
    if isinstance(out.get("spec"), dict):
        _apply_schema_defaults(out["spec"], info.spec)
    if info.status is not None and isinstance(out.get("status"), dict):
        _apply_schema_defaults(out["status"], info.status)
    if group == GROUP_V3 and api_server and info.kind == "IPPool" and isinstance(out.get("spec"), dict):
        spec = out["spec"]
        try:
            ip, net = parse_cidr_or_ip(spec.get("cidr"))
        except ValueError:
            ip = net = None
        if net is not None:
            if _canonical and net.network_address == ip:
                spec["cidr"] = str(net)
            if not spec.get("blockSize"):
                spec["blockSize"] = 26 if ip.version == 4 else 122
        if not spec.get("ipipMode"):
            spec["ipipMode"] = "Never"
        if not spec.get("vxlanMode"):
            spec["vxlanMode"] = "Never"
        if not spec.get("nodeSelector"):
            spec["nodeSelector"] = "all()"
        if not spec.get("allowedUses"):
            spec["allowedUses"] = ["Workload", "Tunnel"]
    return out
