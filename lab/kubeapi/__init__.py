"""The Kubernetes API server emulator: ``KubeAPIServer`` (tests, lab) and ``python -m lab kubeapi``."""
from .server import KubeAPIServer, main  # noqa: F401
