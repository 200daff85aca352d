"""Unit tests of devices/connection.py and the host-key pinning of devices/ssh.py: where connection
options come from (options, aliases, environment, inventory variables) and which host keys are trusted."""
import json
import os
import subprocess

import paramiko
import pytest
from netmiko.exceptions import NetmikoTimeoutException

from ansible.module_utils import basic
from ansible.module_utils.common.text.converters import to_bytes

from ansible_collections.kubefabric.bgp.plugins.filter.device_connection import device_connection
from ansible_collections.kubefabric.bgp.plugins.module_utils.common.errors import FabricError
from ansible_collections.kubefabric.bgp.plugins.module_utils.devices import connection, routeros, ssh

BASE = {"hostname": "198.18.0.2", "username": "admin", "password": "s3cret"}
ENV_NAMES = [name for option in ("username", "password", "ssh_key_file", "known_hosts_file", "ca_path")
             for family in connection.FAMILIES for name in connection.env_names(option, family)]


@pytest.fixture
def clean_env(monkeypatch):
    for name in ENV_NAMES:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def ed25519_line(tmp_path, name="key"):
    key = tmp_path / name
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    return (tmp_path / (name + ".pub")).read_text().strip()


# --------------------------------------------------------------------------- environment and aliases

def test_env_names_most_specific_first():
    assert connection.env_names("username", "routeros") == (
        "KUBEFABRIC_ROUTEROS_USERNAME", "KUBEFABRIC_DEVICE_USERNAME", "ANSIBLE_NET_USERNAME")
    assert connection.env_names("password", "ssh") == (
        "KUBEFABRIC_SSH_PASSWORD", "KUBEFABRIC_DEVICE_PASSWORD", "ANSIBLE_NET_PASSWORD")
    assert connection.env_names("ssh_key_file", "ssh") == ("KUBEFABRIC_SSH_KEY_FILE", "ANSIBLE_NET_SSH_KEYFILE")
    assert connection.env_names("ssh_key_file", "routeros") == ()
    assert connection.env_names("ca_path", "routeros") == ("KUBEFABRIC_ROUTEROS_CA_PATH",)
    assert connection.env_names("host_key_checking", "ssh") == ()  # never from ANSIBLE_HOST_KEY_CHECKING


def test_fill_from_env_keeps_given_values_and_reports_secrets():
    environ = {"KUBEFABRIC_SSH_USERNAME": "ssh-user", "KUBEFABRIC_DEVICE_USERNAME": "generic",
               "ANSIBLE_NET_PASSWORD": "net-pass", "KUBEFABRIC_ROUTEROS_PASSWORD": "ros-pass"}
    params, secrets = connection.fill_from_env({"hostname": "h", "username": None, "password": None}, "ssh", environ)
    assert params["username"] == "ssh-user" and params["password"] == "net-pass" and secrets == ["net-pass"]
    params, secrets = connection.fill_from_env({"username": "given", "password": None}, "routeros", environ)
    assert params["username"] == "given" and params["password"] == "ros-pass" and secrets == ["ros-pass"]
    params, secrets = connection.fill_from_env({"username": None}, "routeros", {"KUBEFABRIC_SSH_USERNAME": "x"})
    assert params["username"] is None and secrets == []


def run_module_params(spec, args, monkeypatch):
    """AnsibleModule's validated params and no_log values for ``args`` (the real argument-spec code)."""
    monkeypatch.setattr(basic, "_ANSIBLE_ARGS", to_bytes(json.dumps({"ANSIBLE_MODULE_ARGS": args})))
    monkeypatch.setattr(basic, "_ANSIBLE_PROFILE", "legacy", raising=False)
    module = basic.AnsibleModule(argument_spec=spec, supports_check_mode=True)
    return module.params, module.no_log_values


