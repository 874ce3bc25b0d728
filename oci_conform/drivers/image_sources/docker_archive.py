"""`docker save` archives in every shape Docker has written.

- legacy: one folder per layer with VERSION, json and layer.tar, plus ``repositories``;
- ``manifest.json`` (Docker 1.10+), usually alongside the legacy folders;
- Docker 25+: the same archive is also an OCI image layout (``oci-layout``, ``index.json``,
  ``blobs/``), with manifest.json pointing into blobs/.
"""
from __future__ import annotations

import hashlib
import posixpath
import re
from typing import Any

from oci_conform.checks.docker.config import check_diff_ids, check_image_json
from oci_conform.checks.image.jsondoc import parse_json
from oci_conform.checks.image.layer import LayerScan, Limits, scan_layer
from oci_conform.checks.image.report import Report, pointer
from oci_conform.drivers.image_sources.base import SourceError
from oci_conform.drivers.image_sources.tar_archive import TarArchive

_HEX64 = re.compile(r"^[a-f0-9]{64}$")


def _read_json(report: Report, src: TarArchive, name: str, clause: str) -> tuple[Any, Report]:
    sub = Report(file=src.file_prefix + name)
    try:
        data = src.read_small(name)
    except SourceError as exc:
        sub.fail(clause, str(exc), name)
        return None, sub
    if data is None:
        return None, sub
    doc = parse_json(data, clause, name)
    sub.text = doc.located
    for p in doc.problems:
        sub.fail(p.clause, p.message, p.location)
    return doc.value, sub


def validate_docker_archive(src: TarArchive, version: str, limits: Limits
                            ) -> tuple[Report, dict]:
    report = Report()
    shapes = []
    layer_cache: dict[str, LayerScan] = {}
    manifest, sub = _read_json(report, src, "manifest.json", "docker.save.manifest-json")
    report.merge(sub)
    if src.open("manifest.json") is not None:
        shapes.append("manifest.json")
        _check_manifest_json(report, src, manifest, version, limits, layer_cache)
    legacy = _legacy_folders(src)
    if legacy:
        shapes.append("legacy-folders")
        _check_legacy(report, src, legacy)
        if "manifest.json" not in shapes:
            _scan_legacy_layers(report, src, legacy, version, limits, layer_cache)
    if src.open("repositories") is not None:
        _check_repositories(report, src, legacy)
    if src.open("oci-layout") is not None:
        shapes.append("oci-layout")
        from oci_conform.drivers.image_sources.layout import validate_layout
        oci_report, _ = validate_layout(src, version, limits)
        report.merge(oci_report)
    if not shapes:
        report.fail("docker.save.manifest-json",
                    "neither manifest.json, legacy layer folders nor an OCI "
                                  "layout: not a docker save archive", src.label)
    elif not legacy and "manifest.json" not in shapes:
        report.fail("docker.save.manifest-json",
                    "no manifest.json and no legacy layer folders", src.label)
    return report, {"source": src.label, "kind": "docker-archive", "shapes": shapes,
                    "layers": len(layer_cache)}


def _check_manifest_json(report: Report, src: TarArchive, manifest: Any, version: str,
                         limits: Limits, cache: dict[str, LayerScan]) -> None:
    if manifest is None:
        return
    sub = Report(file=src.file_prefix + "manifest.json")
    if not sub.check("docker.save.manifest-json", isinstance(manifest, list) and bool(manifest),
                     "manifest.json must be a non-empty array", ""):
        report.merge(sub)
        return
    image_ids = set()
    for i, entry in enumerate(manifest):
        where = pointer(i)
        ok = (isinstance(entry, dict) and isinstance(entry.get("Config"), str)
              and isinstance(entry.get("Layers"), list)
              and all(isinstance(x, str) for x in entry["Layers"])
              and isinstance(entry.get("RepoTags") or [], list))
        if not sub.check("docker.save.manifest-json",
                         ok, "entry needs Config (string), Layers (strings) and "
                                          "RepoTags (array or null)", where):
            continue
        cfg_bytes = _bytes_of(src, entry["Config"])
        if not sub.check("docker.save.paths-exist", cfg_bytes is not None,
                         f"Config {entry['Config']!r} is not in the archive", where + "/Config"):
            continue
        assert cfg_bytes is not None
        image_id = hashlib.sha256(cfg_bytes).hexdigest()
        image_ids.add(image_id)
        named = re.search(r"([a-f0-9]{64})(?:\.json)?$", entry["Config"])
        if named:
            sub.check("docker.save.config-id", named.group(1) == image_id,
                      "config file name is not the sha256 of its content", where + "/Config",
                      named.group(1), image_id)
        config = _config_report(report, src, entry["Config"])
        diff_ids: list[str | None] = []
        lower: set[int] = set()
        for j, layer in enumerate(entry["Layers"]):
            lw = where + "/Layers" + pointer(j)
            real = src.resolve(layer)
            if not sub.check("docker.save.paths-exist", real is not None,
                             f"layer {layer!r} is not in the archive", lw):
                diff_ids.append(None)
                continue
            assert real is not None
            if real not in cache:
                stream = src.open(real)
                assert stream is not None
                with stream:
                    cache[real] = scan_layer(report, stream, "sha256", "", f"{layer}",
                                             version, lower, limits)
            scan = cache[real]
            lower |= scan.paths
            diff_ids.append(scan.diff_id)
        if config is not None:
            cfg_sub = Report(file=src.file_prefix + entry["Config"], text=config[1])
            check_diff_ids(cfg_sub, config[0], diff_ids, "docker.save.layers-match")
            report.merge(cfg_sub)
    for i, entry in enumerate(manifest):
        if isinstance(entry, dict) and entry.get("Parent"):
            parent = str(entry["Parent"]).removeprefix("sha256:")
            sub.check("docker.save.parent", parent in image_ids,
                      f"Parent {entry['Parent']} is not an image in this manifest.json",
                      pointer(i) + "/Parent")
    report.merge(sub)


