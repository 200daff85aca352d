# -*- coding: utf-8 -*-
# Copyright: kubefabric.bgp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""An AWX job, simulated for real: ansible-runner runs a pattern playbook from a private data dir laid
out as AWX lays it out for a job, against the lab.

* ``project/``: the job template's project, a ``site.yml`` that imports ``kubefabric.bgp.full_mesh``,
  and the collection in ``project/collections`` (where AWX installs a project's
  ``collections/requirements.yml``; ``ANSIBLE_COLLECTIONS_PATH`` points there as AWX sets it);
* ``inventory/hosts.yml``: the example inventory with a BGP password for the switch (``bgp_password``,
  which becomes a Kubernetes Secret and the TCP-MD5 key of the sessions) and no device credential;
* ``env/envvars``: what the job's credentials inject: AWX's built-in "OpenShift or Kubernetes API
  Bearer Token" credential (``K8S_AUTH_HOST``, ``K8S_AUTH_API_KEY``, ``K8S_AUTH_VERIFY_SSL``,
  ``K8S_AUTH_SSL_CA_CERT`` -> a file) and the collection's shipped
  ``examples/awx/credential_types/kubefabric_ssh_device.yml``, its injectors rendered as AWX renders them
  (Jinja over the inputs, ``tower.filename.<name>`` for each ``template.<name>`` file);
* ``env/extravars``: the job's extra variables.

