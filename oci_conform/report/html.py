"""The HTML report: one self-contained page (CSS, script and data inline, no network request).

The summary and provenance are rendered by Jinja2 (autoescaping on); the matrix is built in
the browser from a JSON island (``<script type="application/json">``) so a 2,000 x 10 matrix
stays a small file; only the rows near the viewport are in the DOM. The CSS and script live
in ``templates/`` and are read at render time and inlined.

Evidence is most of a large report (a merge of 50 CI jobs holds 100 MB of it). Past
``INLINE_CASES_MAX`` characters the cases of each clause row are stored as one zlib
stream in base64 (``zcases``; evidence repeats across columns, so it shrinks ~20x), which
the page inflates with the browser's own ``DecompressionStream`` when a cell of that row is
opened: the page parses only what it shows.
"""
from __future__ import annotations

import base64
import json
import zlib
from collections import Counter
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from oci_conform.model.evidence import Evidence, HttpExchange
from oci_conform.model.outcome import SEVERITY, TIERS, Level, Outcome
from oci_conform.model.results import CaseResult, Results
from oci_conform.model.rollup import Tally, beyond_cells, cell_outcomes
from oci_conform.model.verdict import exit_code
from oci_conform.report._shared import (
    BEYOND,
    clause_info,
    clause_sort_key,
    implementation_names,
    more_findings,
    tail,
)

FORMAT = "html"
DESCRIPTION = "self-contained HTML matrix with filters and evidence"

TEMPLATES = Path(__file__).parent / "templates"
OUTCOMES = [Outcome.PASS, Outcome.FAIL, Outcome.ERROR, Outcome.XPASS, Outcome.XFAIL,
            Outcome.SKIP, Outcome.NA]
LEVELS = [level.value for level in Level]
MAX_TEXT = 4000          # characters of any one evidence text kept in the page
MAX_FINDINGS = 50
MAX_HTTP = 20
INLINE_CASES_MAX = 4_000_000    # characters of case JSON kept inline; beyond, rows compressed
VERDICTS = {0: "conformant", 1: "nonconformant", 2: "usage error",
            3: "harness error: results incomplete", 4: "nothing selected",
            130: "interrupted (SIGINT): results incomplete",
            143: "interrupted (SIGTERM): results incomplete"}


@lru_cache(maxsize=1)
def _environment() -> Environment:
    return Environment(loader=FileSystemLoader(str(TEMPLATES)),
                       autoescape=select_autoescape(default=True, default_for_string=True),
                       trim_blocks=True, lstrip_blocks=True)


def _asset(name: str, closing: str) -> Markup:
    """A CSS/JS file to inline; refuses text that would close its element early."""
    text = (TEMPLATES / name).read_text(encoding="utf-8")
    if closing in text.lower():
        raise ValueError(f"{name} contains {closing!r} and cannot be inlined")
    return Markup(text)


