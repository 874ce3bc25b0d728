"""Readers that hash and decompress a blob as it streams by, in bounded memory.

``BlobReader`` hashes the raw bytes (and counts them); ``Decompressed`` turns the
raw reader into uncompressed bytes (gzip with zlib, zstd through the ``zstd``
binary, or none), hashes those for the DiffID and stops with ``TooBig`` once a
cap is passed. Nothing here holds more than a chunk or two in memory.
"""
from __future__ import annotations

import hashlib
import queue
import shutil
import subprocess
import threading
import weakref
import zlib
from typing import Any, BinaryIO, Protocol

CHUNK = 1024 * 1024
GZIP_MAGIC = b"\x1f\x8b"
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"


class TooBig(Exception):
    """The uncompressed stream passed its cap (a decompression bomb, or a cap set too low)."""


class CorruptStream(Exception):
    """The compressed stream is damaged or truncated."""


class Unsupported(Exception):
    """This host cannot decode the stream (a missing program): the harness cannot judge."""


class Readable(Protocol):
    def read(self, n: int = -1) -> bytes: ...


class AsyncHash:
    """A hash updated on one helper thread, fed through a short queue (order kept).

    hashlib drops the GIL for large buffers, so hashing overlaps with decompression and
    tar parsing on the calling thread. The helper starts at the first large chunk and ends
    at ``hexdigest`` (or when this object is dropped): one thread per hash, not per chunk."""

    def __init__(self, algorithm: str):
        self.inner = hashlib.new(algorithm)
        self._queue: queue.Queue[bytes | None] | None = None
        self._thread: threading.Thread | None = None
        self._final: weakref.finalize | None = None

    def update(self, data: bytes) -> None:
        if self._queue is None:
            if len(data) < 64 * 1024:
                self.inner.update(data)
                return
            self._queue = queue.Queue(maxsize=2)
            self._thread = threading.Thread(target=_hash_loop, args=(self.inner, self._queue),
                                            daemon=True, name="hash")
            self._thread.start()
            self._final = weakref.finalize(self, self._queue.put, None)
        self._queue.put(data)

    def _wait(self) -> None:
        if self._queue is not None and self._thread is not None:
            if self._final is not None:
                self._final.detach()
            self._queue.put(None)
            self._thread.join()
            self._queue = self._thread = self._final = None

    def hexdigest(self) -> str:
        self._wait()
        return self.inner.hexdigest()


def _hash_loop(inner: Any, chunks: queue.Queue[bytes | None]) -> None:
    while (data := chunks.get()) is not None:
        inner.update(data)


class Hash(Protocol):
    def update(self, data: bytes, /) -> None: ...
    def hexdigest(self) -> str: ...


def _hasher(algorithm: str, background: bool) -> Hash:
    """A hash of ``algorithm`` (ValueError when unknown), on a helper thread or inline."""
    return AsyncHash(algorithm) if background else hashlib.new(algorithm)


def new_hash(algorithm: str, background: bool = True) -> Hash | None:
    try:
        return _hasher(algorithm, background)
    except ValueError:
        return None


class BlobReader:
    """Raw bytes of a blob, hashed with ``algorithm`` as they are read (on a helper thread
    with ``background``; inline when the caller already runs blobs side by side)."""

    def __init__(self, raw: BinaryIO, algorithm: str = "sha256", background: bool = True):
        self.raw = raw
        self.hash = new_hash(algorithm, background)
        self.size = 0
        self._pending = b""

    def peek(self, n: int) -> bytes:
        while len(self._pending) < n:
            more = self.raw.read(max(n - len(self._pending), CHUNK))
            if not more:
                break
            self._pending += more
        return self._pending[:n]

    def read(self, n: int = -1) -> bytes:
        if self._pending:
            data, self._pending = self._pending, b""
        else:
            data = self.raw.read(CHUNK if n is None or n < 0 else max(n, 1))
        if data:
            self.size += len(data)
            if self.hash is not None:
                self.hash.update(data)
        return data

    def drain(self) -> None:
        while self.read(CHUNK):
            pass

    def hexdigest(self) -> str | None:
        return self.hash.hexdigest() if self.hash is not None else None


