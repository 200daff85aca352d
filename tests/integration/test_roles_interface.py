# -*- coding: utf-8 -*-
# Copyright: kubefabric.bgp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The roles as interfaces: documented (ansible-doc -t role), validated (meta/argument_specs.yml) and the
plan role's topology picture, with the real ansible-playbook and Graphviz. No lab: the plan connects to nothing."""
import html
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
ROLES = sorted(p.name for p in (REPO / "roles").iterdir() if (p / "tasks").is_dir())
EXAMPLE = REPO / "examples" / "full_mesh" / "inventory.yml"

pytestmark = pytest.mark.skipif(not (BIN / "ansible-playbook").exists(), reason="needs the project venv (make setup)")


def _env(tmp_path):
    return dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(REPO / ".build"), ANSIBLE_NOCOLOR="1",
                ANSIBLE_LOCALHOST_WARNING="False", ANSIBLE_LOCAL_TEMP=str(tmp_path / "ansible-tmp"),
                ANSIBLE_PYTHON_INTERPRETER=sys.executable)


def _playbook(tmp_path, plays, *args):
    path = tmp_path / "play.yml"
    path.write_text(yaml.safe_dump(plays, sort_keys=False))
    cmd = [str(BIN / "ansible-playbook"), "-i", str(EXAMPLE), "-c", "local", str(path)] + list(args)
    return subprocess.run(cmd, capture_output=True, text=True, timeout=300, env=_env(tmp_path), check=False)


@pytest.mark.parametrize("role", ROLES)
def test_ansible_doc_documents_every_default(role, tmp_path):
    proc = subprocess.run([str(BIN / "ansible-doc"), "-t", "role", "kubefabric.bgp." + role], capture_output=True,
                          text=True, timeout=120, env=_env(tmp_path), check=False)
    assert proc.returncode == 0, proc.stderr
    assert re.search(r"ENTRY POINT: \W*main\W", proc.stdout)
    defaults = yaml.safe_load((REPO / "roles" / role / "defaults" / "main.yml").read_text()) or {}
    spec = yaml.safe_load((REPO / "roles" / role / "meta" / "argument_specs.yml").read_text())
    options = spec["argument_specs"]["main"]["options"]
    readme = (REPO / "roles" / role / "README.md").read_text()
    for name in options:
        assert "`%s`" % name in readme, "%s: README.md does not show %s" % (role, name)
    for name, value in defaults.items():
        assert name in proc.stdout, "%s: %s is not documented" % (role, name)
        assert options[name].get("default") == value, "%s: %s default differs from defaults/main.yml" % (role, name)


def test_misspelled_role_variable_fails_validation(tmp_path):
    proc = _playbook(tmp_path, [{"hosts": "localhost", "gather_facts": False,
                                 "roles": [{"role": "kubefabric.bgp.plan", "kubefabric_node_grop": "k8s_nodes"}]}])
    assert proc.returncode != 0
    assert "Validation of arguments failed" in proc.stdout, proc.stdout[-2000:]
    assert "kubefabric_node_grop. Supported parameters include" in proc.stdout
    assert "TASK [kubefabric.bgp.plan : Plan both sides" not in proc.stdout  # validation runs before the first task


def test_wrong_choice_fails_validation(tmp_path):
    proc = _playbook(tmp_path, [{"hosts": "localhost", "gather_facts": False, "roles": ["kubefabric.bgp.devices"]}],
                     "-e", "kubefabric_device_state=mergd")
    assert proc.returncode != 0
    assert "kubefabric_device_state" in proc.stdout and "mergd" in proc.stdout, proc.stdout[-2000:]


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz is not installed (make sysdeps installs it)")
@pytest.mark.parametrize("suffix", ["svg", "dot"])
def test_plan_writes_the_topology_of_the_inventory(suffix, tmp_path):
    out = tmp_path / ("fabric." + suffix)
    cmd = [str(BIN / "ansible-playbook"), "-i", str(EXAMPLE), "kubefabric.bgp.plan", "-e",
           "kubefabric_plan_diagram=%s" % out]
    proc = subprocess.run(cmd + ["--check"], capture_output=True, text=True, timeout=300, env=_env(tmp_path),
                          check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert not out.exists()  # check mode writes nothing
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300, env=_env(tmp_path), check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    text = html.unescape(out.read_text())
    hosts = yaml.safe_load(EXAMPLE.read_text())["all"]["children"]
    names = list(hosts["k8s_nodes"]["hosts"]) + list(hosts["network_devices"]["hosts"])
    if suffix == "svg":
        assert text.lstrip().startswith("<?xml") and "<svg" in text
        assert all(">%s<" % name in text for name in names), text[:400]
        assert text.count('class="edge"') == 10  # 4 nodes: 6 mesh sessions + 4 to tor1
    else:
        assert text.startswith("graph fabric {")
        assert all('"%s"' % name in text for name in names)


def test_unknown_picture_suffix_is_refused(tmp_path):
    proc = subprocess.run([str(BIN / "ansible-playbook"), "-i", str(EXAMPLE), "kubefabric.bgp.plan", "-e",
                           "kubefabric_plan_diagram=%s" % (tmp_path / "fabric.jpeg")],
                          capture_output=True, text=True, timeout=300, env=_env(tmp_path), check=False)
    assert proc.returncode != 0
    assert "kubefabric_plan_diagram" in proc.stdout and "Fix: end the path" in proc.stdout
    assert not (tmp_path / "fabric.jpeg").exists()


def test_every_role_option_passes_the_inventory_schema():
    # a role variable set in the inventory must not be refused by fabric_plan's inventory check
    from ansible_collections.kubefabric.bgp.plugins.module_utils.fabric import schema
    for role in ROLES:
        spec = yaml.safe_load((REPO / "roles" / role / "meta" / "argument_specs.yml").read_text())
        for entry in spec["argument_specs"].values():
            unknown = [name for name in entry["options"] if schema.owned(name) and name not in schema.KNOWN]
            assert unknown == [], "%s: %s" % (role, unknown)
