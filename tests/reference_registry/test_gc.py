"""Garbage collection keeps what manifests and repositories reference, removes the rest."""
from __future__ import annotations

import subprocess
import sys

from tests.reference_registry.conftest import Client, sha256


def test_gc_removes_only_unreferenced_blobs(registry, client: Client) -> None:
    kept_layer, lost_layer = b"kept layer", b"deleted layer"
    body = client.image("gc/repo", [kept_layer])
    client.put_manifest("gc/repo", "v1", body)
    client.push_blob("gc/repo", lost_layer)
    assert client.http.delete(client.url(f"/v2/gc/repo/blobs/{sha256(lost_layer)}")
                              ).status_code == 202
    storage = registry.config.storage
    dry = subprocess.run([sys.executable, "-m", "oci_conform.reference.registry", "gc",
                          "--storage", str(storage), "--dry-run"], capture_output=True, text=True,
                         timeout=60)
    assert dry.returncode == 0 and sha256(lost_layer) in dry.stdout
    blob_file = storage / "blobs" / "sha256" / sha256(lost_layer)[7:9] / sha256(lost_layer)[7:]
    assert blob_file.exists()
    real = subprocess.run([sys.executable, "-m", "oci_conform.reference.registry", "gc",
                           "--storage", str(storage)], capture_output=True, text=True, timeout=60)
    assert real.returncode == 0 and "removed 1 blobs" in real.stdout
    assert not blob_file.exists()
    assert client.http.get(client.url(f"/v2/gc/repo/blobs/{sha256(kept_layer)}")).content == \
        kept_layer
    assert client.http.get(client.url("/v2/gc/repo/manifests/v1")).content == body


def test_gc_on_missing_storage_is_a_usage_error(tmp_path) -> None:
    proc = subprocess.run([sys.executable, "-m", "oci_conform.reference.registry", "gc",
                           "--storage", str(tmp_path / "nope")], capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 2 and "no such folder" in proc.stderr


def test_gc_removes_folders_of_closed_sessions_at_once(tmp_path) -> None:
    from oci_conform.reference.registry.gc import collect
    from oci_conform.reference.registry.storage import Storage
    storage = Storage(tmp_path / "store")
    live = storage.start_upload("gc/repo")
    left = storage.root / "uploads" / ".gone-0123-abcd"     # what a crash mid-cancel leaves
    left.mkdir()
    (left / "data").write_bytes(b"x")
    report = collect(storage)
    assert report.stale_uploads == [".gone-0123-abcd"] and not left.exists()
    assert (storage.root / "uploads" / live.id / "data").exists()
