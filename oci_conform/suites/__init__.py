"""Behaviour and format suites. Each module here that defines ``SUITE`` plugs in."""
from __future__ import annotations

import importlib
import pkgutil

from oci_conform.suites.base import RunContext, Selection, Suite

__all__ = ["RunContext", "Selection", "Suite", "all_suites"]


# Matrix column order: behaviour suites first (each puts its reference implementation
# first), then image formats and tools, then document generators; other suites after.
ORDER = ("runtime", "registry", "registry-clients", "image-formats", "image-tools",
         "config-generators", "features-documents")


def all_suites() -> list[Suite]:
    """Every suite in this package, in matrix column order."""
    found: list[Suite] = []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name == "base":
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        suite = getattr(module, "SUITE", None)
        if suite is not None:
            found.append(suite)
    return sorted(found, key=lambda s: (ORDER.index(s.name) if s.name in ORDER else len(ORDER),
                                        s.name))
