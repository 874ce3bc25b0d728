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
    BEYOND,
    PROBLEMS,
    clause_info,
    encode_output,
    gist,
    implementation_names,
    severity_rank,
    sorted_results,
)

FORMAT = "markdown"
DESCRIPTION = "Markdown summary table (GitHub step summary), size-capped"

MAX_BYTES = 1_000_000          # GitHub's limit is 1 MiB (1,048,576 bytes); keep a margin
_COLUMNS = (Outcome.PASS, Outcome.FAIL, Outcome.ERROR, Outcome.XPASS, Outcome.XFAIL,
            Outcome.SKIP, Outcome.NA)
_VERDICTS = {0: "conformant", 1: "nonconformant", 3: "harness error (results incomplete)",
             4: "nothing selected", 130: "interrupted by SIGINT (results incomplete)",
             143: "interrupted by SIGTERM (results incomplete)"}


def cell(text: object, limit: int = 300) -> str:
    """Text safe inside a Markdown table cell: one line, pipes escaped, bounded."""
    one = " ".join(str(text).split()).replace("|", "\\|")
    one = one.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return one if len(one) <= limit else one[: limit - 1] + "…"


def _summary_table(results: Results) -> list[str]:
    tallies = per_implementation(results)
    beyond = any(t.beyond for t in tallies.values())
    head = "| implementation | version | " + " | ".join(o.value for o in _COLUMNS) + \
        " | passed / judged |" + (f" {BEYOND} † |" if beyond else "")
    lines = [head, "|" + "---|" * (len(_COLUMNS) + 3 + beyond)]
    for name in implementation_names(results):
        impl = results.implementation(name)
        tally = tallies.get(name)
        counts = [str(tally.counts[o]) if tally else "0" for o in _COLUMNS]
        rate = f"{tally.passed}/{tally.judged}" if tally else "0/0"
        version = impl.version if impl else ""
        if impl and not impl.available:
            version = f"unavailable: {impl.reason}" if impl.reason else "unavailable"
        extra = f" {tally.beyond if tally else 0} |" if beyond else ""
        lines.append(f"| {cell(name)} | {cell(version)} | " + " | ".join(counts)
                     + f" | {rate} |{extra}")
    if beyond:
        lines += ["", f"† {BEYOND}: clauses newer than the version the implementation claims; "
                  "shown, not counted in passed / judged nor in the exit code."]
    return lines


def _problem_rows(results: Results) -> list[str]:
    bad = [r for r in sorted_results(results) if r.outcome in PROBLEMS]
    bad.sort(key=lambda r: (severity_rank(r.outcome),
                            TIERS.index(clause_info(results, r.clause).level.tier)))
    rows = []
    for r in bad:
        info = clause_info(results, r.clause)
        link = info.link.replace(" ", "%20").replace("(", "%28").replace(")", "%29")
        web = link.lower().startswith(("https://", "http://")) and "|" not in link
        name = f"[{cell(info.id)}]({link})" if web else cell(info.id)
        mark = f" † {BEYOND}" if r.beyond_claim else ""
        more = r.omitted_findings          # findings the judging core counted but did not keep
        reason = gist(r) + (f" (and {more} more findings)" if more else "")
        rows.append(f"| {r.outcome.glyph} {r.outcome.value}{mark} | {name} | {info.level.value} "
                    f"| {cell(r.implementation)} | {cell(reason)} |")
    return rows


class _Budget:
    """Lines appended while they fit in ``max_bytes`` (keeping room for the closing notes)."""

    RESERVE = 400

    def __init__(self, max_bytes: int):
        self.max_bytes = max_bytes
        self.lines: list[str] = []
        self.used = 0

    def add(self, line: str, reserve: int = RESERVE) -> bool:
        size = len(encode_output(line)) + 1
        if self.used + size + reserve > self.max_bytes:
            return False
        self.lines.append(line)
        self.used += size
        return True

    def add_rows(self, rows: list[str], what: str, ceiling: int | None = None) -> None:
        """As many rows as fit (below ``ceiling`` bytes), then a note saying how many were not."""
        kept = 0
        for row in rows:
            if ceiling is not None and self.used >= ceiling or not self.add(row):
                break
            kept += 1
        if kept < len(rows):
            self.add("", 0)
            self.add(f"_{len(rows) - kept} more {what} left out to stay under GitHub's "
                     "step-summary size limit; see the HTML or JSON report._", 0)


def render_capped(results: Results, max_bytes: int = MAX_BYTES) -> str:
    code = int(exit_code(results))
    out = _Budget(max_bytes)
    for line in ("## oci-conform results", "",
                 f"**{_VERDICTS.get(code, str(code))}** (exit code {code}) · oci-conform "
                 f"{cell(results.tool_version)} · catalog {cell(results.catalog_version)} · "
                 f"{cell(results.started)}", ""):
        out.add(line, 0)
    table = _summary_table(results)
    out.add_rows(table, "implementation rows", ceiling=max_bytes // 2)
    if not results.complete:
        out.add("")
        out.add_rows([f"> **incomplete:** {cell(p, 1000)}  "
                      for p in results.incomplete_reasons()], "harness errors")
    rows = _problem_rows(results)
    if rows:
        for line in ("", f"### Problems ({len(rows)})", "",
                     "| outcome | clause | level | implementation | reason |",
                     "|---|---|---|---|---|"):
            out.add(line)
        out.add_rows(rows, "problem rows")
    return "\n".join(out.lines) + "\n"


def render(results: Results) -> str:
    return render_capped(results)
