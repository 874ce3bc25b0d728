"""Malformed images, one per clause: each breaks exactly the clause it is named for.

Used for the committed fixtures (fixtures/image/), the property tests and the
image-tools suite (which feeds them to real consumers).
"""
from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from oci_conform.drivers.image_sources.build import (
    ACI_MANIFEST,
    BASE_LAYER,
    Entry,
    ImageSpec,
    Json,
    dumps,
    sha256,
    write_aci,
    write_docker_archive,
    write_layout,
)


@dataclass(frozen=True)
class Case:
    """One broken image of the corpus: the clause it breaks and how to make it."""

    name: str          # short slug
    clause: str        # the clause the case breaks (binds the image: its producer)
    kind: str          # oci | docker-archive | aci
    make: Callable[[Path], Path]
    consumer: str = ""  # a consumer-binding clause that asks readers to refuse it, if any
    consumer_tools: tuple[str, ...] = ()   # the tools that clause binds (empty: every reader)


def _layout(spec: ImageSpec | None = None, index_hook=None, after=None) -> Callable[[Path], Path]:
    def make(root: Path) -> Path:
        write_layout(root, spec, index_hook)
        if after:
            after(root)
        return root
    return make


def _set(path: str, value: object) -> Callable[[Json], Json]:
    def hook(doc: Json) -> Json:
        target = doc
        keys = path.split("/")
        for k in keys[:-1]:
            target = target[int(k)] if isinstance(target, list) else target[k]
        last = keys[-1]
        if isinstance(target, list):
            target[int(last)] = value
        elif value is _DELETE:
            target.pop(last, None)
        else:
            target[last] = value
        return doc
    return hook


_DELETE = object()


def _bump_layer_size(m: Json) -> Json:
    m["layers"][0]["size"] += 1
    return m


def _stray_wrong_blob(root: Path) -> None:
    (root / "blobs/sha256" / sha256(b"a")[7:]).write_bytes(b"b")


def _badly_named_blob(root: Path) -> None:
    (root / "blobs/sha256/not-a-digest.tmp").write_bytes(b"x")


def _remove_layer(root: Path) -> None:
    index = json.loads((root / "index.json").read_bytes())
    manifest = json.loads((root / "blobs/sha256" / index["manifests"][0]["digest"][7:])
                          .read_bytes())
    (root / "blobs/sha256" / manifest["layers"][0]["digest"][7:]).unlink()


def _indent_config(root: Path) -> None:
    """Store the config indented (same content, not canonical) and re-point the manifest
    and index.json at the new digests."""
    blobs = root / "blobs/sha256"
    index = json.loads((root / "index.json").read_bytes())
    entry = index["manifests"][0]
    manifest = json.loads((blobs / entry["digest"][7:]).read_bytes())
    (blobs / entry["digest"][7:]).unlink()
    old = blobs / manifest["config"]["digest"][7:]
    pretty = json.dumps(json.loads(old.read_bytes()), indent=2).encode()
    old.unlink()
    manifest["config"].update(digest=sha256(pretty), size=len(pretty))
    (blobs / sha256(pretty)[7:]).write_bytes(pretty)
    data = dumps(manifest)
    (blobs / sha256(data)[7:]).write_bytes(data)
    entry.update(digest=sha256(data), size=len(data))
    (root / "index.json").write_bytes(dumps(index))


def _plain_as_gzip(i: int, blob: bytes) -> bytes:
    import gzip
    return gzip.decompress(blob)


