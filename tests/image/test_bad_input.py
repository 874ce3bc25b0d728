"""Hostile input ends in a clean outcome naming clause and place, in bounded time and memory."""
from __future__ import annotations

import gzip
import json
import os
import resource
import shutil
import subprocess
import tarfile

import pytest

from oci_conform.checks.image.document import validate_document
from oci_conform.checks.image.layer import Limits
from oci_conform.drivers.image_sources.build import (
    BASE_LAYER,
    Entry,
    ImageSpec,
    OciLayout,
    tag,
    tar_bytes,
    write_layout,
)
from tests.image.helpers import explain, outcome_sets, validate


def _layout_with_layer_blob(root, blob: bytes, media_type: str, declared_size: int | None = None):
    lay = OciLayout(root)
    layer = lay.blob(blob, media_type)
    if declared_size is not None:
        layer["size"] = declared_size
    config = {"architecture": "amd64", "os": "linux",
              "rootfs": {"type": "layers", "diff_ids": ["sha256:" + "0" * 64]}}
    cfg = json.dumps(config).encode()
    manifest = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "config": lay.blob(cfg, "application/vnd.oci.image.config.v1+json"),
                "layers": [layer]}
    desc = lay.blob(json.dumps(manifest).encode(), "application/vnd.oci.image.manifest.v1+json")
    desc["platform"] = {"architecture": "amd64", "os": "linux"}
    lay.finish([tag(desc, "latest")])
    return root


def test_gzip_bomb_is_refused_as_error_with_place(tmp_path):
    # 64 MiB of zeros compresses to ~64 KiB: a ratio of ~1000.
    blob = gzip.compress(tar_bytes([Entry("zeros", data=b"\0" * (64 << 20))]))
    root = _layout_with_layer_blob(tmp_path / "bomb", blob,
                                   "application/vnd.oci.image.layer.v1.tar+gzip")
    results = validate(root, limits=Limits(ratio_floor=8 << 20, max_ratio=100))
    _, errors = outcome_sets(results)
    assert "image.layer.distributable-format.1" in errors
    assert "decompression bomb" in errors["image.layer.distributable-format.1"]
    bomb = next(r for r in results if r.clause == "image.layer.distributable-format.1")
    assert "layers/0" in bomb.findings[0].location


def test_a_declared_size_does_not_raise_the_bomb_cap(tmp_path):
    """The ratio is measured on the bytes read: a descriptor claiming 10 GiB (which would
    have allowed 1000 GiB of output before) does not let 64 MiB of zeros through."""
    blob = gzip.compress(tar_bytes([Entry("zeros", data=b"\0" * (64 << 20))]))
    root = _layout_with_layer_blob(tmp_path / "liar", blob,
                                   "application/vnd.oci.image.layer.v1.tar+gzip",
                                   declared_size=10 << 30)
    results = validate(root, limits=Limits(ratio_floor=8 << 20, max_ratio=100))
    _, errors = outcome_sets(results)
    assert "decompression bomb" in errors.get("image.layer.distributable-format.1", ""), \
        explain(results)
    failed, _ = outcome_sets(results)
    assert "image.descriptor.properties.5" in failed or "image.image-layout.blobs.1" in failed


def test_max_layer_size_refuses_a_small_bomb_naming_layer_and_limit(tmp_path, capsys):
    """8 MiB of zeros in 8 KiB of gzip: under the default caps (a 16 GiB limit, the ratio
    only past 1 GiB) it is a layer like any other; with --max-layer-size 1M it is refused
    with an error that names the layer and the limit."""
    from oci_conform.cli import main
    blob = gzip.compress(tar_bytes([Entry("zeros", data=b"\0" * (8 << 20))]))
    assert len(blob) < 64 << 10
    root = _layout_with_layer_blob(tmp_path / "small-bomb", blob,
                                   "application/vnd.oci.image.layer.v1.tar+gzip")
    assert Limits().max_uncompressed == 16 << 30
    for extra, refused in (([], False), (["--max-layer-size", "1M"], True)):
        main(["image", "validate", f"oci:{root}", "--format", "json", *extra])
        doc = json.loads(capsys.readouterr().out)
        layer = [r for r in doc["results"] if r["clause"] == "image.layer.distributable-format.1"]
        errors = [r["message"] for r in layer if r["outcome"] == "error"]
        if not refused:
            assert not errors, errors
            continue
        assert errors and "decompression bomb" in errors[0], layer
        assert "1 MiB (--max-layer-size)" in errors[0] and "/layers/0" in errors[0], errors[0]


