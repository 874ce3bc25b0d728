"""Direct regressions for what the fuzz campaign found that the CLI's catch-all had hidden
as "internal error (harness)", exit 3 (each also has its saved reproducer under
fixtures/fuzz/, replayed by test_replay.py). Every one must now be a one-line message or a
judged outcome, never the catch-all."""
from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path

import pytest

from oci_conform.cli import main

INTERNAL = "internal error"


def _run(argv: list[str], capsys) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def _tar(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "fuzz"
CORRUPT = ["archive-docker/9ef125956e81b847", "archive-oci/8031d7f7db0c2a71",   # gzip
           "archive-docker/2be680ea7c56bb66", "archive-docker/5b1ec1dc7f24faaa"]  # xz


@pytest.mark.parametrize("name", CORRUPT)
def test_corrupt_compressed_archive_is_one_line(tmp_path: Path, capsys, name: str) -> None:
    """zlib.error and LZMAError are not OSErrors: the tar readers let them out."""
    from fuzzlib.targets import all_targets
    target = all_targets()[name.split("/")[0]]
    job = target.prepare((FIXTURES / f"{name}.bin").read_bytes(), tmp_path)
    code, out, err = _run(job.argv, capsys)
    assert INTERNAL not in err and "Traceback" not in err, err
    # 2: refused as input, 3: an `error` outcome that says the archive cannot be read
    assert code in (2, 3), (code, err)
    said = out + err
    assert "corrupt" in said or "not an image archive" in said, said[-500:]


def test_docker_config_rootfs_not_an_object(tmp_path: Path, capsys) -> None:
    config = json.dumps({"architecture": "amd64", "os": "linux", "rootfs": "x"}).encode()
    archive = _tar({"config.json": config, "l/layer.tar": _tar({}),
                    "manifest.json": json.dumps([{"Config": "config.json", "RepoTags": [],
                                                  "Layers": ["l/layer.tar"]}]).encode()})
    path = tmp_path / "image.tar"
    path.write_bytes(archive)
    code, _out, err = _run(["image", "validate", f"docker-archive:{path}"], capsys)
    assert INTERNAL not in err, err
    assert code == 1


def test_schema1_fs_layers_not_a_list(tmp_path: Path, capsys) -> None:
    path = tmp_path / "m.json"
    path.write_text(json.dumps({"schemaVersion": 1, "name": "a/b", "tag": "t",
                                "architecture": "amd64", "fsLayers": 5}))
    code, _out, err = _run(["image", "validate-document", str(path), "--media-type",
                            "docker-schema1"], capsys)
    assert INTERNAL not in err, err
    assert code in (0, 1)              # schema 1 is reported deprecated, not judged in full


def test_results_file_with_an_unreadable_number(tmp_path: Path, capsys) -> None:
    seed = Path(__file__).resolve().parents[2] / "fixtures/fuzz/seeds/results-image.json"
    doc = seed.read_text()
    path = tmp_path / "r.json"
    path.write_text(doc.replace('"schema_version"', '"x": ' + "1" * 5000 + ', "schema_version"',
                                1) if '"schema_version"' in doc else
                    '{"x": ' + "1" * 5000 + "}")
    code, _out, err = _run(["report", "render", str(path)], capsys)
    assert INTERNAL not in err, err
    assert code == 2 and "cannot be read" in err and len(err.strip().splitlines()) == 1, err


def test_unparsable_url_is_redacted_not_raised() -> None:
    from oci_conform.model.evidence import redact_url
    assert redact_url("http://[::1") == "http://[::1"
    out = redact_url("http://user:pw@[::1/x?token=abc")
    assert "pw" not in out and "abc" not in out


def test_config_text_report_with_a_lone_surrogate(tmp_path: Path, capsys) -> None:
    path = tmp_path / "state.json"
    path.write_text('{"ociVersion": "1.2.0", "id": "c1", "status": "running", '
                    '"pid": "\\udfff\\ud800", "bundle": "/b"}')
    code = main(["config", "validate", "--kind", "state", str(path)])
    _out, err = capsys.readouterr()
    assert INTERNAL not in err, err
    assert code == 1


def test_schema_evidence_keeps_to_the_documents_the_checks_parse() -> None:
    """doc-layout input 430 of seed 20261207: 10,000 arrays 200 deep (4 MB). The checks
    refuse it at once (past 64 levels), but the schema evidence parsed it anyway with
    json.loads: 2 s of CPU and 240 MiB, then a schema message holding the whole value."""
    from oci_conform.commands.image import _schema_evidence
    deep = b"[" + b",".join([b"[" * 200 + b"1" + b"]" * 200] * 10000) + b"]"
    kind = "application/vnd.oci.layout.header.v1+json"
    assert _schema_evidence(deep, kind) == {}
    shallow = _schema_evidence(b'{"imageLayoutVersion": 5}', kind)
    assert shallow["schema_errors"] and all(len(e) < 400 for e in shallow["schema_errors"])
