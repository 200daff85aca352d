"""Shared fixtures: the shared/ oracle, namespaces that are always cleaned up, end-of-run summaries."""
import os
import shutil
import uuid
from pathlib import Path

import pytest

from lab import netns as _netns

REPO = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("KUBEFABRIC_SHARED", REPO.parent / "shared"))
OUTPUT = REPO / "tests" / "output"
SUMMARY_KEY = "kubefabric_summary_dir"


# -- summaries: lines a test reports for the end of the run ------------------------------------------------
# pytest-xdist workers' output (capsys.disabled() included) never reaches the terminal, so a test
# writes its summary line to a file of the run's own directory (tests/output/summaries-<pid>/, one
# per run: runs of several people may overlap), and the controller prints every file in its
# terminal summary, then keeps them in tests/output/summary.txt.
_SUMMARY_STASH = pytest.StashKey[str]()


def _summary_dir(config):
    workerinput = getattr(config, "workerinput", None)
    if workerinput is not None:
        return Path(workerinput[SUMMARY_KEY])
    return Path(config.stash[_SUMMARY_STASH])


def pytest_configure(config):
    if getattr(config, "workerinput", None) is None:  # the controller, or a run without xdist
        path = OUTPUT / ("summaries-%d" % os.getpid())
        shutil.rmtree(path, ignore_errors=True)
        config.stash[_SUMMARY_STASH] = str(path)


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node):
    """pytest-xdist: tell each worker where the run's summaries go."""
    node.workerinput[SUMMARY_KEY] = node.config.stash[_SUMMARY_STASH]


def pytest_terminal_summary(terminalreporter, config):
    if getattr(config, "workerinput", None) is not None:
        return
    path = Path(config.stash[_SUMMARY_STASH])
    files = sorted(path.glob("*.txt")) if path.is_dir() else []
    if not files:
        return
    lines = [f.read_text(encoding="utf-8").rstrip("\n") for f in files]
    terminalreporter.section("kubefabric summaries")
    for line in lines:
        terminalreporter.write_line(line)
    (OUTPUT / "summary.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def summary(request):
    """``summary(name, line)``: print ``line`` in the run's terminal summary (with or without xdist)."""
    def report(name, line):
        path = _summary_dir(request.config)
        path.mkdir(parents=True, exist_ok=True)
        (path / ("%s.txt" % name)).write_text(line + "\n", encoding="utf-8")
    return report


def in_ci():
    """CI sets ``CI=true``: there a missing oracle is a failure, not a skip."""
    return os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")


def oracle_missing(what):
    """Skip (a checkout without ../shared) or, with ``CI=true``, fail: CI always has the oracle."""
    message = "%s (CI has ../shared beside the checkout)" % what
    if in_ci():
        pytest.fail("CI=true and " + message, pytrace=False)
    pytest.skip(message)


def shared_path(*parts):
    """A path into ../shared (upstream data, never copied); skips the test when it is absent (fails in CI)."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        oracle_missing("upstream reference data not available at %s" % path)
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


@pytest.fixture(autouse=True)
def _device_journal_dir(tmp_path_factory, monkeypatch):
    """The device push journal (plugins/module_utils/devices/journal.py) of every test in a directory of
    its own, never the user's ~/.ansible (also for the ansible-playbook runs the test starts)."""
    if "KUBEFABRIC_JOURNAL_DIR" not in os.environ:
        monkeypatch.setenv("KUBEFABRIC_JOURNAL_DIR", str(tmp_path_factory.mktemp("journal")))
