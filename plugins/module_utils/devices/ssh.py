# -*- coding: utf-8 -*-
# Copyright: kubefabric.bgp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""SSH connections to CLI devices (H3C Comware, FRR/vtysh) through netmiko.

One option spec (``SSH_ARGUMENT_SPEC``, documented by the ``kubefabric.bgp.netmiko_ssh`` doc
fragment) and one ``connect(params, device_type)`` that turns every way an SSH login can fail
into a ``FabricError`` that names the host and says what to fix:

* authentication failure (wrong password or key)       -> field ``password`` / ``ssh_key_file``
* unreachable host / refused port / timeout / DNS       -> field ``hostname``
* host key mismatch or unknown host key (strict mode)   -> field ``known_hosts_file``

Host-key checking is on by default; it is turned off only by ``host_key_checking: false``.
"""

from __future__ import annotations

import os
import re
import socket

from ansible_collections.kubefabric.bgp.plugins.module_utils.common.errors import FabricError

try:
    import paramiko
    from netmiko import ConnectHandler
    from netmiko.exceptions import NetmikoAuthenticationException, NetmikoTimeoutException
    HAS_NETMIKO = True
    NETMIKO_IMPORT_ERROR = None
except ImportError as _exc:  # pragma: no cover - exercised by the sanity import test
    paramiko = None
    ConnectHandler = None
    NetmikoAuthenticationException = NetmikoTimeoutException = None
    HAS_NETMIKO = False
    NETMIKO_IMPORT_ERROR = _exc


SSH_ARGUMENT_SPEC = {
    "hostname": {"type": "str", "aliases": ["host"]},
    "username": {"type": "str"},
    "password": {"type": "str", "no_log": True},
    "port": {"type": "int", "default": 22},
    "ssh_key_file": {"type": "path", "no_log": False},
    "host_key_checking": {"type": "bool", "default": True},
    "known_hosts_file": {"type": "path"},
    "timeout": {"type": "int", "default": 10},
}

SSH_OPTION_NAMES = tuple(SSH_ARGUMENT_SPEC)


def argument_spec():
    """A fresh copy of the SSH options (modules add their own options to it)."""
    return {name: dict(spec) for name, spec in SSH_ARGUMENT_SPEC.items()}


def ssh_params(params):
    """The SSH options out of a module's full ``params`` (other keys are ignored)."""
    out = {}
    for name, spec in SSH_ARGUMENT_SPEC.items():
        value = params.get(name)
        if value is None:
            value = spec.get("default")
        out[name] = value
    return out


def _target(params):
    port = params.get("port") or 22
    return "%s:%s" % (params.get("hostname"), port)


def validate_ssh_params(params):
    """Fail before connecting when the options cannot work (missing secret, unreadable files)."""
    params = ssh_params(params)
    host = params["hostname"]
    if not host:
        raise FabricError("no device address given", field="hostname",
                          fix="set hostname to the device's management address")
    if not params["username"]:
        raise FabricError("no SSH user given", host=host, field="username", fix="set username")
    if not params["password"] and not params["ssh_key_file"]:
        raise FabricError("neither a password nor an SSH key is given", host=host, field="password",
                          fix="set password (no_log) or ssh_key_file")
    port = params["port"]
    if not isinstance(port, int) or not 0 < port < 65536:
        raise FabricError("port %r is not a TCP port" % (port,), host=host, field="port",
                          fix="use a port between 1 and 65535 (22 for SSH)")
    if params["ssh_key_file"] and not os.path.isfile(params["ssh_key_file"]):
        raise FabricError("SSH key file %s does not exist" % params["ssh_key_file"], host=host,
                          field="ssh_key_file", fix="point ssh_key_file at a readable private key")
    if params["host_key_checking"] and params["known_hosts_file"] \
            and not os.path.isfile(params["known_hosts_file"]):
        raise FabricError("known hosts file %s does not exist" % params["known_hosts_file"],
                          host=host, field="known_hosts_file",
                          fix="create it with the device's host key (ssh-keyscan from a trusted network) "
                              "or point known_hosts_file at the right file")
    return params


