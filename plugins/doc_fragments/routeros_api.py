# -*- coding: utf-8 -*-
# Copyright: kubefabric.bgp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    """RouterOS API connection options (community.routeros' names), see module_utils/devices/routeros.py."""

    DOCUMENTATION = r"""
options:
  hostname:
    description:
      - Address or name of the RouterOS device's API service.
      - Required unless the module works offline (O(state=rendered) or O(state=parsed) where offered).
    type: str
  username:
    description:
      - RouterOS user with the C(api) policy (and C(read)/C(write) as the task needs).
      - When not set, taken from the environment variable E(KUBEFABRIC_ROUTEROS_USERNAME),
        E(KUBEFABRIC_DEVICE_USERNAME) or E(ANSIBLE_NET_USERNAME), the first that is set (the kubefabric
        RouterOS credential type for AWX sets the first one).
      - The roles pass the device's C(ansible_user) (or C(bgp_device_username)) inventory variable.
    type: str
    aliases: [bgp_device_username]
  password:
    description:
      - The user's password. Never logged, never in results.
      - When not set, taken from E(KUBEFABRIC_ROUTEROS_PASSWORD), E(KUBEFABRIC_DEVICE_PASSWORD) or
        E(ANSIBLE_NET_PASSWORD).
      - The roles pass C(ansible_password) (or C(bgp_device_password)).
    type: str
    aliases: [bgp_device_password]
  port:
    description:
      - API port. Defaults to C(8729) with O(tls=true) (the C(api-ssl) service) and C(8728) without.
      - The roles pass C(ansible_port) (or C(bgp_device_port)).
    type: int
    aliases: [bgp_device_port]
  tls:
    description:
      - Connect to the C(api-ssl) service over TLS. On by default; the plain C(api) service sends the
        password in clear text, so turning TLS off is an explicit choice.
    type: bool
    default: true
    aliases: [ssl]
  validate_certs:
    description:
      - Verify the router's TLS certificate against O(ca_path) (or the system CA store).
      - Turn this off only in a lab; the module then accepts any certificate.
    type: bool
    default: true
  validate_cert_hostname:
    description:
      - Also check that the certificate names O(hostname) (as community.routeros, off by default because
        RouterOS certificates rarely carry the management address).
    type: bool
    default: false
  ca_path:
    description:
      - PEM file with the CA certificate(s) that signed the router's certificate.
      - When not set, taken from E(KUBEFABRIC_ROUTEROS_CA_PATH) (the AWX credential type writes its CA input
        to a file and sets it). The roles pass C(bgp_device_ca_path).
    type: path
    aliases: [bgp_device_ca_path]
  timeout:
    description:
      - Seconds to wait for the connection and for each reply.
    type: int
    default: 10
requirements:
  - librouteros >= 3.2 (Python library on the controller)
notes:
  - Connection errors name the host and the option to fix, for example O(password) for a refused login,
    O(validate_certs)/O(ca_path) for a certificate that fails verification and O(hostname) for an unreachable
    device.
"""