@pytest.mark.skipif(not shutil.which("zstd"), reason="zstd program not installed")
def test_zstd_bomb_is_refused_in_bounded_memory(tmp_path):
    zeros = tmp_path / "zeros.tar"
    with tarfile.open(zeros, "w") as tar:          # a 256 MiB file entry, written sparsely
        info = tarfile.TarInfo("big")
        info.size = 256 << 20
        tar.addfile(info, _Zeros(info.size))
    blob = subprocess.run(["zstd", "-q", "-19", "-c", str(zeros)], capture_output=True,
                          check=True).stdout
    assert len(blob) < 1 << 20
    root = _layout_with_layer_blob(tmp_path / "zbomb", blob,
                                   "application/vnd.oci.image.layer.v1.tar+zstd")
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    results = validate(root, limits=Limits(ratio_floor=16 << 20, max_ratio=100))
    grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    _, errors = outcome_sets(results)
    assert "decompression bomb" in errors.get("image.layer.distributable-format.1", "")
    assert grown < 100 * 1024, f"peak RSS grew by {grown} KiB"


class _Zeros:
    def __init__(self, n):
        self.left = n

    def read(self, n=-1):
        n = self.left if n < 0 else min(n, self.left)
        self.left -= n
        return b"\0" * n


def test_too_many_entries_is_refused(tmp_path):
    entries = [Entry(f"f{i}", data=b"") for i in range(300)]
    root = write_layout(tmp_path / "many", ImageSpec(layers=[entries]))
    results = validate(root, limits=Limits(max_entries=100))
    _, errors = outcome_sets(results)
    assert "more than 100 tar entries" in errors.get("image.layer.distributable-format.1", "")


