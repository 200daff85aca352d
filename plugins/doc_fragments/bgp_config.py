# -*- coding: utf-8 -*-
# Copyright: kubefabric.bgp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The platform-neutral BGP resource options shared by routeros_bgp, comware_bgp and frr_bgp."""

from __future__ import annotations


class ModuleDocFragment:

    DOCUMENTATION = r"""
options:
  config:
    description:
      - The device's BGP configuration in the platform-neutral model (docs/device-model.md).
      - Required for O(state=merged), O(state=replaced), O(state=overridden) and O(state=rendered).
      - Only the neighbors and listen ranges this collection manages are read, changed or removed.
    type: dict
    suboptions:
      asn:
        description:
          - Local AS number, plain (C(64513)) or asdot (C(1.10)); 1..4294967295.
        type: str
      router_id:
        description:
          - BGP router ID (an IPv4 address). Under O(state=replaced) and O(state=overridden) leaving it
            out resets it to the platform's automatic choice.
        type: str
      neighbors:
        description:
          - BGP neighbors, keyed by O(config.neighbors[].address).
        type: list
        elements: dict
        suboptions:
          address:
            description:
              - The neighbor's IPv4 or IPv6 address (the key).
            type: str
            required: true
            aliases: [peer]
          remote_as:
            description:
              - The neighbor's AS number. Required except under O(state=deleted).
            type: str
          description:
            description:
              - Free text describing the neighbor (one line, no double quotes). On the device it follows the
                ownership marker, shortened to what the platform's field holds (Comware 79, FRR 80 characters
                in all).
            type: str
          password:
            description:
              - TCP MD5 password of the session. Never returned in results or diffs.
              - See O(password_update) for platforms that cannot read it back.
            type: str
          route_reflector_client:
            description:
              - The neighbor is a route-reflector client of this device.
              - Unset means false.
            type: bool
          update_source:
            description:
              - Local address (or, where the platform allows, interface) the session is sourced from.
            type: str
          multihop:
            description:
              - Allow an eBGP session over more than one hop (TTL 255). Unset means false.
            type: bool
          hold_time:
            description:
              - Hold time in seconds, 0 or 3..65535.
            type: int
          keepalive_time:
            description:
              - Keepalive interval in seconds, below O(config.neighbors[].hold_time).
            type: int
          bfd:
            description:
              - Use BFD for the session. Unset means false.
            type: bool
          passive:
            description:
              - Wait for the neighbor to open the session, never connect to it. Unset means false.
              - RouterOS 6 C(passive=yes), RouterOS 7 C(connect=no), FRR C(neighbor IP passive); not managed on
                Comware.
            type: bool
          import_policy:
            description:
              - Name of the inbound routing policy (RouterOS filter chain, Comware route-policy, FRR
                route-map).
            type: str
          export_policy:
            description:
              - Name of the outbound routing policy.
            type: str
          address_families:
            description:
              - Address families of the session. Unset means C([ipv4]).
            type: list
            elements: str
            choices: [ipv4, ipv6, vpnv4, vpnv6, l2vpn, evpn]
      listen_ranges:
        description:
          - Dynamic neighbors (for example autoscaled Kubernetes nodes) accepted from a prefix, keyed by
            O(config.listen_ranges[].prefix).
        type: list
        elements: dict
        suboptions:
          prefix:
            description:
              - The network the dynamic neighbors come from, for example C(172.16.30.0/24).
            type: str
            required: true
          remote_as:
            description:
              - The dynamic neighbors' AS number. Required except under O(state=deleted).
            type: str
          peer_group:
            description:
              - Name of the peer group (or platform equivalent) the dynamic neighbors belong to.
            type: str
  state:
    description:
      - C(merged) sets what O(config) gives and leaves everything else alone.
      - C(replaced) replaces each listed neighbor or listen range as a whole (fields left out go back to
        their defaults), and the router ID; unlisted neighbors are left alone.
      - C(overridden) is C(replaced), and also removes every managed neighbor and listen range that
        O(config) does not list. Objects the collection does not manage are never removed.
      - C(deleted) removes the listed neighbors and listen ranges; when O(config) lists none, it removes
        everything the collection manages on the device.
      - C(gathered) returns the managed configuration as RV(gathered).
      - C(rendered) returns the device commands for O(config) as RV(rendered), without connecting.
      - C(parsed) reads O(running_config) into RV(parsed), without connecting.
    type: str
    choices: [merged, replaced, overridden, deleted, gathered, rendered, parsed]
    default: merged
  running_config:
    description:
      - The device's configuration text, for O(state=parsed).
    type: str
  password_update:
    description:
      - When O(config.neighbors[].password) is sent on a platform that cannot read passwords back
        (Comware).
      - C(on_change) sends it when the neighbor is created and whenever it differs from the one set
        last (the ownership marker in the neighbor's description holds a salted, slow, truncated
        fingerprint of the password, never the password), so a rotation converges and a second run is
        idempotent. A neighbor whose marker has no fingerprint yet (adopted, or marked by an older
        release) gets the password once.
      - C(on_create) sends it only when the neighbor is created; the fingerprint is not updated.
      - C(always) sends it on every run; the task then always reports a change.
      - Platforms that can read the password back (FRR, RouterOS) compare it and ignore this option.
    type: str
    choices: [on_change, on_create, always]
    default: on_change
  owner:
    description:
      - The owner scope (a fabric or cluster id) written into the ownership marker of every neighbor
        and listen range the task creates (C(kubefabric:<owner>) at the start of the description or
        comment). Only objects marked for this owner are read, changed or removed, so the operator's
        own neighbors and those of another fabric on the same device are never touched.
      - Older releases' marker C(kubefabric:) (RouterOS) counts as owner C(default).
      - 1-24 characters from C(a-z 0-9 . _ -). The devices role passes C(kubefabric_fabric_id).
    type: str
    default: default
  adopt:
    description:
      - Take over a neighbor at a planned address that carries no ownership marker (hand-made, or
        created by a release without markers) instead of failing. Neighbors marked for another owner
        are never adopted.
    type: bool
    default: false
"""
