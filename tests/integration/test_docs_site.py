# -*- coding: utf-8 -*-
# Copyright: kubefabric.bgp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The docs site: built as `make docs` builds it, then opened in headless Chromium (Debian package).

A loopback HTTP server serves the built HTML; Chromium reaches nothing else (every other host name is
unresolvable). A checker page, run by the browser, loads every page of the site, every local link and
every image: a page or link that does not answer 200 or an image the browser cannot decode is reported.
The pattern guides must show their topology picture, and a screenshot of one is taken.
"""
import functools
import http.server
import json
import os
import re
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PYTHON = Path(sys.executable)
PATTERNS = ("pattern-full-mesh", "pattern-route-reflector", "pattern-rr-per-leaf", "pattern-tor")
CHROMIUM = shutil.which("chromium")

pytestmark = pytest.mark.skipif(CHROMIUM is None or shutil.which("dot") is None
                                or not (PYTHON.parent / "sphinx-build").exists(),
                                reason="needs chromium and graphviz (make sysdeps) and sphinx (make setup)")

CHECKER = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>check</title></head><body>
<pre id="result">running</pre>
<script>
const PAGES = %s;
async function status(url) {
  try { const r = await fetch(url, {cache: "no-store"}); return r.status; } catch (e) { return String(e); }
}
function image(url) {
  return new Promise(resolve => {
    const img = new Image();
    img.onload = () => resolve(img.naturalWidth > 0 && img.naturalHeight > 0 ? "ok" : "empty");
    img.onerror = () => resolve("broken");
    img.src = url;
  });
}
async function main() {
  const problems = [], seen = new Set(), images = {};
  let links = 0;
  for (const page of PAGES) {
    const base = new URL(page, location.href);
    const r = await fetch(base, {cache: "no-store"});
    if (r.status !== 200) { problems.push(["page", page, r.status]); continue; }
    const doc = new DOMParser().parseFromString(await r.text(), "text/html");
    const imgs = [];
    for (const img of doc.querySelectorAll("img")) {
      const url = new URL(img.getAttribute("src"), base);
      const result = await image(url.href);
      imgs.push(url.pathname);
      if (result !== "ok") problems.push(["image", page, url.pathname, result]);
    }
    images[page] = imgs;
    for (const a of doc.querySelectorAll("a[href]")) {
      const url = new URL(a.getAttribute("href"), base);
      if (url.origin !== location.origin) continue;
      url.hash = "";
      if (seen.has(url.href)) continue;
      seen.add(url.href);
      links += 1;
      const s = await status(url.href);
      if (s !== 200) problems.push(["link", page, url.pathname, s]);
    }
  }
  document.getElementById("result").textContent = JSON.stringify({pages: PAGES.length, links, problems, images});
}
main().catch(e => { document.getElementById("result").textContent = JSON.stringify({error: String(e)}); });
</script></body></html>
"""


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # pylint: disable=redefined-builtin
        pass


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    out = tmp_path_factory.mktemp("docs") / "html"
    proc = subprocess.run([str(PYTHON), str(REPO / "docs" / "site" / "build.py"), str(out)], capture_output=True,
                          text=True, timeout=900, check=False)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(out)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield out, "http://127.0.0.1:%d/" % server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


def _chromium(tmp_path, *args):
    profile = tmp_path / ("chromium-%d" % len(list(tmp_path.glob("chromium-*"))))
    cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
           "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
           "--user-data-dir=%s" % profile, "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"] + list(args)
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300, check=False,
                          env=dict(os.environ, HOME=str(tmp_path)))
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout


def test_every_page_link_and_picture_renders(site, tmp_path):
    out, url = site
    pages = sorted(str(p.relative_to(out)) for p in out.rglob("*.html") if not p.name.startswith("_"))
    # the collection's pages (modules, filters, roles) and every guide are there
    for name in ("fabric_plan_module", "migration_table_filter", "plan_role", "tor_role", "mesh_to_rr_role"):
        assert "collection/%s.html" % name in pages
    guides = sorted(p.stem for p in (REPO / "docs").glob("*.md"))
    assert len(guides) >= 23
    assert all("guides/%s.html" % g in pages for g in guides), sorted(set(guides) - {Path(p).stem for p in pages})
    (out / "_check.html").write_text(CHECKER % json.dumps(pages))
    dom = _chromium(tmp_path, "--virtual-time-budget=120000", "--dump-dom", url + "_check.html")
    match = re.search(r'<pre id="result">(.*?)</pre>', dom, re.S)
    assert match, dom[-2000:]
    result = json.loads(match.group(1).replace("&quot;", '"').replace("&amp;", "&"))
    assert "error" not in result, result
    assert result["pages"] == len(pages)
    assert result["problems"] == [], result["problems"]
    assert result["links"] > len(pages)
    for pattern in PATTERNS:  # every pattern guide shows its topology, decoded by the browser
        assert result["images"]["guides/%s.html" % pattern] == ["/guides/_images/%s.svg" % pattern] or \
            any(src.endswith("/%s.svg" % pattern) for src in result["images"]["guides/%s.html" % pattern]), result


def test_pattern_page_renders_with_its_picture(site, tmp_path):
    out, url = site
    dom = _chromium(tmp_path, "--dump-dom", url + "guides/pattern-tor.html")
    assert "Pattern: Top of rack" in dom
    srcs = re.findall(r'<img [^>]*src="([^"]+)"', dom)
    assert any(src.endswith("pattern-tor.svg") for src in srcs), srcs
    svg = (out / "guides" / [s for s in srcs if s.endswith("pattern-tor.svg")][0]).resolve()
    assert svg.is_file() and "ubuntu&#45;2" in svg.read_text()  # the route reflector of seed 004's example
    shot = tmp_path / "pattern-tor.png"
    _chromium(tmp_path, "--window-size=1280,1400", "--hide-scrollbars", "--screenshot=%s" % shot,
              url + "guides/pattern-tor.html")
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20000
    target = os.environ.get("KUBEFABRIC_DOCS_SCREENSHOT")
    if target:  # keep the screenshot outside the test's temporary directory
        Path(target).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, target)