LAYOUT_CASES = [
    Case("oci-layout-missing", "image.image-layout.content.3", "oci",
         _layout(after=lambda r: (r / "oci-layout").unlink())),
    Case("oci-layout-no-version", "image.image-layout.content.5", "oci",
         _layout(after=lambda r: (r / "oci-layout").write_bytes(b"{}"))),
    Case("index-json-missing", "image.image-layout.content.7", "oci",
         _layout(after=lambda r: (r / "index.json").unlink())),
    Case("blob-content-wrong", "image.image-layout.blobs.1", "oci",
         _layout(after=_stray_wrong_blob)),
    Case("blob-badly-named", "image.image-layout.blobs.2", "oci",
         _layout(after=_badly_named_blob)),
    Case("layer-size-lies", "image.descriptor.properties.5", "oci",
         _layout(ImageSpec(manifest_hook=_bump_layer_size)),
         consumer="image.descriptor.properties.6"),
    Case("diff-id-wrong", "image.config.properties.38", "oci",
         _layout(ImageSpec(config_hook=_set("rootfs/diff_ids/0", sha256(b"other"))))),
    Case("history-count-wrong", "image.config.properties.44", "oci",
         _layout(ImageSpec(config_hook=_set("history", [{}, {}])))),
    Case("rootfs-type-wrong", "image.config.properties.36", "oci",
         _layout(ImageSpec(config_hook=_set("rootfs/type", "tarballs"))),
         consumer="image.config.properties.37", consumer_tools=("umoci-unpack",)),
    Case("config-arch-missing", "image.config.properties.4", "oci",
         _layout(ImageSpec(config_hook=_set("architecture", _DELETE)))),
    Case("manifest-schema-version-1", "image.manifest.image-manifest-property-descriptions.2",
         "oci", _layout(ImageSpec(manifest_hook=_set("schemaVersion", 1)))),
    Case("manifest-media-type-wrong", "image.manifest.image-manifest-property-descriptions.4",
         "oci", _layout(ImageSpec(manifest_hook=_set("mediaType",
                                              "application/vnd.oci.image.index.v1+json")))),
    Case("layer-gzip-type-plain-bytes", "image.layer.distributable-format.1", "oci",
         _layout(ImageSpec(layer_bytes_hook=_plain_as_gzip))),
    Case("layer-duplicate-entry", "image.layer.distributable-format.2", "oci",
         _layout(ImageSpec(layers=[BASE_LAYER + [Entry("etc/motd", data=b"again\n")]]))),
    Case("whiteout-same-layer", "image.layer.whiteouts.2", "oci",
         _layout(ImageSpec(layers=[BASE_LAYER[:3] + [Entry("etc/.wh.motd")] + BASE_LAYER[3:]]))),
    Case("entry-climbs-out", "docker.layer.paths-inside-root", "oci",
         _layout(ImageSpec(layers=[BASE_LAYER + [Entry("../escape", data=b"x")]]))),
    Case("hardlink-to-missing", "docker.layer.hardlink-target-earlier", "oci",
         _layout(ImageSpec(layers=[BASE_LAYER + [Entry("bin/link", "hardlink",
                                                       link="bin/nothing")]]))),
    Case("index-platform-no-os", "image.image-index.property-descriptions.19", "oci",
         _layout(index_hook=_set("manifests/0/platform", {"architecture": "amd64"}))),
    Case("descriptor-url-invalid", "image.descriptor.properties.8", "oci",
         _layout(ImageSpec(manifest_hook=_set("layers/0/urls", ["not a uri"])))),
    Case("layers-out-of-order", "image.manifest.image-manifest-property-descriptions.19", "oci",
         _layout(ImageSpec(layers=[BASE_LAYER, [Entry("srv", "dir")]],
                           config_hook=lambda c: (c["rootfs"]["diff_ids"].reverse(), c)[1]))),
    Case("env-not-name-value", "image.config.property-formats", "oci",
         _layout(ImageSpec(config_hook=_set("config/Env", ["PATH"])))),
]


# SHOULD-level rules for image writers: fixtures and property tests, but not fed to the
# image-tools consumers (a reader that accepts such an image does nothing wrong).
WRITER_ONLY_CASES = [
    Case("whiteout-after-sibling", "image.layer.whiteouts.3", "oci",
         _layout(ImageSpec(layers=[BASE_LAYER, [Entry("etc", "dir"),
                                                Entry("etc/new", data=b"new\n"),
                                                Entry("etc/.wh.motd")]]))),
    Case("json-not-canonical", "image.considerations.json.1", "oci",
         _layout(after=_indent_config)),
]


def _docker(hook) -> Callable[[Path], Path]:
    def make(path: Path) -> Path:
        return write_docker_archive(path, hook=hook)
    return make


