"""Where a JSON pointer's value starts in a JSON text: (line, column), both 1-based.

A small scanner that walks the text without building values, so it works on
pretty-printed and minified files alike and never recurses (deep nesting is safe).
The pointer of a key-related problem (e.g. a duplicate or unknown key) points at
the member's value; the column is counted in characters.
"""
from __future__ import annotations

import re
from bisect import bisect_right

_WS = re.compile(r"[ \t\r\n]*")
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_SCALAR = re.compile(r"[^,\]\}\s]+")


def _escape(token: str) -> str:
    if "~" not in token and "/" not in token:
        return token
    return token.replace("~", "~0").replace("/", "~1")


def _decode_key(raw: str) -> str:
    if "\\" not in raw:
        return raw[1:-1]
    import json
    try:
        return str(json.loads(raw))
    except ValueError:
        return raw[1:-1]


# An array holding only scalars, skipped whole by one regex match: its items' offsets are
# found when one of them is first asked for.
_SCALAR_ITEMS = re.compile(
    r'[ \t\r\n]*(?:(?:"[^"\\]*(?:\\.[^"\\]*)*"|[^,\[\]{}\s"]+)[ \t\r\n]*'
    r'(?:,[ \t\r\n]*|(?=\])))*\]', re.DOTALL)
Offsets = tuple[dict[str, int], dict[str, "list[int] | int"]]


def _walk(text: str) -> Offsets:
    """The offset of every value, in one pass without recursion.

    Members of objects (and containers) are keyed by their pointer; the scalar elements of an
    array are only appended to that array's offset list, so a document of a million small
    array items costs no million pointer strings, and an array of scalars only is skipped by
    one regex match (its start kept, its items found on first lookup). The first of duplicate
    keys wins."""
    ws, string, scalar, items = _WS.match, _STRING.match, _SCALAR.match, _SCALAR_ITEMS.match
    size = len(text)
    found: dict[str, int] = {}
    arrays: dict[str, list[int] | int] = {}
    stack: list[list] = []            # open containers: [pointer, kind, count, offsets]
    pointer = ""
    pos = ws(text, 0).end()
    found[pointer] = pos
    while True:                       # here: a value starts at pos, its pointer is recorded
        ch = text[pos] if pos < size else ""
        if ch == "[":
            run = items(text, pos + 1)
            if run is not None:           # only scalars: skip it, index its items on demand
                if pointer not in arrays:
                    arrays[pointer] = pos + 1
                pos = run.end()
            else:
                offsets: list[int] = [] if pointer in arrays else arrays.setdefault(pointer, [])
                stack.append([pointer, ch, 0, offsets])
                pos += 1
        elif ch == "{":
            stack.append([pointer, ch, 0, None])
            pos += 1
        else:
            m = string(text, pos) if ch == '"' else scalar(text, pos)
            if m is None:
                raise ValueError("bad value")
            pos = m.end()
        while True:                   # close containers, find the next value
            if not stack:
                return found, arrays
            pos = ws(text, pos).end()
            frame = stack[-1]
            ch = text[pos] if pos < size else ""
            if ch == "]" or ch == "}":
                pos += 1
                stack.pop()
                continue
            if frame[2] > 0:
                if ch != ",":
                    raise ValueError("expected ,")
                pos = ws(text, pos + 1).end()
            index = frame[2]
            frame[2] += 1
            if frame[1] == "[":
                frame[3].append(pos)
                ch = text[pos] if pos < size else ""
                if ch != "[" and ch != "{":           # a scalar item: no pointer string
                    m = string(text, pos) if ch == '"' else scalar(text, pos)
                    if m is None:
                        raise ValueError("bad value")
                    pos = m.end()
                    continue
                pointer = f"{frame[0]}/{index}"
            else:
                m = string(text, pos)
                if m is None:
                    raise ValueError("bad string")
                pos = ws(text, m.end()).end()
                if pos >= size or text[pos] != ":":
                    raise ValueError("expected :")
                pos = ws(text, pos + 1).end()
                pointer = f"{frame[0]}/{_escape(_decode_key(m.group(0)))}"
            if pointer not in found:
                found[pointer] = pos
            break


