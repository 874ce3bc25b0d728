"""Write small, deterministic images for tests, fixtures and the image-tools corpus.

``Entry`` lists describe layer tars; ``OciLayout`` writes an OCI image layout with
hooks to bend any document before it is stored (that is how the malformed
fixtures are made). Also: docker-archive and ACI writers.
"""
from __future__ import annotations

import gzip
import hashlib
import io
import json
import shutil
import subprocess
import tarfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

MT_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
MT_INDEX = "application/vnd.oci.image.index.v1+json"
MT_CONFIG = "application/vnd.oci.image.config.v1+json"
LAYER_MT = {"gzip": "application/vnd.oci.image.layer.v1.tar+gzip",
            "zstd": "application/vnd.oci.image.layer.v1.tar+zstd",
            "none": "application/vnd.oci.image.layer.v1.tar"}
Json = dict[str, Any]
Hook = Callable[[Json], Json | None]


@dataclass
class Entry:
    """One tar entry: a file (data), folder, symlink or hardlink (link), or device."""

    name: str
    kind: str = "file"        # file | dir | symlink | hardlink | chardev
    data: bytes = b""
    link: str = ""
    mode: int | None = None   # None: 0755 for folders, 0644 otherwise


def tar_bytes(entries: list[Entry]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for e in entries:
            info = tarfile.TarInfo(e.name)
            info.mtime, info.mode = 0, 0o755 if e.kind == "dir" else 0o644
            if e.mode is not None:
                info.mode = e.mode
            if e.kind == "dir":
                info.type = tarfile.DIRTYPE
            elif e.kind == "symlink":
                info.type, info.linkname = tarfile.SYMTYPE, e.link
            elif e.kind == "hardlink":
                info.type, info.linkname = tarfile.LNKTYPE, e.link
            elif e.kind == "chardev":
                info.type, info.devmajor, info.devminor = tarfile.CHRTYPE, 1, 3
            else:
                info.size = len(e.data)
            tar.addfile(info, io.BytesIO(e.data) if e.kind == "file" else None)
    return buf.getvalue()


def compress(data: bytes, how: str) -> bytes:
    if how == "gzip":
        return gzip.compress(data, mtime=0)
    if how == "zstd":
        exe = shutil.which("zstd")
        if not exe:
            raise RuntimeError("zstd program not installed")
        return subprocess.run([exe, "-q", "-c"], input=data, capture_output=True,
                              check=True).stdout
    return data


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def dumps(obj: Any) -> bytes:
    return json.dumps(obj, separators=(",", ":"), sort_keys=True).encode()


BASE_LAYER = [Entry("bin", "dir"), Entry("bin/hello", data=b"#!/bin/sh\necho hello\n"),
              Entry("etc", "dir"), Entry("etc/motd", data=b"hi\n")]


@dataclass
class ImageSpec:
    """What one image holds, and hooks to bend its documents."""

    layers: list[list[Entry]] = field(default_factory=lambda: [BASE_LAYER])
    compression: str = "gzip"
    architecture: str = "amd64"
    os: str = "linux"
    config_hook: Hook | None = None
    manifest_hook: Hook | None = None
    layer_bytes_hook: Callable[[int, bytes], bytes] | None = None   # (index, blob) -> blob


class OciLayout:
    """Write an OCI image layout folder, blob by blob."""

    def __init__(self, root: Path):
        self.root = root
        (root / "blobs" / "sha256").mkdir(parents=True, exist_ok=True)

    def blob(self, data: bytes, media_type: str) -> Json:
        digest = sha256(data)
        (self.root / "blobs" / "sha256" / digest[7:]).write_bytes(data)
        return {"mediaType": media_type, "digest": digest, "size": len(data)}

    def image(self, spec: ImageSpec) -> Json:
        descs, diff_ids = [], []
        for i, entries in enumerate(spec.layers):
            raw = tar_bytes(entries)
            diff_ids.append(sha256(raw))
            blob = compress(raw, spec.compression)
            if spec.layer_bytes_hook:
                blob = spec.layer_bytes_hook(i, blob)
            descs.append(self.blob(blob, LAYER_MT[spec.compression]))
        config: Json = {"architecture": spec.architecture, "os": spec.os,
                        "created": "2024-01-01T00:00:00Z",
                        "config": {"Env": ["PATH=/bin"], "Cmd": ["/bin/hello"]},
                        "rootfs": {"type": "layers", "diff_ids": diff_ids},
                        "history": [{"created_by": f"layer {i}"} for i in range(len(descs))]}
        if spec.config_hook:
            config = spec.config_hook(config) or config
        manifest: Json = {"schemaVersion": 2, "mediaType": MT_MANIFEST,
                          "config": self.blob(dumps(config), MT_CONFIG), "layers": descs}
        if spec.manifest_hook:
            manifest = spec.manifest_hook(manifest) or manifest
        desc = self.blob(dumps(manifest), MT_MANIFEST)
        desc["platform"] = {"architecture": spec.architecture, "os": spec.os}
        return desc

    def finish(self, manifests: list[Json], index_hook: Hook | None = None,
               layout: Json | None = None) -> None:
        index: Json = {"schemaVersion": 2, "mediaType": MT_INDEX, "manifests": manifests}
        if index_hook:
            index = index_hook(index) or index
        (self.root / "index.json").write_bytes(dumps(index))
        (self.root / "oci-layout").write_bytes(dumps(layout or {"imageLayoutVersion": "1.0.0"}))


def tag(desc: Json, name: str) -> Json:
    return {**desc, "annotations": {"org.opencontainers.image.ref.name": name}}


def write_layout(root: Path, spec: ImageSpec | None = None, index_hook: Hook | None = None,
                 multi: bool = False) -> Path:
    """A one-image layout (or, with ``multi``, an index of amd64 and arm64 images)."""
    lay = OciLayout(root)
    spec = spec or ImageSpec()
    first = lay.image(spec)
    if multi:
        second = lay.image(ImageSpec(layers=[BASE_LAYER + [Entry("etc/arch", data=b"arm64\n")]],
                                     architecture="arm64"))
        nested = lay.blob(dumps({"schemaVersion": 2, "mediaType": MT_INDEX,
                                 "manifests": [first, second]}), MT_INDEX)
        lay.finish([tag(nested, "latest")], index_hook)
    else:
        lay.finish([tag(first, "latest")], index_hook)
    return root


def write_docker_archive(path: Path, layers: list[list[Entry]] | None = None,
                         hook: Callable[[dict[str, bytes]], None] | None = None) -> Path:
    """A `docker save` archive with manifest.json, legacy folders and repositories."""
    layers = layers or [BASE_LAYER]
    files: dict[str, bytes] = {}
    diff_ids, names, parent = [], [], ""
    for entries in layers:
        raw = tar_bytes(entries)
        diff_ids.append(sha256(raw))
        layer_id = hashlib.sha256(f"{parent}{diff_ids[-1]}".encode()).hexdigest()
        legacy = {"id": layer_id, "created": "2024-01-01T00:00:00Z"}
        if parent:
            legacy["parent"] = parent
        files[f"{layer_id}/VERSION"] = b"1.0"
        files[f"{layer_id}/json"] = dumps(legacy)
        files[f"{layer_id}/layer.tar"] = raw
        names.append(f"{layer_id}/layer.tar")
        parent = layer_id
    config = dumps({"architecture": "amd64", "os": "linux", "created": "2024-01-01T00:00:00Z",
                    "config": {"Env": ["PATH=/bin"]},
                    "rootfs": {"type": "layers", "diff_ids": diff_ids},
                    "history": [{"created_by": "x"} for _ in layers]})
    config_name = hashlib.sha256(config).hexdigest() + ".json"
    files[config_name] = config
    files["manifest.json"] = dumps([{"Config": config_name, "RepoTags": ["example/app:1"],
                                     "Layers": names}])
    files["repositories"] = dumps({"example/app": {"1": parent}})
    if hook:
        hook(files)
    _write_tar(path, files)
    return path


def _write_tar(path: Path, files: dict[str, bytes]) -> None:
    with tarfile.open(path, "w") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size, info.mtime, info.mode = len(data), 0, 0o644
            tar.addfile(info, io.BytesIO(data))


ACI_MANIFEST: Json = {"acKind": "ImageManifest", "acVersion": "0.8.11",
                      "name": "example.com/hello",
                      "labels": [{"name": "os", "value": "linux"},
                                 {"name": "arch", "value": "amd64"}],
                      "app": {"exec": ["/bin/hello"], "user": "0", "group": "0",
                              "workingDirectory": "/"}}


def write_aci(path: Path, manifest: Json | None = None, extra: list[Entry] | None = None,
              compress_gzip: bool = True) -> Path:
    """An ACI: manifest plus rootfs/, optionally with extra entries (for bad fixtures)."""
    entries = [Entry("manifest", data=dumps(manifest or ACI_MANIFEST)), Entry("rootfs", "dir")]
    entries += [Entry("rootfs/" + e.name, e.kind, e.data,
                      ("rootfs/" + e.link) if e.kind == "hardlink" else e.link)
                for e in BASE_LAYER]
    entries += extra or []
    raw = tar_bytes(entries)
    path.write_bytes(gzip.compress(raw, mtime=0) if compress_gzip else raw)
    return path


def write_docker25_archive(path: Path, work: Path) -> Path:
    """A Docker 25+ `docker save` archive: an OCI layout (uncompressed layers) that also
    carries manifest.json pointing into blobs/."""
    root = write_layout(work / "docker25", ImageSpec(compression="none"))
    index = json.loads((root / "index.json").read_bytes())
    manifest = json.loads((root / "blobs/sha256" / index["manifests"][0]["digest"][7:])
                          .read_bytes())
    blob = lambda d: "blobs/sha256/" + d["digest"][7:]  # noqa: E731
    (root / "manifest.json").write_bytes(dumps([{
        "Config": blob(manifest["config"]), "RepoTags": ["example/app:1"],
        "Layers": [blob(layer) for layer in manifest["layers"]]}]))
    files = {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
             if p.is_file()}
    _write_tar(path, files)
    return path
