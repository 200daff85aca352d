# -*- coding: utf-8 -*-
# Copyright: kubefabric.bgp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Ownership markers: how the collection recognises, on a shared device, the BGP objects it created.

Every neighbor the collection creates carries a marker at the start of its description (FRR
``neighbor X description``, Comware ``peer X description``, RouterOS ``comment``)::

    kubefabric:<owner>[/<fingerprint>][ <description>]

* ``owner``: the owner scope (a fabric or cluster id, the modules' ``owner`` option, ``default``
  unless set), so that two fabrics can share a leaf without touching each other's neighbors;
* ``fingerprint``: 8 hex digits derived from the neighbor's password (PBKDF2-HMAC-SHA256, 100000
  rounds, salted with owner and address, truncated to 32 bits).  It lets a platform that cannot read a
  password back (Comware, RouterOS) see that the password in the task is not the one it set, without
  the description ever holding the password or a fast hash of it;
* ``description``: the task's own description (shortened to what the platform's field can hold).

The marker is part of the device's configuration, so it survives a reload and a ``save``.  Older
releases wrote ``kubefabric: <description>`` (RouterOS) without an owner; such rows are read as owned
by the ``default`` owner and rewritten in the new form on their next change.  Listen ranges carry the
marker in their peer group's description (FRR, Comware) or comment (RouterOS).
"""

from __future__ import annotations

import hashlib
import re

from ..common.errors import FabricError

PREFIX = "kubefabric:"
DEFAULT_OWNER = "default"
_OWNER_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{0,23}$")
_MARKER_RE = re.compile(r"^kubefabric:(?P<owner>[a-z0-9][a-z0-9._-]{0,23})(?:/(?P<fp>[0-9a-f]{8}))?(?: (?P<desc>.*))?$")
FINGERPRINT_ROUNDS = 100000


def check_owner(owner, host=None):
    """The owner scope, validated (lower-case letters, digits, ``.``, ``_``, ``-``; 1-24 characters)."""
    owner = DEFAULT_OWNER if owner in (None, "") else str(owner)
    if not _OWNER_RE.match(owner):
        raise FabricError("invalid owner %r" % owner, host=host, field="owner",
                          fix="use 1-24 characters from a-z 0-9 . _ - starting with a letter or digit "
                              "(e.g. the fabric id kubefabric_fabric_id)")
    return owner


def scope(fabric_id, cluster=None, host=None):
    """The owner scope of a cluster's neighbours on shared devices (docs/multi_cluster.md).

    ``<fabric_id>`` for the fabric's own neighbours and for every neighbour of a single-cluster
    inventory (unchanged), ``<fabric_id>.<cluster>`` for the neighbours of one cluster of several, so
    that a run of one cluster never touches another's.  Raises FabricError when the result is not a
    valid owner (at most 24 characters in all).
    """
    fabric = check_owner(fabric_id, host)
    if cluster in (None, ""):
        return fabric
    text = "%s.%s" % (fabric, cluster)
    if not _OWNER_RE.match(text):
        raise FabricError("the owner scope %r of cluster %s is not a valid ownership marker owner" % (text, cluster),
                          host=host or str(cluster), field="kubefabric_fabric_id",
                          fix="keep kubefabric_fabric_id plus '.' plus the cluster's group name within 24 characters "
                              "of a-z 0-9 . _ - (shorten the fabric id or rename the cluster group)")
    return text


def fingerprint(password, owner, address):
    """8 hex digits of PBKDF2-HMAC-SHA256(password, salt=owner/address): detects a changed password,
    reveals nothing usable about it (a 32-bit truncation matches millions of candidate keys)."""
    if password is None:
        return None
    salt = ("kubefabric/%s/%s" % (owner, address)).encode("utf-8")
    digest = hashlib.pbkdf2_hmac("sha256", str(password).encode("utf-8"), salt, FINGERPRINT_ROUNDS)
    return digest.hex()[:8]


def parse(text):
    """``(owner, fingerprint, description)`` of a marked description; None if it carries no marker.

    A legacy marker (``kubefabric:`` followed by nothing or a space) has owner ``None``.
    """
    if text is None or not str(text).startswith(PREFIX):
        return None
    text = str(text)
    rest = text[len(PREFIX):]
    if rest == "" or rest.startswith(" "):
        return (None, None, rest.strip() or None)
    match = _MARKER_RE.match(text)
    if not match:
        return None
    return (match.group("owner"), match.group("fp"), match.group("desc") or None)


def owned_by(text, owner):
    """Whether a description/comment marks an object owned by ``owner`` (legacy markers: ``default``)."""
    marker = parse(text)
    if marker is None:
        return False
    return (marker[0] or DEFAULT_OWNER) == owner


def make(owner, description=None, fp=None, limit=None):
    """The marked description; the task's ``description`` is shortened to fit ``limit`` characters."""
    head = PREFIX + owner + ("/" + fp if fp else "")
    if not description:
        return head
    text = "%s %s" % (head, description)
    if limit is not None and len(text) > limit:
        text = text[:limit].rstrip()
    return text


def user_part(text):
    """The description without the marker."""
    marker = parse(text)
    return text if marker is None else marker[2]
