"""The API surface the emulator serves: one ``ResourceType`` per (group, version, plural).

Calico kinds are served through two groups over one storage ("same storage"): the plain CRDs
``crd.projectcalico.org/v1`` and ``projectcalico.org/v3`` as the Calico API server serves it.
Their storage key is the kind alone, so an object written through one group is read through the other.
"""
from dataclasses import dataclass, field

ALL_VERBS = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]

CALICO_V1 = "crd.projectcalico.org"
CALICO_V3 = "projectcalico.org"
CALICO_GROUPS = (CALICO_V1, CALICO_V3)


@dataclass(frozen=True)
class ResourceType:
    group: str          # "" for core
    version: str
    kind: str
    plural: str
    singular: str
    namespaced: bool
    short_names: tuple = ()
    subresources: tuple = ()        # "status", "eviction"
    strategic_merge: bool = True    # False for CRDs: strategic merge patch is 415 there
    categories: tuple = ()
    printer_columns: tuple = field(default=())  # (name, type, jsonpath, description)

    @property
    def api_version(self):
        return "%s/%s" % (self.group, self.version) if self.group else self.version

    @property
    def group_version(self):
        return self.api_version

    @property
    def storage(self):
        """The storage key: Calico kinds share storage across both groups."""
        if self.group in CALICO_GROUPS:
            return "calico/" + self.kind
        return "%s/%s" % (self.group or "core", self.kind)

    @property
    def qualified(self):
        """``plural.group`` as Kubernetes writes it in messages (``nodes``, ``bgppeers.crd.projectcalico.org``)."""
        return "%s.%s" % (self.plural, self.group) if self.group else self.plural

    @property
    def is_calico(self):
        return self.group in CALICO_GROUPS


def _core(kind, plural, namespaced, short=(), sub=(), columns=(), categories=()):
    return ResourceType("", "v1", kind, plural, kind.lower(), namespaced, tuple(short), tuple(sub),
                        True, tuple(categories), tuple(columns))


CORE = [
    _core("Namespace", "namespaces", False, ("ns",), ("status",),
          (("Status", "string", ".status.phase", "The phase of the namespace"),)),
    _core("Node", "nodes", False, ("no",), ("status",)),
    _core("Pod", "pods", True, ("po",), ("status", "eviction"),
          (("Status", "string", ".status.phase", "The phase of the pod"),
           ("Node", "string", ".spec.nodeName", "The node the pod runs on")), ("all",)),
    _core("Secret", "secrets", True, (), (),
          (("Type", "string", ".type", "The type of the secret"),)),
    _core("ConfigMap", "configmaps", True, ("cm",)),
    _core("Event", "events", True, ("ev",)),
]

OTHER = [
    ResourceType("policy", "v1", "PodDisruptionBudget", "poddisruptionbudgets", "poddisruptionbudget",
                 True, ("pdb",)),
    ResourceType("coordination.k8s.io", "v1", "Lease", "leases", "lease", True),
]

# Printer columns of the v3 kinds (kubectl get), as the Calico CRDs declare them.
_V3_COLUMNS = {
    "BGPPeer": (("Node Selector", "string", ".spec.nodeSelector", ""), ("Peer IP", "string", ".spec.peerIP", ""),
                ("AS Number", "string", ".spec.asNumber", "")),
    "CalicoNodeStatus": (("Node", "string", ".spec.node", ""),),
    "IPPool": (("CIDR", "string", ".spec.cidr", ""),),
}


def _calico_types():
    """Names, scope, short names and status subresources come from the collection's Calico model."""
    from ansible_collections.kubefabric.bgp.plugins.module_utils.calico import resources  # noqa: E501 pylint: disable=import-outside-toplevel
    out = []
    for info in resources.KINDS.values():
        for api_version in resources.GROUPS:
            group, version = api_version.split("/")
            sub = ("status",) if info.has_status_subresource(api_version) else ()
            out.append(ResourceType(group, version, info.kind, info.plural, info.singular, info.namespaced,
                                    tuple(info.short_names(api_version)), sub, group == CALICO_V3, (),
                                    _V3_COLUMNS.get(info.kind, ()) if group == CALICO_V3 else ()))
    return out


CALICO = _calico_types()

ALL = CORE + OTHER + CALICO

# Extra entries of the core discovery list that are not resources of their own.
EVICTION = {"name": "pods/eviction", "singularName": "", "namespaced": True, "group": "policy",
            "version": "v1", "kind": "Eviction", "verbs": ["create"]}


def by_path(group, version, plural):
    for rtype in ALL:
        if rtype.group == group and rtype.version == version and rtype.plural == plural:
            return rtype
    return None


def by_kind(api_version, kind):
    group, _sep, version = api_version.rpartition("/")
    for rtype in ALL:
        if rtype.group == group and rtype.version == version and rtype.kind == kind:
            return rtype
    return None


def groups():
    """``{group: [versions]}`` in discovery order (core excluded)."""
    out = {}
    for rtype in ALL:
        if rtype.group:
            out.setdefault(rtype.group, [])
            if rtype.version not in out[rtype.group]:
                out[rtype.group].append(rtype.version)
    return out


def in_group_version(group, version):
    return [r for r in ALL if r.group == group and r.version == version]
