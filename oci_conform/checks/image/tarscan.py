"""Tar entries of a forward-only stream, the common headers parsed in a tight loop.

The layer checks read only a few fields of each entry (name, type, link target, device
numbers, sparse or not). ``tarfile`` builds a full ``TarInfo`` per header, which costs
more than decompressing and hashing the layer. ``members`` parses the plain header forms
(ustar/GNU/v7 headers of the basic types, each optionally preceded by one pax extended
header or GNU long name/link records) itself, with the same field rules and the same
errors as ``tarfile``, and hands the rest of the stream to ``tarfile`` at the first header
it does not take (global pax headers, sparse files, base-256 numbers, a bad checksum, the
end of the archive): odd archives are read exactly as before, common ones much faster.
"""
from __future__ import annotations

import re
import tarfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol
from zlib import adler32

BLOCK = 512
SIMPLE = frozenset(b"01234567\0")         # regular, link, symlink, char, block, dir, fifo, contig
REGULAR = frozenset(b"07\0")              # types whose data follows the header
LONG = frozenset(b"LK")                   # GNU long name / long link records
MAX_EXTRA = 64 * 1024                     # pax / long-name data parsed here at most (else tarfile)
ENCODING, ERRORS = "utf-8", "surrogateescape"


class NotTar(Exception):
    """The stream does not start with a tar header (tarfile's message)."""


class Rewindable(Protocol):
    def read(self, n: int = -1) -> bytes: ...
    def tell(self) -> int: ...
    def seek(self, pos: int, whence: int = 0) -> int: ...
    def unread(self, data: bytes) -> None: ...
    def next_chunk(self) -> bytes: ...


@dataclass(slots=True)
class Entry:
    """The fields of a tar entry the layer checks read (a ``TarInfo`` answers the same)."""

    name: str
    type: int
    linkname: str
    devmajor: int
    devminor: int

    def islnk(self) -> bool:
        return self.type == 0x31

    def ischr(self) -> bool:
        return self.type == 0x33

    def isblk(self) -> bool:
        return self.type == 0x34

    def issparse(self) -> bool:
        return False


@dataclass(slots=True)
class _Header:
    """The fields of one tar member the layer checks read."""

    name: str
    type: int
    linkname: str
    size: int
    devmajor: int
    devminor: int


_NUMBERS: dict[bytes, int | None] = {}     # field bytes -> value (modes, ids repeat a lot)


def _number(field: bytes) -> int | None:
    """An octal header number as tarfile reads it; None for base-256 or a bad field."""
    known = _NUMBERS.get(field, _NUMBERS)
    if known is not _NUMBERS:
        return known  # type: ignore[return-value]
    if field[0] in (0o200, 0o377):
        value = None
    else:
        end = field.find(b"\0")
        try:
            value = int((field if end < 0 else field[:end]).decode("ascii").strip() or "0", 8)
        except ValueError:
            value = None
    if len(_NUMBERS) > 4096:
        _NUMBERS.clear()
    _NUMBERS[field] = value
    return value


def _text(field: bytes) -> str:
    end = field.find(b"\0")
    return (field if end < 0 else field[:end]).decode(ENCODING, ERRORS)


def _byte_sum(block: bytes) -> int:
    """The sum of the 512 bytes, from Adler-32 of each half (exact: a half sums to at most
    65,280, below Adler's modulus), several times faster than ``sum``."""
    return (adler32(block[:256]) & 0xFFFF) + (adler32(block[256:]) & 0xFFFF) - 2


# The numeric fields of a header (mode, uid, gid, size, mtime, checksum: bytes 100-156;
# device major and minor: 329-345) as shapes: octal digits become "0", space and NUL stay,
# any other byte becomes "x". Headers of one archive share a few shapes, and a shape alone
# says whether tarfile reads every field and where each value's digits are.
_SHAPE = bytes(0x30 if 0x30 <= b <= 0x37 else b if b in (0x20, 0) else 0x78 for b in range(256))
_FIELDS = ((0, 8), (8, 16), (16, 24), (24, 36), (36, 48), (48, 56), (56, 64), (64, 72))
_SIZE, _SUM, _MAJOR, _MINOR = 3, 5, 6, 7
Spans = tuple[tuple[int, int], ...]
_SHAPES: dict[bytes, Spans | None | bool] = {}   # shape -> digit spans; None: tarfile judges
                                                   # (a bad field); False: no fast answer


