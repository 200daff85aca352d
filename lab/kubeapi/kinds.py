"""The API surface the emulator serves: one ``ResourceType`` per (group, version, plural).

Calico kinds are served through two groups over one storage ("same storage"): the plain CRDs
``crd.projectcalico.org/v1`` and ``projectcalico.org/v3`` as the Calico API server serves it.
Their storage key is the kind alone, so an object written through one group is read through the other.
"""
import dataclasses
from dataclasses import dataclass, field

ALL_VERBS = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]

CALICO_V1 = "crd.projectcalico.org"
CALICO_V3 = "projectcalico.org"
CALICO_GROUPS = (CALICO_V1, CALICO_V3)
CALICO_API_VERSIONS = (CALICO_V1 + "/v1", CALICO_V3 + "/v3")


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
    _core("ServiceAccount", "serviceaccounts", True, ("sa",)),
]

OTHER = [
    ResourceType("policy", "v1", "PodDisruptionBudget", "poddisruptionbudgets", "poddisruptionbudget",
                 True, ("pdb",)),
    ResourceType("coordination.k8s.io", "v1", "Lease", "leases", "lease", True),
    ResourceType("rbac.authorization.k8s.io", "v1", "ClusterRole", "clusterroles", "clusterrole", False),
    ResourceType("rbac.authorization.k8s.io", "v1", "ClusterRoleBinding", "clusterrolebindings",
                 "clusterrolebinding", False),
    ResourceType("rbac.authorization.k8s.io", "v1", "Role", "roles", "role", True),
    ResourceType("rbac.authorization.k8s.io", "v1", "RoleBinding", "rolebindings", "rolebinding", True),
    # create only, never stored: answered by the authoriser (server.py)
    ResourceType("authorization.k8s.io", "v1", "SelfSubjectAccessReview", "selfsubjectaccessreviews",
                 "selfsubjectaccessreview", False),
]

# The Calico kinds as served when no CRD manifest says otherwise (the lab's own table, from
# Calico's documentation): kind, plural, status subresource, and the short names and printer
# columns the Calico API server (projectcalico.org/v3) announces.  With CRD manifests at hand
# (``crds.find_dir()``), names, short names, subresources and printer columns of every CRD-served
# version come from the manifests instead (``Registry``).
_CALICO_KINDS = (
    ("BGPConfiguration", "bgpconfigurations", False, ("bgpconfig", "bgpconfigs"), ()),
    ("BGPPeer", "bgppeers", False, (), (("Node Selector", "string", ".spec.nodeSelector", ""),
                                        ("Peer IP", "string", ".spec.peerIP", ""),
                                        ("AS Number", "string", ".spec.asNumber", ""))),
    ("CalicoNodeStatus", "caliconodestatuses", True, (), (("Node", "string", ".spec.node", ""),)),
    ("IPPool", "ippools", True, (), (("CIDR", "string", ".spec.cidr", ""),)),
    ("BGPFilter", "bgpfilters", False, (), ()),
)


def _calico_types():
    out = []
    for kind, plural, status_sub, short_v3, columns_v3 in _CALICO_KINDS:
        for api_version in CALICO_API_VERSIONS:
            group, version = api_version.split("/")
            v3 = group == CALICO_V3
            out.append(ResourceType(group, version, kind, plural, kind.lower(), False,
                                    short_v3 if v3 else (), ("status",) if status_sub else (), v3, (),
                                    columns_v3 if v3 else ()))
    return out


CALICO = _calico_types()

ALL = CORE + OTHER + CALICO

# Extra entries of the core discovery list that are not resources of their own.
EVICTION = {"name": "pods/eviction", "singularName": "", "namespaced": True, "group": "policy",
            "version": "v1", "kind": "Eviction", "verbs": ["create"]}


class Registry:
    """The resource types one server serves.

    ``calico_groups``: the Calico API versions served (both by default; ``("crd.projectcalico.org/v1",)``
    is a cluster without the Calico API server).  ``calico_api_server``: whether
    ``projectcalico.org/v3`` is the Calico API server (True: its validation and defaults, strategic
    merge patch) or Calico's native v3 CRDs (False: CRD validation only, no strategic merge patch).
    """

    def __init__(self, calico_groups=CALICO_API_VERSIONS, calico_api_server=True, crds=None):
        self.calico_api_server = calico_api_server
        self.crds = dict(crds or {})
        self.types = []
        for rtype in ALL:
            if rtype.is_calico:
                if rtype.api_version not in calico_groups:
                    continue
                if rtype.group == CALICO_V3 and not calico_api_server:
                    rtype = dataclasses.replace(rtype, strategic_merge=False)
                crd = self.crd(rtype)
                if crd is not None and not (rtype.group == CALICO_V3 and calico_api_server):
                    rtype = dataclasses.replace(rtype, plural=crd.plural, singular=crd.singular,
                                                namespaced=crd.namespaced, short_names=crd.short_names,
                                                subresources=crd.subresources, categories=crd.categories,
                                                printer_columns=crd.printer_columns)
            self.types.append(rtype)

    def crd(self, rtype):
        """The CRD version whose schema decides ``rtype``'s objects, or None (no schema checks).

        ``projectcalico.org/v3`` served by the Calico API server validates with the v3 CRDs too
        (libcalico-go's Validate() with CRD validation on), see docs/lab-kubeapi.md.
        """
        return self.crds.get((rtype.group, rtype.version, rtype.kind))

    def by_path(self, group, version, plural):
        for rtype in self.types:
            if rtype.group == group and rtype.version == version and rtype.plural == plural:
                return rtype
        return None

    def by_kind(self, api_version, kind):
        group, _sep, version = api_version.rpartition("/")
        for rtype in self.types:
            if rtype.group == group and rtype.version == version and rtype.kind == kind:
                return rtype
        return None

    def groups(self):
        """``{group: [versions]}`` in discovery order (core excluded)."""
        out = {}
        for rtype in self.types:
            if rtype.group:
                out.setdefault(rtype.group, [])
                if rtype.version not in out[rtype.group]:
                    out[rtype.group].append(rtype.version)
        return out

    def in_group_version(self, group, version):
        return [r for r in self.types if r.group == group and r.version == version]


DEFAULT = Registry()
by_path = DEFAULT.by_path
by_kind = DEFAULT.by_kind
groups = DEFAULT.groups
in_group_version = DEFAULT.in_group_version