def test_ssh_spec_aliases_and_env_fallbacks(clean_env):
    clean_env.setenv("KUBEFABRIC_SSH_PASSWORD", "from-credential")
    clean_env.setenv("ANSIBLE_NET_USERNAME", "net-user")
    params, no_log = run_module_params(ssh.argument_spec(), {"hostname": "198.18.0.2"}, clean_env)
    assert params["username"] == "net-user" and params["password"] == "from-credential"
    assert "from-credential" in no_log
    params = run_module_params(ssh.argument_spec(), {
        "hostname": "198.18.0.2", "bgp_device_username": "old-name", "bgp_device_password": "old-pass",
        "bgp_device_known_hosts": "/etc/kh", "bgp_device_host_keys": ["ssh-ed25519 AAAA"]}, clean_env)[0]
    assert params["username"] == "old-name" and params["password"] == "old-pass"
    assert params["known_hosts_file"] == "/etc/kh" and params["host_keys"] == ["ssh-ed25519 AAAA"]


def test_routeros_spec_env_fallbacks(clean_env):
    clean_env.setenv("KUBEFABRIC_ROUTEROS_USERNAME", "api")
    clean_env.setenv("KUBEFABRIC_ROUTEROS_PASSWORD", "ros-secret")
    clean_env.setenv("KUBEFABRIC_ROUTEROS_CA_PATH", "/run/ca.pem")
    clean_env.setenv("KUBEFABRIC_SSH_USERNAME", "not-for-routeros")
    params, no_log = run_module_params(routeros.module_argument_spec(), {"hostname": "r1", "state": "gathered"},
                                       clean_env)
    assert (params["username"], params["password"], params["ca_path"]) == ("api", "ros-secret", "/run/ca.pem")
    assert "ros-secret" in no_log


# --------------------------------------------------------------------------- inventory variables

def test_standard_inventory_variables_first_then_old_names():
    hostvars = {"ansible_host": "198.18.0.6", "ansible_user": "netops", "bgp_device_username": "old",
                "bgp_device_password": "old-pass", "ansible_port": 2222,
                "ansible_ssh_private_key_file": "/k/id", "bgp_device_host_keys": ["ssh-ed25519 AAAA"],
                "bgp_device_tls": False}
    options = device_connection(hostvars, "leaf1", "frr")
    assert options == {"hostname": "198.18.0.6", "username": "netops", "password": "old-pass", "port": 2222,
                       "ssh_key_file": "/k/id", "host_keys": ["ssh-ed25519 AAAA"]}
    options = device_connection({"bgp_device_username": "u", "ansible_password": "p", "bgp_device_tls": False,
                                 "bgp_device_ca_path": "/ca"}, "router", "routeros")
    assert options == {"hostname": "router", "username": "u", "password": "p", "tls": False, "ca_path": "/ca"}


def test_slow_device_timing_comes_from_the_inventory_for_ssh_devices_only():
    hostvars = {"ansible_host": "198.18.0.6", "bgp_device_fast_cli": False, "bgp_device_global_delay_factor": 2}
    options = device_connection(hostvars, "leaf1", "comware")
    assert options["fast_cli"] is False and options["global_delay_factor"] == 2
    options = device_connection(hostvars, "router", "routeros")
    assert "fast_cli" not in options and "global_delay_factor" not in options


def test_device_connection_rejects_unknown_platform():
    from ansible.errors import AnsibleFilterError  # pylint: disable=import-outside-toplevel
    with pytest.raises(AnsibleFilterError, match="platform"):
        device_connection({}, "x", "junos")


def test_fabric_verify_session_params_use_the_mapping_and_the_environment(clean_env):
    from ansible_collections.kubefabric.bgp.plugins.action.fabric_verify import session_params
    clean_env.setenv("KUBEFABRIC_SSH_USERNAME", "cred-user")
    clean_env.setenv("KUBEFABRIC_SSH_PASSWORD", "cred-pass")
    params = session_params({"leaf": {"platform": "frr", "ansible_host": "198.18.0.6"}}, "leaf")
    assert (params["hostname"], params["username"], params["password"]) == ("198.18.0.6", "cred-user", "cred-pass")
    assert params["host_key_checking"] is True and "port" not in params
    params = session_params({"leaf": {"platform": "frr", "ansible_user": "inv", "ansible_password": "p"}}, "leaf")
    assert (params["hostname"], params["username"], params["password"]) == ("leaf", "inv", "p")


# --------------------------------------------------------------------------- host keys

