"""Compare two results documents cell by cell: regressions, fixes, new and removed clauses.

A cell is (clause, implementation) with the worst outcome of its cases. Outcomes fall in
three classes: *bad* (fail, error, xpass), *good* (pass, xfail) and *not judged* (skip, n/a).

- regression: the cell exists in both and goes from not bad to bad (a new outcome beyond the
  version the implementation claims is only a change: it is kept out of exit codes);
- fix: from bad to good;
- changed: any other change of outcome (fail -> error, pass -> skip, ...);
- new / removed clauses: clause ids present in only one of the two;
- new / removed implementations likewise; new cells of old clauses are listed as ``added``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from oci_conform.model.outcome import Outcome
from oci_conform.model.results import Results
from oci_conform.model.rollup import beyond_cells, cell_outcomes

BAD = frozenset({Outcome.FAIL, Outcome.ERROR, Outcome.XPASS})
GOOD = frozenset({Outcome.PASS, Outcome.XFAIL})


@dataclass(frozen=True)
class Change:
    """One cell whose outcome differs between two results files."""

    clause: str
    implementation: str
    old: Outcome | None
    new: Outcome | None
    beyond_claim: bool = False       # the new cell is beyond the version claimed

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"clause": self.clause, "implementation": self.implementation,
                                "old": self.old.value if self.old else None,
                                "new": self.new.value if self.new else None}
        if self.beyond_claim:
            data["beyond_claim"] = True
        return data


@dataclass
class Diff:
    """Every difference between two results files, sorted by kind."""

    regressions: list[Change] = field(default_factory=list)
    fixes: list[Change] = field(default_factory=list)
    changed: list[Change] = field(default_factory=list)
    added: list[Change] = field(default_factory=list)      # new cells of clauses seen before
    new_clauses: list[str] = field(default_factory=list)
    removed_clauses: list[str] = field(default_factory=list)
    new_implementations: list[str] = field(default_factory=list)
    removed_implementations: list[str] = field(default_factory=list)
    unchanged: int = 0

    @property
    def regressed(self) -> bool:
        return bool(self.regressions)

    def to_dict(self) -> dict[str, Any]:
        return {"regressed": self.regressed,
                "regressions": [c.to_dict() for c in self.regressions],
                "fixes": [c.to_dict() for c in self.fixes],
                "changed": [c.to_dict() for c in self.changed],
                "added": [c.to_dict() for c in self.added],
                "new_clauses": self.new_clauses, "removed_clauses": self.removed_clauses,
                "new_implementations": self.new_implementations,
                "removed_implementations": self.removed_implementations,
                "unchanged": self.unchanged}


def _classify(change: Change, diff: Diff) -> None:
    old, new = change.old, change.new
    assert old is not None and new is not None
    if old is new:
        diff.unchanged += 1
    elif new in BAD and old not in BAD and not change.beyond_claim:
        diff.regressions.append(change)
    elif old in BAD and new in GOOD:
        diff.fixes.append(change)
    else:
        diff.changed.append(change)


def diff(old: Results, new: Results) -> Diff:
    before, after = cell_outcomes(old), cell_outcomes(new)
    beyond = beyond_cells(new)
    old_clauses = {c for c, _ in before} | set(old.clauses)
    new_clauses = {c for c, _ in after} | set(new.clauses)
    old_impls = {i for _, i in before} | {i.name for i in old.implementations}
    new_impls = {i for _, i in after} | {i.name for i in new.implementations}
    result = Diff(new_clauses=sorted(new_clauses - old_clauses),
                  removed_clauses=sorted(old_clauses - new_clauses),
                  new_implementations=sorted(new_impls - old_impls),
                  removed_implementations=sorted(old_impls - new_impls))
    for key in sorted(set(before) | set(after)):
        change = Change(key[0], key[1], before.get(key), after.get(key), key in beyond)
        if change.old is not None and change.new is not None:
            _classify(change, result)
        elif change.new is not None and key[0] in old_clauses:
            result.added.append(change)
    return result
