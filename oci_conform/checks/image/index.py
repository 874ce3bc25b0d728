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
from oci_conform.checks.image.props import (
    is_object,
    is_str,
    is_strings,
    json_type,
    optional,
    required,
)
from oci_conform.checks.image.report import Report, pointer

DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"


def check_index(report: Report, doc: Any, version: str, layout_index: bool = False) -> None:
    """Every document-level rule of an image index (``layout_index``: it is index.json)."""
    if not isinstance(doc, dict):
        report.fail("image.image-index.json-object", "an index must be a JSON object, not "
                    f"{json_type(doc)}", "", "object", json_type(doc))
        return
    report.saw("image.image-index.json-object")
    t = "image.image-index.property-types"
    check_schema_version(report, doc, "image.image-index.property-descriptions.1",
                         "image.image-index.property-descriptions.2", t)
    report.check("image.image-index.property-descriptions.4",
                 "mediaType" in doc, "the index does not set mediaType",
                 "", MT_INDEX, "(absent)")
    if optional(report, doc, "mediaType", "/mediaType", may="", types=t, test=is_str,
                what="a string"):
        report.check("image.image-index.property-descriptions.5", doc["mediaType"] == MT_INDEX,
                     "index mediaType is not the image index type", "/mediaType",
                     MT_INDEX, doc["mediaType"])
    if optional(report, doc, "artifactType", "/artifactType",
                may="", types=t, test=is_str, what="a string", since="1.1.0",
                rules=("image.image-index.property-descriptions.7",)):
        report.check("image.image-index.property-descriptions.7",
                     media_type_ok(doc["artifactType"]),
                     f"artifactType {doc['artifactType']!r} is not an RFC 6838 type/subtype",
                     "/artifactType")
    manifests: Any = doc.get("manifests")
    if "manifests" not in doc:
        report.fail("image.image-index.property-descriptions.9",
                    "manifests is missing (an empty array is allowed)", "")
    elif report.check("image.image-index.property-types", isinstance(manifests, list),
                      f"manifests must be an array, not {json_type(manifests)}", "/manifests"):
        report.saw("image.image-index.property-descriptions.8")
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
    if optional(report, doc, "subject", "/subject",
                may="", types=t, test=is_object, what="a descriptor object",
                since="1.1.0"):
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
    t = "image.image-index.property-types"
    if not isinstance(p, dict):
        report.fail(t, f"platform must be an object, not {json_type(p)}", where, "object",
                    json_type(p))
        return
    arch, os_ = p.get("architecture"), p.get("os")
    if required(report, p, "architecture", where + "/architecture",
                clause="image.image-index.property-descriptions.17", types=t, test=is_str,
                what="a string") and report.check(
                    "image.image-index.property-descriptions.17", arch != "",
                    "platform.architecture is empty", where + "/architecture"):
        report.check("image.image-index.property-descriptions.18",
                     arch in GOARCH, f"architecture {arch!r} is not a GOARCH value",
                     where + "/architecture")
    if required(report, p, "os", where + "/os", clause="image.image-index.property-descriptions.19",
                types=t, test=is_str, what="a string") and report.check(
                    "image.image-index.property-descriptions.19", os_ != "",
                    "platform.os is empty", where + "/os"):
        report.check("image.image-index.property-descriptions.20",
                     os_ in GOOS, f"os {os_!r} is not a GOOS value", where + "/os")
    optional(report, p, "os.version", where + "/os.version",
             may="image.image-index.property-descriptions.21", types=t, test=is_str,
             what="a string")
    optional(report, p, "os.features", where + "/os.features",
             may="image.image-index.property-descriptions.23", types=t, test=is_strings,
             what="an array of strings")
    optional(report, p, "variant", where + "/variant",
             may="image.image-index.property-descriptions.26", types=t, test=is_str,
             what="a string")
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
