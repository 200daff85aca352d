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
              - Free text describing the neighbor (one line, no double quotes).
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
          multihop:
            description:
              - Allow an eBGP session over more than one hop (TTL 255). Unset means false.
            type: bool
          update_source:
            description:
              - Local address (or, where the platform allows, interface) the session is sourced from.
            type: str
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
      - What to do with O(config.neighbors[].password) on a platform that cannot read passwords back
        (RouterOS).
      - C(on_create) sends the password only when the neighbor is created, so a second run is
        idempotent; to change a password, use C(always) once.
      - C(always) sends the password on every run; the task then always reports a change.
      - Platforms that can read the password back compare it and ignore this option.
    type: str
    choices: [on_create, always]
    default: on_create
"""
