"""``config validate`` of many files: the streamed results document is the whole-run one,
and memory does not grow with the number of files in any streamed format."""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from oci_conform.cli import main
from oci_conform.commands.config import _finish, combine, validate_path
from oci_conform.model.verdict import exit_code

from .helpers import BAD, FIXTURES, GOOD, REPO

STATE = sorted((FIXTURES / "state").rglob("*.json"))
FEATURES = sorted((FIXTURES / "features").rglob("*.json"))
PROVENANCE = ("started", "finished", "command", "host")


def _whole(paths: list[str], kind: str) -> tuple[dict, int]:
    """The document and exit code as the whole-run path makes them: every file's outcomes
    in one Results, finished once."""
    from oci_conform.checks.runtime_config.catalog_cache import runtime_catalog
    from oci_conform.commands.config import _new_results
    catalog = runtime_catalog()
    results = _new_results(argparse.Namespace(argv=[]), catalog)
    versions = []
    for path in paths:
        outcomes, impl, error = validate_path(path, kind, None, None)
        assert not error
        results.implementations.append(impl)
        results.results.extend(outcomes)
        versions += [impl.spec_version] if impl.spec_version else []
    _finish(results, catalog, versions, None)
    return results.to_dict(), exit_code(results)


def _without_provenance(doc: dict) -> dict:
    return {k: v for k, v in doc.items() if k not in PROVENANCE}


@pytest.mark.parametrize("kind, paths", [
    ("config", sorted(GOOD.glob("*.json")) + sorted(BAD.glob("*.json"))),
    ("state", STATE), ("features", FEATURES)], ids=["config", "state", "features"])
def test_streamed_document_is_the_whole_run_document(tmp_path, kind, paths) -> None:
    names = [str(p) for p in paths]
    assert len(names) > 5
    out, saved = tmp_path / "out.json", tmp_path / "results.json"
    code = main(["config", "validate", "--kind", kind, *names, "--format", "json",
                 "-o", str(out), "--results", str(saved)])
    whole, whole_code = _whole(names, kind)
    streamed = json.loads(out.read_text())
    assert json.loads(saved.read_text()) == streamed
    assert code == whole_code
    assert _without_provenance(streamed) == _without_provenance(whole)
    assert len(streamed["results"]) == len(whole["results"]) > len(names)


def test_streamed_text_with_results_file_keeps_both(tmp_path) -> None:
    """Text goes out file by file while the results document is spooled; one run, both."""
    names = [str(GOOD / "full.json"), str(BAD / "rt.config.process.9.json")]
    saved = tmp_path / "r.json"
    assert main(["config", "validate", *names, "--results", str(saved),
                 "-o", str(tmp_path / "out.txt")]) == 1
    doc = json.loads(saved.read_text())
    assert [i["name"] for i in doc["implementations"]] == names
    assert _without_provenance(doc) == _without_provenance(_whole(names, "config")[0])
    assert (tmp_path / "out.txt").read_text().endswith("(exit 1); 2 files\n")


def test_json_to_a_device_is_written_in_place(tmp_path) -> None:
    """-o /dev/null: written in place, never a file renamed over the device node."""
    before = os.stat("/dev/null")
    assert main(["config", "validate", str(GOOD / "full.json"), "--format", "json",
                 "-o", "/dev/null"]) == 0
    after = os.stat("/dev/null")
    assert (before.st_ino, before.st_rdev) == (after.st_ino, after.st_rdev)


def test_a_bad_path_leaves_no_partial_results(tmp_path) -> None:
    saved = tmp_path / "r.json"
    assert main(["config", "validate", str(GOOD / "full.json"), str(tmp_path / "absent.json"),
                 "--format", "json", "-o", str(tmp_path / "o.json"),
                 "--results", str(saved)]) == 2
    assert not saved.exists() and not (tmp_path / "o.json").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_combine_matches_the_whole_run_rule() -> None:
    assert combine([0, 1, 4]) == 1 and combine([0, 3, 1]) == 3 and combine([4, 0]) == 0
    assert combine([4, 4]) == 4


