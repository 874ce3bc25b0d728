"""An in-process reference registry per test module, and small push helpers."""
from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from oci_conform.reference.registry import RegistryConfig, RegistryServer

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
EMPTY_CONFIG = "application/vnd.oci.empty.v1+json"
IMAGE_CONFIG = "application/vnd.oci.image.config.v1+json"


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


@pytest.fixture()
def registry(tmp_path: Path) -> Iterator[RegistryServer]:
    with RegistryServer(RegistryConfig(tmp_path / "storage")) as server:
        yield server


class Client:
    """Just enough of a registry client for the tests (requests, raw bodies)."""

    def __init__(self, base: str, session: requests.Session | None = None):
        self.base = base
        self.http = session or requests.Session()

    def url(self, path: str) -> str:
        return path if path.startswith("http") else self.base + path

    def push_blob(self, repo: str, data: bytes) -> str:
        digest = sha256(data)
        r = self.http.post(self.url(f"/v2/{repo}/blobs/uploads/"))
        assert r.status_code == 202, r.text
        r = self.http.put(self.url(r.headers["Location"]), params={"digest": digest}, data=data,
                          headers={"Content-Type": "application/octet-stream"})
        assert r.status_code == 201, r.text
        return digest

    def image(self, repo: str, layers: list[bytes] | None = None, **extra: object) -> bytes:
        config = b"{}"
        descs = []
        self.push_blob(repo, config)
        for layer in layers or []:
            descs.append({"mediaType": "application/vnd.oci.image.layer.v1.tar",
                          "digest": self.push_blob(repo, layer), "size": len(layer)})
        doc = {"schemaVersion": 2, "mediaType": OCI_MANIFEST,
               "config": {"mediaType": EMPTY_CONFIG if "artifactType" in extra else IMAGE_CONFIG,
                          "digest": sha256(config), "size": 2},
               "layers": descs, **extra}
        return json.dumps(doc).encode()

    def put_manifest(self, repo: str, ref: str, body: bytes,
                     media_type: str = OCI_MANIFEST) -> requests.Response:
        return self.http.put(self.url(f"/v2/{repo}/manifests/{ref}"), data=body,
                             headers={"Content-Type": media_type})


@pytest.fixture()
def client(registry: RegistryServer) -> Client:
    return Client(registry.url)
