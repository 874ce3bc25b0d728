"""HTML renderer without a browser: self-contained, escaped, data island round trip."""
from __future__ import annotations

import html
import json
import re

from oci_conform.model.evidence import Evidence, HttpExchange, ProcessRun
from oci_conform.model.outcome import Outcome
from oci_conform.model.results import CaseResult, Results
from oci_conform.report import html as html_report

ISLAND = re.compile(r'<script type="application/json" id="report-data">(.*?)</script>', re.S)


def test_self_contained_no_external_reference(results: Results) -> None:
    page = html_report.render(results)
    assert not re.search(r'<(script|link|img|iframe)[^>]+(src|href)=', page)
    assert "@import" not in page and "url(" not in page
    assert "default-src 'none'" in page                       # CSP blocks any request
    assert page.count("<script") == 2


def test_hostile_text_is_escaped(results: Results) -> None:
    results.implementations[0].command = '</script><script>alert("cmd")</script>'
    results.results[5].message = "</script><img src=x onerror=alert(1)>"
    page = html_report.render(results)
    assert "<img src=x" not in page
    assert page.count("</script>") == 2
    data = json.loads(ISLAND.search(page).group(1))
    assert data["impls"][0]["command"] == results.implementations[0].command
    messages = [c.get("message") for cs in data["cases"].values() for c in cs]
    assert "</script><img src=x onerror=alert(1)>" in messages


def test_island_matches_the_results(results: Results) -> None:
    data = json.loads(ISLAND.search(html_report.render(results)).group(1))
    ids = [c[0] for c in data["clauses"]]
    assert "dist.pull.ghost.9" in ids and data["clauses"][ids.index("dist.pull.ghost.9")][7] == 0
    names = [i["name"] for i in data["impls"]]
    for r in results.results:
        o = data["matrix"][ids.index(r.clause)][names.index(r.implementation)]
        assert data["outcomes"][o] == r.outcome.value


def test_summary_and_provenance_are_in_the_page(results: Results) -> None:
    results.harness_errors = ["registry suite <crashed>"]
    page = html_report.render(results)
    assert "Harness errors" in page and html.escape("registry suite <crashed>") in page
    assert "50%" in page and ">2/4<" in page                    # runc: passed / judged
    assert "/usr/sbin/runc" in page and "ci-1" in page and "2026.11" in page


def test_evidence_is_bounded() -> None:
    huge = "x" * 1_000_000
    res = Results("0.1.0", "c", "2026-11-29T10:00:00Z", results=[
        CaseResult("a.1", "i", Outcome.ERROR, message=huge,
                   evidence=Evidence(
                       runs=[ProcessRun(["rt", huge], 1, stderr=huge, stdout=huge)] * 30,
                       exchanges=[HttpExchange("GET", "u", 500, response_body=huge)] * 100,
                       facts={"blob": huge}))])
    assert len(html_report.render(res)) < 200_000


def test_every_renderer_copes_with_empty_results() -> None:
    from oci_conform.report import renderers
    empty = Results("0.1.0", "c", "2026-11-29T10:00:00Z")
    for fmt, render in renderers().items():
        assert render(empty), fmt
    data = json.loads(ISLAND.search(html_report.render(empty)).group(1))
    assert data["clauses"] == [] and data["impls"] == []


def test_only_http_links_are_kept(results: Results) -> None:
    from dataclasses import replace
    info = results.clauses["rt.runtime.state.1"]
    results.clauses[info.id] = replace(info, link="javascript:alert(1)")
    data = json.loads(ISLAND.search(html_report.render(results)).group(1))
    links = {c[0]: c[6] for c in data["clauses"]}
    assert links["rt.runtime.state.1"] == ""
    assert links["rt.runtime.state.2"].startswith("https://")


def test_every_renderer_bounds_huge_evidence() -> None:
    from oci_conform.report import renderers
    huge = "y" * 1_000_000
    res = Results("0.1.0", "c", "2026-11-29T10:00:00Z", results=[
        CaseResult("a.1", "i", Outcome.FAIL, message="m", evidence=Evidence(
            runs=[ProcessRun(["rt", huge], 1, stderr=huge)],
            exchanges=[HttpExchange("GET", "u" + huge, 500, response_body=huge)]))])
    for fmt, render in renderers().items():
        if fmt != "json":                   # the canonical document keeps what it was given
            assert len(render(res)) < 100_000, fmt
