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
      - Required whenever the module connects.
    type: str
  password:
    description:
      - SSH password. Never logged, never in results.
      - One of O(password) and O(ssh_key_file) is required.
    type: str
  port:
    description:
      - TCP port of the device's SSH server.
    type: int
    default: 22
  ssh_key_file:
    description:
      - Path of a private key to authenticate with instead of (or before) the password.
    type: path
  host_key_checking:
    description:
      - Verify the device's SSH host key against O(known_hosts_file) (or the user's
        C(~/.ssh/known_hosts) when that is not set), and refuse unknown or changed keys.
      - Turning this off accepts any host key; do that only in a lab.
    type: bool
    default: true
  known_hosts_file:
    description:
      - A known_hosts file (OpenSSH format) holding the device's host key.
      - For a port other than 22 the entry reads C([address]:port key-type key).
    type: path
  timeout:
    description:
      - Seconds to wait for the TCP connection, the SSH banner and authentication.
    type: int
    default: 10
requirements:
  - netmiko >= 4.0 (Python library, which brings paramiko)
notes:
  - Connection errors are reported with the host and the option to fix, for example
    C(known_hosts_file) for a host key mismatch and C(password) for an authentication failure.
"""
