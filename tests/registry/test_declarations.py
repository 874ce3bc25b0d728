"""The registry suite's declarations: ids written whole where they are judged, all known."""
from __future__ import annotations

import importlib
import inspect
import re

from oci_conform.catalog.loader import default_catalog
from oci_conform.suites.registry import declarations
from oci_conform.suites.registry.runner import all_cases, check_count

# the set the suite declared before ids were written whole (93 cases, 232 checks, 143 ids),
# plus the five edge-state cases added after (cases_edges: 17 checks on clauses already judged)
CASES_BEFORE, CHECKS_BEFORE, IDS_BEFORE = 93 + 5, 232 + 17, 143


def _source_of(where: str) -> str:
    module, _, name = where.partition(":")
    obj = importlib.import_module(module)
    for part in name.split("."):
        obj = getattr(obj, part)
    return inspect.getsource(obj)


def test_every_declared_id_is_in_the_catalog() -> None:
    known = set(default_catalog().clauses)
    missing = sorted({c for d in declarations() for c in d.clauses} - known)
    assert missing == []


def _judging_source(where: str) -> str:
    """The source of the code named by ``where`` plus the module's own functions it calls
    by name (a case handing the judging to a helper); never the whole module, whose case
    table names every id and would make this test unable to fail."""
    module = importlib.import_module(where.partition(":")[0])
    text = _source_of(where)
    helpers = [inspect.getsource(f) for name, f in vars(module).items()
               if inspect.isfunction(f) and f.__module__ == module.__name__
               and f"{name}(" in text]
    return "\n".join([text, *helpers])


def test_ids_are_written_whole_where_they_are_judged() -> None:
    """Each declared id appears as a whole string literal in the code named by ``where``
    or in a helper that code calls."""
    assembled = []
    for d in declarations():
        text = _judging_source(d.where)
        for clause in d.clauses:
            if f'"{clause}"' not in text:
                assembled.append((d.name, clause))
    assert assembled == []


def test_no_id_is_assembled_from_pieces() -> None:
    """No ``"dist.spec." + ...`` or prefix constants left in the suite's code."""
    import oci_conform.suites.registry as pkg
    folder = pkg.__file__.rsplit("/", 1)[0]
    from pathlib import Path
    bad = []
    for path in Path(folder).glob("*.py"):
        for n, line in enumerate(path.read_text().splitlines(), 1):
            if re.search(r'"(dist|harness)\.[a-z0-9.-]*\."\s*\+|\b[A-Z]{1,4} \+ "', line):
                bad.append(f"{path.name}:{n}: {line.strip()}")
    assert bad == []


def test_same_set_as_before_the_rewrite() -> None:
    cases = all_cases()
    ids = {c for case in cases for c in case.clauses}
    assert (len(cases), check_count(), len(ids)) == (CASES_BEFORE, CHECKS_BEFORE, IDS_BEFORE)


def test_declarations_name_where_and_how_to_select() -> None:
    decls = declarations()
    assert len({d.name for d in decls}) == len(decls)
    for d in decls:
        assert d.suite == "registry" and d.clauses
        assert re.fullmatch(r"oci_conform\.suites\.registry\.\w+:[\w.]+", d.where), d.where
        assert d.select.startswith("oci-conform registry test URL")
