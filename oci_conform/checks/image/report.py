"""A tally of what a check looked at and what it found, per clause id.

Checks call ``saw`` for every clause they judged on a subject and ``fail`` for
each problem; ``outcomes`` turns the tally into CaseResults. A clause nobody
looked at is never a pass.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from oci_conform.jsonpos import PositionIndex
from oci_conform.model.outcome import Outcome
from oci_conform.model.results import CaseResult, Finding


@dataclass
class Report:
    """Clauses judged, problems found, notes and errors (the harness could not judge)."""

    seen: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    problems: dict[str, list[Finding]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, list[Finding]] = field(default_factory=lambda: defaultdict(list))
    notes: dict[str, list[Finding]] = field(default_factory=lambda: defaultdict(list))
    file: str = ""               # the file locations point into, when one is being judged
    text: str = ""               # its text, to turn JSON pointers into line/column
    _index: PositionIndex | None = field(default=None, repr=False)

    def saw(self, clause: str) -> None:
        self.seen[clause] += 1

    def fail(self, clause: str, message: str, location: str = "", expected: str = "",
             actual: str = "", file: str | None = None) -> None:
        self.seen[clause] += 1
        self.problems[clause].append(self._finding(message, location, expected, actual, file))

    def check(self, clause: str, ok: bool, message: str, location: str = "",
              expected: str = "", actual: str = "") -> bool:
        """Record that ``clause`` was judged; a problem when ``ok`` is false."""
        if ok:
            self.saw(clause)
        else:
            self.fail(clause, message, location, expected, actual)
        return ok

    def error(self, clause: str, message: str, location: str = "") -> None:
        self.errors[clause].append(self._finding(message, location, "", "", None))

    def note(self, clause: str, message: str, location: str = "") -> None:
        self.seen[clause] += 1
        self.notes[clause].append(self._finding(message, location, "", "", None))

    def _finding(self, message: str, location: str, expected: str, actual: str,
                 file: str | None) -> Finding:
        where = self.file if file is None else file
        line = column = 0
        if where and self.text and (location == "" or location.startswith("/")):
            if self._index is None or self._index.text is not self.text:
                self._index = PositionIndex(self.text)
            line, column = self._index.nearest(location)
        return Finding(message=message, location=location, expected=str(expected),
                       actual=str(actual)[:300], file=where, line=line, column=column)

    def merge(self, other: Report) -> None:
        for cid, n in other.seen.items():
            self.seen[cid] += n
        for target, source in ((self.problems, other.problems), (self.errors, other.errors),
                               (self.notes, other.notes)):
            for cid, items in source.items():
                target[cid].extend(items)

    @property
    def failed(self) -> set[str]:
        return {c for c, f in self.problems.items() if f}

    def outcomes(self, implementation: str, universe: Iterable[str], case: str,
                 evidence: dict | None = None, max_findings: int = 50) -> list[CaseResult]:
        """One CaseResult per clause of ``universe`` (plus any clause that was touched)."""
        ids = sorted(set(universe) | set(self.seen) | set(self.errors))
        out = []
        for cid in ids:
            problems, errors = self.problems.get(cid, []), self.errors.get(cid, [])
            notes = self.notes.get(cid, [])
            if problems:
                outcome, msg = Outcome.FAIL, problems[0].message
                if len(problems) > 1:
                    msg += f" (and {len(problems) - 1} more)"
                findings = problems
            elif errors:
                outcome, msg, findings = Outcome.ERROR, errors[0].message, errors
            elif self.seen.get(cid):
                outcome, findings = Outcome.PASS, notes
                msg = notes[0].message if notes else f"checked {self.seen[cid]} time(s)"
            else:
                outcome, msg, findings = Outcome.NA, "nothing in this subject it applies to", []
            out.append(CaseResult(cid, implementation, outcome, case=case, message=msg,
                                  findings=list(findings[:max_findings]),
                                  evidence=dict(evidence or {})))
        return out


def pointer(*parts: object) -> str:
    """A JSON pointer from path parts (escaping ~ and /)."""
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)
