"""Fixtures: an emulated RouterOS device in its own namespace, stopped and removed after the test."""
import socket

import pytest

from lab.routeros import start_routeros

VERSIONS = ("6.49", "7.10", "7.20")
PASSWORD = "lab-Pass-1"


@pytest.fixture
def routeros(netns_factory, tmp_path):
    """``routeros(version="7.10", frr=False, ...)`` -> a started device handle (see docs/lab-routeros.md)."""
    started = []

    def start(version="7.10", name="ros", frr=False, **kw):
        ns = netns_factory(name)
        kw.setdefault("password", PASSWORD)
        dev = start_routeros(ns, tmp_path / name, version=version, identity=name, frr=frr, **kw)
        started.append(dev)
        return dev

    yield start
    for dev in started:
        dev.stop()


class RawApi:
    """Sentence-level access through librouteros's own protocol classes (the real client's codec)."""

    def __init__(self, dev, login=True):
        from librouteros.connections import SocketTransport
        from librouteros.protocol import ApiProtocol
        sock = socket.create_connection((dev.address, dev.port), timeout=10)
        self.proto = ApiProtocol(transport=SocketTransport(sock=sock), encoding="utf-8")
        if login:
            assert self.call("/login", "=name=admin", "=password=%s" % dev.password) == [("!done", ())]

    def call(self, cmd, *words):
        """Send one sentence, read replies up to and including !done."""
        self.proto.writeSentence(cmd, *words)
        out = []
        while True:
            reply, rest = self.proto.readSentence()
            out.append((reply, rest))
            if reply == "!done":
                return out

    def close(self):
        self.proto.close()


@pytest.fixture
def raw_api():
    made = []

    def connect(dev, login=True):
        api = RawApi(dev, login=login)
        made.append(api)
        return api

    yield connect
    for api in made:
        try:
            api.close()
        except OSError:
            pass
