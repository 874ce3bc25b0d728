"""``oci-conform expectations update|check`` on real runs of ``config validate`` over fixtures,
and the docs/ci.md example that chains them (run as written)."""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
GOOD = REPO / "fixtures/config/good/full.json"
BAD = REPO / "fixtures/config/bad/rt.config-linux.block-io.1.json"
FAILING = "rt.config.property-values"        # the clause BAD fails


def _env() -> dict[str, str]:
    return {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
            "PYTHONPATH": str(REPO)}


def cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "oci_conform", *map(str, args)], cwd=cwd,
                          capture_output=True, text=True, env=_env(), timeout=300, check=False)


def _bundle(tmp_path: Path, config: Path) -> Path:
    """bundle/config.json under tmp_path, a copy of ``config``; returns tmp_path."""
    (tmp_path / "bundle").mkdir(exist_ok=True)
    shutil.copy(config, tmp_path / "bundle/config.json")
    return tmp_path


def _validate(tmp_path: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return cli("config", "validate", "bundle/config.json", *extra, cwd=tmp_path)


def _entries(path: Path) -> list[dict[str, str]]:
    return list(json.loads(path.read_text(encoding="utf-8"))["expectations"])


def test_update_writes_per_case_entries_with_placeholders(tmp_path: Path) -> None:
    _bundle(tmp_path, BAD)
    assert _validate(tmp_path, "--results", "results.json").returncode == 1
    done = cli("expectations", "update", "results.json", "-o", "exp.json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    entries = _entries(tmp_path / "exp.json")
    assert entries and all(e["case"] and e["reason"] == "TODO: reason" for e in entries)
    assert FAILING in {e["clause"] for e in entries}
    assert all(e["implementation"] == "bundle/config.json" for e in entries)
    assert re.search(r"^new: bundle/config.json rt\.config\.property-values \[\S+\]: ",
                     done.stderr, re.M), done.stderr
    assert "wrote exp.json: " in done.stderr and "Traceback" not in done.stderr
    # the placeholders are accepted by a run, refused by check unless allowed
    assert _validate(tmp_path, "--expectations", "exp.json").returncode == 0
    checked = cli("expectations", "check", "exp.json", cwd=tmp_path)
    assert checked.returncode == 2
    assert re.search(r"^error: exp.json: bundle/config.json \S+ \[\S+\]: the reason is still "
                     r"a placeholder", checked.stderr, re.M), checked.stderr
    allowed = cli("expectations", "check", "exp.json", "--allow-placeholders", cwd=tmp_path)
    assert allowed.returncode == 0 and f"exp.json: {len(entries)} entries, ok" in allowed.stdout


def test_refresh_keeps_reasons_drops_stale_and_reports_them(tmp_path: Path) -> None:
    _bundle(tmp_path, BAD)
    _validate(tmp_path, "--results", "bad.json")
    case = next(r["case"] for r in json.loads((tmp_path / "bad.json").read_text())["results"]
                if r["clause"] == FAILING)
    written = [{"implementation": "bundle/config.json", "clause": FAILING, "reason": "ours",
                "link": "https://example.invalid/1"}]           # clause-only: split per case
    (tmp_path / "exp.json").write_text(json.dumps({"expectations": written}))
    done = cli("expectations", "update", "bad.json", "-o", "exp.json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    mine = [e for e in _entries(tmp_path / "exp.json") if e["clause"] == FAILING]
    assert mine == [{"implementation": "bundle/config.json", "clause": FAILING, "case": case,
                     "reason": "ours", "link": "https://example.invalid/1"}]
    assert f"split: bundle/config.json {FAILING}: written per case: {case}" in done.stderr
    # the implementation is fixed: the entries go stale, are dropped and named on stderr
    _bundle(tmp_path, GOOD)
    assert _validate(tmp_path, "--expectations", "exp.json").returncode == 1       # xpass
    assert _validate(tmp_path, "--results", "good.json").returncode == 0
    fixed = cli("expectations", "update", "good.json", "-o", "exp.json", cwd=tmp_path)
    assert fixed.returncode == 0, fixed.stderr
    assert f"stale: bundle/config.json {FAILING} [{case}]: now passes (dropped)" in fixed.stderr
    assert _entries(tmp_path / "exp.json") == []
    assert _validate(tmp_path, "--expectations", "exp.json").returncode == 0


def test_update_refuses_bad_inputs_in_one_line(tmp_path: Path) -> None:
    _bundle(tmp_path, BAD)
    _validate(tmp_path, "--results", "results.json")
    (tmp_path / "broken.json").write_text('{"expectations": [{"clause": 1}]}')
    cases = [
        (("results.json", "-o", "broken.json"), "broken.json: /expectations/0: "),
        (("results.json", "-o", "exp.json", "--implementation", "runc"),
         "--implementation runc: not a column of results.json"),
        (("nothing.json", "-o", "exp.json"), "nothing.json"),
        (("results.json", "-o", "no/such/dir/exp.json"), "does not exist"),
        (("broken.json", "-o", "exp.json"), "not an oci-conform results file"),
    ]
    for args, fragment in cases:
        done = cli("expectations", "update", *args, cwd=tmp_path)
        assert done.returncode == 2, (args, done.stderr)
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1 and fragment in lines[0], (args, done.stderr)
    assert '"clause": 1' in (tmp_path / "broken.json").read_text()       # not rewritten
    assert not (tmp_path / "exp.json").exists()


@pytest.mark.parametrize("text, fragment", [
    ("{", "not JSON"),
    ('{"expectations": [{"implementation": "runc", "clause": "rt.nope.1", "reason": "r"}]}',
     "runc rt.nope.1: clause not in the catalog"),
    ('{"expectations": [{"implementation": "runc", "clause": "rt.runtime.delete.2", '
     '"reason": "r", "case": ""}, {"implementation": "runc", "clause": "rt.runtime.delete.2",'
     ' "reason": "r"}]}', "/expectations/1: same implementation, version, clause and case"),
    ('{"expectations": [{"implementation": "runc", "clause": "rt.runtime.delete.2", '
     '"reason": "r", "cases": "x"}]}', 'unknown key "cases"'),
])
def test_check_names_each_problem_and_exits_2(tmp_path: Path, text: str, fragment: str) -> None:
    (tmp_path / "f.json").write_text(text)
    done = cli("expectations", "check", "f.json", cwd=tmp_path)
    assert done.returncode == 2
    assert fragment in done.stderr and "Traceback" not in done.stderr, done.stderr
    assert all(line.startswith("error: f.json") for line in done.stderr.splitlines())


def test_check_refuses_special_files_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    done = cli("expectations", "check", str(fifo), "/dev/zero")
    assert done.returncode == 2
    assert "is a FIFO" in done.stderr and "is a character device" in done.stderr, done.stderr


def test_shipped_files_pass_check() -> None:
    files = sorted(str(p) for p in (REPO / "expectations").glob("*.json"))
    done = cli("expectations", "check", *files)
    assert done.returncode == 0, done.stderr
    assert len(done.stdout.splitlines()) == len(files)


def test_docs_example_runs_as_written(tmp_path: Path) -> None:
    doc = (REPO / "docs/ci.md").read_text(encoding="utf-8")
    match = re.search(r"<!-- tested: expectations -->\n```\w*\n(.*?)```", doc, re.S)
    assert match, "docs/ci.md has no block marked tested: expectations"
    done = subprocess.run(["bash", "-c", match.group(1)], cwd=_bundle(tmp_path, BAD),
                          env=_env(), capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    entries = _entries(tmp_path / "expectations.json")
    assert FAILING in {e["clause"] for e in entries}
    assert all(e["reason"].startswith("known: ") for e in entries)
    # the same pipeline without the file fails: the expectations are what made it green
    assert _validate(tmp_path).returncode == 1


def test_help_lists_the_command() -> None:
    done = cli("expectations", "--help")
    assert done.returncode == 0 and "update" in done.stdout and "check" in done.stdout
