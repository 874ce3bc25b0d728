"""scripts/compare_results.py: every changed cell, grouped by implementation, both messages."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from oci_conform.model.outcome import Outcome
from oci_conform.model.results import CaseResult, Implementation, Results
from oci_conform.results_file import save_results

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "compare_results.py"
IMPLS = [Implementation("runc", "runtime", "runc", "1.1.5"),
         Implementation("crun", "runtime", "crun", "1.8.1")]


def _results(*cases: tuple[str, str, Outcome, str]) -> Results:
    return Results("0.1.0", "cat", "2026-12-01T00:00:00Z", "2026-12-01T00:01:00Z",
                   implementations=list(IMPLS),
                   results=[CaseResult(c, i, o, case="k", message=m) for c, i, o, m in cases])


def _run(tmp_path: Path, old: Results, new: Results, *extra: str
         ) -> subprocess.CompletedProcess[str]:
    a, b = tmp_path / "old.json", tmp_path / "new.json"
    save_results(a, old)
    save_results(b, new)
    return subprocess.run([sys.executable, str(SCRIPT), str(a), str(b), *extra],
                          capture_output=True, text=True, timeout=60, check=False)


def test_lists_every_changed_cell_grouped_by_implementation(tmp_path: Path) -> None:
    old = _results(("c.1", "runc", Outcome.PASS, "ok"), ("c.2", "runc", Outcome.FAIL, "bad"),
                   ("c.1", "crun", Outcome.SKIP, "no host"), ("c.3", "crun", Outcome.PASS, ""))
    new = _results(("c.1", "runc", Outcome.PASS, "ok again"),       # same outcome: not listed
                   ("c.2", "runc", Outcome.NA, "not in force"),
                   ("c.1", "crun", Outcome.ERROR, "timed out"),
                   ("c.4", "crun", Outcome.FAIL, "new check"))
    proc = _run(tmp_path, old, new)
    assert proc.returncode == 1, proc.stderr
    text = proc.stdout
    assert text.index("crun (3 changed)") < text.index("runc (1 changed)")
    assert "c.2: fail -> n/a" in text and "old: bad" in text and "new: not in force" in text
    assert "c.1: skip -> error" in text and "c.3: pass -> (absent)" in text
    assert "c.4: (absent) -> fail" in text
    assert "c.1: pass" not in text
    assert text.rstrip().endswith("4 cells changed")
    doc = json.loads(_run(tmp_path, old, new, "--format", "json").stdout)
    assert doc["changed"] == 4 and sorted(doc["by_implementation"]) == ["crun", "runc"]
    assert doc["by_implementation"]["runc"][0] == {
        "implementation": "runc", "clause": "c.2", "old": "fail", "new": "n/a",
        "old_message": "bad", "new_message": "not in force", "reason": ""}


def test_no_change_exits_0_and_a_bad_file_exits_2(tmp_path: Path) -> None:
    same = _results(("c.1", "runc", Outcome.PASS, "ok"))
    proc = _run(tmp_path, same, same)
    assert proc.returncode == 0 and proc.stdout.strip() == "0 cells changed"
    (tmp_path / "bad.json").write_text("{}", encoding="utf-8")
    bad = subprocess.run([sys.executable, str(SCRIPT), str(tmp_path / "bad.json"),
                          str(tmp_path / "old.json")], capture_output=True, text=True,
                         timeout=60, check=False)
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1


def test_reasons_explain_changes_and_an_unexplained_one_exits_1(tmp_path: Path) -> None:
    old = _results(("c.1", "runc", Outcome.SKIP, "old"), ("c.2", "crun", Outcome.PASS, ""))
    new = _results(("c.1", "runc", Outcome.NA, "not in force"), ("c.2", "crun", Outcome.FAIL, ""))
    rules = tmp_path / "why.toml"
    rules.write_text('[[change]]\nold = "skip"\nnew = "n/a"\nwhy = "one in-force rule"\n')
    proc = _run(tmp_path, old, new, "--reasons", str(rules))
    assert proc.returncode == 1 and "1 without a reason" in proc.stderr
    assert "why: one in-force rule" in proc.stdout and "why: NO REASON GIVEN" in proc.stdout
    rules.write_text(rules.read_text() + '[[change]]\nclause = "c.*"\nwhy = "anything"\n')
    assert _run(tmp_path, old, new, "--reasons", str(rules)).returncode == 0
