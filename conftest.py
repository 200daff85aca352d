"""pytest: make the collection importable as ``ansible_collections.kubefabric.bgp`` from a checkout."""
import lab  # noqa: F401  (lab/__init__ links .build/ansible_collections/kubefabric/bgp and fixes sys.path)
