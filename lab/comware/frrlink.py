"""The emulator's link to its real FRR: apply model changes as vtysh commands, read sessions back.

The server process runs inside the device's namespace, so ``vtysh --vty_socket DIR`` reaches that
namespace's FRR (lab/frr.py starts it with all its state in DIR).
"""
import json
import logging
import os
import subprocess

log = logging.getLogger("lab.comware.frr")


def plan_changes(old_asn, old_items, new_asn, new_items):
    """vtysh lines (inside ``configure terminal``) that turn FRR from the old model to the new one."""
    if old_asn is None and new_asn is None:
        return []
    if old_asn != new_asn:
        cmds = []
        if old_asn is not None:
            cmds.append("no router bgp %d" % old_asn)
        if new_asn is not None:
            cmds += _in_router(new_asn, [(item[1], item[2]) for item in new_items])
        return cmds
    old = {item[0]: (item[1], item[2]) for item in old_items}
    new = {item[0]: (item[1], item[2]) for item in new_items}

    def names_with_identity(items):
        found = set()
        for key in items:
            if key[0] == "nbr" and key[2] in ("exists", "remote-as", "peer-group"):
                found.add(key[1])
        return found

    deleted = names_with_identity(old) - names_with_identity(new)
    groups_deleted = {k[1] for k in old if k[0] == "nbr" and k[2] == "exists" and k[1] in deleted}
    steps = []  # (line, af)
    removed = [k for k in old if k not in new]
    changed = [k for k in old if k in new and old[k] != new[k]]

    def owner(key):
        return key[1] if key[0] in ("nbr", "af") else None

    # 1-2: attributes and address-family settings of neighbours that stay
    for key in removed:
        if key[0] == "af" and owner(key) not in deleted:
            steps.append(("no " + old[key][0], True))
    for key in removed:
        if key[0] == "nbr" and key[2] not in ("exists", "remote-as", "peer-group") and owner(key) not in deleted:
            steps.append(("no " + old[key][0], False))
        elif key[0] in ("router-id",):
            steps.append(("no " + old[key][0], False))
    # 3: listen ranges
    for key in removed + changed:
        if key[0] == "listen":
            steps.append(("no " + old[key][0], False))
    # 4: group membership that goes away or changes
    for key in removed + changed:
        if key[0] == "nbr" and key[2] == "peer-group" and owner(key) not in deleted:
            steps.append(("no " + old[key][0], False))
    # 5-6: whole neighbours, then whole groups
    for name in sorted(deleted - groups_deleted):
        steps.append(("no neighbor %s" % name, False))
    for name in sorted(groups_deleted):
        steps.append(("no neighbor %s peer-group" % name, False))
    # 7: additions and changed values, in the model's order
    for key, line, af in new_items:
        if key not in old or old[key] != (line, af):
            steps.append((line, af))
    if not steps:
        return []
    return _in_router(new_asn, steps)


def _in_router(asn, steps):
    cmds = ["router bgp %d" % asn]
    in_af = False
    for line, af in steps:
        if af and not in_af:
            cmds.append("address-family ipv4 unicast")
            in_af = True
        elif not af and in_af:
            cmds.append("exit-address-family")
            in_af = False
        cmds.append(line)
    if in_af:
        cmds.append("exit-address-family")
    return cmds


class FrrLink:
    def __init__(self, frr_dir, errlog=None):
        self.dir = str(frr_dir)
        self.errlog = errlog

    def _vtysh(self, commands, timeout=30):
        args = ["vtysh", "--vty_socket", self.dir, "--config_dir", self.dir]
        for cmd in commands:
            args += ["-c", cmd]
        env = dict(os.environ, HOME=self.dir, VTYSH_PAGER="cat")
        proc = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                              env=env, timeout=timeout, check=False)
        return proc.returncode, proc.stdout

    def _note(self, text):
        log.warning("%s", text)
        if self.errlog:
            with open(self.errlog, "a") as fh:
                fh.write(text.rstrip() + "\n")

    def apply(self, cmds):
        """Run configuration lines; vtysh stops at the first error, so on error go line by line."""
        if not cmds:
            return True
        rc, out = self._vtysh(["configure terminal"] + cmds + ["end"])
        if rc == 0:
            return True
        self._note("batch failed (%d): %s -> %s" % (rc, cmds, out.strip()))
        ok = True
        context = []
        for cmd in cmds:
            if cmd.startswith("router bgp"):
                context = [cmd]
                continue
            if cmd == "address-family ipv4 unicast":
                context = context[:1] + [cmd]
                continue
            if cmd == "exit-address-family":
                context = context[:1]
                continue
            rc, out = self._vtysh(["configure terminal"] + context + [cmd, "end"])
            if rc != 0:
                ok = False
                self._note("line failed (%d): %s %s -> %s" % (rc, context, cmd, out.strip()))
        return ok

    def show_json(self, command):
        rc, out = self._vtysh([command])
        start = out.find("{")
        if start < 0:
            return {}
        try:
            return json.loads(out[start:])
        except ValueError:
            return {}
