"""Hostile registries: credentials kept to their origin, deadlines, bounded bodies.

Each test scripts a loopback ``HostileRegistry`` (tests/support) and drives either the
client, ``oci-conform registry test`` or ``oci-conform image validate docker://``.
"""
from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from oci_conform.drivers import registry_http
from oci_conform.drivers.registry_http import Credentials, DeadlineExceeded, RegistryClient
from tests.support.hostile_registry import (
    HostileRegistry,
    answer,
    drip,
    drip_headers,
    garbage,
    gzip_bomb,
    huge_headers,
    json_answer,
    lie_length,
    ok,
    require_basic,
    require_bearer,
)

USER, PASSWORD = "hostile-user", "pw-hostile-Kq93-secret"
CLI_TIMEOUT = 120


def _cli(args: list[str], tmp: Path, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "oci_conform", *args], input=stdin,
                          capture_output=True, text=True, timeout=CLI_TIMEOUT, cwd=tmp)


def _results(tmp: Path) -> list[dict]:
    return json.loads((tmp / "r.json").read_text())["results"]


def _auth(seen: list) -> list[str]:
    return [s.header("Authorization") for s in seen if s.header("Authorization")]


# ------------------------------------------------------------------ credentials

def test_upload_location_on_another_origin_gets_no_credentials(tmp_path: Path) -> None:
    """A 202 Location naming another origin: the PUT (and everything after) goes bare."""
    with HostileRegistry() as reg, HostileRegistry() as other:
        reg.on("GET", "/v2/", require_basic(USER, PASSWORD, ok()))
        reg.on("POST", r"/v2/.+/blobs/uploads/", require_basic(USER, PASSWORD, answer(
            202, headers={"Location": other.url + "/upload/3f1c2a9e-0000-4000-8000-00000000"
                                                  "0001"})))
        other.on("*", r"/.*", answer(201, headers={"Location": "/v2/x/blobs/sha256:00"}))
        proc = _cli(["registry", "test", reg.url, "--username", USER, "--password-stdin",
                     "--clause", "dist.spec.post-then-put.1", "--format", "json",
                     "--results", str(tmp_path / "r.json"), "--request-timeout", "10"],
                    tmp_path, stdin=PASSWORD + "\n")
        assert "Traceback" not in proc.stderr, proc.stderr
        assert _auth(reg.seen), "control: the registry's own origin did get the credentials"
        assert other.seen, "the suite never used the upload Location"
        assert _auth(other.seen) == [], "credentials went to another origin"
    text = (tmp_path / "r.json").read_text()
    assert PASSWORD not in text
    assert "no credentials sent to http://127.0.0.1" in text


def test_bearer_token_stays_with_the_origin_that_asked(tmp_path: Path) -> None:
    with HostileRegistry() as reg, HostileRegistry() as other:
        reg.on("GET", "/token", json_answer(200, {"token": "tok-same-origin-123456"}))
        reg.on("*", r"/v2/.*", require_bearer(reg.url + "/token", "tok-same-origin-123456",
                                              ok()))
        other.on("*", r"/.*", ok())
        with RegistryClient(reg.url, Credentials.basic(USER, PASSWORD)) as client:
            assert client.request("GET", "/v2/").status_code == 200
            client.request("GET", other.url + "/v2/elsewhere")
            client.request("PUT", other.url + "/upload/1", data=b"x")
        assert any(a.startswith("Bearer ") for a in _auth(reg.seen))
        assert any(a.startswith("Basic ") for a in _auth(reg.requests_to("/token")))
        assert other.seen and _auth(other.seen) == []


