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
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_SCALAR = re.compile(r"[^,\]\}\s]+")


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def _decode_key(raw: str) -> str:
    import json
    try:
        return str(json.loads(raw))
    except ValueError:
        return raw[1:-1]


class _Scanner:
    def __init__(self, text: str):
        self.text = text
        self.pos = 0

    def skip_ws(self) -> None:
        m = _WS.match(self.text, self.pos)
        self.pos = m.end() if m else self.pos

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def string(self) -> str:
        m = _STRING.match(self.text, self.pos)
        if not m:
            raise ValueError("bad string")
        self.pos = m.end()
        return m.group(0)

    def scalar(self) -> None:
        if self.peek() == '"':
            self.string()
            return
        m = _SCALAR.match(self.text, self.pos)
        if not m:
            raise ValueError("bad value")
        self.pos = m.end()


def _walk(text: str, target: str | None) -> dict[str, int]:
    """Pointer -> offset of each value (stops early when ``target`` is found)."""
    s = _Scanner(text)
    found: dict[str, int] = {}
    # Stack of (pointer, kind, next index) for open containers.
    stack: list[list] = []
    pointer = ""
    s.skip_ws()
    while True:
        s.skip_ws()
        found.setdefault(pointer, s.pos)
        if target is not None and pointer == target:
            return found
        ch = s.peek()
        if ch and ch in "[{":
            s.pos += 1
            stack.append([pointer, ch, 0])
        else:
            s.scalar()
        # Close containers and find the next value's pointer.
        while True:
            if not stack:
                return found
            s.skip_ws()
            frame = stack[-1]
            ch = s.peek()
            if ch and ch in "]}":
                s.pos += 1
                stack.pop()
                continue
            if frame[2] > 0:
                if ch != ",":
                    raise ValueError("expected ,")
                s.pos += 1
                s.skip_ws()
            if frame[1] == "[":
                pointer = f"{frame[0]}/{frame[2]}"
            else:
                key = _decode_key(s.string())
                s.skip_ws()
                if s.peek() != ":":
                    raise ValueError("expected :")
                s.pos += 1
                pointer = f"{frame[0]}/{_escape(key)}"
            frame[2] += 1
            break


class PositionIndex:
    """Every pointer's (line, column) in one JSON text, from one pass made on first use.

    Build one per document and ask it for every finding: each lookup is a dict access plus a
    binary search over line starts, so positions for N findings cost O(size + N log lines),
    not O(size x N). A text that does not scan as JSON gives no positions.
    """

    __slots__ = ("text", "_offsets", "_line_starts")

    def __init__(self, text: str):
        self.text = text
        self._offsets: dict[str, int] | None = None
        self._line_starts: list[int] = []

    def _ensure(self) -> dict[str, int]:
        if self._offsets is None:
            try:
                self._offsets = _walk(self.text, None)
            except (ValueError, IndexError):
                self._offsets = {}
            starts = [0]
            find = self.text.find
            at = find("\n")
            while at >= 0:
                starts.append(at + 1)
                at = find("\n", at + 1)
            self._line_starts = starts
        return self._offsets

    def position(self, pointer: str) -> tuple[int, int] | None:
        """(line, column) of the value at ``pointer``; None when absent (first duplicate wins)."""
        offset = self._ensure().get(pointer)
        if offset is None:
            return None
        line = bisect_right(self._line_starts, offset)
        return line, offset - self._line_starts[line - 1] + 1

    def pointers(self) -> list[str]:
        """Every pointer the text holds, in document order."""
        return list(self._ensure())

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
