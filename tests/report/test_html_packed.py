"""A large report packs its evidence per clause row; the page unpacks a row when it is opened.

- past ``INLINE_CASES_MAX`` characters the island holds one base64 zlib stream per row,
  which decodes to exactly the cases an inline page holds (hostile strings included);
- in a real Chromium the packed page shows the same evidence as the inline page, for a
  runtime cell, an HTTP cell and a cell opened from its link;
- the page of a 50-job merge (packed) stays far smaller than its evidence.
"""
from __future__ import annotations

import base64
import json
import re
import zlib
from pathlib import Path
from typing import Any

import pytest

from oci_conform.model.results import CaseResult, Implementation
from oci_conform.report import html as html_report
from tests.report.conftest import sample_results
from tests.report.test_html_browser import _hostile, browser_context  # noqa: F401

ISLAND = re.compile(r'<script type="application/json" id="report-data">(.*?)</script>', re.S)


def _island(page: str) -> dict:
    return json.loads(ISLAND.search(page).group(1))


def _unpacked(data: dict) -> dict[str, list]:
    cases = {}
    for i, text in enumerate(data["zcases"]):
        if text:
            row = json.loads(zlib.decompress(base64.b64decode(text)))
            cases.update({f"{i},{j}": v for j, v in row.items()})
    return cases


def test_packed_rows_hold_exactly_the_inline_cases(monkeypatch: pytest.MonkeyPatch) -> None:
    inline = _island(html_report.render(_hostile()))
    assert "zcases" not in inline and inline["cases"]
    monkeypatch.setattr(html_report, "INLINE_CASES_MAX", 0)
    packed = _island(html_report.render(_hostile()))
    assert packed["cases"] == {} and len(packed["zcases"]) == len(packed["clauses"])
    assert _unpacked(packed) == inline["cases"]


def test_a_merge_of_many_jobs_packs_small() -> None:
    results = sample_results()
    base = list(results.results)
    for job in range(120):                   # the same evidence in 120 more columns
        for r in base:
            copy = json.loads(json.dumps(r.to_dict()))
            copy["implementation"] = f"job{job}:{r.implementation}"
            results.results.append(CaseResult.from_dict(copy))
            if results.implementation(copy["implementation"]) is None:
                results.implementations.append(Implementation(copy["implementation"], "x"))
    for r in results.results:
        r.evidence.facts = {"log": "line of a long log\n" * 200}
    data = _island(html_report.render(results))
    cases_text = sum(len(json.dumps(v)) for v in _unpacked(data).values()) if "zcases" in data \
        else len(json.dumps(data["cases"]))
    packed_text = sum(map(len, data.get("zcases", [])))
    assert "zcases" in data, cases_text
    assert packed_text * 10 < cases_text


CELLS = ["#matrix-body tr.row:has(.clause-id:text-is('rt.runtime.state.1')) td.c1",
         "#matrix-body tr.row:has(.clause-id:text-is('dist.pull.manifest.1')) td.c2"]


def _panel_texts(ctx: Any, path: Path) -> list[str]:
    page = ctx.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    texts = []
    try:
        page.goto(path.as_uri())
        page.wait_for_selector("body[data-ready=true]", timeout=30_000)
        for cell in CELLS:
            page.click(cell)
            page.wait_for_selector("#panel[data-cases=shown]", timeout=10_000)
            texts.append(page.locator("#panel").inner_text())
            page.click("#panel-close")
        page.goto(path.as_uri() + "?cell=rt.config.process.1%40crun")
        page.wait_for_selector("#panel[data-cases=shown]", timeout=10_000)
        texts.append(page.locator("#panel").inner_text())
    finally:
        page.close()
    assert errors == []
    return texts


def test_packed_page_shows_the_same_evidence(browser_context: Any, tmp_path: Path,  # noqa: F811
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    inline, packed = tmp_path / "inline.html", tmp_path / "packed.html"
    inline.write_text(html_report.render(_hostile()), encoding="utf-8")
    monkeypatch.setattr(html_report, "INLINE_CASES_MAX", 0)
    packed.write_text(html_report.render(_hostile()), encoding="utf-8")
    want = _panel_texts(browser_context, inline)
    got = _panel_texts(browser_context, packed)
    assert got == want
    assert "container <c1> does not exist" in got[0] and "MANIFEST_UNKNOWN" in got[1]
    assert "<img src=x onerror=alert(1)>" in got[2]
