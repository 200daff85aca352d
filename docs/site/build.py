# -*- coding: utf-8 -*-
# Copyright: kubefabric.bgp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Build the docs site: `make docs` (or `python docs/site/build.py [OUT]`), HTML in .build/docs/html.

1. antsibull-docs writes the collection's pages (modules, filters, roles) as reStructuredText;
2. the guides (docs/*.md) are copied beside them, read by Sphinx through MyST;
3. every pattern guide's topology picture is drawn from the plan of its example inventory by the
   collection itself (playbook kubefabric.bgp.plan with kubefabric_plan_diagram, Graphviz dot);
4. sphinx-build writes the HTML.
"""
import os
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SITE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent

# pattern guide -> the example inventory its picture is drawn from
PICTURES = {
    "pattern-full-mesh": "examples/full_mesh/inventory.yml",
    "pattern-route-reflector": "examples/seed002_route_reflector/inventory.yml",
    "pattern-rr-per-leaf": "examples/seed001_rr_per_leaf/inventory.yml",
    "pattern-tor": "examples/seed004_tor_routeros/inventory.yml",
}


def _env(tmp):
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(REPO / ".build"), ANSIBLE_NOCOLOR="1",
               ANSIBLE_LOCALHOST_WARNING="False", ANSIBLE_PYTHON_INTERPRETER=sys.executable,
               ANSIBLE_LOCAL_TEMP=str(tmp / "ansible-tmp"), ANSIBLE_STDOUT_CALLBACK="ansible.builtin.minimal")
    env["PATH"] = "%s:%s" % (BIN, env.get("PATH", ""))
    return env


def _run(cmd, env, cwd=None):
    proc = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, env=env, cwd=cwd, check=False)
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout[-4000:] + proc.stderr[-4000:])
        raise SystemExit("docs: %s failed (%d)" % (" ".join(str(c) for c in cmd[:3]), proc.returncode))
    return proc


def draw_pictures(dest, env):
    """The topology of each pattern's example inventory, drawn by kubefabric.bgp.plan (SVG)."""
    dest.mkdir(parents=True, exist_ok=True)
    for name, inventory in PICTURES.items():
        _run([BIN / "ansible-playbook", "-i", REPO / inventory, "kubefabric.bgp.plan",
              "-e", "kubefabric_plan_diagram=%s" % (dest / (name + ".svg"))], env)


def build(out):
    out = Path(out).resolve()
    work = out.parent / (out.name + "-src")
    shutil.rmtree(work, ignore_errors=True)
    src = work / "src"
    (src / "collection").mkdir(parents=True)
    env = _env(work)
    (work / "ansible-tmp").mkdir()
    _run([BIN / "antsibull-docs", "collection", "--use-current", "--squash-hierarchy", "--fail-on-error",
          "--dest-dir", src / "collection", "kubefabric.bgp"], env)
    shutil.copytree(REPO / "docs", src / "guides", ignore=shutil.ignore_patterns("site", "*.py"))
    draw_pictures(src / "guides" / "images", env)
    shutil.copy(SITE / "conf.py", src / "conf.py")
    shutil.copy(SITE / "index.rst", src / "index.rst")
    shutil.rmtree(out, ignore_errors=True)
    proc = _run([BIN / "sphinx-build", "-q", "-b", "html", "-d", work / "doctrees", "-c", src, src, out], env)
    sys.stderr.write(proc.stderr)  # Sphinx's warnings, if any
    print("docs: %s" % (out / "index.html"))


def refresh_images():
    """`make docs-images`: redraw the pictures that the guides show in the repository (docs/images)."""
    tmp = REPO / ".build" / "docs-images"
    tmp.mkdir(parents=True, exist_ok=True)
    draw_pictures(REPO / "docs" / "images", _env(tmp))


if __name__ == "__main__":
    if sys.argv[1:] == ["--images"]:
        refresh_images()
    else:
        build(sys.argv[1] if len(sys.argv) > 1 else REPO / ".build" / "docs" / "html")
