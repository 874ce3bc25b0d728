"""What the registry must know about a pushed manifest: its type, what it references,
its subject. Rejections come back as ApiError values with the spec's codes."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from oci_conform.reference.registry.errors import ApiError
from oci_conform.reference.registry.grammar import Digest, parse_digest

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
IMAGE_TYPES = {OCI_MANIFEST, DOCKER_MANIFEST}
INDEX_TYPES = {OCI_INDEX, DOCKER_LIST}
MAX_MANIFEST = 4 * 1024 * 1024


@dataclass
class ManifestFacts:
    """What the registry needs of a manifest: its type and what it refers to."""

    media_type: str
    blobs: list[Digest] = field(default_factory=list)       # config and layers
    children: list[Digest] = field(default_factory=list)    # manifests of an index
    subject: Digest | None = None
    artifact_type: str = ""
    annotations: dict[str, str] = field(default_factory=dict)


def _invalid(message: str, detail: Any = None) -> ApiError:
    return ApiError(400, "MANIFEST_INVALID", message, detail)


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:
            raise ValueError(f"duplicate key {key!r}")
        seen[key] = value
    return seen


def _descriptor_digest(desc: Any, where: str) -> Digest:
    if not isinstance(desc, dict) or not isinstance(desc.get("digest"), str):
        raise _invalid(f"{where} is not a descriptor with a digest")
    if not isinstance(desc.get("size"), int) or desc["size"] < 0:
        raise _invalid(f"{where}.size must be a non-negative integer")
    if not isinstance(desc.get("mediaType"), str):
        raise _invalid(f"{where}.mediaType must be a string")
    digest = parse_digest(desc["digest"])
    if digest is None:
        raise _invalid(f"{where}.digest is not a supported digest", {"digest": desc["digest"]})
    return digest


def image_rule_violations(data: bytes, media_type: str) -> list[dict[str, str]]:
    """MUST-level violations the toolkit's own image checks find in a manifest or index
    (one entry per clause: id, message, JSON pointer)."""
    from oci_conform.catalog.loader import default_catalog
    from oci_conform.checks.image.document import validate_document
    from oci_conform.model.outcome import Level

    try:
        report, _kind = validate_document(data, "manifest", "main", media_type)
    except Exception as exc:  # a bug in a check must not turn client input into a 500
        import logging
        logging.getLogger(__name__).warning("image checks failed on a pushed manifest: %r", exc)
        return []
    clauses = default_catalog().clauses
    found = []
    for clause_id, findings in sorted(report.problems.items()):
        clause = clauses.get(clause_id)
        if findings and clause is not None and clause.level in (Level.MUST, Level.MUST_NOT):
            found.append({"clause": clause_id, "message": findings[0].message,
                          "location": findings[0].location})
    return found


def parse_manifest(data: bytes, content_type: str) -> ManifestFacts:
    """Facts of a manifest body sent with ``content_type``; raises ApiError when invalid."""
    media_type = content_type.split(";")[0].strip().lower()
    try:
        doc = json.loads(data.decode("utf-8"), object_pairs_hook=_no_duplicates)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise _invalid(f"manifest is not valid I-JSON: {exc}") from None
    if not isinstance(doc, dict):
        raise _invalid("manifest is not a JSON object")
    declared = doc.get("mediaType")
    if declared is not None and declared != media_type:
        raise _invalid("Content-Type does not match the manifest's mediaType",
                       {"contentType": media_type, "mediaType": declared})
    if media_type not in IMAGE_TYPES | INDEX_TYPES:
        raise _invalid(f"unsupported manifest media type {media_type!r}")
    if doc.get("schemaVersion") != 2:
        raise _invalid("schemaVersion must be 2")
    facts = ManifestFacts(media_type)
    if media_type in IMAGE_TYPES:
        facts.blobs.append(_descriptor_digest(doc.get("config"), "config"))
        layers = doc.get("layers")
        if not isinstance(layers, list):
            raise _invalid("layers must be an array")
        for n, layer in enumerate(layers):
            digest = _descriptor_digest(layer, f"layers[{n}]")
            if not layer.get("urls"):      # foreign layers live elsewhere
                facts.blobs.append(digest)
        config_type = doc["config"]["mediaType"]
        facts.artifact_type = doc.get("artifactType") or config_type
    else:
        children = doc.get("manifests")
        if not isinstance(children, list):
            raise _invalid("manifests must be an array")
        facts.children = [_descriptor_digest(c, f"manifests[{n}]") for n, c in enumerate(children)]
        facts.artifact_type = doc.get("artifactType") or ""
    if "subject" in doc:
        facts.subject = _descriptor_digest(doc["subject"], "subject")
    annotations = doc.get("annotations") or {}
    if not isinstance(annotations, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in annotations.items()):
        raise _invalid("annotations must map strings to strings")
    facts.annotations = annotations
    violations = image_rule_violations(data, media_type)
    if violations:
        raise _invalid(f"manifest breaks {violations[0]['clause']}: {violations[0]['message']}",
                       {"violations": violations[:20]})
    return facts
