"""SARIF from a real command on the project's bad config fixtures, pretty-printed and minified.

Each SARIF location must point at the JSON value its pointer names, in the file as written.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from oci_conform.cli import main
from tests.report.conftest import REPO, shared_file

BAD = REPO / "fixtures" / "config" / "bad"


def _fixtures(n: int) -> list[Path]:
    files = sorted(BAD.glob("*.json"))[:n] if BAD.is_dir() else []
    if not files:
        pytest.skip(f"no bad config fixtures under {BAD}")
    return files


def _resolve(doc: object, pointer: str) -> object:
    for token in pointer.split("/")[1:]:
        token = token.replace("~1", "/").replace("~0", "~")
        doc = doc[int(token)] if isinstance(doc, list) else doc[token]  # type: ignore[index]
    return doc


def _check(sarif_text: str, minified: bool) -> int:
    import jsonschema
    schema = json.loads(shared_file("sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
    doc = json.loads(sarif_text)
    assert [e.message for e in jsonschema.Draft4Validator(schema).iter_errors(doc)] == []
    checked = 0
    for result in doc["runs"][0]["results"]:
        loc = result["locations"][0]["physicalLocation"]
        pointer = result["properties"].get("pointer", "")
        if "region" not in loc or not pointer.startswith("/"):
            continue
        text = Path(loc["artifactLocation"]["uri"]).read_text(encoding="utf-8")
        try:
            want = _resolve(json.loads(text), pointer)
        except (KeyError, IndexError, ValueError):
            continue                       # a pointer to a missing member: nothing to find
        line, col = loc["region"]["startLine"], loc["region"].get("startColumn", 1)
        if minified:
            assert line == 1
        offset = sum(len(x) + 1 for x in text.split("\n")[: line - 1]) + col - 1
        value, _ = json.JSONDecoder().raw_decode(text, offset)
        assert value == want, (loc, pointer)
        checked += 1
    return checked


def test_pretty_printed_fixtures(capsys: pytest.CaptureFixture, monkeypatch) -> None:
    monkeypatch.chdir(REPO)
    files = [str(p.relative_to(REPO)) for p in _fixtures(40)]
    main(["config", "validate", *files, "--format", "sarif"])
    assert _check(capsys.readouterr().out, minified=False) > 5


def test_minified_copies(tmp_path: Path, capsys: pytest.CaptureFixture, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    names = []
    for src in _fixtures(40):
        try:
            data = json.loads(src.read_text(encoding="utf-8"))
        except ValueError:
            continue
        (tmp_path / src.name).write_text(json.dumps(data, separators=(",", ":")), encoding="utf-8")
        names.append(src.name)
    main(["config", "validate", *names, "--format", "sarif"])
    assert _check(capsys.readouterr().out, minified=True) > 5
