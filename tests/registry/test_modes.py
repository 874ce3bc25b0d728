"""Read-only mode, implementation parsing, default implementations, command usage errors."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from oci_conform.drivers.registry_http import RegistryClient
from oci_conform.suites.registry import SUITE
from oci_conform.suites.registry import content as C
from oci_conform.suites.registry.session import Session


def test_parse_implementation() -> None:
    impl = SUITE.parse_implementation("local=http://127.0.0.1:5000/")
    assert (impl.name, impl.kind, impl.command) == ("local", "registry", "http://127.0.0.1:5000")
    for bad in ("nourl", "x=ftp://h", "=http://h", "bad name=http://h"):
        with pytest.raises(ValueError):
            SUITE.parse_implementation(bad)


def test_default_implementations_include_docker_registry(tmp_path: Path) -> None:
    from oci_conform.catalog.loader import default_catalog
    from oci_conform.suites.base import RunContext
    impls = SUITE.default_implementations(RunContext(default_catalog(), tmp_path))
    names = [i.name for i in impls]
    assert "docker-registry" in names and "oci-conform-registry" in names
    docker = impls[names.index("docker-registry")]
    assert docker.available == bool(docker.version) or not docker.available


def _cli(args: list[str], stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "oci_conform", *args], input=stdin,
                          capture_output=True, text=True, timeout=600)


def test_usage_errors() -> None:
    assert _cli(["registry", "test", "http://127.0.0.1:1", "--read-only"]).returncode == 2
    assert _cli(["registry", "test", "http://127.0.0.1:1", "--username", "u"]).returncode == 2
    assert _cli(["registry", "test", "notaurl"]).returncode == 2


@pytest.mark.integration
def test_read_only_pushes_nothing(docker_registry) -> None:
    repo = "readonly/app"
    with RegistryClient(docker_registry.url) as client:
        s = Session(client, repo)
        s.push_image(repo, C.image("ro-fixture"), "1.0")
    before = requests.get(f"{docker_registry.url}/v2/_catalog", timeout=10).json()
    run = _cli(["registry", "test", docker_registry.url, "--read-only", "--namespace", repo,
                "--format", "json"])
    assert run.returncode in (0, 1), run.stderr[-2000:]
    doc = json.loads(run.stdout)
    after = requests.get(f"{docker_registry.url}/v2/_catalog", timeout=10).json()
    assert before == after
    outcomes = {(r["case"], r["clause"]): r for r in doc["results"]}
    push = outcomes[("registry:post-then-put", "dist.spec.post-then-put.7")]
    assert push["outcome"] == "skip" and "read-only" in push["message"]
    pull = outcomes[("registry:blob-get", "dist.spec.pulling-blobs.1")]
    assert pull["outcome"] == "pass"
    assert not any(r["clause"] == "harness.registry.cleanup" for r in doc["results"])
    assert [r["outcome"] for r in doc["results"]
            if r["clause"] == "harness.registry.reachable"] == ["pass"]


@pytest.mark.integration
def test_matrix_has_a_docker_registry_column(tmp_path: Path) -> None:
    """`oci-conform matrix --suite registry` starts docker-registry itself for the run."""
    from oci_conform.drivers.docker_registry import binary_path
    if not binary_path():
        pytest.skip("docker-registry is not installed")
    run = subprocess.run([sys.executable, "-m", "oci_conform", "matrix", "--suite", "registry",
                          "-k", "manifest-get-by-tag", "--reports", str(tmp_path / "reports"),
                          "--format", "json"], capture_output=True, text=True, timeout=600,
                         cwd=tmp_path)
    assert run.returncode in (0, 1), run.stderr[-2000:]
    doc = json.loads(run.stdout)
    docker = next(i for i in doc["implementations"] if i["name"] == "docker-registry")
    assert docker["available"] and docker["version"]
    mine = [r for r in doc["results"] if r["implementation"] == "docker-registry"]
    assert any(r["clause"] == "dist.spec.pulling-manifests.10" and r["outcome"] == "pass"
               for r in mine)
    assert {r["case"] for r in mine} <= {"registry:manifest-get-by-tag", "registry:cleanup"}
