"""Coverage of the catalog: per spec, document and level, how many clauses are judged."""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from oci_conform.catalog.loader import Catalog
from oci_conform.catalog.model import Clause


@dataclass
class CoverageRow:
    """How many clauses of one spec document and level the checks judge."""

    spec: str
    document: str
    level: str
    total: int = 0
    judged: int = 0
    untestable: int = 0

    @property
    def untested(self) -> int:
        return self.total - self.judged - self.untestable


def coverage(catalog: Catalog, judged_ids: Iterable[str],
             clauses: Iterable[Clause] | None = None) -> list[CoverageRow]:
    """One row per (spec, document, level); a clause a check judges counts as judged even
    if it also carries an untestable reason (the contract test flags that contradiction)."""
    judged = set(judged_ids)
    rows: dict[tuple[str, str, str], CoverageRow] = defaultdict(lambda: CoverageRow("", "", ""))
    for c in catalog.clauses.values() if clauses is None else clauses:
        key = (c.spec, c.document, c.level.value)
        row = rows[key]
        row.spec, row.document, row.level = key
        row.total += 1
        if c.id in judged:
            row.judged += 1
        elif c.untestable:
            row.untestable += 1
    return [rows[k] for k in sorted(rows)]


def judged_clause_ids() -> set[str]:
    """Every clause id some declaration can give a non-skip outcome (catalog/judges.py)."""
    from oci_conform.catalog.judges import judged_ids
    return set(judged_ids())
