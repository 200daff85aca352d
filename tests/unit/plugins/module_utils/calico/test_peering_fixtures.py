# -*- coding: utf-8 -*-
# Copyright: kubefabric.bgp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The confd fixtures are the oracle for the peering engine and the BIRD renderer.

Two engines are held to them, separately: the collection's (module_utils/calico/peering.py) and the
lab's calico-node (lab/confd.py, written without the collection's code). The renderer is the lab's
(lab/birdcfg.py); it renders either engine's sessions.

For every upstream scenario (../shared/reference/calico/fixtures) that has an input and an expected
``bird.cfg``/``bird6.cfg``, the engine computes the sessions of the rendering node (NODENAME
``kube-master`` unless the scenario says otherwise), the renderer writes the six files, and:

* every ``protocol bgp`` block equals the expected one after normalising comments and white space,
  and the set of blocks is the same (none missing, none extra);
* ``bird -p -c`` / ``bird6 -p -c`` (Debian's stock BIRD 1.6.8) accept the rendered files. They are
  confd's text as it is, except where BIRD would program IPIP routes with calico's ``krt_tunnel``
  attribute, which only calico's BIRD fork knows (``bird_variant="stock"`` leaves those to Felix).

What the Go test driver does between steps (secrets created and rotated, a BGPPeer edited,
BGPConfiguration fields set), as INDEX.md describes it, is replayed below as data. Scenarios that
cannot apply are skipped by name with the reason. A summary line reports how many scenarios were
compared and passed.
"""

from __future__ import annotations

import copy
import shutil
import subprocess
from pathlib import Path

import pytest

from ansible_collections.kubefabric.bgp.plugins.module_utils.calico import peering
from lab import birdcfg, confd

from tests.conftest import SHARED, oracle_missing

FIXTURES = SHARED / "reference" / "calico" / "fixtures"

# Block affinities the oneshot harness creates for kube-master (INDEX.md).
KUBE_MASTER_BLOCKS = [
    {"cidr": "10.0.0.0/30", "state": ""}, {"cidr": "10.1.0.0/24", "state": ""}, {"cidr": "10.2.0.1/32", "state": ""},
    {"cidr": "192.168.221.192/26", "state": ""}, {"cidr": "192.168.221.64/26", "state": "confirmed"},
    {"cidr": "192.168.221.0/26", "state": "pending"},
]


def _secret(name, **data):
    return {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name, "namespace": "kube-system"},
            "stringData": data}


def _peer_patch(name, **spec):
    return ("BGPPeer", name, spec)


def _config_patch(**spec):
    return ("BGPConfiguration", "default", spec)


# What the Go drivers do on top of the inputs (INDEX.md), keyed by scenario path.
STEPS = {
    "mesh/password/step1": {"inputs": ["mesh_password"]},
    "mesh/password/step2": {"inputs": ["mesh_password"], "add": [_secret("my-secrets-1", a="password-a")]},
    "mesh/password/step3": {"inputs": ["mesh_password"], "add": [_secret("my-secrets-1", a="new-password-a")]},
    "password/step1": {"inputs": ["password"], "node": "node1"},
    "password/step2": {"inputs": ["password"], "node": "node1", "add": [_secret("my-secrets-1", b="password-b")]},
    "password/step3": {"inputs": ["password"], "node": "node1",
                       "add": [_secret("my-secrets-1", a="password-a", b="password-b"),
                               _secret("my-secrets-2", c="password-c")]},
    "password/step4": {"inputs": ["password"], "node": "node1",
                       "add": [_secret("my-secrets-1", a="password-a", b="password-b")]},
    "password/step5": {"inputs": ["password"], "node": "node1",
                       "add": [_secret("my-secrets-1", a="new-password-a", b="new-password-b")]},
    "password/step6": {"inputs": ["password"], "node": "node1",
                       "add": [_secret("my-secrets-1", b="new-password-b")]},
    "sourceaddr_gracefulrestart/step1": {"inputs": ["sourceaddr_gracefulrestart"], "node": "node1"},
    "sourceaddr_gracefulrestart/step2": {"inputs": ["sourceaddr_gracefulrestart"], "node": "node1",
                                         "patch": [_peer_patch("bgppeer-1", sourceAddress="None")]},
    "sourceaddr_gracefulrestart/step3": {"inputs": ["sourceaddr_gracefulrestart"], "node": "node1",
                                         "patch": [_peer_patch("bgppeer-1", sourceAddress="None",
                                                               maxRestartTime="10s")]},
    "mesh/restart-time/pcr-disabled": {"inputs": ["mesh/restart-time"],
                                       "patch": [_config_patch(programClusterRoutes="Disabled")]},
    "mesh/restart-time/pcr-enabled": {"inputs": ["mesh/restart-time"],
                                      "patch": [_config_patch(programClusterRoutes="Enabled")]},
    "mesh/restart-time/pcr-ipip-only": {"inputs": ["mesh/restart-time"],
                                        "patch": [_config_patch(programClusterRoutes="EnabledIPIPOnly")]},
    # daemon tests: no block affinities injected
    "bgpfilter/node_mesh/priority1": {"inputs": ["bgpfilter/node_mesh"], "blocks": False},
    "bgpfilter/node_mesh/priority2": {"inputs": ["bgpfilter/node_mesh"], "blocks": False,
                                      "patch": [_config_patch(ipv4NormalRoutePriority=5000)]},
    "bgpfilter/node_mesh/priority3": {"inputs": ["bgpfilter/node_mesh"], "blocks": False,
                                      "patch": [_config_patch(ipv4NormalRoutePriority=5000,
                                                              ipv6NormalRoutePriority=80)]},
    # KDD tests with Services/EndpointSlices (kubectl-input.yaml): the route generator adds their /32, /128
    "mesh/static-routes": {"service_routes": ["10.101.0.101/32", "fd00:96::28/128"]},
    "mesh/static-routes-exclude-node": {"service_routes": ["10.101.0.101/32", "fd00:96::28/128"]},
    "mesh/static-routes-no-ipv4-address": {"service_routes": ["10.101.0.101/32"]},
    "bgpfilter/filter_deletion/step1": {"inputs": ["bgpfilter/filter_deletion"]},
    "bgpfilter/filter_deletion/step2": {"inputs": ["bgpfilter/filter_deletion"], "delete_kind": "BGPFilter"},
}

SKIP = {
    "explicit_peering/local_bgp_peer": "Local_Workload_ peers need workload endpoint status files that the Go test "
                                       "injects; calico_peering_info covers BGP sessions between nodes and peers",
    "password-deadlock": "its 99 nodes and peers are generated by Go code (no input file)",
}


def _scenarios():
    if not FIXTURES.exists():
        return []
    found = []
    for cfg in sorted(FIXTURES.rglob("bird.cfg")):
        rel = cfg.parent.relative_to(FIXTURES).as_posix()
        if rel.startswith("_legacy"):
            continue
        found.append(rel)
    return found


SCENARIOS = _scenarios()


def _key(obj):
    return (obj.get("kind"), (obj.get("metadata") or {}).get("name"))


def _upsert(resources, new):
    index = {_key(obj): i for i, obj in enumerate(resources)}
    for obj in new:
        if _key(obj) in index:
            resources[index[_key(obj)]] = obj
        else:
            index[_key(obj)] = len(resources)
            resources.append(obj)


def _inputs_for(rel):
    """The input chain for a scenario dir: parents' input.yaml first, then the step's own."""
    spec = STEPS.get(rel, {})
    if "inputs" in spec:
        chain = [FIXTURES / d / "input.yaml" for d in spec["inputs"]]
    else:
        chain = []
        parts = rel.split("/")
        for depth in range(1, len(parts) + 1):
            candidate = FIXTURES.joinpath(*parts[:depth]) / "input.yaml"
            if candidate.exists():
                chain.append(candidate)
    return chain, spec


def load_scenario(rel):
    chain, spec = _inputs_for(rel)
    if rel in SKIP:
        pytest.skip("%s: %s" % (rel, SKIP[rel]))
    if not chain:
        pytest.skip("%s: no input.yaml for this scenario" % rel)
    resources = []
    for path in chain:
        _upsert(resources, [d for d in peering.load_documents(path.read_text()) if d])
    for kind, name, fields in spec.get("patch", []):
        for obj in resources:
            if _key(obj) == (kind, name):
                obj = copy.deepcopy(obj)
                obj["spec"] = dict(obj.get("spec") or {})
                obj["spec"].update(fields)
                _upsert(resources, [obj])
                break
        else:
            _upsert(resources, [{"apiVersion": "projectcalico.org/v3", "kind": kind, "metadata": {"name": name},
                                 "spec": dict(fields)}])
    if spec.get("delete_kind"):
        resources = [obj for obj in resources if obj.get("kind") != spec["delete_kind"]]
    _upsert(resources, spec.get("add", []))
    return resources, spec.get("node", "kube-master"), spec


def sessions(resources, node, engine):
    """(model, the node's sessions) from the collection's engine or the lab's."""
    if engine == "lab":
        model = confd.Model(resources)
        return model, confd.node_sessions(model, node)
    model = peering.Model(resources)
    return model, peering.compute_peerings(None, node=node, model=model)[node]


def render(rel, bird_variant="calico", engine="collection"):
    resources, node, spec = load_scenario(rel)
    model, peers = sessions(resources, node, engine)
    router_id = "hash" if rel == "mesh/hash" else None
    if rel.startswith("mesh/static-routes-no-ipv4-address"):
        router_id = "10.10.10.10"
    blocks = KUBE_MASTER_BLOCKS if node == "kube-master" and spec.get("blocks", True) else ()
    files = birdcfg.render_node(model=model, node=node, peers=peers, blocks=blocks, router_id=router_id,
                                service_routes=spec.get("service_routes", ()), bird_variant=bird_variant)
    return files, peers


def check_blocks(rel, engine):
    """Every ``protocol bgp`` block equals confd's, in confd's order; the number of blocks compared."""
    files, _peers = render(rel, engine=engine)
    compared = 0
    for name in ("bird.cfg", "bird6.cfg"):
        expected_path = FIXTURES / rel / name
        if not expected_path.exists():
            continue
        expected = birdcfg.protocol_blocks(expected_path.read_text())
        got = birdcfg.protocol_blocks(files[name])
        assert sorted(got) == sorted(expected), "%s %s: protocol names differ" % (rel, name)
        for proto, block in expected.items():
            assert got[proto] == block, "%s %s %s differs:\n--- expected\n%s\n--- rendered\n%s" % (
                rel, name, proto, block, got[proto])
        # HEAD renders peers sorted by name
        assert list(got) == list(expected), "%s %s: protocol order differs" % (rel, name)
        compared += len(expected)
    return compared


@pytest.mark.parametrize("engine", ["collection", "lab"])
@pytest.mark.parametrize("rel", SCENARIOS)
def test_protocol_blocks_match_confd(rel, engine):
    check_blocks(rel, engine)


def _lines(text):
    # the upstream harness compares with blank lines stripped
    return [line.rstrip() for line in text.splitlines() if line.strip()]


def check_files(rel, engine):
    """All six files equal confd's output line for line; the number of files compared."""
    files, _peers = render(rel, engine=engine)
    compared = 0
    for name, text in files.items():
        expected_path = FIXTURES / rel / name
        if expected_path.exists():
            assert _lines(text) == _lines(expected_path.read_text()), "%s/%s differs" % (rel, name)
            compared += 1
    assert compared == 6
    return compared


@pytest.mark.parametrize("engine", ["collection", "lab"])
@pytest.mark.parametrize("rel", SCENARIOS)
def test_whole_files_match_confd(rel, engine):
    """All six files, not only the protocol blocks, equal confd's output line for line."""
    check_files(rel, engine)


BIRD = {4: shutil.which("bird"), 6: shutil.which("bird6")}


@pytest.mark.parametrize("rel", SCENARIOS)
def test_bird_parses_rendered_files(rel, tmp_path):
    if not BIRD[4] or not BIRD[6]:
        pytest.skip("bird/bird6 (Debian bird 1.6) not installed")
    files, _peers = render(rel, bird_variant="stock")
    confd_files, _peers = render(rel)
    if not any("krt_tunnel" in text for text in confd_files.values()):
        # Debian's BIRD loads confd's output as it is, unless BIRD programs IPIP routes (krt_tunnel).
        assert files == confd_files
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    for version, main in ((4, "bird.cfg"), (6, "bird6.cfg")):
        proc = subprocess.run([BIRD[version], "-p", "-c", str(tmp_path / main)], cwd=tmp_path,
                              capture_output=True, text=True, timeout=60, check=False)
        binary = Path(BIRD[version]).name
        assert proc.returncode == 0, "%s: %s rejected %s:\n%s%s" % (rel, binary, main, proc.stdout, proc.stderr)


LEGACY = FIXTURES / "_legacy_v3.31.7"


def _legacy_scenarios():
    if not LEGACY.exists():
        return []
    found = []
    for cfg in sorted(LEGACY.rglob("bird.cfg")):
        rel = cfg.parent.relative_to(LEGACY).as_posix()
        # only the scenarios whose inputs were files at v3.31.7 (the rest were shell heredocs, not copied)
        if (cfg.parent / "input.yaml").exists():
            found.append(rel)
    return found


LEGACY_SCENARIOS = _legacy_scenarios()


def _legacy_peers(rel, calico_version):
    resources = []
    parts = rel.split("/")
    for depth in range(1, len(parts) + 1):
        path = LEGACY.joinpath(*parts[:depth]) / "input.yaml"
        if path.exists():
            _upsert(resources, peering.load_documents(path.read_text()))
    return peering.compute_peerings(resources, node="kube-master", calico_version=calico_version)["kube-master"]


def _attribute_mismatches(rel, peers):
    problems = []
    for version, name in ((4, "bird.cfg"), (6, "bird6.cfg")):
        path = LEGACY / rel / name
        expected = birdcfg.protocol_blocks(path.read_text()) if path.exists() else {}
        got = {p.name: p for p in peers if p.ip_version == version}
        if sorted(expected) != sorted(got):
            problems.append("%s: protocols %s != %s" % (name, sorted(got), sorted(expected)))
            continue
        for proto, block in expected.items():
            want = birdcfg.protocol_attributes(block)
            have = birdcfg.protocol_attributes(birdcfg.render_peer(got[proto]))
            diff = {k: (have[k], want[k]) for k in want if have[k] != want[k]}
            if diff:
                problems.append("%s %s: %s" % (name, proto, diff))
    return problems


@pytest.mark.parametrize("rel", LEGACY_SCENARIOS)
def test_legacy_v3_31_sessions_match(rel):
    """calico_version="v3.31" gives every session the attributes the v3.31.7 templates rendered.

    The v3.31 templates lay the block out differently, so the comparison is by attribute (neighbor,
    port, AS numbers, source address, ttl security / multihop, passive, rr client and cluster id,
    graceful restart, password, next hop, allow local as, calico_export_to_bgp_peers argument).
    """
    problems = _attribute_mismatches(rel, _legacy_peers(rel, "v3.31"))
    assert not problems, "%s: %s" % (rel, "; ".join(problems))


def test_legacy_differences_are_real():
    """HEAD semantics do not reproduce the v3.31.7 mesh output: the option is needed."""
    if "mesh/ipip-always" not in LEGACY_SCENARIOS:
        oracle_missing("legacy fixtures not available")
    problems = _attribute_mismatches("mesh/ipip-always", _legacy_peers("mesh/ipip-always", "head"))
    assert problems and all("multihop" in p for p in problems)


def _tally(check, rel, engine):
    """(ran, passed, count) of one check, run here so the tally does not depend on the runner."""
    try:
        return 1, 1, check(rel, engine)
    except pytest.skip.Exception:
        return 0, 0, 0
    except AssertionError:
        return 1, 0, 0


def test_zz_fixture_summary(summary):
    """Report how many confd scenarios were compared and passed, per engine.

    The counts are computed by this test itself (each scenario compared again), not collected from
    the other tests' runs, so they are the same with or without pytest-xdist; the test fails when a
    compared scenario does not pass.
    """
    if not SCENARIOS:
        oracle_missing("confd fixtures not available at %s" % FIXTURES)
    parts = []
    for engine in ("collection", "lab"):
        blocks = [_tally(check_blocks, rel, engine) for rel in SCENARIOS]
        files = [_tally(check_files, rel, engine) for rel in SCENARIOS]
        ran, passed = sum(b[0] for b in blocks), sum(b[1] for b in blocks)
        parts.append((engine, ran, passed, sum(b[2] for b in blocks), sum(f[1] for f in files), sum(f[2] for f in files)))
        assert ran > 0 and passed == ran, "%s engine: %d of %d scenarios pass" % (engine, passed, ran)
    legacy = sum(not _attribute_mismatches(rel, _legacy_peers(rel, "v3.31")) for rel in LEGACY_SCENARIOS)
    assert legacy == len(LEGACY_SCENARIOS)
    skipped = sorted(SKIP)
    line = "confd fixture scenarios: %d found; %s; %d skipped by name (%s); legacy v3.31.7: %d of %d passed" % (
        len(SCENARIOS), "; ".join("%s engine: %d compared, %d passed (%d protocol bgp blocks; %d scenarios, %d files "
                                  "whole-file equal)" % part for part in parts),
        len(skipped), ", ".join(skipped), legacy, len(LEGACY_SCENARIOS))
    summary("confd-fixtures", line)  # shown in the terminal summary, also under pytest-xdist
