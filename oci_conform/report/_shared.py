"""Small helpers the renderers share: clause lookup with a fallback, ordering, one-line gists.

A result may name a clause that is not in ``results.clauses`` (an old catalog, a merged file):
``clause_info`` then gives a stand-in so every renderer still shows the row.
"""
from __future__ import annotations

from collections.abc import Iterable

from oci_conform.model.evidence import ProcessRun
from oci_conform.model.outcome import RANK, Level, Outcome
from oci_conform.model.results import CaseResult, ClauseInfo, Finding, Results

UNKNOWN_SPEC = "(unknown)"
BEYOND = "beyond claimed version"


def encode_output(text: str) -> bytes:
    """The one output encoder: UTF-8, with what UTF-8 cannot hold (a lone surrogate from an
    undecodable file name or a peer's bytes) written as a backslash escape, never a crash."""
    return text.encode("utf-8", "backslashreplace")

# Outcomes a reader has to act on, worst first.
PROBLEMS = (Outcome.ERROR, Outcome.FAIL, Outcome.XPASS)


def clause_info(results: Results, clause: str) -> ClauseInfo:
    """The clause as the results recorded it, or a stand-in for an id they do not describe."""
    info = results.clauses.get(clause)
    if info is not None:
        return info
    return ClauseInfo(id=clause, spec=UNKNOWN_SPEC, document="", section="", level=Level.MUST,
                      summary="(clause not described in these results)", link="")


def clause_sort_key(results: Results, clause: str) -> tuple[int, str, str, str]:
    info = results.clauses.get(clause)
    if info is None:
        return (1, UNKNOWN_SPEC, "", clause)
    return (0, info.spec, info.document, clause)


def sorted_results(results: Results, items: Iterable[CaseResult] | None = None) -> list[CaseResult]:
    """Results ordered by spec, document, clause, then implementation column order."""
    order = {impl.name: i for i, impl in enumerate(results.implementations)}
    rows = list(results.results if items is None else items)
    return sorted(rows, key=lambda r: (clause_sort_key(results, r.clause),
                                       order.get(r.implementation, len(order)),
                                       r.implementation, r.case))


def severity_rank(outcome: Outcome) -> int:
    return RANK[outcome]


def implementation_names(results: Results) -> list[str]:
    """Implementation columns: those declared, then any only named by a result."""
    names: list[str] = []
    seen: set[str] = set()
    for impl in results.implementations:      # a name declared twice is one column
        if impl.name not in seen:
            seen.add(impl.name)
            names.append(impl.name)
    for r in results.results:
        if r.implementation not in seen:
            seen.add(r.implementation)
            names.append(r.implementation)
    return names


def finding_line(f: Finding) -> str:
    """One line for a finding: where, what, expected vs actual."""
    where = f.file or ""
    if f.line:
        where += f":{f.line}" + (f":{f.column}" if f.column else "")
    if f.location:
        where = f"{where} {f.location}".strip()
    text = f"{where}: {f.message}" if where else f.message
    if f.expected or f.actual:
        text += f" (expected {f.expected or '-'}, got {f.actual or '-'})"
    return text


def bounded(text: str, limit: int = 2000) -> str:
    """``text`` cut to ``limit`` characters (marked when cut)."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def gist(r: CaseResult) -> str:
    """The one-line reason of a result: its message, else its first finding, else the outcome."""
    if r.message:
        return bounded(r.message, 1000)
    if r.findings:
        return bounded(r.findings[0].message, 1000)
    if r.expectation:
        return bounded(r.expectation, 1000)
    return r.outcome.value


def tail(text: str, lines: int = 20, chars: int = 4000) -> str:
    """The last ``lines`` lines (at most ``chars`` characters) of ``text``."""
    kept = "\n".join(str(text).splitlines()[-lines:])
    return kept[-chars:]


def beyond_note(r: CaseResult) -> str:
    """'' or the marker of a result beyond the version its implementation claims."""
    return f"{BEYOND} ({r.beyond_claim}); not counted in the exit code" if r.beyond_claim else ""


def more_findings(r: CaseResult, shown: int) -> int:
    """Findings of ``r`` not shown: those past ``shown`` plus those the judging core cut."""
    return max(len(r.findings) - shown, 0) + r.omitted_findings


def command_line(run: ProcessRun, limit: int = 2000) -> str:
    """The argv of a run on one line, bounded (an argv can be anything a case built)."""
    return bounded(" ".join(run.argv), limit)


def evidence_lines(r: CaseResult, max_findings: int = 20, max_exchanges: int = 10) -> list[str]:
    """Findings, the failing command (argv, exit code, stderr tail) and HTTP exchanges."""
    out = ["- " + bounded(finding_line(f)) for f in r.findings[:max_findings]]
    more = more_findings(r, max_findings)
    if more:
        out.append(f"- ... and {more} more findings")
    run = r.evidence.last_run
    if run is not None:
        out.append("command: " + command_line(run))
        out.append(f"exit code: {run.exit_code}" + (" (timed out)" if run.timed_out else "")
                   + (f" ({run.error})" if run.error else ""))
        if run.stderr:
            out.append("stderr (tail):\n" + tail(run.stderr, 10, 2000))
    out.extend(replay_lines(r))
    for x in r.evidence.exchanges[:max_exchanges]:
        out.append("http: " + bounded(x.line(), 1000))
    more_x = max(len(r.evidence.exchanges) - max_exchanges, 0) + r.evidence.omitted.get(
        "exchanges", 0)
    if more_x:
        out.append(f"http: ... and {more_x} more exchanges")
    out.extend("file: " + bounded(f.line_text(), 1000) for f in r.evidence.files[:10])
    return out


def replay_lines(r: CaseResult) -> list[str]:
    """A runtime case's config (as a diff from the base bundle's), the shell line that
    replays it and where its folder was kept (--keep); none for other evidence."""
    ev, out = r.evidence, []
    if ev.config:
        out.append("config (diff from the base bundle's config):\n"
                   + bounded("\n".join(ev.config.splitlines()[:30]), 2000))
    if ev.replay:
        out.append("replay: " + bounded(ev.replay, 4000))
    if ev.kept:
        out.append("kept: " + bounded(ev.kept, 1000))
    return out


def evidence_summary(r: CaseResult, max_lines: int = 40) -> str:
    """Message, markers, findings and the runtime / HTTP evidence, as plain text."""
    out: list[str] = []
    if r.message:
        out.append(r.message)
    if r.beyond_claim:
        out.append(beyond_note(r))
    if r.expectation:
        out.append(f"expectation: {r.expectation}")
    out.extend(evidence_lines(r))
    return "\n".join(out[:max_lines])
