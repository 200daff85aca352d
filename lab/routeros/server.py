"""``python -m lab routeros``: the RouterOS API (8728) and api-ssl (8729) of one emulated device.

Runs inside the device's network namespace (see :func:`lab.routeros.start_routeros`).  Login is the
post-6.43 plain method (``/login =name= =password=``) or the legacy challenge/response one; a wrong
password gets ``!trap =message=invalid user name or password (6)`` then ``!done``.  Every reply to
a sentence that carried ``.tag=`` echoes it; ``/quit`` answers ``!fatal`` and closes.
"""
import argparse
import asyncio
import datetime
import hashlib
import ipaddress
import json
import os
import signal
import ssl
import sys
import threading
import time
from pathlib import Path

from .device import Device, Fatal
from .model import ApiError
from .protocol import ProtocolError, encode_sentence, read_sentence

BAD_LOGIN = "invalid user name or password (6)"


class ApiServer:
    def __init__(self, device, username, password, log=None):
        self.device = device
        self.username = username
        self.password = password
        self.log = log or (lambda text: None)
        self.connections = 0
        self.lock = threading.Lock()

    async def handle(self, reader, writer):
        self.connections += 1
        peer = writer.get_extra_info("peername")
        logged_in = False
        challenge = None
        try:
            while True:
                try:
                    words = await read_sentence(reader)
                except (asyncio.IncompleteReadError, asyncio.CancelledError, ConnectionError, ProtocolError,
                        ssl.SSLError, OSError):
                    break
                tag = next((w[5:] for w in words if w.startswith(".tag=")), None)
                command = words[0]
                attrs = {}
                for word in words[1:]:
                    if word.startswith("="):
                        key, dummy, value = word[1:].partition("=")
                        attrs[key] = value
                if command == "/login":
                    if "password" in attrs:
                        ok = attrs.get("name") == self.username and attrs["password"] == self.password
                        replies = [["!done"]] if ok else [["!trap", "=message=" + BAD_LOGIN], ["!done"]]
                    elif "response" in attrs and challenge is not None:
                        want = "00" + hashlib.md5(b"\x00" + self.password.encode() + challenge).hexdigest()
                        ok = attrs.get("name") == self.username and attrs["response"] == want
                        replies = [["!done"]] if ok else [["!trap", "=message=" + BAD_LOGIN], ["!done"]]
                    else:
                        challenge = os.urandom(16)
                        ok = False
                        replies = [["!done", "=ret=" + challenge.hex()]]
                    logged_in = logged_in or ok
                    self.log("login %s from %s: %s" % (attrs.get("name"), peer, "ok" if ok else "no"))
                elif command == "/quit":
                    await self._send(writer, [["!fatal", "session terminated on request"]], tag)
                    break
                elif not logged_in:
                    replies = [["!trap", "=message=not logged in"], ["!done"]]
                else:
                    try:
                        # one command at a time, off the event loop (FRR calls may take a while)
                        replies = await asyncio.to_thread(self._execute, words)
                    except Fatal as exc:
                        await self._send(writer, [["!fatal", str(exc)]], tag)
                        break
                    self.log("%s -> %s" % (_safe(words), replies[-2][0] if len(replies) > 1 else replies[-1][0]))
                await self._send(writer, replies, tag)
        finally:
            try:
                writer.close()
                await writer.wait_closed()
            except (ConnectionError, ssl.SSLError, OSError, asyncio.CancelledError):
                pass

    def _execute(self, words):
        with self.lock:
            return self.device.execute(words)

    @staticmethod
    async def _send(writer, replies, tag):
        data = b""
        for sentence in replies:
            if tag is not None:
                sentence = sentence + [".tag=" + tag]
            data += encode_sentence(sentence)
        writer.write(data)
        await writer.drain()


def _safe(words):
    out = []
    for w in words:
        if w.startswith(("=tcp-md5-key=", "=password=")):
            w = w.split("=", 2)[0] + "=" + w.split("=", 2)[1] + "=********"
        out.append(w)
    return " ".join(out)


