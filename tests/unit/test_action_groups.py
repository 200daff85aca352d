# -*- coding: utf-8 -*-
# Copyright: kubefabric.bgp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""meta/runtime.yml action groups: every member of a group takes every option the group stands for, so
that `module_defaults: group/kubefabric.bgp.<group>` never hands a module an option it rejects."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from ansible_collections.kubefabric.bgp.plugins.module_utils.devices import routeros, ssh

REPO = Path(__file__).resolve().parents[2]
ANSIBLE_DOC = Path(sys.executable).parent / "ansible-doc"
K8S_OPTIONS = {"kubeconfig", "context", "host", "api_key", "ca_cert", "validate_certs"}
GROUP_OPTIONS = {
    "k8s": K8S_OPTIONS,
    "role_k8s": K8S_OPTIONS,
    "routeros": set(routeros.API_ARGUMENT_SPEC),
    "comware": set(ssh.SSH_ARGUMENT_SPEC),
    "frr": set(ssh.SSH_ARGUMENT_SPEC),
    "devices": {"hostname", "username", "password", "port", "timeout"},
}


@pytest.fixture(scope="module")
def groups():
    return yaml.safe_load((REPO / "meta" / "runtime.yml").read_text())["action_groups"]


@pytest.fixture(scope="module")
def module_options(groups):
    if not ANSIBLE_DOC.exists():
        pytest.skip("needs the project venv (make setup)")
    names = sorted({"kubefabric.bgp." + m for members in groups.values() for m in members})
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(REPO / ".build"))
    out = subprocess.run([str(ANSIBLE_DOC), "-j"] + names, capture_output=True, text=True, env=env, check=True,
                         timeout=300).stdout
    return {name.split(".")[-1]: set(doc["doc"]["options"]) for name, doc in json.loads(out).items()}


def test_every_group_is_documented_here(groups):
    assert set(groups) == set(GROUP_OPTIONS)


@pytest.mark.parametrize("group", sorted(GROUP_OPTIONS))
def test_members_take_the_group_options(group, groups, module_options):
    for member in groups[group]:
        missing = GROUP_OPTIONS[group] - module_options[member]
        assert not missing, "%s in group %s lacks %s" % (member, group, sorted(missing))


def test_platform_options_stay_out_of_other_platforms(groups, module_options):
    # the case: tls (RouterOS) set for a group must not reach comware_bgp
    for group, members in groups.items():
        if "tls" in GROUP_OPTIONS[group]:
            assert "comware_bgp" not in members and "frr_bgp" not in members
    assert "tls" not in module_options["comware_bgp"]
    assert GROUP_OPTIONS["devices"] == set.intersection(*(module_options[m] for m in groups["devices"])) & (
        set(routeros.API_ARGUMENT_SPEC) | set(ssh.SSH_ARGUMENT_SPEC))
