"""Read an image through the registry HTTP API (read-only) and walk it like a layout.

Uses the project's recording client (drivers/registry_http.py); blobs are streamed
from the raw (undecoded) response body, manifests are fetched by digest.
"""
from __future__ import annotations

import hashlib
from typing import Any, BinaryIO

import requests

from oci_conform.checks.docker import clauses as D
from oci_conform.checks.docker.manifest import check_schema1, is_schema1
from oci_conform.checks.image import clauses as C
from oci_conform.checks.image.jsondoc import MAX_DOCUMENT, parse_json
from oci_conform.checks.image.layer import Limits
from oci_conform.checks.image.report import Report
from oci_conform.checks.image.walk import (
    DOCKER_LIST,
    DOCKER_MANIFEST,
    INDEX_TYPES,
    MANIFEST_TYPES,
    Walk,
    walk_descriptor,
)
from oci_conform.drivers.image_sources.base import SMALL_LIMIT, SourceError
from oci_conform.drivers.image_sources.refs import ImageRef
from oci_conform.drivers.registry_http import (
    RegistryClient,
    exchanges_dicts,
    finish_response,
    read_raw,
)

ACCEPT = ", ".join([*MANIFEST_TYPES, *INDEX_TYPES, D.MT_SCHEMA1_SIGNED, D.MT_SCHEMA1])


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


def validate_registry_image(ref: ImageRef, version: str, limits: Limits, insecure: bool
                            ) -> tuple[Report, dict]:
    host, _, name = ref.location.partition("/")
    client = RegistryClient(("http://" if insecure else "https://") + host)
    source = RegistrySource(client, name, ref.text)
    report = Report()
    try:
        desc = _top_descriptor(report, source, ref.selector)
        stats: dict[str, Any] = {}
        if desc is not None:
            walk = Walk(source, report, version, limits, digest_clause=C.DESC_DIGEST,
                        missing_clause=C.DESC_DIGEST)
            walk_descriptor(walk, desc, f"{ref.text}")
            stats = walk.stats
        exchanges = client.take()
        evidence = {"source": ref.text, "kind": "registry", **stats,
                    "requests": len(exchanges),
                    "exchanges": exchanges_dicts(exchanges[:6])}
        return report, evidence
    finally:
        source.close()


def _top_descriptor(report: Report, source: RegistrySource, selector: str
                    ) -> dict[str, Any] | None:
    path = f"/v2/{source.name}/manifests/{selector}"
    try:
        resp = source.client.request("GET", path, headers={"Accept": ACCEPT}, stream=True)
    except requests.RequestException as exc:
        raise SourceError(f"registry unreachable: {exc}") from None
    if resp.status_code != 200:
        resp.close()
        raise SourceError(f"GET {path}: HTTP {resp.status_code}")
    body = source.client.read_body(resp, MAX_DOCUMENT)
    media_type = resp.headers.get("Content-Type", "").split(";")[0].strip()
    digest = "sha256:" + hashlib.sha256(body).hexdigest()
    header = resp.headers.get("Docker-Content-Digest", "")
    if header:
        report.check(C.DESC_DIGEST, header == digest, "Docker-Content-Digest differs from the "
                     "hash of the manifest body", f"GET {path}", header, digest)
    if selector.startswith("sha256:"):
        report.check(C.DESC_DIGEST, selector == digest, "manifest body does not hash to the "
                     "digest it was fetched by", f"GET {path}", selector, digest)
    doc = parse_json(body, C.MAN_SCHEMA_REQUIRED, "manifest")
    if is_schema1(doc.value, media_type):
        sub = Report(file=f"GET {path}", text=doc.text)
        check_schema1(sub, doc.value)
        report.merge(sub)
        return None
    if media_type not in (*MANIFEST_TYPES, *INDEX_TYPES, DOCKER_LIST, DOCKER_MANIFEST):
        media_type = (doc.value or {}).get("mediaType", "") if isinstance(doc.value, dict) else ""
    return {"mediaType": media_type, "digest": digest, "size": len(body)}
