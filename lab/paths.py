"""Where things are, and making ``ansible_collections.kubefabric.bgp`` importable from a checkout.

The link is for what the lab runs (ansible-playbook, ansible-test, the tests); the lab's own code
never imports the collection (docs/architecture.md, "The walls").
"""
import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BUILD = REPO / ".build"
COLLECTIONS = BUILD  # contains ansible_collections/kubefabric/bgp -> REPO
RUN_DIR = Path(os.environ.get("KUBEFABRIC_LAB_RUN", "/run/kubefabric-lab"))


def ensure_collection_importable():
    link = COLLECTIONS / "ansible_collections" / "kubefabric" / "bgp"
    if not link.exists():
        link.parent.mkdir(parents=True, exist_ok=True)
        try:
            link.symlink_to(REPO)
        except FileExistsError:
            pass
    if str(COLLECTIONS) not in sys.path:
        sys.path.insert(0, str(COLLECTIONS))
