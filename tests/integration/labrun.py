"""A lab fabric for one test or one module: up from an inventory text, always down at the end."""
import contextlib
import os

import pytest


@contextlib.contextmanager
def lab_from_text(directory, text):
    """``(lab.fabric, inventory path, Lab)`` of a fabric built from ``text`` in ``directory``."""
    if os.geteuid() != 0:
        pytest.skip("the lab needs root (network namespaces)")
    from lab import fabric  # pylint: disable=import-outside-toplevel
    directory.mkdir(parents=True, exist_ok=True)
    inventory = directory / "inventory.yml"
    inventory.write_text(text)
    handle = fabric.Lab(inventory)
    if handle.load():
        fabric.down(inventory, log=lambda *a: None)
    try:
        fabric.up(inventory, log=lambda *a: None)
        yield fabric, inventory, handle
    finally:
        fabric.down(inventory, log=lambda *a: None)
