# -*- coding: utf-8 -*-
# Copyright: kubefabric.bgp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    """SSH options of the CLI device modules (netmiko), see module_utils/devices/ssh.py."""

    DOCUMENTATION = r"""
options:
  hostname:
    description:
      - Management address or name of the device to connect to over SSH.
      - Required whenever the module connects (every state except C(rendered) and C(parsed)).
    type: str
    aliases: [host]
  username:
    description:
      - SSH user name on the device.
      - Required whenever the module connects. When not set, taken from the environment variable
        E(KUBEFABRIC_SSH_USERNAME), E(KUBEFABRIC_DEVICE_USERNAME) or E(ANSIBLE_NET_USERNAME), the first that is set
        (the kubefabric SSH device credential type for AWX sets the first one).
      - The roles pass the device's C(ansible_user) (or C(bgp_device_username)) inventory variable.
    type: str
    aliases: [bgp_device_username]
  password:
    description:
      - SSH password. Never logged, never in results.
      - One of O(password) and O(ssh_key_file) is required.
      - When not set, taken from E(KUBEFABRIC_SSH_PASSWORD), E(KUBEFABRIC_DEVICE_PASSWORD) or E(ANSIBLE_NET_PASSWORD).
      - The roles pass C(ansible_password) (or C(bgp_device_password)).
    type: str
    aliases: [bgp_device_password]
  port:
    description:
      - TCP port of the device's SSH server. The roles pass C(ansible_port) (or C(bgp_device_port)).
    type: int
    default: 22
    aliases: [bgp_device_port]
  ssh_key_file:
    description:
      - Path of a private key (unencrypted) to authenticate with instead of (or before) the password.
      - When not set, taken from E(KUBEFABRIC_SSH_KEY_FILE) or E(ANSIBLE_NET_SSH_KEYFILE).
      - The roles pass C(ansible_ssh_private_key_file) (or C(bgp_device_ssh_key_file)).
    type: path
    aliases: [bgp_device_ssh_key_file]
  host_key_checking:
    description:
      - Verify the device's SSH host key and refuse unknown or changed keys. An unknown key is never
        trusted on first use; the error shows the key the device presented and how to verify it.
      - The keys trusted are O(host_keys) when given, else the entries of O(known_hosts_file), else the
        user's C(~/.ssh/known_hosts) (empty in an execution environment).
      - Turning this off accepts any host key; do that only in a lab. Deliberately no environment
        fallback (E(ANSIBLE_HOST_KEY_CHECKING) does not turn it off).
    type: bool
    default: true
    aliases: [bgp_device_host_key_checking]
  host_keys:
    description:
      - The device's SSH public host key(s), one per line or list item, as C(ssh-ed25519 AAAA...) (a line of
        C(ssh-keyscan) output also works; host names in front of the key type are ignored).
      - When given, these keys and nothing else are trusted for this device (not O(known_hosts_file), not
        C(~/.ssh/known_hosts)), so pinning works in an execution environment.
      - The roles pass the device's C(bgp_device_host_keys) inventory variable.
    type: list
    elements: str
    aliases: [bgp_device_host_keys]
  known_hosts_file:
    description:
      - A known_hosts file (OpenSSH format) holding the device's host key, matched by O(hostname).
      - For a port other than 22 the entry reads C([address]:port key-type key).
      - When not set, taken from E(KUBEFABRIC_SSH_KNOWN_HOSTS_FILE) (the AWX credential type writes its
        known hosts input to a file and sets it).
      - The roles pass C(bgp_device_known_hosts).
    type: path
    aliases: [bgp_device_known_hosts]
  timeout:
    description:
      - Seconds to wait for the TCP connection, the SSH banner and authentication.
    type: int
    default: 10
  fast_cli:
    description:
      - netmiko's C(fast_cli) timing, on by default. It takes about 0.3 s to log in and 0.08 s per command instead
        of 0.85 s and 0.49 s (measured on FRR).
      - Turn it off for a device whose CLI answers slowly (prompts cut off, lines missing from the output);
        the roles pass the device's C(bgp_device_fast_cli) inventory variable.
    type: bool
    default: true
    aliases: [bgp_device_fast_cli]
  global_delay_factor:
    description:
      - netmiko's C(global_delay_factor), the multiplier of every wait on the CLI (netmiko uses 0.1 with
        O(fast_cli) and 1 without when not set). A slow device gets, for example, V(2) (with O(fast_cli=false)).
      - The roles pass the device's C(bgp_device_global_delay_factor) inventory variable.
    type: float
    aliases: [bgp_device_global_delay_factor]
requirements:
  - netmiko >= 4.0 (Python library, which brings paramiko)
notes:
  - Connection errors are reported with the host and the option to fix, for example
    C(host_keys) or C(known_hosts_file) for a host key mismatch and C(password) for an authentication failure.
"""
