# -*- coding: utf-8 -*-
# Copyright: kubefabric.bgp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The seed YAML extraction (tests/seed_yaml.py) finds every object counted by hand in each seed."""
import pytest

from tests.conftest import SHARED, oracle_missing
from tests.seed_yaml import PROMPT, SEED_COUNTS, counts, seed_objects


@pytest.mark.parametrize("seed", sorted(SEED_COUNTS))
def test_seed_counts(seed):
    assert counts(seed) == SEED_COUNTS[seed]


def test_every_seed_is_counted():
    seeds = sorted(p.name for p in (SHARED / "seeds").glob("*.txt"))
    if not seeds:
        oracle_missing("upstream seeds not available at %s" % (SHARED / "seeds"))
    assert seeds == sorted(SEED_COUNTS)


def test_seed001_behind_shell_prompts():
    """Seed 001 shows its files as "[root@node1 calico]# cat FILE" followed by the file."""
    objects, node_patches, config_patches = seed_objects("001_aa87a1ed86cef8b0.txt")
    assert objects == [("BGPConfiguration", "default",
                        {"logSeverityScreen": "Info", "nodeToNodeMeshEnabled": False, "asNumber": 64512})]
    assert [(name, bgp) for name, bgp, _labels in node_patches] == [
        ("node1", {"asNumber": 64512, "ipv4Address": "172.20.0.11/24", "routeReflectorClusterID": "172.20.0.11"})]
    assert config_patches == []


@pytest.mark.parametrize("line,command", [
    ("[root@node1 calico]# cat bgpconf.yaml", "cat bgpconf.yaml"),
    ("user@host:~/calico$ calicoctl get nodes", "calicoctl get nodes"),
    ("  [admin@leaf-1 ~]$ ls", "ls"),
])
def test_prompt_lines(line, command):
    assert PROMPT.match(line).group(1) == command


@pytest.mark.parametrize("line", ["# a YAML comment", "asNumber: 64512", "peerIP: 10.0.0.1", "$ not@a prompt"])
def test_not_prompt_lines(line):
    assert PROMPT.match(line) is None
