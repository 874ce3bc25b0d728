"""Exit codes: what a set of results means for the process that produced them."""
from __future__ import annotations

from enum import IntEnum

from oci_conform.model.outcome import Level, Outcome, within_threshold
from oci_conform.model.results import Results


class ExitCode(IntEnum):
    CONFORMANT = 0
    NONCONFORMANT = 1
    USAGE = 2
    HARNESS_ERROR = 3
    NOTHING_SELECTED = 4


# An unexpected pass means the expectations file is stale: like a failure, it needs a human.
_COUNTS_AGAINST = (Outcome.FAIL, Outcome.XPASS)
# Skips and n/a say nothing about conformance: a run made only of them is not a pass.
_JUDGED = (Outcome.PASS, Outcome.FAIL, Outcome.XFAIL, Outcome.XPASS)


def exit_code(results: Results, fail_on: str = "must") -> ExitCode:
    """Harness errors first (never 0), then nothing judged, then conformance at ``fail_on``.

    A result marked ``beyond_claim`` (its clause is newer than the version the implementation
    claims) is shown but does not count against conformance."""
    if not results.complete or any(r.outcome is Outcome.ERROR for r in results.results):
        return ExitCode.HARNESS_ERROR
    if not any(r.outcome in _JUDGED for r in results.results):
        return ExitCode.NOTHING_SELECTED      # nothing selected, or nothing could be judged
    for r in results.results:
        if r.outcome in _COUNTS_AGAINST and not r.beyond_claim:
            info = results.clauses.get(r.clause)
            level = info.level if info else Level.MUST
            if within_threshold(level, fail_on):
                return ExitCode.NONCONFORMANT
    return ExitCode.CONFORMANT
