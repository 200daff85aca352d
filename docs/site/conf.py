# -*- coding: utf-8 -*-
# Copyright: kubefabric.bgp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Sphinx configuration of the docs site (docs/site/build.py copies it into the build)."""

project = "kubefabric.bgp"
copyright = "kubefabric.bgp contributors"  # pylint: disable=redefined-builtin
title = "kubefabric.bgp"
html_short_title = "kubefabric.bgp"

extensions = ["sphinx_antsibull_ext", "myst_parser"]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
myst_heading_anchors = 4
myst_enable_extensions = ["colon_fence"]

pygments_style = "ansible"
highlight_language = "YAML+Jinja"
html_theme = "sphinx_ansible_theme"
html_show_sphinx = False
html_theme_options = {"display_version": False, "titles_only": False}
html_context = {"display_github": False}
exclude_patterns = ["_build"]
# ref.ref: labels of the Ansible docs (no intersphinx: the build reaches no network)
suppress_warnings = ["myst.header", "misc.highlighting_failure", "ref.ref"]
