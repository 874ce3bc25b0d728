"""Image indexes (application/vnd.oci.image.index.v1+json) and their platform objects."""
from __future__ import annotations

from typing import Any

from oci_conform.checks.image.annotations import check_annotations
from oci_conform.checks.image.descriptor import check_descriptor
from oci_conform.checks.image.grammar import (
    GOARCH,
    GOOS,
    MT_INDEX,
    MT_MANIFEST,
    VARIANTS,
    media_type_ok,
)
from oci_conform.checks.image.manifest import check_schema_version
from oci_conform.checks.image.report import Report, pointer

DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"


def check_index(report: Report, doc: Any, version: str, layout_index: bool = False) -> None:
    """Every document-level rule of an image index (``layout_index``: it is index.json)."""
    if not isinstance(doc, dict):
        report.fail("image.image-index.property-descriptions.1",
                    "an index must be a JSON object", "", "object",
                    type(doc).__name__)
        return
    check_schema_version(report, doc, "image.image-index.property-descriptions.1",
                         "image.image-index.property-descriptions.2")
    report.check("image.image-index.property-descriptions.4",
                 "mediaType" in doc, "the index does not set mediaType",
                 "", MT_INDEX, "(absent)")
    if "mediaType" in doc:
        report.check("image.image-index.property-descriptions.5", doc["mediaType"] == MT_INDEX,
                     "index mediaType is not the image index type", "/mediaType",
                     MT_INDEX, doc["mediaType"])
    if "artifactType" in doc:
        report.check("image.image-index.property-descriptions.7",
                     media_type_ok(doc["artifactType"]),
                     f"artifactType {doc['artifactType']!r} is not an RFC 6838 type/subtype",
                     "/artifactType")
    manifests: Any = doc.get("manifests")
    if "manifests" not in doc:
        report.fail("image.image-index.property-descriptions.9",
                    "manifests is missing (an empty array is allowed)", "")
    elif report.check("image.image-index.property-descriptions.8", isinstance(manifests, list),
                      "manifests must be an array", "/manifests"):
        report.saw("image.image-index.property-descriptions.9")
        for i, d in enumerate(manifests):
            where = "/manifests" + pointer(i)
            check_descriptor(report, d, where, version, on_layout_index=layout_index)
            if isinstance(d, dict) and isinstance(d.get("mediaType"), str):
                report.check("image.image-index.property-descriptions.12",
                             d["mediaType"] in (MT_MANIFEST, MT_INDEX),
                             f"entry of type {d['mediaType']}: portable indexes list only image "
                             "manifests and indexes", where + "/mediaType")
            if isinstance(d, dict):
                _check_platform_of(report, d, where)
    if "subject" in doc:
        check_descriptor(report, doc["subject"], "/subject", version)
    if "annotations" in doc:
        check_annotations(report, doc["annotations"], "/annotations",
                          "image.image-index.property-descriptions.31")


def _check_platform_of(report: Report, d: dict, where: str) -> None:
    if "platform" in d:
        report.saw("image.descriptor.properties.17")
        check_platform(report, d["platform"], where + "/platform")
    elif d.get("mediaType") in (MT_MANIFEST, DOCKER_MANIFEST):
        report.fail("image.descriptor.properties.17",
                    "an image manifest entry has no platform", where)


def check_platform(report: Report, p: Any, where: str) -> None:
    if not isinstance(p, dict):
        report.fail("image.image-index.property-descriptions.17",
                    "platform must be an object", where)
        return
    arch, os_ = p.get("architecture"), p.get("os")
    if report.check("image.image-index.property-descriptions.17",
                    isinstance(arch, str) and arch != "",
                    "platform.architecture is required", where + "/architecture"):
        report.check("image.image-index.property-descriptions.18",
                     arch in GOARCH, f"architecture {arch!r} is not a GOARCH value",
                     where + "/architecture")
    if report.check("image.image-index.property-descriptions.19",
                    isinstance(os_, str) and os_ != "",
                    "platform.os is required", where + "/os"):
        report.check("image.image-index.property-descriptions.20",
                     os_ in GOOS, f"os {os_!r} is not a GOOS value", where + "/os")
    for name, clause, test, what in (
            ("os.version", "image.image-index.property-descriptions.21",
             lambda v: isinstance(v, str), "a string"),
            ("os.features", "image.image-index.property-descriptions.23",
             lambda v: isinstance(v, list) and all(isinstance(x, str) for x in v),
             "an array of strings"),
            ("variant", "image.image-index.property-descriptions.26",
             lambda v: isinstance(v, str), "a string")):
        if name in p:
            report.check(clause, test(p[name]), f"platform.{name} must be {what}",
                         where + pointer(name))
    check_windows_features(report, os_, p.get("os.features"), where + "/os.features",
                           "image.image-index.property-descriptions.24")
    variant = p.get("variant")
    if isinstance(variant, str) and isinstance(arch, str) and arch in VARIANTS:
        report.check("image.image-index.property-descriptions.27", variant in VARIANTS[arch],
                     f"variant {variant!r} is not listed for {arch}", where + "/variant")


WINDOWS_FEATURES = {"win32k"}


def check_windows_features(report: Report, os_: Any, features: Any, where: str,
                           clause: str) -> None:
    """On windows, os.features entries are the feature names the spec lists."""
    if os_ != "windows" or not isinstance(features, list):
        return
    for i, f in enumerate(features):
        report.check(clause, f in WINDOWS_FEATURES, f"os.features entry {f!r} is not a listed "
                     f"windows feature ({', '.join(sorted(WINDOWS_FEATURES))})", where + pointer(i))
