"""Where a JSON pointer's value starts in a JSON text: (line, column), both 1-based.

A small scanner that walks the text without building values, so it works on
pretty-printed and minified files alike and never recurses (deep nesting is safe).
The pointer of a key-related problem (e.g. a duplicate or unknown key) points at
the member's value; the column is counted in characters.
"""
from __future__ import annotations

import json
import re
from bisect import bisect_right
from json import JSONDecoder
from json.decoder import scanstring  # type: ignore[attr-defined]

_WS = re.compile(r"[ \t\r\n]*")
# a valid text larger than this is never walked whole: a pointer off the first-member path
# gets its nearest ancestor's position (the walk takes about 5 us a value: a hostile 8 MB
# document of two million values would take 10 s for positions alone)
WALK_LIMIT = 1 << 20
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_SCALAR = re.compile(r"[^,\]\}\s]+")


def _escape(token: str) -> str:
    if "~" not in token and "/" not in token:
        return token
    return token.replace("~", "~0").replace("/", "~1")


def _decode_key(raw: str) -> str:
    if "\\" not in raw:
        return raw[1:-1]
    try:
        return str(json.loads(raw))
    except ValueError:
        return raw[1:-1]


# An array holding only scalars, skipped whole by one regex match: its items' offsets are
# found when one of them is first asked for.
_SCALAR_ITEMS = re.compile(
    r'[ \t\r\n]*(?:(?:"[^"\\]*(?:\\.[^"\\]*)*"|[^,\[\]{}\s"]+)[ \t\r\n]*'
    r'(?:,[ \t\r\n]*(?!\])|(?=\])))*\]', re.DOTALL)      # no trailing comma


class _Node:
    """A value: its offset, its members or container items by token, and for an array the
    offsets of all its items (an int while a skipped scalar-only array is not yet read)."""

    __slots__ = ("offset", "children", "items")

    def __init__(self, offset: int):
        self.offset = offset
        self.children: dict[str, _Node] = {}
        self.items: list[int] | int | None = None


def _walk(text: str) -> _Node:
    """The tree of every value's offset, in one pass without recursion.

    No pointer string is built (deep nesting costs no quadratic text): members and container
    items are children by token; the items of an array are an offset list, and an array of
    scalars only is skipped by one regex match (its items found on first lookup). Duplicate
    keys merge: every pointer keeps the first offset seen for it."""
    ws, string, scalar, items = _WS.match, _STRING.match, _SCALAR.match, _SCALAR_ITEMS.match
    size = len(text)
    pos = ws(text, 0).end()
    root = node = _Node(pos)
    stack: list[list] = []            # open containers: [node, kind, count, item offsets]
    while True:                       # here: ``node`` is the value starting at pos
        ch = text[pos] if pos < size else ""
        if ch == "[":
            run = items(text, pos + 1)
            fresh = node.items is None        # else: a duplicate key's array, merged after
            if run is not None:       # only scalars: skip it, index its items on demand
                if fresh:
                    node.items = pos + 1
                else:
                    _merge_items(text, node, _scalar_offsets(text, pos + 1))
                pos = run.end()
            else:
                offsets: list[int] = []
                if fresh:
                    node.items = offsets
                stack.append([node, ch, 0, offsets])
                pos += 1
        elif ch == "{":
            stack.append([node, ch, 0, None])
            pos += 1
        else:
            m = string(text, pos) if ch == '"' else scalar(text, pos)
            if m is None:
                raise ValueError("bad value")
            pos = m.end()
        while True:                   # close containers, find the next value
            if not stack:
                return root
            pos = ws(text, pos).end()
            frame = stack[-1]
            ch = text[pos] if pos < size else ""
            if ch == "]" or ch == "}":
                pos += 1
                stack.pop()
                if frame[3] is not None and frame[3] is not frame[0].items:
                    _merge_items(text, frame[0], frame[3])
                continue
            if frame[2] > 0:
                if ch != ",":
                    raise ValueError("expected ,")
                pos = ws(text, pos + 1).end()
            index = frame[2]
            frame[2] += 1
            parent = frame[0]
            if frame[1] == "[":
                frame[3].append(pos)
                ch = text[pos] if pos < size else ""
                if ch != "[" and ch != "{":           # a scalar item: no node
                    m = string(text, pos) if ch == '"' else scalar(text, pos)
                    if m is None:
                        raise ValueError("bad value")
                    pos = m.end()
                    continue
                token = str(index)
            else:
                m = string(text, pos)
                if m is None:
                    raise ValueError("bad string")
                pos = ws(text, m.end()).end()
                if pos >= size or text[pos] != ":":
                    raise ValueError("expected :")
                pos = ws(text, pos + 1).end()
                token = _escape(_decode_key(m.group(0)))
            node = parent.children.get(token)     # a duplicate key merges into the first:
            if node is None:                      # each pointer keeps its first offset
                node = parent.children[token] = _Node(pos)
            break


