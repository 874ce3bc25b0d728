"""How a registry case is declared: a scenario and the clause ids it judges.

A *case* is one scenario against the registry (push a blob in chunks, list tags with ``n``)
declaring the clauses it judges. While it runs it records observations on a
``model.judging.Judge`` (``j.check(...)`` with the clause id written whole); a declared clause
the case never observed becomes ``error`` ("not observed"): nothing seen is never a pass.
A case stops early by raising ``CaseError`` (the clauses it had not judged yet are ``error``)
or ``NotJudged`` (they are not judged, for the ``Why`` given: n/a or skip by the one table).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from oci_conform.model.judging import Judge, Why

__all__ = ["Case", "CaseError", "NotJudged", "Judge", "Why", "judged"]


@dataclass(frozen=True)
class Case:
    """A scenario and the clauses it judges."""

    name: str
    group: str              # pull | push | discovery | referrers | management | errors | summary
    clauses: tuple[str, ...]
    run: Callable[[Any, Judge], None]
    write: bool = True      # needs to push (not selected in read-only mode)
    since: str = ""         # distribution-spec version the scenario exists from ("" = always)
    doc: str = ""
    # negative cases: the same request without the fault, run first; it raises CaseError
    # when it does not succeed (see controls.py)
    control: Callable[[Any], None] | None = None


class CaseError(Exception):
    """Raised inside a case: every clause not yet judged becomes ``error`` with this reason."""


class NotJudged(Exception):
    """Raised inside a case: every clause not yet judged is not judged, for ``why``."""

    def __init__(self, why: Why, reason: str):
        super().__init__(reason)
        self.why = why


def judged(j: Judge, clause: str) -> bool:
    """Whether ``j`` holds an observation of ``clause`` already."""
    return any(o.clause == clause for o in j.observations)
