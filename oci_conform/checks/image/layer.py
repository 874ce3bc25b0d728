"""Scan one layer blob as it streams: digest, size, compression, DiffID and tar entries.

The tar is read with ``tarfile`` in stream mode over a decompressing reader we
control, so nothing is extracted and memory stays bounded; caps on uncompressed
bytes and entry count turn a bomb into a clean outcome.
"""
from __future__ import annotations

import posixpath
import tarfile
from dataclasses import dataclass, field
from typing import BinaryIO

from oci_conform.checks.image.grammar import LAYER_TYPES
from oci_conform.checks.image.report import Report
from oci_conform.checks.image.streams import (
    BlobReader,
    CorruptStream,
    Decompressed,
    Prefetched,
    TooBig,
    Unsupported,
    sniff,
)
from oci_conform.checks.image.tarscan import Entry, NotTar, members

WHITEOUT = ".wh."
OPAQUE = ".wh..wh..opq"


@dataclass
class Limits:
    """Caps that make hostile input end cleanly."""

    # What a real layer can be: the biggest layers of public images (CUDA, ML runtimes) are
    # a few GiB uncompressed; past 16 GiB a layer is refused unless --max-layer-size says
    # otherwise (see docs/image.md, "How the decompression cap is bounded").
    max_uncompressed: int = 16 * 1024 ** 3
    max_ratio: int = 100                   # uncompressed/compressed beyond this is a bomb
    ratio_floor: int = 1024 ** 3           # ... once past this many uncompressed bytes
    max_entries: int = 500_000

    def decompressed(self, blob: BlobReader, kind: str, algorithm: str = "sha256",
                     hashed: bool = True, background: bool = True) -> Decompressed:
        """The uncompressed stream of ``blob`` under these bounds. The ratio is measured
        against the compressed bytes actually read, never a size the image declares."""
        return Decompressed(blob, kind, self.max_uncompressed, algorithm, hashed,
                            ratio=self.max_ratio, floor=self.ratio_floor,
                            background=background)


@dataclass
class LayerScan:
    """What one pass over a layer found (hashes are hex, None when the algorithm is unknown)."""

    digest_hex: str | None = None
    size: int = 0
    diff_id: str | None = None
    kind: str = "unknown"
    entries: int = 0
    paths: set[int] = field(default_factory=set)   # hashes of the entry paths (compact)
    # hardlinks to no earlier entry of this layer: (target, place, comes later in the layer),
    # judged against the lower layers by ``settle_links`` when the scan was asked to defer
    links: list[tuple[str, str, bool]] = field(default_factory=list)


def _norm(name: str) -> str:
    while name.startswith("./"):
        name = name[2:]
    return name.rstrip("/")


def _unsafe(name: str) -> str:
    if name.startswith("/"):
        return "absolute path"
    if ".." in name and ".." in name.split("/"):
        return "path with '..'"
    return ""