def json_island(data: Any) -> Markup:
    """JSON safe inside <script type="application/json">: no '<', '>', '&' or line separators."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    for raw, esc in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"),
                     ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(raw, esc)
    return Markup(text)


def safe_link(link: str) -> str:
    """Only http(s) links become clickable: a results file may come from anywhere."""
    return link if link.lower().startswith(("https://", "http://")) else ""


def _cut(value: Any, limit: int = MAX_TEXT) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    if len(text) <= limit:
        return text
    return text[:limit] + f"\n… ({len(text) - limit} more characters)"


def _http(exchanges: list[HttpExchange]) -> list[dict[str, Any]]:
    return [{"method": x.method, "url": _cut(x.url, 500), "status": x.status or x.error,
             "request_headers": _headers(x.request_headers),
             "response_headers": _headers(x.response_headers),
             "body": _cut(x.response_body, 2000) if x.response_body else ""}
            for x in exchanges[:MAX_HTTP]]


def _headers(value: Any) -> list[list[str]]:
    if isinstance(value, dict):
        return [[str(k), _cut(v, 500)] for k, v in value.items()][:50]
    return []


def _evidence(ev: Evidence) -> dict[str, Any]:
    """What the page shows of a case's evidence, every text bounded: the run a failure most
    likely came from in full, the exchanges, and the rest (other runs, facts) as text."""
    shown: dict[str, Any] = {}
    run = ev.last_run
    if run is not None:
        shown["argv"] = [_cut(str(a), 500) for a in run.argv[:200]]
        shown["exit_code"] = run.exit_code
        for key in ("stdout", "stderr"):
            if getattr(run, key):
                shown[key] = tail(getattr(run, key), 40, MAX_TEXT)
    for key in ("config", "replay", "kept"):
        if getattr(ev, key):
            shown[key] = _cut(getattr(ev, key))
    if ev.exchanges:
        shown["http"] = _http(ev.exchanges)
    rest: dict[str, Any] = {}
    if len(ev.runs) > 1:
        rest["runs"] = [r.line() for r in ev.runs]
    if ev.files:
        rest["files"] = [f.line_text() for f in ev.files]
    rest.update(ev.facts)
    if ev.omitted:
        rest["omitted"] = ev.omitted
    if rest:
        shown["other"] = _cut(json.dumps(rest, indent=1, ensure_ascii=False, default=str))
    return shown


def _case(r: CaseResult) -> dict[str, Any]:
    data: dict[str, Any] = {"o": OUTCOMES.index(r.outcome)}
    for key in ("case", "message", "expectation", "beyond_claim"):
        if getattr(r, key):
            data[key] = _cut(getattr(r, key), 1000)
    if r.duration:
        data["duration"] = round(r.duration, 3)
    if r.findings:
        data["findings"] = [{k: (_cut(v, 1000) if isinstance(v, str) else v)
                             for k, v in f.to_dict().items()} for f in r.findings[:MAX_FINDINGS]]
    more = more_findings(r, MAX_FINDINGS)
    if more:
        data["more_findings"] = more
    if r.evidence:
        data["evidence"] = _evidence(r.evidence)
    return data


Cells = dict[tuple[str, str], Outcome]


def page_data(results: Results, cells: Cells | None = None) -> dict[str, Any]:
    """The JSON the page script reads: clauses sorted, a cell matrix, the cases per cell."""
    impls = implementation_names(results)
    cells = cell_outcomes(results) if cells is None else cells
    ids = sorted({c for c, _ in cells} | set(results.clauses),
                 key=lambda c: clause_sort_key(results, c))
    row_of = {cid: n for n, cid in enumerate(ids)}
    col_of = {name: n for n, name in enumerate(impls)}
    clauses = []
    for cid in ids:
        info = clause_info(results, cid)
        clauses.append([cid, info.spec, info.document, info.section, LEVELS.index(info.level.value),
                        info.summary, safe_link(info.link), 1 if cid in results.clauses else 0])
    matrix = [[-1] * len(impls) for _ in ids]
    for (cid, impl), outcome in cells.items():
        matrix[row_of[cid]][col_of[impl]] = OUTCOMES.index(outcome)
    rows: dict[int, dict[int, list[dict[str, Any]]]] = {}
    for r in results.results:
        rows.setdefault(row_of[r.clause], {}).setdefault(col_of[r.implementation],
                                                         []).append(_case(r))
    beyond = sorted(f"{row_of[c]},{col_of[i]}" for c, i in beyond_cells(results))
    return {"beyond": beyond, "beyond_label": BEYOND, **_cases(rows, len(ids)),
            "outcomes": [o.value for o in OUTCOMES], "glyphs": [o.glyph for o in OUTCOMES],
            "severity": [SEVERITY.index(o) for o in OUTCOMES],
            "levels": LEVELS, "impls": [_impl(results, n) for n in impls], "clauses": clauses,
            "matrix": matrix}


def _cases(rows: dict[int, dict[int, list[dict[str, Any]]]], count: int) -> dict[str, Any]:
    """The cases of each cell: ``{"cases": {"i,j": [...]}}`` inline, or, past
    ``INLINE_CASES_MAX`` characters, ``{"cases": {}, "zcases": [...]}`` with one base64 zlib
    stream of ``{"j": [...]}`` per row ("" for a row without cases)."""
    texts = {i: json.dumps(row, ensure_ascii=False, separators=(",", ":"))
             for i, row in rows.items()}
    if sum(map(len, texts.values())) <= INLINE_CASES_MAX:
        return {"cases": {f"{i},{j}": cases for i, row in rows.items()
                          for j, cases in row.items()}}
    packed = [""] * count
    for i, text in texts.items():
        data = text.encode("utf-8", "backslashreplace")
        packed[i] = base64.b64encode(zlib.compress(data, 6)).decode("ascii")
    return {"cases": {}, "zcases": packed}


def _impl(results: Results, name: str) -> dict[str, Any]:
    impl = results.implementation(name)
    if impl is None:
        return {"name": name, "kind": "", "version": "", "available": True}
    return impl.to_dict()


_BAR_ORDER = (Outcome.PASS, Outcome.XFAIL, Outcome.XPASS, Outcome.FAIL, Outcome.ERROR)
_BAD = (Outcome.FAIL, Outcome.ERROR, Outcome.XPASS)


def _tier_row(tier: str, tiers: Counter[tuple[str, Outcome]]) -> dict[str, Any]:
    counts = {o: tiers[(tier, o)] for o in OUTCOMES}
    return {"tier": tier.upper(), "total": sum(counts.values()),
            "passed": counts[Outcome.PASS] + counts[Outcome.XFAIL],
            "judged": sum(n for o, n in counts.items() if o not in (Outcome.SKIP, Outcome.NA)),
            "bad": sum(counts[o] for o in _BAD)}


def _summary(results: Results, cells: Cells) -> list[dict[str, Any]]:
    """Per implementation: counts by outcome, by level tier, and the pass-rate bar segments."""
    tallies: dict[str, Tally] = {}
    by_tier: dict[str, Counter[tuple[str, Outcome]]] = {}
    tier_of = {cid: info.level.tier for cid, info in results.clauses.items()}
    beyond = beyond_cells(results)
    for (cid, impl), outcome in cells.items():
        tallies.setdefault(impl, Tally()).add(outcome, (cid, impl) in beyond)
        by_tier.setdefault(impl, Counter())[(tier_of.get(cid, "must"), outcome)] += 1
    cards = []
    for name in implementation_names(results):
        tally = tallies.get(name)
        counts = {o.value: (tally.counts[o] if tally else 0) for o in OUTCOMES}
        judged = tally.judged if tally else 0
        passed = tally.passed if tally else 0
        tiers = by_tier.get(name, Counter())
        cards.append({
            "impl": _impl(results, name), "counts": counts, "total": sum(counts.values()),
            "judged": judged, "passed": passed, "beyond": tally.beyond if tally else 0,
            "rate": (100.0 * passed / judged) if judged else None,
            # The bar is over judged cells only: skip and n/a say nothing about conformance.
            "segments": [(o.value, 100.0 * (counts[o.value] - tally.beyond_counts[o]) / judged)
                         for o in _BAR_ORDER
                         if tally and judged and counts[o.value] - tally.beyond_counts[o]],
            "tiers": [_tier_row(t, tiers) for t in TIERS],
        })
    return cards


def render(results: Results) -> str:
    code = int(exit_code(results))
    cells = cell_outcomes(results)
    specs = {clause_info(results, c).spec for c in {c for c, _ in cells}}
    template = _environment().get_template("report.html.j2")
    return template.render(
        results=results, verdict=VERDICTS.get(code, str(code)), code=code,
        cards=_summary(results, cells), outcomes=[(o.value, o.glyph) for o in OUTCOMES],
        levels=LEVELS, specs=sorted(specs | {c.spec for c in results.clauses.values()}),
        css=_asset("report.css", "</style"), script=_asset("report.js", "</script"),
        data=json_island(page_data(results, cells)))
