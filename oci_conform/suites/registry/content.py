"""Test content the registry suite pushes: blobs, configs, images, indexes, artifacts.

Pure functions: bytes and digests in, bytes and descriptors out. Every document is made
here from facts (media types, field names), deterministic apart from a per-run ``salt`` so
two runs never collide on content.
"""
from __future__ import annotations

import gzip
import hashlib
import io
import json
import tarfile
from dataclasses import dataclass, field
from typing import Any

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip"
OCI_EMPTY = "application/vnd.oci.empty.v1+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
ARTIFACT_SBOM = "application/vnd.oci-conform.test.sbom.v1+json"
ARTIFACT_SIG = "application/vnd.oci-conform.test.signature.v1+json"
EMPTY_JSON = b"{}"


def digest_of(data: bytes, algorithm: str = "sha256") -> str:
    return f"{algorithm}:{hashlib.new(algorithm, data).hexdigest()}"


@dataclass(frozen=True)
class Blob:
    """Test content for the registry suite: bytes, media type, digest algorithm."""

    data: bytes
    media_type: str = "application/octet-stream"
    algorithm: str = "sha256"

    @property
    def digest(self) -> str:
        return digest_of(self.data, self.algorithm)

    @property
    def size(self) -> int:
        return len(self.data)

    def descriptor(self, media_type: str | None = None, **extra: Any) -> dict[str, Any]:
        desc: dict[str, Any] = {"mediaType": media_type or self.media_type,
                                "digest": self.digest, "size": self.size}
        desc.update(extra)
        return desc


@dataclass(frozen=True)
class Manifest:
    """A manifest document as the exact bytes pushed, with its media type."""

    data: bytes
    media_type: str
    blobs: tuple[Blob, ...] = field(default_factory=tuple)

    @property
    def digest(self) -> str:
        return digest_of(self.data)

    @property
    def size(self) -> int:
        return len(self.data)

    def descriptor(self, **extra: Any) -> dict[str, Any]:
        desc: dict[str, Any] = {"mediaType": self.media_type, "digest": self.digest,
                                "size": self.size}
        desc.update(extra)
        return desc


def encode(doc: dict[str, Any]) -> bytes:
    return json.dumps(doc, separators=(",", ":"), sort_keys=False).encode()


def layer_tar_gz(salt: str, name: str, payload: bytes) -> bytes:
    """A gzip'd tar with one file, reproducible (fixed mtime)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        info = tarfile.TarInfo(f"oci-conform/{name}")
        data = salt.encode() + b"\n" + payload
        info.size = len(data)
        info.mtime = 0
        tar.addfile(info, io.BytesIO(data))
    return gzip.compress(buf.getvalue(), mtime=0)


def empty_layer() -> bytes:
    """A gzip'd empty tar archive (what builders emit for a no-op step)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT):
        pass
    return gzip.compress(buf.getvalue(), mtime=0)


def config_blob(salt: str, layers: list[bytes]) -> Blob:
    diff_ids = [digest_of(gzip.decompress(layer)) for layer in layers]
    doc = {"architecture": "amd64", "os": "linux",
           "config": {"Labels": {"org.oci-conform.run": salt}},
           "rootfs": {"type": "layers", "diff_ids": diff_ids}}
    return Blob(encode(doc), OCI_CONFIG)


def image(salt: str, name: str = "image", extra_annotations: dict[str, str] | None = None,
          layer_payload: bytes = b"hello") -> Manifest:
    """An OCI image: a config, one real layer and one empty layer."""
    layers = [layer_tar_gz(salt, name, layer_payload), empty_layer()]
    config = config_blob(salt + name, layers)
    layer_blobs = [Blob(data, OCI_LAYER_GZIP) for data in layers]
    doc: dict[str, Any] = {"schemaVersion": 2, "mediaType": OCI_MANIFEST,
                           "config": config.descriptor(),
                           "layers": [b.descriptor() for b in layer_blobs]}
    if extra_annotations:
        doc["annotations"] = extra_annotations
    return Manifest(encode(doc), OCI_MANIFEST, (config, *layer_blobs))


