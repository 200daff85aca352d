"""Unit tests of devices/ssh.py: option mapping and connection-error classification."""
import socket

import paramiko
import pytest
from netmiko.exceptions import NetmikoAuthenticationException, NetmikoTimeoutException

from ansible_collections.kubefabric.bgp.plugins.module_utils.common.errors import FabricError
from ansible_collections.kubefabric.bgp.plugins.module_utils.devices import ssh

BASE = {"hostname": "198.18.0.2", "username": "admin", "password": "s3cret"}


def test_strict_host_keys_by_default(tmp_path):
    kh = tmp_path / "known_hosts"
    kh.write_text("")
    kw = ssh.netmiko_kwargs(dict(BASE, known_hosts_file=str(kh)), "hp_comware")
    assert kw["ssh_strict"] is True
    assert kw["alt_host_keys"] is True and kw["alt_key_file"] == str(kh)
    assert kw["system_host_keys"] is False
    assert kw["port"] == 22 and kw["device_type"] == "hp_comware"
    kw = ssh.netmiko_kwargs(BASE, "hp_comware")
    assert kw["ssh_strict"] is True and kw["system_host_keys"] is True


def test_host_key_checking_off_is_explicit():
    kw = ssh.netmiko_kwargs(dict(BASE, host_key_checking=False), "cisco_ios")
    assert kw["ssh_strict"] is False
    assert "alt_key_file" not in kw and "system_host_keys" not in kw


def test_fast_cli_by_default_and_slow_device_overrides():
    kw = ssh.netmiko_kwargs(BASE, "cisco_ios")
    assert kw["fast_cli"] is True and "global_delay_factor" not in kw
    # inventory values arrive as strings from an INI inventory or extra vars
    kw = ssh.netmiko_kwargs(dict(BASE, fast_cli="false", global_delay_factor="2"), "hp_comware")
    assert kw["fast_cli"] is False and kw["global_delay_factor"] == 2.0
    calls = []
    ssh.connect(dict(BASE, host_key_checking=False, fast_cli=False), "cisco_ios",
                connect_handler=lambda **kw: calls.append(kw))
    assert calls[0]["fast_cli"] is False


def test_timing_options_are_in_the_spec_with_inventory_aliases():
    spec = ssh.argument_spec()
    assert spec["fast_cli"]["default"] is True and "bgp_device_fast_cli" in spec["fast_cli"]["aliases"]
    assert spec["global_delay_factor"]["type"] == "float"
    assert "bgp_device_global_delay_factor" in spec["global_delay_factor"]["aliases"]


@pytest.mark.parametrize("change,field", [
    ({"fast_cli": "sometimes"}, "fast_cli"),
    ({"global_delay_factor": 0}, "global_delay_factor"),
    ({"global_delay_factor": "slow"}, "global_delay_factor"),
    ({"password": None}, "password"),
    ({"port": 70000}, "port"),
    ({"ssh_key_file": "/nonexistent/key"}, "ssh_key_file"),
    ({"known_hosts_file": "/nonexistent/kh"}, "known_hosts_file"),
])
def test_bad_options_fail_before_connecting(change, field):
    calls = []
    with pytest.raises(FabricError) as err:
        ssh.connect(dict(BASE, **change), "hp_comware", connect_handler=lambda **kw: calls.append(kw))
    assert err.value.field == field and err.value.host == "198.18.0.2"
    assert calls == []


def _raise_from(outer, inner):
    def handler(**_kw):
        try:
            raise inner
        except Exception:  # noqa: BLE001
            raise outer
    return handler


def test_auth_failure():
    handler = _raise_from(NetmikoAuthenticationException("Authentication to device failed."),
                          paramiko.AuthenticationException("Authentication failed."))
    with pytest.raises(FabricError) as err:
        ssh.connect(BASE, "hp_comware", connect_handler=handler)
    assert err.value.field == "password"
    assert "authentication" in str(err.value) and "s3cret" not in str(err.value)


def test_host_key_mismatch():
    key = paramiko.RSAKey.generate(1024)
    other = paramiko.RSAKey.generate(1024)
    handler = _raise_from(NetmikoTimeoutException("A paramiko SSHException occurred"),
                          paramiko.BadHostKeyException("198.18.0.2", key, other))
    with pytest.raises(FabricError) as err:
        ssh.connect(BASE, "hp_comware", connect_handler=handler)
    assert err.value.field == "known_hosts_file" and "does not match" in str(err.value)


def test_unknown_host_key():
    handler = _raise_from(NetmikoTimeoutException("A paramiko SSHException occurred"),
                          paramiko.SSHException("Server '198.18.0.2' not found in known_hosts"))
    with pytest.raises(FabricError) as err:
        ssh.connect(BASE, "hp_comware", connect_handler=handler)
    assert err.value.field == "known_hosts_file" and "unknown" in str(err.value)


def test_unreachable():
    handler = _raise_from(NetmikoTimeoutException("TCP connection to device failed."),
                          ConnectionRefusedError(111, "Connection refused"))
    with pytest.raises(FabricError) as err:
        ssh.connect(BASE, "hp_comware", connect_handler=handler)
    assert err.value.field == "hostname" and "refused" in str(err.value)
    handler = _raise_from(NetmikoTimeoutException("TCP connection to device failed."), socket.timeout("timed out"))
    with pytest.raises(FabricError) as err:
        ssh.connect(BASE, "hp_comware", connect_handler=handler)
    assert "cannot reach 198.18.0.2:22" in str(err.value)
