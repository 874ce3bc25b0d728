"""Renderers: pure functions from Results to text. Each module with ``FORMAT`` plugs in.

A renderer module defines ``FORMAT = "name"`` and ``render(results: Results) -> str``
(and may define ``DESCRIPTION``). Nothing here does I/O.
"""
from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from typing import Protocol

from oci_conform.model.results import Results


class Renderer(Protocol):
    FORMAT: str

    def render(self, results: Results) -> str: ...


def renderers() -> dict[str, Callable[[Results], str]]:
    """Format name -> render function, for every renderer module in this package."""
    found: dict[str, Callable[[Results], str]] = {}
    for info in pkgutil.iter_modules(__path__):
        module = importlib.import_module(f"{__name__}.{info.name}")
        fmt = getattr(module, "FORMAT", None)
        if fmt and callable(getattr(module, "render", None)):
            found[fmt] = module.render
    return dict(sorted(found.items()))


def render(results: Results, fmt: str) -> str:
    return renderers()[fmt](results)