def docker_image(salt: str) -> Manifest:
    layers = [layer_tar_gz(salt, "docker", b"docker")]
    config = Blob(config_blob(salt + "docker", layers).data,
                  "application/vnd.docker.container.image.v1+json")
    layer = Blob(layers[0], "application/vnd.docker.image.rootfs.diff.tar.gzip")
    doc = {"schemaVersion": 2, "mediaType": DOCKER_MANIFEST, "config": config.descriptor(),
           "layers": [layer.descriptor()]}
    return Manifest(encode(doc), DOCKER_MANIFEST, (config, layer))


def index(manifests: list[Manifest], annotations: dict[str, str] | None = None,
          artifact_type: str = "", subject: Manifest | None = None) -> Manifest:
    doc: dict[str, Any] = {"schemaVersion": 2, "mediaType": OCI_INDEX,
                           "manifests": [m.descriptor(platform={"architecture": "amd64",
                                                                "os": "linux"})
                                         if m.media_type in (OCI_MANIFEST, DOCKER_MANIFEST)
                                         else m.descriptor() for m in manifests]}
    if artifact_type:
        doc["artifactType"] = artifact_type
    if subject is not None:
        doc["subject"] = subject.descriptor()
    if annotations:
        doc["annotations"] = annotations
    return Manifest(encode(doc), OCI_INDEX)


def artifact(salt: str, subject: Manifest | None, artifact_type: str = "",
             config_media_type: str = OCI_EMPTY, annotations: dict[str, str] | None = None,
             payload: bytes = b"") -> Manifest:
    """An artifact manifest (image manifest form) with an optional subject.

    With ``artifact_type`` empty the registry must fall back to the config media type.
    """
    config = Blob(EMPTY_JSON, OCI_EMPTY) if config_media_type == OCI_EMPTY else \
        Blob(encode({"salt": salt, "kind": "config"}), config_media_type)
    layer = Blob(payload or encode({"salt": salt, "artifact": artifact_type or "config"}),
                 "application/json")
    doc: dict[str, Any] = {"schemaVersion": 2, "mediaType": OCI_MANIFEST}
    if artifact_type:
        doc["artifactType"] = artifact_type
    doc["config"] = config.descriptor(config_media_type)
    doc["layers"] = [layer.descriptor()]
    if subject is not None:
        doc["subject"] = subject.descriptor()
    if annotations:
        doc["annotations"] = annotations
    return Manifest(encode(doc), OCI_MANIFEST, (config, layer))


def manifest_without_layers(salt: str) -> Manifest:
    config = Blob(EMPTY_JSON, OCI_EMPTY)
    doc = {"schemaVersion": 2, "mediaType": OCI_MANIFEST,
           "artifactType": "application/vnd.oci-conform.test.nolayers.v1",
           "config": config.descriptor(), "layers": [],
           "annotations": {"org.oci-conform.run": salt}}
    return Manifest(encode(doc), OCI_MANIFEST, (config,))


def odd_bytes_manifest(salt: str, base: Manifest) -> Manifest:
    """``base`` re-encoded with indentation and reordered keys: the registry must keep it."""
    doc = json.loads(base.data)
    doc["annotations"] = {"org.oci-conform.run": salt, "org.oci-conform.layout": "pretty"}
    ordered = {k: doc[k] for k in reversed(list(doc))}
    data = json.dumps(ordered, indent=3).encode() + b"\n\n"
    return Manifest(data, base.media_type, base.blobs)


def padded_manifest(salt: str, base: Manifest, total: int) -> Manifest:
    """``base`` with an annotation padding it to exactly ``total`` bytes."""
    doc = json.loads(base.data)
    doc["annotations"] = {"org.oci-conform.pad": ""}
    overhead = len(encode(doc))
    doc["annotations"]["org.oci-conform.pad"] = (salt * (total // max(1, len(salt)) + 2))[
        : max(0, total - overhead)]
    data = encode(doc)
    return Manifest(data, base.media_type, base.blobs)


def referrers_tag(digest: str) -> str:
    """The referrers tag schema: ``<alg>-<hex>`` truncated (32 and 64 characters)."""
    alg, _, hexpart = digest.partition(":")
    return f"{alg[:32]}-{hexpart[:64]}"


def random_bytes(salt: str, size: int) -> bytes:
    """Deterministic pseudo-random bytes of ``size`` (sha256 counter stream)."""
    out = bytearray()
    counter = 0
    seed = salt.encode()
    while len(out) < size:
        out.extend(hashlib.sha256(seed + counter.to_bytes(8, "big")).digest() * 64)
        counter += 1
    return bytes(out[:size])