The job converges (fabric_verify passes), a second job reports changed=0, and neither the bearer
token, the device password nor the BGP password appears in any ``artifacts/*/job_events/*.json`` nor in stdout.
"""
import base64
import json
import os
import secrets
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import jinja2.sandbox
import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
RUNNER = BIN / "ansible-runner"
SSH_CREDENTIAL_TYPE = REPO / "examples" / "awx" / "credential_types" / "kubefabric_ssh_device.yml"
EXAMPLE = REPO / "examples" / "full_mesh" / "inventory.yml"

pytestmark = pytest.mark.skipif(not RUNNER.exists(), reason="needs ansible-runner in the project venv (make setup)")


def render_injectors(credential_type, inputs, env_dir):
    """``{VAR: value}`` that AWX's injectors of ``credential_type`` give for ``inputs``: every
    ``template.<name>`` file is written (0600) to ``env_dir`` and named by ``tower.filename.<name>``."""
    env = jinja2.sandbox.ImmutableSandboxedEnvironment(undefined=jinja2.StrictUndefined)
    injectors = credential_type["injectors"]
    values = {field["id"]: "" for field in credential_type["inputs"]["fields"]}
    values.update(inputs)
    filenames = {}
    for key, template in injectors.get("file", {}).items():
        name = key.split(".", 1)[1]
        path = env_dir / ("cred_%s" % name)
        path.write_text(env.from_string(template).render(**values))
        os.chmod(path, stat.S_IRUSR | stat.S_IWUSR)
        filenames[name] = str(path)
    context = dict(values, tower={"filename": filenames})
    return {var: env.from_string(template).render(**context) for var, template in injectors.get("env", {}).items()}


def kubernetes_bearer_token_env(kubeconfig, env_dir):
    """What AWX's "OpenShift or Kubernetes API Bearer Token" credential injects (CA as a file)."""
    config = yaml.safe_load(kubeconfig.read_text())
    cluster = config["clusters"][0]["cluster"]
    token = config["users"][0]["user"]["token"]
    ca_file = env_dir / "cred_k8s_ca"
    ca_file.write_bytes(base64.b64decode(cluster["certificate-authority-data"]))
    os.chmod(ca_file, stat.S_IRUSR | stat.S_IWUSR)
    return {"K8S_AUTH_HOST": cluster["server"], "K8S_AUTH_API_KEY": token, "K8S_AUTH_VERIFY_SSL": "True",
            "K8S_AUTH_SSL_CA_CERT": str(ca_file)}, token


@pytest.fixture
def lab_fabric(tmp_path):
    if os.geteuid() != 0:
        pytest.skip("the lab needs root (network namespaces)")
    from lab import fabric  # pylint: disable=import-outside-toplevel
    inv_dir = tmp_path / ("awxjob%05d" % (os.getpid() % 100000))
    inv_dir.mkdir()
    inventory = inv_dir / "inventory.yml"
    shutil.copy(EXAMPLE, inventory)
    lab = fabric.Lab(inventory)
    try:
        fabric.up(inventory, log=lambda *a: None)
        yield lab, inventory
    finally:
        fabric.down(inventory, log=lambda *a: None)


def private_data_dir(tmp_path, lab, inventory):
    """The private data dir of an AWX job; returns it and the secrets that must not leak."""
    pdd = tmp_path / "pdd"
    (pdd / "project" / "collections" / "ansible_collections" / "kubefabric").mkdir(parents=True)
    (pdd / "project" / "collections" / "ansible_collections" / "kubefabric" / "bgp").symlink_to(REPO)
    (pdd / "project" / "site.yml").write_text("---\n- name: The fabric\n"
                                              "  ansible.builtin.import_playbook: kubefabric.bgp.full_mesh\n")
    (pdd / "inventory").mkdir()
    lab_inventory = json.loads((lab.dir / "lab-inventory.yml").read_text())
    device = lab_inventory["all"]["children"]["network_devices"]["hosts"]["tor1"]
    hosts = yaml.safe_load(inventory.read_text())
    tor1 = hosts["all"]["children"]["network_devices"]["hosts"]["tor1"]
    tor1["bgp_password"] = bgp_password = secrets.token_urlsafe(16)  # TCP-MD5, a Secret on the cluster side
    if device.get("ansible_host"):  # the example's address was taken by another lab: the lab's own
        tor1["ansible_host"] = device["ansible_host"]
    (pdd / "inventory" / "hosts.yml").write_text(yaml.safe_dump(hosts))
    env_dir = pdd / "env"
    env_dir.mkdir()
    envvars, token = kubernetes_bearer_token_env(lab.dir / "kubeconfig", env_dir)
    ssh_type = yaml.safe_load(SSH_CREDENTIAL_TYPE.read_text())
    envvars.update(render_injectors(ssh_type, {
        "username": device["bgp_device_username"], "password": device["bgp_device_password"],
        "known_hosts": Path(device["bgp_device_known_hosts"]).read_text()}, env_dir))
    assert set(envvars) >= {"KUBEFABRIC_SSH_USERNAME", "KUBEFABRIC_SSH_PASSWORD", "KUBEFABRIC_SSH_KNOWN_HOSTS_FILE"}
    envvars["ANSIBLE_COLLECTIONS_PATH"] = str(pdd / "project" / "collections")
    envvars["ANSIBLE_FORCE_COLOR"] = "0"
    (env_dir / "envvars").write_text(yaml.safe_dump(envvars))
    (env_dir / "extravars").write_text(yaml.safe_dump({
        "awx_job_id": 1, "awx_job_template_name": "kubefabric apply", "ansible_python_interpreter": sys.executable,
        "kubefabric_verify_timeout": 180, "kubefabric_verify_interval": 2}))
    return pdd, [token, device["bgp_device_password"], bgp_password]


def run_job(pdd, ident):
    env = dict(os.environ, PATH=str(BIN) + os.pathsep + os.environ.get("PATH", ""))
    env.pop("ANSIBLE_COLLECTIONS_PATH", None)
    proc = subprocess.run([str(RUNNER), "run", str(pdd), "-p", "site.yml", "--ident", ident],
                          env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=1200,
                          check=False, start_new_session=True)
    artifacts = pdd / "artifacts" / ident
    events = [json.loads(path.read_text()) for path in sorted((artifacts / "job_events").glob("*.json"))]
    return proc, artifacts, events


def stats(events):
    found = [e["event_data"] for e in events if e.get("event") == "playbook_on_stats"]
    assert found, "no playbook_on_stats event"
    return found[-1]


def assert_no_secret(artifacts, proc, secret_values):
    texts = [(path.name, path.read_text()) for path in (artifacts / "job_events").glob("*.json")]
    texts.append(("stdout", (artifacts / "stdout").read_text()))
    texts.append(("ansible-runner output", proc.stdout))
    assert len(texts) > 20
    for secret in secret_values:
        assert len(secret) >= 12
        leaks = [name for name, text in texts if secret in text]
        assert not leaks, "a secret appears in %s" % leaks[:5]


def test_awx_job_converges_idempotent_without_secrets(lab_fabric, tmp_path):
    lab, inventory = lab_fabric
    pdd, secret_values = private_data_dir(tmp_path, lab, inventory)
    assert "bgp_device" not in (pdd / "inventory" / "hosts.yml").read_text()
    assert "bgp_password" in (pdd / "inventory" / "hosts.yml").read_text()
    assert "ansible_password" not in (pdd / "inventory" / "hosts.yml").read_text()

    proc, artifacts, events = run_job(pdd, "apply1")
    assert proc.returncode == 0, proc.stdout[-6000:]
    assert (artifacts / "status").read_text().strip() == "successful"
    first = stats(events)
    assert not first["failures"] and not first["dark"], first
    assert sum(first["changed"].values()) > 0, first  # the job configured the cluster and the switch
    converged = [e for e in events if e.get("event") == "runner_on_ok"
                 and str(e["event_data"].get("task")).endswith("Converged")]
    assert converged and "Established" in json.dumps(converged[0]["event_data"]["res"]), proc.stdout[-3000:]
    # the device task ran with the credential's user, host keys pinned from the credential's file
    device_tasks = [e for e in events if e.get("event") == "runner_on_ok"
                    and e["event_data"].get("task_action") == "kubefabric.bgp.fabric_devices"]
    assert device_tasks, "the FRR switch was not configured"
    # every device from the controller, one row per device and owner scope (one here) with its commands
    res = device_tasks[0]["event_data"]["res"]
    assert [row["host"] for row in res["devices"]] == ["tor1"] and res["devices"][0]["changed"], res["devices"]
    commands = [line for item in res["devices"] for line in item["commands"]]
    assert sum(1 for line in commands if line.strip().endswith("password ********")) == 4, commands  # TCP-MD5, masked
    assert_no_secret(artifacts, proc, secret_values)

    proc, artifacts, events = run_job(pdd, "apply2")
    assert proc.returncode == 0, proc.stdout[-6000:]
    second = stats(events)
    assert not second["failures"] and sum(second["changed"].values()) == 0, second
    assert_no_secret(artifacts, proc, secret_values)
