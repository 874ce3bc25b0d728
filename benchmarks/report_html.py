"""Benchmark the HTML report on a synthetic 2,000 clauses x 10 implementations matrix.

Prints medians of several runs of:
- render time (Python, Results -> HTML text), against json.dumps of the same results;
- page load in headless Chromium (navigation start -> matrix fully built), against loading a
  plain static HTML table of the same size (navigation start -> load event);
- filter time (outcome = fail, then a text search, then the outcome filter again; until layout
  is done), against a naive loop hiding the rows of the static table whose text lacks the word.

The data is SYNTHETIC (random outcomes with a fixed seed, every 7th failing cell with findings
and runtime evidence, every 11th with an HTTP exchange).

Usage: .venv/bin/python benchmarks/report_html.py [--clauses 2000] [--impls 10] [--runs 5]
Needs the Python package ``playwright`` and /usr/bin/chromium (no browser download).
"""
from __future__ import annotations

import argparse
import html
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

from oci_conform.model.evidence import Evidence, HttpExchange, ProcessRun
from oci_conform.model.outcome import Level, Outcome
from oci_conform.model.results import CaseResult, ClauseInfo, Finding, Implementation, Results
from oci_conform.report import html as html_report

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run", "--disable-sync"]
SPECS = {"image-spec": ["manifest", "config", "layer", "descriptor", "image-index", "image-layout"],
         "runtime-spec": ["config", "config-linux", "runtime", "runtime-linux", "bundle"],
         "distribution-spec": ["spec"], "docker": ["manifest-v2-2"], "appc": ["aci"]}
WEIGHTS = [(Outcome.PASS, 70), (Outcome.FAIL, 8), (Outcome.ERROR, 2), (Outcome.SKIP, 8),
           (Outcome.NA, 8), (Outcome.XFAIL, 3), (Outcome.XPASS, 1)]


def synthetic(n_clauses: int, n_impls: int, seed: int = 7) -> Results:
    rng = random.Random(seed)
    docs = [(s, d) for s, ds in SPECS.items() for d in ds]
    levels = list(Level)
    clauses = {}
    for n in range(n_clauses):
        spec, doc = docs[n % len(docs)]
        cid = f"{spec[:4]}.{doc}.rule-{n:05d}"
        clauses[cid] = ClauseInfo(cid, spec, doc, "", levels[n % len(levels)],
                                  f"synthetic rule {n} about {doc} fields and their values",
                                  f"https://example.invalid/{spec}/{doc}#rule-{n}")
    impls = [Implementation(f"impl-{k:02d}", "runtime", f"/usr/bin/impl-{k}", f"1.{k}.0")
             for k in range(n_impls)]
    outcomes, weights = [o for o, _ in WEIGHTS], [w for _, w in WEIGHTS]
    results = []
    for n, cid in enumerate(clauses):
        for k, impl in enumerate(impls):
            o = rng.choices(outcomes, weights)[0]
            r = CaseResult(cid, impl.name, o, case=f"case-{n % 97}", duration=rng.random() / 10)
            if o in (Outcome.FAIL, Outcome.ERROR) and (n + k) % 7 == 0:
                r.message = "value did not match"
                r.findings = [Finding("field has the wrong type", "/config/Env/0", "string",
                                      "number", file="blobs/sha256/abc", line=12, column=5)]
                r.evidence = Evidence.of(runs=[ProcessRun([impl.command, "state", "c1"], 1,
                                                          stderr="some error\n" * 30)])
            if (n + k) % 11 == 0:
                r.evidence.exchanges = [HttpExchange.recorded(
                    "GET", "http://127.0.0.1:5000/v2/", 200, request_headers={"Accept": "*/*"},
                    response_headers={"Docker-Distribution-Api-Version": "registry/2.0"},
                    response_body="{}")]
            results.append(r)
    return Results("0.1.0", "synthetic", "2026-11-29T10:00:00Z", "2026-11-29T10:30:00Z",
                   {"hostname": "bench"}, {s: "1.1.0" for s in SPECS}, impls, clauses, results)


def static_table(results: Results) -> str:
    """The baseline: the same matrix as a plain server-rendered HTML table, no script."""
    impls = [i.name for i in results.implementations]
    cells = {(r.clause, r.implementation): r.outcome for r in results.results}
    rows = []
    for cid, info in results.clauses.items():
        tds = "".join(f"<td>{cells[(cid, n)].glyph} {cells[(cid, n)].value}</td>" for n in impls)
        rows.append(f"<tr><td>{html.escape(cid)}<br>{html.escape(info.summary)}</td>"
                    f"<td>{info.level.value}</td>{tds}</tr>")
    head = "".join(f"<th>{n}</th>" for n in impls)
    return (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>baseline</title></head><body>"
            f"<table><thead><tr><th>clause</th><th>level</th>{head}</tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table></body></html>")


BASELINE_FILTER = """(word) => { const t0 = performance.now(); let n = 0;
  for (const tr of document.querySelectorAll('tbody tr')) {
    const keep = tr.textContent.includes(word); tr.hidden = !keep; n += keep; }
  document.body.offsetHeight; return [performance.now() - t0, n]; }"""
REPORT_FILTER = """(f) => { const t0 = performance.now(); const n = window.ociReport.setFilters(f);
  document.body.offsetHeight; return [performance.now() - t0, n]; }"""


