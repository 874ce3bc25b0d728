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
    INTERRUPTED = 130              # SIGINT (Ctrl-C); SIGTERM gives 143: 128 + signal number


def exit_code_of(signal_name: str) -> int:
    """128 + the number of ``signal_name`` ("SIGINT" -> 130, "SIGTERM" -> 143), as shells do."""
    import signal  # only after a stop: every quick command imports this module
    return 128 + int(getattr(signal, signal_name, signal.SIGINT))


# An unexpected pass means the expectations file is stale: like a failure, it needs a human.
_COUNTS_AGAINST = (Outcome.FAIL, Outcome.XPASS)
# Skips and n/a say nothing about conformance: a run made only of them is not a pass.
_JUDGED = (Outcome.PASS, Outcome.FAIL, Outcome.XFAIL, Outcome.XPASS)


def exit_code(results: Results, fail_on: str = "must") -> int:
    """An interruption first (128 + its signal number: 130 for SIGINT, 143 for SIGTERM),
    then harness errors (never 0), then nothing judged, then conformance at ``fail_on``.

    A result marked ``beyond_claim`` (its clause is newer than the version the implementation
    claims) is shown but does not count against conformance."""
    if results.interrupted:
        return exit_code_of(results.interrupted)
    seen = {r.outcome for r in results.results}     # one pass over the outcomes
    if not results.complete or Outcome.ERROR in seen:
        return ExitCode.HARNESS_ERROR
    if seen.isdisjoint(_JUDGED):
        return ExitCode.NOTHING_SELECTED      # nothing selected, or nothing could be judged
    if seen.isdisjoint(_COUNTS_AGAINST):
        return ExitCode.CONFORMANT
    for r in results.results:
        if r.outcome in _COUNTS_AGAINST and not r.beyond_claim:
            info = results.clauses.get(r.clause)
            level = info.level if info else Level.MUST
            if within_threshold(level, fail_on):
                return ExitCode.NONCONFORMANT
    return ExitCode.CONFORMANT
