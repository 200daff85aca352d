# -*- coding: utf-8 -*-
# Copyright: kubefabric.bgp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The inventory schema: every variable the collection reads, its type, default and checks.

One table (``VARIABLES``) names each variable, the level it is read at (``all``: fabric-wide,
``node``: a host of the node group, ``device``: a host of the device group), its type and its
default; docs/fabric-plan.md lists the same table and a unit test keeps them equal.

Rules (docs/fabric-plan.md "Inventory schema"):

- booleans are strict: YAML ``true``/``false`` and the strings Ansible itself reads as booleans
  (``BOOLEANS_TRUE``/``BOOLEANS_FALSE`` of ``ansible.module_utils.parsing.convert_bool``: ``yes``,
  ``no``, ``true``, ``false``, ``on``, ``off``, ``1``, ``0``, ``y``, ``n``, ``t``, ``f``, any case),
  so an INI ``route_reflector=false`` is false; anything else is an error, never ``bool(text)``;
- AS numbers are integers or quoted text (plain or asdot ``X.Y``); a YAML float (an unquoted
  ``65000.10``) is an error with the fix "quote it"; 0 and AS_TRANS 23456 are refused;
- names that become Kubernetes object names or label values are checked where they are written in
  the inventory (a rack name, a device name), not where the API server would refuse them;
- BGP passwords follow ``PASSWORD_RULES`` (length, characters per platform);
- variables in the collection's own namespace (``STRICT_PREFIXES``, ``OWNED_NAMES``) that the schema
  does not know are refused with the nearest known name; in the shared namespaces
  (``SHARED_PREFIXES``: other roles use ``calico_*`` too) only near misses of a known name are.
  ``kubefabric_unknown_variables: warn`` (or ``ignore``) and ``kubefabric_extra_variables: [names]``
  are the opt-outs.  Ansible's own variables (``ansible_*``, magic variables) are never checked.
