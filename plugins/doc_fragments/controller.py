# -*- coding: utf-8 -*-
# Copyright: kubefabric.bgp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Attributes shared by the fabric modules that run on the controller through their action plugin and talk
to the Kubernetes API (fabric_lock, fabric_preflight; their connection options come from k8s_auth)."""

from __future__ import annotations


class ModuleDocFragment:

    DOCUMENTATION = r"""
attributes:
  diff_mode:
    support: none
    description: No diff.
  platform:
    platforms: controller
    support: full
    description: Runs on the controller.
"""
