"""Fixtures for the Comware emulator tests: a started emulated switch in its own namespace."""
import pytest

from lab.comware import start_comware

PASSWORD = "Lab-Pass-1"


@pytest.fixture
def comware(netns_factory, tmp_path):
    ns = netns_factory("cw")
    sw = start_comware(ns, tmp_path / "leaf1", sysname="leaf1", username="admin", password=PASSWORD)
    yield sw
    sw.stop()
