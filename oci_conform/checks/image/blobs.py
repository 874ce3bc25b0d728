"""Reading a blob through a descriptor: bounded JSON reads and streamed digest/size checks."""
from __future__ import annotations

from dataclasses import dataclass
from typing import BinaryIO

from oci_conform.checks.image.jsondoc import MAX_DOCUMENT
from oci_conform.checks.image.report import Report
from oci_conform.checks.image.streams import CHUNK, BlobReader


@dataclass
class Verdict:
    """Whether a blob's bytes match its descriptor's digest and size."""

    digest_ok: bool | None    # None: could not be judged (unknown algorithm)
    size_ok: bool


def judge_blob(report: Report, digest: str, declared: int, got_hex: str | None, got_size: int,
               where: str, digest_clause: str) -> Verdict:
    """Record the digest and size verdicts of a blob that has been read."""
    alg, _, enc = digest.partition(":")
    size_ok = report.check("image.descriptor.properties.5", got_size == declared,
                           "blob size differs from the descriptor's size", where,
                           str(declared), str(got_size))
    if got_hex is None:
        report.error(digest_clause, f"cannot verify {alg} digests on this host", where)
        return Verdict(None, size_ok)
    ok = report.check(digest_clause, got_hex == enc.lower(),
                      "blob content does not hash to its digest", where, digest,
                      f"{alg}:{got_hex}")
    return Verdict(ok, size_ok)


def read_document(stream: BinaryIO, digest: str) -> tuple[bytes, str | None, int, bool]:
    """(bytes up to the JSON limit, hex digest of all bytes, total size, truncated?)."""
    reader = BlobReader(stream, digest.partition(":")[0])
    kept = bytearray()
    truncated = False
    while True:
        data = reader.read(CHUNK)
        if not data:
            break
        if len(kept) < MAX_DOCUMENT + 1:
            kept += data[: MAX_DOCUMENT + 1 - len(kept)]
        else:
            truncated = True
    return bytes(kept), reader.hexdigest(), reader.size, truncated or len(kept) > MAX_DOCUMENT


def hash_stream(stream: BinaryIO, digest: str, background: bool = True
                ) -> tuple[str | None, int]:
    reader = BlobReader(stream, digest.partition(":")[0], background)
    reader.drain()
    return reader.hexdigest(), reader.size
