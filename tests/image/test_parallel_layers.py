"""Layers scanned side by side judge exactly as layers scanned one after another.

A layout's layers are scanned on two worker threads (``walk.LayerScans``); the rules that
look across layers (a hardlink may name a file of a lower layer) are settled afterwards in
manifest order. These tests build small layouts and compare both ways of walking.
"""
from __future__ import annotations

import gzip
import hashlib
import io
import json
import tarfile
from pathlib import Path

import pytest

from oci_conform.drivers.image_sources import walk
from oci_conform.drivers.image_sources.layout_dir import LayoutDir
from tests.image.helpers import outcome_sets, validate

GZ = "application/vnd.oci.image.layer.v1.tar+gzip"
TAR = "application/vnd.oci.image.layer.v1.tar"


def _tar(entries: list[tuple[str, str]]) -> bytes:
    """A tar of ("file" | "link:TARGET", name) entries."""
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for kind, name in entries:
            info = tarfile.TarInfo(name)
            if kind.startswith("link:"):
                info.type, info.linkname = tarfile.LNKTYPE, kind[5:]
                tar.addfile(info)
            else:
                body = (name * 50).encode()
                info.size = len(body)
                tar.addfile(info, io.BytesIO(body))
    return out.getvalue()


def _canonical(doc: dict) -> bytes:
    return json.dumps(doc, sort_keys=True, separators=(",", ":")).encode()


def _layout(root: Path, layers: list[list[tuple[str, str]]], gzipped: bool = True) -> Path:
    blobs = root / "blobs" / "sha256"
    blobs.mkdir(parents=True)

    def blob(doc: bytes | dict, mt: str) -> dict:
        body = doc if isinstance(doc, bytes) else _canonical(doc)
        d = hashlib.sha256(body).hexdigest()
        (blobs / d).write_bytes(body)
        return {"mediaType": mt, "digest": "sha256:" + d, "size": len(body)}
    descs, diffs = [], []
    for entries in layers:
        raw = _tar(entries)
        diffs.append("sha256:" + hashlib.sha256(raw).hexdigest())
        descs.append(blob(gzip.compress(raw, mtime=0) if gzipped else raw, GZ if gzipped else TAR))
    config = blob({"architecture": "amd64", "os": "linux", "rootfs": {
        "type": "layers", "diff_ids": diffs}}, "application/vnd.oci.image.config.v1+json")
    manifest = blob({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                     "config": config, "layers": descs},
                    "application/vnd.oci.image.manifest.v1+json")
    manifest["platform"] = {"architecture": "amd64", "os": "linux"}
    (root / "index.json").write_bytes(_canonical({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [manifest]}))
    (root / "oci-layout").write_text('{"imageLayoutVersion": "1.0.0"}')
    return root


@pytest.fixture(params=["threads", "processes"])
def workers(request, monkeypatch):
    """Both kinds of workers: threads (small layers) and forked processes (big ones), each
    with decompression ahead on a helper thread."""
    monkeypatch.setattr(walk, "AHEAD_MIN_BYTES", 0)
    if request.param == "processes":
        monkeypatch.setattr(walk, "PROCESS_MIN_BYTES", 0)
    return request.param


