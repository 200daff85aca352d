"""The release as a user gets it: the tarball's files, its declared dependencies, the execution environment.

- the tarball ships what a user runs (plugins, roles, playbooks, meta, docs, examples, changelog,
  README, LICENSE, requirements.txt, bindep.txt) and nothing of the lab, the tests or the tooling;
- the migration roles resolve their ``module_defaults`` groups with exactly what README.md installs
  (the tarball and its declared dependencies, never the ``ansible`` package's collections), and do
  not without kubernetes.core;
- ``ansible-builder create`` on execution-environment.yml succeeds, and the Python requirements of
  its context are exactly the third-party distributions that plugins/ imports.
"""
import ast
import importlib.metadata
import json
import os
import re
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
import yaml

from tests.tools import release

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
SHIPPED_TOP = {"MANIFEST.json", "FILES.json", "README.md", "LICENSE", "CHANGELOG.rst", "requirements.txt",
               "bindep.txt", "meta", "plugins", "roles", "playbooks", "docs", "examples", "changelogs"}
NEVER_SHIPPED = {"tests", "lab", "benchmarks", "extensions", ".ansible", ".venv", ".build", ".ci", ".git",
                 "__pycache__", ".pytest_cache", "conftest.py", "Makefile", "fragments"}
USER_FILES = ("plugins/", "roles/", "playbooks/", "meta/", "docs/", "examples/")
MIGRATION_PLAYBOOKS = ("mesh_to_rr.yml", "rr_to_mesh.yml", "mesh_to_tor.yml")


@pytest.fixture(scope="module")
def tarball(tmp_path_factory):
    return release.build(tmp_path_factory.mktemp("dist"))


def tar_files(path):
    with tarfile.open(path) as tar:
        return sorted(m.name for m in tar.getmembers() if m.isfile())


def test_tarball_ships_what_a_user_runs_and_nothing_else(tarball):
    files = tar_files(tarball)
    tops = {name.split("/")[0] for name in files}
    assert tops <= SHIPPED_TOP, sorted(tops - SHIPPED_TOP)
    leaked = [name for name in files if set(name.split("/")) & NEVER_SHIPPED or re.search(r"constraints.*\.txt$|"
              r"requirements-.*\.txt$|\.pyc$", name)]
    assert leaked == []
    for required in ("README.md", "LICENSE", "meta/runtime.yml", "changelogs/changelog.yaml", "requirements.txt",
                     "bindep.txt", "meta/execution-environment.yml"):
        assert required in files, required
    # every file of the user-facing directories that git knows about is in the tarball
    # (docs/site/ builds the docs site: build_ignore keeps it out)
    wanted = [rel for rel in release.git_files() if rel.startswith(USER_FILES) and "__pycache__" not in rel
              and not rel.startswith("docs/site/")]
    missing = sorted(set(wanted) - set(files))
    assert missing == [], missing

    with tarfile.open(tarball) as tar:
        manifest = json.load(tar.extractfile("MANIFEST.json"))["collection_info"]
        licence = tar.extractfile("LICENSE").read().decode()
    meta = release.galaxy_meta()
    assert manifest["license"] == meta["license"] == ["GPL-3.0-or-later"]
    assert "SPDX-License-Identifier: GPL-3.0-or-later" in licence
    assert manifest["dependencies"] == meta["dependencies"] and "kubernetes.core" in manifest["dependencies"]
    # no placeholder metadata: only fields that are true (the .invalid repository is explained in galaxy.yml)
    for field in ("homepage", "issues", "documentation"):
        assert not manifest.get(field), field


def test_requires_ansible_is_what_is_tested():
    from ansible.module_utils.compat.version import LooseVersion  # pylint: disable=import-outside-toplevel
    from ansible.release import __version__  # pylint: disable=import-outside-toplevel
    runtime = yaml.safe_load((REPO / "meta" / "runtime.yml").read_text())
    floor = re.fullmatch(r">=(\d+)\.(\d+)\.(\d+)", runtime["requires_ansible"])
    assert floor, runtime["requires_ansible"]
    tested = LooseVersion(__version__).version[:2]
    # the lowest version claimed is the one the tests run with (make test pins ansible-core)
    assert [int(floor.group(1)), int(floor.group(2))] == tested, (runtime["requires_ansible"], __version__)


def test_changelog_has_the_release_being_built():
    changelog = yaml.safe_load((REPO / "changelogs" / "changelog.yaml").read_text())
    version = release.galaxy_meta()["version"]
    assert version in (changelog.get("releases") or {}), "no release %s in changelogs/changelog.yaml" % version
    proc = subprocess.run([str(BIN / "antsibull-changelog"), "lint"], cwd=str(REPO), stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, check=False)
    assert proc.returncode == 0 and proc.stdout.strip() == "", proc.stdout