"""

from __future__ import annotations

import difflib
import ipaddress
import re

from ansible.module_utils.parsing.convert_bool import BOOLEANS_FALSE, BOOLEANS_TRUE

from ..calico.asn import ASN_MAX
from ..common.errors import FabricError
from ..devices.connection import INVENTORY_VARS as _CONNECTION_INVENTORY_VARS
from ..devices.owner import check_owner

PATTERNS = ("full_mesh", "route_reflector", "rr_per_leaf", "tor")
PLATFORMS = ("routeros", "comware", "frr")
ROLES = ("tor", "leaf", "spine", "router")
AS_TRANS = 23456
CALICO_DEFAULT_POOL = "192.168.0.0/16"
# what the fabric_plan action plugin sends instead of a device's bgp_password (followed by a keyed
# fingerprint, so that the planner can compare the two ends of a link without seeing either)
REDACTED = "********"

# ------------------------------------------------------------------------------------------------
# value checks: each takes (value, host, field) and returns the normalised value or raises


def _error(message, host, field, fix):
    return FabricError(message, host=host, field=field, fix=fix)


def to_bool(value, host, field):
    """A strict boolean (see the module docstring); ``None`` stays ``None``."""
    if value is None or isinstance(value, bool):
        return value
    text = value if isinstance(value, str) else (str(value) if isinstance(value, int) else None)
    if text is not None:
        if text.lower() in [str(v).lower() for v in BOOLEANS_TRUE]:
            return True
        if text.lower() in [str(v).lower() for v in BOOLEANS_FALSE]:
            return False
    raise _error("%r is not a boolean" % (value,), host, field, "write true or false")


def to_int(value, host, field, low=None, high=None):
    if isinstance(value, bool) or not isinstance(value, (int, str)) or \
            (isinstance(value, str) and not re.match(r"\s*[0-9]+\s*\Z", value)):
        raise _error("%r is not a whole number" % (value,), host, field,
                     "write a whole number%s" % ("" if low is None else " from %d to %d" % (low, high)))
    number = int(value)
    if low is not None and not low <= number <= high:
        raise _error("%d is out of range" % number, host, field, "use %d to %d" % (low, high))
    return number


def to_asn(value, host, field):
    """An AS number from an int or text (plain or asdot); floats, 0 and AS_TRANS are refused."""
    if isinstance(value, float):
        raise _error("AS %r is a YAML float (an unquoted dotted AS such as 65000.10 is read as the number "
                     "65000.1 and loses digits)" % (value,), host, field,
                     "quote it, e.g. '65000.10' (asdot), or write the AS as a plain number")
    number = None
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str):
        match = re.match(r"([0-9]+)(?:\.([0-9]+))?\Z", value.strip())
        if match and match.group(2) is None:
            number = int(match.group(1))
        elif match and int(match.group(1)) <= 65535 and int(match.group(2)) <= 65535:
            number = (int(match.group(1)) << 16) + int(match.group(2))
    if number is None or not 0 <= number <= ASN_MAX:
        raise _error("%r is not an AS number" % (value,), host, field,
                     "use 1-%d, or asdot X.Y (each 0-65535) in quotes" % ASN_MAX)
    if number == 0:
        raise _error("AS 0 is reserved (RFC 7607)", host, field, "use an AS from 1 to %d" % ASN_MAX)
    if number == AS_TRANS:
        raise _error("AS 23456 is AS_TRANS (RFC 6793), reserved", host, field,
                     "use another AS, e.g. a private one (64512-65534 or 4200000000-4294967294)")
    return number


def to_str(value, host, field):
    if isinstance(value, (bool, dict, list)) or value is None:
        raise _error("%r is not a text value" % (value,), host, field, "write a text value")
    return str(value)


def to_choice(choices):
    def check(value, host, field):
        if value not in choices:
            raise _error("%r is not one of %s" % (value, ", ".join(choices)), host, field,
                         "set %s to one of %s" % (field, ", ".join(choices)))
        return value
    return check


def to_ipv4(value, host, field):
    try:
        address = ipaddress.ip_address(str(value))
    except ValueError:
        address = None
    if isinstance(value, (bool, int, float)) or address is None or address.version != 4:
        raise _error("%r is not an IPv4 address" % (value,), host, field, "write a plain IPv4 address, e.g. 10.0.0.1")
    return str(address)


def to_ipv4_interface(value, host, field):
    text = str(value)
    try:
        iface = ipaddress.ip_interface(text)
    except ValueError:
        iface = None
    if iface is None or "/" not in text or isinstance(value, (bool, int, float)):
        raise _error("%r is not an address with prefix length" % (value,), host, field,
                     "write it as ADDRESS/PREFIXLEN, e.g. 172.16.30.101/24")
    if iface.version != 4:
        raise _error("%s is not IPv4" % text, host, field,
                     "put the node's IPv4 address with prefix length here; the planner does not plan "
                     "IPv6 sessions")
    return text


def to_cidr(value, host, field):
    try:
        return str(ipaddress.ip_network(str(value), strict=True))
    except ValueError as exc:
        raise _error("%r is not a network prefix (%s)" % (value, exc), host, field,
                     "write the network as ADDRESS/PREFIXLEN with no host bits, e.g. 10.96.0.0/12")


def list_of(check):
    def run(value, host, field):
        if isinstance(value, str) or not isinstance(value, (list, tuple)):
            raise _error("%r is not a list" % (value,), host, field, "write a YAML list, e.g. [a, b]")
        return [check(item, host, "%s[%d]" % (field, i)) for i, item in enumerate(value)]
    return run


def to_dict(value, host, field):
    if not isinstance(value, dict):
        raise _error("%r is not a mapping" % (value,), host, field, "write a YAML mapping, e.g. {key: value}")
    return dict(value)


DNS1123_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?\Z")
DNS1123_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\Z")
LABEL_VALUE = re.compile(r"(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?\Z")
LABEL_NAME = re.compile(r"([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]\Z")


def dns_label(value, host, field, what="name"):
    """A name that becomes part of Kubernetes object names and a label value (a rack)."""
    text = to_str(value, host, field)
    if len(text) > 63 or not DNS1123_LABEL.match(text):
        raise _error("%s %r is not a valid DNS-1123 label (it becomes a label value and part of BGPPeer names)"
                     % (what, text), host, field,
                     "use at most 63 lower-case letters, digits and '-', starting and ending with a letter "
                     "or digit, e.g. %r" % _suggest_dns(text))
    return text


def dns_subdomain(value, host, field, what="name"):
    text = to_str(value, host, field)
    if len(text) > 253 or not DNS1123_SUBDOMAIN.match(text):
        raise _error("%s %r is not a valid DNS-1123 subdomain (it becomes a Kubernetes object name)"
                     % (what, text), host, field,
                     "use lower-case letters, digits, '-' and '.', e.g. %r" % _suggest_dns(text))
    return text


def _suggest_dns(text):
    out = re.sub(r"[^a-z0-9-]+", "-", text.lower()).strip("-")[:63]
    return out or "rack-1"


def label_key(value, host, field):
    text = to_str(value, host, field)
    prefix, name = text.rpartition("/")[::2]
    if (prefix and (len(prefix) > 253 or not DNS1123_SUBDOMAIN.match(prefix))) or len(name) > 63 or \
            not LABEL_NAME.match(name):
        raise _error("%r is not a valid label key" % text, host, field,
                     "use [prefix/]name, name at most 63 letters, digits, '-', '_', '.'")
    return text


def label_value(value, host, field):
    text = to_str(value, host, field)
    if len(text) > 63 or not LABEL_VALUE.match(text):
        raise _error("%r is not a valid label value" % text, host, field,
                     "use at most 63 letters, digits, '-', '_', '.', starting and ending with a letter or digit")
    return text


def labels(value, host, field):
    value = to_dict(value, host, field)
    return {label_key(k, host, "%s.%s" % (field, k)): label_value(v, host, "%s.%s" % (field, k))
            for k, v in value.items()}


# ------------------------------------------------------------------------------------------------
# BGP passwords

# Every session with a Calico node ends in BIRD on Linux: the TCP MD5 key has at most 80 bytes
# (TCP_MD5SIG_MAXKEYLEN), and calico-node writes it into bird.cfg between double quotes.
PASSWORD_MAX = 80
PASSWORD_COMMON_FORBIDDEN = {'"': "calico-node writes the password into bird.cfg between double quotes",
                             "\\": "calico-node writes the password into bird.cfg, where \\ escapes"}
PASSWORD_RULES = {
    "frr": {"max": 80, "forbidden": {"?": "'?' is vtysh's help key: the line is cut there",
                                     " ": "vtysh takes the password as one word"}},
    "comware": {"max": 80, "forbidden": {"?": "'?' is the Comware CLI's help key",
                                         " ": "the Comware CLI takes the password as one word"}},
    "routeros": {"max": 80, "forbidden": {}},
}


def check_password(value, platform, host, field="bgp_password"):
    """Refuse a BGP password that the platform or calico-node cannot carry; returns the text."""
    if isinstance(value, (bool, int, float, dict, list)):
        raise _error("the BGP password must be text", host, field, "quote it")
    text = str(value)
    rules = PASSWORD_RULES.get(platform, {"max": PASSWORD_MAX, "forbidden": {}})
    if not 1 <= len(text) <= min(rules["max"], PASSWORD_MAX):
        raise _error("the BGP password has %d characters; %s carries 1 to %d (TCP MD5 keys on Linux are at most "
                     "80 bytes)" % (len(text), platform, min(rules["max"], PASSWORD_MAX)), host, field,
                     "use a password of 1 to %d characters" % min(rules["max"], PASSWORD_MAX))
    for char in text:
        if not " " <= char <= "~":
            raise _error("the BGP password holds a character outside printable ASCII", host, field,
                         "use printable ASCII letters, digits and punctuation only")
    forbidden = dict(PASSWORD_COMMON_FORBIDDEN)
    forbidden.update(rules["forbidden"])
    for char, why in forbidden.items():
        if char in text:
            raise _error("the BGP password contains %r: %s" % (char, why), host, field,
                         "choose a password without %r" % char)
    return text


# ------------------------------------------------------------------------------------------------
# the table

class Var:
    """One inventory variable: where it is read, how it is checked, its default and what it means."""

    def __init__(self, name, level, kind, check, default=None, doc="", option=None):
        self.name, self.level, self.kind, self.check = name, level, kind, check
        self.default, self.doc, self.option = default, doc, option


def _any(value, host, field):
    return value


VARIABLES = (
    # all (fabric-wide)
    Var("fabric_pattern", "all", "str", to_choice(PATTERNS), None,
        "full_mesh, route_reflector, rr_per_leaf or tor (required)", option="pattern"),
    Var("calico_asn", "all", "asn", to_asn, 64512, "the cluster's default AS (BGPConfiguration asNumber)"),
    Var("fabric_racks", "all", "dict", to_dict, {},
        "rack name (DNS-1123 label) -> {asn, cluster_id, allow_local_as}", option="racks"),
    Var("route_reflector_cluster_id", "all", "ipv4", to_ipv4, None,
        "cluster ID of route reflectors when no rack or node sets one (also a node variable)"),
    Var("route_reflector_label", "all", "label key", label_key, "rr-id (rr_per_leaf) / route-reflector",
        "the label that marks route reflectors"),
    Var("tor_peering", "all", "str", to_choice(("all_nodes", "route_reflectors")), "all_nodes",
        "tor: whether all nodes or only the route reflectors of a rack peer with its ToR"),
    Var("service_cluster_ips", "all", "list of CIDR", list_of(to_cidr), [],
        "Service cluster IP ranges to advertise (no overlap, not inside pod_cidr)"),
    Var("service_external_ips", "all", "list of CIDR", list_of(to_cidr), [],
        "Service external IP ranges to advertise (no overlap, not inside pod_cidr)"),
    Var("pod_cidr", "all", "CIDR", to_cidr, CALICO_DEFAULT_POOL,
        "the pod IPPool (Calico's default 192.168.0.0/16); service ranges must lie outside it"),
    Var("fabric_global_peers", "all", "list of device names", list_of(to_str), [],
        "devices that peer with every node (global BGPPeers; full_mesh)", option="global_peers"),
    Var("kubefabric_fabric_id", "all", "owner scope", lambda v, h, f: check_owner(to_str(v, h, f), h), "default",
        "the owner scope in the ownership marker of every device neighbour this fabric creates "
        "(1-24 characters a-z 0-9 . _ -); two fabrics or clusters sharing a leaf use different ids"),
    Var("kubefabric_cluster_group", "all", "group name", to_str, "kubefabric_clusters",
        "several clusters on one fabric: the group whose child groups are the clusters (docs/multi_cluster.md)",
        option="cluster_group"),
    Var("kubefabric_unknown_variables", "all", "str", to_choice(("error", "warn", "ignore")), "error",
        "what an unknown variable of the collection's namespace is: error, warn or ignore"),
    Var("kubefabric_extra_variables", "all", "list of str", list_of(to_str), [],
        "names in the collection's namespace that belong to something else and are not checked"),
    # nodes
    Var("bgp_ipv4_address", "node", "IPv4 address/prefix", to_ipv4_interface, None,
        "the node's BGP address with prefix length (required)"),
    Var("bgp_ipv6_address", "node", "refused", None, None,
        "not supported: the planner plans IPv4 sessions only, and refuses it rather than drop it"),
    Var("rack", "node", "DNS-1123 label", dns_label, None, "the node's rack (a key of fabric_racks)"),
    Var("route_reflector", "node", "bool", to_bool, False, "the node is a route reflector"),
    Var("route_reflector_dedicated", "node", "bool", to_bool, False,
        "migrations: a new, empty route reflector that is never drained"),
    Var("bgp_asn", "node/device", "asn", to_asn, None,
        "node: its own AS (else the rack's, else calico_asn); device: its AS (required)"),
    Var("calico_labels", "node", "labels", labels, {}, "extra labels of the Calico node"),
    Var("calico_node_name", "node", "DNS-1123 subdomain", dns_subdomain, "inventory name",
        "the node's Kubernetes name"),
    # devices
    Var("platform", "device", "str", to_choice(PLATFORMS), None, "routeros, comware or frr (required)"),
    Var("fabric_role", "device", "str", to_choice(ROLES), "tor", "tor, leaf, spine or router"),
    Var("router_id", "device", "ipv4", to_ipv4, None, "the device's BGP router ID (required)"),
    Var("racks", "device", "dict", to_dict, {}, "rack -> the device's peering address in that rack's subnet"),
    Var("uplinks", "device", "list", list_of(to_dict), [],
        "[{peer: device, address: A/len, peer_address: B}] eBGP links to other devices"),
    Var("bgp_password", "device", "password", None, None,
        "TCP MD5 password of the device's sessions (both ends of an uplink must have the same)"),
    Var("mgmt_address", "device", "str", to_str, "ansible_host", "management address"),
    Var("dynamic_neighbors", "device", "bool", to_bool, False, "one listen range per rack subnet"),
)

# Connection variables of the devices (read by the devices and as_change roles, never by the planner).
# The one list of them is INVENTORY_VARS in plugins/module_utils/devices/connection.py: every name there
# is known to the schema (no "unknown variable").  The entries below add a type check for some of them;
# Ansible's own ansible_* variables are never checked.
CONNECTION_VARS = (
    Var("bgp_device_username", "device", "str", to_str, None, "login user"),
    Var("bgp_device_password", "device", "str", None, None, "login password (never passed to the planner)"),
    Var("bgp_device_port", "device", "int", lambda v, h, f: to_int(v, h, f, 1, 65535), None, "API/SSH port"),
    Var("bgp_device_tls", "device", "bool", to_bool, None, "RouterOS: api-ssl"),
    Var("bgp_device_validate_certs", "device", "bool", to_bool, None, "RouterOS: verify the certificate"),
    Var("bgp_device_ca_path", "device", "str", to_str, None, "RouterOS: CA bundle"),
    Var("bgp_device_ssh_key_file", "device", "str", to_str, None, "SSH private key file"),
    Var("bgp_device_known_hosts", "device", "str", to_str, None, "SSH known_hosts file"),
    Var("bgp_device_host_key_checking", "device", "bool", to_bool, None, "check the SSH host key"),
    Var("bgp_device_host_keys", "device", "key lines", None, None, "SSH host keys pinned for the device"),
    Var("bgp_device_fast_cli", "device", "bool", to_bool, None,
        "SSH devices: netmiko fast_cli (default true; false for a slow device)"),
    Var("bgp_device_global_delay_factor", "device", "float", None, None,
        "SSH devices: netmiko global_delay_factor (stretches every wait for a slow device)"),
)
CONNECTION_VARS += tuple(
    Var(name, "device", "see docs/security.md", None, None, "device connection (%s)" % option)
    for option, names in sorted(_CONNECTION_INVENTORY_VARS.items()) for name in names
    if not name.startswith("ansible_") and name not in {v.name for v in CONNECTION_VARS})

# Role options and facts of the collection's roles (documented with the roles, not checked here).
# tests/unit/plugins/module_utils/fabric/test_schema.py fails when a role uses a kubefabric_* name
# that is missing here.
ROLE_VARS = frozenset((
    "kubefabric_node_group", "kubefabric_device_group", "kubefabric_plan_expect", "kubefabric_plan",
    "kubefabric_plan_diagram", "kubefabric_plan_diagram_format",
    "kubefabric_plan_result", "kubefabric_k8s_auth", "kubefabric_verify_timeout", "kubefabric_verify_interval",
    "kubefabric_verify_routes_on",
    "kubefabric_verify_result", "kubefabric_device_save", "kubefabric_device_state", "kubefabric_device_adopt",
    "kubefabric_device_password_update", "kubefabric_device_config",
    "kubefabric_calico_exclusive", "kubefabric_sessions", "kubefabric_status", "kubefabric_args",
    "kubefabric_rr_label", "kubefabric_rrs", "kubefabric_dedicated",
    "kubefabric_as_global", "kubefabric_as_nodes", "kubefabric_as_settle", "kubefabric_as_dev",
    "kubefabric_as_device", "kubefabric_as_device_config", "kubefabric_as_plan", "kubefabric_as_before",
    "kubefabric_as_cluster", "kubefabric_as_differs", "kubefabric_as_old_global", "kubefabric_as_targets",
    "kubefabric_as_target_map", "kubefabric_as_steps", "kubefabric_as_step", "kubefabric_as_bgpconfig",
    "kubefabric_as_cluster_as", "kubefabric_as_conn", "kubefabric_as_fabric", "kubefabric_as_scope",
    "kubefabric_as_target", "kubefabric_as_k8s_auth", "kubefabric_as_auth", "kubefabric_device_connection",
    "kubefabric_migration_stop_after", "kubefabric_migration_plan", "kubefabric_migration_status",
    "kubefabric_migration_timeout", "kubefabric_migration_to_drain", "kubefabric_migration_pattern",
    "kubefabric_migration_missing", "kubefabric_migration_settle", "kubefabric_migration_poll",
    "kubefabric_migration_check_routes", "kubefabric_migration_wait_start", "kubefabric_migration_drain",
    "kubefabric_migration_retries", "kubefabric_migration_uncordon", "kubefabric_migration_rr_probe",
    "kubefabric_migration_from_pattern", "kubefabric_migration_drain_timeout", "kubefabric_migration_current_as",
    "kubefabric_migration_source", "kubefabric_migration_drained", "kubefabric_migration_pods",
    "kubefabric_migration_plan_result", "kubefabric_migration_nodes", "kubefabric_migration_new_types",
    "kubefabric_migration_bgpconfig", "kubefabric_migration_verify",
    "kubefabric_migration_target", "kubefabric_migration_k8s_auth", "kubefabric_migration_name",
    "kubefabric_migration_source_args", "kubefabric_migration_auth",
    "kubefabric_clusters",  # the default parent group of the clusters (docs/multi_cluster.md), named in messages
    "kubefabric_preflight", "kubefabric_preflight_plan", "kubefabric_preflight_devices",
    "kubefabric_preflight_device_state", "kubefabric_preflight_calico", "kubefabric_preflight_access",
    "kubefabric_preflight_result", "kubefabric_lock", "kubefabric_lock_name", "kubefabric_lock_namespace",
    "kubefabric_lock_duration", "kubefabric_lock_result", "kubefabric_lock_holder",
    "kubefabric_device_scopes", "kubefabric_cluster", "kubefabric_cluster_auth", "kubefabric_verify_plan",
    "kubefabric_pattern_role", "kubefabric_skip_unchanged", "kubefabric_device_push", "kubefabric_writes",
    "kubefabric_preflight_skip", "kubefabric_run_writes", "kubefabric_play_devices", "kubefabric_push_devices",
    "kubefabric_devices_result", "kubefabric_found_calico", "kubefabric_found_devices",
    # AWX job slicing (docs/awx.md): what the workflow's plan node passes on, and the slices' own
    "kubefabric_workflow", "kubefabric_workflow_release_only", "kubefabric_lock_holder_identity",
    "kubefabric_slice_lock", "kubefabric_node_hosts",
))

STRICT_PREFIXES = ("bgp_", "kubefabric_", "fabric_", "tor_", "route_refl", "rr_")
SHARED_PREFIXES = ("calico_", "service_", "pod_")
OWNED_NAMES = frozenset(v.name for v in VARIABLES + CONNECTION_VARS if not v.name.startswith(STRICT_PREFIXES))
RACK_KEYS = {"asn": to_asn, "cluster_id": to_ipv4, "allow_local_as": lambda v, h, f: to_int(v, h, f, 0, 10)}
UPLINK_KEYS = ("peer", "address", "peer_address")

BY_NAME = {v.name: v for v in VARIABLES + CONNECTION_VARS}
KNOWN = frozenset(BY_NAME) | ROLE_VARS


def owned(name):
    """Whether a variable name is in the namespace the collection checks."""
    return name in OWNED_NAMES or name.startswith(STRICT_PREFIXES + SHARED_PREFIXES)


def nearest(name, known):
    match = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.6)
    return match[0] if match else None


def unknown_variables(names_by_host, mode="error", extra=()):
    """Refuse (or list, for ``mode: warn``) unknown variables of the collection's namespace.

    ``names_by_host`` maps a host (or ``all``) to the variable names seen there.  Returns warnings.
    """
    mode = mode or "error"
    if mode == "ignore":
        return []
    known = KNOWN | set(extra or ())
    warnings, seen = [], set()
    for host in sorted(names_by_host, key=lambda h: (h != "all", h)):
        for name in sorted(names_by_host[host] or ()):
            if name in known or name in seen or not owned(name) or name.startswith("ansible_"):
                continue
            guess = nearest(name, known - ROLE_VARS)
            if name.startswith(SHARED_PREFIXES) and not name.startswith(STRICT_PREFIXES):
                guess = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.8)
                if not guess:
                    continue  # another role's calico_*/service_* variable
                guess = guess[0]
            seen.add(name)
            message = "unknown variable" + ("; did you mean %s?" % guess if guess else "")
            if mode == "warn":
                warnings.append("%s: %s: %s" % (host, name, message))
                continue
            raise _error(message, host, name,
                         ("rename it to %s" % guess if guess else "remove it") +
                         ", or list it in kubefabric_extra_variables (or set kubefabric_unknown_variables: warn) "
                         "if it belongs to something else")
    return warnings


def check_vars(values, level, host):
    """Check and normalise the values of one host (or ``all``); returns a new dict."""
    out = dict(values)
    for name, value in values.items():
        var = BY_NAME.get(name)
        if var is None or value is None:
            continue
        if name == "bgp_ipv6_address":
            raise _error("bgp_ipv6_address is not supported: the planner plans IPv4 sessions only (the value "
                         "would be dropped)", host, name,
                         "remove bgp_ipv6_address; configure IPv6 peering with the calico_* modules directly")
        if var.check is not None:
            out[name] = var.check(value, host, name)
    if level == "all" and out.get("fabric_racks"):
        out["fabric_racks"] = check_racks(out["fabric_racks"])
    if level == "device" and out.get("racks"):
        out["racks"] = {dns_label(r, host, "racks", "rack"): to_ipv4(a, host, "racks.%s" % r)
                        for r, a in out["racks"].items()}
    if level == "device":
        for index, link in enumerate(out.get("uplinks") or []):
            for key in link:
                if key not in UPLINK_KEYS:
                    guess = nearest(key, UPLINK_KEYS)
                    raise _error("unknown key %r%s" % (key, "; did you mean %s?" % guess if guess else ""), host,
                                 "uplinks[%d].%s" % (index, key), "use peer, address and peer_address")
    return out


def check_racks(racks):
    out = {}
    for rack, spec in racks.items():
        host = "rack %s" % rack
        dns_label(rack, "all", "fabric_racks", "rack")
        if spec is None:
            spec = {}
        if not isinstance(spec, dict):
            raise _error("%r is not a mapping" % (spec,), host, "fabric_racks.%s" % rack,
                         "write {asn: 64601} (asn, cluster_id, allow_local_as)")
        entry = {}
        for key, value in spec.items():
            field = "fabric_racks.%s.%s" % (rack, key)
            if key not in RACK_KEYS:
                guess = nearest(key, RACK_KEYS)
                raise _error("unknown key%s" % ("; did you mean %s?" % guess if guess else ""), host, field,
                             "use asn, cluster_id or allow_local_as")
            entry[key] = None if value is None else RACK_KEYS[key](value, host, field)
        out[rack] = entry
    return out