def _drop_first_layer(files: dict[str, bytes]) -> None:
    manifest = json.loads(files["manifest.json"])
    manifest[0]["Layers"][0] = "0" * 64 + "/layer.tar"
    files["manifest.json"] = dumps(manifest)


def _wrong_repositories(files: dict[str, bytes]) -> None:
    files["repositories"] = dumps({"example/app": {"1": "f" * 64}})


def _legacy_version(files: dict[str, bytes]) -> None:
    for name in list(files):
        if name.endswith("/VERSION"):
            files[name] = b"2.0"


def _config_renamed(files: dict[str, bytes]) -> None:
    manifest = json.loads(files["manifest.json"])
    data = files.pop(manifest[0]["Config"])
    files["0" * 64 + ".json"] = data
    manifest[0]["Config"] = "0" * 64 + ".json"
    files["manifest.json"] = dumps(manifest)


def _diff_id_wrong(files: dict[str, bytes]) -> None:
    manifest = json.loads(files["manifest.json"])
    cfg = json.loads(files[manifest[0]["Config"]])
    cfg["rootfs"]["diff_ids"][0] = sha256(b"other")
    data = dumps(cfg)
    import hashlib
    name = hashlib.sha256(data).hexdigest() + ".json"
    files.pop(manifest[0]["Config"])
    files[name] = data
    manifest[0]["Config"] = name
    files["manifest.json"] = dumps(manifest)


DOCKER_CASES = [
    Case("layer-missing", "docker.save.paths-exist", "docker-archive", _docker(_drop_first_layer)),
    Case("repositories-unknown-id", "docker.save.repositories", "docker-archive",
         _docker(_wrong_repositories)),
    Case("legacy-version", "docker.save.legacy-version", "docker-archive",
         _docker(_legacy_version)),
    Case("config-name-not-id", "docker.save.config-id", "docker-archive",
         _docker(_config_renamed)),
    # In a docker-archive the config's diff_ids are the only digests of the layer tars, and
    # a DiffID is a digest in descriptor form (image-spec config.md): an archive handed to a
    # reader is content from an untrusted source, checked against its digest before use.
    Case("diff-id-wrong", "docker.save.layers-match", "docker-archive", _docker(_diff_id_wrong),
         consumer="image.descriptor.verification.1"),
]


def _aci(manifest: Json | None = None, extra: list[Entry] | None = None
         ) -> Callable[[Path], Path]:
    def make(path: Path) -> Path:
        return write_aci(path, manifest, extra)
    return make


def _aci_manifest(**changes: object) -> Json:
    m = json.loads(json.dumps(ACI_MANIFEST))
    for key, value in changes.items():
        if "." in key:
            outer, inner = key.split(".")
            m[outer][inner] = value
        else:
            m[key] = value
    return m


ACI_CASES = [
    Case("extra-top-level", "appc.aci.archive.top-level", "aci",
         _aci(extra=[Entry("README", data=b"x")])),
    Case("duplicate-entry", "appc.aci.archive.tar", "aci",
         _aci(extra=[Entry("rootfs/etc/motd", data=b"again")])),
    Case("name-not-identifier", "appc.manifest.name", "aci", _aci(_aci_manifest(name="Hello"))),
    Case("ac-kind-wrong", "appc.manifest.ac-kind", "aci",
         _aci(_aci_manifest(acKind="PodManifest"))),
    Case("arch-without-os", "appc.manifest.os-arch", "aci",
         _aci(_aci_manifest(labels=[{"name": "arch", "value": "amd64"}]))),
    Case("working-directory-relative", "appc.manifest.app-working-directory", "aci",
         _aci(_aci_manifest(**{"app.workingDirectory": "srv"}))),
    Case("env-name-invalid", "appc.manifest.app-environment", "aci",
         _aci(_aci_manifest(**{"app.environment": [{"name": "1X", "value": "y"}]}))),
]

CASES = LAYOUT_CASES + WRITER_ONLY_CASES + DOCKER_CASES + ACI_CASES


def build_case(case: Case, folder: Path) -> Path:
    """Write ``case`` under ``folder``; returns the path to validate."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / (case.name if case.kind == "oci" else
                       case.name + (".aci" if case.kind == "aci" else ".tar"))
    return case.make(target)
