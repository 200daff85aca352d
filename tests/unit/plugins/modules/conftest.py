# -*- coding: utf-8 -*-
# Copyright: kubefabric.bgp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run a module's main() and return its raw result (``run_main``), and a Calico module's against the
fake Kubernetes API (``run``).

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
def run_main(module_exit):  # pylint: disable=redefined-outer-name
    """``run_main(module, args, check=False, diff=True, expect_fail=False)``: main()'s result dict."""
    def call(module, args, check=False, diff=True, expect_fail=False):
        with patch_module_args(dict(args, _ansible_check_mode=check, _ansible_diff=diff)):
            with pytest.raises(module_exit) as caught:
                module.main()
        assert caught.value.failed == expect_fail, caught.value.result
        return caught.value.result

    return call


@pytest.fixture
def run(monkeypatch, fake, run_main):  # pylint: disable=redefined-outer-name
    def invoke(module, args, check=False, diff=True, expect_fail=False, server=None):
        server = server or fake
        server.read_only = check
        monkeypatch.setattr(manage.k8s, "connect", lambda params, check_mode=False: k8s.KubeClient(
            server, check_mode=check_mode, api_group=params.get("api_group") or "auto"))
        try:
            return run_main(module, args, check=check, diff=diff, expect_fail=expect_fail)
        finally:
            server.read_only = False

    return invoke
