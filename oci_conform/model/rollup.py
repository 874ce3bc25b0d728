"""Roll outcomes up: worst-of with counts, per implementation and per group of clauses."""
from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from oci_conform.model.judging import NOT_JUDGED
from oci_conform.model.outcome import Outcome, worst
from oci_conform.model.results import Results

_NOT_JUDGED = frozenset(NOT_JUDGED.values())       # skip and n/a, from the judging core
_PASSED = (Outcome.PASS, Outcome.XFAIL)


@dataclass
class Tally:
    """Counts by outcome and the worst of them.

    Cells beyond the version an implementation claims are counted by outcome (``counts``)
    but left out of ``judged`` and ``passed``, as they are left out of the exit code;
    ``beyond`` says how many judged cells were left out that way."""

    counts: Counter[Outcome] = field(default_factory=Counter)
    beyond_counts: Counter[Outcome] = field(default_factory=Counter)

    def add(self, outcome: Outcome, beyond: bool = False) -> None:
        self.counts[outcome] += 1
        if beyond:
            self.beyond_counts[outcome] += 1

    @property
    def worst(self) -> Outcome | None:
        return worst(o for o, n in self.counts.items() if n)

    @property
    def judged(self) -> int:
        """Outcomes that say something about conformance (not skip, not n/a, not beyond the
        claimed version)."""
        return sum(n - self.beyond_counts[o] for o, n in self.counts.items()
                   if o not in _NOT_JUDGED)

    @property
    def passed(self) -> int:
        return sum(self.counts[o] - self.beyond_counts[o] for o in _PASSED)

    @property
    def beyond(self) -> int:
        """Judged cells beyond the claimed version, left out of ``judged``/``passed``."""
        return sum(n for o, n in self.beyond_counts.items() if o not in _NOT_JUDGED)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def to_dict(self) -> dict[str, int | str | None]:
        data: dict[str, int | str | None] = {o.value: self.counts[o] for o in Outcome}
        data["worst"] = self.worst.value if self.worst else None
        data["beyond_claim"] = self.beyond
        return data


def cell_outcomes(results: Results) -> dict[tuple[str, str], Outcome]:
    """One outcome per (clause, implementation): the worst when several cases judged it."""
    cells: dict[tuple[str, str], list[Outcome]] = {}
    for r in results.results:
        cells.setdefault((r.clause, r.implementation), []).append(r.outcome)
    return {key: worst(outs) or Outcome.ERROR for key, outs in cells.items()}


def beyond_cells(results: Results) -> set[tuple[str, str]]:
    """The (clause, implementation) cells whose every case is beyond the claimed version."""
    flags: dict[tuple[str, str], bool] = {}
    for r in results.results:
        key = (r.clause, r.implementation)
        flags[key] = flags.get(key, True) and bool(r.beyond_claim)
    return {key for key, beyond in flags.items() if beyond}


def tally_by(results: Results, key: Callable[[str, str], str | None]) -> dict[str, Tally]:
    """Tally the cells, grouped by ``key(clause_id, implementation)`` (None drops a cell)."""
    tallies: dict[str, Tally] = {}
    beyond = beyond_cells(results)
    for (clause, impl), outcome in cell_outcomes(results).items():
        group = key(clause, impl)
        if group is not None:
            tallies.setdefault(group, Tally()).add(outcome, (clause, impl) in beyond)
    return tallies


def per_implementation(results: Results) -> dict[str, Tally]:
    return tally_by(results, lambda _c, impl: impl)


def per_document(results: Results) -> dict[str, Tally]:
    def doc(c: str, _i: str) -> str:
        info = results.clauses.get(c)
        return f"{info.spec}/{info.document}" if info else "?"
    return tally_by(results, doc)

