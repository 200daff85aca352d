"""Release checks: the collection tarball, its declared dependencies, galaxy-importer, the EE context.

    python -m tests.tools.release deps [COLLECTIONS_ROOT]   # install galaxy.yml's dependencies (offline)
    python -m tests.tools.release build [OUTDIR]            # the tarball, from the files git knows about
    python -m tests.tools.release importer                  # galaxy-importer on that tarball (0 errors)
    python -m tests.tools.release ee [CONTEXT]              # ansible-builder create on execution-environment.yml

The machine reaches no Galaxy server. The declared collection dependencies (galaxy.yml
``dependencies``) are installed the way ``ansible-galaxy collection install`` installs them, with
``--offline`` and the collection artifact taken from the ``ansible`` package on PyPI (which carries
them, see requirements-dev.txt): the same files a Galaxy download gives, at a version that must
satisfy the declared range.
"""
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from tests.tools.sanity import git_files  # the files git knows about (tracked + untracked, not ignored)

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
IMPORTER_PYTHON = ROOT / ".build" / "importer-venv" / "bin" / "python"
EE_FILE = ROOT / "execution-environment.yml"
EE_TARBALL = ROOT / ".build" / "ee" / "kubefabric-bgp.tar.gz"


class ReleaseError(RuntimeError):
    pass


def galaxy_meta():
    return yaml.safe_load((ROOT / "galaxy.yml").read_text(encoding="utf-8"))


def _no_sys_path_env(**extra):
    """Collections only from the paths given, never from the venv's ``ansible`` package."""
    env = dict(os.environ, ANSIBLE_COLLECTIONS_SCAN_SYS_PATH="False", ANSIBLE_FORCE_COLOR="0", NO_COLOR="1")
    env.pop("ANSIBLE_COLLECTIONS_PATH", None)
    env.update(extra)
    return env


def bundled_collection(fqcn):
    """The directory of collection ``fqcn`` that the ``ansible`` PyPI package installed, and its version."""
    namespace, name = fqcn.split(".")
    for entry in sys.path:
        path = Path(entry) / "ansible_collections" / namespace / name / "MANIFEST.json"
        if path.is_file():
            return path.parent, json.loads(path.read_text())["collection_info"]["version"]
    raise ReleaseError("%s is declared in galaxy.yml but the ansible package does not carry it; "
                       "install it from Galaxy: ansible-galaxy collection install %s" % (fqcn, fqcn))


def dependency_sources():
    """One artifact directory per declared dependency (``ansible-galaxy`` checks the version range)."""
    return [str(bundled_collection(fqcn)[0]) for fqcn in sorted(galaxy_meta().get("dependencies") or {})]


def galaxy_install(dest, *artifacts, no_deps=False):
    """``ansible-galaxy collection install --offline -p DEST ARTIFACT...`` as a user installs."""
    cmd = [str(BIN / "ansible-galaxy"), "collection", "install", "--offline", "--force", "-p", str(dest)]
    if no_deps:
        cmd.append("--no-deps")
    cmd += [str(a) for a in artifacts]
    proc = subprocess.run(cmd, env=_no_sys_path_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, check=False)
    if proc.returncode != 0:
        raise ReleaseError("ansible-galaxy collection install failed (%d):\n%s" % (proc.returncode, proc.stdout))
    return proc.stdout


def install_deps(collections_root):
    """Install the declared dependencies beside the checkout's link (``.build/ansible_collections``)."""
    sources = dependency_sources()
    if sources:
        print(galaxy_install(collections_root, *sources, no_deps=True).strip().splitlines()[-1])
    return sources