def netmiko_kwargs(params, device_type):
    """The ``ConnectHandler`` keyword arguments for these options (pure; unit-tested)."""
    params = validate_ssh_params(params)
    kwargs = {
        "device_type": device_type,
        "host": params["hostname"],
        "username": params["username"],
        "port": params["port"],
        "conn_timeout": params["timeout"],
        "auth_timeout": params["timeout"],
        "banner_timeout": params["timeout"],
        "allow_agent": False,
        "fast_cli": False,
    }
    if params["password"]:
        kwargs["password"] = params["password"]
    if params["ssh_key_file"]:
        kwargs["use_keys"] = True
        kwargs["key_file"] = params["ssh_key_file"]
    if params["host_key_checking"]:
        kwargs["ssh_strict"] = True
        if params["known_hosts_file"]:
            kwargs["alt_host_keys"] = True
            kwargs["alt_key_file"] = params["known_hosts_file"]
        else:
            kwargs["system_host_keys"] = True
    else:
        kwargs["ssh_strict"] = False
    return kwargs


def _chain(exc):
    """The exception and every exception it was raised from or while handling."""
    seen = []
    while exc is not None and exc not in seen:
        seen.append(exc)
        exc = exc.__cause__ or exc.__context__
    return seen


def classify_connect_error(exc, params):
    """Map a netmiko/paramiko/socket exception from connecting into a ``FabricError``."""
    params = ssh_params(params)
    host = params["hostname"]
    target = _target(params)
    chain = _chain(exc)
    text = " ".join(str(e) for e in chain)
    if paramiko is not None and any(isinstance(e, paramiko.BadHostKeyException) for e in chain) \
            or "does not match" in text:
        return FabricError(
            "SSH host key of %s does not match the known host key; refusing to connect "
            "(possible man-in-the-middle, or the device was re-keyed)" % target,
            host=host, field="known_hosts_file",
            fix="verify the device's key out of band, then update its entry in %s"
                % (params["known_hosts_file"] or "~/.ssh/known_hosts"))
    if "not found in known_hosts" in text:
        return FabricError(
            "SSH host key of %s is unknown and host_key_checking is on" % target,
            host=host, field="known_hosts_file",
            fix="add the device's host key to %s (or set host_key_checking: false in a lab)"
                % (params["known_hosts_file"] or "~/.ssh/known_hosts"))
    auth_types = tuple(t for t in (NetmikoAuthenticationException,
                                   paramiko.AuthenticationException if paramiko else None) if t)
    if auth_types and any(isinstance(e, auth_types) for e in chain):
        field = "ssh_key_file" if params["ssh_key_file"] and not params["password"] else "password"
        return FabricError(
            "SSH authentication as %r to %s failed" % (params["username"], target),
            host=host, field=field, fix="check username and %s for this device" % field)
    if any(isinstance(e, (socket.timeout, TimeoutError, ConnectionError, OSError)) for e in chain) \
            or (NetmikoTimeoutException and isinstance(exc, NetmikoTimeoutException)):
        reason = "no answer within %ss" % params["timeout"]
        if "DNS failure" in text or "Name or service not known" in text:
            reason = "the name does not resolve"
        elif "refused" in text.lower():
            reason = "connection refused"
        elif "TCP connection to device failed" in text:
            reason = "TCP connection failed"
        return FabricError(
            "cannot reach %s over SSH (%s)" % (target, reason), host=host, field="hostname",
            fix="check hostname, port and that the device's SSH server is running and reachable")
    return FabricError("SSH connection to %s failed: %s" % (target, _first_line(exc)),
                       host=host, field="hostname", fix="check the SSH options for this device")


def connect(params, device_type, connect_handler=None):
    """Open a netmiko session; every failure is a ``FabricError`` (never a traceback).

    ``connect_handler`` lets unit tests pass a fake ``ConnectHandler``.
    """
    if connect_handler is None:
        if not HAS_NETMIKO:
            raise FabricError("the Python library netmiko is not installed: %s" % NETMIKO_IMPORT_ERROR,
                              field="netmiko", fix="pip install netmiko (and ntc-templates)")
        connect_handler = ConnectHandler
    kwargs = netmiko_kwargs(params, device_type)
    try:
        return connect_handler(**kwargs)
    except FabricError:
        raise
    except Exception as exc:  # pylint: disable=broad-except
        raise classify_connect_error(exc, params) from None


