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


class _Nodes:
    """Every value of a JSON text as a node: its offset and its (parent, token) edge.

    Memory is linear in the text whatever the nesting (no pointer strings are built per
    node: a 100k-deep array would otherwise cost depth squared)."""

    __slots__ = ("offsets", "children")

    def __init__(self) -> None:
        self.offsets: list[int] = []
        self.children: dict[tuple[int, str], int] = {}

    def add(self, parent: int, token: str, offset: int) -> int:
        node = len(self.offsets)
        self.offsets.append(offset)
        if parent >= 0:
            self.children.setdefault((parent, token), node)   # the first duplicate wins
        return node


def _walk(text: str) -> _Nodes:
    """One pass over ``text``: a node per value (raises ValueError on broken JSON)."""
    s = _Scanner(text)
    nodes = _Nodes()
    stack: list[list] = []          # open containers: [node, kind, next index]
    parent, token = -1, ""
    while True:
        s.skip_ws()
        node = nodes.add(parent, token, s.pos)
        ch = s.peek()
        if ch and ch in "[{":
            s.pos += 1
            stack.append([node, ch, 0])
        else:
            s.scalar()
        # Close containers and find the next value's edge.
        while True:
            if not stack:
                return nodes
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
                token = str(frame[2])
            else:
                token = _decode_key(s.string())
                s.skip_ws()
                if s.peek() != ":":
                    raise ValueError("expected :")
                s.pos += 1
            parent = frame[0]
            frame[2] += 1
            break


def _tokens(pointer: str) -> list[str]:
    return [t.replace("~1", "/").replace("~0", "~") for t in pointer.split("/")[1:]]


class PositionIndex:
    """Every value's (line, column) in one JSON text, from one pass made on first use.

    Build one per document and ask it for every finding: a lookup follows the pointer's
    tokens through a dict and binary-searches the line starts, so positions for N findings
    cost O(size + N x pointer length), not O(size x N), and memory stays linear in the
    text however deep it nests. A text that does not scan as JSON gives no positions.
    """

    __slots__ = ("text", "_nodes", "_line_starts")

    def __init__(self, text: str):
        self.text = text
        self._nodes: _Nodes | None = None
        self._line_starts: list[int] = []

    def _ensure(self) -> _Nodes:
        if self._nodes is None:
            try:
                self._nodes = _walk(self.text)
            except (ValueError, IndexError):
                self._nodes = _Nodes()
            starts = [0]
            find = self.text.find
            at = find("\n")
            while at >= 0:
                starts.append(at + 1)
                at = find("\n", at + 1)
            self._line_starts = starts
        return self._nodes

    def _line_col(self, offset: int) -> tuple[int, int]:
        line = bisect_right(self._line_starts, offset)
        return line, offset - self._line_starts[line - 1] + 1

    def _deepest(self, pointer: str) -> tuple[int, bool]:
        """(the deepest node on ``pointer``'s path, whether it is the pointer's own node)."""
        nodes = self._ensure()
        if not nodes.offsets:
            return -1, False
        node = 0
        for token in _tokens(pointer):
            child = nodes.children.get((node, token))
            if child is None:
                return node, False
            node = child
        return node, True

    def position(self, pointer: str) -> tuple[int, int] | None:
        """(line, column) of the value at ``pointer``; None when absent (first duplicate wins)."""
        node, exact = self._deepest(pointer)
        return self._line_col(self._ensure().offsets[node]) if exact else None

    def pointers(self) -> list[str]:
        """Every pointer the text holds, in document order (builds the strings: for tests
        and small documents)."""
        nodes = self._ensure()
        names: list[str] = [""] * len(nodes.offsets)
        for (parent, token), child in sorted(nodes.children.items(), key=lambda kv: kv[1]):
            names[child] = f"{names[parent]}/{_escape(token)}"
        seen = {0} | set(nodes.children.values())
        return [names[n] for n in range(len(names)) if n in seen]

    def nearest(self, pointer: str) -> tuple[int, int]:
        """The position of ``pointer`` or of its nearest present ancestor; (0, 0) if none.

        A missing member has no position: point at the object that should hold it."""
        node, _ = self._deepest(pointer)
        return self._line_col(self._ensure().offsets[node]) if node >= 0 else (0, 0)


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
