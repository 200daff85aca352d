"""awx/: the credential types agree with the modules' environment fallbacks, and the job templates as
code (awx/playbooks/configure_awx.yml) pass awx.awx's argument specs (read with ansible-doc) and
ansible-playbook --syntax-check."""
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from ansible_collections.kubefabric.bgp.plugins.module_utils.devices import connection

REPO = Path(__file__).resolve().parents[3]
BIN = Path(sys.executable).parent
TYPES = {"routeros": REPO / "examples" / "awx" / "credential_types" / "kubefabric_routeros_api.yml",
         "ssh": REPO / "examples" / "awx" / "credential_types" / "kubefabric_ssh_device.yml"}
PLAYBOOK = REPO / "examples" / "awx" / "playbooks" / "configure_awx.yml"


@pytest.mark.parametrize("family", sorted(TYPES))
def test_credential_type_injects_what_the_modules_read(family):
    ctype = yaml.safe_load(TYPES[family].read_text())
    fields = {field["id"]: field for field in ctype["inputs"]["fields"]}
    assert set(ctype["inputs"]["required"]) <= set(fields)
    for name in ("password", "ssh_key_data"):
        if name in fields:
            assert fields[name].get("secret") is True, name
    injected = ctype["injectors"]["env"]
    read = {name for option in ("username", "password", "ssh_key_file", "known_hosts_file", "ca_path")
            for name in connection.env_names(option, family)}
    assert set(injected) <= read, set(injected) - read
    assert connection.env_names("username", family)[0] in injected
    assert connection.env_names("password", family)[0] in injected
    files = {key.split(".", 1)[1] for key in ctype["injectors"].get("file", {})}
    templates = " ".join(list(injected.values()) + list(ctype["injectors"].get("file", {}).values()))
    assert set(re.findall(r"tower\.filename\.(\w+)", templates)) == files
    used = set(re.findall(r"{{\s*(\w+)\s*}}", templates)) | set(re.findall(r"{%\s*if\s+(\w+)", templates))
    assert used <= set(fields), used - set(fields)
    assert ctype["kind"] in ("cloud", "net")


def awx_doc(module):
    env = dict(os.environ, ANSIBLE_NOCOLOR="1")
    out = subprocess.run([str(BIN / "ansible-doc"), "-j", "awx.awx.%s" % module], capture_output=True, text=True,
                         env=env, check=True, timeout=120).stdout
    return json.loads(out)["awx.awx.%s" % module]["doc"]["options"]


def check_args(args, options, where):
    """Every argument is an option (or alias) of the spec, recursively through suboptions."""
    names = {}
    for name, spec in options.items():
        names[name] = spec
        for alias in spec.get("aliases", []):
            names[alias] = spec
    problems = []
    for key, value in args.items():
        if key not in names:
            problems.append("%s: unknown argument %r" % (where, key))
            continue
        spec = names[key]
        if "choices" in spec and isinstance(value, str) and "{{" not in value and value not in spec["choices"]:
            problems.append("%s.%s: %r not in %s" % (where, key, value, spec["choices"]))
        subs = spec.get("suboptions")
        if subs and isinstance(value, dict):
            problems += check_args(value, subs, "%s.%s" % (where, key))
        elif subs and isinstance(value, list):
            for index, item in enumerate(value):
                if isinstance(item, dict):
                    problems += check_args(item, subs, "%s.%s[%d]" % (where, key, index))
    return problems


def tasks_problems(tasks):
    """Every awx.awx task's arguments checked against its module's argument spec."""
    docs, problems = {}, []
    for task in tasks:
        for key, args in task.items():
            if key.startswith("awx.awx."):
                module = key.split(".")[-1]
                docs.setdefault(module, awx_doc(module))
                problems += check_args(args, docs[module], "%s (%s)" % (task["name"], module))
    return problems


def test_configure_awx_arguments_match_awx_awx_specs():
    plays = yaml.safe_load(PLAYBOOK.read_text())
    tasks = [task for play in plays for task in play["tasks"]]
    modules = [key for task in tasks for key in task if key.startswith("awx.awx.")]
    assert modules.count("awx.awx.credential_type") == 1 and modules.count("awx.awx.job_template") == 2
    assert "awx.awx.workflow_job_template" in modules
    assert tasks_problems(tasks) == []
    job_types = sorted(task["awx.awx.job_template"]["job_type"] for task in tasks if "awx.awx.job_template" in task)
    assert job_types == ["check", "run"]
    nodes = next(task["awx.awx.workflow_job_template"]["workflow_nodes"] for task in tasks
                 if "awx.awx.workflow_job_template" in task)
    kinds = [node["unified_job_template"]["type"] for node in nodes]
    assert kinds == ["job_template", "workflow_approval", "job_template"]
    assert nodes[0]["related"]["success_nodes"] == [{"identifier": "approve"}]
    assert nodes[1]["related"]["success_nodes"] == [{"identifier": "apply"}]


def test_check_args_reports_a_wrong_argument():
    options = {"name": {"type": "str"}, "nodes": {"type": "list", "suboptions": {"identifier": {"type": "str"}}},
               "kind": {"choices": ["a", "b"]}}
    assert check_args({"name": "x", "nodes": [{"identifier": "y"}], "kind": "a"}, options, "t") == []
    assert len(check_args({"nam": "x", "nodes": [{"ident": "y"}], "kind": "c"}, options, "t")) == 3


def test_configure_awx_syntax_check():
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(REPO / ".build"), ANSIBLE_NOCOLOR="1")
    proc = subprocess.run([str(BIN / "ansible-playbook"), "--syntax-check", str(PLAYBOOK)], capture_output=True,
                          text=True, env=env, timeout=120, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