def _merge_items(text: str, node: _Node, later: list[int]) -> None:
    """A duplicate key's array: items past the first array's length keep the later offsets
    (each pointer keeps the first offset seen for it)."""
    if isinstance(node.items, int):
        node.items = _scalar_offsets(text, node.items)
    if node.items is None:
        node.items = later
    else:
        node.items.extend(later[len(node.items):])


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


# the standard library's C scanner: (value, end)
_SKIP_VALUE = JSONDecoder().scan_once  # type: ignore[attr-defined]


def _after_ws(text: str, pos: int) -> int:
    """The offset of the first non-blank character at or after ``pos``."""
    found = _WS.match(text, pos)
    return found.end() if found else pos


class _Spent(Exception):
    """The lookups along paths have skipped their budget of characters."""


def _skip(text: str, pos: int, budget: list[int]) -> int:
    """The end of the value at ``pos`` (C scanner), charged to ``budget``."""
    end = int(_SKIP_VALUE(text, pos)[1])
    budget[0] -= end - pos
    if budget[0] < 0:
        raise _Spent
    return end


def _direct(text: str, tokens: list[str], budget: list[int]) -> int | None:
    """The offset of the value at ``tokens`` in a text known to be valid JSON, following the
    first member of each name; None when that path does not hold it (the full walk then
    answers: a later duplicate key may). Only the containers on the path are read token by
    token; every value passed over is skipped by the C scanner and charged to ``budget``
    (``_Spent`` when it runs out: many lookups in a large text would each skip most of it)."""
    ws = _after_ws
    pos = ws(text, 0)
    for token in tokens:
        ch = text[pos:pos + 1]
        if ch == "{":
            pos = ws(text, pos + 1)
            if text.startswith("}", pos):
                return None
            while True:
                key, pos = scanstring(text, pos + 1)
                pos = ws(text, ws(text, pos) + 1)            # past the colon
                if _escape(key) == token:
                    break
                pos = ws(text, _skip(text, pos, budget))
                if text.startswith("}", pos):
                    return None
                pos = ws(text, pos + 1)                      # past the comma
        elif ch == "[":
            if not token.isdigit() or (token.startswith("0") and token != "0") \
                    or len(token) > 9:
                return None
            pos = ws(text, pos + 1)
            for _ in range(int(token)):
                if text.startswith("]", pos):
                    return None
                pos = ws(text, _skip(text, pos, budget))
                if text.startswith("]", pos):
                    return None
                pos = ws(text, pos + 1)
            if text.startswith("]", pos):
                return None
        else:
            return None
    return pos


