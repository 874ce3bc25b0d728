"""``image validate-document``: one JSON document judged without its blobs.

The kind comes from an explicit media type, else the document's own mediaType,
else its shape.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from oci_conform.checks.docker import clauses as D
from oci_conform.checks.docker import manifest as docker_manifest
from oci_conform.checks.docker.config import check_image_json
from oci_conform.checks.image import clauses as C
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
KIND_CLAUSE = {MT_MANIFEST: C.MAN_SCHEMA_REQUIRED, MT_INDEX: C.IDX_SCHEMA_REQUIRED,
               MT_CONFIG: C.CFG_ROOTFS, MT_DESCRIPTOR: C.DESC_MEDIATYPE,
               MT_LAYOUT: C.LAYOUT_FILE_OBJECT, D.MT_V2S2: D.M_SCHEMA, D.MT_LIST: D.L_SCHEMA,
               D.MT_CONFIG: D.I_ROOTFS, D.MT_SCHEMA1: D.SCHEMA1, MT_APPC: "appc.manifest.ac-kind"}
ALIASES = {"manifest": MT_MANIFEST, "index": MT_INDEX, "config": MT_CONFIG,
           "descriptor": MT_DESCRIPTOR, "oci-layout": MT_LAYOUT, "docker-manifest": D.MT_V2S2,
           "docker-manifest-list": D.MT_LIST, "docker-config": D.MT_CONFIG,
           "docker-schema1": D.MT_SCHEMA1, "appc-manifest": MT_APPC}


def _oci_layout(report: Report, doc: Any, version: str) -> None:
    if report.check(C.LAYOUT_FILE_OBJECT, isinstance(doc, dict), "oci-layout is not an object",
                    ""):
        v = doc.get("imageLayoutVersion")
        report.check(C.LAYOUT_FILE_VERSION, isinstance(v, str) and v != "",
                     "imageLayoutVersion is missing", "/imageLayoutVersion")


def _appc(report: Report, doc: Any, version: str) -> None:
    from oci_conform.checks.appc.manifest import check_image_manifest
    check_image_manifest(report, doc)


CHECKS: dict[str, Callable[[Report, Any, str], None]] = {
    MT_MANIFEST: check_manifest, MT_INDEX: check_index, MT_CONFIG: check_config,
    MT_DESCRIPTOR: lambda r, d, v: (check_descriptor(r, d, "", v), None)[1],
    MT_LAYOUT: _oci_layout, D.MT_V2S2: docker_manifest.check_v2s2,
    D.MT_LIST: docker_manifest.check_list, D.MT_CONFIG: check_image_json,
    D.MT_SCHEMA1: docker_manifest.check_schema1, D.MT_SCHEMA1_SIGNED: docker_manifest.check_schema1,
    MT_APPC: _appc,
}


def guess_kind(doc: Any) -> str:
    """The media type a document most likely is, from its own mediaType or its shape."""
    if not isinstance(doc, dict):
        return ""
    mt = doc.get("mediaType")
    if isinstance(mt, str) and mt in CHECKS and not ("digest" in doc and "size" in doc):
        return mt
    if doc.get("acKind") == "ImageManifest":
        return MT_APPC
    if docker_manifest.is_schema1(doc):
        return D.MT_SCHEMA1
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


def validate_document(data: bytes, file: str, version: str, media_type: str = ""
                      ) -> tuple[Report, str]:
    """(report, kind judged). An unknown kind is a report with one error."""
    media_type = ALIASES.get(media_type, media_type)
    parse_clause = KIND_CLAUSE.get(media_type, C.JSON_UTF8)
    doc = parse_json(data, parse_clause, file)
    report = Report(file=file, text=doc.text)
    for p in doc.problems:
        report.fail(p.clause, p.message, p.location)
    judge_json_form(report, doc)
    if not doc.ok:
        return report, media_type or "unknown"
    kind = media_type or guess_kind(doc.value)
    check = CHECKS.get(kind)
    if check is None:
        report.error(parse_clause if media_type else C.DESC_MEDIATYPE,
                     f"cannot tell what kind of document this is ({media_type or 'no mediaType'});"
                     " give --media-type", "")
        return report, kind or "unknown"
    check(report, doc.value, version)
    return report, kind
