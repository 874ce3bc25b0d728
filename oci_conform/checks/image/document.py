"""``image validate-document``: one JSON document judged without its blobs.

The kind comes from an explicit media type, else the document's own mediaType,
else its shape.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from oci_conform.checks.docker import manifest as docker_manifest
from oci_conform.checks.docker import media_types as DMT
from oci_conform.checks.docker.config import check_image_json
from oci_conform.checks.image.config import check_config
from oci_conform.checks.image.descriptor import check_descriptor
from oci_conform.checks.image.grammar import (
    MT_CONFIG,
    MT_DESCRIPTOR,
    MT_INDEX,
    MT_LAYOUT,
    MT_MANIFEST,
)
from oci_conform.checks.image.index import check_index
from oci_conform.checks.image.jsondoc import judge_json_form, parse_json
from oci_conform.checks.image.manifest import check_manifest
from oci_conform.checks.image.report import Report

MT_APPC = "application/vnd.appc.image-manifest+json"
def parse_clause(media_type: str) -> str:
    """The clause a document of ``media_type`` breaks when it cannot be read as JSON."""
    if media_type == MT_MANIFEST:
        return "image.manifest.json-object"
    if media_type == MT_INDEX:
        return "image.image-index.json-object"
    if media_type == MT_CONFIG:
        return "image.config.json-object"
    if media_type == MT_DESCRIPTOR:
        return "image.descriptor.json-object"
    if media_type == MT_LAYOUT:
        return "image.image-layout.content.4"
    if media_type == DMT.MT_V2S2:
        return "docker.manifest-v2-2.json-object"
    if media_type == DMT.MT_LIST:
        return "docker.manifest-list.json-object"
    if media_type == DMT.MT_CONFIG:
        return "docker.image.json-object"
    if media_type == DMT.MT_SCHEMA1:
        return "docker.schema1.deprecated"
    if media_type == MT_APPC:
        return "appc.aci.manifest.json"
    return "image.considerations.json.utf-8"


ALIASES = {"manifest": MT_MANIFEST, "index": MT_INDEX, "config": MT_CONFIG,
           "descriptor": MT_DESCRIPTOR, "oci-layout": MT_LAYOUT, "docker-manifest": DMT.MT_V2S2,
           "docker-manifest-list": DMT.MT_LIST, "docker-config": DMT.MT_CONFIG,
           "docker-schema1": DMT.MT_SCHEMA1, "appc-manifest": MT_APPC}


def _oci_layout(report: Report, doc: Any, version: str) -> None:
    if report.check("image.image-layout.content.4",
                    isinstance(doc, dict), "oci-layout is not an object",
                    ""):
        v = doc.get("imageLayoutVersion")
        report.check("image.image-layout.content.5", isinstance(v, str) and v != "",
                     "imageLayoutVersion is missing", "/imageLayoutVersion")


def _appc(report: Report, doc: Any, version: str) -> None:
    from oci_conform.checks.appc.manifest import check_image_manifest
    check_image_manifest(report, doc)


DocCheck = Callable[[Report, Any, str], None]

# The one table of document checks by media type (OCI, Docker, appc); the walk and
# validate-document both judge through it.
DOCUMENT_CHECKS: dict[str, DocCheck] = {
    MT_MANIFEST: check_manifest, MT_INDEX: check_index, MT_CONFIG: check_config,
    MT_DESCRIPTOR: lambda r, d, v: (check_descriptor(r, d, "", v), None)[1],
    MT_LAYOUT: _oci_layout, DMT.MT_V2S2: docker_manifest.check_v2s2,
    DMT.MT_LIST: docker_manifest.check_list, DMT.MT_CONFIG: check_image_json,
    DMT.MT_SCHEMA1: docker_manifest.check_schema1,
    DMT.MT_SCHEMA1_SIGNED: docker_manifest.check_schema1,
    MT_APPC: _appc,
}


def guess_kind(doc: Any) -> str:
    """The media type a document most likely is, from its own mediaType or its shape."""
    if not isinstance(doc, dict):
        return ""
    mt = doc.get("mediaType")
    if isinstance(mt, str) and mt in DOCUMENT_CHECKS and not ("digest" in doc and "size" in doc):
        return mt
    if doc.get("acKind") == "ImageManifest":
        return MT_APPC
    if docker_manifest.is_schema1(doc):
        return DMT.MT_SCHEMA1
    if "imageLayoutVersion" in doc:
        return MT_LAYOUT
    if "digest" in doc and "size" in doc:
        return MT_DESCRIPTOR
    if "manifests" in doc:
        return MT_INDEX
    if "layers" in doc and "config" in doc:
        return MT_MANIFEST
    if "rootfs" in doc or ("architecture" in doc and "os" in doc):
        return MT_CONFIG
    return ""


def not_json(data: bytes) -> str:
    """Why ``data`` cannot be read as JSON at all, in one line ("" when it can)."""
    doc = parse_json(data, "image.considerations.json.utf-8")
    if doc.ok:
        return ""
    first = doc.problems[-1].message if doc.problems else "unreadable"
    return " ".join(first.split())[:200]


def validate_document(data: bytes, file: str, version: str, media_type: str = ""
                      ) -> tuple[Report, str]:
    """(report, kind judged). An unknown kind is a report with one error."""
    media_type = ALIASES.get(media_type, media_type)
    broken = parse_clause(media_type)
    doc = parse_json(data, broken, file)
    report = Report(file=file, text=doc.located, version=version)
    for p in doc.problems:
        report.fail(p.clause, p.message, p.location)
    judge_json_form(report, doc)
    if not doc.ok:
        return report, media_type or "unknown"
    kind = media_type or guess_kind(doc.value)
    check = DOCUMENT_CHECKS.get(kind)
    if check is None:
        report.error(broken if media_type else "image.descriptor.json-object",
                     f"cannot tell what kind of document this is ({media_type or 'no mediaType'});"
                     " give --media-type", "")
        return report, kind or "unknown"
    check(report, doc.value, version)
    return report, kind
