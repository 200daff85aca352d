"""``make demo``: the main job against the embedded lab.

Until the fabric lab exists this runs what exists: the offline checks of the collection.
"""
import subprocess
import sys

from .paths import REPO


def main(argv):
    print("kubefabric.bgp demo: the fabric lab is not built yet; running the offline checks instead.")
    return subprocess.call([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/unit"],
                           cwd=REPO)
