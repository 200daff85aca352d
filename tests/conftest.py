"""Shared fixtures: the shared/ oracle, namespaces that are always cleaned up."""
import os
import uuid
from pathlib import Path

import pytest

from lab import netns as _netns

REPO = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("KUBEFABRIC_SHARED", REPO.parent / "shared"))


def shared_path(*parts):
    """A path into ../shared (upstream data, never copied); skips the test when it is absent."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip("upstream reference data not available at %s (CI has ../shared beside the checkout)" % path)
    return path


@pytest.fixture
def shared():
    return shared_path


@pytest.fixture
def netns_factory(request):
    """Make namespaces named ``kft-<short id>-<n>``; every one is destroyed when the test ends."""
    if os.geteuid() != 0:
        pytest.skip("network namespaces need root")
    made = []
    tag = uuid.uuid4().hex[:6]

    def make(suffix=None):
        name = "kft-%s-%s" % (tag, suffix or len(made))
        ns = _netns.Netns(name).create()
        made.append(ns)
        return ns

    yield make
    for ns in reversed(made):
        ns.destroy()