def sniff(head: bytes) -> str:
    """'gzip', 'zstd', 'tar' or 'unknown' from the first bytes of a blob."""
    if head.startswith(GZIP_MAGIC):
        return "gzip"
    if head.startswith(ZSTD_MAGIC):
        return "zstd"
    if head.startswith(b"BZh"):
        return "bzip2"
    if head.startswith(b"\xfd7zXZ\x00"):
        return "xz"
    if len(head) >= 262 and head[257:262] == b"ustar":
        return "tar"
    if len(head) >= 512 and not any(head[:512]):
        return "tar"           # an empty tar is only zero blocks
    return "unknown"


class _Gzip:
    def __init__(self, src: Readable):
        self.src = src
        self.obj = zlib.decompressobj(16 + zlib.MAX_WBITS)
        self.tail = b""
        self.done = False

    def read(self, n: int) -> bytes:
        while not self.done:
            if self.tail:
                data, self.tail = self.tail, b""
            else:
                data = self.src.read(CHUNK)
                if not data:
                    if not self.obj.eof:
                        raise CorruptStream("gzip stream ends before its end marker")
                    self.done = True
                    return b""
            try:
                out = self.obj.decompress(data, n)
            except zlib.error as exc:
                raise CorruptStream(f"gzip data is corrupt: {exc}") from None
            self.tail = self.obj.unconsumed_tail
            if self.obj.eof:
                rest = self.obj.unused_data + self.tail
                self.tail = b""
                if rest.strip(b"\x00"):
                    self.obj = zlib.decompressobj(16 + zlib.MAX_WBITS)   # another member
                    self.tail = rest
            if out:
                return out
        return b""


