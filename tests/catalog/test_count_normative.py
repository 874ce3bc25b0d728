"""scripts/count_normative.py on a tiny spec folder and catalog made up for the test."""
from __future__ import annotations

import importlib.util
import json
import shutil
import sys
from pathlib import Path

import pytest

from oci_conform.catalog.loader import SPECS_FILE, load_catalog

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "count_normative.py"
_spec = importlib.util.spec_from_file_location("count_normative", SCRIPT)
assert _spec and _spec.loader
count_normative = importlib.util.module_from_spec(_spec)
sys.modules.setdefault("count_normative", count_normative)
_spec.loader.exec_module(count_normative)

OLD_TEXT = """# Thing

## Rules

A thing MUST be round.
A thing SHOULD be red and it MAY be blue.
Readers MUST NOT fail on unknown fields.
An example MAY be ignored.

```
code MUST be skipped
```
"""
NEW_TEXT = """# Thing

## Rules

A thing MUST be round.
A thing MUST be red and it MAY be blue.
Readers MUST NOT fail on unknown fields.
A thing MUST NOT be square.
"""


def _clause(cid: str, line: int, **extra: str) -> str:
    lines = [f'[[clause]]\nid = "image.thing.rules.{cid}"\nline = {line}\nanchor = "rules"\n'
             f'level = "MUST"\nsummary = "Made-up rule {cid} for the counting test."']
    lines += [f'{k} = "{v}"' for k, v in extra.items()]
    return "\n".join(lines) + "\n\n"


def _setup(tmp_path: Path, clauses: str, omitted: str = "") -> tuple[Path, Path]:
    (tmp_path / "old").mkdir()
    (tmp_path / "new").mkdir()
    (tmp_path / "old" / "thing.md").write_text(OLD_TEXT)
    (tmp_path / "new" / "thing.md").write_text(NEW_TEXT)
    (tmp_path / "old" / "GOVERNANCE.md").write_text("Maintainers MUST vote.\n")
    data = tmp_path / "data" / "image-spec"
    data.mkdir(parents=True)
    (data / "thing.toml").write_text('spec = "image-spec"\ndocument = "thing.md"\n'
                                     'text = "v1.1.1"\nbinds = "image"\n\n' + clauses + omitted)
    shutil.copy(SPECS_FILE, tmp_path / "specs.toml")
    return tmp_path / "data", tmp_path / "specs.toml"


def _run(tmp_path: Path, data: Path, capsys: pytest.CaptureFixture[str], *extra: str
         ) -> tuple[int, dict]:
    # The script loads the shipped specs.toml; the data folder is the test's own.
    code = count_normative.main([str(tmp_path / "old"), "--spec", "image-spec", "--text",
                                 "v1.1.1", "--format", "json", "--catalog-dir", str(data),
                                 *extra])
    return code, json.loads(capsys.readouterr().out)


def test_every_line_explained(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data, _ = _setup(tmp_path, _clause("1", 5) + _clause("2", 6) + _clause("2-b", 6, note="two")
                     + _clause("3", 7), '[[omitted]]\nline = 8\nreason = "an example"\n')
    code, report = _run(tmp_path, data, capsys)
    assert code == 0
    (doc,) = report["documents"]
    assert (doc["document"], doc["lines"], doc["clauses"], doc["omitted"], doc["split"]) == (
        "thing.md", 4, 4, 1, 1)


def test_unexplained_differences_are_listed(tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    data, _ = _setup(tmp_path, _clause("1", 5) + _clause("2", 6) + _clause("2-b", 6)
                     + _clause("9", 3), '[[omitted]]\nline = 5\nreason = "clash"\n')
    code, report = _run(tmp_path, data, capsys)
    assert code == 1
    (doc,) = report["documents"]
    assert doc["missing"] == [7, 8]                      # no clause, no omission
    assert doc["stray"] == ["image.thing.rules.9 (line 3)"]  # line 3 is a heading
    assert doc["conflicts"] == [5]                       # omitted and claimed
    assert doc["unnoted_splits"] == ["image.thing.rules.2-b"]
    assert report["unexplained"] == 5


def test_governance_documents_and_code_blocks_are_not_counted(tmp_path: Path) -> None:
    data, specs = _setup(tmp_path, "")
    counts = count_normative.compare(tmp_path / "old", "image-spec", "v1.1.1",
                                     load_catalog(data, specs))
    assert [c.document for c in counts] == ["thing.md"] and counts[0].lines == 4


def test_changes_between_texts(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data, _ = _setup(tmp_path, _clause("1", 5) + _clause("2", 6) + _clause("3", 7))
    code = count_normative.main([str(tmp_path / "new"), "--spec", "image-spec", "--text", "main",
                                 "--previous", str(tmp_path / "old"), "--previous-text",
                                 "v1.1.1", "--format", "json", "--catalog-dir", str(data)])
    report = json.loads(capsys.readouterr().out)
    assert code == 1
    (doc,) = report["documents"]
    assert doc["new"] == [8] and doc["dropped"] == [8] and doc["rekeyed"] == [[6, 6]]
    assert len(doc["unexplained"]) == 3


def test_changes_explained_by_since_and_until(tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    clauses = (_clause("1", 5) + _clause("2", 6, until="main") + _clause("3", 7)
               + _clause("2-main", 6, text="main", since="main")
               + _clause("square", 8, text="main", since="main"))
    data, _ = _setup(tmp_path, clauses, '[[omitted]]\nline = 8\nreason = "an example"\n')
    code = count_normative.main([str(tmp_path / "new"), "--spec", "image-spec", "--text", "main",
                                 "--previous", str(tmp_path / "old"), "--previous-text",
                                 "v1.1.1", "--catalog-dir", str(data)])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "changes from v1.1.1 to main" in out


def test_bad_usage_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert count_normative.main([str(tmp_path / "absent"), "--spec", "image-spec",
                                 "--text", "v1.1.1"]) == 2
    assert "is not a folder" in capsys.readouterr().err
    data, _ = _setup(tmp_path, "")
    assert count_normative.main([str(tmp_path / "old"), "--spec", "nope", "--text", "v1.1.1",
                                 "--catalog-dir", str(data)]) == 2
    assert "unknown spec 'nope'" in capsys.readouterr().err