def test_parse_host_keys_accepts_public_key_and_known_hosts_lines(tmp_path):
    line = ed25519_line(tmp_path)
    key_type, data = line.split()[:2]
    keys = ssh.parse_host_keys([line, "198.18.0.2,leaf1 %s %s\n# comment\n" % (key_type, data)], "leaf1")
    assert keys == [(key_type, data), (key_type, data)]
    assert ssh.parse_host_keys(keys) == keys


@pytest.mark.parametrize("bad", ["AAAAC3NzaC1lZDI1NTE5", "ssh-ed25519", "ssh-ed25519 not-base64!",
                                 "ssh-rsa AAAAC3NzaC1lZDI1NTE5AAAAIOCZ"])
def test_parse_host_keys_rejects_malformed_lines(bad):
    with pytest.raises(FabricError) as err:
        ssh.parse_host_keys([bad], "leaf1")
    assert err.value.field == "host_keys" and err.value.host == "leaf1" and "ssh-keyscan" in err.value.fix


def test_fingerprint_is_openssh_sha256(tmp_path):
    line = ed25519_line(tmp_path)
    expected = subprocess.run(["ssh-keygen", "-lf", str(tmp_path / "key.pub")], check=True, text=True,
                              stdout=subprocess.PIPE).stdout.split()[1]
    assert ssh.fingerprint(*line.split()[:2]) == "ssh-ed25519 " + expected


def test_pinned_keys_are_the_only_trusted_keys(tmp_path):
    line = ed25519_line(tmp_path)
    seen = {}

    def handler(**kwargs):
        seen.update(kwargs)
        seen["file_text"] = open(kwargs["alt_key_file"], encoding="utf-8").read()
        return "connection"

    params = dict(BASE, port=2222, host_keys=[line], known_hosts_file="/nonexistent/ignored")
    assert ssh.connect(params, "cisco_ios", connect_handler=handler) == "connection"
    assert seen["ssh_strict"] is True and seen["system_host_keys"] is False and seen["alt_host_keys"] is True
    assert seen["file_text"] == "[198.18.0.2]:2222 %s\n" % " ".join(line.split()[:2])
    assert not os.path.exists(seen["alt_key_file"])  # removed after connecting


def test_pinned_file_is_removed_after_a_failure_too(tmp_path):
    line = ed25519_line(tmp_path)
    seen = {}

    def handler(**kwargs):
        seen.update(kwargs)
        raise NetmikoTimeoutException("A paramiko SSHException occurred: Server '198.18.0.2' not found in known_hosts")

    with pytest.raises(FabricError) as err:
        ssh.connect(dict(BASE, host_keys=[line]), "cisco_ios", connect_handler=handler)
    assert err.value.field == "host_keys"
    assert not os.path.exists(seen["alt_key_file"])


def test_unknown_key_error_shows_the_presented_key_and_how_to_verify_it(tmp_path):
    line = ed25519_line(tmp_path)
    presented = tuple(line.split()[:2])

    def handler(**_kwargs):
        raise paramiko.SSHException("Server '198.18.0.2' not found in known_hosts")

    with pytest.raises(FabricError) as err:
        ssh.connect(BASE, "hp_comware", connect_handler=handler, presented_key=lambda params: presented)
    text = str(err.value)
    assert err.value.field == "known_hosts_file" and "never trusted" in text
    assert ssh.fingerprint(*presented) in text and presented[1] in text
    assert "ssh-keyscan -p 22 198.18.0.2" in err.value.fix and "ssh-keygen -lf" in err.value.fix
    assert "bgp_device_host_keys" in err.value.fix


def test_pinned_key_mismatch_names_host_keys(tmp_path):
    line = ed25519_line(tmp_path)
    key = paramiko.Ed25519Key.from_private_key_file(str(tmp_path / "key"))
    other = paramiko.Ed25519Key.from_private_key_file(str(tmp_path / "key"))

    def handler(**_kwargs):
        raise paramiko.BadHostKeyException("198.18.0.2", key, other)

    with pytest.raises(FabricError) as err:
        ssh.connect(dict(BASE, host_keys=[line]), "hp_comware", connect_handler=handler)
    assert err.value.field == "host_keys" and "does not match" in str(err.value)