class _Zstd:
    """zstd decompression through the zstd binary: we feed it from a thread, read its stdout."""

    def __init__(self, src: Readable):
        exe = shutil.which("zstd")
        if not exe:
            raise Unsupported("zstd layer: the zstd program is not installed (apt-get install "
                              "zstd)")
        self.proc = subprocess.Popen([exe, "-d", "-c", "-q"], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.src = src
        self.feed_error: BaseException | None = None
        self.thread = threading.Thread(target=self._feed, daemon=True)
        self.thread.start()
        self.done = False

    def _feed(self) -> None:
        assert self.proc.stdin is not None
        try:
            while True:
                data = self.src.read(CHUNK)
                if not data:
                    break
                self.proc.stdin.write(data)
        except (BrokenPipeError, OSError):
            pass
        except BaseException as exc:  # noqa: BLE001 - handed to the reading side
            self.feed_error = exc
        finally:
            try:
                self.proc.stdin.close()
            except OSError:
                pass

    def read(self, n: int) -> bytes:
        if self.done:
            return b""
        assert self.proc.stdout is not None
        out = self.proc.stdout.read1(n) if hasattr(self.proc.stdout, "read1") else \
            self.proc.stdout.read(n)
        if out:
            return out
        self.done = True
        self.thread.join()
        err = self.proc.stderr.read(2000).decode(errors="replace") if self.proc.stderr else ""
        code = self.proc.wait()
        if self.feed_error:
            raise self.feed_error
        if code != 0:
            raise CorruptStream(f"zstd data is corrupt: {err.strip() or 'exit ' + str(code)}")
        return b""

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        self.thread.join(timeout=5)
        for f in (self.proc.stdout, self.proc.stderr):
            if f:
                f.close()


class _Incremental:
    """bzip2 or xz through the standard library's incremental decompressors."""

    def __init__(self, src: Readable, kind: str):
        import bz2
        import lzma
        self.src = src
        self.make = bz2.BZ2Decompressor if kind == "bzip2" else lzma.LZMADecompressor
        self.errors = lzma.LZMAError     # not an OSError: named so it is caught
        self.obj = self.make()
        self.kind = kind

    def read(self, n: int) -> bytes:
        while True:
            if self.obj.eof:
                rest = self.obj.unused_data
                if not rest:
                    rest = self.src.read(CHUNK)
                if not rest:
                    return b""
                self.obj = self.make()
                data = rest
            elif self.obj.needs_input:
                data = self.src.read(CHUNK)
                if not data:
                    raise CorruptStream(f"{self.kind} stream ends before its end marker")
            else:
                data = b""
            try:
                out = self.obj.decompress(data, n)
            except (OSError, EOFError, ValueError, self.errors) as exc:
                raise CorruptStream(f"{self.kind} data is corrupt: {exc}") from None
            if out:
                return out


class _Plain:
    def __init__(self, src: Readable):
        self.src = src

    def read(self, n: int) -> bytes:
        return self.src.read(n)


def human_bytes(n: int) -> str:
    """``n`` bytes as the largest binary unit it is a whole multiple of (16 GiB, 1536 KiB)."""
    for unit, shift in (("TiB", 40), ("GiB", 30), ("MiB", 20), ("KiB", 10)):
        if n >= 1 << shift and n % (1 << shift) == 0:
            return f"{n >> shift} {unit}"
    return f"{n} bytes"


class Decompressed:
    """The uncompressed bytes of ``src`` (a BlobReader), hashed with sha256 for the DiffID."""

    def __init__(self, src: Readable, kind: str, cap: int, algorithm: str = "sha256",
                 hashed: bool = True, ratio: int = 0, floor: int = 0,
                 background: bool = True):
        self.inner: _Gzip | _Zstd | _Incremental | _Plain = (
            _Gzip(src) if kind == "gzip" else _Zstd(src) if kind == "zstd"
            else _Incremental(src, kind) if kind in ("bzip2", "xz") else _Plain(src))
        self.algorithm = algorithm
        self.hash = _hasher(algorithm, background) if hashed else None
        self.size = 0            # uncompressed bytes produced so far
        self.cap = cap           # absolute bound on the uncompressed bytes
        self.ratio = ratio       # bound on uncompressed / compressed bytes actually read ...
        self.floor = floor       # ... once past this many uncompressed bytes
        self.src = src
        self._buf = b""
        self._at = 0             # read position inside _buf
        self._eof = False

    def _fill(self) -> bool:
        """Pull the next chunk from the decompressor; False at the end."""
        if self._eof:
            return False
        data = self.inner.read(CHUNK)
        if not data:
            self._eof = True
            return False
        self.size += len(data)
        if self.size > self.cap:
            raise TooBig(f"uncompressed size passed the limit of {human_bytes(self.cap)} "
                         "(--max-layer-size)")
        if self.ratio and self.size > self.floor:
            read = int(getattr(self.src, "size", 0) or 0)
            if self.size > read * self.ratio:
                raise TooBig(f"{self.size} uncompressed bytes from {read} compressed bytes: "
                             f"over the ratio of {self.ratio} (--max-ratio) allowed past "
                             f"{human_bytes(self.floor)}")
        if self.hash is not None:
            self.hash.update(data)
        self._buf, self._at = data, 0
        return True

    def read(self, n: int = -1) -> bytes:
        """Exactly ``n`` bytes (fewer only at the end), as a file would give them."""
        if n is None or n < 0:
            n = CHUNK
        parts = []
        while n > 0:
            if self._at >= len(self._buf) and not self._fill():
                break
            take = self._buf[self._at:self._at + n] if (self._at or n < len(self._buf)) \
                else self._buf
            self._at += len(take)
            n -= len(take)
            parts.append(take)
        return parts[0] if len(parts) == 1 else b"".join(parts)

    def tell(self) -> int:
        return self.size - (len(self._buf) - self._at)

    def seek(self, pos: int, whence: int = 0) -> int:
        """Forward only: skipping data still decompresses and hashes it, without copies."""
        here = self.tell()
        if whence == 1:
            pos += here
        if whence == 2 or pos < here:
            raise OSError("this stream only seeks forward")
        skip = pos - here
        while skip > 0:
            if self._at >= len(self._buf) and not self._fill():
                break
            step = min(skip, len(self._buf) - self._at)
            self._at += step
            skip -= step
        return self.tell()

    def next_chunk(self) -> bytes:
        """The rest of the current chunk, or the next chunk (b"" at the end), as read."""
        if self._at >= len(self._buf) and not self._fill():
            return b""
        data = self._buf[self._at:] if self._at else self._buf
        self._at = len(self._buf)
        return data

    def unread(self, data: bytes) -> None:
        """Give back ``data`` just read, so the next read starts where it started."""
        if data:
            self._buf, self._at = data + self._buf[self._at:], 0

    def drain(self) -> None:
        self._at = len(self._buf)
        while self._fill():
            self._at = len(self._buf)

    def close(self) -> None:
        if isinstance(self.inner, _Zstd):
            self.inner.close()

    def diff_id(self) -> str | None:
        return f"{self.algorithm}:" + self.hash.hexdigest() if self.hash is not None else None


class Prefetched:
    """A ``Decompressed`` stream decompressed ahead on a helper thread, up to ``depth``
    chunks, while the caller parses what came before (the same reads, seeks and errors).

    zlib and hashlib let go of the GIL, so decompression and hashing overlap with the tar
    parsing of the calling thread, as ``gunzip | sha256`` overlap in a shell pipe."""

    def __init__(self, inner: Decompressed, depth: int = 4):
        self.inner = inner
        self._queue: queue.Queue[bytes | BaseException] = queue.Queue(maxsize=depth)
        self._stop = threading.Event()
        self._buf = b""
        self._at = 0
        self._taken = 0           # bytes of all chunks handed over so far
        self._eof = False
        self._thread = threading.Thread(target=self._produce, daemon=True,
                                        name="decompress-ahead")
        self._thread.start()

    def _produce(self) -> None:
        try:
            while not self._stop.is_set():
                data = self.inner.next_chunk()
                self._queue.put(data)
                if not data:
                    return
        except BaseException as exc:  # noqa: BLE001 - raised again on the reading side
            self._queue.put(exc)

    def next_chunk(self) -> bytes:
        """The rest of the current chunk, or the next chunk (b"" at the end), as read."""
        if self._at < len(self._buf):
            data = self._buf[self._at:] if self._at else self._buf
            self._at = len(self._buf)
            return data
        if self._eof:
            return b""
        item = self._queue.get()
        if isinstance(item, BaseException):
            self._eof = True
            raise item
        if not item:
            self._eof = True
            return b""
        self._taken += len(item)
        self._buf, self._at = item, len(item)
        return item

    def unread(self, data: bytes) -> None:
        if data:
            self._buf, self._at = data + self._buf[self._at:], 0

    def tell(self) -> int:
        return self._taken - (len(self._buf) - self._at)

    def read(self, n: int = -1) -> bytes:
        """Exactly ``n`` bytes (fewer only at the end), as a file would give them."""
        if n is None or n < 0:
            n = CHUNK
        parts = []
        while n > 0:
            if self._at >= len(self._buf):
                if not self.next_chunk():
                    break
                self._at = 0
            take = self._buf[self._at:self._at + n]
            self._at += len(take)
            n -= len(take)
            parts.append(take)
        return parts[0] if len(parts) == 1 else b"".join(parts)

    def seek(self, pos: int, whence: int = 0) -> int:
        """Forward only, without copies."""
        here = self.tell()
        if whence == 1:
            pos += here
        if whence == 2 or pos < here:
            raise OSError("this stream only seeks forward")
        skip = pos - here
        while skip > 0:
            if self._at >= len(self._buf):
                if not self.next_chunk():
                    break
                self._at = 0
            step = min(skip, len(self._buf) - self._at)
            self._at += step
            skip -= step
        return self.tell()

    def drain(self) -> None:
        while self.next_chunk():
            pass

    def close(self) -> None:
        """Stop the helper (it may be blocked on a full queue) and close the inner stream."""
        self._stop.set()
        while self._thread.is_alive():
            try:                                   # free a producer blocked on a full queue
                while True:
                    self._queue.get_nowait()
            except queue.Empty:
                pass
            self._thread.join(timeout=0.05)
        self.inner.close()

    def diff_id(self) -> str | None:
        return self.inner.diff_id()
