import re

import pytest
import yaml

from ansible_collections.kubefabric.bgp.plugins.module_utils.calico import resources as r
from ansible_collections.kubefabric.bgp.plugins.module_utils.calico import gosyntax
from ansible_collections.kubefabric.bgp.plugins.module_utils.common.errors import FabricError
from tests.conftest import shared_path

V1, V3 = r.GROUP_V1, r.GROUP_V3


def obj(kind, spec, name="obj-1", group=V3):
    return {"apiVersion": group, "kind": kind, "metadata": {"name": name}, "spec": spec}


def messages(errors):
    return [e.message for e in errors]


# --- the v3 API server: Calico's wording for the errors the issue names ------------------------------

@pytest.mark.parametrize("spec, field, message", [
    ({"peerIP": "10.0.0.1", "asNumber": "65536.0"}, "ASNumber", "invalid AS Number format (65536.0)"),
    ({"peerIP": "10.0.0.1", "asNumber": -1}, "ASNumber", "invalid AS Number format (-1)"),
    ({"peerIP": "10.0.0.1", "asNumber": 4294967296}, "ASNumber", "invalid AS Number format (4294967296)"),
    ({"peerIP": "10.0.0.1", "localASNumber": "x", "asNumber": 1}, "LocalASNumber", "invalid AS Number format (x)"),
    ({"peerIP": "10.0.0.1:0", "asNumber": 1}, "PeerIP",
     "Reason: failed to validate Field: PeerIP because of Tag: IP:port "),
    ({"peerIP": "10.0.0.300", "asNumber": 1}, "PeerIP",
     "Reason: failed to validate Field: PeerIP because of Tag: IP:port "),
    ({"peerIP": "[fd00::1]:70000", "asNumber": 1}, "PeerIP",
     "Reason: failed to validate Field: PeerIP because of Tag: IP:port "),
    ({"nodeSelector": "rack = 'a'", "peerIP": "10.0.0.1", "asNumber": 1}, "NodeSelector",
     "Reason: failed to validate Field: NodeSelector because of Tag: selector "),
    ({"peerSelector": "has(rr"}, "PeerSelector", "Reason: failed to validate Field: PeerSelector because of Tag: selector "),
    ({"node": "Worker_1", "peerIP": "10.0.0.1", "asNumber": 1}, "Node",
     "Reason: failed to validate Field: Node because of Tag: name "),
    ({"peerIP": "10.0.0.1", "asNumber": 1, "reachableBy": "fd00::1"}, "ReachableBy",
     "ReachableBy and PeerIP address family mismatched"),
    ({"peerIP": "10.0.0.1", "asNumber": 1, "filters": ["Bad_Name"]}, "Filters[0]",
     "Reason: failed to validate Field: Filters[0] because of Tag: name "),
    ({"peerIP": "10.0.0.1", "asNumber": 1, "maxRestartTime": "2 minutes"}, "MaxRestartTime",
     'time: unknown unit " minutes" in duration "2 minutes"'),
    ({"peerIP": "10.0.0.1", "asNumber": 1, "keepaliveTime": "10"}, "KeepaliveTime",
     'time: missing unit in duration "10"'),
    ({"peerIP": "10.0.0.1", "asNumber": 1, "ttlSecurity": 256}, "TTLSecurity",
     "json: cannot unmarshal number 256 into Go struct field of type uint8"),
])
def test_bgppeer_v3_calico_wording(spec, field, message):
    errors = r.validate(obj("BGPPeer", spec), V3)
    assert [(e.field, e.message) for e in errors if e.source in ("go", "decode")] == [(field, message)]
    # crd.projectcalico.org/v1 skips every Go check (SEMANTICS §9) unless the schema catches it too.
    v1_messages = messages(r.validate(obj("BGPPeer", spec, group=V1), V1))
    assert message not in v1_messages


