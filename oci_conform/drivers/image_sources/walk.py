"""Walk an image from its entry point through every reachable blob, judging as it goes.

The walk reads through an ImageSource and hands bytes to the pure checks; each
blob is read once (JSON documents bounded in size, layers streamed).
"""
from __future__ import annotations

import multiprocessing
import signal
import sys
from collections.abc import Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from oci_conform.catalog.loader import default_catalog
from oci_conform.checks.image.blobs import hash_stream, judge_blob, read_document
from oci_conform.checks.image.config import check_diff_ids
from oci_conform.checks.image.document import DOCUMENT_CHECKS
from oci_conform.checks.image.grammar import (
    LAYER_TYPES,
    MT_CONFIG,
    MT_INDEX,
    MT_MANIFEST,
    digest_problems,
)
from oci_conform.checks.image.jsondoc import JsonDoc, judge_json_form, parse_json
from oci_conform.checks.image.layer import LayerScan, Limits, scan_layer, settle_links
from oci_conform.checks.image.report import Report, pointer
from oci_conform.drivers.image_sources.base import ImageSource
from oci_conform.model.judging import Why, not_judged

MAX_INDEX_DEPTH = 8
LAYER_WORKERS = 2            # layers scanned side by side (this host has two cores)
PROCESS_MIN_BYTES = 32 << 20   # layers this big in all are worth starting worker processes
AHEAD_MIN_BYTES = 4 << 20      # a layer this big is decompressed ahead on a helper thread
# A compressed layer costs about ten times a plain tar's time per byte (decompressing and a
# second hash): 12-20 ms against 1.2 ms a MiB on the benchmark layout, this host.
COMPRESSED_COST = 10
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
INDEX_TYPES = {MT_INDEX, DOCKER_LIST}
MANIFEST_TYPES = {MT_MANIFEST, DOCKER_MANIFEST}
CONFIG_TYPES = {MT_CONFIG, DOCKER_CONFIG}



@dataclass
class Walk:
    """State of one walk: which blobs were reached and what layers scanned to."""

    source: ImageSource
    report: Report
    version: str
    limits: Limits
    digest_clause: str                    # the clause a digest mismatch breaks here
    missing_clause: str                   # the clause a missing blob is observed under
    missing_allowed: bool = False         # a layout may lack referenced blobs
    reached: set[str] = field(default_factory=set)
    layers: dict[str, LayerScan] = field(default_factory=dict)
    stats: dict[str, int] = field(default_factory=lambda: {"blobs": 0, "bytes": 0,
                                                           "manifests": 0, "layers": 0})


def file_of(digest: str) -> str:
    return "blobs/" + digest.replace(":", "/", 1)


def _prefix(walk: Walk) -> str:
    """Where the source's files are, so findings name real paths (``layout/blobs/...``)."""
    return str(getattr(walk.source, "file_prefix", ""))


def media_type(d: Any) -> str:
    """The descriptor's mediaType when it is a string, else "" (the checks say what is wrong)."""
    mt = d.get("mediaType") if isinstance(d, dict) else None
    return mt if isinstance(mt, str) else ""


def _usable(d: Any) -> bool:
    return (isinstance(d, dict) and isinstance(d.get("digest"), str)
            and isinstance(d.get("size"), int) and not digest_problems(d["digest"], "main"))


def load_document(walk: Walk, d: dict, where: str) -> tuple[JsonDoc | None, Report]:
    """Fetch a JSON blob named by ``d``; judge digest/size; parse under I-JSON rules."""
    digest = d["digest"]
    sub = Report(file=_prefix(walk) + file_of(digest), version=walk.version)
    problem = walk.source.blob_problem(digest)
    if problem:
        sub.fail(walk.digest_clause, problem, where)
        return None, sub
    stream = walk.source.open_blob(digest)
    if stream is None:
        _missing(walk, sub, digest, where)
        return None, sub
    walk.reached.add(digest)
    with stream:
        data, got_hex, got_size, too_big = read_document(stream, digest)
    walk.stats["blobs"] += 1
    walk.stats["bytes"] += got_size
    judge_blob(sub, digest, d["size"], got_hex, got_size, where, walk.digest_clause)
    mt = media_type(d)
    clause = ("image.manifest.json-object" if mt in MANIFEST_TYPES
              else "image.image-index.json-object" if mt in INDEX_TYPES
              else "image.config.json-object")
    if too_big:
        sub.fail(clause, "document is over the JSON size limit; not parsed", where)
        return None, sub
    doc = parse_json(data, clause, media_type(d) or "blob")
    sub.text = doc.located
    for p in doc.problems:
        sub.fail(p.clause, p.message, p.location)
    judge_json_form(sub, doc, data, where, media_type(d))
    return (doc if doc.ok else None), sub


