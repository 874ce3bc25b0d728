"""Authentication: htpasswd basic auth, the bearer token flow with scopes, anonymous pull."""
from __future__ import annotations

import base64
import hashlib
from pathlib import Path

import pytest
import requests

from oci_conform.reference.registry import RegistryConfig, RegistryServer
from oci_conform.reference.registry.auth import _apr1, verify_password
from tests.reference_registry.conftest import Client

PASSWORD = "s3cret-pass"


def sha_entry(user: str, password: str) -> str:
    return f"{user}:{{SHA}}" + base64.b64encode(hashlib.sha1(password.encode()).digest()).decode()


@pytest.fixture()
def htpasswd(tmp_path: Path) -> Path:
    path = tmp_path / "htpasswd"
    path.write_text(sha_entry("alice", PASSWORD) + "\n" +
                    "bob:" + _apr1(b"bob-pass", b"saltsalt") + "\n")
    return path


def test_password_hashes() -> None:
    # Known answer from an independent implementation:
    # `openssl passwd -apr1 -salt r31..... password`.
    assert verify_password("password", "$apr1$r31.....$ARC3pREO82RIm0aQ2zszC0")
    assert not verify_password("wrong", "$apr1$r31.....$ARC3pREO82RIm0aQ2zszC0")
    assert verify_password(PASSWORD, sha_entry("a", PASSWORD).split(":", 1)[1])


def test_basic_auth(tmp_path: Path, htpasswd: Path) -> None:
    with RegistryServer(RegistryConfig(tmp_path / "s", htpasswd=htpasswd)) as srv:
        anon = requests.get(f"{srv.url}/v2/", timeout=10)
        assert anon.status_code == 401 and anon.headers["WWW-Authenticate"].startswith("Basic")
        assert anon.json()["errors"][0]["code"] == "UNAUTHORIZED"
        wrong = requests.get(f"{srv.url}/v2/", auth=("alice", "nope"), timeout=10)
        assert wrong.status_code == 401
        for user, pw in (("alice", PASSWORD), ("bob", "bob-pass")):
            session = requests.Session()
            session.auth = (user, pw)
            client = Client(srv.url, session)
            client.put_manifest("team/app", "v1", client.image("team/app"))
            assert session.get(f"{srv.url}/v2/team/app/tags/list", timeout=10).json()["tags"] \
                == ["v1"]


def test_anonymous_pull_allows_reads_only(tmp_path: Path, htpasswd: Path) -> None:
    config = RegistryConfig(tmp_path / "s", htpasswd=htpasswd, anonymous_pull=True)
    with RegistryServer(config) as srv:
        session = requests.Session()
        session.auth = ("alice", PASSWORD)
        pusher = Client(srv.url, session)
        pusher.put_manifest("pub/app", "v1", pusher.image("pub/app"))
        assert requests.get(f"{srv.url}/v2/pub/app/manifests/v1", timeout=10).status_code == 200
        denied = requests.put(f"{srv.url}/v2/pub/app/manifests/v2", data=b"{}", timeout=10)
        assert denied.status_code == 401


def _token(srv: RegistryServer, challenge: str, auth: tuple[str, str] | None) -> str:
    fields = dict(part.split("=", 1) for part in challenge[len("Bearer "):].split(","))
    fields = {k: v.strip('"') for k, v in fields.items()}
    r = requests.get(fields["realm"], params={"service": fields["service"],
                                              "scope": fields.get("scope", "")},
                     auth=auth, timeout=10)
    assert r.status_code == 200, r.text
    return str(r.json()["token"])


def test_bearer_flow_with_scopes(tmp_path: Path, htpasswd: Path) -> None:
    config = RegistryConfig(tmp_path / "s", htpasswd=htpasswd, token_auth=True)
    with RegistryServer(config) as srv:
        url = f"{srv.url}/v2/team/app/blobs/uploads/"
        first = requests.post(url, timeout=10)
        assert first.status_code == 401
        challenge = first.headers["WWW-Authenticate"]
        assert challenge.startswith("Bearer ") and 'scope="repository:team/app:push"' in challenge
        token = _token(srv, challenge, ("alice", PASSWORD))
        ok = requests.post(url, headers={"Authorization": f"Bearer {token}"}, timeout=10)
        assert ok.status_code == 202
        # The token is scoped: another repository is refused.
        other = requests.post(f"{srv.url}/v2/other/app/blobs/uploads/",
                              headers={"Authorization": f"Bearer {token}"}, timeout=10)
        assert other.status_code == 401
        # A forged token is refused; bad credentials get no token.
        forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
        assert requests.post(url, headers={"Authorization": f"Bearer {forged}"},
                             timeout=10).status_code == 401
        bad = requests.get(f"{srv.url}/token", params={"scope": "repository:team/app:push"},
                           auth=("alice", "wrong"), timeout=10)
        assert bad.status_code == 401


def test_skopeo_with_credentials(tmp_path: Path, htpasswd: Path) -> None:
    import shutil
    import subprocess
    if not shutil.which("skopeo"):
        pytest.skip("skopeo is not installed")
    config = RegistryConfig(tmp_path / "s", htpasswd=htpasswd, token_auth=True)
    layout = tmp_path / "layout"
    with RegistryServer(config) as srv:
        subprocess.run(["skopeo", "copy", "--dest-tls-verify=false", "--dest-creds",
                        f"alice:{PASSWORD}", f"docker-archive:{_tiny_archive(tmp_path)}",
                        f"docker://{srv.address}/team/tiny:v1"], check=True, timeout=120,
                       capture_output=True)
        subprocess.run(["skopeo", "copy", "--src-tls-verify=false", "--src-creds",
                        f"alice:{PASSWORD}", f"docker://{srv.address}/team/tiny:v1",
                        f"oci:{layout}:v1"], check=True, timeout=120, capture_output=True)
    assert (layout / "index.json").exists()


def _tiny_archive(tmp_path: Path) -> Path:
    """A docker-archive tarball of one small layer, written by hand for the test."""
    import io
    import json
    import tarfile
    layer_buf = io.BytesIO()
    with tarfile.open(fileobj=layer_buf, mode="w") as layer:
        data = b"hello\n"
        info = tarfile.TarInfo("hello.txt")
        info.size = len(data)
        layer.addfile(info, io.BytesIO(data))
    layer_bytes = layer_buf.getvalue()
    diff_id = "sha256:" + hashlib.sha256(layer_bytes).hexdigest()
    config = json.dumps({"architecture": "amd64", "os": "linux",
                         "rootfs": {"type": "layers", "diff_ids": [diff_id]},
                         "config": {}}).encode()
    config_name = hashlib.sha256(config).hexdigest() + ".json"
    manifest = json.dumps([{"Config": config_name, "RepoTags": ["tiny:v1"],
                            "Layers": ["layer.tar"]}]).encode()
    path = tmp_path / "tiny.tar"
    with tarfile.open(path, "w") as archive:
        for name, data in ((config_name, config), ("layer.tar", layer_bytes),
                           ("manifest.json", manifest)):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return path