@pytest.mark.parametrize("spec, message", [
    ({"node": "a", "nodeSelector": "all()"}, "node and nodeSelector cannot both be set"),
    ({"peerIP": "10.0.0.1", "peerSelector": "all()"}, "peerIP and peerSelector cannot both be set"),
    ({"peerSelector": "all()", "asNumber": 65000}, "asNumber must be empty when peerSelector is set"),
    ({"localWorkloadSelector": "a == 'b'"}, "asNumber is required when localWorkloadSelector is set"),
    ({"localWorkloadSelector": "a == 'b'", "asNumber": 1, "peerIP": "10.0.0.1"},
     "peerIP must be empty when localWorkloadSelector is set"),
    ({"localWorkloadSelector": "a == 'b'", "asNumber": 1, "peerSelector": "all()"},
     "peerSelector must be empty when localWorkloadSelector is set"),
    ({"reachableBy": "10.0.0.254"}, "reachableBy must be empty when peerIP is empty"),
    ({"keepOriginalNextHop": True, "nextHopMode": "Keep"},
     "keepOriginalNextHop and nextHopMode cannot both be set; keepOriginalNextHop is deprecated, use nextHopMode instead"),
])
@pytest.mark.parametrize("group", [V1, V3])
def test_bgppeer_exclusive_fields_in_both_groups(spec, message, group):
    errors = r.validate(obj("BGPPeer", spec, group=group), group)
    assert message in messages(errors)
    error = [e for e in errors if e.message == message][0]
    assert error.path == "spec" and error.source == "cel"
    assert error.fix


def test_asn_forms_per_group():
    dotted = obj("BGPPeer", {"peerIP": "10.0.0.1", "asNumber": "64086.59904"})
    assert r.validate(dotted, V3) == []
    assert "must be of type integer" in messages(r.validate(dotted, V1))
    big = obj("BGPPeer", {"peerIP": "10.0.0.1", "asNumber": 4200000000})
    assert r.validate(big, V3) == []                       # Calico's uint32
    assert messages(r.validate(big, V1)) == ["must be of type integer with format int32"]
    assert messages(r.validate(big, V3, api_server=False)) == ["must be of type integer with format int32"]
    negative = obj("BGPPeer", {"peerIP": "10.0.0.1", "asNumber": -5})
    assert r.validate(negative, V1) == []                  # int32 takes it; calico-node will not
    assert messages(r.validate(negative, V3)) == ["invalid AS Number format (-5)"]


@pytest.mark.parametrize("name, field, text", [
    ("node.worker-1", "BGPConfiguration.Spec.ASNumber", "Cannot set ASNumber on a non default BGP Configuration."),
    ("rr", "BGPConfiguration.Spec.NodeToNodeMeshEnabled",
     "Cannot set nodeToNodeMeshEnabled on a non default BGP Configuration."),
])
def test_bgpconfig_default_only_fields(name, field, text):
    spec = {"asNumber": 64512} if "ASNumber" in field else {"nodeToNodeMeshEnabled": True}
    errors = r.validate(obj("BGPConfiguration", spec, name=name), V3)
    assert [(e.field, e.message, e.source) for e in errors] == [(field, text, "clientv3")]
    assert r.format_field_errors("BGPConfiguration", name, errors) == "error with field %s (%s)" % (field, text)
    assert r.validate(obj("BGPConfiguration", spec, name="default"), V3) == []
    assert r.validate(obj("BGPConfiguration", spec, name=name, group=V1), V1) == []   # v1 does not check


def test_bgpconfig_every_default_only_field_is_refused_elsewhere():
    spec = {"asNumber": 1, "nodeToNodeMeshEnabled": True, "serviceClusterIPs": [{"cidr": "10.96.0.0/12"}],
            "serviceExternalIPs": [{"cidr": "203.0.113.0/24"}], "serviceLoadBalancerIPs": [{"cidr": "198.51.100.0/24"}],
            "nodeMeshPassword": {"secretKeyRef": {"name": "s", "key": "k"}}, "nodeMeshMaxRestartTime": "120s"}
    errors = r.validate(obj("BGPConfiguration", spec, name="node.a"), V3)
    assert sorted(e.path for e in errors) == sorted("spec." + k for k in spec)
    text = r.format_field_errors("BGPConfiguration", "node.a", errors)
    assert text.startswith("error with the following fields:\n-  BGPConfiguration.Spec.")
    assert text.count("\n-  ") == 7 and text.endswith("\n")
    assert r.validate(obj("BGPConfiguration", dict(spec, serviceClusterIPs=[]), name="node.a"), V3) != []


