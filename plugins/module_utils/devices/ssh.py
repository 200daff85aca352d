# -*- coding: utf-8 -*-
# Copyright: kubefabric.bgp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""SSH connections to CLI devices (H3C Comware, FRR/vtysh) through netmiko.

One option spec (``SSH_ARGUMENT_SPEC``, documented by the ``kubefabric.bgp.netmiko_ssh`` doc
fragment) and one ``connect(params, device_type)`` that turns every way an SSH login can fail
into a ``FabricError`` that names the host and says what to fix:

* authentication failure (wrong password or key)       -> field ``password`` / ``ssh_key_file``
* unreachable host / refused port / timeout / DNS       -> field ``hostname``
* host key mismatch or unknown host key (strict mode)   -> field ``host_keys`` / ``known_hosts_file``

Timing: netmiko's ``fast_cli`` is on by default (about 0.3 s to log in and 0.08 s per command
instead of 0.85 s and 0.49 s); a slow device turns it off (``fast_cli: false``, inventory
``bgp_device_fast_cli``) or stretches every wait (``global_delay_factor``, inventory
``bgp_device_global_delay_factor``: netmiko's multiplier, 0.1 under fast_cli and 1 without by default).

Host-key checking is on by default; it is turned off only by ``host_key_checking: false``.
The device's keys come from ``host_keys`` (the public key lines, e.g. from the inventory: nothing
else is trusted then), else ``known_hosts_file``, else ``~/.ssh/known_hosts``.  An unknown key is
refused (never trusted on first use); the error shows the key the device presented and the
commands to verify it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import re
import socket
import tempfile

from ansible.module_utils.parsing.convert_bool import boolean

from ansible_collections.kubefabric.bgp.plugins.module_utils.common.errors import FabricError
from ansible_collections.kubefabric.bgp.plugins.module_utils.devices import connection

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
    "host_keys": {"type": "list", "elements": "str", "no_log": False},
    "timeout": {"type": "int", "default": 10},
    "fast_cli": {"type": "bool", "default": True},
    "global_delay_factor": {"type": "float"},
}

SSH_OPTION_NAMES = tuple(SSH_ARGUMENT_SPEC)


def argument_spec():
    """A fresh copy of the SSH options with their aliases and environment fallbacks
    (``connection.py``); modules add their own options to it."""
    return connection.with_connection_conventions({name: dict(spec) for name, spec in SSH_ARGUMENT_SPEC.items()},
                                                  "ssh")


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
        raise FabricError("no SSH user given", host=host, field="username",
                          fix="set username (inventory: ansible_user; environment: KUBEFABRIC_SSH_USERNAME)")
    if not params["password"] and not params["ssh_key_file"]:
        raise FabricError("neither a password nor an SSH key is given", host=host, field="password",
                          fix="set password (inventory: ansible_password; environment: KUBEFABRIC_SSH_PASSWORD) "
                              "or ssh_key_file (ansible_ssh_private_key_file; KUBEFABRIC_SSH_KEY_FILE)")
    port = params["port"]
    if not isinstance(port, int) or not 0 < port < 65536:
        raise FabricError("port %r is not a TCP port" % (port,), host=host, field="port",
                          fix="use a port between 1 and 65535 (22 for SSH)")
    try:
        params["fast_cli"] = boolean(params["fast_cli"], strict=True)
    except TypeError:
        raise FabricError("fast_cli %r is not a boolean" % (params["fast_cli"],), host=host, field="fast_cli",
                          fix="set bgp_device_fast_cli to true (default) or false (a slow device)") from None
    factor = params["global_delay_factor"]
    if factor is not None:
        try:
            factor = float(factor)
        except (TypeError, ValueError):
            factor = None
        if factor is None or not 0 < factor <= 100:
            raise FabricError("global_delay_factor %r is not a positive number" % (params["global_delay_factor"],),
                              host=host, field="global_delay_factor",
                              fix="use a factor between 0.1 and 100 (e.g. 2 for a slow device), or leave it unset")
        params["global_delay_factor"] = factor
    if params["ssh_key_file"] and not os.path.isfile(params["ssh_key_file"]):
        raise FabricError("SSH key file %s does not exist" % params["ssh_key_file"], host=host,
                          field="ssh_key_file", fix="point ssh_key_file at a readable private key")
    if params["host_key_checking"] and params["host_keys"]:
        params["host_keys"] = parse_host_keys(params["host_keys"], host)
    elif params["host_key_checking"] and params["known_hosts_file"] \
            and not os.path.isfile(params["known_hosts_file"]):
        raise FabricError("known hosts file %s does not exist" % params["known_hosts_file"],
                          host=host, field="known_hosts_file",
                          fix="create it with the device's host key (ssh-keyscan from a trusted network) "
                              "or point known_hosts_file at the right file")
    return params