def _spans(shape: bytes) -> Spans | None | bool:
    """Where the digits of size, checksum, devmajor and devminor are in a header of this
    shape (block offsets), as tarfile reads each field: up to its first NUL, stripped of
    spaces, in octal. None when a field is not a number; False when a byte that is neither
    a digit, a space nor a NUL comes before a field's end (signs, base-256: the
    field-by-field reading)."""
    spans = []
    for start, end in _FIELDS:
        field = shape[start:end]
        cut = field.find(b"\0")
        text = field if cut < 0 else field[:cut]
        if b"x" in text:
            return False
        digits = text.strip(b" ")
        if b" " in digits:
            return None
        first = start + len(text) - len(text.lstrip(b" "))
        spans.append((first, first + len(digits)))
    # as offsets into the header block (the shape's first 56 bytes are 100-156, the rest
    # 329-345), for the four values the scan reads
    return tuple((spans[n][0] + shift, spans[n][1] + shift)
                 for n, shift in ((_SIZE, 100), (_SUM, 100), (_MAJOR, 273), (_MINOR, 273)))


def _fast_numbers(block: bytes) -> tuple[int, int, int, int] | None | bool:
    """(size, checksum, devmajor, devminor) of a header through its shape; None when a field
    is not a number, False when only the field-by-field reading can tell."""
    shape = block[100:156].translate(_SHAPE) + block[329:345].translate(_SHAPE)
    spans = _SHAPES.get(shape, False)
    if spans is False and shape not in _SHAPES:
        spans = _spans(shape)
        if len(_SHAPES) > 4096:
            _SHAPES.clear()
        _SHAPES[shape] = spans
    if spans is None or spans is False:
        return spans
    assert isinstance(spans, tuple)
    (sa, sb), (ca, cb), (ma, mb), (na, nb) = spans    # block offsets of the four values
    return (int(block[sa:sb], 8) if sb > sa else 0, int(block[ca:cb], 8) if cb > ca else 0,
            int(block[ma:mb], 8) if mb > ma else 0, int(block[na:nb], 8) if nb > na else 0)


def _slow_numbers(block: bytes) -> tuple[int, int, int, int] | None:
    """The same, field by field with ``_number``."""
    stored, size = _number(block[148:156]), _number(block[124:136])
    major, minor = _number(block[329:337]), _number(block[337:345])
    if (stored is None or size is None or major is None or minor is None
            or _number(block[100:108]) is None or _number(block[108:116]) is None
            or _number(block[116:124]) is None or _number(block[136:148]) is None):
        return None
    return size, stored, major, minor


def _header(block: bytes) -> _Header | None:
    """A basic, pax or long-name header block; None for anything tarfile must judge."""
    if len(block) != BLOCK:
        return None
    kind = block[156]
    if kind not in SIMPLE and kind != 0x78 and kind not in LONG:
        return None
    numbers = _fast_numbers(block)
    if numbers is False:
        numbers = _slow_numbers(block)
    if not isinstance(numbers, tuple):
        return None
    size, stored, major, minor = numbers
    if stored != 256 + _byte_sum(block) - sum(block[148:156]):
        return None
    if kind == 0x78 or kind in LONG:
        return _Header("", kind, "", size, major, minor)   # only the size of these is read
    name = _text(block[0:100])
    if kind == 0 and name.endswith("/"):
        kind = 0x35
    if kind == 0x35:
        name = name.rstrip("/")
    prefix = _text(block[345:500]) if block[345] else ""
    if prefix:
        name = prefix + "/" + name
    if kind == 0x35:
        name = name.rstrip("/")
    link = _text(block[157:257]) if block[157] else ""
    return _Header(name, kind, link, size, major, minor)


def _padded(size: int) -> int:
    return (size + BLOCK - 1) // BLOCK * BLOCK


# The most common pax header of all: one time record (what Python's tarfile and many image
# builders write for sub-second times), which changes nothing the checks read.
_ONE_TIME = re.compile(rb"(\d{1,19}) [acm]time=[0-9.]{1,40}\n")


def _pax(data: bytes) -> dict[str, str] | None:
    """Records of a pax extended header; None when tarfile must read them."""
    one = _ONE_TIME.match(data)
    if one is not None and int(one[1]) == one.end() and (one.end() == len(data)
                                                         or data[one.end()] == 0):
        return {}
    if b"hdrcharset=" in data:
        return None
    records: dict[str, str] = {}
    at, end = 0, len(data)
    while at < end and data[at] != 0:
        space = data.find(b" ", at, at + 21)
        if space < 0 or not data[at:space].isdigit():
            return None
        length = int(data[at:space])
        stop = at + length
        equals = data.find(b"=", space + 1, stop)
        if length <= 0 or stop > end or equals <= space + 1 or data[stop - 1] != 0x0a:
            return None
        key = data[space + 1:equals].decode(ENCODING, ERRORS)
        if key.startswith("GNU.sparse"):
            return None
        records[key] = data[equals + 1:stop - 1].decode(ENCODING, ERRORS)
        at = stop
    return records


