"""The runtime suite declares what it judges, with clause ids written whole where judged."""
from __future__ import annotations

import importlib
import json
import re
from pathlib import Path

from oci_conform.catalog.loader import default_catalog
from oci_conform.suites.runtime import all_cases, declarations

ROOT = Path(__file__).resolve().parents[2]
SUITE_DIR = ROOT / "oci_conform" / "suites" / "runtime"
ID_LITERAL = re.compile(r"""["']((?:rt|harness)\.[A-Za-z0-9_.\-]*)["']""")
# the clause ids of every case before the ids were written whole (name, clause)
BEFORE = ROOT / "tests" / "runtime" / "data" / "case-clauses-before.json"


def _sources() -> dict[str, str]:
    return {p.stem: p.read_text() for p in sorted(SUITE_DIR.glob("*.py"))}


def test_every_declared_id_is_in_the_catalog_and_every_case_is_declared() -> None:
    catalog = default_catalog()
    decls = declarations()
    missing = sorted({c for d in decls for c in d.clauses} - set(catalog.clauses))
    assert not missing, missing
    names = {d.name for d in decls}
    assert {f"runtime:{c.name}" for c in all_cases()} <= names
    assert len(names) == len(decls)
    for d in decls:
        assert d.suite == "runtime" and d.clauses
        assert d.select.startswith("oci-conform runtime test")


def test_where_names_a_function_that_exists() -> None:
    for d in declarations():
        module, _, func = d.where.partition(":")
        assert hasattr(importlib.import_module(module), func), d.where


def test_every_declared_id_is_written_whole_in_the_code_that_judges_it() -> None:
    """Each id appears as a complete string literal in the module that defines the case (or
    judges it), so grep finds it; no literal is a prefix to be completed."""
    sources = _sources()
    literals = {m for text in sources.values() for m in ID_LITERAL.findall(text)}
    prefixes = sorted(x for x in literals if x.endswith(".") or x.endswith("-"))
    assert not prefixes, f"assembled ids: {prefixes}"
    for d in declarations():
        module = d.where.partition(":")[0].rsplit(".", 1)[-1]
        for cid in d.clauses:
            assert f'"{cid}"' in sources[module] or any(
                f'"{cid}"' in sources[m] for m in sources), (d.name, cid)


def test_no_clause_id_is_assembled_from_pieces() -> None:
    joined = re.compile(r"""["'](?:rt|harness)\.[^"']*["']\s*\+|\+\s*["'](?:rt|harness)\.|"""
                        r"""f["'](?:rt|harness)\.[^"']*\{""")
    found = [(name, m.group(0)) for name, text in _sources().items()
             for m in joined.finditer(text)]
    assert not found, found


def test_case_clauses_are_the_same_as_before_the_rewrite() -> None:
    before = {tuple(x) for x in json.loads(BEFORE.read_text())}
    now = {(c.name, cid) for c in all_cases() for cid in c.clauses}
    assert now - before == set() or all(name.endswith("-state-on-stdin") for name, _ in
                                        now - before), sorted(now - before)
    assert before - now == set(), sorted(before - now)
