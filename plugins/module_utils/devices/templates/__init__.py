# -*- coding: utf-8 -*-
# Copyright: kubefabric.bgp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""TextFSM templates of the CLI drivers, and the one function that runs them.

The templates live in Python modules (``TEMPLATE = r'''...'''``) rather than ``.textfsm`` files so
that Ansible packs them with the module (AnsiballZ ships Python module_utils only).  Where
ntc-templates has a template for a command (``display bgp peer ipv4``) the drivers use it first.
"""

from __future__ import annotations

import io
import os

from ...common.errors import FabricError

try:
    import textfsm
    HAS_TEXTFSM = True
    TEXTFSM_IMPORT_ERROR = None
except ImportError as _exc:  # pragma: no cover
    textfsm = None
    HAS_TEXTFSM = False
    TEXTFSM_IMPORT_ERROR = _exc


def _require_textfsm():
    if not HAS_TEXTFSM:
        raise FabricError("the Python library textfsm is not installed: %s" % TEXTFSM_IMPORT_ERROR,
                          field="textfsm", fix="pip install textfsm ntc-templates")


def run_template(template_text, output, host=None, what="device output"):
    """Parse ``output`` with a TextFSM template -> list of dicts keyed by lower-case value names."""
    _require_textfsm()
    fsm = textfsm.TextFSM(io.StringIO(template_text))
    try:
        rows = fsm.ParseText(output)
    except textfsm.TextFSMError as exc:
        raise FabricError("cannot parse %s: %s" % (what, exc), host=host, field="running_config",
                          fix="check that the text is the unmodified output of the command") from None
    names = [name.lower() for name in fsm.header]
    return [dict(zip(names, row)) for row in rows]


def ntc_template(platform, command):
    """The text of ntc-templates' template for ``platform``/``command``, or None when absent."""
    try:
        import ntc_templates  # pylint: disable=import-outside-toplevel
    except ImportError:
        return None
    name = "%s_%s.textfsm" % (platform, command.replace(" ", "_"))
    path = os.path.join(os.path.dirname(ntc_templates.__file__), "templates", name)
    if not os.path.isfile(path):
        return None
    with open(path, encoding="utf-8") as handle:
        return handle.read()
