# -*- coding: utf-8 -*-
# Copyright: kubefabric.bgp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Where a device's connection options come from: options, environment, inventory variables.

One table each, used by every module and plugin that logs in to a device:

* ``OPTION_ALIASES``: the collection's inventory names accepted as option aliases;
* ``env_names(option, family)``: the environment fallbacks, most specific first (the credential
  types in ``examples/awx/credential_types/`` inject the ``KUBEFABRIC_ROUTEROS_*`` / ``KUBEFABRIC_SSH_*``
  names, so a job can carry a RouterOS and an SSH credential at the same time);
* ``INVENTORY_VARS``: Ansible's standard inventory variables first (``ansible_host``,
  ``ansible_user``, ``ansible_password``, ``ansible_port``, ``ansible_ssh_private_key_file``), then
  the collection's older ``bgp_device_*`` names.

``family`` is ``routeros`` (RouterOS API, librouteros) or ``ssh`` (Comware and FRR, netmiko).
Host-key checking deliberately has no environment fallback: ``ANSIBLE_HOST_KEY_CHECKING=False``
is commonly set for a whole job and must not silently turn off the device's key check.
"""

from __future__ import annotations

import os

from ansible.module_utils.basic import env_fallback

FAMILIES = ("routeros", "ssh")

# module option -> aliases (the collection's own inventory names)
OPTION_ALIASES = {
    "username": ["bgp_device_username"],
    "password": ["bgp_device_password"],
    "port": ["bgp_device_port"],
    "ssh_key_file": ["bgp_device_ssh_key_file"],
    "known_hosts_file": ["bgp_device_known_hosts"],
    "host_keys": ["bgp_device_host_keys"],
    "host_key_checking": ["bgp_device_host_key_checking"],
    "ca_path": ["bgp_device_ca_path"],
    "fast_cli": ["bgp_device_fast_cli"],
    "global_delay_factor": ["bgp_device_global_delay_factor"],
}

_ENV = {
    "username": ("{F}_USERNAME", "KUBEFABRIC_DEVICE_USERNAME", "ANSIBLE_NET_USERNAME"),
    "password": ("{F}_PASSWORD", "KUBEFABRIC_DEVICE_PASSWORD", "ANSIBLE_NET_PASSWORD"),
    "ssh_key_file": ("KUBEFABRIC_SSH_KEY_FILE", "ANSIBLE_NET_SSH_KEYFILE"),
    "known_hosts_file": ("KUBEFABRIC_SSH_KNOWN_HOSTS_FILE",),
    "ca_path": ("KUBEFABRIC_ROUTEROS_CA_PATH",),
}
_FAMILY_PREFIX = {"routeros": "KUBEFABRIC_ROUTEROS", "ssh": "KUBEFABRIC_SSH"}

# options each family has (bgp_session_info and the inventory mapping pick by platform)
FAMILY_OPTIONS = {
    "routeros": ("hostname", "username", "password", "port", "tls", "validate_certs", "ca_path"),
    "ssh": ("hostname", "username", "password", "port", "ssh_key_file", "known_hosts_file", "host_keys",
            "host_key_checking", "fast_cli", "global_delay_factor"),
}

# module option -> inventory variables, first defined wins
INVENTORY_VARS = {
    "hostname": ("ansible_host",),
    "username": ("ansible_user", "bgp_device_username"),
    "password": ("ansible_password", "ansible_ssh_pass", "bgp_device_password"),
    "port": ("ansible_port", "bgp_device_port"),
    "ssh_key_file": ("ansible_ssh_private_key_file", "ansible_private_key_file", "bgp_device_ssh_key_file"),
    "known_hosts_file": ("bgp_device_known_hosts",),
    "host_keys": ("bgp_device_host_keys",),
    "host_key_checking": ("bgp_device_host_key_checking",),
    "tls": ("bgp_device_tls",),
    "validate_certs": ("bgp_device_validate_certs",),
    "ca_path": ("bgp_device_ca_path",),
    "fast_cli": ("bgp_device_fast_cli",),
    "global_delay_factor": ("bgp_device_global_delay_factor",),
}

SECRET_OPTIONS = ("password",)


def family_of(platform):
    """``routeros`` for the RouterOS API, ``ssh`` for every CLI platform."""
    return "routeros" if platform == "routeros" else "ssh"


def env_names(option, family):
    """The environment variables that fill ``option`` when it is not given, most specific first."""
    names = _ENV.get(option, ())
    if option == "ssh_key_file" or option == "known_hosts_file":
        return names if family == "ssh" else ()
    if option == "ca_path":
        return names if family == "routeros" else ()
    return tuple(name.replace("{F}", _FAMILY_PREFIX[family]) for name in names)


def with_connection_conventions(spec, family):
    """``spec`` (a dict of option specs, changed in place and returned) with the aliases and the
    environment fallbacks of ``family`` on the connection options it has."""
    for option, aliases in OPTION_ALIASES.items():
        if option in spec:
            spec[option] = dict(spec[option], aliases=list(spec[option].get("aliases", [])) + aliases)
    for option in _ENV:
        names = env_names(option, family)
        if option in spec and names:
            spec[option] = dict(spec[option], fallback=(env_fallback, list(names)))
    return spec


def fill_from_env(params, family, environ=None):
    """``params`` with the unset connection options taken from the environment (for code that runs
    without an argument spec, or whose platform is only known at run time: bgp_session_info and the
    fabric_verify action).  Returns ``(params, secrets)``: ``secrets`` are the values taken for
    ``no_log`` options, for the caller to mask."""
    environ = os.environ if environ is None else environ
    params = dict(params)
    secrets = []
    for option in _ENV:
        if params.get(option) not in (None, ""):
            continue
        for name in env_names(option, family):
            if environ.get(name):
                params[option] = environ[name]
                if option in SECRET_OPTIONS:
                    secrets.append(environ[name])
                break
    return params, secrets


def options_from_hostvars(hostvars, host, platform):
    """The module options of ``platform`` that a device's inventory variables set (unset ones are
    left out, so that module defaults and environment fallbacks apply).  ``hostname`` falls back to
    the inventory host name."""
    options = {}
    for option in FAMILY_OPTIONS[family_of(platform)]:
        for var in INVENTORY_VARS[option]:
            value = hostvars.get(var)
            if value is not None and value != "":
                options[option] = value
                break
    options.setdefault("hostname", host)
    return options