def scan_layer(report: Report, raw: BinaryIO, algorithm: str, media_type: str, where: str,
               version: str, lower: set[int] | None, limits: Limits, declared_size: int = 0,
               background: bool = True, ahead: bool = False) -> LayerScan:
    """Hash and scan ``raw``; problems go to ``report`` with ``where`` as the place.

    ``lower`` holds the path hashes of the layers below; None defers the hardlinks this
    layer cannot resolve to ``scan.links`` (for ``settle_links``), so layers can be scanned
    in any order. ``background`` hashes on helper threads (off when the caller already runs
    scans side by side); ``ahead`` decompresses on a helper thread while the tar is parsed."""
    blob = BlobReader(raw, algorithm, background=background)
    scan = LayerScan()
    head = blob.peek(1024)
    scan.kind = sniff(head)
    expected = LAYER_TYPES.get(media_type)
    actual = {"tar": "none"}.get(scan.kind, scan.kind)
    if expected is not None:
        report.check("image.layer.distributable-format.1", expected == actual,
                     f"layer bytes are {scan.kind} but the media type says "
                     f"{'uncompressed tar' if expected == 'none' else expected}", where,
                     media_type, scan.kind)
    decode = actual if actual in ("gzip", "zstd") else "none"
    # An uncompressed sha256 layer's DiffID is its digest: hash it once, not twice.
    same = decode == "none" and algorithm == "sha256" and blob.hash is not None
    try:
        made = limits.decompressed(blob, decode, hashed=not same, background=background)
    except Unsupported as exc:
        report.error("image.layer.distributable-format.1", str(exc), where)
        report.error("image.config.properties.38", f"DiffID not computed: {exc}", where)
        blob.drain()
        scan.digest_hex, scan.size = blob.hexdigest(), blob.size
        return scan
    plain: Decompressed | Prefetched = Prefetched(made) if ahead else made
    try:
        _scan_entries(report, plain, where, version, lower, limits, scan)
        plain.drain()
        blob.drain()
        scan.diff_id = plain.diff_id() or "sha256:" + (blob.hexdigest() or "")
    except TooBig as exc:
        report.error("image.layer.distributable-format.1",
                     f"layer {where} refused as a decompression bomb: {exc} "
                     f"(compressed {blob.size} bytes read so far)", where)
        report.error("image.config.properties.38",
                     "DiffID not computed: layer passed the size cap", where)
    except CorruptStream as exc:
        report.fail("image.layer.distributable-format.1", str(exc), where)
        blob.drain()
    finally:
        plain.close()
    scan.digest_hex = blob.hexdigest()
    scan.size = blob.size
    return scan


class _Bomb(Exception):
    pass


def _scan_entries(report: Report, plain: Decompressed | Prefetched, where: str, version: str,
                  lower: set[int] | None, limits: Limits, scan: LayerScan) -> None:
    # Paths are kept as 64-bit hashes: a layer of half a million entries stays in tens of
    # MiB (a false match needs a hash collision: about 1e-8 at that size).
    seen: set[int] = set()
    whiteouts: list[tuple[str, str]] = []
    links: list[tuple[str, str]] = []
    filled: set[int] = set()       # folders that already had a non-whiteout entry
    deferred = [-1] * len(PER_ENTRY)
    try:
        # Simple headers are parsed in a tight loop, the rest by tarfile ("r:" over our
        # forward-only stream: file data is skipped without copies, never read).
        for member in members(plain):
            scan.entries += 1
            if scan.entries > limits.max_entries:
                raise _Bomb()
            _check_member(report, member, where, version, seen, whiteouts, links, lower,
                          filled, deferred)
    except NotTar as exc:
        report.fail("image.layer.distributable-format.1",
                    f"layer is not a tar archive: {exc}", where)
        return
    except _Bomb:
        report.error("image.layer.distributable-format.1",
                     f"layer refused: more than {limits.max_entries} tar entries",
                     where)
        return
    except (tarfile.ReadError, EOFError) as exc:
        report.fail("image.layer.distributable-format.1",
                    f"tar stream is broken after {scan.entries} entries: {exc}",
                    where)
        return
    finally:
        for clause, times in zip(PER_ENTRY, deferred, strict=True):
            report.saw_many(clause, times)
    report.saw("image.layer.distributable-format.1")
    _finish_layer(report, where, seen, whiteouts)
    pending = [(target, place, hash(target) in seen) for target, place in links]
    if lower is None:
        scan.links = pending
    else:
        settle_links(report, pending, lower)
    scan.paths = seen


# The passes every entry may add, in this order in ``deferred``: the first of each is
# recorded when it happens (so the report's order is unchanged), the rest counted and
# recorded once, by ``saw_many``, when the layer ends.
PER_ENTRY = ("docker.layer.paths-inside-root", "docker.layer.utf-8-names",
             "image.layer.distributable-format.2")


