"""An ACI file: streamed once to check the archive layout, read the manifest and compute
the image id (sha512 of the uncompressed tar). Nothing is extracted."""
from __future__ import annotations

import tarfile
from pathlib import Path

from oci_conform.checks.appc.manifest import check_image_manifest
from oci_conform.checks.image import clauses as C
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

A = "appc.aci."


def validate_aci(path: Path, limits: Limits) -> tuple[Report, dict]:
    report = Report()
    report.check(A + "archive.suffix", path.name.endswith(".aci"),
                 "image archive name does not end in .aci", path.name)
    evidence: dict = {"source": f"aci:{path}", "kind": "aci"}
    with path.open("rb") as raw:
        blob = BlobReader(raw, "sha512")
        kind = sniff(blob.peek(1024))
        report.check(A + "archive.compression", kind in ("gzip", "bzip2", "xz", "tar"),
                     f"archive compression {kind!r} is not gzip, bzip2 or xz", path.name)
        evidence["compression"] = kind
        cap = min(limits.max_uncompressed,
                  max(limits.ratio_floor, path.stat().st_size * limits.max_ratio))
        plain = Decompressed(blob, kind if kind in ("gzip", "bzip2", "xz") else "none", cap,
                             "sha512")
        try:
            manifest = _scan(report, plain, limits, evidence)
            plain.drain()
            evidence["image_id"] = (plain.diff_id() or "sha512:").replace("sha512:", "sha512-")
            report.note(A + "image-id", f"image id {evidence['image_id'][:23]}...", path.name)
        except TooBig as exc:
            report.error(A + "archive.tar", f"refused as a decompression bomb: {exc}", path.name)
            manifest = None
        except CorruptStream as exc:
            report.fail(A + "archive.tar", str(exc), path.name)
            manifest = None
        finally:
            plain.close()
    if manifest is not None:
        doc = parse_json(manifest, A + "manifest.json", "manifest")
        sub = Report(file="manifest", text=doc.text)
        for p in doc.problems:
            sub.fail(A + "manifest.json" if p.clause != C.JSON_UTF8 else A + "manifest.json",
                     p.message, p.location)
        if doc.ok:
            sub.saw(A + "manifest.json")
            check_image_manifest(sub, doc.value)
        report.merge(sub)
    return report, evidence


def _scan(report: Report, plain: Decompressed, limits: Limits, evidence: dict) -> bytes | None:
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
                report.error(A + "archive.tar", f"more than {limits.max_entries} entries; refused")
                return manifest
            name = m.name
            while name.startswith("./"):
                name = name[2:]
            name = name.rstrip("/")
            if not name or name == ".":
                continue
            bad = _unsafe(name)
            report.check(C.TAR_PATH_RELATIVE, not bad, f"entry has an {bad}", f"entry {m.name!r}")
            report.check(A + "archive.tar", name not in seen, "duplicate entry",
                         f"entry {m.name!r}")
            seen.add(name)
            first = name.split("/", 1)[0]
            top.add(first)
            if name == "manifest":
                if report.check(A + "archive.top-level", m.isfile(),
                                "manifest is not a regular file", "entry 'manifest'"):
                    f = tf.extractfile(m)
                    manifest = f.read(MAX_DOCUMENT + 1) if f else b""
            elif name == "rootfs":
                report.check(A + "archive.top-level", m.isdir(), "rootfs is not a folder",
                             "entry 'rootfs'")
            tf.members = []
    except (tarfile.ReadError, EOFError) as exc:
        report.fail(A + "archive.tar", f"not a readable tar after {count} entries: {exc}")
        return manifest
    report.saw(A + "archive.tar")
    extra = sorted(top - {"manifest", "rootfs"})
    report.check(A + "archive.top-level", not extra and {"manifest", "rootfs"} <= top,
                 f"top-level names must be exactly manifest and rootfs (extra: {extra[:5]}, "
                 f"missing: {sorted({'manifest', 'rootfs'} - top)})", "archive root")
    report.check(A + "manifest.json", manifest is not None, "no manifest file", "manifest")
    evidence["entries"] = count
    return manifest