KEY_TYPE_RE = re.compile(r"^(ssh-(ed25519|rsa|dss)|ecdsa-sha2-nistp(256|384|521)|sk-ssh-ed25519@openssh\.com|"
                         r"sk-ecdsa-sha2-nistp256@openssh\.com)$")


def parse_host_keys(values, host=None):
    """``host_keys`` -> ``[(key_type, base64)]``.  Each value holds one or more lines in OpenSSH
    public-key or known_hosts form (``ssh-ed25519 AAAA... [comment]``, host names in front are
    ignored: the keys belong to this device); a malformed line is a FabricError."""
    keys = []
    for value in values or []:
        if isinstance(value, (tuple, list)) and len(value) == 2:  # already parsed
            keys.append(tuple(value))
            continue
        for line in str(value).splitlines():
            words = line.split()
            if not words or words[0].startswith("#"):
                continue
            index = next((i for i, word in enumerate(words) if KEY_TYPE_RE.match(word)), None)
            problem = None
            if index is None or index + 1 >= len(words):
                problem = "no key type (ssh-ed25519, ecdsa-sha2-nistp256, ssh-rsa...) followed by the key"
            else:
                key_type, data = words[index], words[index + 1]
                try:
                    blob = base64.b64decode(data, validate=True)
                except (binascii.Error, ValueError):
                    blob = b""
                if blob[4:4 + len(key_type)] != key_type.encode():
                    problem = "the key data is not a base64 %s public key" % key_type
            if problem:
                raise FabricError("host key line %r: %s" % (line.strip()[:60], problem), host=host, field="host_keys",
                                  fix="give the device's public host key as 'ssh-ed25519 AAAA...' "
                                      "(a line of ssh-keyscan output, verified with ssh-keygen -lf)")
            keys.append((key_type, data))
    return keys


def fingerprint(key_type, data):
    """OpenSSH's ``SHA256:...`` fingerprint of a public key given as type and base64."""
    digest = hashlib.sha256(base64.b64decode(data)).digest()
    return "%s SHA256:%s" % (key_type, base64.b64encode(digest).decode().rstrip("="))


def known_hosts_text(params):
    """The known_hosts file content that pins ``host_keys`` to this device's address and port."""
    port = params.get("port") or 22
    name = params["hostname"] if port == 22 else "[%s]:%s" % (params["hostname"], port)
    return "".join("%s %s %s\n" % (name, key_type, data) for key_type, data in params["host_keys"])


def netmiko_kwargs(params, device_type, pinned_file=None):
    """The ``ConnectHandler`` keyword arguments for these options (pure; unit-tested).

    ``pinned_file``: the known_hosts file ``connect`` wrote from ``host_keys``; only that file is
    trusted then (not ``known_hosts_file`` nor ``~/.ssh/known_hosts``)."""
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
        "fast_cli": params["fast_cli"],
    }
    if params["global_delay_factor"] is not None:
        kwargs["global_delay_factor"] = float(params["global_delay_factor"])
    if params["password"]:
        kwargs["password"] = params["password"]
    if params["ssh_key_file"]:
        kwargs["use_keys"] = True
        kwargs["key_file"] = params["ssh_key_file"]
    if params["host_key_checking"]:
        kwargs["ssh_strict"] = True
        kwargs["system_host_keys"] = False
        if params["host_keys"]:
            if not pinned_file:
                raise FabricError("host_keys given but no pinned known_hosts file", host=params["hostname"],
                                  field="host_keys", fix="connect through ssh.connect()")
            kwargs["alt_host_keys"] = True
            kwargs["alt_key_file"] = pinned_file
        elif params["known_hosts_file"]:
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


VERIFY_HINT = ("Comware: display public-key local ecdsa public / display public-key local rsa public; "
               "Linux/FRR: ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub")


