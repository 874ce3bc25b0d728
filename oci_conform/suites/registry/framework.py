"""How a registry case is declared and judged.

A *case* is one scenario against the registry (push a blob in chunks, list tags with ``n``)
declaring the *checks* it makes: one per clause id it judges. While it runs it calls
``judge.check(clause, ok, ...)`` for each; a declared check the case never judged becomes an
``error`` ("not observed"): nothing seen is never a pass.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from oci_conform.model.outcome import Outcome
from oci_conform.model.results import Finding

MAX_EXCHANGES = 40


@dataclass(frozen=True)
class Case:
    """A scenario and the clauses it judges."""

    name: str
    group: str              # pull | push | discovery | referrers | management | errors | grammar
    clauses: tuple[str, ...]
    run: Callable[[Any, Judge], None]
    write: bool = True      # needs to push (skipped in read-only mode)
    since: str = ""         # distribution-spec version the scenario exists from ("" = always)
    doc: str = ""


@dataclass
class Verdict:
    clause: str
    outcome: Outcome
    message: str = ""
    findings: list[Finding] = field(default_factory=list)
    locations: list[str] = field(default_factory=list)   # requests a pass was judged on


class CaseSkip(Exception):
    """Raised inside a case: every check not yet judged becomes ``skip`` with this reason."""


class CaseError(Exception):
    """Raised inside a case: every check not yet judged becomes ``error`` with this reason."""


_RANK = {Outcome.FAIL: 0, Outcome.ERROR: 1, Outcome.PASS: 2, Outcome.SKIP: 3, Outcome.NA: 4}


class Judge:
    """Collects one case's verdicts per clause; the worst one (fail > error > pass) wins."""

    def __init__(self, case: Case, dropped: frozenset[str] = frozenset()):
        self.case = case
        self.dropped = dropped      # declared clauses not in the catalog: verdicts ignored
        self.verdicts: dict[str, Verdict] = {}
        self.notes: list[str] = []
        self.started = time.monotonic()

    def _put(self, verdict: Verdict) -> None:
        if verdict.clause in self.dropped:
            return
        if verdict.clause not in self.case.clauses:
            raise CaseError(f"case {self.case.name} judged undeclared clause {verdict.clause}")
        old = self.verdicts.get(verdict.clause)
        if old is None or _RANK[verdict.outcome] < _RANK[old.outcome]:
            self.verdicts[verdict.clause] = verdict
        elif old.outcome == Outcome.PASS and verdict.outcome == Outcome.PASS:
            old.locations.extend(verdict.locations)
        elif old.outcome == Outcome.FAIL and verdict.outcome == Outcome.FAIL:
            old.findings.extend(verdict.findings)
            old.message = f"{old.message}; {verdict.message}"[:400]

    def check(self, clause: str, ok: bool, message: str, *, expected: Any = "",
              actual: Any = "", location: str = "") -> bool:
        """Record a pass (``ok``) or a fail with expected/actual."""
        if ok:
            self._put(Verdict(clause, Outcome.PASS, message,
                              locations=[location] if location else []))
        else:
            finding = Finding(message=message, location=location, expected=str(expected),
                              actual=str(actual)[:500])
            self._put(Verdict(clause, Outcome.FAIL, message, [finding]))
        return ok

    def skip(self, clause: str, reason: str) -> None:
        self._put(Verdict(clause, Outcome.SKIP, reason))

    def na(self, clause: str, reason: str) -> None:
        self._put(Verdict(clause, Outcome.NA, reason))

    def error(self, clause: str, reason: str) -> None:
        self._put(Verdict(clause, Outcome.ERROR, reason))

    def note(self, text: str) -> None:
        self.notes.append(text)

    def finish(self, missing: Outcome, reason: str) -> list[Verdict]:
        """Verdicts in declared order; undeclared-but-unjudged clauses get ``missing``."""
        out = []
        for clause in self.case.clauses:
            if clause in self.dropped:
                continue
            out.append(self.verdicts.get(clause) or Verdict(clause, missing, reason))
        return out
