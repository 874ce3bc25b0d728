"""Expectations files: known failures of a named implementation version, case by case.

The file is JSON::

    {"expectations": [{"implementation": "runc", "version": "1.1.5*",
                       "clause": "rt.runtime.delete.2",
                       "case": "runtime:delete-created",
                       "reason": "...", "link": "https://..."}]}

``implementation``, ``clause`` and ``reason`` are required; ``link`` is optional (an upstream
issue or source line). ``version`` may be omitted (any version) or end in ``*`` (a prefix).
``case`` names the one case whose failure is expected: the full case id of the results
(``runtime:delete-created``) or its name without the suite prefix (``delete-created``).
``intermittent: true`` marks a failure that does not happen on every run: its pass stays
``pass`` (never ``xpass``).

The rule (one place: ``expect``):

- an entry with a ``case`` matches that case only: its ``fail`` becomes ``xfail``, its
  ``pass`` becomes ``xpass`` (the entry is stale). Sibling cases judging the same clause are
  untouched, so a cell whose expected case fails and whose other cases pass rolls up to
  ``xfail``, and a sibling that fails unexpectedly still shows as ``fail``;
- an entry without a ``case`` matches every case of the clause. Where the clause has one case
  in the outcomes judged, that is the whole meaning: ``fail`` -> ``xfail``, ``pass`` ->
  ``xpass``. Where it has several, each failing case becomes ``xfail`` and a passing one stays
  ``pass`` (a clause-only entry never turns a sibling's pass into ``xpass``; ``expectations
  update`` reports such an entry as stale when no case fails any more, and writes per-case
  entries in its place);
- an entry with a ``case`` wins over a clause-only entry of the same clause;
- an ``intermittent`` entry turns ``fail`` into ``xfail`` and leaves ``pass`` alone.
"""
from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

from oci_conform.model.outcome import Outcome
from oci_conform.model.results import CaseResult, Results

KEYS = ("implementation", "version", "clause", "case", "reason", "link", "intermittent")
FLAGS = ("intermittent",)
REQUIRED = ("implementation", "clause", "reason")
PLACEHOLDER = "TODO: reason"


@dataclass(frozen=True)
class Expectation:
    """One expected failure: a clause (and optionally one case) of an implementation."""

    implementation: str
    clause: str
    reason: str
    link: str = ""
    version: str = ""
    case: str = ""
    intermittent: bool = False

    def version_matches(self, version: str) -> bool:
        if not self.version:
            return True
        if self.version.endswith("*"):
            return version.startswith(self.version[:-1])
        return version == self.version

    def case_matches(self, case: str) -> bool:
        """True for a clause-only entry, or when ``case`` is this entry's case (the full id or
        the name after the suite prefix)."""
        return not self.case or self.case in (case, case_name(case))

    def matches(self, clause: str, implementation: str, version: str, case: str = "") -> bool:
        return (clause == self.clause and implementation == self.implementation
                and self.version_matches(version) and self.case_matches(case))

    @property
    def placeholder(self) -> bool:
        """True while the reason is still the placeholder ``expectations update`` writes."""
        return self.reason.lstrip().startswith("TODO")

    def to_dict(self) -> dict[str, str | bool]:
        """The file form: keys in one order, optional ones only when set."""
        data: dict[str, str | bool] = {
            "implementation": self.implementation, "version": self.version,
            "clause": self.clause, "case": self.case, "reason": self.reason, "link": self.link,
            "intermittent": self.intermittent}
        return {k: v for k, v in data.items() if v or k in REQUIRED}


def case_name(case: str) -> str:
    """A case id without its suite prefix (``runtime:delete-created`` -> ``delete-created``)."""
    return case.rsplit(":", 1)[-1]


class ExpectationsError(ValueError):
    """The expectations file cannot be used; the message names the place."""


def entry_problems(entry: Any, where: str) -> list[str]:
    """Why one entry of the file is not usable (empty when it is), one line each."""
    if not isinstance(entry, dict):
        return [f"{where}: not an object"]
    problems = [f'{where}: unknown key "{k}" (known: {", ".join(KEYS)})'
                for k in entry if k not in KEYS]
    for key in KEYS:
        value = entry.get(key)
        if key in REQUIRED and (not isinstance(value, str) or not value.strip()):
            problems.append(f'{where}: "{key}" must be a non-empty string')
        elif key in FLAGS:
            if key in entry and not isinstance(value, bool):
                problems.append(f'{where}: "{key}" must be true or false')
        elif key in entry and not isinstance(value, str):
            problems.append(f'{where}: "{key}" must be a string')
    version = entry.get("version")
    if isinstance(version, str) and "*" in version[:-1]:
        problems.append(f'{where}: "version" may hold "*" only at its end')
    return problems