@pytest.mark.parametrize("spec, message", [
    ({"communities": [{"name": "c", "value": "70000:1"}], "prefixAdvertisements": [{"cidr": "10.0.0.0/8"}]},
     "invalid community value, expected 16 bit value"),
    ({"communities": [{"name": "c", "value": "4294967296:1:1"}], "prefixAdvertisements": [{"cidr": "10.0.0.0/8"}]},
     "invalid community value, expected 32 bit value"),
    ({"prefixAdvertisements": [{"cidr": "10.0.0.0/8", "communities": ["undefined"]}]},
     "community used is invalid or not defined."),
    ({"serviceClusterIPs": [{"cidr": "10.96.0.1/12"}]},
     "Reason: failed to validate Field: CIDR because of Tag: net "),
    ({"ignoredInterfaces": ["*"]}, "Reason: failed to validate Field: IgnoredInterfaces[0] because of Tag: ignoredInterface "),
    ({"localWorkloadPeeringIPV4": "fd00::1"},
     "Reason: failed to validate Field: LocalWorkloadPeeringIPV4 because of Tag: ipv4 "),
    ({"listenPort": 70000}, "json: cannot unmarshal number 70000 into Go struct field of type uint16"),
    ({"nodeMeshMaxRestartTime": "forever"}, 'time: invalid duration "forever"'),
])
def test_bgpconfig_v3_checks(spec, message):
    assert message in messages(r.validate(obj("BGPConfiguration", spec, name="default"), V3))


def test_bgpconfig_named_communities_and_defaults():
    spec = {"communities": [{"name": "my-community", "value": "65000:100"}],
            "prefixAdvertisements": [{"cidr": "10.0.0.0/8", "communities": ["my-community", "65000:1:2"]}]}
    assert r.validate(obj("BGPConfiguration", spec, name="default"), V3) == []
    defaulted = r.apply_defaults(obj("BGPConfiguration", {}), V1)
    assert defaulted["spec"] == {"logSeverityScreen": "Info", "serviceLoadBalancerAggregation": "Enabled"}


@pytest.mark.parametrize("spec, message", [
    ({"cidr": "10.244.0.1/16"}, "IP pool CIDR is not strictly masked"),
    ({"cidr": "banana"}, "IPPool CIDR must be a valid subnet"),
    ({"cidr": "169.254.0.0/24"}, "IP pool range overlaps with IPv4 Link Local range 169.254.0.0/16"),
    ({"cidr": "10.0.0.0/28"},
     "IP pool size is too small for use with Calico IPAM. It must be equal to or greater than the block size."),
    ({"cidr": "10.244.0.0/16", "nodeSelector": "rack ="},
     "Reason: failed to validate Field: NodeSelector because of Tag: selector "),
])
def test_ippool_go_checks(spec, message):
    errors = r.validate(obj("IPPool", spec), V3)
    assert message in messages(errors)


def test_ippool_v3_defaults_and_canonical_cidr():
    pool = r.apply_defaults(obj("IPPool", {"cidr": "fd00:0:0::/64"}), V3)
    assert pool["spec"] == {"cidr": "fd00::/64", "blockSize": 122, "ipipMode": "Never", "vxlanMode": "Never",
                            "nodeSelector": "all()", "allowedUses": ["Workload", "Tunnel"], "assignmentMode": "Automatic"}
    v4 = r.apply_defaults(obj("IPPool", {"cidr": "10.244.0.0/16", "ipipMode": "Always"}), V3)["spec"]
    assert (v4["blockSize"], v4["ipipMode"], v4["vxlanMode"]) == (26, "Always", "Never")
    v1 = r.apply_defaults(obj("IPPool", {"cidr": "10.244.0.0/16"}, group=V1), V1)["spec"]
    assert v1 == {"cidr": "10.244.0.0/16", "assignmentMode": "Automatic", "nodeSelector": "all()"}
    original = obj("IPPool", {"cidr": "10.244.0.0/16"})
    r.apply_defaults(original, V3)
    assert original["spec"] == {"cidr": "10.244.0.0/16"}          # a copy, never the caller's object


def test_ippool_immutable_fields_on_update():
    old = obj("IPPool", {"cidr": "10.244.0.0/16", "blockSize": 26})
    new = obj("IPPool", {"cidr": "10.245.0.0/16", "blockSize": 26})
    for group in (V1, V3):
        assert "CIDR cannot be changed; follow IP pool migration guide to avoid corruption." in messages(
            r.validate(new, group, old=old))
        assert r.validate(new, group) == []
    grown = obj("IPPool", {"cidr": "10.244.0.0/16", "blockSize": 28})
    assert "Block size cannot be changed; follow IP pool migration guide to avoid corruption." in messages(
        r.validate(grown, V1, old=old))


