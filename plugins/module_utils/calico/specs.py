# -*- coding: utf-8 -*-
# Copyright: kubefabric.bgp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The option specs of the Calico objects, shared by the single-object modules (calico_bgp_peer,
calico_node, calico_bgp_configuration) and calico_apply, which applies all three in one run.

``validate_entries(module, ...)`` checks the entries of calico_apply's ``peers``, ``nodes`` and
``bgp_configuration`` against the very specs the single-object modules use (types, choices, defaults,
required options) and marks their secrets no_log, so the two ways of writing an object accept the same
input."""

from __future__ import annotations

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

SECRET_REF = dict(name=dict(type="str", required=True), key=dict(type="str", default="password", no_log=False))

PEER_OPTIONS = dict(
    name=dict(type="str", required=True),
    peer_ip=dict(type="str"),
    as_number=dict(type="str"),
    node=dict(type="str"),
    node_selector=dict(type="str"),
    peer_selector=dict(type="str"),
    local_workload_selector=dict(type="str"),
    password=dict(type="str", no_log=True),
    password_secret=dict(type="dict", no_log=False, options=SECRET_REF),
    source_address=dict(type="str", choices=["UseNodeIP", "None"]),
    keep_original_next_hop=dict(type="bool"),
    next_hop_mode=dict(type="str", choices=["Auto", "Self", "Keep"]),
    max_restart_time=dict(type="str"),
    keepalive_time=dict(type="str"),
    ttl_security=dict(type="int"),
    num_allowed_local_as_numbers=dict(type="int"),
    local_as_number=dict(type="str"),
    reachable_by=dict(type="str"),
    reverse_peering=dict(type="str", choices=["Auto", "Manual"]),
    filters=dict(type="list", elements="str"),
    labels=dict(type="dict"),
)

NODE_OPTIONS = dict(
    name=dict(type="str", required=True),
    as_number=dict(type="str"),
    ipv4_address=dict(type="str"),
    ipv6_address=dict(type="str"),
    route_reflector_cluster_id=dict(type="str"),
    labels=dict(type="dict"),
)

# The spec fields of a BGPConfiguration (calico_bgp_configuration's options besides name/node/state/replace).
CONFIG_OPTIONS = dict(
    as_number=dict(type="str"),
    node_to_node_mesh_enabled=dict(type="bool"),
    log_severity_screen=dict(type="str"),
    listen_port=dict(type="int"),
    service_cluster_ips=dict(type="list", elements="str"),
    service_external_ips=dict(type="list", elements="str"),
    service_load_balancer_ips=dict(type="list", elements="str"),
    service_load_balancer_aggregation=dict(type="str", choices=["Enabled", "Disabled"]),
    communities=dict(type="list", elements="dict", options=dict(
        name=dict(type="str", required=True), value=dict(type="str", required=True))),
    prefix_advertisements=dict(type="list", elements="dict", options=dict(
        cidr=dict(type="str", required=True), communities=dict(type="list", elements="str", required=True))),
    node_mesh_password=dict(type="str", no_log=True),
    node_mesh_password_secret=dict(type="dict", no_log=False, options=SECRET_REF),
    node_mesh_max_restart_time=dict(type="str"),
    bind_mode=dict(type="str", choices=["None", "NodeIP"]),
    ignored_interfaces=dict(type="list", elements="str"),
    ipv4_normal_route_priority=dict(type="int"),
    ipv6_normal_route_priority=dict(type="int"),
    program_cluster_routes=dict(type="str", choices=["Enabled", "Disabled"]),
    local_workload_peering_ipv4=dict(type="str"),
    local_workload_peering_ipv6=dict(type="str"),
)

# calico_apply's bgp_configuration: the default BGPConfiguration (its name may be given, as the plan does).
DEFAULT_CONFIG_OPTIONS = dict(CONFIG_OPTIONS, name=dict(type="str", default="default", choices=["default"]))


def _validated(module, spec, entry, where):
    validator = ArgumentSpecValidator(spec)
    outcome = validator.validate(entry if isinstance(entry, dict) else {})
    # secrets of the entries are masked in every result and log, as in the single-object modules
    module.no_log_values.update(outcome._no_log_values)  # pylint: disable=protected-access
    if not isinstance(entry, dict):
        module.fail_json(msg="%s: expected a mapping, got %s. Fix: give the options of the entry as a mapping"
                         % (where, type(entry).__name__))
    if outcome.error_messages:
        name = entry.get("name") if isinstance(entry.get("name"), str) else None
        module.fail_json(msg="%s%s: %s. Fix: correct the entry; nothing was changed"
                         % (where, " (%s)" % name if name else "", "; ".join(outcome.error_messages)))
    return outcome.validated_parameters


def validate_entries(module, lists=(("peers", PEER_OPTIONS), ("nodes", NODE_OPTIONS)),
                     mappings=(("bgp_configuration", DEFAULT_CONFIG_OPTIONS),)):
    """Check and complete ``module.params[...]`` entries in place against the shared specs; fails the
    module naming the entry (``peers[3] (rack1-tor): ...``) before anything is read or written."""
    for key, spec in lists:
        entries = module.params.get(key)
        if entries is None:
            continue
        module.params[key] = [_validated(module, spec, entry, "%s[%d]" % (key, index))
                              for index, entry in enumerate(entries)]
    for key, spec in mappings:
        if module.params.get(key) is not None:
            module.params[key] = _validated(module, spec, module.params[key], key)