def _both_ways(path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[list, list]:
    side_by_side = validate(path)
    monkeypatch.setattr(LayoutDir, "parallel_blobs", False)
    in_order = validate(path)
    return side_by_side, in_order


def _view(results: list) -> list:
    return sorted((r.clause, r.outcome.value, r.message,
                   [(f.location, f.message) for f in r.findings]) for r in results)


def test_hardlink_to_a_lower_layer_passes_when_scanned_side_by_side(tmp_path, monkeypatch,
                                                                     workers):
    path = _layout(tmp_path, [[("file", "etc/a"), ("file", "etc/b")],
                              [("link:etc/a", "etc/c"), ("file", "etc/d")],
                              [("link:etc/d", "etc/e")]])
    ahead, in_order = _both_ways(path, monkeypatch)
    assert _view(ahead) == _view(in_order)
    failed, errors = outcome_sets(ahead)
    assert not failed and not errors
    link = next(r for r in ahead if r.clause == "docker.layer.hardlink-target-earlier")
    assert link.outcome.value == "pass"


@pytest.mark.parametrize("gzipped", [True, False])
def test_hardlink_to_a_higher_layer_fails_the_same_both_ways(tmp_path, monkeypatch, gzipped,
                                                             workers):
    # layer 0 links to a file only layer 1 holds: not earlier, even though it exists
    path = _layout(tmp_path, [[("link:etc/late", "etc/c"), ("file", "etc/x")],
                              [("file", "etc/late"), ("link:etc/x", "etc/y")],
                              [("link:etc/nowhere", "etc/z"), ("file", "etc/nowhere")]],
                   gzipped)
    ahead, in_order = _both_ways(path, monkeypatch)
    assert _view(ahead) == _view(in_order)
    failed, _ = outcome_sets(ahead)
    assert failed == {"docker.layer.hardlink-target-earlier"}
    link = next(r for r in ahead if r.clause == "docker.layer.hardlink-target-earlier")
    messages = sorted(f.message for f in link.findings)
    assert any("is in no earlier entry or layer" in m and "etc/late" in m for m in messages)
    assert any("comes later in the layer" in m and "etc/nowhere" in m for m in messages)


def test_a_layer_listed_twice_and_a_digest_mismatch_judge_the_same(tmp_path, monkeypatch,
                                                                   workers):
    path = _layout(tmp_path, [[("file", "a")], [("file", "b")]])
    index = json.loads((path / "index.json").read_text())
    mpath = path / "blobs" / index["manifests"][0]["digest"].replace(":", "/")
    manifest = json.loads(mpath.read_text())
    manifest["layers"].append(manifest["layers"][0])
    first = path / "blobs" / manifest["layers"][1]["digest"].replace(":", "/")
    first.write_bytes(first.read_bytes() + b"\0")           # size and digest now lie
    body = _canonical(manifest)
    digest = hashlib.sha256(body).hexdigest()
    (path / "blobs" / "sha256" / digest).write_bytes(body)
    index["manifests"][0].update(digest="sha256:" + digest, size=len(body))
    (path / "index.json").write_bytes(_canonical(index))
    ahead, in_order = _both_ways(path, monkeypatch)
    assert _view(ahead) == _view(in_order)
    failed, _ = outcome_sets(ahead)
    assert "image.image-layout.blobs.1" in failed


@pytest.mark.slow
def test_interrupt_ends_the_worker_processes_at_once(tmp_path):
    """Ctrl-C while two worker processes scan: one message, exit 130, no worker left."""
    import os
    import signal
    import subprocess
    import sys
    import time
    many = [("file", f"d{i % 50}/f{i}") for i in range(60_000)]
    path = _layout(tmp_path / "img", [many, many[::-1], many[1:]])
    code = ("import sys\nimport oci_conform.drivers.image_sources.walk as w\n"
            "w.PROCESS_MIN_BYTES = 0\nfrom oci_conform.cli import main\n"
            f"sys.exit(main(['image', 'validate', 'oci:{path}', '-o', '{tmp_path}/r.json']))\n")
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, start_new_session=True)
    workers: list[str] = []
    deadline = time.monotonic() + 60
    while len(workers) < 2 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
        workers = subprocess.run(["pgrep", "-P", str(proc.pid)], capture_output=True,
                                 text=True, check=False).stdout.split()
    assert len(workers) == 2, "the scan ended before its workers were seen"
    os.killpg(proc.pid, signal.SIGINT)          # as Ctrl-C does: the whole process group
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err
    assert err.decode().count("SIGINT: stopping") == 1
    time.sleep(0.2)
    assert not [w for w in workers if os.path.exists(f"/proc/{w}")]


def test_compressed_layers_are_handed_out_before_bigger_plain_ones() -> None:
    """The order the workers get layers in: by ``scan_cost``, so a compressed layer (decompress
    and hash twice) goes before a plain tar a few times its size, and by size within a kind."""
    def desc(mt: str, size: int, name: str) -> dict:
        return {"mediaType": mt, "size": size, "digest": "sha256:" + name * 64}
    layers = [desc(TAR, 107 << 20, "a"), desc(GZ, 65 << 20, "b"), desc(TAR, 51 << 20, "c"),
              desc(GZ, 101 << 20, "d"), desc("application/vnd.oci.image.layer.v1.tar+zstd",
                                             4 << 20, "e")]
    order = [d["digest"][7] for d in sorted(layers, key=lambda d: -walk.scan_cost(d))]
    assert order == ["d", "b", "a", "c", "e"]
