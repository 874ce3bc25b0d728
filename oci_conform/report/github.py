"""GitHub Actions workflow commands: ``::error``/``::warning``/``::notice`` annotations.

One annotation per located finding (file, line, col when known), else one per result. MUST
problems and harness errors are errors, SHOULD problems warnings, MAY problems notices; the
most severe come first and at most ``MAX_ANNOTATIONS`` are printed, followed by one notice
saying how many more there were. ``write_step_summary`` appends the Markdown summary to
``$GITHUB_STEP_SUMMARY`` when that variable is set.
"""
from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from oci_conform.model.outcome import Outcome
from oci_conform.model.results import CaseResult, Finding, Results
from oci_conform.report import markdown
from oci_conform.report._shared import (
    BEYOND,
    PROBLEMS,
    beyond_note,
    bounded,
    clause_info,
    encode_output,
    gist,
    more_findings,
    sorted_results,
)

FORMAT = "github"
DESCRIPTION = "GitHub Actions annotations (most severe first, capped)"

MAX_ANNOTATIONS = 50
_RANK = {"error": 0, "warning": 1, "notice": 2}
_TIER_COMMAND = {"must": "error", "should": "warning", "may": "notice"}


@dataclass(frozen=True)
class Annotation:
    """One GitHub Actions workflow command (error, warning or notice)."""

    command: str            # error | warning | notice
    title: str
    message: str
    file: str = ""
    line: int = 0
    col: int = 0

    def render(self) -> str:
        props = []
        if self.file:
            props.append(f"file={_escape_property(self.file)}")
            if self.line:
                props.append(f"line={self.line}")
                if self.col:
                    props.append(f"col={self.col}")
        props.append(f"title={_escape_property(self.title)}")
        return f"::{self.command} {','.join(props)}::{_escape_data(self.message)}"


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def _command(results: Results, r: CaseResult) -> str:
    if r.outcome is Outcome.ERROR:
        return "error"
    if r.beyond_claim:              # kept out of the exit code: never an error annotation
        return "notice"
    return _TIER_COMMAND[clause_info(results, r.clause).level.tier]


def _for_result(results: Results, r: CaseResult) -> list[Annotation]:
    info = clause_info(results, r.clause)
    command = _command(results, r)
    title = f"{info.id} ({info.level.value}) {r.outcome.value} on {r.implementation}"
    if r.beyond_claim:
        title += f" [{BEYOND}]"
    link = f"\n{info.link}" if info.link else ""
    link += f"\n{beyond_note(r)}" if r.beyond_claim else ""
    more = more_findings(r, len(r.findings))
    link += f"\n... and {more} more findings" if more else ""
    link += f"\nreplay: {bounded(r.evidence.replay, 1000)}" if r.evidence.replay else ""
    link += f"\nkept: {r.evidence.kept}" if r.evidence.kept else ""
    located = [f for f in r.findings if f.file]
    if not located:
        return [Annotation(command, title, f"{gist(r)}\n{info.summary}{link}")]
    return [Annotation(command, title, _finding_text(f, info.summary) + link,
                       f.file, f.line, f.column) for f in located]


def _finding_text(f: Finding, summary: str) -> str:
    text = f.message
    if f.expected or f.actual:
        text += f" (expected {f.expected or '-'}, got {f.actual or '-'})"
    if f.location:
        text += f" at {f.location}"
    return f"{text}\n{summary}"


def all_annotations(results: Results) -> list[Annotation]:
    """Every annotation, most severe first (errors, then MUST before SHOULD before MAY)."""
    found = [Annotation("error", "oci-conform harness error", p) for p in results.harness_errors]
    if results.interrupted:
        found.insert(0, Annotation("error", "oci-conform run incomplete",
                                   results.incomplete_reasons()[0]))
    ranked = []
    for r in sorted_results(results):
        if r.outcome in PROBLEMS:
            tier = clause_info(results, r.clause).level.tier
            for a in _for_result(results, r):
                ranked.append(((_RANK[a.command], ("must", "should", "may").index(tier)), a))
    ranked.sort(key=lambda pair: pair[0])
    return found + [a for _, a in ranked]


def render(results: Results, limit: int = MAX_ANNOTATIONS) -> str:
    found = all_annotations(results)
    lines = [a.render() for a in found[:limit]]
    if len(found) > limit:
        more = Annotation("notice", "oci-conform",
                          f"{len(found) - limit} more annotations not shown (limit {limit}); "
                          "see the step summary or the HTML report")
        lines.append(more.render())
    if not found:
        lines.append(Annotation("notice", "oci-conform",
                                f"no problems in {len(results.results)} results").render())
    return "\n".join(lines) + "\n"


def write_step_summary(results: Results, env: Mapping[str, str] | None = None) -> Path | None:
    """Append the Markdown summary to $GITHUB_STEP_SUMMARY; return the path, or None if unset."""
    target = (os.environ if env is None else env).get("GITHUB_STEP_SUMMARY")
    if not target:
        return None
    path = Path(target)
    with path.open("ab") as handle:
        handle.write(encode_output(markdown.render(results)))
    return path
