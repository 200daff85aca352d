"""``python -m lab COMMAND ...``: one entry point for every part of the lab."""
import importlib
import sys

# command -> (module, function, one-line help).  Each part of the lab owns its module.
COMMANDS = {
    "kubeapi": ("lab.kubeapi.server", "main", "run the Kubernetes API server emulator"),
    "routeros": ("lab.routeros.server", "main", "run the RouterOS API emulator in a namespace"),
    "comware": ("lab.comware.server", "main", "run the Comware CLI (SSH) emulator in a namespace"),
    "up": ("lab.fabric", "main_up", "build the fabric of an inventory"),
    "down": ("lab.fabric", "main_down", "remove a fabric (namespaces, bridges, processes)"),
    "status": ("lab.fabric", "main_status", "print every endpoint's session table"),
    "state": ("lab.fabric", "main_state", "print a lab's state (namespaces, pods, paths) as JSON"),
    "device-stop": ("lab.fabric", "main_device_stop", "stop a device of a lab (its sessions drop)"),
    "device-start": ("lab.fabric", "main_device_start", "start a stopped device with its saved state"),
    "demo": ("lab.demo", "main", "what `make demo` runs"),
}


def usage():
    lines = ["usage: python -m lab COMMAND [ARGS]", "", "commands:"]
    for name, entry in COMMANDS.items():
        text = entry[2]
        lines.append("  %-9s %s" % (name, text))
    return "\n".join(lines)


def main(argv):
    if not argv or argv[0] in ("-h", "--help"):
        print(usage())
        return 0
    if argv[0] not in COMMANDS:
        print("unknown command %r\n\n%s" % (argv[0], usage()), file=sys.stderr)
        return 2
    module_name, func = COMMANDS[argv[0]][:2]
    module = importlib.import_module(module_name)
    return getattr(module, func)(argv[1:]) or 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
