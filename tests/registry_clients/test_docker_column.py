"""The Docker CLI as a registry-clients column: a dockerd of its own (``drivers/dockerd.py``)
pushes and pulls against the recorded reference registries, anonymous, basic and token
auth (``docker login``), and the existing judges give it pass/fail outcomes. Nothing is left
behind: no daemon, no temp root, no Docker config outside the run's folder."""
from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from oci_conform.drivers.registry_clients import OFFERS, locate
from oci_conform.model.outcome import Outcome
from tests.registry_clients.test_clients_suite import run_suite

# push/pull with Accept lists (anonymous, token), Content-Type of pushes (anonymous, basic,
# token), a manifest one byte longer than its digest, blob redirects under basic auth
CLAUSES = ("dist.spec.pulling-manifests.5", "dist.spec.pushing-manifests.1",
           "dist.spec.pulling-manifests.15", "dist.spec.api.2-b")


def _daemons_naming(marker: str) -> list[str]:
    found = []
    for entry in Path("/proc").iterdir():
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except (OSError, ValueError):
            continue
        if marker in cmdline and ("dockerd" in cmdline or "containerd" in cmdline):
            found.append(cmdline)
    return found


@pytest.mark.integration
def test_the_docker_column_is_judged_and_leaves_nothing_behind(tmp_path: Path) -> None:
    _, version, reason = locate("docker")
    if reason:
        pytest.skip(reason)
    assert version.startswith("Docker version ")
    home_config = Path.home() / ".docker"
    had_config = home_config.exists()
    temp_before = set(Path(tempfile.gettempdir()).glob("oc-dk-*"))

    results = run_suite("docker", tmp_path, CLAUSES)

    by_clause = {r.clause: r for r in results}
    assert set(by_clause) == set(CLAUSES)
    wrong = [(r.clause, r.outcome, r.message) for r in results if r.outcome is not Outcome.PASS]
    assert not wrong, wrong
    # the refusal is Docker's own words about the digest, not any failure
    assert "verification failed" in by_clause["dist.spec.pulling-manifests.15"].message
    # the token registry was logged in to: a token was fetched, then sent
    urls = [(ex.method, ex.url, ex.request_headers.get("Authorization", ""))
            for ex in by_clause["dist.spec.pushing-manifests.1"].evidence.exchanges]
    assert any(url.startswith("/token") for _, url, _ in urls), urls
    assert any(auth.startswith("Bearer") for *_, auth in urls), urls
    assert any(auth.startswith("Basic") for *_, auth in urls), urls     # the basic registry
    runs = [run.argv for r in results for run in r.evidence.runs]
    assert runs and all(argv[0] == "/usr/bin/docker" for argv in runs), runs

    # nothing left: files of the column, daemons, their short folders, a config in $HOME
    assert not [p for p in (tmp_path / "registry-clients").rglob("*") if p.is_file()]
    assert not _daemons_naming(str(tmp_path))
    assert set(Path(tempfile.gettempdir()).glob("oc-dk-*")) <= temp_before
    assert home_config.exists() == had_config


def test_docker_offers_push_and_pull_only() -> None:
    # no tag listing in the Docker CLI; no way to push a manifest it did not build itself
    assert OFFERS["docker"] == frozenset({"push", "pull"})


def test_without_dockerd_the_column_is_skips_with_the_reason(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # dockerd not on PATH: the "not installed" case, without uninstalling anything
    monkeypatch.setenv("PATH", str(tmp_path))
    assert locate("docker")[2].startswith("docker.io is not installed")
    results = run_suite("docker", tmp_path / "run")
    assert results and {r.outcome for r in results} == {Outcome.SKIP}
    assert {r.message for r in results} == {
        "cannot prepare docker here: cannot start dockerd: dockerd or /usr/bin/docker is "
        "not installed (apt-get install docker.io)"}


@pytest.mark.integration
def test_docker_login_keeps_its_credentials_in_the_run_folder(tmp_path: Path) -> None:
    import json

    from oci_conform.drivers.registry_clients import Creds, make_client
    from oci_conform.suites.registry_clients.run import bench
    command, _, reason = locate("docker")
    if reason:
        pytest.skip(reason)
    home_config = Path.home() / ".docker"
    had_config = home_config.exists()
    client = make_client("docker", "docker", command, tmp_path / "client")
    with bench(tmp_path / "registries") as b:
        basic = b.registries["basic"]
        assert basic.creds is not None
        try:
            client.prepare()
            wrong = client.push(f"{basic.host}/clients/image:v1",
                                Creds(basic.creds.user, "not-the-password"))
            assert not wrong.ok and "login" in wrong.argv
            pushed = client.push(f"{basic.host}/clients/image:v1", basic.creds)
            assert pushed.ok, pushed.stderr
            assert basic.creds.password not in " ".join(pushed.argv + wrong.argv)
            configs = [p for p in (tmp_path / "client").rglob("config.json")
                       if "auths" in json.loads(p.read_text())]
            assert [set(json.loads(p.read_text())["auths"]) for p in configs] == [{basic.host}]
        finally:
            client.close()
    assert not (tmp_path / "client").exists()
    assert home_config.exists() == had_config