def _pax_number(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        return 0


class _Window:
    """The decompressed bytes from the start of the entry being parsed, a chunk at a time:
    headers are sliced out of it and file data is skipped by arithmetic, never copied."""

    def __init__(self, stream: Rewindable):
        self.stream = stream
        self.buf = b""
        self.pos = 0

    def have(self, n: int) -> bool:
        """True when ``n`` bytes from ``pos`` are in ``buf`` (False: the stream ends)."""
        while len(self.buf) - self.pos < n:
            more = self.stream.next_chunk()
            if not more:
                return False
            self.buf = more if self.pos >= len(self.buf) else self.buf[self.pos:] + more
            self.pos = 0
        return True

    def take(self, at: int, n: int) -> bytes:
        """``n`` bytes at ``at`` past ``pos`` (fewer at the end of the stream)."""
        start = self.pos + at
        if len(self.buf) < start + n:          # not all here yet: read more first
            self.have(at + n)
            start = self.pos + at
        return self.buf[start:start + n]

    def skip(self, n: int) -> None:
        """Move ``pos`` on by ``n``; tarfile's error when the stream ends before that."""
        self.pos += n
        while self.pos > len(self.buf):
            over = self.pos - len(self.buf)
            self.buf, self.pos = self.stream.next_chunk(), 0
            if not self.buf:
                raise tarfile.ReadError("unexpected end of data")
            self.pos = over

    def give_back(self) -> None:
        """Return what was not parsed to the stream, which then stands at ``pos``."""
        self.stream.unread(self.buf[self.pos:])
        self.buf, self.pos = b"", 0


def _entry(win: _Window) -> tuple[Entry, int, int] | None:
    """(entry, length of its headers, length of its data) at ``win.pos``; None when
    tarfile must read it."""
    head = _header(win.take(0, BLOCK))
    if head is None:
        return None
    at = BLOCK
    pax: dict[str, str] | None = None
    long_name = long_link = None
    while head.type == 0x78 or head.type in LONG:
        if head.size > MAX_EXTRA or pax is not None or long_name is not None \
                or long_link is not None:
            return None                    # nested or large records: tarfile's reading
        data = win.take(at, _padded(head.size))
        if len(data) != _padded(head.size):
            return None
        at += len(data)
        if head.type == 0x78:
            pax = _pax(data)
            if pax is None:
                return None
        elif head.type == 0x4c:
            long_name = _text(data)
        else:
            long_link = _text(data)
        head = _header(win.take(at, BLOCK))
        if head is None or head.type == 0x78 or head.type in LONG:
            return None
        at += BLOCK
    name, link, size = head.name, head.linkname, head.size
    if long_name is not None:
        name = long_name.removesuffix("/") if head.type == 0x35 else long_name
    if long_link is not None:
        link = long_link
    if pax is not None:
        for key, value in pax.items():
            if key == "path":
                name = value.rstrip("/")
            elif key == "linkpath":
                link = value
            elif key == "size":
                size = _pax_number(value)
    skip = _padded(size) if head.type in REGULAR else 0
    return Entry(name, head.type, link, head.devmajor, head.devminor), at, skip


def _simple(stream: Rewindable) -> Iterator[Entry]:
    """Entries while the headers are simple; stops with the stream at the first header
    tarfile must read (the data of the last entry skipped, as tarfile would)."""
    win = _Window(stream)
    skip = 0
    while True:
        win.skip(skip)
        got = _entry(win)
        if got is None:
            win.give_back()
            return
        entry, headers, skip = got
        win.skip(headers)
        yield entry


def members(stream: Rewindable) -> Iterator[Entry | tarfile.TarInfo]:
    """Every entry of the tar in ``stream``. Raises ``NotTar`` when the first header is not
    tar, ``tarfile.ReadError`` when the stream breaks later (as iterating tarfile does)."""
    yield from _simple(stream)
    first = stream.tell() == 0
    try:
        tf = tarfile.open(fileobj=stream, mode="r:", encoding=ENCODING,  # type: ignore[call-overload]
                          errors=ERRORS)
    except tarfile.ReadError as exc:
        if first:
            raise NotTar(str(exc)) from None
        raise
    for member in tf:
        yield member
        tf.members = []            # stream mode keeps members: drop them (bounded memory)
