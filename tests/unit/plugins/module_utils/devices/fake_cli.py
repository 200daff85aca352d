"""A stand-in for a netmiko connection to a CLI device (Comware, FRR/vtysh), for unit tests.

It answers show/display commands from canned texts (a list per command: each call takes the next,
the last one repeats), records every configuration line, answers a line matching ``reject`` with
the platform's error text, and when ``read_only`` is set (check-mode tests) fails the test on any
write: entering config mode, a configuration line, or a save.  ``log`` (``(regex, text)``) prints an
asynchronous log message after a matching line, before the prompt, as a monitoring terminal does.
"""
import re


class WriteInCheckMode(AssertionError):
    pass


class FakeCli:
    def __init__(self, base_prompt, config_prompt, shows, reject=None, error_text="% Unrecognized command",
                 read_only=False, confirm=None, log=None):
        self.base_prompt = base_prompt
        self.config_prompt = config_prompt
        self.shows = {cmd: list(texts) for cmd, texts in shows.items()}
        self.reject = reject
        self.error_text = error_text
        self.read_only = read_only
        self.confirm = confirm
        self.log = log
        self.sent = []
        self.events = []
        self.saves = 0
        self.disconnected = False

    def _write(self, what):
        if self.read_only:
            raise WriteInCheckMode("write in check mode: %s" % what)

    def send_command(self, command, expect_string=None, **_kw):
        if command in self.shows:
            texts = self.shows[command]
            self.events.append(("show", command))
            return texts.pop(0) if len(texts) > 1 else texts[0]
        self._write(command)
        self.sent.append(command)
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
