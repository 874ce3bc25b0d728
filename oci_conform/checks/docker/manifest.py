"""Docker Manifest V2 Schema 2, manifest lists, and Schema 1 recognition."""
from __future__ import annotations

from typing import Any

from oci_conform.checks.docker import media_types as DMT
from oci_conform.checks.image.grammar import GOARCH, GOOS, digest_problems, uri_ok
from oci_conform.checks.image.report import Report, pointer


def _descriptor(report: Report, d: Any, where: str, version: str) -> None:
    if not isinstance(d, dict):
        report.fail("docker.manifest-v2-2.layers", "a descriptor must be an object", where)
        return
    report.check("docker.manifest-v2-2.layers" if "/layers" in where
                 else "docker.manifest-v2-2.config", isinstance(d.get("mediaType"), str),
                 "descriptor has no mediaType", where)
    problems = digest_problems(d.get("digest"), version)
    report.check("docker.manifest-v2-2.digest",
                 not problems, problems[0][1] if problems else "", where + "/digest")
    size = d.get("size")
    report.check("docker.manifest-v2-2.size",
                 isinstance(size, int) and not isinstance(size, bool) and size >= 0,
                 "size must be a non-negative integer", where + "/size", "integer", repr(size))
    urls = d.get("urls")
    if urls is not None:
        ok = isinstance(urls, list) and all(uri_ok(u) for u in urls)
        report.saw("docker.manifest-v2-2.urls")       # the field may be present
        report.check("docker.manifest-v2-2.property-types", ok,
                     "urls must be an array of absolute URLs", where + "/urls")


def check_v2s2(report: Report, doc: Any, version: str = "1.1.1") -> None:
    if not isinstance(doc, dict):
        report.fail("docker.manifest-v2-2.json-object",
                    f"a manifest must be a JSON object, not {type(doc).__name__}", "")
        return
    report.saw("docker.manifest-v2-2.json-object")
    report.check("docker.manifest-v2-2.schema-version",
                 doc.get("schemaVersion") == 2, "schemaVersion must be 2",
                 "/schemaVersion", "2", repr(doc.get("schemaVersion")))
    report.check("docker.manifest-v2-2.media-type", doc.get("mediaType") == DMT.MT_V2S2,
                 "mediaType should name the schema 2 manifest type", "/mediaType", DMT.MT_V2S2,
                 repr(doc.get("mediaType")))
    config: Any = doc.get("config")
    if report.check("docker.manifest-v2-2.config",
                    isinstance(config, dict), "config descriptor is missing",
                    "/config"):
        _descriptor(report, config, "/config", version)
        report.check("docker.manifest-v2-2.config-media-type",
                     config.get("mediaType") == DMT.MT_CONFIG,
                     "config mediaType is not the Docker container config type",
                     "/config/mediaType", DMT.MT_CONFIG, repr(config.get("mediaType")))
    layers: Any = doc.get("layers")
    if report.check("docker.manifest-v2-2.layers",
                    isinstance(layers, list), "layers must be an array", "/layers"):
        for i, d in enumerate(layers):
            _descriptor(report, d, "/layers" + pointer(i), version)
            if isinstance(d, dict):
                report.check("docker.manifest-v2-2.layer-media-type",
                             d.get("mediaType") in DMT.LAYER_TYPES,
                             f"layer mediaType {d.get('mediaType')!r} is not a rootfs diff type",
                             "/layers" + pointer(i) + "/mediaType")


def check_list(report: Report, doc: Any, version: str = "1.1.1") -> None:
    if not isinstance(doc, dict):
        report.fail("docker.manifest-list.json-object",
                    f"a manifest list must be a JSON object, not {type(doc).__name__}", "")
        return
    report.saw("docker.manifest-list.json-object")
    report.check("docker.manifest-list.schema-version",
                 doc.get("schemaVersion") == 2, "schemaVersion must be 2",
                 "/schemaVersion", "2", repr(doc.get("schemaVersion")))
    report.check("docker.manifest-list.media-type", doc.get("mediaType") == DMT.MT_LIST,
                 "mediaType should name the manifest list type", "/mediaType", DMT.MT_LIST,
                 repr(doc.get("mediaType")))
    entries: Any = doc.get("manifests")
    if not report.check("docker.manifest-list.manifests",
                        isinstance(entries, list), "manifests must be an array",
                        "/manifests"):
        return
    for i, d in enumerate(entries):
        where = "/manifests" + pointer(i)
        if not report.check("docker.manifest-list.manifests",
                            isinstance(d, dict), "entry is not an object", where):
            continue
        problems = digest_problems(d.get("digest"), version)
        report.check("docker.manifest-v2-2.digest",
                     not problems, problems[0][1] if problems else "",
                     where + "/digest")
        size = d.get("size")
        report.check("docker.manifest-v2-2.size",
                     isinstance(size, int) and not isinstance(size, bool) and size >= 0,
                     "size must be a non-negative integer", where + "/size")
        report.check("docker.manifest-list.entry-media-type", d.get("mediaType") == DMT.MT_V2S2,
                     f"entry mediaType {d.get('mediaType')!r} is not the schema 2 type",
                     where + "/mediaType")
        p = d.get("platform")
        ok = isinstance(p, dict) and isinstance(p.get("architecture"), str) \
            and isinstance(p.get("os"), str)
        if report.check("docker.manifest-list.platform",
                        ok, "entry has no platform with architecture and os",
                        where + "/platform"):
            report.check("docker.manifest-list.platform-values",
                         p["architecture"] in GOARCH and p["os"] in GOOS,
                         f"platform {p['os']}/{p['architecture']} is not GOOS/GOARCH",
                         where + "/platform")


def is_schema1(doc: Any, media_type: str = "") -> bool:
    if media_type in (DMT.MT_SCHEMA1, DMT.MT_SCHEMA1_SIGNED):
        return True
    return isinstance(doc, dict) and doc.get("schemaVersion") == 1 and "fsLayers" in doc


def check_schema1(report: Report, doc: Any, version: str = "1.1.1") -> None:
    """Schema 1 is recognised and reported as deprecated (not judged field by field)."""
    signed = isinstance(doc, dict) and "signatures" in doc
    fs_layers = doc.get("fsLayers") if isinstance(doc, dict) else None
    layers = len(fs_layers) if isinstance(fs_layers, list) else 0
    report.fail("docker.schema1.deprecated",
                f"Docker Image Manifest V2 Schema 1{' (signed)' if signed else ''} "
                           f"with {layers} fsLayers: deprecated, convert to Schema 2 or OCI", "")
