"""What the Calico API server (``projectcalico.org/v3``, aggregated) does to an object before the
CRD schema sees it, beyond what a plain CRD does.

- Decoding into Calico's Go types: an AS number (``numorstring.ASNumber``) may be written as a
  number, a decimal string ("64512") or in asdot notation ("1.10" = 1 * 65536 + 10 = 65546); it is
  stored, and served through every group, as the integer.
- clientv3's IPPool defaults: ``blockSize`` 26 (IPv4) / 122 (IPv6), ``ipipMode`` and
  ``vxlanMode`` Never, ``nodeSelector`` all(), ``allowedUses`` [Workload, Tunnel], and the CIDR in
  canonical form (``10.1.0.0/16``) when its address is the network address.

Calico's Go validators (selector syntax, references between objects...) are not emulated here:
see docs/lab-kubeapi.md for which path checks what.
"""
import ipaddress
import re

# The fields of type numorstring.ASNumber in the kinds served, by kind.
AS_NUMBER_FIELDS = {"BGPPeer": ("asNumber", "localASNumber"), "BGPConfiguration": ("asNumber",)}

_ASDOT = re.compile(r"^([0-9]+)\.([0-9]+)$")
_ASPLAIN = re.compile(r"^[0-9]+$")


def as_number(value):
    """The integer an AS number string decodes to, or ``value`` unchanged when it is not one."""
    if not isinstance(value, str):
        return value
    match = _ASDOT.match(value)
    if match:
        high, low = int(match.group(1)), int(match.group(2))
        if high <= 0xFFFF and low <= 0xFFFF:
            return (high << 16) + low
        return value
    if _ASPLAIN.match(value) and int(value) < 2 ** 32:
        return int(value)
    return value


def decode(kind, obj):
    """Calico's JSON decoding of ``obj`` (in place)."""
    spec = obj.get("spec")
    if not isinstance(spec, dict):
        return
    for name in AS_NUMBER_FIELDS.get(kind, ()):
        if name in spec:
            spec[name] = as_number(spec[name])


def default(kind, obj):
    """clientv3's defaults (in place)."""
    spec = obj.get("spec")
    if kind != "IPPool" or not isinstance(spec, dict):
        return
    text = spec.get("cidr")
    try:
        net = ipaddress.ip_network(text, strict=False) if isinstance(text, str) and "/" in text else None
    except ValueError:
        net = None
    if net is not None:
        if ipaddress.ip_address(text.split("/")[0]) == net.network_address:
            spec["cidr"] = str(net)
        if not spec.get("blockSize"):
            spec["blockSize"] = 26 if net.version == 4 else 122
    for key, value in (("ipipMode", "Never"), ("vxlanMode", "Never"), ("nodeSelector", "all()"),
                       ("allowedUses", ["Workload", "Tunnel"])):
        if not spec.get(key):
            spec[key] = value