def _check_member(report: Report, m: tarfile.TarInfo | Entry, where: str, version: str,
                  seen: set[int], whiteouts: list, links: list, lower: set[int] | None,
                  filled: set[int] | None = None, deferred: list[int] | None = None) -> None:
    # Runs once per tar entry: the place (and each message) is only built for a finding.
    # ``deferred``: passes of PER_ENTRY counted, not recorded (-1: none seen yet).
    later = deferred if deferred is not None else [-1, -1, -1]
    name = m.name
    problem = _unsafe(name)
    if problem:
        report.fail("docker.layer.paths-inside-root", f"tar entry has an {problem}",
                    _place(where, name))
    elif later[0] < 0:
        report.saw("docker.layer.paths-inside-root")
        later[0] = 0
    else:
        later[0] += 1
    if not name.isascii() and not _utf8(name):
        report.fail("docker.layer.utf-8-names", "tar entry name is not valid UTF-8",
                    _place(where, name))
    elif later[1] < 0:
        report.saw("docker.layer.utf-8-names")
        later[1] = 0
    else:
        later[1] += 1
    path = _norm(name)
    if path in ("", "."):
        return
    key = hash(path)
    if key in seen:
        report.fail("image.layer.distributable-format.2", "duplicate entry for the same path",
                    _place(where, name))
    elif later[2] < 0:
        report.saw("image.layer.distributable-format.2")
        later[2] = 0
    else:
        later[2] += 1
    seen.add(key)
    folder, base = split_path(path)
    whiteout = base.startswith(WHITEOUT)
    if filled is not None:
        parent = hash(folder)
        if whiteout:
            report.check("image.layer.whiteouts.3", parent not in filled, "whiteout comes after "
                         "other entries of its folder; writers should put whiteouts first",
                         _place(where, name))
        else:
            filled.add(parent)
    if whiteout and base == OPAQUE:
        report.fail("image.layer.opaque-whiteout.1-b", "opaque whiteout: explicit whiteouts are "
                    "preferred (consumers must still accept it)", _place(where, name))
    elif whiteout and not base.startswith(WHITEOUT + WHITEOUT):
        if base == WHITEOUT:
            if version == "main":
                report.fail("image.layer.whiteouts.no-basename",
                            "whiteout '.wh.' names nothing", _place(where, name))
        else:
            whiteouts.append((posixpath.join(posixpath.dirname(path), base[len(WHITEOUT):]),
                              _place(where, name)))
    if m.islnk():
        target = m.linkname
        bad = _unsafe(target)
        place = _place(where, name)
        report.check("docker.layer.paths-inside-root",
                     not bad, f"hardlink target is an {bad}", place)
        links.append((_norm(target), place))
        key = hash(_norm(target))
        if key in seen or (lower is not None and key in lower):
            report.saw("docker.layer.hardlink-target-earlier")
            links.pop()
    if m.ischr() or m.isblk():
        report.note("image.layer.distributable-format.1",
                    f"device file {name!r} ({m.devmajor}:{m.devminor})", _place(where, name))
    if m.issparse():
        report.fail("image.layer.file-attributes.2", "sparse file entry", _place(where, name))


def split_path(path: str) -> tuple[str, str]:
    """``(posixpath.dirname(path), posixpath.basename(path))`` at the cost of one split
    (dirname also strips the slashes a doubled one leaves at the end of the folder)."""
    folder, slash, base = path.rpartition("/")
    if folder.endswith("/") or (slash and not folder):     # "a//b", "/b"
        folder = posixpath.dirname(path)
    return folder, base


def _utf8(name: str) -> bool:
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _place(where: str, name: str) -> str:
    return f"{where} entry {name!r}"


def _finish_layer(report: Report, where: str, seen: set[int], whiteouts: list) -> None:
    for target, place in whiteouts:
        report.check("image.layer.whiteouts.2", hash(target) not in seen,
                     f"whiteout hides {target!r}, which is in the same layer", place)


def settle_links(report: Report, links: list[tuple[str, str, bool]], lower: set[int]) -> None:
    """Judge hardlinks no earlier entry of their own layer held: a target in a lower layer
    is fine, any other a failure (``later``: the target comes later in the same layer)."""
    for target, place, later in links:
        if hash(target) in lower:
            report.saw("docker.layer.hardlink-target-earlier")
            continue
        report.fail("docker.layer.hardlink-target-earlier",
                    f"hardlink to {target!r}, which "
                    + ("comes later in the layer" if later else "is in no earlier entry or layer"),
                    place)