PROBE = """
import resource, sys
from oci_conform.cli import main
code = main(["config", "validate", *sys.argv[1:]])
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, code, file=sys.stderr)
"""


def _peak_kib(args: list[str]) -> tuple[int, int]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run([sys.executable, "-c", PROBE, *args], stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, text=True, env=env, timeout=600, check=False)
    peak, code = done.stderr.strip().splitlines()[-1].split()
    return int(peak), int(code)


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_peak_memory_does_not_grow_with_the_files(tmp_path, fmt) -> None:
    """20 files against 200 (good and bad configs), with the results file as well: the
    peak RSS is the same within noise. Keeping every file's outcomes, as the whole-run
    path does, grows it by more than 20 MiB here."""
    pool = [GOOD / "full.json", BAD / "rt.config.process.9.json", GOOD / "windows-hyperv.json"]
    paths = []
    for i in range(200):
        path = tmp_path / f"c{i:03d}.json"
        path.write_bytes(pool[i % len(pool)].read_bytes())
        paths.append(str(path))
    out = ["--format", fmt, "-o", str(tmp_path / "out"), "--results", str(tmp_path / "r.json")]
    few, few_code = _peak_kib([*paths[:20], *out])
    many, many_code = _peak_kib([*paths, *out])
    assert few_code == many_code == 1
    assert many - few < 6 * 1024, (few, many)
    doc = json.loads(Path(tmp_path / "r.json").read_text())
    assert len(doc["implementations"]) == 200


@pytest.mark.parametrize("fail_on", ["must", "may"])
def test_streamed_tap_is_the_whole_run_tap_with_the_plan_last(tmp_path, fail_on) -> None:
    """TAP 14 file by file: the whole-run report's lines, the plan moved to the end (these
    files' failures are judged by one release, so their spec links agree too)."""
    from oci_conform.model.results import Results
    from oci_conform.report import render
    names = [str(p) for p in sorted(GOOD.glob("*.json"))[:4] + sorted(BAD.glob("*.json"))[:6]]
    out = tmp_path / "out.tap"
    code = main(["config", "validate", *names, "--format", "tap", "--fail-on", fail_on,
                 "-o", str(out)])
    whole_doc, _ = _whole(names, "config")
    whole = Results.from_dict(whole_doc)
    assert code == exit_code(whole, fail_on)
    lines = render(whole, "tap", fail_on=fail_on).splitlines()
    assert lines[1] == f"1..{len(names)}"
    assert out.read_text().splitlines() == [lines[0], *lines[2:], lines[1]]


def test_expectations_apply_file_by_file(tmp_path) -> None:
    """--expectations in a streamed run: the document equals the whole run with the same
    expectations applied, and the exit code follows (every failure expected: 0)."""
    from oci_conform.model.expectations import apply_expectations, parse_expectations
    from oci_conform.model.results import Results
    bad = str(BAD / "rt.config.process.9.json")
    names = [str(GOOD / "full.json"), bad]
    whole_doc, _ = _whole(names, "config")
    failing = sorted({r["clause"] for r in whole_doc["results"] if r["outcome"] == "fail"})
    assert failing
    text = json.dumps({"expectations": [
        {"implementation": bad, "clause": c, "reason": "known"} for c in failing]})
    (tmp_path / "exp.json").write_text(text)
    out = tmp_path / "out.json"
    code = main(["config", "validate", *names, "--format", "json", "-o", str(out),
                 "--expectations", str(tmp_path / "exp.json")])
    whole = apply_expectations(Results.from_dict(whole_doc),
                               list(parse_expectations(text, "exp.json")))
    streamed = json.loads(out.read_text())
    assert code == exit_code(whole) == 0
    assert _without_provenance(streamed) == _without_provenance(whole.to_dict())
    assert {r["outcome"] for r in streamed["results"] if r["clause"] in failing
            and r["implementation"] == bad} == {"xfail"}