class CliLineError(Exception):
    """The device rejected a configuration line (``index`` into the lines pushed)."""

    def __init__(self, line, index, message):
        super().__init__("%s: %s" % (line, message))
        self.line = line
        self.index = index
        self.message = message


class CliSession:
    """Line-by-line CLI pushes over a netmiko connection, stopping at the first rejected line.

    ``prompt_re`` matches a prompt line (no inline flags; it is used with ``re.M``).
    Each line is written, its echo read (netmiko ``cmd_verify``), then the output up to the next
    prompt; a line whose output matches ``error_re`` stops the push with ``CliLineError``, so the
    caller knows exactly which lines the device has taken (all before it) and can roll them back.
    ``confirm_re``/``confirm`` answer a confirmation question (Comware's ``[Y/N]``).
    ``any_output_is_error``: a configuration line that prints anything (Comware refuses some lines
    with one plain sentence, e.g. ``The peer 10.9.9.9 does not exist.``) is rejected.
    ``ignore_re``: output lines that are never an answer to the line (asynchronous log messages that
    the device writes to a monitoring terminal between two prompts).
    """

    def __init__(self, conn, prompt_re, error_re, host=None, confirm_re=None, confirm="Y", read_timeout=30,
                 any_output_is_error=False, ignore_re=None):
        self.conn = conn
        self.prompt_re = prompt_re
        self.error_re = error_re
        self.host = host
        self.confirm_re = confirm_re
        self.confirm = confirm
        self.read_timeout = read_timeout
        self.any_output_is_error = any_output_is_error
        self.ignore_re = ignore_re

    def show(self, command):
        """Output of one show/display command (prompt and echo stripped)."""
        try:
            return self.conn.send_command(command, read_timeout=self.read_timeout)
        except Exception as exc:  # pylint: disable=broad-except
            raise FabricError("reading %r failed: %s" % (command, _first_line(exc)), host=self.host,
                              field="hostname", fix="check the device's SSH session and CLI") from None

    def _send(self, line):
        pattern = "(?m)" + self.prompt_re
        if self.confirm_re:
            pattern = "(?m)(?:%s)|(?:%s)" % (self.prompt_re, self.confirm_re)
        output = self.conn.send_command(line, expect_string=pattern, strip_prompt=False, strip_command=False,
                                        cmd_verify=True, read_timeout=self.read_timeout)
        if self.confirm_re and re.search(self.confirm_re, output):
            output += self.conn.send_command(self.confirm, expect_string="(?m)" + self.prompt_re, strip_prompt=False,
                                             strip_command=False, cmd_verify=False,
                                             read_timeout=self.read_timeout)
        return output

    def _unexpected_lines(self, body):
        """Output lines that are neither a prompt, a caret, the confirmation question nor blank."""
        out = []
        for raw in body.splitlines():
            text = raw.strip()
            if not text or set(text) <= {"^"} or re.match(self.prompt_re, text) \
                    or (self.confirm_re and re.search(self.confirm_re, text)) \
                    or (self.ignore_re and re.match(self.ignore_re, text)):
                continue
            out.append(text)
        return out

    def push(self, lines):
        """Send ``lines`` one by one; return the output; ``CliLineError`` at the first rejected line."""
        outputs = []
        for index, line in enumerate(lines):
            try:
                output = self._send(line)
            except Exception as exc:  # pylint: disable=broad-except
                raise CliLineError(line, index, "no prompt after the line (%s)" % _first_line(exc)) from None
            outputs.append(output)
            body = output.split("\n", 1)[1] if "\n" in output else ""
            errors = [m.group(0).strip() for m in re.finditer(self.error_re, body)]
            if not errors and self.any_output_is_error:
                errors = self._unexpected_lines(body)
            if errors:
                raise CliLineError(line, index, " ".join(errors))
        return "\n".join(outputs)


def _first_line(exc):
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
