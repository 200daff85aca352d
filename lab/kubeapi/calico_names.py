"""Names, short names and status subresources of the Calico kinds, per API version (as the
Calico CRDs declare them): what discovery and ``kubectl get`` need, kept by the lab itself."""
V1 = "crd.projectcalico.org/v1"
V3 = "projectcalico.org/v3"

# kind: (plural, singular, short names per API version, API versions with a status subresource)
KINDS = {
    "BGPConfiguration": ("bgpconfigurations", "bgpconfiguration", {V3: ("bgpconfig", "bgpconfigs")}, ()),
    "BGPPeer": ("bgppeers", "bgppeer", {}, ()),
    "CalicoNodeStatus": ("caliconodestatuses", "caliconodestatus", {}, (V1, V3)),
    "IPPool": ("ippools", "ippool", {}, (V1, V3)),
    "BGPFilter": ("bgpfilters", "bgpfilter", {}, ()),
}
API_VERSIONS = (V1, V3)


def short_names(kind, api_version):
    return tuple(KINDS[kind][2].get(api_version, ()))


def has_status_subresource(kind, api_version):
    return api_version in KINDS[kind][3]
