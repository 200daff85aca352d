# -*- coding: utf-8 -*-
# Copyright: kubefabric.bgp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Calico YAML and the node/config patches the seeds (../shared/seeds) show, as data.

Used by the integration test that applies them through the modules, and checked offline by
tests/unit/test_seed_yaml.py (counts per seed, so that a seed the extraction cannot read fails
instead of contributing nothing).
"""
import json
import re
import textwrap

import yaml

from tests.conftest import shared_path

# a shell prompt at the start of a line in a code block: "[root@node1 calico]# cat bgpconf.yaml",
# "user@host:~/dir$ calicoctl get nodes"; what follows the line, up to the next prompt, is the
# command's output (a "# comment" line is YAML, not a prompt)
PROMPT = re.compile(r"^[ \t]*(?:\[[^\]\n]*@[^\]\n]*\]|[\w.-]+@[\w.-]+:[^\s#$]*)[#$][ \t]?(.*)$", re.M)

# What each seed holds, counted by hand: (BGPPeer/BGPConfiguration objects, node patches, config patches)
SEED_COUNTS = {
    # three BGPPeer YAMLs; calicoctl patch node my-node, kubectl label node my-node, patch node node-1;
    # calicoctl patch bgpconfiguration default twice (mesh off, AS 64513)
    "000_31d7f423ee130356.txt": (3, 3, 2),
    # "[root@node1 calico]# cat bgpconf.yaml" (BGPConfiguration default) and "cat node1.yaml" (a Node
    # with spec.bgp); the CalicoAPIConfig and the command outputs are not Calico objects
    "001_aa87a1ed86cef8b0.txt": (1, 1, 0),
    # two BGPPeers and a BGPConfiguration in heredocs, and the edited node.yaml of a route reflector
    "002_704f9394838fab05.txt": (3, 1, 0),
    # none can be read: the page lost its code fences and indentation, and the last value of each
    # object is glued to the next heading ("asNumber: 645122. Route Reflector ...", i.e. 64512 and
    # heading 2; "nodeSelector: all()BIRD(...") - any extraction would have to guess the values
    "003_c1f60010f07ba4ed.txt": (0, 0, 0),
    # peer-1.yaml, peer-2.yaml, bgp-config.yaml; kubectl label rack, annotate the cluster ID, label
    # route-reflector on ubuntu-2
    "004_399e0077bc332a67.txt": (3, 3, 0),
}


def _segments(block):
    """The YAML candidates of a code block: its heredocs, else the text around shell prompts."""
    heredocs = re.findall(r"<<EOF\n(.*?)\n\s*EOF", block, re.S)
    if heredocs:
        return heredocs
    parts = PROMPT.split(block)
    # [text before the first prompt, command 1, output 1, command 2, output 2, ...]
    return [parts[0]] + parts[2::2]


def seed_objects(seed):
    """(kind, name, spec) of every BGPPeer/BGPConfiguration YAML, and the node/config patches of a seed."""
    text = shared_path("seeds", seed).read_text(encoding="utf-8")
    objects, node_patches, config_patches = [], [], []
    for block in re.findall(r"```[a-z]*\n(.*?)```", text, re.S):
        for segment in _segments(block):
            if not segment.strip():
                continue
            try:
                doc = yaml.safe_load(textwrap.dedent(segment))
            except yaml.YAMLError:
                doc = None
            if isinstance(doc, dict) and doc.get("kind") in ("BGPPeer", "BGPConfiguration"):
                objects.append((doc["kind"], doc["metadata"]["name"], doc["spec"]))
            elif isinstance(doc, dict) and isinstance(doc.get("spec"), dict) and "bgp" in doc["spec"]:
                # a node's YAML (seed 001: node1.yaml; seed 002: the edited node.yaml, applied to
                # "my-node", as the page names no node)
                meta = doc.get("metadata") or {}
                node_patches.append((meta.get("name") or "my-node", doc["spec"]["bgp"], meta.get("labels") or {}))
        for name, patch in re.findall(r"calicoctl patch node (\S+) -p '(.*?)'", block):
            node_patches.append((name, json.loads(patch)["spec"]["bgp"], {}))
        for name, patch in re.findall(r"calicoctl patch bgpconfiguration (\S+) -p '(.*?)'", block):
            config_patches.append((name, json.loads(patch)["spec"]))
        for name, value in re.findall(r"kubectl annotate node (\S+) projectcalico.org/RouteReflectorClusterID=(\S+)",
                                      block):
            node_patches.append((name, {"routeReflectorClusterID": value}, {}))
        for name, key, value in re.findall(r"kubectl label node (\S+) ([\w./-]+)=(\S+)", block):
            node_patches.append((name, {}, {key: value}))
    return objects, node_patches, config_patches


def counts(seed):
    objects, node_patches, config_patches = seed_objects(seed)
    return len(objects), len(node_patches), len(config_patches)
