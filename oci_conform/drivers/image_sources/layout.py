"""An OCI image layout (folder or oci-archive): its files, then a walk from index.json."""
from __future__ import annotations

import re

from oci_conform.checks.image.grammar import DIGEST_RE, registered
from oci_conform.checks.image.index import check_index
from oci_conform.checks.image.jsondoc import parse_json
from oci_conform.checks.image.layer import Limits
from oci_conform.checks.image.report import Report
from oci_conform.drivers.image_sources.base import ImageSource, SourceError
from oci_conform.drivers.image_sources.walk import Walk, walk_descriptor


def validate_layout(source: ImageSource, version: str, limits: Limits,
                    ref: str = "") -> tuple[Report, dict]:
    """Judge a whole layout; ``ref`` limits the walk to index.json entries with that name/digest."""
    report = Report()
    _check_oci_layout_file(report, source)
    report.check("image.image-layout.content.2",
                 source.has_dir("blobs"), "blobs/ folder is missing",
                 "blobs/")
    walk = Walk(source, report, version, limits, digest_clause="image.image-layout.blobs.1",
                missing_clause="image.image-layout.blobs.4", missing_allowed=True)
    index = _read_index(report, source, version)
    chosen = 0
    if index is not None:
        entries = index.get("manifests")
        for i, d in enumerate(entries if isinstance(entries, list) else []):
            if ref and not _matches(d, ref):
                continue
            chosen += 1
            walk_descriptor(walk, d, f"index.json#/manifests/{i}")
        if ref and not chosen:
            report.error("image.image-layout.content.8",
                         f"no index.json entry is named or has digest "
                                                  f"{ref!r}", "index.json")
    _check_blob_names(report, source, walk.reached, version, whole=not ref)
    entries = (index or {}).get("manifests")
    facts = {"source": source.label, "kind": source.kind, **walk.stats,
             "manifests_in_index": len(entries) if isinstance(entries, list) else 0}
    return report, facts


def _matches(d: object, ref: str) -> bool:
    if not isinstance(d, dict):
        return False
    name = (d.get("annotations") or {}).get("org.opencontainers.image.ref.name") \
        if isinstance(d.get("annotations"), dict) else None
    return d.get("digest") == ref or name == ref


def _check_oci_layout_file(report: Report, source: ImageSource) -> None:
    try:
        data = source.read_small("oci-layout", 64 * 1024)
    except SourceError as exc:
        report.fail("image.image-layout.content.3", str(exc), "oci-layout")
        return
    if not report.check("image.image-layout.content.3",
                        data is not None, "oci-layout file is missing",
                        "oci-layout"):
        return
    assert data is not None
    doc = parse_json(data, "image.image-layout.content.4", "oci-layout")
    sub = Report(file=getattr(source, "file_prefix", "") + "oci-layout", text=doc.located)
    for p in doc.problems:
        sub.fail(p.clause, p.message, p.location)
    if doc.ok and sub.check("image.image-layout.content.4", isinstance(doc.value, dict),
                            "oci-layout is not a JSON object", ""):
        v = doc.value.get("imageLayoutVersion")
        sub.check("image.image-layout.content.5", isinstance(v, str) and v != "",
                  "oci-layout has no imageLayoutVersion string", "/imageLayoutVersion",
                  '"1.0.0"', repr(v))
    report.merge(sub)


def _read_index(report: Report, source: ImageSource, version: str) -> dict | None:
    try:
        data = source.read_small("index.json")
    except SourceError as exc:
        report.fail("image.image-layout.content.7", str(exc), "index.json")
        return None
    if not report.check("image.image-layout.content.7", data is not None, "index.json is missing",
                        "index.json"):
        return None
    assert data is not None
    doc = parse_json(data, "image.image-layout.content.8", "index.json")
    sub = Report(file=getattr(source, "file_prefix", "") + "index.json", text=doc.located)
    for p in doc.problems:
        sub.fail(p.clause, p.message, p.location)
    if doc.ok:
        is_index = isinstance(doc.value, dict) and isinstance(doc.value.get("manifests"), list)
        sub.check("image.image-layout.content.8", is_index, "index.json is not an image index", "")
        check_index(sub, doc.value, version, layout_index=True)
    report.merge(sub)
    return doc.value if doc.ok and isinstance(doc.value, dict) else None


def _check_blob_names(report: Report, source: ImageSource, reached: set[str], version: str,
                      whole: bool) -> None:
    try:
        names = source.blob_names()
    except SourceError as exc:
        report.error("image.image-layout.blobs.2", str(exc), "blobs/")
        return
    algs = registered(version)
    unreferenced = []
    for name in names:
        alg, _, enc = name.partition("/")
        digest = f"{alg}:{enc}"
        ok = "/" not in enc and bool(DIGEST_RE.match(digest))
        if ok and alg in algs:
            ok = bool(re.fullmatch(f"[a-f0-9]{{{algs[alg]}}}", enc))
        if not report.check("image.image-layout.blobs.2", ok,
                            "file under blobs/ is not named <algorithm>/<encoded digest>",
                            f"blobs/{name}"):
            continue
        if digest not in reached:
            unreferenced.append(name)
            _hash_unreferenced(report, source, digest, f"blobs/{name}")
    if whole and names:
        msg = (f"{len(unreferenced)} blob(s) reached from no index.json entry (allowed): "
               + ", ".join(unreferenced[:5])) if unreferenced else "every blob is reachable"
        report.note("image.image-layout.blobs.3", msg, "blobs/")


def _hash_unreferenced(report: Report, source: ImageSource, digest: str, where: str) -> None:
    """Blobs nobody references must still hold what their name says."""
    from oci_conform.checks.image.blobs import hash_stream
    stream = source.open_blob(digest)
    if stream is None:
        return
    with stream:
        got, _ = hash_stream(stream, digest)
    if got is not None:
        report.check("image.image-layout.blobs.1", got == digest.partition(":")[2],
                     "blob content does not hash to its file name", where, digest,
                     f"{digest.partition(':')[0]}:{got}")
