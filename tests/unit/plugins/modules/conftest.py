# -*- coding: utf-8 -*-
# Copyright: kubefabric.bgp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run a Calico module's main() against the fake Kubernetes API and return its raw result.

exit_json/fail_json are intercepted before Ansible's no_log masking, so a secret that leaks into a
result or diff is seen by the tests (masking would hide the leak).
"""
import pytest
from ansible.module_utils import basic
from ansible.module_utils.testing import patch_module_args

from ansible_collections.kubefabric.bgp.plugins.module_utils.calico import k8s, manage
from tests.unit.plugins.module_utils.calico.fake_kube import FakeKube


class Exit(Exception):
    def __init__(self, result, failed):
        super().__init__(result)
        self.result = result
        self.failed = failed


@pytest.fixture
def fake():
    return FakeKube()


@pytest.fixture
def module_exit(monkeypatch):
    """exit_json/fail_json raise ``Exit(result, failed)`` (before Ansible's no_log masking)."""
    def exit_json(self, **kwargs):
        raise Exit(kwargs, False)

    def fail_json(self, msg, **kwargs):
        kwargs["msg"] = msg
        raise Exit(kwargs, True)

    monkeypatch.setattr(basic.AnsibleModule, "exit_json", exit_json)
    monkeypatch.setattr(basic.AnsibleModule, "fail_json", fail_json)
    return Exit


@pytest.fixture
def run(monkeypatch, fake, module_exit):  # pylint: disable=unused-argument,redefined-outer-name
    def invoke(module, args, check=False, diff=True, expect_fail=False, server=None):
        server = server or fake
        server.read_only = check
        monkeypatch.setattr(manage.k8s, "connect", lambda params, check_mode=False: k8s.KubeClient(
            server, check_mode=check_mode, api_group=params.get("api_group") or "auto"))
        args = dict(args, _ansible_check_mode=check, _ansible_diff=diff)
        with patch_module_args(args):
            with pytest.raises(Exit) as caught:
                module.main()
        server.read_only = False
        assert caught.value.failed == expect_fail, caught.value.result
        return caught.value.result

    return invoke
