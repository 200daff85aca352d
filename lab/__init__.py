"""The emulated fabric: network namespaces, real BIRD/FRR/sshd, and emulators for the Kubernetes
API, RouterOS API and Comware CLI.  Not part of the collection: ``plugins/`` never imports ``lab``.
"""
from . import paths as _paths

_paths.ensure_collection_importable()
