"""Where a JSON pointer's value starts in a JSON text: (line, column), both 1-based.

A small scanner that walks the text without building values, so it works on
pretty-printed and minified files alike and never recurses (deep nesting is safe).
The pointer of a key-related problem (e.g. a duplicate or unknown key) points at
the member's value; the column is counted in characters.
"""
from __future__ import annotations

import re

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


def _line_col(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    start = text.rfind("\n", 0, offset) + 1
    return line, offset - start + 1


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
        found[pointer] = s.pos
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


def pointer_position(text: str, pointer: str) -> tuple[int, int] | None:
    """(line, column) of the value at ``pointer`` in ``text``; None if absent or unparsable.

    With duplicate keys the first occurrence is reported.
    """
    try:
        offsets = _walk(text, pointer)
    except (ValueError, IndexError):
        return None
    if pointer not in offsets:
        return None
    return _line_col(text, offsets[pointer])


def all_positions(text: str) -> dict[str, tuple[int, int]]:
    """Every pointer in ``text`` with its (line, column); {} when the text is not JSON."""
    try:
        offsets = _walk(text, None)
    except (ValueError, IndexError):
        return {}
    return {p: _line_col(text, o) for p, o in offsets.items()}
