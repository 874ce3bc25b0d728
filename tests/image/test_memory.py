"""Memory stays bounded on big inputs: measured as the peak RSS of a child process."""
from __future__ import annotations

import gzip
import hashlib
import json
import re
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ENTRIES = 100_000
LIMIT_KIB = 150 * 1024


def _layout_with_many_entries(root):
    blobs = root / "blobs" / "sha256"
    blobs.mkdir(parents=True)
    raw = root / "layer.tar"
    with tarfile.open(raw, "w", format=tarfile.GNU_FORMAT) as tar:
        for i in range(ENTRIES):
            info = tarfile.TarInfo(f"d{i % 100:02d}/file-with-a-longish-name-{i:07d}.txt")
            tar.addfile(info)
    data = raw.read_bytes()
    diff = "sha256:" + hashlib.sha256(data).hexdigest()
    gz = gzip.compress(data, compresslevel=1)
    raw.unlink()

    def blob(body, mt):
        d = hashlib.sha256(body).hexdigest()
        (blobs / d).write_bytes(body)
        return {"mediaType": mt, "digest": "sha256:" + d, "size": len(body)}
    layer = blob(gz, "application/vnd.oci.image.layer.v1.tar+gzip")
    config = blob(json.dumps({"architecture": "amd64", "os": "linux", "rootfs": {
        "type": "layers", "diff_ids": [diff]}}).encode(),
        "application/vnd.oci.image.config.v1+json")
    manifest = blob(json.dumps({"schemaVersion": 2, "config": config, "layers": [layer]}).encode(),
                    "application/vnd.oci.image.manifest.v1+json")
    manifest["platform"] = {"architecture": "amd64", "os": "linux"}
    (root / "index.json").write_text(json.dumps({"schemaVersion": 2, "manifests": [manifest]}))
    (root / "oci-layout").write_text('{"imageLayoutVersion": "1.0.0"}')
    return root


@pytest.mark.skipif(not Path("/usr/bin/time").exists(), reason="needs /usr/bin/time -v")
def test_layer_with_many_entries_in_bounded_memory(tmp_path):
    root = _layout_with_many_entries(tmp_path / "many")
    out = tmp_path / "out.json"
    p = subprocess.run(["/usr/bin/time", "-v", sys.executable, "-m", "oci_conform", "image",
                        "validate", f"oci:{root}", "--format", "json", "-o", str(out)],
                       capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stderr[-2000:]
    peak = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", p.stderr).group(1))
    data = json.loads(out.read_text())
    dup = next(r for r in data["results"] if r["clause"] == "image.layer.distributable-format.2")
    assert dup["outcome"] == "pass"
    assert peak < LIMIT_KIB, f"peak RSS {peak} KiB"