def _missing(walk: Walk, report: Report, digest: str, where: str) -> None:
    """A referenced blob the source does not hold: a fault where the source must hold it (a
    registry); in a layout allowed, and the rule about fetching it binds readers."""
    if walk.missing_allowed:
        report.other(not_judged(walk.missing_clause, Why.OTHER_SUBJECT,
                                f"blob {digest} is not in the layout (allowed; readers fetch "
                                "it from an external store); what it holds is not judged"))
    else:
        report.fail(walk.missing_clause, f"blob {digest} is missing", where)


def walk_descriptor(walk: Walk, d: Any, where: str, depth: int = 0) -> None:
    """Follow one descriptor by media type (index -> manifests -> config + layers)."""
    if not _usable(d):
        return
    mt = media_type(d)
    if mt in INDEX_TYPES:
        _walk_index(walk, d, where, depth)
    elif mt in MANIFEST_TYPES:
        _walk_manifest(walk, d, where)
    elif d["digest"] not in walk.reached:
        _walk_opaque(walk, d, where)


def _load_and_check(walk: Walk, d: dict, where: str) -> Any:
    """Load the document ``d`` names, judge it with the check its media type has in the
    explicit table ``DOCUMENT_CHECKS``, merge what was found; return the document or None."""
    doc, sub = load_document(walk, d, where)
    if doc is not None:
        check = DOCUMENT_CHECKS.get(media_type(d))
        if check is not None:
            check(sub, doc.value, walk.version)
    walk.report.merge(sub)
    return doc


def _walk_index(walk: Walk, d: dict, where: str, depth: int) -> None:
    if depth >= MAX_INDEX_DEPTH:
        walk.report.fail("image.image-index.property-descriptions.9",
                         f"indexes nest deeper than {MAX_INDEX_DEPTH}; stopped",
                         where)
        return
    if d["digest"] in walk.reached:
        return
    doc = _load_and_check(walk, d, where)
    if doc is None or not isinstance(doc.value, dict):
        return
    children = doc.value.get("manifests")
    for i, child in enumerate(children if isinstance(children, list) else []):
        walk_descriptor(walk, child, f"{file_of(d['digest'])}#/manifests/{i}", depth + 1)
    subject: Any = doc.value.get("subject")
    if _usable(subject) and walk.source.open_blob(subject["digest"]) is None:
        walk.report.note("image.image-index.property-descriptions.9",
                         f"subject {subject['digest']} is not in this image",
                         f"{file_of(d['digest'])}#/subject")


def _walk_manifest(walk: Walk, d: dict, where: str) -> None:
    if d["digest"] in walk.reached:
        return
    walk.stats["manifests"] += 1
    doc = _load_and_check(walk, d, where)
    if doc is None or not isinstance(doc.value, dict):
        return
    here = file_of(d["digest"])
    layers = doc.value.get("layers")
    # The layer scans start first (in workers), so the config's checks, and the catalog
    # they may load, overlap them; results are still taken config first, then each layer.
    with LayerScans(walk, layers if isinstance(layers, list) else [], here) as ahead:
        if ahead.pool is not None:
            # The verdicts need the clause catalog once the walk ends: parse it now, while
            # the workers scan, not after them (a tenth of a second or two). Inside the
            # ``with``: an interrupt meanwhile still ends the workers.
            default_catalog()
        config_doc = _walk_config(walk, doc.value.get("config"), here + "#/config")
        diff_ids = _walk_layers(walk, layers, ahead)
    if config_doc is not None and diff_ids is not None:
        cfg_sub = Report(file=_prefix(walk) + file_of(doc.value["config"]["digest"]),
                         text=config_doc.text)
        check_diff_ids(cfg_sub, config_doc.value, diff_ids)
        walk.report.merge(cfg_sub)


def _walk_config(walk: Walk, d: Any, where: str) -> JsonDoc | None:
    if not _usable(d):
        return None
    if media_type(d) not in CONFIG_TYPES:
        if d["digest"] not in walk.reached:
            _walk_opaque(walk, d, where)
        return None
    return _load_and_check(walk, d, where)


