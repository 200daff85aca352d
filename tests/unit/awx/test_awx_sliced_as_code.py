# -*- coding: utf-8 -*-
# Copyright: kubefabric.bgp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The sliced-apply workflow as code (examples/awx/playbooks/configure_awx_sliced.yml): awx.awx's argument
specs (ansible-doc), the workflow's shape (plan -> sliced apply -> finish, failure -> release) and a syntax check."""
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from .test_awx_as_code import tasks_problems

REPO = Path(__file__).resolve().parents[3]
BIN = Path(sys.executable).parent
PLAYBOOK = REPO / "examples" / "awx" / "playbooks" / "configure_awx_sliced.yml"

pytestmark = pytest.mark.skipif(not (BIN / "ansible-doc").exists(), reason="needs the project venv (make setup)")


def test_sliced_workflow_arguments_match_awx_awx_specs():
    plays = yaml.safe_load(PLAYBOOK.read_text())
    tasks = [task for play in plays for task in play["tasks"]]
    assert tasks_problems(tasks) == []
    templates = {t["awx.awx.job_template"]["name"]: t["awx.awx.job_template"] for t in tasks if "awx.awx.job_template" in t}
    assert templates["kubefabric workflow plan"]["job_slice_count"] == 1
    assert templates["kubefabric workflow finish"]["job_slice_count"] == 1
    assert "slices" in templates["kubefabric apply (sliced)"]["job_slice_count"]
    nodes = {n["identifier"]: n for n in next(t["awx.awx.workflow_job_template"]["workflow_nodes"] for t in tasks
                                              if "awx.awx.workflow_job_template" in t)}
    assert nodes["plan"]["related"]["success_nodes"] == [{"identifier": "apply"}]
    assert nodes["apply"]["related"] == {"success_nodes": [{"identifier": "finish"}],
                                         "failure_nodes": [{"identifier": "release"}]}
    assert nodes["release"]["extra_data"] == {"kubefabric_workflow_release_only": True}
    for node in nodes.values():
        assert node["unified_job_template"]["name"] in templates


def test_sliced_workflow_syntax_check():
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(REPO / ".build"), ANSIBLE_NOCOLOR="1")
    for playbook in (PLAYBOOK, REPO / "playbooks" / "workflow_plan.yml", REPO / "playbooks" / "workflow_finish.yml"):
        proc = subprocess.run([str(BIN / "ansible-playbook"), "--syntax-check", str(playbook)], capture_output=True,
                              text=True, env=env, timeout=120, check=False)
        assert proc.returncode == 0, proc.stdout + proc.stderr
