"""Independent clients against the reference registry: skopeo (both directions, OCI and
Docker media types) and the ORAS Python client (artifacts)."""
from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
import requests

pytestmark = pytest.mark.integration

needs_tools = pytest.mark.skipif(not (shutil.which("skopeo") and shutil.which("umoci")),
                                 reason="skopeo and umoci (Debian packages) are not installed")


def run(*argv: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=120, cwd=cwd)
    assert proc.returncode == 0, f"{argv}: {proc.stderr}"
    return proc


@pytest.fixture(scope="module")
def busybox_layout(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An OCI layout holding one busybox image, made by umoci."""
    if not (shutil.which("umoci") and Path("/bin/busybox").exists()):
        pytest.skip("umoci and busybox-static are needed")
    base = tmp_path_factory.mktemp("img")
    (base / "rootfs" / "bin").mkdir(parents=True)
    shutil.copy("/bin/busybox", base / "rootfs" / "bin" / "busybox")
    layout = base / "layout"
    run("umoci", "init", "--layout", str(layout))
    run("umoci", "new", "--image", f"{layout}:latest")
    run("umoci", "insert", "--image", f"{layout}:latest", str(base / "rootfs" / "bin"), "/bin")
    return layout


@needs_tools
@pytest.mark.parametrize("fmt, media_type", [
    ("oci", "application/vnd.oci.image.manifest.v1+json"),
    ("v2s2", "application/vnd.docker.distribution.manifest.v2+json"),
])
def test_skopeo_round_trip(registry, busybox_layout: Path, tmp_path: Path, fmt: str,
                           media_type: str) -> None:
    ref = f"docker://{registry.address}/copies/busybox:{fmt}"
    run("skopeo", "copy", "--dest-tls-verify=false", "--format", fmt,
        f"oci:{busybox_layout}:latest", ref)
    raw = run("skopeo", "inspect", "--raw", "--tls-verify=false", ref).stdout
    served = requests.get(f"{registry.url}/v2/copies/busybox/manifests/{fmt}",
                          headers={"Accept": media_type}, timeout=30)
    assert served.headers["Content-Type"] == media_type and served.text == raw
    back = tmp_path / "back"
    run("skopeo", "copy", "--src-tls-verify=false", ref, f"oci:{back}:latest")
    index = json.loads((back / "index.json").read_text())
    assert index["manifests"][0]["annotations"]["org.opencontainers.image.ref.name"] == "latest"
    layers = json.loads(raw)["layers"]
    for layer in layers:
        alg, enc = layer["digest"].split(":")
        assert (back / "blobs" / alg / enc).stat().st_size == layer["size"]


def test_oras_push_and_pull_artifact(registry, tmp_path: Path, monkeypatch) -> None:
    oras_client = pytest.importorskip("oras.client", reason="the oras package is not installed")
    artifact = tmp_path / "sbom.json"
    artifact.write_text('{"packages": []}')
    monkeypatch.chdir(tmp_path)
    client = oras_client.OrasClient(hostname=registry.address, insecure=True)
    resp = client.push(files=["sbom.json"], target=f"{registry.address}/arts/sbom:v1")
    assert resp.status_code == 201
    pulled = client.pull(target=f"{registry.address}/arts/sbom:v1", outdir=str(tmp_path / "out"))
    assert Path(pulled[0]).read_text() == '{"packages": []}'
    assert client.get_tags(f"{registry.address}/arts/sbom") == ["v1"]
