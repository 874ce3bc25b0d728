"""The registry suite passes on the reference registry, with no expectations file, in every
profile, anonymous and with basic and bearer-token authentication."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from oci_conform.reference.registry import RegistryConfig, RegistryServer
from tests.reference_registry.test_auth import PASSWORD, sha_entry

pytestmark = pytest.mark.integration


def run_suite(url: str, profile: str, tmp_path: Path, user: str = "",
              password: str = "") -> tuple[int, dict, str]:
    results = tmp_path / f"results-{profile}.json"
    argv = [sys.executable, "-m", "oci_conform", "registry", "test", url, "--name", "reference",
            "--profile", profile, "--results", str(results), "--fail-on", "may"]
    if user:
        argv += ["--username", user, "--password-stdin"]
    proc = subprocess.run(argv, input=password + "\n" if user else None, capture_output=True,
                          text=True, timeout=600)
    return proc.returncode, json.loads(results.read_text()), proc.stdout + proc.stderr


def assert_all_passed(code: int, results: dict, output: str) -> None:
    bad = [(r["clause"], r["outcome"], r.get("message", "")) for r in results["results"]
           if r["outcome"] not in ("pass", "n/a", "skip")]
    assert bad == [], output[-3000:]
    assert code == 0
    passed = sum(r["outcome"] == "pass" for r in results["results"])
    assert passed >= 90, f"only {passed} passes: the suite judged too little"


@pytest.mark.parametrize("profile", ["v1.0", "v1.1", "dev"])
def test_every_profile_anonymous(tmp_path: Path, profile: str) -> None:
    with RegistryServer(RegistryConfig(tmp_path / "s", profile=profile)) as srv:
        assert_all_passed(*run_suite(srv.url, profile, tmp_path))


@pytest.mark.parametrize("token_auth", [False, True], ids=["basic", "bearer"])
def test_with_authentication(tmp_path: Path, token_auth: bool) -> None:
    htpasswd = tmp_path / "htpasswd"
    htpasswd.write_text(sha_entry("alice", PASSWORD) + "\n")
    config = RegistryConfig(tmp_path / "s", htpasswd=htpasswd, token_auth=token_auth)
    with RegistryServer(config) as srv:
        code, results, output = run_suite(srv.url, "v1.1", tmp_path, "alice", PASSWORD)
    assert_all_passed(code, results, output)
    assert PASSWORD not in output and PASSWORD not in json.dumps(results)
