"""Who judges each clause: the declarations of an explicit list of providers.

Each provider module exposes ``declarations() -> list[Declaration]`` (built from its own
explicit tables). This module only collects them; the judged count of ``clauses --coverage``
and the answers of ``clauses --where`` come from here, never from reflection.

A provider that does not expose ``declarations()`` yet still counts through its older
clause-id source, but as one entry whose ``where`` is ``(undeclared)``: the gap stays
visible (the contract test in tests/catalog fails on it once every area has landed).

Providers are named as strings and imported on demand: the catalog sits below checks and
suites, so it never imports them at module level.
"""
from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import ModuleType

from oci_conform.model.declaration import Declaration

UNDECLARED = "(undeclared)"


@dataclass(frozen=True)
class Provider:
    """A module that declares what it judges; ``fallback`` names its older id source."""

    module: str
    suite: str
    fallback: str                   # "module:function" returning clause ids, or "SUITE"


PROVIDERS: tuple[Provider, ...] = (
    Provider("oci_conform.checks.image", "image",
             "oci_conform.checks.image.validate:all_judged_ids"),
    Provider("oci_conform.checks.runtime_config", "config",
             "oci_conform.checks.runtime_config.engine:judged_clause_ids"),
    Provider("oci_conform.suites.runtime", "runtime", "SUITE"),
    Provider("oci_conform.suites.registry", "registry", "SUITE"),
    Provider("oci_conform.suites.image_formats", "image-formats", "SUITE"),
    Provider("oci_conform.suites.image_tools", "image-tools", "SUITE"),
    Provider("oci_conform.suites.config_generators", "config-generators", "SUITE"),
    Provider("oci_conform.suites.features_documents", "features-documents", "SUITE"),
    Provider("oci_conform.suites.registry_clients", "registry-clients", "SUITE"),
)

# How to run the judges of one clause, per suite, when a declaration gives no command.
SELECT_BY_SUITE = {
    "runtime": "oci-conform runtime test --clause {id}",
    "registry": "oci-conform registry test URL --clause {id}",
    "image": "oci-conform image validate REF",
    "config": "oci-conform config validate PATH",
}
# The doc that describes each suite, when no heading mentions the clause or its case.
DOC_BY_SUITE = {
    "runtime": "runtime.md", "registry": "registry.md", "image": "image.md",
    "image-formats": "image.md", "image-tools": "image.md", "config": "config.md",
    "config-generators": "config.md", "features-documents": "config.md",
    "registry-clients": "engines.md",
}
DOCS_DIR = Path(__file__).resolve().parents[2] / "docs"
# Docs about the tool as a whole: they name clause ids only as examples, so never answer.
GENERAL_DOCS = frozenset({"architecture.md", "catalog-counting.md", "reports.md", "accuracy.md",
                          "robustness.md", "performance.md", "ci.md"})


def _fallback_ids(provider: Provider, module: ModuleType) -> frozenset[str]:
    if provider.fallback == "SUITE":
        return frozenset(module.SUITE.clause_ids())
    mod_name, _, func = provider.fallback.partition(":")
    source: Callable[[], Iterable[str]] = getattr(importlib.import_module(mod_name), func)
    return frozenset(source())


def provider_declarations(provider: Provider) -> list[Declaration]:
    """The provider's declarations, or one ``(undeclared)`` entry from its older source."""
    module = importlib.import_module(provider.module)
    declare = getattr(module, "declarations", None)
    if callable(declare):
        return list(declare())
    try:
        ids = _fallback_ids(provider, module)
    except (ImportError, AttributeError):
        ids = frozenset()
    return [Declaration(name=f"{provider.module} (no declarations() yet)", where=UNDECLARED,
                        clauses=tuple(sorted(ids)), suite=provider.suite)]


def undeclared_providers() -> list[str]:
    """Modules of the providers that expose no ``declarations()`` yet."""
    return [p.module for p in PROVIDERS
            if not callable(getattr(importlib.import_module(p.module), "declarations", None))]