def build(outdir):
    """Build the tarball from a copy of the files git knows about (never stray local files)."""
    outdir = Path(outdir)
    src = outdir / "src"
    shutil.rmtree(src, ignore_errors=True)
    for rel in git_files():
        dst = src / rel
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / rel, dst)
    proc = subprocess.run([str(BIN / "ansible-galaxy"), "collection", "build", "--force", "--output-path",
                           str(outdir), str(src)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          check=False)
    shutil.rmtree(src, ignore_errors=True)
    if proc.returncode != 0:
        raise ReleaseError("ansible-galaxy collection build failed:\n%s" % proc.stdout)
    meta = galaxy_meta()
    tarball = outdir / ("%s-%s-%s.tar.gz" % (meta["namespace"], meta["name"], meta["version"]))
    if not tarball.is_file():
        raise ReleaseError("no %s after the build:\n%s" % (tarball, proc.stdout))
    return tarball


def tarball_summary(tarball):
    import tarfile  # pylint: disable=import-outside-toplevel
    with tarfile.open(tarball) as tar:
        files = [m for m in tar.getmembers() if m.isfile()]
    return "%s: %.0f KiB, %d files" % (tarball.name, tarball.stat().st_size / 1024, len(files))


def run_importer(workdir):
    """galaxy-importer (from its own venv, .build/importer-venv) on a fresh tarball; ansible-test off
    (``make test`` runs sanity itself).  Returns (tarball, errors, warnings, output)."""
    if not IMPORTER_PYTHON.exists():
        raise ReleaseError("galaxy-importer is not installed: run make setup (it makes .build/importer-venv)")
    workdir = Path(workdir)
    tarball = build(workdir / "dist")
    deps = workdir / "collections"
    galaxy_install(deps, *dependency_sources(), no_deps=True)
    # The importer points ANSIBLE_COLLECTIONS_PATH at its own copy of the tarball; the dependencies
    # reach its ansible-lint through sys.path (PYTHONPATH), as the ansible package's collections do,
    # so that module_defaults groups of kubernetes.core resolve and the roles using them are linted.
    env = dict(os.environ, GALAXY_IMPORTER_RUN_ANSIBLE_TEST="False", GALAXY_IMPORTER_TMP_ROOT_DIR=str(workdir),
               PYTHONPATH=str(deps), ANSIBLE_FORCE_COLOR="0", NO_COLOR="1",
               PATH=str(IMPORTER_PYTHON.parent) + os.pathsep + os.environ.get("PATH", ""))
    for name in ("GALAXY_IMPORTER_CONFIG", "ANSIBLE_COLLECTIONS_PATH", "ANSIBLE_COLLECTIONS_SCAN_SYS_PATH"):
        env.pop(name, None)
    proc = subprocess.run([str(IMPORTER_PYTHON), "-m", "galaxy_importer.main", str(tarball)], cwd=str(workdir),
                          env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, check=False)
    out = proc.stdout
    errors = [line for line in out.splitlines() if re.match(r"\s*(ERROR|CRITICAL)\b", line)
              or "internal-error" in line]
    if proc.returncode != 0 or "Importer processing completed successfully" not in out:
        errors.append("galaxy-importer exited %d without completing" % proc.returncode)
    warnings = [line for line in out.splitlines() if line.startswith("WARNING") and line not in errors]
    return tarball, errors, warnings, out


def ee_create(context, tarball):
    """``ansible-builder create`` on execution-environment.yml with ``tarball`` as the collection."""
    EE_TARBALL.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(tarball, EE_TARBALL)
    proc = subprocess.run([str(BIN / "ansible-builder"), "create", "-f", str(EE_FILE), "-c", str(context),
                           "--output-filename", "Containerfile"], cwd=str(ROOT), stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, check=False)
    if proc.returncode != 0 or "Complete!" not in proc.stdout:
        raise ReleaseError("ansible-builder create failed (%d):\n%s" % (proc.returncode, proc.stdout))
    missing = [p for p in ("Containerfile", "_build/requirements.txt", "_build/requirements.yml",
                           "_build/bindep.txt", "_build/collections/kubefabric-bgp.tar.gz")
               if not (Path(context) / p).is_file()]
    if missing:
        raise ReleaseError("ansible-builder create left no %s in %s:\n%s" % (", ".join(missing), context, proc.stdout))
    return proc.stdout


def main(argv):
    command = argv[0] if argv else ""
    work = ROOT / ".build" / ("release-%d" % os.getpid())
    try:
        if command == "deps":
            dest = Path(argv[1]) if len(argv) > 1 else ROOT / ".build"
            install_deps(dest)
        elif command == "build":
            outdir = Path(argv[1]) if len(argv) > 1 else ROOT / ".build" / "dist"
            print(tarball_summary(build(outdir)))
        elif command == "importer":
            tarball, errors, warnings, out = run_importer(work)
            log = ROOT / "tests" / "output" / "galaxy-importer.txt"
            log.parent.mkdir(parents=True, exist_ok=True)
            log.write_text(out, encoding="utf-8")
            for line in errors + warnings:
                print(line)
            print("galaxy-importer: %d errors, %d warnings; %s (full output: %s)"
                  % (len(errors), len(warnings), tarball_summary(tarball), log.relative_to(ROOT)))
            return 1 if errors else 0
        elif command == "ee":  # into a temporary context, or into CONTEXT (kept) when given
            context = Path(argv[1]).resolve() if len(argv) > 1 else work / "context"
            if context.exists() and len(argv) > 1:
                shutil.rmtree(context)
            out = ee_create(context, build(work / "dist"))
            print(out.strip().splitlines()[-1])
        else:
            print(__doc__, file=sys.stderr)
            return 2
    except ReleaseError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    finally:
        if command in ("importer", "ee"):
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