def _walk_layers(walk: Walk, layers: Any, ahead: LayerScans) -> list[str | None] | None:
    if not isinstance(layers, list):
        return None
    lower: set[int] = set()
    diff_ids: list[str | None] = []
    for i, d in enumerate(layers):
        where = f"{ahead.here}#/layers/{i}"
        if not _usable(d):
            diff_ids.append(None)
            continue
        scan = _scan(walk, d, where, lower, ahead)
        diff_ids.append(scan.diff_id if scan else None)
        if scan:
            lower |= scan.paths
    return diff_ids


ScanResult = tuple[Report, LayerScan | None]


class LayerScans:
    """The layers of one manifest scanned ahead, ``LAYER_WORKERS`` at a time (dearest first,
    by ``scan_cost``), each into its own report; the walk takes the results in manifest order.

    Big layouts are scanned in forked worker processes: a layer's tar headers are parsed
    in Python, and on worker threads the GIL made one layer's decompression wait for the
    other's parsing (measured on the 330 MiB benchmark layout: 1.83x the two-core baseline
    with threads, 1.19x with processes, hashing inline in both). Small layouts (starting
    processes costs more than they take) and hosts without fork use threads. Only sources
    whose blobs can be opened afresh elsewhere (``parallel_blobs``) are scanned ahead; the
    others are scanned in order, as before."""

    def __init__(self, walk: Walk, layers: list, here: str):
        self.walk = walk
        self.here = here
        self.futures: dict[str, Future[ScanResult]] = {}
        self.pool: Executor | None = None
        todo = self._todo(layers, here)
        if len(todo) > 1 and getattr(walk.source, "parallel_blobs", False):
            total = sum(d["size"] for d, _ in todo)
            self.pool = _pool(min(LAYER_WORKERS, len(todo)), total >= PROCESS_MIN_BYTES)
            main = walk.report
            frame = (main.file, main.text, main.version)
            with _children_born_deaf(isinstance(self.pool, ProcessPoolExecutor)):
                for d, where in sorted(todo, key=lambda job: -scan_cost(job[0])):
                    self.futures[d["digest"]] = self.pool.submit(
                        _scan_alone, walk.source, walk.version, walk.limits, frame, d, where)

    def _todo(self, layers: list, here: str) -> list[tuple[dict, str]]:
        """(descriptor, place) of each layer blob not scanned yet, each digest once."""
        todo: dict[str, tuple[dict, str]] = {}
        for i, d in enumerate(layers):
            if (_usable(d) and d["digest"] not in self.walk.layers
                    and d["digest"] not in todo
                    and not self.walk.source.blob_problem(d["digest"])):
                todo[d["digest"]] = (d, f"{here}#/layers/{i}")
        return list(todo.values())

    def take(self, digest: str) -> ScanResult | None:
        """The scan of ``digest`` done ahead (waiting for it), or None if not scanned ahead."""
        future = self.futures.pop(digest, None)
        return future.result() if future is not None else None

    def __enter__(self) -> LayerScans:
        return self

    def __exit__(self, failure: type[BaseException] | None, *rest: object) -> None:
        if self.pool is None:
            return
        for future in self.futures.values():
            future.cancel()
        if failure is not None and isinstance(self.pool, ProcessPoolExecutor):
            # interrupted (or failed): end the workers now instead of letting them finish
            # their layers; ProcessPoolExecutor has no public way before Python 3.14
            for proc in list((getattr(self.pool, "_processes", None) or {}).values()):
                proc.terminate()
        self.pool.shutdown(wait=True)


def scan_cost(d: dict) -> int:
    """Roughly what scanning the layer of descriptor ``d`` costs: its size, times
    ``COMPRESSED_COST`` when its media type says compressed. Handing the dearest out first lets
    the workers end close together; by size alone, a big plain tar (cheap: one hash) went
    first and the last compressed layer ran alone at the end (0.2 s of 1.6 s on the
    benchmark layout)."""
    compressed = LAYER_TYPES.get(media_type(d), "none") != "none"
    return int(d["size"]) * (COMPRESSED_COST if compressed else 1)


def _pool(workers: int, big: bool) -> Executor:
    """Worker processes (forked: nothing to import again) for big layers, else threads."""
    if big and "fork" in multiprocessing.get_all_start_methods():
        return ProcessPoolExecutor(max_workers=workers, initializer=_in_worker,
                                   mp_context=multiprocessing.get_context("fork"))
    return ThreadPoolExecutor(max_workers=workers, thread_name_prefix="layer-scan")