def _scalar_offsets(text: str, pos: int) -> list[int]:
    """Offsets of the items of an array of scalars whose first token is at or after ``pos``."""
    ws, string, scalar = _WS.match, _STRING.match, _SCALAR.match
    offsets: list[int] = []
    pos = ws(text, pos).end()
    while pos < len(text) and text[pos] != "]":
        offsets.append(pos)
        m = string(text, pos) if text[pos] == '"' else scalar(text, pos)
        if m is None:
            break
        pos = ws(text, m.end()).end()
        if pos < len(text) and text[pos] == ",":
            pos = ws(text, pos + 1).end()
    return offsets


class PositionIndex:
    """Every pointer's (line, column) in one JSON text, from one pass made on first use.

    Build one per document and ask it for every finding: each lookup is a dict access plus a
    binary search over line starts, so positions for N findings cost O(size + N log lines),
    not O(size x N). A text that does not scan as JSON gives no positions.
    """

    __slots__ = ("text", "_offsets", "_line_starts")

    def __init__(self, text: str):
        self.text = text
        self._offsets: Offsets | None = None
        self._line_starts: list[int] = []

    def _ensure(self) -> Offsets:
        if self._offsets is None:
            try:
                self._offsets = _walk(self.text)
            except (ValueError, IndexError):
                self._offsets = ({}, {})
            starts = [0]
            find = self.text.find
            at = find("\n")
            while at >= 0:
                starts.append(at + 1)
                at = find("\n", at + 1)
            self._line_starts = starts
        return self._offsets

    def _offset(self, pointer: str) -> int | None:
        found, arrays = self._ensure()
        offset = found.get(pointer)
        if offset is not None:
            return offset
        parent, _, last = pointer.rpartition("/")
        if parent not in arrays or not last.isdigit() or (last.startswith("0") and last != "0"):
            return None
        items = self._items(parent)
        index = int(last)
        return items[index] if index < len(items) else None

    def _items(self, parent: str) -> list[int]:
        """The item offsets of the array at ``parent`` (found now for a skipped one)."""
        arrays = self._ensure()[1]
        items = arrays[parent]
        if isinstance(items, int):
            items = arrays[parent] = _scalar_offsets(self.text, items)
        return items

    def position(self, pointer: str) -> tuple[int, int] | None:
        """(line, column) of the value at ``pointer``; None when absent (first duplicate wins)."""
        offset = self._offset(pointer)
        if offset is None:
            return None
        line = bisect_right(self._line_starts, offset)
        return line, offset - self._line_starts[line - 1] + 1

    def pointers(self) -> list[str]:
        """Every pointer the text holds."""
        found, arrays = self._ensure()
        items = (f"{parent}/{n}" for parent in list(arrays)
                 for n in range(len(self._items(parent))))
        return list(dict.fromkeys([*found, *items]))

    def nearest(self, pointer: str) -> tuple[int, int]:
        """The position of ``pointer`` or of its nearest present ancestor; (0, 0) if none.

        A missing member has no position: point at the object that should hold it."""
        here = pointer
        while True:
            found = self.position(here)
            if found:
                return found
            if not here:
                return 0, 0
            here = here.rpartition("/")[0]


_NEXT_TOKEN = re.compile(r'["\[\]{}]')
_STRING_REST = re.compile(r'[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)


def depth_exceeds(text: str, limit: int) -> int | None:
    """The offset where ``text`` first nests deeper than ``limit`` arrays/objects, else None.

    One linear pass (a string is skipped whole, an unterminated one ends the scan), so a
    100k-deep document is refused before a recursive parser ever sees it."""
    depth, pos = 0, 0
    while (m := _NEXT_TOKEN.search(text, pos)) is not None:
        char, pos = m.group(), m.end()
        if char == '"':
            rest = _STRING_REST.match(text, pos)
            if rest is None:
                return None
            pos = rest.end()
        elif char in "[{":
            depth += 1
            if depth > limit:
                return m.start()
        else:
            depth -= 1
    return None