def _entry(data: dict[str, Any]) -> Expectation:
    return Expectation(data["implementation"], data["clause"], data["reason"],
                       data.get("link", ""), data.get("version", ""), data.get("case", ""),
                       bool(data.get("intermittent", False)))


def read_entries(text: str, source: str = "expectations") -> tuple[list[Expectation], list[str]]:
    """The usable entries of a document and every problem found, one line each naming
    ``source`` and the entry's JSON pointer (errors as values: nothing raised)."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        return [], [f"{source}: not JSON: {exc}"]
    entries = data.get("expectations") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        return [], [f'{source}: expected an object with an "expectations" list']
    problems = [f'{source}: unknown top-level key "{k}"' for k in data if k != "expectations"]
    found: list[Expectation] = []
    seen: dict[tuple[str, str, str, str], int] = {}
    for n, raw in enumerate(entries):
        where = f"{source}: /expectations/{n}"
        bad = entry_problems(raw, where)
        if bad:
            problems += bad
            continue
        entry = _entry(raw)
        key = (entry.implementation, entry.version, entry.clause, entry.case)
        if key in seen:
            problems.append(f"{where}: same implementation, version, clause and case as "
                            f"/expectations/{seen[key]}")
            continue
        seen[key] = n
        found.append(entry)
    return found, problems


def parse_expectations(text: str, source: str = "expectations") -> list[Expectation]:
    """Parse and check an expectations document; raise ExpectationsError naming the entry."""
    found, problems = read_entries(text, source)
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise ExpectationsError(problems[0] + more)
    return found


def dump_expectations(entries: Iterable[Expectation]) -> str:
    """The file text of ``entries`` (stable key order, two-space indent, final newline)."""
    doc = {"expectations": [e.to_dict() for e in entries]}
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def apply_expectations(results: Results, expectations: list[Expectation]) -> Results:
    """Turn expected failures into xfail and their unexpected passes into xpass (in place)."""
    versions = {i.name: i.version for i in results.implementations}
    results.results = expect(results.results, versions, expectations)
    return results


class _Index:
    """Entries by (implementation, clause): per-case entries first, clause-only after."""

    def __init__(self, expectations: Iterable[Expectation]):
        self.by_cell: dict[tuple[str, str], list[Expectation]] = {}
        for e in expectations:
            self.by_cell.setdefault((e.implementation, e.clause), []).append(e)
        for entries in self.by_cell.values():
            entries.sort(key=lambda e: not e.case)

    def match(self, r: CaseResult, version: str) -> Expectation | None:
        return next((e for e in self.by_cell.get((r.implementation, r.clause), ())
                     if e.matches(r.clause, r.implementation, version, r.case)), None)


def cases_per_cell(outcomes: Iterable[CaseResult]) -> dict[tuple[str, str], int]:
    """(implementation, clause) -> how many distinct cases judged it in ``outcomes``."""
    cases: dict[tuple[str, str], set[str]] = {}
    for r in outcomes:
        cases.setdefault((r.implementation, r.clause), set()).add(r.case)
    return {cell: len(names) for cell, names in cases.items()}


def expect(outcomes: list[CaseResult], versions: dict[str, str],
           expectations: Iterable[Expectation],
           siblings: dict[tuple[str, str], int] | None = None) -> list[CaseResult]:
    """``outcomes`` with the expectations applied by the rule of this module's docstring.

    ``versions``: implementation name -> version, for version-bound entries. ``siblings``:
    (implementation, clause) -> how many cases judge that cell, for a caller that applies
    expectations to one case at a time (the pytest plugin); by default it is counted in
    ``outcomes``."""
    index = _Index(expectations)
    if not index.by_cell:
        return list(outcomes)
    counts = cases_per_cell(outcomes)
    if siblings:
        counts.update(siblings)
    out = []
    for r in outcomes:
        match = index.match(r, versions.get(r.implementation, ""))
        if match is not None and r.outcome is Outcome.FAIL:
            r = replace(r, outcome=Outcome.XFAIL, expectation=match.reason)
        elif match is not None and r.outcome is Outcome.PASS and not match.intermittent and (
                match.case or counts[(r.implementation, r.clause)] == 1):
            r = replace(r, outcome=Outcome.XPASS, expectation=match.reason)
        out.append(r)
    return out
