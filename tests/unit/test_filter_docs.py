# -*- coding: utf-8 -*-
# Copyright: kubefabric.bgp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every filter of the collection has documentation of its own (ansible-doc -t filter shows it)."""
import importlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
ANSIBLE_DOC = Path(sys.executable).parent / "ansible-doc"


def _filters():
    names = []
    for path in sorted((REPO / "plugins" / "filter").glob("*.py")):
        module = importlib.import_module("ansible_collections.kubefabric.bgp.plugins.filter." + path.stem)
        names.extend(module.FilterModule().filters())
    return sorted(names)


def test_each_filter_documents_itself():
    if not ANSIBLE_DOC.exists():
        pytest.skip("needs the project venv (make setup)")
    names = _filters()
    assert len(names) >= 12
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(REPO / ".build"))
    out = subprocess.run([str(ANSIBLE_DOC), "-t", "filter", "-j"] + ["kubefabric.bgp." + n for n in names],
                         capture_output=True, text=True, env=env, check=True, timeout=300).stdout
    docs = json.loads(out)
    assert sorted(docs) == ["kubefabric.bgp." + n for n in names]
    descriptions = {}
    for name in names:
        doc = docs["kubefabric.bgp." + name]["doc"]
        assert doc["name"] == name, "%s shows the documentation of %s" % (name, doc["name"])
        assert "kubefabric.bgp." + name in docs[("kubefabric.bgp." + name)]["examples"] or name in \
            docs["kubefabric.bgp." + name]["examples"]
        descriptions[name] = doc["short_description"]
    assert len(set(descriptions.values())) == len(names), descriptions
