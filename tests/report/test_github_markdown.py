"""GitHub annotations (order, cap, escaping, step summary) and the Markdown summary (size cap)."""
from __future__ import annotations

import re
from pathlib import Path

from oci_conform.model.outcome import Level, Outcome
from oci_conform.model.results import CaseResult, ClauseInfo, Finding, Implementation, Results
from oci_conform.report import github, markdown

ANNOTATION = re.compile(r"^::(error|warning|notice) ([^:]*)::(.*)$")


def _parse(text: str) -> list[tuple[str, dict[str, str], str]]:
    out = []
    for line in text.splitlines():
        m = ANNOTATION.match(line)
        assert m, f"not a workflow command: {line!r}"
        props = dict(p.split("=", 1) for p in m.group(2).split(","))
        out.append((m.group(1), props, m.group(3)))
    return out


def test_most_severe_first_with_file_and_line(results: Results) -> None:
    found = _parse(github.render(results))
    kinds = [k for k, _, _ in found]
    assert kinds == sorted(kinds, key=["error", "warning", "notice"].index)
    located = [p for _, p, _ in found if "file" in p]
    assert {"file": "bundle/config.json", "line": "7", "col": "12"}.items() <= located[0].items()
    assert all("\n" not in m for _, _, m in found)
    assert any("%0A" in m for _, _, m in found)          # newlines are escaped, not dropped


def test_capped_with_a_notice_saying_how_many_more() -> None:
    clause = ClauseInfo("c.1", "image-spec", "manifest", "", Level.MUST, "s", "")
    should = ClauseInfo("c.2", "image-spec", "manifest", "", Level.SHOULD, "s", "")
    rows = [CaseResult("c.2", "i", Outcome.FAIL, case=f"w{n}") for n in range(60)]
    rows += [CaseResult("c.1", "i", Outcome.FAIL, case=f"e{n}",
                        findings=[Finding("m", file="a,b:c.json", line=n + 1)]) for n in range(5)]
    res = Results("0.1.0", "c", "t", implementations=[Implementation("i", "image")],
                  clauses={"c.1": clause, "c.2": should}, results=rows)
    found = _parse(github.render(res, limit=10))
    assert len(found) == 11
    assert [k for k, _, _ in found[:5]] == ["error"] * 5      # the MUST failures survive the cap
    assert found[0][1]["file"] == "a%2Cb%3Ac.json"
    assert found[-1][0] == "notice" and "55 more annotations" in found[-1][2]


def test_clean_run_says_so() -> None:
    res = Results("0.1.0", "c", "t", results=[CaseResult("x", "i", Outcome.PASS)])
    (kind, _, message), = _parse(github.render(res))
    assert kind == "notice" and "no problems in 1 results" in message


def test_step_summary_is_appended_when_the_variable_is_set(results: Results,
                                                            tmp_path: Path) -> None:
    assert github.write_step_summary(results, env={}) is None
    target = tmp_path / "summary.md"
    target.write_text("earlier step\n")
    assert github.write_step_summary(results, env={"GITHUB_STEP_SUMMARY": str(target)}) == target
    text = target.read_text()
    assert text.startswith("earlier step\n") and "## oci-conform results" in text


def test_markdown_table_and_escaping(results: Results) -> None:
    text = markdown.render(results)
    assert "| runc | 1.1.5 | 1 | 2 | 0 | 0 | 1 | 0 | 1 | 2/4 |" in text
    assert "| youki | unavailable: not installed |" in text
    assert "<script>" not in text and "&lt;script&gt;" in text
    problems = text.split("### Problems")[1]
    assert problems.index("✗ fail") < problems.index("X xpass") < problems.index("! error")


def test_markdown_stays_under_the_size_limit() -> None:
    clause = ClauseInfo("c.1", "image-spec", "manifest", "", Level.MUST, "s", "")
    rows = [CaseResult("c.1", f"impl{n}", Outcome.FAIL, message="x" * 250) for n in range(3000)]
    res = Results("0.1.0", "c", "t", clauses={"c.1": clause}, results=rows)
    text = markdown.render_capped(res, max_bytes=50_000)
    assert len(text.encode()) <= 50_000
    m = re.search(r"_(\d+) more problem rows left out", text)
    assert m and 0 < int(m.group(1)) < 3000
    kept = text.count("| ✗ fail |")
    assert kept + int(m.group(1)) == 3000
    assert len(markdown.render(res).encode()) <= markdown.MAX_BYTES