def test_truncated_gzip_layer_fails_tar_clause(tmp_path):
    blob = gzip.compress(tar_bytes(BASE_LAYER))
    root = write_layout(tmp_path / "trunc", ImageSpec(
        layer_bytes_hook=lambda i, b: b[: len(b) // 2]))
    results = validate(root)
    failed, errors = outcome_sets(results)
    assert "image.layer.distributable-format.1" in failed, explain(results)
    # the manifest still states the real size of the truncated blob, so only the tar fails
    assert failed == {"image.layer.distributable-format.1"}, explain(results)
    assert blob and not errors


def test_truncated_archive_is_a_clean_error(tmp_path):
    good = tmp_path / "good.tar"
    from oci_conform.drivers.image_sources.build import write_docker_archive
    write_docker_archive(good)
    cut = tmp_path / "cut.tar"
    cut.write_bytes(good.read_bytes()[:3000])
    results = validate(f"docker-archive:{cut}")
    failed, errors = outcome_sets(results)
    assert failed or errors
    assert all("Traceback" not in m for m in errors.values())


def test_blob_symlink_out_of_layout_is_not_followed(tmp_path):
    root = write_layout(tmp_path / "link")
    secret = tmp_path / "secret"
    secret.write_bytes(b"outside")
    index = json.loads((root / "index.json").read_bytes())
    manifest_path = root / "blobs/sha256" / index["manifests"][0]["digest"][7:]
    manifest = json.loads(manifest_path.read_bytes())
    layer = root / "blobs/sha256" / manifest["layers"][0]["digest"][7:]
    layer.unlink()
    layer.symlink_to(secret)
    results = validate(root)
    failed, _ = outcome_sets(results)
    assert "image.image-layout.blobs.1" in failed
    hit = next(r for r in results if r.clause == "image.image-layout.blobs.1")
    assert "link out of the layout" in hit.message


def test_deeply_nested_json_is_refused_cleanly():
    data = b"[" * 100_000 + b"]" * 100_000
    report, _ = validate_document(data, "deep.json", "1.1.1", "manifest")
    assert report.failed == {"image.manifest.json-object"}
    assert "nests deeper" in report.problems[next(iter(report.failed))][0].message


def test_huge_json_is_refused_without_parsing():
    data = b'{"a":"' + b"x" * (9 << 20) + b'"}'
    report, _ = validate_document(data, "huge.json", "1.1.1", "config")
    msgs = [f.message for fs in report.problems.values() for f in fs]
    assert any("limit" in m for m in msgs)


def test_truncated_json_names_the_clause():
    report, _ = validate_document(b'{"schemaVersion": 2, "config": {', "t.json", "1.1.1",
                                  "manifest")
    assert report.failed == {"image.manifest.json-object"}


def test_lying_size_in_index_is_caught(tmp_path):
    root = write_layout(tmp_path / "lie", index_hook=lambda i: (
        i["manifests"][0].__setitem__("size", i["manifests"][0]["size"] - 1), i)[1])
    failed, _ = outcome_sets(validate(root))
    assert failed == {"image.descriptor.properties.5"}


def test_hardlink_to_later_entry_is_named(tmp_path):
    layer = BASE_LAYER + [Entry("bin/early", "hardlink", link="bin/late"),
                          Entry("bin/late", data=b"x")]
    results = validate(write_layout(tmp_path / "hl", ImageSpec(layers=[layer])))
    hit = next(r for r in results if r.clause == "docker.layer.hardlink-target-earlier")
    assert hit.outcome.value == "fail" and "comes later" in hit.message


def test_device_file_and_absolute_path_are_reported(tmp_path):
    layer = BASE_LAYER + [Entry("dev/null", "chardev"), Entry("/abs", data=b"x")]
    results = validate(write_layout(tmp_path / "dev", ImageSpec(layers=[layer])))
    failed, _ = outcome_sets(results)
    assert failed == {"docker.layer.paths-inside-root"}
    tar_clause = next(r for r in results if r.clause == "image.layer.distributable-format.1")
    assert any("device file" in f.message for f in tar_clause.findings)


def test_no_files_written_outside_tmp(tmp_path):
    before = set(os.listdir(tmp_path))
    root = write_layout(tmp_path / "x", ImageSpec(layers=[BASE_LAYER + [
        Entry("../../escape", data=b"x")]]))
    validate(root)
    assert set(os.listdir(tmp_path)) == before | {"x"}
    assert not (tmp_path.parent / "escape").exists()


def _layout_from_tar(root, raw: bytes):
    return write_layout(root, ImageSpec(compression="none",
                                        layer_bytes_hook=lambda i, b: raw,
                                        config_hook=lambda c: (c["rootfs"].__setitem__(
                                            "diff_ids", ["sha256:" + __import__("hashlib")
                                                         .sha256(raw).hexdigest()]), c)[1]))


def test_non_utf8_entry_name_is_named(tmp_path):
    import io
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.GNU_FORMAT,
                      encoding="latin-1") as tar:
        info = tarfile.TarInfo("caf\xe9.txt")
        tar.addfile(info)
    results = validate(_layout_from_tar(tmp_path / "latin1", buf.getvalue()))
    failed, _ = outcome_sets(results)
    assert failed == {"docker.layer.utf-8-names"}, explain(results)


def test_opaque_whiteout_is_accepted_but_explicit_ones_are_preferred(tmp_path):
    layer = BASE_LAYER[:3] + [Entry("etc/.wh..wh..opq")] + BASE_LAYER[3:]   # whiteout first
    failed, errors = outcome_sets(validate(write_layout(tmp_path / "opq",
                                                        ImageSpec(layers=[layer]))))
    assert failed == {"image.layer.opaque-whiteout.1-b"} and not errors   # a SHOULD only


def test_whiteout_without_name_is_a_main_rule(tmp_path):
    root = write_layout(tmp_path / "wh", ImageSpec(
        layers=[BASE_LAYER[:3] + [Entry("etc/.wh.")] + BASE_LAYER[3:]]))   # whiteout first
    failed, _ = outcome_sets(validate(root, version="main"))
    assert failed == {"image.layer.whiteouts.no-basename"}
    failed, _ = outcome_sets(validate(root, version="1.1.1"))
    assert not failed


def test_blake3_is_registered_only_in_main():
    doc = json.dumps({"mediaType": "application/octet-stream", "size": 3,
                      "digest": "blake3:" + "A" * 64}).encode()
    report, _ = validate_document(doc, "d.json", "main", "descriptor")
    assert report.failed == {"image.descriptor.blake3.lowercase"}
    report, _ = validate_document(doc, "d.json", "1.1.1", "descriptor")
    # an unregistered algorithm that fits the grammar is allowed; sha256 is only preferred
    assert report.failed == {"image.descriptor.registered-algorithms.1"}


def test_unknown_algorithm_blob_cannot_be_verified_is_an_error(tmp_path):
    from oci_conform.checks.image.blobs import judge_blob
    from oci_conform.checks.image.report import Report
    report = Report()
    judge_blob(report, "blake3:" + "a" * 64, 3, None, 3, "/layers/0",
               "image.descriptor.properties.3")
    assert "cannot verify blake3" in report.errors["image.descriptor.properties.3"][0].message


def test_missing_zstd_program_is_an_error_not_a_failure(tmp_path, monkeypatch):
    import io

    from oci_conform.checks.image import streams
    from oci_conform.checks.image.layer import scan_layer
    from oci_conform.checks.image.report import Report
    monkeypatch.setattr(streams.shutil, "which", lambda name: None)
    report = Report()
    scan = scan_layer(report, io.BytesIO(b"\x28\xb5\x2f\xfd" + b"\0" * 100), "sha256",
                      "application/vnd.oci.image.layer.v1.tar+zstd", "/layers/0", "1.1.1",
                      set(), Limits())
    assert "zstd program is not installed" in report.errors[
        "image.layer.distributable-format.1"][0].message
    assert scan.size == 104 and not report.failed
