"""pytest: make the collection importable as ``ansible_collections.kubefabric.bgp`` from a checkout."""
from lab import paths

paths.ensure_collection_importable()
