"""Containerfile: what it installs, and (OCI_CONFORM_IMAGE_TEST=1) a real build and run with
podman on a Debian base made here by mmdebstrap (minutes: Debian and PyPI downloads)."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
TEXT = (REPO / "Containerfile").read_text()
TAG = "localhost/oci-conform-test:latest"
BASE_TAG = "localhost/oci-conform-test-base:bookworm"
MATRIX_TOOLS = ("runc", "crun", "docker-registry", "skopeo", "umoci", "busybox-static")


def apt_packages() -> set[str]:
    match = re.search(r"apt-get install[^\n]*\\\n(.*?)\n &&", TEXT, re.S)
    assert match, "Containerfile: no apt-get install line"
    return set(match.group(1).replace("\\", " ").split())


def test_installs_what_the_default_matrix_drives() -> None:
    packages = apt_packages()
    assert set(MATRIX_TOOLS) <= packages, set(MATRIX_TOOLS) - packages
    assert not {p for p in packages if "chromium" in p}, "no browser in the image"
    assert "/usr/local/bin/actool" in TEXT
    assert 'ENTRYPOINT ["oci-conform"]' in TEXT
    # the documented run line names the privileges, and docs/ci.md points at it
    assert "--privileged" in TEXT and "--cgroupns=host" in TEXT
    assert "Containerfile" in (REPO / "docs/ci.md").read_text()


def podman(*argv: str, timeout: float = 1800, **kw: object) -> subprocess.CompletedProcess[str]:
    """podman with runc: its default crun 1.8 refuses this host's hybrid cgroups."""
    return subprocess.run(["podman", "--runtime", "runc", *argv], capture_output=True,
                          text=True, timeout=timeout, **kw)  # type: ignore[call-overload]


# podman's default NOFILE limit is above what this host lets a process raise to
RUN = ("run", "--rm", "--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024")


@pytest.fixture(scope="module")
def image() -> Iterator[str]:
    if os.environ.get("OCI_CONFORM_IMAGE_TEST") != "1":
        pytest.skip("image build test: set OCI_CONFORM_IMAGE_TEST=1 (downloads, minutes)")
    if os.geteuid() != 0 or not shutil.which("podman") or not shutil.which("mmdebstrap"):
        pytest.skip("needs root, podman and mmdebstrap (apt-get install mmdebstrap)")
    work = Path(tempfile.mkdtemp(prefix="oci-conform-image-"))
    try:
        if podman("image", "exists", BASE_TAG).returncode != 0:
            tar = work / "base.tar"
            made = subprocess.run(["mmdebstrap", "--variant=minbase",
                                   "--include=ca-certificates", "bookworm", str(tar)],
                                  capture_output=True, text=True, timeout=1800)
            assert made.returncode == 0, made.stderr[-2000:]
            assert podman("import", str(tar), BASE_TAG).returncode == 0
        # this host reaches PyPI through a proxy whose CA is in the host's bundle only
        host_ca = Path(os.environ.get("PIP_CERT", "/etc/ssl/certs/ca-certificates.crt"))
        cert = ["-v", f"{host_ca}:/host-ca.crt:ro", "--build-arg", "PIP_CERT=/host-ca.crt"] \
            if host_ca.is_file() else []
        built = podman("build", *cert, "--build-arg", f"BASE={BASE_TAG}", "-t", TAG,
                       "-f", "Containerfile", ".", cwd=REPO)
        assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
        yield TAG
    finally:
        podman("rmi", "-f", TAG)
        shutil.rmtree(work, ignore_errors=True)


@pytest.mark.slow
@pytest.mark.integration
def test_image_runs_static_validators(image: str) -> None:
    fixtures = REPO / "fixtures"
    good = podman(*RUN, "-v", f"{fixtures}:/fx:ro", image,
                  "config", "validate", "/fx/config/good/full.json")
    assert good.returncode == 0, good.stdout[-2000:] + good.stderr[-2000:]
    bad = podman(*RUN, "-v", f"{fixtures}:/fx:ro", image, "config", "validate",
                 "/fx/config/bad/rt.config-linux.block-io.1.json")
    assert bad.returncode == 1 and "rt.config.property-values" in bad.stdout
    tools = podman(*RUN, "--entrypoint", "sh", image, "-c",
                   "runc --version && crun --version && skopeo --version && umoci --version "
                   "&& docker-registry --version && actool version && busybox true")
    assert tools.returncode == 0, tools.stderr


@pytest.mark.slow
@pytest.mark.integration
def test_image_runs_a_runtime_case_privileged(image: str) -> None:
    done = podman(*RUN, "--privileged", "--cgroupns=host",
                  "-v", "/sys/fs/cgroup:/sys/fs/cgroup:rw", "--tmpfs", "/tmp:rw,exec,dev",
                  image, "runtime", "test", "-v", "--runtime", "runc=runc",
                  "--case", "delete-without-id-errors", "--case", "delete-unknown-id-errors")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "rt.runtime.delete.1" in done.stdout


@pytest.mark.slow
@pytest.mark.integration
def test_image_runs_the_config_generators_matrix(image: str, tmp_path: Path) -> None:
    """The suite the issue names: `matrix --suite config-generators` inside the image, its
    reports written to a folder of the host."""
    done = podman(*RUN, "-v", f"{tmp_path}:/out", image, "matrix", "--suite",
                  "config-generators", "--reports", "/out")
    assert done.returncode in (0, 1), done.stdout[-3000:] + done.stderr[-3000:]
    results = (tmp_path / "results.json").read_text()
    assert '"runc-spec"' in results and '"pass"' in results