@cache
def all_declarations() -> tuple[Declaration, ...]:
    """Every declaration of every provider, in provider order."""
    return tuple(d for p in PROVIDERS for d in provider_declarations(p))


def judged_ids(declarations: Iterable[Declaration] | None = None) -> frozenset[str]:
    """Clause ids some declaration can give a non-skip outcome."""
    decls = all_declarations() if declarations is None else declarations
    return frozenset(cid for d in decls if d.can_judge for cid in d.clauses)


def matches(clause_id: str, wanted: str) -> bool:
    """``wanted`` is the id itself or an id prefix (``rt.runtime.delete`` or ``rt.runtime.``)."""
    stem = wanted.rstrip("*").rstrip(".")
    return clause_id == wanted or clause_id.startswith(stem + ".")


@dataclass(frozen=True)
class Judge:
    """One declaration that judges one clause, with where to read about it and run it."""

    clause: str
    declaration: Declaration
    doc: str                        # "docs/runtime.md#delete" or "docs/runtime.md"
    select: str


def select_command(decl: Declaration, clause: str) -> str:
    if decl.select:
        return decl.select
    template = SELECT_BY_SUITE.get(decl.suite, "oci-conform matrix --suite {suite} --clause {id}")
    return template.format(id=clause, suite=decl.suite)


def judges_of(clause: str, declarations: Iterable[Declaration] | None = None) -> list[Judge]:
    """Every declaration that names ``clause``, with its docs section and selection."""
    decls = all_declarations() if declarations is None else declarations
    return [Judge(clause, d, doc_section(clause, d), select_command(d, clause))
            for d in decls if clause in d.clauses]


# ---- docs: the heading that mentions a clause or case -------------------------------------

_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")


def _slug(heading: str) -> str:
    """GitHub's anchor of a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def _doc_sections(path: Path) -> tuple[tuple[str, str], ...]:
    try:
        stamp = path.stat().st_mtime_ns
    except OSError:
        return ()
    return _sections_of(path, stamp)


@cache
def _sections_of(path: Path, _stamp: int) -> tuple[tuple[str, str], ...]:
    """(anchor, text) of each section of one doc (fenced code kept with its section)."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()[:20000]
    except (OSError, UnicodeDecodeError):
        return ()
    sections: list[tuple[str, list[str]]] = [("", [])]
    fenced = False
    for line in lines:
        if line.lstrip().startswith("```"):
            fenced = not fenced
        heading = None if fenced else _HEADING.match(line)
        if heading:
            sections.append((_slug(heading.group(2)), [line]))
        else:
            sections[-1][1].append(line)
    return tuple((anchor, "\n".join(body)) for anchor, body in sections)


def _doc_names(docs: Path) -> tuple[str, ...]:
    try:
        return tuple(sorted(p.name for p in docs.glob("*.md")
                            if p.is_file() and p.name not in GENERAL_DOCS))
    except OSError:
        return ()


def _mentions(text: str, word: str) -> bool:
    return bool(word) and re.search(rf"(?<![\w.-]){re.escape(word)}(?![\w-])", text) is not None


def doc_section(clause: str, decl: Declaration, docs: Path = DOCS_DIR) -> str:
    """The docs section that mentions the clause id, else the case name (the suite's own doc
    searched first), else the suite's doc."""
    case = decl.name.split(":", 1)[-1]
    # a case name counts when it is specific ("delete-running-errors"), not a word ("digest")
    specific = "-" in case and len(case) >= 8 and decl.where != UNDECLARED
    words = (clause, case) if specific else (clause,)
    own = DOC_BY_SUITE.get(decl.suite, "")
    names = sorted(_doc_names(docs), key=lambda n: n != own)     # the suite's own doc first
    for word in words:
        for name in names:
            for anchor, text in _doc_sections(docs / name):
                if _mentions(text, word):
                    return f"docs/{name}" + (f"#{anchor}" if anchor else "")
    return f"docs/{own}" if own else ""
