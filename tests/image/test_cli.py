"""The image commands end to end: outputs, exit codes, stdin, positions, bad command lines."""
from __future__ import annotations

import io
import json
import sys

from oci_conform.cli import main
from oci_conform.results_file import load_results
from tests.image.helpers import FIXTURES

GOOD = FIXTURES / "good"
BAD = FIXTURES / "bad"
DOCS = FIXTURES / "documents"


def test_good_images_exit_0_and_write_results(tmp_path, capsys):
    out = tmp_path / "results.json"
    code = main(["image", "validate", f"oci:{GOOD / 'oci-multi'}:latest",
                 str(GOOD / "docker-archive.tar"), f"aci:{GOOD / 'hello.aci'}",
                 "--results", str(out)])
    assert code == 0, capsys.readouterr().out
    results = load_results(out)
    assert {i.name for i in results.implementations} >= {f"aci:{GOOD / 'hello.aci'}"}
    assert results.clauses["image.config.properties.38"].level.value == "MUST"


def test_bad_image_exits_1_with_json(capsys):
    bad = next(BAD.glob("image.config.properties.38--*"))
    code = main(["image", "validate", str(bad), "--format", "json"])
    data = json.loads(capsys.readouterr().out)
    assert code == 1
    fails = [r for r in data["results"] if r["outcome"] == "fail"]
    assert [r["clause"] for r in fails] == ["image.config.properties.38"]
    finding = fails[0]["findings"][0]
    assert "/blobs/sha256/" in finding["file"] and finding["line"] >= 1


def test_unknown_selector_is_a_harness_error(capsys):
    code = main(["image", "validate", f"oci:{GOOD / 'oci-single'}:no-such-tag"])
    assert code == 3


def test_missing_path_is_usage_error(capsys):
    assert main(["image", "validate", "/no/such/image"]) == 2
    assert "no such file" in capsys.readouterr().err


def test_not_an_archive_is_a_clean_harness_error(tmp_path, capsys):
    junk = tmp_path / "junk.tar"
    junk.write_bytes(b"\x00garbage" * 10)
    assert main(["image", "validate", f"docker-archive:{junk}"]) == 3
    assert "Traceback" not in capsys.readouterr().err


def test_validate_document_from_stdin(monkeypatch, capsys):
    doc = (DOCS / "bad" / "image.descriptor.sha-256.2--short-hex.json").read_bytes()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(doc)))
    code = main(["image", "validate-document", "-", "--format", "json"])
    data = json.loads(capsys.readouterr().out)
    assert code == 1
    fail = next(r for r in data["results"] if r["outcome"] == "fail")
    assert fail["findings"][0]["file"] == "<stdin>"
    assert (fail["findings"][0]["line"], fail["findings"][0]["location"]) == (3, "/digest")


def test_validate_document_media_type_option(capsys):
    code = main(["image", "validate-document", str(DOCS / "good" / "config.json"),
                 "--media-type", "config"])
    assert code == 0


def test_unknown_document_kind_is_an_error(tmp_path, capsys):
    odd = tmp_path / "odd.json"
    odd.write_text('{"hello": "world"}')
    assert main(["image", "validate-document", str(odd)]) == 3


def test_should_threshold(capsys):
    platformless = DOCS / "bad" / "image.descriptor.properties.17--no-platform.json"
    assert main(["image", "validate-document", str(platformless)]) == 0
    assert main(["image", "validate-document", str(platformless), "--fail-on", "should"]) == 1


def test_bad_option_exits_2(capsys):
    assert main(["image", "validate", "x", "--spec-version", "9.9"]) == 2


def _one_line_error(capsys) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    lines = [line for line in err if not line.startswith("[image]")]
    assert len(lines) == 1, err
    return lines[0]


def test_special_files_are_refused_without_blocking(tmp_path, capsys):
    import os
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    assert main(["image", "validate-document", str(fifo)]) == 2
    assert "is a FIFO" in _one_line_error(capsys)
    assert main(["image", "validate", str(fifo)]) == 2
    assert "is a FIFO" in _one_line_error(capsys)
    for kind in ("oci-archive", "docker-archive", "aci"):
        code = main(["image", "validate", f"{kind}:{fifo}", "--format", "json"])
        assert code == 3, kind
        data = json.loads(capsys.readouterr().out)
        [row] = data["results"]
        assert row["outcome"] == "error" and "is a FIFO" in row["message"]


def test_a_json_file_given_as_an_image_says_not_an_image_archive(capsys):
    assert main(["image", "validate", str(DOCS / "good" / "config.json")]) == 2
    line = _one_line_error(capsys)
    assert "not an image: a JSON document" in line and "validate-document" in line
    assert "tar" in line and "Error" not in line and "tarfile" not in line


def test_garbage_without_media_type_says_not_json(tmp_path, capsys):
    junk = tmp_path / "junk.bin"
    junk.write_bytes(bytes(range(256)) * 3)
    assert main(["image", "validate-document", str(junk)]) == 2
    assert "not JSON" in _one_line_error(capsys)
