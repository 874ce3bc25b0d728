"""Outcome values, clause levels, and how they order."""
from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum


class Outcome(StrEnum):
    """What was observed for one clause on one implementation."""

    PASS = "pass"
    FAIL = "fail"
    ERROR = "error"   # the harness could not judge
    SKIP = "skip"     # cannot run here (host limit, unsupported feature), with a reason
    NA = "n/a"        # the clause does not apply to this subject
    XFAIL = "xfail"   # failed, as an expectations file said it would
    XPASS = "xpass"   # passed although an expectations file said it would fail

    @property
    def glyph(self) -> str:
        return _GLYPHS[self]


_GLYPHS = {Outcome.PASS: "✓", Outcome.FAIL: "✗", Outcome.ERROR: "!", Outcome.SKIP: "–",
           Outcome.NA: "·", Outcome.XFAIL: "x", Outcome.XPASS: "X"}

# The one severity order, worst first, used by every roll-up (model/judging.py).
# A proven violation outranks an incomplete judgement: ``fail`` beats ``error`` in a cell
# (the error still makes the run incomplete, exit 3). Something observed outranks nothing
# run: ``pass`` beats ``skip`` (the roll-up message says how many parts were skipped).
SEVERITY: tuple[Outcome, ...] = (Outcome.FAIL, Outcome.XPASS, Outcome.ERROR, Outcome.XFAIL,
                                 Outcome.PASS, Outcome.SKIP, Outcome.NA)


RANK: dict[Outcome, int] = {o: n for n, o in enumerate(SEVERITY)}   # 0 = worst


def worst(outcomes: Iterable[Outcome]) -> Outcome | None:
    """The most severe outcome of ``outcomes`` (None when there are none)."""
    return min(outcomes, key=RANK.__getitem__, default=None)


class Level(StrEnum):
    """The RFC 2119 strength of a clause."""

    MUST = "MUST"
    MUST_NOT = "MUST NOT"
    SHOULD = "SHOULD"
    SHOULD_NOT = "SHOULD NOT"
    MAY = "MAY"

    @property
    def tier(self) -> str:
        """``must``, ``should`` or ``may``: the ``--fail-on`` threshold this level belongs to."""
        return self.value.split()[0].lower()


TIERS = ("must", "should", "may")


def within_threshold(level: Level, fail_on: str) -> bool:
    """True when a failure at ``level`` counts against conformance at ``fail_on``."""
    return TIERS.index(level.tier) <= TIERS.index(fail_on)
