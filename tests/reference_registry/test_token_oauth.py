"""The token endpoint's OAuth2 POST form (what containerd and BuildKit send), its refresh
tokens, and the catalog scope, driven with requests."""
from __future__ import annotations

import datetime
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from oci_conform.reference.registry import RegistryConfig, RegistryServer
from tests.reference_registry.conftest import Client
from tests.reference_registry.test_auth import PASSWORD, htpasswd  # noqa: F401 (fixture)

SERVICE = "oci-conform-registry"


@pytest.fixture()
def token_registry(tmp_path: Path, htpasswd: Path) -> Iterator[RegistryServer]:  # noqa: F811
    with RegistryServer(RegistryConfig(tmp_path / "s", htpasswd=htpasswd,
                                       token_auth=True)) as srv:
        yield srv


def post_token(srv: RegistryServer, **form: str) -> requests.Response:
    return requests.post(f"{srv.url}/token", data=form, timeout=10)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_password_grant_gives_a_working_scoped_token(token_registry: RegistryServer) -> None:
    r = post_token(token_registry, grant_type="password", username="alice", password=PASSWORD,
                   service=SERVICE, client_id="containerd-client",
                   scope="repository:team/app:pull,push repository:other/app:pull")
    assert r.status_code == 200, r.text
    doc = r.json()
    assert doc["expires_in"] > 0 and "refresh_token" not in doc
    issued = datetime.datetime.strptime(doc["issued_at"], "%Y-%m-%dT%H:%M:%SZ")
    now = datetime.datetime.now(datetime.UTC).replace(tzinfo=None)
    assert abs((now - issued).total_seconds()) < 60
    assert set(doc["scope"].split(" ")) == {"repository:team/app:pull,push",
                                            "repository:other/app:pull"}
    url = f"{token_registry.url}/v2/team/app/blobs/uploads/"
    assert requests.post(url, headers=bearer(doc["access_token"]),
                         timeout=10).status_code == 202
    refused = requests.post(f"{token_registry.url}/v2/other/app/blobs/uploads/",
                            headers=bearer(doc["access_token"]), timeout=10)
    assert refused.status_code == 401     # pull only there


def test_refresh_token_round_trip(token_registry: RegistryServer) -> None:
    r = post_token(token_registry, grant_type="password", username="bob", password="bob-pass",
                   service=SERVICE, access_type="offline", client_id="x",
                   scope="repository:team/app:pull")
    assert r.status_code == 200, r.text
    refresh = r.json()["refresh_token"]
    # A refresh token is no access token.
    assert requests.get(f"{token_registry.url}/v2/team/app/tags/list", headers=bearer(refresh),
                        timeout=10).status_code == 401
    again = post_token(token_registry, grant_type="refresh_token", refresh_token=refresh,
                       service=SERVICE, scope="repository:team/app:push,pull")
    assert again.status_code == 200, again.text
    token = again.json()["access_token"]
    assert requests.post(f"{token_registry.url}/v2/team/app/blobs/uploads/",
                         headers=bearer(token), timeout=10).status_code == 202
    # And an access token is no refresh token.
    assert post_token(token_registry, grant_type="refresh_token", refresh_token=token,
                      service=SERVICE).status_code == 401


@pytest.mark.parametrize("form, status, error", [
    ({"grant_type": "password", "username": "alice", "password": "wrong"}, 401, "invalid_grant"),
    ({"grant_type": "password", "username": "nobody", "password": "x"}, 401, "invalid_grant"),
    ({"grant_type": "password", "password": "x"}, 400, "invalid_request"),
    ({"grant_type": "refresh_token", "refresh_token": "forged.token"}, 401, "invalid_grant"),
    ({"grant_type": "client_credentials"}, 400, "unsupported_grant_type"),
    ({"grant_type": "password", "username": "alice", "password": PASSWORD,
      "service": "someone-else"}, 400, "invalid_request"),
])
def test_refusals_are_json(token_registry: RegistryServer, form: dict[str, str], status: int,
                           error: str) -> None:
    r = post_token(token_registry, **form)
    assert r.status_code == status and r.headers["Content-Type"] == "application/json"
    assert r.json()["error"] == error and r.json()["errors"][0]["code"]


def test_form_body_limits(token_registry: RegistryServer) -> None:
    r = requests.post(f"{token_registry.url}/token", data=b"grant_type=password&" + b"x" * 100_000,
                      headers={"Content-Type": "application/x-www-form-urlencoded"}, timeout=10)
    assert r.status_code == 400 and r.json()["error"] == "invalid_request"
    r = requests.post(f"{token_registry.url}/token", json={"grant_type": "password"}, timeout=10)
    assert r.status_code == 400 and r.json()["error"] == "invalid_request"
    r = requests.post(f"{token_registry.url}/token", data=b"\xff\xfe=\xff",
                      headers={"Content-Type": "application/x-www-form-urlencoded"}, timeout=10)
    assert r.status_code == 400


def test_get_offline_token_gives_a_refresh_token(token_registry: RegistryServer) -> None:
    r = requests.get(f"{token_registry.url}/token", auth=("alice", PASSWORD), timeout=10,
                     params={"service": SERVICE, "scope": "repository:team/app:pull",
                             "offline_token": "true"})
    assert r.status_code == 200 and r.json()["refresh_token"] and r.json()["issued_at"]


def test_catalog_needs_the_catalog_scope(token_registry: RegistryServer) -> None:
    url = f"{token_registry.url}/v2/_catalog"
    first = requests.get(url, timeout=10)
    assert first.status_code == 401
    assert 'scope="registry:catalog:*"' in first.headers["WWW-Authenticate"]
    repo_only = post_token(token_registry, grant_type="password", username="alice",
                           password=PASSWORD, scope="repository:team/app:pull,push")
    session = requests.Session()
    session.headers.update(bearer(repo_only.json()["access_token"]))
    Client(token_registry.url, session).put_manifest(
        "team/app", "v1", Client(token_registry.url, session).image("team/app"))
    assert session.get(url, timeout=10).status_code == 401
    anonymous = requests.get(f"{token_registry.url}/token", timeout=10,
                             params={"scope": "registry:catalog:*"}).json()["token"]
    assert requests.get(url, headers=bearer(anonymous), timeout=10).status_code == 401
    full = post_token(token_registry, grant_type="password", username="alice",
                      password=PASSWORD, scope="registry:catalog:*")
    assert "registry:catalog:*" in full.json()["scope"].split(" ")
    listing = requests.get(url, headers=bearer(full.json()["access_token"]), timeout=10)
    assert listing.status_code == 200 and listing.json() == {"repositories": ["team/app"]}
