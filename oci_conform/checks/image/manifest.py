"""Image manifests (application/vnd.oci.image.manifest.v1+json), as parsed documents."""
from __future__ import annotations

from typing import Any

from oci_conform.checks.image.annotations import check_annotations
from oci_conform.checks.image.descriptor import check_descriptor
from oci_conform.checks.image.grammar import MT_CONFIG, MT_EMPTY, MT_MANIFEST, media_type_ok
from oci_conform.checks.image.props import is_int, is_object, is_str, json_type, optional, required
from oci_conform.checks.image.report import Report, pointer

PORTABLE_LAYERS = {"application/vnd.oci.image.layer.v1.tar",
                   "application/vnd.oci.image.layer.v1.tar+gzip",
                   "application/vnd.oci.image.layer.nondistributable.v1.tar",
                   "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip"}


def check_schema_version(report: Report, doc: dict, clause: str, must_be_2: str, types: str
                         ) -> None:
    """schemaVersion: missing fails ``clause``, not an integer ``types``, not 2 ``must_be_2``."""
    if required(report, doc, "schemaVersion", "/schemaVersion", clause=clause, types=types,
                test=is_int, what="an integer"):
        report.check(must_be_2, doc["schemaVersion"] == 2, "schemaVersion must be 2",
                     "/schemaVersion", "2", doc["schemaVersion"])


def check_manifest(report: Report, doc: Any, version: str) -> None:
    """Every document-level rule of an image manifest."""
    if not isinstance(doc, dict):
        report.fail("image.manifest.json-object", "a manifest must be a JSON object, not "
                    f"{json_type(doc)}", "", "object", json_type(doc))
        return
    report.saw("image.manifest.json-object")
    t = "image.manifest.property-types"
    check_schema_version(report, doc, "image.manifest.image-manifest-property-descriptions.1",
                         "image.manifest.image-manifest-property-descriptions.2", t)
    report.check("image.manifest.image-manifest-property-descriptions.3",
                 "mediaType" in doc, "the manifest does not set mediaType",
                 "", MT_MANIFEST, "(absent)")
    if optional(report, doc, "mediaType", "/mediaType", may="", types=t, test=is_str,
                what="a string"):
        report.check("image.manifest.image-manifest-property-descriptions.4",
                     doc["mediaType"] == MT_MANIFEST,
                     "manifest mediaType is not the image manifest type", "/mediaType",
                     MT_MANIFEST, doc["mediaType"])
    config: Any = doc.get("config")
    if required(report, doc, "config", "/config",
                clause="image.manifest.image-manifest-property-descriptions.9", types=t,
                test=is_object, what="a descriptor object"):
        check_descriptor(report, config, "/config", version,
                         mt_clause="image.manifest.image-manifest-property-descriptions.15")
        mt = config.get("mediaType")
        if "artifactType" not in doc and mt != MT_EMPTY and media_type_ok(mt):
            report.check("image.manifest.image-manifest-property-descriptions.13", mt == MT_CONFIG,
                         "a container image manifest's config is not the OCI image config type",
                         "/config/mediaType", MT_CONFIG, mt)
        if mt == MT_EMPTY:
            report.check("image.manifest.image-manifest-property-descriptions.6",
                         "artifactType" in doc,
                         "config is the empty descriptor but artifactType is not set",
                         "/artifactType")
    if optional(report, doc, "artifactType", "/artifactType",
                may="", types=t, test=is_str, what="a string", since="1.1.0",
                rules=("image.manifest.image-manifest-property-descriptions.7",
                       "image.manifest.image-manifest-property-descriptions.6",
                       "image.manifest.guidelines-for-artifact-usage.2",
                       "image.manifest.guidelines-for-artifact-usage.4")):
        _check_artifact(report, doc)
        report.check("image.manifest.image-manifest-property-descriptions.7",
                     media_type_ok(doc["artifactType"]),
                     f"artifactType {doc['artifactType']!r} is not an RFC 6838 type/subtype",
                     "/artifactType")
    _check_layers(report, doc.get("layers"), version)
    if optional(report, doc, "subject", "/subject",
                may="", types=t, test=is_object, what="a descriptor object", since="1.1.0"):
        check_descriptor(report, doc["subject"], "/subject", version)
    if "annotations" in doc:
        check_annotations(report, doc["annotations"], "/annotations",
                          "image.manifest.image-manifest-property-descriptions.28")


def _check_artifact(report: Report, doc: dict) -> None:
    """A manifest with artifactType packages an artifact: its config type and layers."""
    config = doc.get("config")
    if isinstance(config, dict) and isinstance(config.get("mediaType"), str):
        report.check("image.manifest.guidelines-for-artifact-usage.2",
                     config["mediaType"] != MT_CONFIG,
                     "an artifact's config uses the image config type instead of an "
                     "artifact-specific or the empty type", "/config/mediaType",
                     "artifact-specific type or " + MT_EMPTY, config["mediaType"])
    layers = doc.get("layers")
    if isinstance(layers, list):
        for i, layer in enumerate(layers):
            if isinstance(layer, dict) and isinstance(layer.get("size"), int):
                report.check("image.manifest.guidelines-for-artifact-usage.4", layer["size"] > 0,
                             "an artifact layer has size 0; use the empty descriptor (size 2) "
                             "when no layer is needed", "/layers" + pointer(i) + "/size",
                             "> 0", str(layer["size"]))


def _check_layers(report: Report, layers: Any, version: str) -> None:
    if not isinstance(layers, list):
        if layers is None:
            report.fail("image.manifest.image-manifest-property-descriptions.16",
                        "layers is missing", "/layers", "array", "(absent)")
        else:
            report.fail("image.manifest.property-types", "layers must be an array of "
                        f"descriptors, not {json_type(layers)}", "/layers", "array",
                        json_type(layers))
        return
    report.saw("image.manifest.image-manifest-property-descriptions.16")
    report.check("image.manifest.image-manifest-property-descriptions.17",
                 bool(layers), "layers is empty", "/layers")
    for i, layer in enumerate(layers):
        where = "/layers" + pointer(i)
        if report.check("image.manifest.property-types", isinstance(layer, dict),
                        f"a layers entry must be a descriptor object, not {json_type(layer)}",
                        where):
            check_descriptor(report, layer, where, version,
                             mt_clause="image.manifest.image-manifest-property-descriptions.25")
            mt = layer.get("mediaType")
            if isinstance(mt, str) and mt.startswith("application/vnd.oci.image.layer."):
                report.check("image.manifest.image-manifest-property-descriptions.22",
                             mt in PORTABLE_LAYERS,
                             f"layer media type {mt} is not one every implementation must "
                             "support (tar, tar+gzip and their non-distributable forms)",
                             where + "/mediaType")
            if isinstance(mt, str):
                if ".nondistributable." in mt or ".foreign." in mt:
                    report.fail("image.layer.non-distributable-layers.1",
                                f"layer uses the non-distributable media type {mt}", where)
                else:
                    report.saw("image.layer.non-distributable-layers.1")
