"""``tarscan.members`` reads every archive exactly as iterating ``tarfile`` does.

The fast header loop must give the same entries (every field the layer checks read) and
end the same way (same error, same message, after the same entry) as ``tarfile`` on our
forward-only stream, for well-formed archives of every format and for damaged ones: the
archives are made with ``tarfile`` in GNU, pax and ustar formats, then bytes are changed and
the stream cut at random places; the stream is fed in small pieces so headers straddle the
chunk boundaries.
"""
from __future__ import annotations

import io
import random
import tarfile

import pytest

from oci_conform.checks.image.streams import BlobReader, CorruptStream, Decompressed, Prefetched
from oci_conform.checks.image.tarscan import NotTar, members


class Dribble(io.RawIOBase):
    """Bytes handed out ``step`` at a time (chunk boundaries fall inside headers)."""

    def __init__(self, data: bytes, step: int):
        self.data, self.at, self.step = data, 0, step

    def readable(self) -> bool:
        return True

    def read(self, n: int = -1) -> bytes:
        n = self.step if n is None or n < 0 else min(n, self.step)
        out = self.data[self.at:self.at + n]
        self.at += len(out)
        return out


def _stream(data: bytes, step: int) -> Decompressed:
    return Decompressed(BlobReader(Dribble(data, step)), "none", cap=1 << 40)  # type: ignore[arg-type]


def _view(m) -> tuple:
    return (m.name, m.islnk(), m.linkname, m.ischr(), m.isblk(), m.devmajor, m.devminor,
            m.issparse())


def _ending(exc: BaseException | None) -> tuple[str, str] | None:
    return None if exc is None else (type(exc).__name__, str(exc))


def reference(data: bytes, step: int) -> tuple[list, tuple | None, int]:
    """What the layer scan saw before: tarfile over the same stream."""
    plain, seen = _stream(data, step), []
    try:
        tf = tarfile.open(fileobj=plain, mode="r:", encoding="utf-8",  # type: ignore[call-overload]
                          errors="surrogateescape")
    except tarfile.ReadError as exc:
        return seen, ("NotTar", str(exc)), plain.tell()
    try:
        for m in tf:
            seen.append(_view(m))
            tf.members = []
    except Exception as exc:  # noqa: BLE001 - compared, whatever it is
        return seen, _ending(exc), -1
    return seen, None, -1


def fast(data: bytes, step: int, ahead: bool = False) -> tuple[list, tuple | None, int]:
    plain: Decompressed | Prefetched = _stream(data, step)
    seen: list = []
    if ahead:
        plain = Prefetched(plain, depth=2)
    try:
        for m in members(plain):
            seen.append(_view(m))
    except NotTar as exc:
        return seen, ("NotTar", str(exc)), plain.tell()
    except Exception as exc:  # noqa: BLE001 - compared, whatever it is
        return seen, _ending(exc), -1
    finally:
        plain.close()
    return seen, None, -1


def _archive(fmt: int, rng: random.Random) -> bytes:
    out = io.BytesIO()
    names = ["a", "dir/", "deep/" + "x" * 120 + "/file", "ü/ñ.txt", "p/" * 70 + "end",
             "sym", "hard", "dev", "fifo", "empty", "exact", "big"]
    with tarfile.open(fileobj=out, mode="w", format=fmt) as tar:
        for i in range(rng.randint(3, 14)):
            name = rng.choice(names) + (str(i) if rng.random() < 0.5 else "")
            info = tarfile.TarInfo(name)
            kind = rng.choice("frrdlhcbpx")
            body = b""
            if kind == "d":
                info.type = tarfile.DIRTYPE
            elif kind == "l":
                info.type, info.linkname = tarfile.SYMTYPE, rng.choice(names) * rng.randint(1, 9)
            elif kind == "h":
                info.type, info.linkname = tarfile.LNKTYPE, rng.choice(names)
            elif kind in "cb":
                info.type = tarfile.CHRTYPE if kind == "c" else tarfile.BLKTYPE
                info.devmajor, info.devminor = rng.randint(0, 300), rng.randint(0, 70000)
            elif kind == "p":
                info.type = tarfile.FIFOTYPE
            else:
                body = rng.randbytes(rng.choice([0, 1, 511, 512, 513, 3000]))
            if kind == "x" and fmt == tarfile.PAX_FORMAT:
                info.pax_headers = {"comment": "héllo", "SCHILY.xattr.user.k": "v" * 40}
            info.size = len(body)
            info.mtime = rng.choice([0, 1_700_000_000, 0o77777777777 + 5, 1_700_000_000.25])
            try:
                tar.addfile(info, io.BytesIO(body) if body else None)
            except ValueError:      # a name or number too long for this format: not written
                continue
    return out.getvalue()


def _mutate(data: bytes, rng: random.Random) -> bytes:
    buf = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        what = rng.random()
        at = rng.randrange(len(buf))
        if what < 0.5:
            block = at - at % 512
            at = block + rng.choice([0, 99, 100, 124, 130, 148, 150, 156, 157, 257, 329, 345,
                                     rng.randrange(512)])
            buf[min(at, len(buf) - 1)] = rng.choice([0, 0x20, 0x30, 0x37, 0x38, 0x78, 0x4C,
                                                    0x53, 0x67, 0x80, 0xFF, 0x2F, 0x5F])
        elif what < 0.8:
            del buf[at:]
            if not buf:
                break
        else:
            buf[at:at] = bytes(rng.choice([1, 511, 512]))
    return bytes(buf)


