"""An ACI stream: read once to check the archive layout, read the manifest and compute
the image id (sha512 of the uncompressed tar). Nothing is extracted."""
from __future__ import annotations

import tarfile
from typing import Any, BinaryIO

from oci_conform.checks.appc.manifest import check_image_manifest
from oci_conform.checks.image.jsondoc import MAX_DOCUMENT, parse_json
from oci_conform.checks.image.layer import Limits, _unsafe
from oci_conform.checks.image.report import Report
from oci_conform.checks.image.streams import (
    CHUNK,
    BlobReader,
    CorruptStream,
    Decompressed,
    TooBig,
    sniff,
)


def check_aci(report: Report, raw: BinaryIO, name: str, size: int, limits: Limits
              ) -> dict[str, Any]:
    """Judge one ACI given as a stream of its bytes; returns the facts seen (kind, id...)."""
    report.check("appc.aci.archive.suffix", name.endswith(".aci"),
                 "image archive name does not end in .aci", name)
    facts: dict[str, Any] = {"kind": "aci"}
    blob = BlobReader(raw, "sha512")
    kind = sniff(blob.peek(1024))
    report.check("appc.aci.archive.compression", kind in ("gzip", "bzip2", "xz", "tar"),
                 f"archive compression {kind!r} is not gzip, bzip2 or xz", name)
    facts["compression"] = kind
    plain = limits.decompressed(blob, kind if kind in ("gzip", "bzip2", "xz") else "none",
                                "sha512")
    try:
        manifest = _scan(report, plain, limits, facts)
        plain.drain()
        facts["image_id"] = (plain.diff_id() or "sha512:").replace("sha512:", "sha512-")
        report.note("appc.aci.image-id", f"image id {facts['image_id'][:23]}...", name)
    except TooBig as exc:
        report.error("appc.aci.archive.tar", f"refused as a decompression bomb: {exc}", name)
        manifest = None
    except CorruptStream as exc:
        report.fail("appc.aci.archive.tar", str(exc), name)
        manifest = None
    finally:
        plain.close()
    if manifest is not None:
        doc = parse_json(manifest, "appc.aci.manifest.json", "manifest")
        sub = Report(file="manifest", text=doc.located)
        for p in doc.problems:
            sub.fail("appc.aci.manifest.json", p.message, p.location)
        if doc.ok:
            sub.saw("appc.aci.manifest.json")
            check_image_manifest(sub, doc.value)
        report.merge(sub)
    return facts


def _scan(report: Report, plain: Decompressed, limits: Limits, facts: dict) -> bytes | None:
    manifest: bytes | None = None
    seen: set[str] = set()
    top: set[str] = set()
    count = 0
    try:
        tf = tarfile.open(fileobj=plain, mode="r|", bufsize=CHUNK,  # type: ignore[call-overload]
                          encoding="utf-8",
                          errors="surrogateescape")
        for m in tf:
            count += 1
            if count > limits.max_entries:
                report.error("appc.aci.archive.tar",
                             f"more than {limits.max_entries} entries; refused")
                return manifest
            name = m.name
            while name.startswith("./"):
                name = name[2:]
            name = name.rstrip("/")
            if not name or name == ".":
                continue
            bad = _unsafe(name)
            report.check("docker.layer.paths-inside-root",
                         not bad, f"entry has an {bad}", f"entry {m.name!r}")
            report.check("appc.aci.archive.tar", name not in seen, "duplicate entry",
                         f"entry {m.name!r}")
            seen.add(name)
            first = name.split("/", 1)[0]
            top.add(first)
            if name == "manifest":
                if report.check("appc.aci.archive.top-level", m.isfile(),
                                "manifest is not a regular file", "entry 'manifest'"):
                    f = tf.extractfile(m)
                    manifest = f.read(MAX_DOCUMENT + 1) if f else b""
            elif name == "rootfs":
                report.check("appc.aci.archive.top-level", m.isdir(), "rootfs is not a folder",
                             "entry 'rootfs'")
            tf.members = []
    except (tarfile.ReadError, EOFError) as exc:
        report.fail("appc.aci.archive.tar", f"not a readable tar after {count} entries: {exc}")
        return manifest
    report.saw("appc.aci.archive.tar")
    extra = sorted(top - {"manifest", "rootfs"})
    report.check("appc.aci.archive.top-level", not extra and {"manifest", "rootfs"} <= top,
                 f"top-level names must be exactly manifest and rootfs (extra: {extra[:5]}, "
                 f"missing: {sorted({'manifest', 'rootfs'} - top)})", "archive root")
    report.check("appc.aci.manifest.json", manifest is not None, "no manifest file", "manifest")
    facts["entries"] = count
    return manifest
