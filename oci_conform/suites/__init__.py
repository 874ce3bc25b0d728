"""Behaviour and format suites. Each module here that defines ``SUITE`` plugs in."""
from __future__ import annotations

import importlib
import pkgutil

from oci_conform.suites.base import RunContext, Selection, Suite

__all__ = ["RunContext", "Selection", "Suite", "all_suites"]


def all_suites() -> list[Suite]:
    """Every suite in this package, in a stable order."""
    found: list[Suite] = []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name == "base":
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        suite = getattr(module, "SUITE", None)
        if suite is not None:
            found.append(suite)
    return found