def _bytes_of(src: TarArchive, name: str) -> bytes | None:
    try:
        return src.read_small(name)
    except SourceError:
        return None


def _config_report(report: Report, src: TarArchive, name: str) -> tuple[Any, str] | None:
    data = _bytes_of(src, name)
    if data is None:
        return None
    doc = parse_json(data, "docker.image.json-object", name)
    sub = Report(file=src.file_prefix + name, text=doc.located)
    for p in doc.problems:
        sub.fail(p.clause, p.message, p.location)
    if doc.ok:
        check_image_json(sub, doc.value)
    report.merge(sub)
    return (doc.value, doc.text) if doc.ok else None


def _legacy_folders(src: TarArchive) -> dict[str, set[str]]:
    folders: dict[str, set[str]] = {}
    for name in [*src.members, *src.links]:
        folder, _, base = name.partition("/")
        if base in ("VERSION", "json", "layer.tar") and _HEX64.match(folder):
            folders.setdefault(folder, set()).add(base)
    return folders


def _check_legacy(report: Report, src: TarArchive, folders: dict[str, set[str]]) -> None:
    for folder, files in sorted(folders.items()):
        missing = {"VERSION", "json", "layer.tar"} - files
        report.check("docker.save.legacy-layer-folder",
                     not missing, f"legacy layer folder lacks {sorted(missing)}",
                     folder + "/")
        if "layer.tar" in files:
            report.check("docker.save.legacy-layer-folder",
                         src.resolve(folder + "/layer.tar") is not None,
                         "layer.tar leads to no file in the archive", folder + "/layer.tar")
        if "VERSION" in files:
            v = (_bytes_of(src, folder + "/VERSION") or b"").strip()
            report.check("docker.save.legacy-version", v == b"1.0", "VERSION is not 1.0",
                         folder + "/VERSION", "1.0", v.decode(errors="replace"))
        if "json" in files:
            value, sub = _read_json(report, src, folder + "/json",
                                    "docker.save.legacy-layer-folder")
            sub.check("docker.save.legacy-layer-folder",
                      isinstance(value, dict), "legacy json is not an object", "")
            report.merge(sub)


def _scan_legacy_layers(report: Report, src: TarArchive, folders: dict[str, set[str]],
                        version: str, limits: Limits, cache: dict[str, LayerScan]) -> None:
    """Without manifest.json the layer tars are still judged as layers (order unknown, so
    hardlinks may name any earlier-scanned layer)."""
    lower: set[int] = set()
    for folder in sorted(folders):
        real = src.resolve(folder + "/layer.tar")
        if real is None or real in cache:
            continue
        stream = src.open(real)
        if stream is None:
            continue
        with stream:
            cache[real] = scan_layer(report, stream, "sha256", "", folder + "/layer.tar",
                                     version, lower, limits)
        lower |= cache[real].paths


def _check_repositories(report: Report, src: TarArchive, folders: dict[str, set[str]]) -> None:
    value, sub = _read_json(report, src, "repositories", "docker.save.repositories")
    ok = isinstance(value, dict) and all(
        isinstance(tags, dict) and all(isinstance(v, str) for v in tags.values())
        for tags in value.values())
    if sub.check("docker.save.repositories", ok, "repositories must map names to {tag: id}", ""):
        for repo, tags in value.items():
            for tag, layer_id in tags.items():
                sub.check("docker.save.repositories", layer_id in folders,
                          f"{repo}:{tag} names layer {layer_id}, which has no folder",
                          pointer(repo, tag))
    report.merge(sub)


__all__ = ["validate_docker_archive", "posixpath"]