def generate_tls(directory, addresses, identity):
    """A CA (``ca.pem``) and an api-ssl certificate signed by it (SAN: listen address, identity)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    if all((directory / name).exists() for name in ("ca.pem", "api-ssl.pem", "api-ssl.key")):
        return directory / "api-ssl.pem", directory / "api-ssl.key"  # kept across restarts
    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kubefabric lab RouterOS CA %s" % identity)])
    ca_cert = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
               .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(now - datetime.timedelta(minutes=5))
               .not_valid_after(now + datetime.timedelta(days=30))
               .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
               .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                            content_commitment=False, key_encipherment=False,
                                            data_encipherment=False, key_agreement=False,
                                            encipher_only=False, decipher_only=False), critical=True)
               .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    sans = [x509.DNSName(identity)]
    for address in addresses:
        try:
            sans.append(x509.IPAddress(ipaddress.ip_address(address)))
        except ValueError:
            sans.append(x509.DNSName(address))
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, identity)]))
            .issuer_name(ca_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=30))
            .add_extension(x509.SubjectAlternativeName(sans), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .sign(ca_key, hashes.SHA256()))
    pem = serialization.Encoding.PEM
    (directory / "ca.pem").write_bytes(ca_cert.public_bytes(pem))
    (directory / "api-ssl.pem").write_bytes(cert.public_bytes(pem))
    key_path = directory / "api-ssl.key"
    key_path.write_bytes(key.private_bytes(pem, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    os.chmod(key_path, 0o600)
    return directory / "api-ssl.pem", key_path


def build_parser():
    p = argparse.ArgumentParser(prog="python -m lab routeros", description=__doc__.splitlines()[0])
    p.add_argument("--listen", action="append", help="address to listen on (repeatable; default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8728, help="plain API port (0: off)")
    p.add_argument("--tls-port", type=int, default=8729, help="api-ssl port (0: off)")
    p.add_argument("--version", default="7.10", help="RouterOS version to emulate: 6.49, 7.10, 7.20 (or X.Y.Z)")
    p.add_argument("--identity", default="MikroTik", help="/system/identity name")
    p.add_argument("--username", default="admin")
    p.add_argument("--password", default=None,
                   help="API password (default: $ROUTEROS_PASSWORD, else empty like a fresh RouterOS)")
    p.add_argument("--workdir", default=None, help="directory for state, certificates, logs (default: cwd)")
    p.add_argument("--tls-cert", help="api-ssl certificate (PEM); generated with a CA when omitted")
    p.add_argument("--tls-key", help="api-ssl private key (PEM)")
    p.add_argument("--state-file", help="configuration is kept here across restarts (default WORKDIR/state.json)")
    p.add_argument("--write-log", help="one JSON line per mutating request (default WORKDIR/writes.log)")
    p.add_argument("--frr-dir", help="FRR directory of this device (started here if not running)")
    p.add_argument("--netns", help="name of the namespace this runs in (needed with --frr-dir)")
    p.add_argument("--ready-file", help="written (JSON) once the ports listen")
    p.add_argument("--initial-config", help="JSON [[command, {attr: value}], ...] applied on the first boot "
                                            "(not counted as writes)")
    p.add_argument("--verbose", action="store_true", help="log every request to stderr")
    return p


def _make_frr(args, identity):
    if not args.frr_dir:
        return None
    from lab.frr import FrrInstance
    from lab.netns import Netns
    if not args.netns:
        raise SystemExit("--frr-dir needs --netns NAME (the namespace this device runs in)")
    frr = FrrInstance(Netns(args.netns), args.frr_dir, hostname=identity)
    probe = frr.vtysh("show bgp view-list", check=False) if (Path(args.frr_dir) / "bgpd.pid").exists() else ""
    if not probe or "failed to connect" in probe.lower() or "not running" in probe.lower():
        frr.start(timeout=90)  # generous: on a loaded machine zebra can take long to come up
        frr.owned = True
    else:
        frr.owned = False
        for line in frr.running_config().splitlines():
            if line.startswith("router bgp "):
                frr.configure(["no " + line.strip()])
    return frr


async def serve(args):
    from .backend import NetnsBackend
    workdir = Path(args.workdir or os.getcwd())
    workdir.mkdir(parents=True, exist_ok=True)
    listen = args.listen or ["127.0.0.1"]
    password = args.password if args.password is not None else os.environ.get("ROUTEROS_PASSWORD", "")
    frr = _make_frr(args, args.identity)
    backend = NetnsBackend(frr=frr) if (frr is not None or args.netns) else None
    if backend is not None:
        backend.protected = {cidr for cidr, dummy in backend.kernel_addresses()
                             if cidr.split("/")[0] in listen}
    device = Device(version=args.version, identity=args.identity, backend=backend,
                    state_file=args.state_file or str(workdir / "state.json"),
                    write_log=args.write_log or str(workdir / "writes.log"))
    if args.initial_config and device.first_boot:
        try:
            device.apply_initial(json.loads(Path(args.initial_config).read_text()))
        except ApiError as exc:
            raise SystemExit("routeros: %s" % exc.message) from None
    if backend is not None:
        backend.applied_addresses = set(backend.kernel_addresses())
        device.realise_all()

    def log(text):
        if args.verbose:
            print("%s %s" % (time.strftime("%H:%M:%S"), text), file=sys.stderr, flush=True)

    api = ApiServer(device, args.username, password, log=log)
    servers = []
    ctx = None
    if args.tls_port:
        if args.tls_cert:
            cert, key = args.tls_cert, args.tls_key or args.tls_cert
        else:
            cert, key = generate_tls(workdir / "tls", listen, args.identity)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(str(cert), str(key))
    for address in listen:
        if args.port:
            servers.append(await asyncio.start_server(api.handle, address, args.port))
        if args.tls_port:
            servers.append(await asyncio.start_server(api.handle, address, args.tls_port, ssl=ctx))
    if args.ready_file:
        tmp = args.ready_file + ".tmp"
        Path(tmp).write_text(json.dumps({"pid": os.getpid(), "listen": listen, "port": args.port,
                                         "tls_port": args.tls_port, "version": device.version_text,
                                         "ca": str(workdir / "tls" / "ca.pem") if not args.tls_cert else None}))
        os.replace(tmp, args.ready_file)
    print("routeros %s (%s) listening on %s ports %s/%s"
          % (args.identity, device.version_text, ",".join(listen), args.port, args.tls_port),
          file=sys.stderr, flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        for server in servers:
            server.close()
        if frr is not None and getattr(frr, "owned", False):
            frr.stop()


def main(argv):
    args = build_parser().parse_args(argv)
    asyncio.run(serve(args))
    return 0
