"""Renderers: pure functions from Results to text. Each module with ``FORMAT`` plugs in.

A renderer module defines ``FORMAT = "name"`` and ``render(results: Results) -> str``
(and may define ``DESCRIPTION``). A renderer that honours the run's options also accepts
some of the keywords ``verbosity``, ``fail_on`` and ``colour`` (it lists them in
``OPTIONS``). Nothing here does I/O.

The shipped formats are named in ``BUILT_IN`` so a command can check a format name, or
render one format, without importing every renderer (the HTML one pulls in Jinja2); any
other module of this package that defines ``FORMAT`` is found by ``renderers()``.
"""
from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from oci_conform.model.results import Results

# format name -> module of this package that renders it
BUILT_IN: dict[str, str] = {
    "text": "text", "json": "json_report", "html": "html", "junit": "junit", "tap": "tap",
    "tap13": "tap13", "sarif": "sarif", "github": "github", "markdown": "markdown",
}
_NOT_RENDERERS = ("_shared",)


class Renderer(Protocol):
    FORMAT: str

    def render(self, results: Results) -> str: ...


def _plugin_modules() -> list[str]:
    """Modules of this package that are neither built-in renderers nor helpers."""
    import pkgutil  # only when a format is not built in: 1.6 ms of every start
    known = set(BUILT_IN.values()) | set(_NOT_RENDERERS)
    return [info.name for info in pkgutil.iter_modules(__path__) if info.name not in known]


def _plugins() -> dict[str, Any]:
    found: dict[str, Any] = {}
    for name in _plugin_modules():
        module = importlib.import_module(f"{__name__}.{name}")
        fmt = getattr(module, "FORMAT", None)
        if fmt and callable(getattr(module, "render", None)):
            found[fmt] = module
    return found


def format_names() -> list[str]:
    """Every format a command can be asked for (plug-in modules imported, built-ins not)."""
    return sorted(set(BUILT_IN) | set(_plugins()))


def renderer_module(fmt: str) -> Any:
    """The module rendering ``fmt`` (KeyError when no renderer has that name)."""
    if fmt in BUILT_IN:
        return importlib.import_module(f"{__name__}.{BUILT_IN[fmt]}")
    return _plugins()[fmt]


def renderers() -> dict[str, Callable[[Results], str]]:
    """Format name -> render function, for every renderer (imports them all)."""
    found = {fmt: renderer_module(fmt).render for fmt in BUILT_IN}
    found.update({fmt: module.render for fmt, module in _plugins().items()})
    return dict(sorted(found.items()))


def render(results: Results, fmt: str, **options: Any) -> str:
    """``fmt`` of ``results``; each option is passed to renderers that list it in OPTIONS
    (verbosity: -1 quiet, 0 normal, 1 verbose; fail_on: the exit threshold; colour)."""
    module = renderer_module(fmt)
    accepted = getattr(module, "OPTIONS", ())
    return str(module.render(results, **{k: v for k, v in options.items() if k in accepted}))