def test_clientv3_context_checks():
    peer = obj("BGPPeer", {"peerIP": "10.0.0.1", "asNumber": 1, "filters": ["f1", "f2"]})
    errors = r.validate(peer, V3, context={"bgpfilters": ["f1"]})
    assert [(e.field, e.message) for e in errors] == [("BGPPeer.Spec.Filters", "BGPFilter(s) not found")]
    assert "f2" in errors[0].fix
    assert r.validate(peer, V3, context={"bgpfilters": ["f1", "f2"]}) == []
    assert r.validate(peer, V3) == []                                      # unknown: not checked
    pool = obj("IPPool", {"cidr": "10.244.128.0/17"}, name="new")
    errors = r.validate(pool, V3, context={"ippools": {"default": "10.244.0.0/16", "new": "10.0.0.0/8"}})
    assert messages(errors) == ["IPPool(new) CIDR overlaps with IPPool(default) CIDR 10.244.0.0/16"]


def test_names_per_group():
    bad = obj("BGPPeer", {}, name="Peer_1")
    v3 = r.validate(bad, V3)
    assert [(e.field, e.message) for e in v3] == [("Metadata.Name", gosyntax.NAME_MESSAGE)]
    assert r.format_field_errors("BGPPeer", "Peer_1", v3) == (
        "error with field Metadata.Name = 'Peer_1' (name must consist of lower case alphanumeric characters, '-' or "
        "'.' (regex: [a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*))")
    v1 = r.validate(dict(bad, apiVersion=V1), V1)
    assert [e.path for e in v1] == ["metadata.name"] and "RFC 1123" in v1[0].message
    assert messages(r.validate({"kind": "BGPPeer", "metadata": {}, "spec": {}}, V1)) == [
        "name or generateName is required"]


def test_v3_labels_checked():
    peer = obj("BGPPeer", {})
    peer["metadata"]["labels"] = {"bad key!": "x", "ok": "bad value!"}
    fields = sorted(e.field for e in r.validate(peer, V3))
    assert fields == ["Metadata.Labels (label)", "Metadata.Labels (value)"]


@pytest.mark.parametrize("kind, spec, expected", [
    ("CalicoNodeStatus", {"classes": ["BGP"]},
     ["Reason: failed to validate Field: Node because of Tag: required ",
      "Reason: failed to validate Field: UpdatePeriodSeconds because of Tag: required "]),
    ("CalicoNodeStatus", {"node": "a", "updatePeriodSeconds": 86401},
     ["Reason: failed to validate Field: UpdatePeriodSeconds because of Tag: lte "]),
    ("BGPFilter", {"importV4": [{"action": "Accept", "cidr": "10.0.0.1/8", "matchOperator": "In"}]},
     ["Reason: failed to validate Field: CIDR because of Tag: netv4 "]),
    ("BGPFilter", {"importV6": [{"action": "Accept", "cidr": "10.0.0.0/8", "matchOperator": "In"}]},
     ["Reason: failed to validate Field: CIDR because of Tag: netv6 "]),
    ("BGPFilter", {"importV4": [{"action": "Accept", "interface": "eth 0"}]},
     ["Reason: failed to validate Field: Interface because of Tag: bgpFilterInterface "]),
    ("BGPFilter", {"importV4": [{"action": "Accept", "asPathPrefix": ["1.1", 65000]}]}, []),
])
def test_other_kinds_v3(kind, spec, expected):
    assert messages(r.validate(obj(kind, spec), V3)) == expected


def test_crd_only_groups_skip_go_checks():
    spec = {"peerIP": "not-an-ip:99999999", "nodeSelector": "((", "asNumber": 1}
    assert r.validate(obj("BGPPeer", spec, group=V1), V1) == []
    assert r.validate(obj("BGPPeer", spec), V3, api_server=False) == []
    assert len(r.validate(obj("BGPPeer", spec), V3)) == 2