def test_plain_http_realm_on_another_origin_gets_no_credentials() -> None:
    with HostileRegistry() as reg, HostileRegistry() as other:
        other.on("GET", "/token", json_answer(200, {"token": "anon-token-abcdef"}))
        reg.on("*", r"/v2/.*", require_bearer(other.url + "/token", "anon-token-abcdef", ok()))
        with RegistryClient(reg.url, Credentials.basic(USER, PASSWORD)) as client:
            resp = client.request("GET", "/v2/")
            assert resp.status_code == 200        # an anonymous token was still fetched
            assert any("--allow-insecure-realm" in n for n in client.withheld)
        assert other.requests_to("/token"), "the realm was never asked"
        assert _auth(other.seen) == []


def test_plain_http_realm_gets_credentials_only_with_the_flag(tmp_path: Path) -> None:
    with HostileRegistry() as reg, HostileRegistry() as other:
        other.on("GET", "/token", json_answer(200, {"token": "flag-token-abcdef"}))
        reg.on("*", r"/v2/.*", require_bearer(other.url + "/token", "flag-token-abcdef", ok()))
        proc = _cli(["registry", "test", reg.url, "--username", USER, "--password-stdin",
                     "--allow-insecure-realm", "--clause", "dist.spec.determining-support.1",
                     "--format", "json", "-o", str(tmp_path / "out.json")], tmp_path,
                    stdin=PASSWORD + "\n")
        assert "Traceback" not in proc.stderr, proc.stderr
        sent = _auth(other.requests_to("/token"))
        assert sent and all(a.startswith("Basic ") for a in sent)


# ------------------------------------------------------------------ deadlines

def test_dripping_base_endpoint_is_cut_off(tmp_path: Path) -> None:
    """GET /v2/ promising 10 GiB, one byte a second: the run ends, exit 3, naming the
    request (before: it ran forever)."""
    with HostileRegistry() as reg:
        reg.on("GET", "/v2/", drip(10 << 30, 1.0, {"Content-Type": "application/json"}))
        started = time.monotonic()
        proc = _cli(["registry", "test", reg.url, "--request-timeout", "2", "--deadline", "30",
                     "--format", "json", "--results", str(tmp_path / "r.json")], tmp_path)
        took = time.monotonic() - started
    assert proc.returncode == 3, proc.stderr
    assert took < 25
    errors = [r for r in _results(tmp_path) if r["outcome"] == "error"]
    assert errors and all("GET http://127.0.0.1" in r["message"] and "/v2/" in r["message"]
                          and "deadline" in r["message"] for r in errors)


def test_dripping_headers_are_cut_off() -> None:
    with HostileRegistry() as reg:
        reg.on("GET", "/v2/", drip_headers(0.5))
        with RegistryClient(reg.url, timeout=1.5) as client:
            started = time.monotonic()
            with pytest.raises(DeadlineExceeded, match=r"GET http://127\.0\.0\.1:\d+/v2/"):
                client.request("GET", "/v2/")
            assert time.monotonic() - started < 5
            assert client.take()[-1].status is None


def test_dripping_streamed_blob_is_cut_off() -> None:
    with HostileRegistry() as reg:
        reg.on("GET", r"/v2/a/blobs/.*", drip(1 << 30, 0.2))
        with RegistryClient(reg.url, timeout=1.5) as client:
            started = time.monotonic()
            with pytest.raises(DeadlineExceeded, match="while the body was read"):
                client.download_digest("/v2/a/blobs/sha256:" + "0" * 64)
            assert time.monotonic() - started < 5


def test_run_deadline_stops_every_later_request() -> None:
    with HostileRegistry() as reg:
        reg.on("GET", "/v2/", ok())
        reg.on("GET", "/v2/slow", drip(1000, 0.2))
        with RegistryClient(reg.url, timeout=30, deadline=1.0) as client:
            assert client.request("GET", "/v2/").status_code == 200
            with pytest.raises(DeadlineExceeded, match="run's deadline"):
                client.request("GET", "/v2/slow")
            with pytest.raises(DeadlineExceeded, match="not sent"):
                client.request("GET", "/v2/")


