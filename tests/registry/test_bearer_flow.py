"""The bearer token flow through a local token server, and secrets absent from all output."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import requests
from registry_tokenproxy import TokenProxy

from oci_conform.drivers.registry_http import Credentials, RegistryClient

pytestmark = pytest.mark.integration

USER = "ci-user"
PASSWORD = "pw-Zq8r-very-secret-4711"


@pytest.fixture(scope="module")
def proxy(docker_registry):
    with TokenProxy(docker_registry.port, USER, PASSWORD) as front:
        yield front


def _cli(args: list[str], stdin: str, tmp: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "oci_conform", *args], input=stdin,
                          capture_output=True, text=True, timeout=600, cwd=tmp)


def test_anonymous_is_refused(proxy) -> None:
    resp = requests.get(f"{proxy.url}/v2/any/tags/list", timeout=10)
    assert resp.status_code == 401
    assert resp.headers["WWW-Authenticate"].startswith("Bearer realm=")


def test_client_follows_challenge(proxy) -> None:
    with RegistryClient(proxy.url, Credentials.basic(USER, PASSWORD)) as client:
        resp = client.request("GET", "/v2/oci-conform/none/tags/list")
        assert resp.status_code == 404          # authorised, the repository is just absent
        statuses = [e.status for e in client.exchanges]
        assert statuses[:3] == [401, 200, 404]  # challenge, token, retried request
        dumped = json.dumps([e.to_dict() for e in client.exchanges])
    assert proxy.issued and proxy.issued[-1][0] == "oci-conform-test"
    assert "repository:oci-conform/none:pull,push" in proxy.issued[-1][1]
    assert PASSWORD not in dumped
    for token in proxy.tokens:
        assert token not in dumped


def test_wrong_password_gives_401_not_crash(proxy) -> None:
    with RegistryClient(proxy.url, Credentials.basic(USER, "wrong")) as client:
        assert client.request("GET", "/v2/x/tags/list").status_code == 401


def test_suite_over_bearer_flow_leaks_nothing(proxy, tmp_path: Path) -> None:
    before = len(proxy.tokens)
    results = tmp_path / "results.json"
    run = _cli(["registry", "test", proxy.url, "--username", USER, "--password-stdin",
                "--group", "pull", "--group", "push", "--group", "discovery",
                "--format", "json", "--results", str(results)], PASSWORD + "\n", tmp_path)
    assert run.returncode in (0, 1), run.stderr[-2000:]
    assert len(proxy.tokens) > before, "no token was issued: the bearer flow did not run"
    doc = json.loads(run.stdout)
    by = {(r["case"], r["clause"]): r["outcome"] for r in doc["results"]}
    assert by[("registry:manifest-get-by-tag", "dist.spec.pulling-manifests.10")] == "pass"
    assert by[("registry:chunked-upload", "dist.spec.pushing-a-blob-in-chunks.15")] == "pass"
    outputs = [run.stdout, run.stderr, results.read_text()]
    html = tmp_path / "r.txt"
    run_text = _cli(["registry", "test", proxy.url, "--username", USER, "--password-stdin",
                     "-k", "manifest-get", "--format", "text", "-o", str(html)],
                    PASSWORD + "\n", tmp_path)
    assert run_text.returncode in (0, 1), run_text.stderr[-2000:]
    outputs += [html.read_text(), run_text.stdout, run_text.stderr]
    assert "Bearer <redacted>" in results.read_text()
    for out in outputs:
        assert PASSWORD not in out
        for token in proxy.tokens:
            assert token not in out


def test_token_stdin_is_redacted(proxy, tmp_path: Path) -> None:
    token = proxy.issue()
    run = _cli(["registry", "test", proxy.url, "--token-stdin", "-k", "manifest-get-by-tag",
                "--format", "json"], token + "\n", tmp_path)
    assert run.returncode in (0, 1), run.stderr[-2000:]
    doc = json.loads(run.stdout)
    assert any(r["outcome"] == "pass" for r in doc["results"])
    assert token not in run.stdout and token not in run.stderr


def test_refused_credentials_are_a_harness_error(proxy, tmp_path: Path) -> None:
    wrong = "not-the-password-9931"
    run = _cli(["registry", "test", proxy.url, "--username", USER, "--password-stdin",
                "-k", "manifest-get-by-tag", "--format", "json"], wrong + "\n", tmp_path)
    assert run.returncode == 3, run.stderr[-1000:]
    doc = json.loads(run.stdout)
    assert doc["results"] and all(r["outcome"] == "error" for r in doc["results"])
    assert "authentication failed" in doc["results"][0]["message"]
    assert wrong not in run.stdout and wrong not in run.stderr