def _syntax_check(collections, tmp_path):
    """``ansible-playbook --syntax-check`` of a play that statically imports every task file of the
    migration roles that sets a ``module_defaults`` group (groups are resolved while loading)."""
    imports = []
    for role_dir in sorted((REPO / "roles").iterdir()):
        for tasks in sorted((role_dir / "tasks").glob("*.yml")):
            if "group/" in tasks.read_text():
                imports.append({"name": "%s %s" % (role_dir.name, tasks.stem),
                                "ansible.builtin.import_role": {"name": "kubefabric.bgp.%s" % role_dir.name,
                                                                "tasks_from": tasks.name}})
    assert any("mesh_to_rr" in i["name"] for i in imports) and any("rr_to_mesh" in i["name"] for i in imports)
    play = tmp_path / "resolve.yml"
    play.write_text(yaml.safe_dump([{"name": "resolve", "hosts": "localhost", "gather_facts": False,
                                     "tasks": imports}]))
    results = {}
    for path in [play] + [REPO / "playbooks" / name for name in MIGRATION_PLAYBOOKS]:
        proc = subprocess.run([str(BIN / "ansible-playbook"), "--syntax-check", "-i", "localhost,", str(path)],
                              env=release._no_sys_path_env(ANSIBLE_COLLECTIONS_PATH=str(collections)),  # pylint: disable=protected-access
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, check=False, cwd=str(tmp_path))
        results[path.name] = (proc.returncode, proc.stdout)
    return results


def test_migration_roles_resolve_with_exactly_what_readme_installs(tarball, tmp_path):
    # README: `ansible-galaxy collection install <tarball>` fetches the declared dependencies; here
    # the artifacts of the `ansible` package stand in for Galaxy (--offline, no other source).
    with pytest.raises(release.ReleaseError, match="kubernetes.core"):
        release.galaxy_install(tmp_path / "tarball-only", tarball)
    users = tmp_path / "user-collections"
    release.galaxy_install(users, tarball, *release.dependency_sources())
    installed = sorted("%s.%s" % (p.parent.name, p.name) for p in (users / "ansible_collections").glob("*/*"))
    assert installed == ["kubefabric.bgp", "kubernetes.core"]
    results = _syntax_check(users, tmp_path)
    for name, (rc, out) in results.items():
        assert rc == 0, "%s:\n%s" % (name, out[-2000:])

    # the same without the dependency fails as the issue reported: the check can fail
    bare = tmp_path / "bare"
    release.galaxy_install(bare, tarball, no_deps=True)
    rc, out = _syntax_check(bare, tmp_path)["resolve.yml"]
    # the roles name kubernetes.core's modules in module_defaults (per module, so a play's group defaults stay)
    assert rc != 0 and re.search(r"(?i)could not resolve (the module_defaults group|action) kubernetes\.core\.k8s", out), \
        out[-2000:]


def _imported_distributions():
    """Third-party distributions plugins/ imports (ast), and the collections it imports from."""
    modules, collections = set(), set()
    for path in sorted((REPO / "plugins").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            for name in names:
                parts = name.split(".")
                if parts[0] == "ansible_collections" and len(parts) >= 3:
                    collections.add("%s.%s" % (parts[1], parts[2]))
                elif parts[0] not in sys.stdlib_module_names and parts[0] not in ("ansible", "__future__"):
                    modules.add(parts[0])
    by_module = importlib.metadata.packages_distributions()
    unknown = sorted(m for m in modules if m not in by_module)
    assert unknown == [], "plugins/ imports modules no installed distribution provides: %s" % unknown
    return {_norm(d) for m in modules for d in by_module[m]}, collections


def _norm(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def _requirement_names(lines):
    names = set()
    for line in lines:
        line = line.split("#", 1)[0].strip()
        if line:
            names.add(_norm(re.split(r"[<>=!~;\[ ]", line, maxsplit=1)[0]))
    return names


def test_ee_context_requirements_match_what_plugins_import(tarball, tmp_path):
    context = tmp_path / "context"
    release.ee_create(context, tarball)
    required = _requirement_names((context / "_build" / "requirements.txt").read_text().splitlines())
    imported, collections = _imported_distributions()
    assert required == imported, {"required, not imported": sorted(required - imported),
                                  "imported, not required": sorted(imported - required)}
    assert collections <= {"kubefabric.bgp"} | set(release.galaxy_meta()["dependencies"])

    galaxy = yaml.safe_load((context / "_build" / "requirements.yml").read_text())["collections"]
    assert {"name": "/build/collections/kubefabric-bgp.tar.gz", "type": "file"} in galaxy
    for fqcn, spec in release.galaxy_meta()["dependencies"].items():
        assert {"name": fqcn, "version": spec} in galaxy, fqcn
    with tarfile.open(context / "_build" / "collections" / "kubefabric-bgp.tar.gz") as tar:
        assert json.load(tar.extractfile("MANIFEST.json"))["collection_info"]["version"] == \
            release.galaxy_meta()["version"]

    # what the image build pip-installs: ansible-builder's own introspection over the collections the
    # galaxy stage installs (the tarball and its dependencies), with the context's requirements.txt
    collections_dir = tmp_path / "image-collections"
    release.galaxy_install(collections_dir, tarball, *release.dependency_sources())
    proc = subprocess.run([sys.executable, str(context / "_build" / "scripts" / "introspect.py"), "introspect",
                           str(collections_dir), "--user-pip", str(context / "_build" / "requirements.txt"),
                           "--user-bindep", str(context / "_build" / "bindep.txt")],
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, check=False,
                          env=dict(os.environ))
    assert proc.returncode == 0, proc.stdout
    data = yaml.safe_load(proc.stdout.split("---", 1)[1])
    image = _requirement_names(data["python"])
    assert imported <= image, sorted(imported - image)
    assert any("from collection kubernetes.core" in line for line in data["python"]), data["python"]
