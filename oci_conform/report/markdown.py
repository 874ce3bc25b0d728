"""Markdown summary (the GitHub step summary): counts per implementation plus the failing rows.

The text stays under ``MAX_BYTES`` (GitHub refuses step summaries over 1 MiB): rows that do not
fit are dropped, worst kept first, and a note says how many were left out.
"""
from __future__ import annotations

from oci_conform.model.outcome import TIERS, Outcome
from oci_conform.model.results import Results
from oci_conform.model.rollup import per_implementation
from oci_conform.model.verdict import exit_code
from oci_conform.report._shared import (
    PROBLEMS, clause_info, gist, implementation_names, severity_rank, sorted_results,
)

FORMAT = "markdown"
DESCRIPTION = "Markdown summary table (GitHub step summary), size-capped"

MAX_BYTES = 1_000_000          # GitHub's limit is 1 MiB (1,048,576 bytes); keep a margin
_COLUMNS = (Outcome.PASS, Outcome.FAIL, Outcome.ERROR, Outcome.XPASS, Outcome.XFAIL,
            Outcome.SKIP, Outcome.NA)
_VERDICTS = {0: "conformant", 1: "nonconformant", 3: "harness error (results incomplete)",
             4: "nothing selected"}


def cell(text: object, limit: int = 300) -> str:
    """Text safe inside a Markdown table cell: one line, pipes escaped, bounded."""
    one = " ".join(str(text).split()).replace("|", "\\|")
    one = one.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return one if len(one) <= limit else one[: limit - 1] + "…"


def _summary_table(results: Results) -> list[str]:
    tallies = per_implementation(results)
    head = "| implementation | version | " + " | ".join(o.value for o in _COLUMNS) + \
        " | passed / judged |"
    lines = [head, "|" + "---|" * (len(_COLUMNS) + 3)]
    for name in implementation_names(results):
        impl = results.implementation(name)
        tally = tallies.get(name)
        counts = [str(tally.counts[o]) if tally else "0" for o in _COLUMNS]
        rate = f"{tally.passed}/{tally.judged}" if tally else "0/0"
        version = impl.version if impl else ""
        if impl and not impl.available:
            version = f"unavailable: {impl.reason}" if impl.reason else "unavailable"
        lines.append(f"| {cell(name)} | {cell(version)} | " + " | ".join(counts) + f" | {rate} |")
    return lines


def _problem_rows(results: Results) -> list[str]:
    bad = [r for r in sorted_results(results) if r.outcome in PROBLEMS]
    bad.sort(key=lambda r: (severity_rank(r.outcome),
                            TIERS.index(clause_info(results, r.clause).level.tier)))
    rows = []
    for r in bad:
        info = clause_info(results, r.clause)
        name = f"[{cell(info.id)}]({info.link})" if info.link else cell(info.id)
        rows.append(f"| {r.outcome.glyph} {r.outcome.value} | {name} | {info.level.value} | "
                    f"{cell(r.implementation)} | {cell(gist(r))} |")
    return rows


def render_capped(results: Results, max_bytes: int = MAX_BYTES) -> str:
    code = int(exit_code(results))
    out = ["## oci-conform results", "",
           f"**{_VERDICTS.get(code, str(code))}** (exit code {code}) · oci-conform "
           f"{results.tool_version} · catalog {results.catalog_version} · {results.started}", ""]
    out += _summary_table(results)
    for problem in results.harness_errors:
        out.append("")
        out.append(f"> **harness error:** {cell(problem, 1000)}")
    rows = _problem_rows(results)
    if rows:
        out += ["", f"### Problems ({len(rows)})", "",
                "| outcome | clause | level | implementation | reason |", "|---|---|---|---|---|"]
    text = "\n".join(out) + "\n"
    used = len(text.encode("utf-8"))
    reserve = 200  # room for the truncation note
    kept = 0
    for row in rows:
        size = len(row.encode("utf-8")) + 1
        if used + size + reserve > max_bytes:
            break
        text += row + "\n"
        used += size
        kept += 1
    if kept < len(rows):
        text += (f"\n_{len(rows) - kept} more problem rows left out to stay under GitHub's "
                 "step-summary size limit; see the HTML or JSON report._\n")
    return text


def render(results: Results) -> str:
    return render_capped(results)
