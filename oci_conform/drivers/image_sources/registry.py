"""An image source over the registry HTTP API (read-only).

Uses the project's recording client (drivers/registry_http.py); blobs are streamed
from the raw (undecoded) response body, manifests are fetched by digest. The walk over
it lives in ``registry_walk``.
"""
from __future__ import annotations

from typing import BinaryIO

import requests

from oci_conform.checks.docker import media_types as DMT
from oci_conform.drivers.image_sources.base import SMALL_LIMIT, SourceError
from oci_conform.drivers.image_sources.walk import (
    INDEX_TYPES,
    MANIFEST_TYPES,
)
from oci_conform.drivers.registry_http import RegistryClient, finish_response, read_raw

ACCEPT = ", ".join([*MANIFEST_TYPES, *INDEX_TYPES, DMT.MT_SCHEMA1_SIGNED, DMT.MT_SCHEMA1])


class _RawStream:
    """The raw bytes of a streamed response as a file object (closes the response)."""

    def __init__(self, resp: requests.Response):
        self.resp = resp

    def read(self, n: int = -1) -> bytes:
        try:
            return read_raw(self.resp, n if n and n > 0 else 1 << 20)
        except requests.RequestException as exc:   # a deadline, a broken or lying peer
            raise SourceError(f"registry read failed: {exc}") from None

    def close(self) -> None:
        finish_response(self.resp)

    def __enter__(self) -> _RawStream:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


class RegistrySource:
    kind = "registry"

    def __init__(self, client: RegistryClient, name: str, label: str):
        self.client = client
        self.name = name
        self.label = label

    def read_small(self, name: str, limit: int = SMALL_LIMIT) -> bytes | None:
        return None

    def has_dir(self, name: str) -> bool:
        return False

    def blob_names(self) -> list[str]:
        return []

    def blob_problem(self, digest: str) -> str:
        return ""

    def open_blob(self, digest: str) -> BinaryIO | None:
        for kind, headers in (("blobs", {}), ("manifests", {"Accept": ACCEPT})):
            try:
                resp = self.client.request("GET", f"/v2/{self.name}/{kind}/{digest}",
                                           headers=headers, stream=True)
            except requests.RequestException as exc:
                raise SourceError(f"registry unreachable: {exc}") from None
            if resp.status_code == 200:
                return _RawStream(resp)  # type: ignore[return-value]
            resp.close()
        return None

    def close(self) -> None:
        self.client.close()