def test_a_finished_request_never_cuts_a_later_one_on_the_same_connection() -> None:
    """Deadlines follow requests, not pooled connections."""
    with HostileRegistry() as reg:
        reg.on("GET", "/v2/", ok())
        reg.on("GET", "/v2/slowish", drip(6, 0.25))
        with RegistryClient(reg.url, timeout=1.0) as client:
            for _ in range(3):
                assert client.request("GET", "/v2/").status_code == 200
            # a streamed answer closed without being read leaves its 1 s deadline live
            client.request("GET", "/v2/", stream=True).close()
            time.sleep(1.2)                                   # the old deadlines pass
            # 6 bytes at 0.25 s each outlast that deadline on the reused connection
            assert client.request("GET", "/v2/slowish", timeout=3).status_code == 200


def test_image_validate_blob_drip_is_cut_off(tmp_path: Path, monkeypatch, capsys) -> None:
    from oci_conform import cli
    layer_digest = "sha256:" + "a" * 64
    manifest = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                           "digest": layer_digest, "size": 1 << 30},
                "layers": []}
    body = json.dumps(manifest).encode()
    with HostileRegistry() as reg:
        reg.on("GET", r"/v2/", ok())
        reg.on("GET", r"/v2/app/manifests/v1", answer(200, body, {
            "Content-Type": "application/vnd.oci.image.manifest.v1+json"}))
        reg.on("GET", r"/v2/app/blobs/.*", drip(1 << 30, 0.2))
        monkeypatch.setattr(registry_http, "DEFAULT_REQUEST_TIMEOUT", 2.0)
        started = time.monotonic()
        code = cli.main(["image", "validate", f"docker://{reg.host}/app:v1", "--format",
                         "json", "-o", str(tmp_path / "out.json")])
        took = time.monotonic() - started
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert took < 20
    assert code in (1, 3)
    text = (tmp_path / "out.json").read_text()
    assert "deadline" in text


# ------------------------------------------------------------------ bounded bodies

def test_lying_content_length_is_an_error_not_a_crash() -> None:
    with HostileRegistry() as reg:
        reg.on("GET", "/v2/", lie_length(5000, b'{"short": true}'))
        with RegistryClient(reg.url, timeout=5) as client:
            with pytest.raises(requests.RequestException):
                client.request("GET", "/v2/")
            assert client.take()[-1].error


def test_gzip_bomb_is_never_expanded() -> None:
    with HostileRegistry() as reg:
        reg.on("GET", "/v2/", gzip_bomb(256 << 20))
        with RegistryClient(reg.url, timeout=10) as client:
            resp = client.request("GET", "/v2/")
            assert resp.status_code == 200
            assert len(resp.content) < (1 << 20)          # compressed size, not 256 MiB
            assert resp.content[:2] == b"\x1f\x8b"


def test_huge_body_is_cut_and_marked() -> None:
    with HostileRegistry() as reg:
        reg.on("GET", "/v2/", garbage(3 << 20))
        with RegistryClient(reg.url, timeout=10, max_body=1 << 20) as client:
            resp = client.request("GET", "/v2/")
            assert len(resp.content) == 1 << 20
            assert "body cut at" in client.take()[-1].error


def test_huge_headers_are_a_request_error() -> None:
    with HostileRegistry() as reg:
        reg.on("GET", "/v2/", huge_headers(150, 100))
        reg.on("GET", "/v2/long", huge_headers(1, 100_000))
        with RegistryClient(reg.url, timeout=5) as client:
            for path in ("/v2/", "/v2/long"):
                with pytest.raises(requests.RequestException):
                    client.request("GET", path)


