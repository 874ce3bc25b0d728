"""containerd's ``ctr`` against the reference registry in token mode: it asks for tokens
with the OAuth2 POST form (grant_type=password, or refresh_token with ``--refresh``).
containerd runs as its own daemon (own root, state and socket in a temp folder)."""
from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from oci_conform.reference.registry import RegistryConfig, RegistryServer
from tests.reference_registry.test_auth import PASSWORD, _tiny_archive, htpasswd  # noqa: F401

pytestmark = [pytest.mark.integration,
              pytest.mark.skipif(not (shutil.which("containerd") and shutil.which("ctr")
                                      and shutil.which("skopeo")),
                                 reason="containerd, ctr and skopeo (Debian packages) are needed")]

CONFIG = """version = 2
root = "{d}/root"
state = "{d}/state"
disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.snapshotter.v1.btrfs",
                    "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.aufs",
                    "io.containerd.snapshotter.v1.devmapper",
                    "io.containerd.tracing.processor.v1.otlp"]
[grpc]
  address = "{d}/c.sock"
[ttrpc]
  address = "{d}/c.ttrpc"
[debug]
  address = ""
[metrics]
  address = ""
[plugins."io.containerd.internal.v1.opt"]
  path = "{d}/opt"
"""


@pytest.fixture()
def containerd() -> Iterator[list[str]]:
    """A private containerd; yields the ``ctr`` argv prefix that talks to it."""
    folder = Path(tempfile.mkdtemp(prefix="ctd", dir="/tmp"))   # short: socket path limit
    (folder / "config.toml").write_text(CONFIG.format(d=folder))
    log = open(folder / "containerd.log", "wb")
    proc = subprocess.Popen(["containerd", "--config", str(folder / "config.toml")],
                            stdout=log, stderr=subprocess.STDOUT)
    ctr = ["ctr", "--address", str(folder / "c.sock"), "--namespace", "oci-conform-test"]
    try:
        deadline = time.monotonic() + 30
        while subprocess.run([*ctr, "version"], capture_output=True, timeout=10).returncode:
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail("containerd did not start: "
                            + (folder / "containerd.log").read_text()[-2000:])
            time.sleep(0.2)
        yield ctr
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
        log.close()
        subprocess.run(["umount", "-R", str(folder / "root")], capture_output=True, timeout=30)
        shutil.rmtree(folder, ignore_errors=True)


def ctr_ok(argv: list[str]) -> str:
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, f"{argv[3:]}: {proc.stderr[-1500:]}"
    return proc.stdout


def test_ctr_pull_and_push_with_token_auth(tmp_path: Path, htpasswd: Path,  # noqa: F811
                                           containerd: list[str]) -> None:
    config = RegistryConfig(tmp_path / "s", htpasswd=htpasswd, token_auth=True)
    with RegistryServer(config) as srv:
        subprocess.run(["skopeo", "copy", "--dest-tls-verify=false", "--dest-creds",
                        f"alice:{PASSWORD}", f"docker-archive:{_tiny_archive(tmp_path)}",
                        f"docker://{srv.address}/team/tiny:v1"], check=True, timeout=120,
                       capture_output=True)
        source, copy = f"{srv.address}/team/tiny:v1", f"{srv.address}/team/copy:v2"
        user = ["--plain-http", "--user", f"alice:{PASSWORD}"]
        ctr_ok([*containerd, "images", "pull", *user, "--snapshotter", "native", source])
        ctr_ok([*containerd, "images", "tag", source, copy])
        ctr_ok([*containerd, "images", "push", *user, copy])
        token = requests.post(f"{srv.url}/token", timeout=10, data={
            "grant_type": "password", "username": "alice", "password": PASSWORD,
            "scope": "repository:team/copy:pull"}).json()["access_token"]
        tags = requests.get(f"{srv.url}/v2/team/copy/tags/list", timeout=10,
                            headers={"Authorization": f"Bearer {token}"})
        assert tags.status_code == 200 and tags.json()["tags"] == ["v2"]
        # A refresh token instead of a password (grant_type=refresh_token).
        refresh = requests.post(f"{srv.url}/token", timeout=10, data={
            "grant_type": "password", "username": "alice", "password": PASSWORD,
            "access_type": "offline"}).json()["refresh_token"]
        ctr_ok([*containerd, "images", "rm", source])
        ctr_ok([*containerd, "images", "pull", "--plain-http", "--refresh", refresh,
                "--snapshotter", "native", source])
        # Wrong credentials: ctr fails, and says it was refused.
        bad = subprocess.run([*containerd, "images", "pull", "--plain-http", "--user",
                              "alice:wrong", "--snapshotter", "native",
                              f"{srv.address}/team/copy:v2"],
                             capture_output=True, text=True, timeout=120)
        assert bad.returncode != 0 and "401" in bad.stderr + bad.stdout, bad.stderr[-800:]