FORMATS = [tarfile.GNU_FORMAT, tarfile.PAX_FORMAT, tarfile.USTAR_FORMAT]


@pytest.mark.parametrize("fmt", FORMATS, ids=["gnu", "pax", "ustar"])
def test_well_formed_archives_read_the_same(fmt):
    rng = random.Random(fmt)
    for _ in range(60):
        data = _archive(fmt, rng)
        step = rng.choice([97, 512, 700, 1 << 20])
        want = reference(data, step)
        assert want[1] is None
        assert fast(data, step) == want
        assert fast(data, step, ahead=True) == want


@pytest.mark.parametrize("fmt", FORMATS, ids=["gnu", "pax", "ustar"])
def test_damaged_archives_end_the_same(fmt):
    rng = random.Random(100 + fmt)
    checked = 0
    for _ in range(400):
        data = _mutate(_archive(fmt, rng), rng)
        step = rng.choice([97, 512, 700, 1 << 20])
        want = reference(data, step)
        assert fast(data, step) == want, data[:64]
        assert fast(data, step, ahead=True) == want, data[:64]
        checked += 1
    assert checked > 200


def test_not_a_tar_and_empty_and_truncated():
    for data in (b"", b"hello" * 300, bytes(1024), bytes(100)):
        want = reference(data, 512)
        assert fast(data, 512) == want
    assert fast(b"hello" * 300, 512)[1][0] == "NotTar"


def test_decompressing_ahead_gives_the_same_bytes_errors_and_digest():
    import gzip
    import hashlib
    rng = random.Random(5)
    body = b"".join(rng.choice([b"abc" * 400, rng.randbytes(900)]) for _ in range(3000))
    packed = gzip.compress(body)

    def opened(data: bytes) -> Decompressed:
        return Decompressed(BlobReader(Dribble(data, 4096)), "gzip", cap=1 << 40)  # type: ignore[arg-type]
    ahead = Prefetched(opened(packed), depth=2)
    got, at = [], 0
    while True:
        n = rng.choice([1, 511, 512, 5000, 70000])
        if rng.random() < 0.3:
            at = ahead.seek(at + n)
            got.append(body[len(b"".join(got)):at])       # skipped bytes, taken as they are
            continue
        piece = ahead.read(n)
        if not piece:
            break
        got.append(piece)
        at += len(piece)
        assert ahead.tell() == at
    assert b"".join(got) == body
    assert ahead.diff_id() == "sha256:" + hashlib.sha256(body).hexdigest()
    ahead.close()
    broken = Prefetched(opened(packed[:len(packed) // 2]), depth=2)
    with pytest.raises(CorruptStream):
        broken.drain()
    broken.close()
    early = Prefetched(opened(packed), depth=1)        # left with a full queue: close frees it
    assert early.read(10) == body[:10]
    early.close()
    assert not early._thread.is_alive()


def test_async_hash_keeps_order_and_ends_its_thread():
    import gc
    import hashlib
    import threading

    from oci_conform.checks.image.streams import AsyncHash
    rng = random.Random(9)
    pieces = [rng.randbytes(rng.choice([10, 70_000, 1 << 20])) for _ in range(40)]
    h = AsyncHash("sha256")
    for piece in pieces:
        h.update(piece)
    assert h.hexdigest() == hashlib.sha256(b"".join(pieces)).hexdigest()
    before = threading.active_count()
    dropped = AsyncHash("sha256")
    dropped.update(bytes(1 << 20))             # starts its helper, never asked for the digest
    assert threading.active_count() == before + 1
    del dropped
    gc.collect()
    for _ in range(100):
        if threading.active_count() == before:
            break
        threading.Event().wait(0.02)
    assert threading.active_count() == before


NUMERIC = [(100, 108), (108, 116), (116, 124), (124, 136), (136, 148), (148, 156), (329, 337),
           (337, 345)]


def test_header_numbers_by_shape_match_the_field_by_field_reading():
    """The shape-cached reading of the numeric fields gives what ``_number`` gives field by
    field (values, or None for a field tarfile refuses) on fields of digits, spaces, NULs
    and other bytes in every arrangement; it only declines (False) when another byte comes
    before a field's end."""
    from oci_conform.checks.image.tarscan import _fast_numbers, _slow_numbers
    rng = random.Random(5)
    alphabet = b"0123456789  \0\0\0+_x\x80\xff\t"
    answered = refused = 0
    for _ in range(20_000):
        block = bytearray(rng.randbytes(512))
        for start, end in NUMERIC:
            style = rng.random()
            if style < 0.5:                  # the usual forms: digits, then NUL or space
                width = end - start - 1
                digits = "".join(rng.choice("01234567") for _ in range(rng.randint(0, width)))
                field = (" " * rng.randint(0, 1) + digits).rjust(width, rng.choice("0 "))
                field = field[:width].encode() + rng.choice([b"\0", b" "])
            else:
                field = bytes(rng.choice(alphabet) for _ in range(end - start))
            block[start:end] = field
        fast, slow = _fast_numbers(bytes(block)), _slow_numbers(bytes(block))
        if fast is not False:
            answered += 1
            refused += fast is None
            assert fast == slow, bytes(block)
    assert answered > 2_000 and refused > 100