def presented_host_key(params):
    """``(key_type, base64)`` of the host key the device presents (a key exchange without login), or
    None.  Only used to show the user what to verify; never trusted."""
    if paramiko is None:
        return None
    timeout = params.get("timeout") or 10
    try:
        sock = socket.create_connection((params["hostname"], params.get("port") or 22), timeout=timeout)
    except OSError:
        return None
    transport = paramiko.Transport(sock)
    try:
        transport.start_client(timeout=timeout)
        key = transport.get_remote_server_key()
        return key.get_name(), key.get_base64()
    except Exception:  # pylint: disable=broad-except  # best effort: the error message stays without it
        return None
    finally:
        transport.close()


def _presented(params, presented_key):
    key = presented_key(params) if presented_key else None
    if not key:
        return ""
    return "; the device presented %s (%s %s)" % (fingerprint(*key), key[0], key[1])


def classify_connect_error(exc, params, presented_key=None):
    """Map a netmiko/paramiko/socket exception from connecting into a ``FabricError``.

    ``presented_key(params)`` fetches the device's key for a host-key error (``presented_host_key``
    by ``connect``; unit tests pass a fake or nothing)."""
    params = ssh_params(params)
    host = params["hostname"]
    target = _target(params)
    chain = _chain(exc)
    text = " ".join(str(e) for e in chain)
    pinned = bool(params["host_keys"]) and params["host_key_checking"]
    field = "host_keys" if pinned else "known_hosts_file"
    source = ("host_keys (inventory variable bgp_device_host_keys)" if pinned
              else params["known_hosts_file"] or "~/.ssh/known_hosts")
    if paramiko is not None and any(isinstance(e, paramiko.BadHostKeyException) for e in chain) \
            or "does not match" in text:
        return FabricError(
            "SSH host key of %s does not match the known host key in %s; refusing to connect "
            "(possible man-in-the-middle, or the device was re-keyed)%s"
            % (target, source, _presented(params, presented_key)),
            host=host, field=field, fix="verify the device's key out of band (%s), then update %s"
            % (VERIFY_HINT, source))
    if "not found in known_hosts" in text:
        return FabricError(
            "SSH host key of %s is unknown: it is not in %s, and an unknown key is never trusted%s"
            % (target, source, _presented(params, presented_key)),
            host=host, field=field,
            fix="fetch the key with 'ssh-keyscan -p %s %s' from a trusted network, compare its fingerprint "
                "('ssh-keygen -lf <file>') with the one the device shows on its console (%s), then put the "
                "line into the device's bgp_device_host_keys inventory variable or the known hosts of the "
                "credential (known_hosts_file); host_key_checking: false only in a lab"
                % (params["port"] or 22, host, VERIFY_HINT))
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


def connect(params, device_type, connect_handler=None, presented_key=None):
    """Open a netmiko session; every failure is a ``FabricError`` (never a traceback).

    ``connect_handler`` lets unit tests pass a fake ``ConnectHandler`` (and ``presented_key`` a fake
    of ``presented_host_key``, which is used only with the real one).
    """
    if connect_handler is None:
        presented_key = presented_key or presented_host_key
        if not HAS_NETMIKO:
            raise FabricError("the Python library netmiko is not installed: %s" % NETMIKO_IMPORT_ERROR,
                              field="netmiko", fix="pip install netmiko (and ntc-templates)")
        connect_handler = ConnectHandler
    params = validate_ssh_params(params)
    pinned_file = None
    try:
        if params["host_key_checking"] and params["host_keys"]:
            with tempfile.NamedTemporaryFile("w", prefix="kubefabric-known-hosts-", delete=False) as handle:
                handle.write(known_hosts_text(params))
                pinned_file = handle.name
        kwargs = netmiko_kwargs(params, device_type, pinned_file=pinned_file)
        try:
            return connect_handler(**kwargs)
        except FabricError:
            raise
        except Exception as exc:  # pylint: disable=broad-except
            raise classify_connect_error(exc, params, presented_key) from None
    finally:
        if pinned_file:
            os.unlink(pinned_file)


class CliLineError(Exception):
    """The device rejected a configuration line (``index`` into the lines pushed), or the session was
    ``lost`` after it (no prompt came back)."""

    def __init__(self, line, index, message, lost=False):
        super().__init__("%s: %s" % (line, message))
        self.line = line
        self.index = index
        self.message = message
        self.lost = lost


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
                raise CliLineError(line, index, "no prompt after the line (%s)" % _first_line(exc), lost=True) from None
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