class PositionIndex:
    """Every pointer's (line, column) in one JSON text, from one pass made on first use.

    Build one per document and ask it for every finding: each lookup walks the pointer's
    tokens down a tree plus a binary search over line starts, so positions for N findings
    cost O(size + N log lines), not O(size x N). A text that does not scan as JSON gives no
    positions.

    ``valid_json=True`` (the caller parsed the text with the ``json`` module): a pointer is
    first looked up along its own path only (``_direct``), which is most of the time all a
    document with a few findings needs; the whole-text pass is made only when that finds
    nothing. The answers are the same (``tests/foundation/test_jsonpos.py``).
    """

    __slots__ = ("text", "_root", "_line_starts", "_walked", "_valid", "_repeats", "_budget")

    def __init__(self, text: str, valid_json: bool = False):
        self.text = text
        self._root: _Node | None = None
        self._line_starts: list[int] = []
        self._walked = False
        self._valid = valid_json
        self._repeats: bool | None = None      # whether some object repeats a name
        self._budget = [len(text) + 65536]      # characters the path lookups may skip

    def _lines(self) -> list[int]:
        if not self._line_starts:
            starts = [0]
            find = self.text.find
            at = find("\n")
            while at >= 0:
                starts.append(at + 1)
                at = find("\n", at + 1)
            self._line_starts = starts
        return self._line_starts

    def _ensure(self) -> _Node | None:
        if not self._walked:
            try:
                self._root = _walk(self.text)
            except (ValueError, IndexError):
                self._root = None
            self._walked = True
            self._lines()
        return self._root

    def _repeats_names(self) -> bool:
        """Whether an object of the (valid) text repeats a name: one parse by the C decoder
        (a hook per object), far cheaper than the whole-text walk, which a pointer absent
        from the first-member path needs only then (a 6 MB document of a million nested
        arrays: 0.2 s instead of 5 s and 380 MB)."""
        if self._repeats is None:
            found = False

            def pairs(items: list[tuple[str, object]]) -> None:
                nonlocal found
                if not found and len({k for k, _ in items}) != len(items):
                    found = True

            try:
                json.loads(self.text, object_pairs_hook=pairs)
            except (ValueError, RecursionError):
                found = True                    # not what the caller said: walk to be sure
            self._repeats = found
        return self._repeats

    def _items(self, node: _Node) -> list[int]:
        if isinstance(node.items, int):
            node.items = _scalar_offsets(self.text, node.items)
        return node.items or []

    def _offset(self, pointer: str) -> int | None:
        if pointer and not pointer.startswith("/"):
            return None
        tokens = pointer.split("/")[1:] if pointer else []
        if not tokens and self._valid and self.text:
            return _after_ws(self.text, 0)
        if self._valid and not self._walked and self._budget[0] > 0:
            try:
                found = _direct(self.text, tokens, self._budget)
            except (_Spent, ValueError, IndexError, StopIteration, RecursionError):
                found = None
            if found is not None:
                return found
            if self._budget[0] > 0 and (len(self.text) > WALK_LIMIT
                                        or not self._repeats_names()):
                return None             # only a repeated name's later value could hold it
        if self._valid and len(self.text) > WALK_LIMIT:
            return None                 # budget spent: ancestors' positions (see WALK_LIMIT)
        node = self._ensure()
        if node is None:
            return None
        for n, token in enumerate(tokens):
            child = node.children.get(token)
            if child is None:
                if n < len(tokens) - 1 or node.items is None or not token.isdigit() \
                        or (token.startswith("0") and token != "0"):
                    return None
                items = self._items(node)
                index = int(token)
                return items[index] if index < len(items) else None
            node = child
        return node.offset

    def position(self, pointer: str) -> tuple[int, int] | None:
        """(line, column) of the value at ``pointer``; None when absent (first duplicate wins)."""
        offset = self._offset(pointer)
        if offset is None:
            return None
        if not self._line_starts and offset < 65536:    # a few lookups near the start of
            text = self.text                            # the text: no table of lines
            return (text.count("\n", 0, offset) + 1,
                    offset - (text.rfind("\n", 0, offset) + 1) + 1)
        line = bisect_right(self._lines(), offset)
        return line, offset - self._line_starts[line - 1] + 1

    def pointers(self) -> list[str]:
        """Every pointer the text holds (for tests and tools: builds every pointer string)."""
        root = self._ensure()
        if root is None:
            return []
        out: list[str] = []
        todo: list[tuple[str, _Node]] = [("", root)]
        while todo:
            pointer, node = todo.pop()
            out.append(pointer)
            todo.extend((f"{pointer}/{t}", child) for t, child in node.children.items())
            if node.items is not None:
                out.extend(f"{pointer}/{n}" for n in range(len(self._items(node)))
                           if str(n) not in node.children)
        return out

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


# arrays and objects a document may open before it is refused unparsed: the parsed value
# costs 60 (an empty array) to 250 bytes (a small object) each (a 4 MB text of two million
# empty arrays took 290 MB, one of 660,000 one-member objects 217 MB), and real manifests,
# indexes and configs open thousands at most (an index of 100,000 manifests: 200,000)
MAX_OPENERS = 1 << 19


def openers(text: str) -> int:
    """How many ``[`` and ``{`` the text holds (strings included: an upper bound)."""
    return text.count("[") + text.count("{")


def too_many_openers(text: str) -> str:
    """Why ``text`` is refused unparsed for its arrays and objects ('' when it is not)."""
    many = openers(text)
    if many <= MAX_OPENERS:
        return ""
    return (f"opens {many} arrays and objects (counting brackets in strings), over this "
            f"tool's limit of {MAX_OPENERS}")


_NOT_BRACKET = re.compile(r'[^\[\]{}]+')


def valid_depth_exceeds(text: str, limit: int) -> int | None:
    """``depth_exceeds`` for a text the ``json`` module parsed (every string terminated, every
    bracket matched): strings and all but brackets are dropped by two substitutions, braces
    become brackets (matched pairs: only the nesting counts), and each round of
    ``str.replace("[]", "")`` removes exactly the innermost pairs, one level; at most
    ``limit`` rounds at memchr speed (a 5 MB text of 60-deep chains: 0.2 s; a regex per
    round took 5 s). Only a text that does go deeper is scanned token by token, for the
    offset."""
    if openers(text) <= limit:
        return None
    brackets = _NOT_BRACKET.sub("", _STRING.sub("", text))
    brackets = brackets.replace("{", "[").replace("}", "]")
    too_deep = "[" * (limit + 1)        # that many openers in a row: deeper than the limit
    for _ in range(limit):
        if too_deep in brackets:
            break
        shorter = brackets.replace("[]", "")
        if not shorter:
            return None
        if len(shorter) == len(brackets):
            break                        # not balanced after all: let the scan decide
        brackets = shorter
    return depth_exceeds(text, limit)


def depth_exceeds(text: str, limit: int) -> int | None:
    """The offset where ``text`` first nests deeper than ``limit`` arrays/objects, else None.

    One linear pass (a string is skipped whole, an unterminated one ends the scan), so a
    100k-deep document is refused before a recursive parser ever sees it."""
    if openers(text) <= limit:
        return None                      # too few openers to get that deep (C-speed)
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
