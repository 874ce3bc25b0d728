"""Expectations files: known failures of a named implementation version.

The file is JSON::

    {"expectations": [{"implementation": "runc", "version": "1.1.5",
                       "clause": "rt.runtime.state.3", "reason": "...",
                       "link": "https://..."}]}

``version`` may be omitted (any version) or end in ``*`` (a prefix).  A matching
``fail`` becomes ``xfail``; a matching ``pass`` becomes ``xpass``.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path

from oci_conform.model.outcome import Outcome
from oci_conform.model.results import CaseResult, Results


@dataclass(frozen=True)
class Expectation:
    implementation: str
    clause: str
    reason: str
    link: str
    version: str = ""

    def matches(self, clause: str, implementation: str, version: str) -> bool:
        if clause != self.clause or implementation != self.implementation:
            return False
        if not self.version:
            return True
        if self.version.endswith("*"):
            return version.startswith(self.version[:-1])
        return version == self.version


class ExpectationsError(ValueError):
    """The expectations file cannot be used; the message names the place."""


def parse_expectations(text: str, source: str = "expectations") -> list[Expectation]:
    """Parse and check an expectations document; raise ExpectationsError naming the entry."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ExpectationsError(f"{source}: not JSON: {exc}") from None
    entries = data.get("expectations") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise ExpectationsError(f'{source}: expected an object with an "expectations" list')
    found = []
    for n, entry in enumerate(entries):
        where = f"{source}: /expectations/{n}"
        if not isinstance(entry, dict):
            raise ExpectationsError(f"{where}: not an object")
        for key in ("implementation", "clause", "reason", "link"):
            if not isinstance(entry.get(key), str) or not entry[key].strip():
                raise ExpectationsError(f'{where}: "{key}" must be a non-empty string')
        found.append(Expectation(entry["implementation"], entry["clause"], entry["reason"],
                                 entry["link"], str(entry.get("version", ""))))
    return found


def load_expectations(path: Path) -> list[Expectation]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ExpectationsError(f"{path}: cannot read: {exc}") from None
    return parse_expectations(text, str(path))


def apply_expectations(results: Results, expectations: list[Expectation]) -> Results:
    """Turn expected failures into xfail and their unexpected passes into xpass (in place)."""
    versions = {i.name: i.version for i in results.implementations}
    results.results = expect(results.results, versions, expectations)
    return results


def expect(outcomes: list[CaseResult], versions: dict[str, str],
           expectations: list[Expectation]) -> list[CaseResult]:
    """``outcomes`` with each expected failure as xfail and its unexpected pass as xpass
    (``versions``: implementation name -> version, for version-bound entries)."""
    out = []
    for r in outcomes:
        match = next((e for e in expectations
                      if e.matches(r.clause, r.implementation, versions.get(r.implementation, ""))),
                     None)
        if match is not None and r.outcome is Outcome.FAIL:
            r = replace(r, outcome=Outcome.XFAIL, expectation=match.reason)
        elif match is not None and r.outcome is Outcome.PASS:
            r = replace(r, outcome=Outcome.XPASS, expectation=match.reason)
        out.append(r)
    return out
