"""Run `ansible-test sanity` on a clean copy of the collection.

ansible-test must run from ``.../ansible_collections/<ns>/<name>`` and wants only the collection's
own files, so the files git knows about (tracked, plus untracked ones that are not ignored) are
copied to ``.build/sanity/ansible_collections/kubefabric/bgp``.  ansible-test bootstraps pip in
every virtual environment it makes with a downloaded ``get-pip.py``; that host is not reachable
here, so a stand-in that uses ``ensurepip`` is placed in ansible-test's cache first
(see shared/reference/LAB_NOTES.md).
"""
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# one copy per run, so that several runs (developers, CI) never share a tree
DEST = ROOT / ".build" / ("sanity-%d" % os.getpid()) / "ansible_collections" / "kubefabric" / "bgp"

GET_PIP_STANDIN = '''\
"""Stand-in for get-pip.py written by kubefabric.bgp's tests/tools/sanity.py: ensurepip, then pip."""
import ensurepip
import os
import subprocess
import sys

ensurepip.bootstrap(upgrade=True)
args = [a for a in sys.argv[1:] if a not in ("--no-setuptools", "--no-wheel")]
env = dict(os.environ)
env.pop("PIP_CONFIG_FILE", None)
if args:
    sys.exit(subprocess.call([sys.executable, "-m", "pip", "install"] + args, env=env))
'''


def git_files():
    out = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT, check=True, stdout=subprocess.PIPE).stdout
    return [p for p in out.decode().split("\0") if p and (ROOT / p).is_file()]


def install_get_pip_standin():
    from ansible_test._internal.python_requirements import get_venv_packages
    from ansible_test._internal.util import version_to_str  # noqa: F401  (exists in 2.16+)
    from ansible_test._internal.config import PythonConfig  # noqa: F401
    cache = Path.home() / ".ansible" / "test" / "cache"
    cache.mkdir(parents=True, exist_ok=True)
    version = _pip_version(get_venv_packages)
    target = cache / ("get_pip_%s.py" % version.replace(".", "_"))
    target.write_text(GET_PIP_STANDIN)
    return target


def _pip_version(get_venv_packages):
    """The pip version ansible-test bootstraps into its virtual environments."""
    class _Python:  # get_venv_packages only reads .version
        version = "%d.%d" % sys.version_info[:2]
    return get_venv_packages(_Python())["pip"]


def main(argv):
    if DEST.exists():
        shutil.rmtree(DEST)
    DEST.mkdir(parents=True)
    for rel in git_files():
        if rel.startswith((".build/", ".venv/")):
            continue
        dst = DEST / rel
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / rel, dst)
    # ansible-test lists content with git: give the copy its own index (the checkout ignores .build/)
    subprocess.run(["git", "init", "-q"], cwd=DEST, check=True)
    subprocess.run(["git", "add", "-A"], cwd=DEST, check=True)
    install_get_pip_standin()
    cmd = [str(Path(sys.executable).parent / "ansible-test"), "sanity", "--venv", "--python",
           "%d.%d" % sys.version_info[:2], "--color", "no"] + argv
    print("+ " + " ".join(cmd), flush=True)
    try:
        return subprocess.call(cmd, cwd=DEST)
    finally:
        shutil.rmtree(DEST.parents[2], ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
