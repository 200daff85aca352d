"""``python -m lab comware``: the Comware V7 CLI emulator as an SSH server (asyncssh).

Run inside the device's namespace (``start_comware`` in ``lab/comware/__init__.py`` does that):
password authentication, a PTY with asyncssh's line editor (echo, backspace), Comware's banner and
prompts.  Sessions share one :class:`~lab.comware.cli.Device`; BGP configuration is applied to the
namespace's real FRR (``--frr-dir``).  An exec request (``ssh host 'display ...'``) runs one command.
"""
import argparse
import asyncio
import hmac
import logging
import re
import sys
from pathlib import Path

import asyncssh

from .cli import BANNER, CONTINUE_PROMPT, Device, Session
from .frrlink import FrrLink

log = logging.getLogger("lab.comware")


class _Server(asyncssh.SSHServer):
    def __init__(self, username, password):
        self._username = username
        self._password = password

    def begin_auth(self, username):
        return True

    def password_auth_supported(self):
        return True

    def validate_password(self, username, password):
        return (hmac.compare_digest(username.encode(), self._username.encode())
                and hmac.compare_digest(password.encode(), self._password.encode()))


def _write(process, lines, prompt):
    text = "".join(line + "\r\n" for line in lines)
    process.stdout.write(text + prompt)


class _LineReader:
    """Raw PTY input -> command lines, echoing like a device: characters typed while the CLI waits
    at a prompt are echoed at once; type-ahead (lines sent before the previous command finished,
    as netmiko does) is echoed when the line is taken up, so the transcript interleaves
    ``prompt + command``, output, next prompt, as on a real switch."""

    def __init__(self, process):
        self.process = process
        self.partial = ""
        self.echoed = 0  # how much of ``partial`` is already on the screen
        self.lines = []
        self.skip_lf = False

    async def next_line(self):
        while not self.lines:
            data = await self.process.stdin.read(4096)
            if not data:
                return None
            self._feed(data)
            if not self.lines and self.partial[self.echoed:]:
                self.process.stdout.write(self.partial[self.echoed:])
                self.echoed = len(self.partial)
        line, echoed = self.lines.pop(0)
        self.process.stdout.write(line[echoed:] + "\r\n")
        if not self.lines and self.partial:
            # the rest was typed ahead too; it is echoed when taken up (or live, below)
            pass
        return line

    def _feed(self, data):
        for ch in data:
            if self.skip_lf and ch == "\n":
                self.skip_lf = False
                continue
            self.skip_lf = False
            if ch in "\r\n":
                self.skip_lf = ch == "\r"
                self.lines.append((self.partial, self.echoed))
                self.partial, self.echoed = "", 0
            elif ch in "\x7f\b":
                if self.partial:
                    if self.echoed == len(self.partial) and not self.lines:
                        self.process.stdout.write("\b \b")
                        self.echoed -= 1
                    self.partial = self.partial[:-1]
                    self.echoed = min(self.echoed, len(self.partial))
            elif ch == "\x1a":  # Ctrl+Z: back to user view
                self.lines.append(("\x1a", 1))  # nothing to echo
                self.partial, self.echoed = "", 0
            elif ch == "\x03":  # Ctrl+C: drop the line being typed
                self.partial, self.echoed = "", 0
            elif ch >= " " or ch == "\t":
                self.partial += ch


async def _interactive(device, process, continue_prompt, transcript):
    session = Session(device)
    reader = _LineReader(process)
    process.stdout.write("\r\n" + BANNER + "\r\n")
    if continue_prompt:
        process.stdout.write(CONTINUE_PROMPT)
        answer = await reader.next_line()
        if answer is None or answer.strip().lower() in ("n", "no"):
            process.exit(0)
            return
    process.stdout.write(session.prompt())
    while True:
        line = await reader.next_line()
        if line is None:  # EOF
            break
        if transcript:
            with open(transcript, "a") as fh:
                fh.write("%s %r\n" % (session.prompt(), line))
        if line == "\x1a":
            line = "return" if session.view != "user" and session.pending is None else ""
        out, prompt = await asyncio.to_thread(session.feed, line)
        if session.closed:
            _write(process, out, "")
            break
        _write(process, out, prompt)
    process.exit(0)


async def _exec(device, process):
    session = Session(device)
    out = (await asyncio.to_thread(session.feed, process.command))[0]
    process.stdout.write("".join(line + "\r\n" for line in out))
    process.exit(0)


def _reset_frr(link):
    out = link._vtysh(["show running-config bgpd"])[1]  # pylint: disable=protected-access
    for asn in re.findall(r"^router bgp (\d+)\s*$", out, re.M):
        link.apply(["no router bgp %s" % asn])


async def serve(args):
    password = Path(args.password_file).read_text().rstrip("\n")
    frr = None
    if args.frr_dir:
        frr = FrrLink(args.frr_dir, errlog=str(Path(args.state_dir) / "frr-errors.log"))
        _reset_frr(frr)  # a (re)started device begins from its saved configuration
    device = Device(args.sysname, args.state_dir, frr=frr)
    transcript = str(Path(args.state_dir) / "transcript.log")

    async def handle(process):
        try:
            if process.command:
                await _exec(device, process)
            else:
                await _interactive(device, process, args.continue_prompt, transcript)
        except (asyncssh.Error, ConnectionError, BrokenPipeError) as exc:
            log.info("session ended: %s", exc)
        except Exception:  # keep serving other sessions, but leave a trace
            log.exception("session failed")
            try:
                process.exit(1)
            except Exception:  # pylint: disable=broad-except
                pass

    key = asyncssh.read_private_key(args.host_key)
    server = await asyncssh.create_server(
        lambda: _Server(args.username, password), args.listen, args.port,
        server_host_keys=[key], process_factory=handle, line_editor=False,
        encoding="utf-8", keepalive_interval=0)
    if args.ready_file:
        Path(args.ready_file).write_text("ready\n")
    log.info("Comware emulator %s listening on %s:%d", args.sysname, args.listen, args.port)
    async with server:
        await server.wait_closed()


def main(argv):
    parser = argparse.ArgumentParser(prog="python -m lab comware", description=__doc__.splitlines()[0])
    parser.add_argument("--listen", required=True, help="address to listen on (the namespace's mgmt address)")
    parser.add_argument("--port", type=int, default=22)
    parser.add_argument("--sysname", default="H3C")
    parser.add_argument("--username", required=True)
    parser.add_argument("--password-file", required=True, help="file holding the login password")
    parser.add_argument("--host-key", required=True, help="OpenSSH private host key file")
    parser.add_argument("--state-dir", required=True, help="saved configuration, write counter, logs")
    parser.add_argument("--frr-dir", help="the namespace's FRR directory (vty sockets); omit for CLI only")
    parser.add_argument("--continue-prompt", action="store_true",
                        help="ask 'Press Y or ENTER to continue, N to exit.' after the banner")
    parser.add_argument("--ready-file", help="written once the server listens")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    try:
        asyncio.run(serve(args))
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