def test_schema_errors_in_kubernetes_words():
    peer = obj("BGPPeer", {"nextHopMode": "Sometimes", "peerIP": "1" * 65, "ttlSecurity": "x"}, group=V1)
    assert [e.k8s_text() for e in r.validate(peer, V1)] == [
        'spec.nextHopMode: Unsupported value: "Sometimes": supported values: "Auto", "Self", "Keep"',
        'spec.peerIP: Too long: may not be more than 64 bytes',
        'spec.ttlSecurity: Invalid value: "string": spec.ttlSecurity in body must be of type integer: "string"']
    cel = r.validate(obj("BGPPeer", {"node": "a", "nodeSelector": "all()"}, group=V1), V1)
    assert [(e.reason, e.k8s_text()) for e in cel] == [
        ("FieldValueForbidden", "spec: Forbidden: node and nodeSelector cannot both be set")]


def test_format_field_errors_shapes():
    assert r.format_field_errors(errors=[]) == "unknown validation error"
    one = r.FieldError("spec.x", "v", "bad")
    assert r.format_field_errors("K", "n", [one]) == "error with field spec.x = 'v' (bad)"
    no_value = r.FieldError("spec.x", None, "bad", field="X")
    assert r.format_field_errors("K", "n", [one, no_value]) == (
        "error with the following fields:\n-  spec.x = 'v' (bad)\n-  X (bad)\n")


def test_validation_error_for_module():
    errors = r.validate(obj("BGPPeer", {"peerIP": "10.0.0.1:0", "asNumber": 1}), V3)
    exc = r.validation_error_for_module("BGPPeer", "tor-1", errors)
    assert isinstance(exc, FabricError)
    assert exc.host == "BGPPeer/tor-1" and exc.field == "spec.peerIP"
    assert "port from 1 to 65535" in exc.fix
    assert str(exc).startswith("BGPPeer/tor-1: spec.peerIP: error with field PeerIP = '10.0.0.1:0'")
    assert exc.details["errors"][0]["path"] == "spec.peerIP"
    with pytest.raises(FabricError) as raised:
        r.check(obj("BGPConfiguration", {"asNumber": 1}, name="node.a"), V3)
    assert raised.value.field == "spec.asNumber" and "default" in raised.value.fix
    good = obj("BGPPeer", {"peerIP": "10.0.0.1", "asNumber": 1})
    assert r.check(good, V3) is good


def test_unknown_kind_and_group():
    assert messages(r.validate({"kind": "Pod"}, V1))[0].startswith("unknown Calico kind")
    with pytest.raises(ValueError):
        r.validate(obj("BGPPeer", {}), "projectcalico.org/v2")


@pytest.mark.parametrize("bgp, errors", [
    ({"asNumber": 64512, "ipv4Address": "10.0.0.5/24", "ipv6Address": "fd00::5/64",
      "routeReflectorClusterID": "244.0.0.1"}, []),
    ({"asNumber": "1.10"}, []),
    ({}, [("BGP", "Spec.BGP should not be empty")]),
    ({"ipv4Address": "fd00::5/64"}, [("IPv4Address", "Reason: failed to validate Field: IPv4Address because of Tag: cidrv4 ")]),
    ({"ipv6Address": "10.0.0.5"}, [("IPv6Address", "Reason: failed to validate Field: IPv6Address because of Tag: cidrv6 ")]),
    ({"routeReflectorClusterID": "244.0.0.1/32"},
     [("RouteReflectorClusterID", "Reason: failed to validate Field: RouteReflectorClusterID because of Tag: ipv4 ")]),
    ({"asNumber": "AS65000"}, [("ASNumber", "invalid AS Number format (AS65000)")]),
])
def test_validate_node_bgp(bgp, errors):
    assert [(e.field, e.message) for e in r.validate_node_bgp(bgp)] == errors


@pytest.mark.parametrize("text, nanos", [
    ("0", 0), ("120s", 120 * 10 ** 9), ("1h30m", 5400 * 10 ** 9), ("1.5s", 1500 * 10 ** 6), ("-2m", -120 * 10 ** 9),
    ("300ms", 300 * 10 ** 6), ("1\u00b5s", 1000),
])
def test_go_duration(text, nanos):
    assert r.parse_go_duration(text) == nanos


@pytest.mark.parametrize("text", ["", "s", "10", "1d", "1.2.3s", "+", 5])
def test_go_duration_rejects(text):
    with pytest.raises(ValueError):
        r.parse_go_duration(text)