def test_suite_deadline_ends_the_run(tmp_path: Path) -> None:
    """/v2/ answers, everything else drips: the run stops at --deadline, what is left is
    error naming the deadline, and the command ends (exit 3)."""
    with HostileRegistry() as reg:
        reg.on("GET", "/v2/", ok())
        reg.on("*", r"/v2/.+", drip(1 << 20, 0.5))
        started = time.monotonic()
        proc = _cli(["registry", "test", reg.url, "--request-timeout", "1", "--deadline", "5",
                     "--format", "json", "--results", str(tmp_path / "r.json")], tmp_path)
        took = time.monotonic() - started
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.returncode == 3
    assert took < 60
    results = _results(tmp_path)
    answered = {"harness.registry.reachable", "dist.spec.determining-support.1"}   # GET /v2/
    assert not [r for r in results if r["outcome"] == "pass" and r["clause"] not in answered]
    late = [r for r in results if "run's deadline" in r["message"]]
    assert len(late) > 50, len(late)



def _stalled(seconds: float, then):
    """Answer whole and well formed, but only after ``seconds`` (each request on its own)."""
    def behaviour(handler) -> None:
        time.sleep(seconds)
        then(handler)
    return behaviour


def _small_image() -> dict[str, bytes]:
    import gzip
    import hashlib
    layer = gzip.compress(b"\0" * 1024, mtime=0)
    config = json.dumps({"architecture": "amd64", "os": "linux", "rootfs": {
        "type": "layers", "diff_ids": ["sha256:" + hashlib.sha256(b"\0" * 1024).hexdigest()]}
    }).encode()

    def desc(media: str, blob: bytes) -> dict:
        return {"mediaType": media, "digest": "sha256:" + hashlib.sha256(blob).hexdigest(),
                "size": len(blob)}
    manifest = json.dumps({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": desc("application/vnd.oci.image.config.v1+json", config),
        "layers": [desc("application/vnd.oci.image.layer.v1.tar+gzip", layer)]}).encode()
    return {"manifest": manifest, "config": config, "layer": layer}


def test_many_stalled_answers_end_at_the_run_deadline(tmp_path: Path) -> None:
    """The fuzz campaign's client-http 'hangs' (fixtures/fuzz/client-http/13dad25c333308f6,
    29c5c524fb9572ab): a registry that serves a real image but answers every request whole
    after 0.5 s, well inside the per-request timeout. Only the run's deadline bounds the
    suite (about 40 requests, over 20 s without it): the command must give up at it."""
    import hashlib
    image = _small_image()

    def digest(blob: bytes) -> str:
        return "sha256:" + hashlib.sha256(blob).hexdigest()
    with HostileRegistry() as reg:
        reg.on("*", r"/v2/.+", _stalled(0.5, json_answer(404, {"errors": [
            {"code": "NAME_UNKNOWN", "message": "stalled"}]})))
        reg.on("GET", "/v2/", ok())
        reg.on("*", r"/v2/fuzz/app/manifests/.*", _stalled(0.5, answer(
            200, image["manifest"], {"Content-Type": "application/vnd.oci.image.manifest.v1+json",
                                     "Docker-Content-Digest": digest(image["manifest"])})))
        for name in ("config", "layer"):
            reg.on("*", "/v2/fuzz/app/blobs/" + digest(image[name]), _stalled(0.5, answer(
                200, image[name], {"Docker-Content-Digest": digest(image[name])})))
        reg.on("*", r"/v2/fuzz/app/tags/list", _stalled(0.5, json_answer(
            200, {"name": "fuzz/app", "tags": ["latest"]})))
        started = time.monotonic()
        proc = _cli(["registry", "test", reg.url, "--read-only", "--namespace", "fuzz/app",
                     "--group", "pull", "--request-timeout", "2", "--deadline", "3",
                     "--format", "json", "--results", str(tmp_path / "r.json")], tmp_path)
        took = time.monotonic() - started
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.returncode == 3, proc.stderr
    assert took < 12, f"took {took:.1f} s past a 3 s deadline"
    late = [r for r in _results(tmp_path) if "run's deadline" in r["message"]]
    assert late, "no result names the run's deadline"
