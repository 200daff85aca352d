"""A stand-in for a netmiko connection to a CLI device (Comware, FRR/vtysh), for unit tests.

It answers show/display commands from canned texts (a list per command: each call takes the next,
the last one repeats), records every configuration line, answers a line matching ``reject`` with
the platform's error text, and when ``read_only`` is set (check-mode tests) fails the test on any
write: entering config mode, a configuration line, or a save.  ``drop`` (a regex): the device takes
a matching line, then the session is lost (every later call raises, as netmiko does on a dead socket).  ``readback`` (``frr_readback`` or
``comware_readback``) makes a show of the configuration after a push include the lines added, so that
the driver's read-back after a write sees them (removals are not modelled).  ``log`` (``(regex, text)``) prints an
asynchronous log message after a matching line, before the prompt, as a monitoring terminal does.
"""
import re


class WriteInCheckMode(AssertionError):
    pass


class FakeCli:
    def __init__(self, base_prompt, config_prompt, shows, reject=None, error_text="% Unrecognized command",
                 read_only=False, confirm=None, log=None, readback=None, drop=None):
        self.base_prompt = base_prompt
        self.config_prompt = config_prompt
        self.shows = {cmd: list(texts) for cmd, texts in shows.items()}
        self.reject = reject
        self.error_text = error_text
        self.read_only = read_only
        self.confirm = confirm
        self.log = log
        self.readback = readback
        self.drop = drop
        self.dropped = False
        self.sent = []
        self.events = []
        self.saves = 0
        self.disconnected = False

    def _write(self, what):
        if self.read_only:
            raise WriteInCheckMode("write in check mode: %s" % what)

    def send_command(self, command, expect_string=None, **_kw):
        if self.dropped:
            raise OSError("Socket is closed")
        if command in self.shows:
            texts = self.shows[command]
            self.events.append(("show", command))
            if len(texts) > 1:
                return texts.pop(0)
            if self.readback and self.sent:
                return self.readback(texts[0], self.sent)
            return texts[0]
        self._write(command)
        self.sent.append(command)
        if self.drop and re.search(self.drop, command):
            self.dropped = True   # the line is taken, then the session is lost before the prompt
            raise OSError("Socket is closed")
        self.events.append(("line", command))
        logged = ""
        if self.log and re.search(self.log[0], command):
            logged = self.log[1] + "\n"
        if self.reject and re.search(self.reject, command):
            return "%s\n%s %s\n%s" % (command, logged, self.error_text, self.config_prompt)
        if self.confirm and re.search(self.confirm[0], command):
            return "%s\n%s" % (command, self.confirm[1])
        return "%s\n%s%s" % (command, logged, self.config_prompt)

    def config_mode(self):
        self._write("config mode")
        self.events.append(("config_mode", None))
        return ""

    def exit_config_mode(self):
        self.events.append(("exit_config_mode", None))
        return ""

    def save_config(self):
        self._write("save")
        self.saves += 1
        self.events.append(("save", None))
        return "Saved the current configuration to mainboard device successfully."

    def disconnect(self):
        self.disconnected = True


def _added(sent, head, tail):
    """The configuration lines of a push as they appear in the device's configuration."""
    lines = [line for line in sent if line.strip() not in ("Y",) and not line.strip().startswith(("no ", "undo "))]
    return [line for line in lines if not re.match(head, line) and line not in tail]


def frr_readback(text, sent):
    """``show running-config bgpd`` after the lines of ``sent`` (added, inside ``router bgp``)."""
    body = _added(sent, r"^router bgp \d+$", ("exit",))
    match = re.search(r"^router bgp \d+\n(?:[ !].*\n)*?exit$", text, re.M)
    if match:
        block = match.group(0)[:-len("exit")]
        return text.replace(match.group(0), block + "".join(line + "\n" for line in body) + "exit")
    head = [line for line in sent if re.match(r"^router bgp \d+$", line)][:1]
    return text.replace("end", "\n".join(head + body + ["exit", "!", "end"]), 1)


def comware_readback(text, sent):
    """``display current-configuration configuration bgp`` after the lines of ``sent`` (added)."""
    body = [line for line in _added(sent, r"^bgp \d+$", ("quit",)) if line.strip() != "quit"]
    if re.search(r"^bgp \d+$", text, re.M):
        return re.sub(r"^#\nreturn", "\n".join(body) + "\n#\nreturn", text, flags=re.M)
    head = [line for line in sent if re.match(r"^bgp \d+$", line)][:1]
    return "#\n" + "\n".join(head + body) + "\n#\nreturn\n"


# The fake device of each CLI dialect: (base prompt, BGP-view prompt, read-back of the pushed lines).
DIALECTS = {"comware": ("H3C", "[H3C-bgp-default]", comware_readback),
            "frr": ("leaf1", "leaf1(config-router)#", frr_readback)}


def device(driver_module, texts, **kw):
    """A fake device of ``driver_module``'s dialect whose configuration shows ``texts`` in turn."""
    base, prompt, readback = DIALECTS[driver_module.PLATFORM]
    return FakeCli(base, prompt, {driver_module.SHOW_CONFIG: texts}, readback=readback, **kw)


def connected(driver_module, params, conn, **extra):
    """``driver_module``'s driver with ``params`` (and ``extra``), connected to the fake ``conn``."""
    return driver_module.DRIVER(dict(params, **extra), connect=lambda p, t: conn)
