"""Hostile results and strings: every writer survives, every bad results file is one line.

- a lone surrogate in any string (finding, message, implementation name, evidence, harness
  error) crashes no writer: each format, results.json, stdout;
- a 100k-deep results file is refused in one line (exit 2), not a RecursionError;
- results that break the schema (unknown implementation names, malformed evidence) are refused
  by ``report render``, ``merge`` and ``diff`` with the JSON pointer, exit 2.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from oci_conform.model.evidence import Evidence, FileSpan, HttpExchange, ProcessRun
from oci_conform.model.outcome import Outcome
from oci_conform.model.results import CaseResult, Finding, Implementation, Results
from oci_conform.report import renderers
from oci_conform.results_file import load_results, save_results, write_output
from tests.report.conftest import sample_results

REPO = Path(__file__).resolve().parents[2]
S = "\ud800"           # a lone surrogate: what an undecodable file name turns into


def surrogate_results() -> Results:
    r = sample_results()
    name = "bad" + S
    r.implementations.append(Implementation(name, "runtime", "cmd" + S, "1" + S, reason=S))
    r.results.append(CaseResult(
        "rt.runtime.state.1", name, Outcome.FAIL, "case" + S, "msg" + S,
        [Finding("f" + S, "/x" + S, "e" + S, "a" + S, file="f" + S, line=1, column=2)],
        Evidence(runs=[ProcessRun(["runc" + S], 1, "o" + S, "e" + S)],
                 exchanges=[HttpExchange("GET", "http://h/" + S, 500, {"h": S}, {}, S, S)],
                 files=[FileSpan("p" + S, 1, 1, "/q" + S)], facts={"k" + S: "v" + S}),
        beyond_claim="newer" + S))
    r.harness_errors.append("harness" + S)
    return r


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run([sys.executable, "-m", "oci_conform", *args], capture_output=True,
                          text=True, errors="replace", timeout=120, env=env, check=False)


@pytest.mark.parametrize("fmt", sorted(renderers()))
def test_a_lone_surrogate_crashes_no_writer(tmp_path: Path, fmt: str) -> None:
    results = surrogate_results()
    text = renderers()[fmt](results)
    write_output(text, tmp_path / "out")
    data = (tmp_path / "out").read_bytes()
    data.decode("utf-8")                               # valid UTF-8 on disk
    assert b"\\ud800" in data or "\ufffd".encode() in data


def test_results_json_with_a_lone_surrogate_round_trips(tmp_path: Path) -> None:
    path = tmp_path / "r.json"
    save_results(path, surrogate_results())
    back = load_results(path)
    assert back.implementations[-1].name == "bad" + S


@pytest.mark.parametrize("fmt", sorted(renderers()))
def test_report_render_to_stdout_with_a_lone_surrogate(tmp_path: Path, fmt: str) -> None:
    path = tmp_path / "r.json"
    save_results(path, surrogate_results())
    proc = run_cli("report", "render", str(path), "--format", fmt)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr and proc.stdout


def _deep(depth: int) -> str:
    doc = sample_results().to_dict()
    text = json.dumps(doc)
    nested = "[" * depth + "]" * depth
    return text.replace('"hostname": "ci-1"', f'"hostname": {nested}', 1)


@pytest.mark.parametrize("action", [["render"], ["merge"], ["diff", "OTHER"]])
def test_a_100k_deep_results_file_is_refused_in_one_line(tmp_path: Path,
                                                         action: list[str]) -> None:
    path = tmp_path / "deep.json"
    path.write_text(_deep(100_000), encoding="utf-8")
    good = tmp_path / "good.json"
    save_results(good, sample_results())
    args = [str(good) if a == "OTHER" else a for a in action]
    proc = run_cli("report", args[0], *args[1:], str(path))
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.strip().splitlines() == [proc.stderr.strip()]
    assert "nested deeper than" in proc.stderr and "deep.json" in proc.stderr


def _broken(tmp_path: Path, edit: str) -> Path:
    doc = sample_results().to_dict()
    if edit == "unknown-implementation":
        doc["results"][0]["implementation"] = "nobody"
    elif edit == "evidence-argv":
        doc["results"][0]["evidence"] = {"runs": [{"argv": 5, "exit_code": 1}]}
    elif edit == "evidence-key":
        doc["results"][0]["evidence"] = {"invocations": []}
    path = tmp_path / f"{edit}.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


POINTERS = {"unknown-implementation": "/results/0/implementation",
            "evidence-argv": "/results/0/evidence/runs/0/argv",
            "evidence-key": "/results/0/evidence"}


@pytest.mark.parametrize("edit", sorted(POINTERS))
@pytest.mark.parametrize("action", ["render", "merge", "diff"])
def test_results_that_break_the_schema_are_refused(tmp_path: Path, edit: str,
                                                   action: str) -> None:
    bad = _broken(tmp_path, edit)
    good = tmp_path / "good.json"
    save_results(good, sample_results())
    args = {"render": [str(bad)], "merge": [str(good), str(bad)],
            "diff": [str(good), str(bad)]}[action]
    proc = run_cli("report", action, *args)
    assert proc.returncode == 2, proc.stdout[:300]
    line = proc.stderr.strip()
    assert len(line.splitlines()) == 1, line
    assert f"{bad}: not an oci-conform results file: {POINTERS[edit]}:" in line


def test_a_heap_of_containers_is_refused_before_it_is_parsed(tmp_path):
    """A 4 MB results file of two million nested arrays parsed to 226 MB before the schema
    refused it; a text denser in arrays and objects than any results file is refused unparsed
    (exit 2, one line), while a real results file of many entries still reads."""
    import subprocess
    import sys

    from oci_conform.jsonpos import MAX_OPENERS
    from oci_conform.results_file import OPENER_BYTES, ResultsFileError, parse_data
    heap = "[" + ",".join(["[]"] * (MAX_OPENERS + 1)) + "]"
    assert (MAX_OPENERS + 1) * OPENER_BYTES > len(heap)
    path = tmp_path / "heap.json"
    path.write_text(heap)
    proc = subprocess.run([sys.executable, "-m", "oci_conform", "report", "render", str(path),
                           "--format", "text"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and "refused unparsed" in proc.stderr, proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    entries = [{"clause": "c", "implementation": "i", "outcome": "pass", "case": f"x{n}",
                "message": "", "findings": [], "evidence": {}}
               for n in range(MAX_OPENERS // 2)]
    assert len(parse_data(json.dumps(entries))) == MAX_OPENERS // 2
    try:
        parse_data(heap)
    except ResultsFileError as exc:
        assert "arrays and objects" in str(exc)
    else:
        raise AssertionError("the heap was parsed")
