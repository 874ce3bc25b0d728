"""Validate an image in a registry: fetch its top manifest, then walk it like a layout."""
from __future__ import annotations

import hashlib
from typing import Any

import requests

from oci_conform.checks.docker.manifest import check_schema1, is_schema1
from oci_conform.checks.image.jsondoc import MAX_DOCUMENT, parse_json
from oci_conform.checks.image.layer import Limits
from oci_conform.checks.image.report import Report
from oci_conform.drivers.image_sources.base import SourceError
from oci_conform.drivers.image_sources.refs import ImageRef
from oci_conform.drivers.image_sources.registry import ACCEPT, RegistrySource
from oci_conform.drivers.image_sources.walk import (
    DOCKER_LIST,
    DOCKER_MANIFEST,
    INDEX_TYPES,
    MANIFEST_TYPES,
    Walk,
    walk_descriptor,
)
from oci_conform.drivers.registry_http import RegistryClient
from oci_conform.model.evidence import HttpExchange


def validate_registry_image(ref: ImageRef, version: str, limits: Limits, insecure: bool
                            ) -> tuple[Report, dict[str, Any], list[HttpExchange]]:
    """Walk the image ``ref`` names in a registry; (report, facts, first exchanges)."""
    host, _, name = ref.location.partition("/")
    client = RegistryClient(("http://" if insecure else "https://") + host)
    source = RegistrySource(client, name, ref.text)
    report = Report()
    try:
        desc = _top_descriptor(report, source, ref.selector)
        stats: dict[str, Any] = {}
        if desc is not None:
            walk = Walk(source, report, version, limits,
                        digest_clause="image.descriptor.properties.3",
                        missing_clause="image.descriptor.properties.3")
            walk_descriptor(walk, desc, f"{ref.text}")
            stats = walk.stats
        exchanges = client.take()
        facts = {"source": ref.text, "kind": "registry", **stats, "requests": len(exchanges)}
        return report, facts, list(exchanges[:6])
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
        report.check("image.descriptor.properties.3",
                     header == digest, "Docker-Content-Digest differs from the "
                     "hash of the manifest body", f"GET {path}", header, digest)
    if selector.startswith("sha256:"):
        report.check("image.descriptor.properties.3",
                     selector == digest, "manifest body does not hash to the "
                     "digest it was fetched by", f"GET {path}", selector, digest)
    doc = parse_json(body, "image.manifest.image-manifest-property-descriptions.1", "manifest")
    if is_schema1(doc.value, media_type):
        sub = Report(file=f"GET {path}", text=doc.located)
        check_schema1(sub, doc.value)
        report.merge(sub)
        return None
    if media_type not in (*MANIFEST_TYPES, *INDEX_TYPES, DOCKER_LIST, DOCKER_MANIFEST):
        own = doc.value.get("mediaType") if isinstance(doc.value, dict) else None
        media_type = own if isinstance(own, str) else ""
    return {"mediaType": media_type, "digest": digest, "size": len(body)}
