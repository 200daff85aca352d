# -*- coding: utf-8 -*-
# Copyright: kubefabric.bgp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""BGP AS numbers the way Calico reads and writes them.

Calico (``numorstring.ASNumber``) stores an AS number as an unsigned 32-bit integer. Text is read
as a plain decimal uint32 (``4200000000``) or as "asdot" ``X.Y`` where X and Y are each 0..65535,
giving ``(X << 16) + Y``. It is always written back as plain decimal. 0 means "not set".

The storage CRDs (``crd.projectcalico.org/v1``) and the native ``projectcalico.org/v3`` CRDs declare
``asNumber`` as ``type: integer, format: int32``: such a schema takes only JSON integers (no dotted
text), and a Kubernetes API server that enforces numeric formats (1.36 and later) refuses values
outside -2147483648..2147483647 there. ``parse_asn`` is Calico's own rule; ``check_crd_int32``
is the schema's rule. See docs/calico-validation.md.
"""

from __future__ import annotations

import re

ASN_MAX = 4294967295
INT32_MIN = -2147483648
INT32_MAX = 2147483647

_DECIMAL = re.compile(r"[0-9]+\Z")


def _invalid(text):
    # Calico's wording (numorstring.ASNumberFromString).
    return ValueError("invalid AS Number format (%s)" % text)


def _parse_uint(text, bits):
    """Go's strconv.ParseUint(text, 10, bits): ASCII digits only, no sign, no spaces."""
    if not _DECIMAL.match(text):
        return None
    value = int(text)
    if value >= (1 << bits):
        return None
    return value


def parse_asn(value):
    """Return the AS number as an int from an int or text (plain or dotted ``X.Y``).

    Raises ``ValueError`` with Calico's message ``invalid AS Number format (<value>)``.
    """
    if isinstance(value, bool):
        raise _invalid(value)
    if isinstance(value, int):
        if 0 <= value <= ASN_MAX:
            return value
        raise _invalid(value)
    if not isinstance(value, str):
        # Floats included: Calico's JSON decoder refuses 65000.0, and a YAML reader turns an
        # unquoted 65000.10 into 65000.1, losing the dotted form. Quote dotted AS numbers.
        raise _invalid(value)
    plain = _parse_uint(value, 32)
    if plain is not None:
        return plain
    parts = value.split(".")
    if len(parts) != 2:
        raise _invalid(value)
    high = _parse_uint(parts[0], 16)
    low = _parse_uint(parts[1], 16)
    if high is None or low is None:
        raise _invalid(value)
    return (high << 16) + low


def format_asn(value):
    """Plain decimal text, the way Calico prints an AS number (``ASNumber.String()``)."""
    return str(parse_asn(value))


def format_asdot(value):
    """``X.Y`` text for display next to the plain form (``65536`` -> ``1.0``, ``64512`` -> ``64512``)."""
    number = parse_asn(value)
    if number < 65536:
        return str(number)
    return "%d.%d" % (number >> 16, number & 0xFFFF)


def is_valid_asn(value):
    try:
        parse_asn(value)
    except ValueError:
        return False
    return True


def check_crd_int32(value):
    """The CRD schema's view of an ``asNumber`` (``type: integer, format: int32``).

    Returns None when the schema accepts ``value`` and a message otherwise. Negative values pass
    the schema although Calico itself cannot read them.
    """
    if isinstance(value, bool) or not isinstance(value, int):
        return "must be of type integer"
    if value < INT32_MIN or value > INT32_MAX:
        return "must be of type integer with format int32"
    return None