_STOP_SIGNALS = {signal.SIGINT, signal.SIGTERM}


@contextmanager
def _children_born_deaf(forking: bool) -> Iterator[None]:
    """Block SIGINT and SIGTERM in this thread while it forks the pool's workers (the first
    ``submit`` forks them all): a Ctrl-C to the process group that comes between a fork and
    the worker's own set-up would run the main process's handler in the child, which dies
    and breaks the pool (CI saw exit 3 instead of 130 once). Signals that come meanwhile
    wait, and reach this process when the block ends."""
    if not forking:
        yield
        return
    old = signal.pthread_sigmask(signal.SIG_BLOCK, _STOP_SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


def _in_worker() -> None:
    """Set up a forked worker: signals are the main process's to handle (it ends the
    workers), and the decompressing thread takes the GIL back soon after each chunk
    instead of waiting out the default 5 ms switch interval. The worker was born with the
    stop signals blocked (``_children_born_deaf``): ignored first, then unblocked."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOP_SIGNALS)
    sys.setswitchinterval(0.0005)


def _scan_alone(source: ImageSource, version: str, limits: Limits, frame: tuple[str, str, str],
                d: dict, where: str) -> ScanResult:
    """Scan one layer into a report of its own (runs in a worker): the hardlinks it cannot
    resolve itself are left in ``scan.links`` for the walk to settle in manifest order."""
    file, text, judged = frame
    sub = Report(file=file, text=text, version=judged)
    stream = source.open_blob(d["digest"])
    if stream is None:
        return sub, None
    with stream:
        return sub, _scan_stream(version, limits, sub, stream, d, where, None)


def _scan_stream(version: str, limits: Limits, report: Report, stream: BinaryIO, d: dict,
                 where: str, lower: set[int] | None) -> LayerScan:
    """Hash (and, for a layer media type, scan) one layer blob into ``report``."""
    digest, mt = d["digest"], media_type(d)
    if mt in LAYER_TYPES:
        return scan_layer(report, stream, digest.partition(":")[0], mt,
                          f"{where} ({file_of(digest)})", version, lower, limits, d["size"],
                          ahead=d["size"] >= AHEAD_MIN_BYTES)
    got_hex, size = hash_stream(stream, digest)
    return LayerScan(digest_hex=got_hex, size=size)


def _scan(walk: Walk, d: dict, where: str, lower: set[int],
          ahead: LayerScans) -> LayerScan | None:
    digest = d["digest"]
    if digest in walk.layers:
        return walk.layers[digest]
    problem = walk.source.blob_problem(digest)
    if problem:
        walk.report.fail(walk.digest_clause, problem, where)
        return None
    sub, scan = ahead.take(digest) or (None, None)
    if sub is not None and scan is not None:
        walk.report.merge(sub)
        settle_links(walk.report, scan.links, lower)
        scan.links = []
    else:
        stream = walk.source.open_blob(digest)
        if stream is None:
            if d.get("urls") and not walk.missing_allowed:
                walk.report.note(walk.missing_clause,
                                 f"layer {digest} is not here; it names urls", where)
            else:
                _missing(walk, walk.report, digest, where)
            return None
        with stream:
            scan = _scan_stream(walk.version, walk.limits, walk.report, stream, d, where,
                                lower)
    walk.reached.add(digest)
    walk.stats["blobs"] += 1
    walk.stats["layers"] += 1
    walk.stats["bytes"] += scan.size
    judge_blob(walk.report, digest, d["size"], scan.digest_hex, scan.size, where,
               walk.digest_clause)
    walk.layers[digest] = scan
    return scan


def _walk_opaque(walk: Walk, d: dict, where: str) -> None:
    digest = d["digest"]
    problem = walk.source.blob_problem(digest)
    if problem:
        walk.report.fail(walk.digest_clause, problem, where)
        return
    stream = walk.source.open_blob(digest)
    if stream is None:
        _missing(walk, walk.report, digest, where)
        return
    walk.reached.add(digest)
    with stream:
        got_hex, size = hash_stream(stream, digest)
    walk.stats["blobs"] += 1
    walk.stats["bytes"] += size
    judge_blob(walk.report, digest, d["size"], got_hex, size, where, walk.digest_clause)


__all__ = ["Walk", "walk_descriptor", "load_document", "file_of", "pointer"]
