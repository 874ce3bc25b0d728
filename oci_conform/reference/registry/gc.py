"""Garbage collection: remove blobs no repository references, and stale uploads.

Mark: every manifest linked in any repository, the blobs each references (config,
layers, child manifests, subject is not followed), and every blob a repository still
links. Sweep: delete the rest. Run it while the registry is stopped, or accept that a
blob uploaded during the sweep may be removed if no manifest links it yet (uploads in
progress are kept unless older than ``stale_uploads_after``; folders of closed sessions that
a crash left behind, ``.gone-*``, always go).
"""
from __future__ import annotations

import json
import shutil
import time
from dataclasses import dataclass

from oci_conform.reference.registry.grammar import Digest, parse_digest
from oci_conform.reference.registry.storage import Storage


@dataclass
class GcReport:
    """What a garbage collection kept and removed."""

    kept: int
    removed: list[str]
    stale_uploads: list[str]


def _references(storage: Storage, digest: Digest) -> list[Digest]:
    try:
        doc = json.loads(storage.read_blob(digest))
    except (OSError, ValueError):
        return []
    descs = [doc.get("config")] + list(doc.get("layers") or []) + list(doc.get("manifests") or [])
    found = []
    for desc in descs:
        if isinstance(desc, dict) and isinstance(desc.get("digest"), str):
            d = parse_digest(desc["digest"])
            if d:
                found.append(d)
    return found


def collect(storage: Storage, dry_run: bool = False,
            stale_uploads_after: float = 24 * 3600) -> GcReport:
    marked: set[str] = set()
    for repo in storage.repositories():
        for manifest in storage.manifest_digests(repo):
            marked.add(str(manifest))
            marked.update(str(d) for d in _references(storage, manifest))
        for path in (storage.root / "repos" / repo / "_oci" / "blobs").glob("*/*"):
            marked.add(f"{path.parent.name}:{path.name}")
    removed = []
    for digest in storage.all_blobs():
        if str(digest) not in marked:
            removed.append(str(digest))
            if not dry_run:
                storage.blob_path(digest).unlink(missing_ok=True)
    stale = []
    for folder in (storage.root / "uploads").glob("*"):
        try:
            age = time.time() - folder.stat().st_mtime
        except OSError:
            continue
        if age > stale_uploads_after or folder.name.startswith(".gone-"):
            stale.append(folder.name)
            if not dry_run:
                shutil.rmtree(folder, ignore_errors=True)
    return GcReport(kept=len(marked), removed=removed, stale_uploads=stale)
