"""SARIF renderer: valid SARIF 2.1.0, one rule per clause, levels, locations, fingerprints."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from oci_conform.model.outcome import Level, Outcome
from oci_conform.model.results import CaseResult, ClauseInfo, Finding, Implementation, Results
from oci_conform.report import sarif
from tests.report.conftest import sample_results, shared_file


def _validator():
    import jsonschema
    schema = json.loads(shared_file("sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def _problems(doc: dict) -> list[str]:
    return [f"{list(e.absolute_path)}: {e.message}" for e in _validator().iter_errors(doc)]


def test_valid_sarif(results: Results) -> None:
    doc = json.loads(sarif.render(results))
    assert _problems(doc) == []
    run = doc["runs"][0]
    # Only findings located in files: the two with file set (runc's config.json and a blob).
    assert sorted(r["ruleId"] for r in run["results"]) == ["img.config.created.1",
                                                             "rt.config.process.1"]
    rules = {r["id"]: r for r in run["tool"]["driver"]["rules"]}
    assert rules["rt.config.process.1"]["defaultConfiguration"]["level"] == "warning"
    assert rules["img.config.created.1"]["defaultConfiguration"]["level"] == "note"
    assert rules["rt.config.process.1"]["helpUri"].startswith("https://example.invalid/")
    for r in run["results"]:
        assert run["tool"]["driver"]["rules"][r["ruleIndex"]]["id"] == r["ruleId"]


def test_levels_follow_the_clause_level() -> None:
    assert [sarif.sarif_level(lv) for lv in Level] == ["error", "error", "warning", "warning",
                                                       "note"]


def test_empty_results_are_still_valid() -> None:
    empty = Results("0.1.0", "c", "2026-11-29T10:00:00Z")
    doc = json.loads(sarif.render(empty))
    assert _problems(doc) == [] and doc["runs"][0]["results"] == []


def test_fingerprints_are_stable_and_ignore_line_moves(results: Results) -> None:
    first = json.loads(sarif.render(results))["runs"][0]["results"]
    moved = sample_results()
    for r in moved.results:
        r.findings = [Finding(**{**f.__dict__, "line": f.line + 10}) if f.file else f
                      for f in r.findings]
    moved.results.reverse()
    second = json.loads(sarif.render(moved))["runs"][0]["results"]
    prints = lambda rs: sorted(r["partialFingerprints"][sarif.FINGERPRINT_KEY] for r in rs)  # noqa: E731
    assert prints(first) == prints(second)
    assert len(set(prints(first))) == len(first)


def test_xfail_is_suppressed_and_unknown_clause_gets_a_rule() -> None:
    res = Results("0.1.0", "c", "2026-11-29T10:00:00Z",
                  implementations=[Implementation("img", "image")],
                  results=[CaseResult("img.x.1", "img", Outcome.XFAIL, message="known",
                                      findings=[Finding("bad", "/a", file="/abs path/m.json",
                                                        line=2, column=3)],
                                      expectation="tracked upstream")])
    doc = json.loads(sarif.render(res))
    assert _problems(doc) == []
    result = doc["runs"][0]["results"][0]
    assert result["suppressions"][0]["justification"] == "tracked upstream"
    assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == \
        "file:///abs%20path/m.json"
    assert doc["runs"][0]["tool"]["driver"]["rules"][0]["id"] == "img.x.1"


CONFIG = {"ociVersion": "1.0.2", "process": {"cwd": "tmp", "args": ["sh", "-c", "true"],
                                             "env": ["A=1", "B=2"]},
          "root": {"path": "rootfs", "readonly": True}}


@pytest.mark.parametrize("style", ["pretty", "minified"])
def test_line_and_column_point_at_the_value(tmp_path: Path, style: str) -> None:
    jsonpos = pytest.importorskip("oci_conform.jsonpos")
    text = json.dumps(CONFIG, indent=4) if style == "pretty" else json.dumps(CONFIG,
                                                                            separators=(",", ":"))
    path = tmp_path / "config.json"
    path.write_text(text, encoding="utf-8")
    pointers = {"/process/cwd": '"tmp"', "/process/env/1": '"B=2"', "/root/readonly": "true"}
    findings = []
    index = jsonpos.PositionIndex(text)
    for pointer in pointers:
        pos = index.position(pointer)
        assert pos is not None, pointer
        findings.append(Finding(f"problem at {pointer}", pointer, file=str(path), line=pos[0],
                                column=pos[1]))
    clause = ClauseInfo("rt.config.process.1", "runtime-spec", "config", "", Level.MUST, "s", "")
    res = Results("0.1.0", "c", "2026-11-29T10:00:00Z", clauses={clause.id: clause},
                  implementations=[Implementation("bundle", "config")],
                  results=[CaseResult(clause.id, "bundle", Outcome.FAIL, findings=findings)])
    doc = json.loads(sarif.render(res))
    assert _problems(doc) == []
    lines = text.splitlines()
    for result in doc["runs"][0]["results"]:
        region = result["locations"][0]["physicalLocation"]["region"]
        pointer = result["properties"]["pointer"]
        at = lines[region["startLine"] - 1][region["startColumn"] - 1:]
        assert at.startswith(pointers[pointer]), (style, pointer, at[:20])
    if style == "minified":
        assert {r["locations"][0]["physicalLocation"]["region"]["startLine"]
                for r in doc["runs"][0]["results"]} == {1}