def timed(fn, runs: int) -> tuple[float, object]:
    times, value = [], None
    for _ in range(runs):
        t0 = time.perf_counter()
        value = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), value


def browser_figures(report: Path, baseline: Path, runs: int) -> dict[str, float]:
    from playwright.sync_api import sync_playwright
    loads, base_loads, filters, warm, texts, base_filters = [], [], [], [], [], []
    with sync_playwright() as p, tempfile.TemporaryDirectory() as profile:
        ctx = p.chromium.launch_persistent_context(profile, executable_path=CHROMIUM, args=ARGS,
                                                   headless=True,
                                                   viewport={"width": 1400, "height": 900})
        page = ctx.new_page()
        for _ in range(runs):
            page.goto(report.as_uri())
            page.wait_for_selector("body[data-ready=true]", timeout=60_000)
            loads.append(float(page.get_attribute("body", "data-ready-at") or "nan"))
            filters.append(page.evaluate(REPORT_FILTER, {"outcome": ["fail"]})[0])
            texts.append(page.evaluate(REPORT_FILTER, {"outcome": [], "q": "rule-01"})[0])
            page.evaluate(REPORT_FILTER, {"q": ""})
            warm.append(page.evaluate(REPORT_FILTER, {"outcome": ["fail"]})[0])
            page.goto(baseline.as_uri(), wait_until="load")
            base_loads.append(page.evaluate(
                "performance.getEntriesByType('navigation')[0].loadEventEnd"))
            base_filters.append(page.evaluate(BASELINE_FILTER, "fail")[0])
        ctx.close()
    med = statistics.median
    return {"load_ms": med(loads), "baseline_load_ms": med(base_loads),
            "filter_outcome_ms": med(filters), "filter_text_ms": med(texts),
            "filter_warm_ms": med(warm),
            "baseline_filter_ms": med(base_filters)}


OPEN_CELL = """async () => { const td = document.querySelector('#matrix-body tr.row td.cell');
  const t0 = performance.now(); td.click();
  while (document.getElementById('panel').dataset.cases !== 'shown')
    await new Promise(r => setTimeout(r, 5));
  return performance.now() - t0; }"""


def page_figures(report: Path, runs: int) -> dict[str, list[float]]:
    """A report page in headless Chromium, ``runs`` fresh loads: time to interactive (ms from
    navigation start to the matrix built, ``data-ready-at``) and the time to show the first
    cell's evidence (unpacking its row when the page is packed)."""
    from playwright.sync_api import sync_playwright
    ready, opened = [], []
    with sync_playwright() as p, tempfile.TemporaryDirectory() as profile:
        ctx = p.chromium.launch_persistent_context(profile, executable_path=CHROMIUM, args=ARGS,
                                                   headless=True,
                                                   viewport={"width": 1400, "height": 900})
        page = ctx.new_page()
        for _ in range(runs):
            page.goto(report.as_uri())
            page.wait_for_selector("body[data-ready=true]", timeout=300_000)
            ready.append(float(page.get_attribute("body", "data-ready-at") or "nan"))
            opened.append(page.evaluate(OPEN_CELL))
        ctx.close()
    return {"interactive_ms": ready, "first_cell_ms": opened}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clauses", type=int, default=2000)
    ap.add_argument("--impls", type=int, default=10)
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args(argv)
    results = synthetic(args.clauses, args.impls)
    render_s, page = timed(lambda: html_report.render(results), args.runs)
    json_s, _ = timed(lambda: json.dumps(results.to_dict()), args.runs)
    with tempfile.TemporaryDirectory() as tmp:
        report, baseline = Path(tmp) / "report.html", Path(tmp) / "baseline.html"
        report.write_text(str(page), encoding="utf-8")
        baseline.write_text(static_table(results), encoding="utf-8")
        sizes = (report.stat().st_size, baseline.stat().st_size)
        figures = browser_figures(report, baseline, args.runs)
    print(f"synthetic matrix: {args.clauses} clauses x {args.impls} implementations "
          f"({len(results.results)} cells), medians of {args.runs} runs")
    print(f"render HTML     {render_s * 1000:8.1f} ms   (json.dumps of the results "
          f"{json_s * 1000:.1f} ms, ratio {render_s / json_s:.2f})")
    print(f"page size       {sizes[0] / 1e6:8.2f} MB   (static table {sizes[1] / 1e6:.2f} MB, "
          f"ratio {sizes[0] / sizes[1]:.2f})")
    print(f"page load       {figures['load_ms']:8.1f} ms   (static table "
          f"{figures['baseline_load_ms']:.1f} ms, ratio "
          f"{figures['load_ms'] / figures['baseline_load_ms']:.2f})")
    print(f"filter outcome  {figures['filter_outcome_ms']:8.1f} ms   (naive filter of the static "
          f"table {figures['baseline_filter_ms']:.1f} ms, ratio "
          f"{figures['filter_outcome_ms'] / figures['baseline_filter_ms']:.2f})")
    print(f"filter text     {figures['filter_text_ms']:8.1f} ms")
    print(f"filter again    {figures['filter_warm_ms']:8.1f} ms   (outcome filter once the rows "
          "were seen: no HTML to build)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