def test_v3_node_shape():
    node = {"apiVersion": V3, "kind": "Node", "metadata": {"name": "worker-1", "labels": {"rack": "a"}},
            "spec": {"bgp": {"asNumber": "1.10", "ipv4Address": "10.0.0.5/24"}}}
    assert r.validate(node, V3) == []
    node["spec"]["bgp"]["routeReflectorClusterID"] = "not-an-ip"
    node["metadata"]["name"] = "Worker_1"
    assert sorted(e.field for e in r.validate(node, V3)) == ["Metadata.Name", "RouteReflectorClusterID"]
    with pytest.raises(FabricError) as err:
        r.check(node, V3)
    assert err.value.host == "Node/Worker_1"


class _Yaml12Ints(yaml.SafeLoader):
    """YAML 1.2 integers: PyYAML's 1.1 rules read the fixtures' unquoted 5663:12 as base 60."""


_Yaml12Ints.yaml_implicit_resolvers = dict(
    (key, [(tag, rx) for tag, rx in value if tag != "tag:yaml.org,2002:int"])
    for key, value in yaml.SafeLoader.yaml_implicit_resolvers.items())
_Yaml12Ints.add_implicit_resolver("tag:yaml.org,2002:int", re.compile(r"^[-+]?[0-9]+$"), list("-+0123456789"))


def _fixture_objects():
    root = shared_path("reference", "calico", "fixtures")
    for path in sorted(root.rglob("*.yaml")):
        if "delete" in path.name:
            continue
        with open(path, encoding="utf-8") as handle:
            for doc in yaml.load_all(handle, Loader=_Yaml12Ints):
                if not isinstance(doc, dict):
                    continue
                for item in doc.get("items") or [] if doc.get("kind", "").endswith("List") else [doc]:
                    if isinstance(item, dict) and (item.get("kind") in r.KINDS or item.get("kind") == "Node") \
                            and str(item.get("apiVersion", "")).startswith(("projectcalico.org", "crd.projectcalico.org")):
                        labels = (item.get("metadata") or {}).get("labels") or {}
                        for key, value in labels.items():   # sigs.k8s.io/yaml converts scalars to the Go type
                            labels[key] = str(value).lower() if isinstance(value, bool) else str(value)
                        yield path.relative_to(root), item


def test_every_upstream_fixture_object_is_accepted():
    """Upstream's confd fixtures were applied with calicoctl: Calico accepted every one of them."""
    seen = {}
    for path, item in _fixture_objects():
        group = r.GROUP_V1 if item["apiVersion"].startswith("crd.") else r.GROUP_V3
        errors = r.validate(item, group)
        where = "%s %s/%s" % (path, item["kind"], item["metadata"].get("name"))
        assert errors == [], "%s: %s" % (where, r.format_field_errors(errors=errors))
        seen[item["kind"]] = seen.get(item["kind"], 0) + 1
    assert all(seen.get(kind, 0) >= 20 for kind in ("BGPPeer", "BGPConfiguration", "IPPool", "BGPFilter", "Node")), seen


def test_null_spec():
    config = {"apiVersion": V3, "kind": "BGPConfiguration", "metadata": {"name": "default"}, "spec": None}
    assert r.validate(config, V3) == []                                   # Go decodes it as the empty spec
    assert [e.k8s_text() for e in r.validate(config, V3, api_server=False)] == ["spec: Required value"]


@pytest.mark.parametrize("spec", [
    {"importV4": 7}, {"exportV6": [{"action": "Accept", "prefixLength": 5}]}, {"filters": "f1"},
    {"communities": {"name": "x"}}, {"ttlSecurity": "1"}, {"classes": "BGP"},
])
def test_api_server_reports_wrong_json_types_as_decode_errors_only(spec):
    kind = {"importV4": "BGPFilter", "exportV6": "BGPFilter", "filters": "BGPPeer", "communities": "BGPConfiguration",
            "ttlSecurity": "BGPPeer", "classes": "CalicoNodeStatus"}[next(iter(spec))]
    errors = r.validate(obj(kind, spec, name="Not_A_Name"), V3)
    assert errors and all(e.source == "decode" and e.reason == r.TYPE_INVALID for e in errors)
    assert all(e.fix for e in errors)
