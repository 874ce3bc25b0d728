"""Read a JSON document defensively: size cap, strict UTF-8, depth guard, duplicate keys.

``parse_document`` never raises on bad input. It returns the parsed value (or None)
with the text and a list of ``Problem``s; a document with problems may still be
judged when it parsed (duplicate keys: the last value wins, as most parsers do).
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from oci_conform.jsonpos import depth_exceeds, too_many_openers, valid_depth_exceeds

MAX_BYTES = 8 * 1024 * 1024      # far above any real config.json (a few KiB)
MAX_DEPTH = 64                   # real configs nest about 8 deep


@dataclass(frozen=True)
class Problem:
    """Why a document could not be read as it should (encoding, syntax, duplicate key)."""

    message: str
    pointer: str = ""            # where in the document, when it parsed
    line: int = 0
    column: int = 0
    rule: str = ""               # "encoding" (not plain UTF-8), "duplicate" (repeated key),
    #                              "limit" (beyond what we read: size, depth), "" (not JSON)


@dataclass
class Parsed:
    """A document's value, its text, and what went wrong reading it."""

    data: Any = None
    text: str = ""
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when there is a value to judge."""
        return self.data is not None or (self.text.strip() == "null")


def _line_col(text: str, pos: int) -> tuple[int, int]:
    line = text.count("\n", 0, pos) + 1
    return line, pos - (text.rfind("\n", 0, pos) + 1) + 1


class _Duplicates:
    """An object_pairs_hook that keeps the last value and remembers repeated keys."""

    def __init__(self) -> None:
        self.found: list[tuple[int, str]] = []   # (id of the object, key)

    def __call__(self, pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        out = dict(pairs)                # the last value wins, at the key's first place
        if len(out) == len(pairs):
            return out                   # no key repeated (nearly always)
        seen: set[str] = set()
        for key, _value in pairs:
            if key in seen:
                self.found.append((id(out), key))
            seen.add(key)
        return out


def _pointers_of(data: Any, wanted: set[int]) -> dict[int, str]:
    """Map id(object) -> JSON pointer for the objects in ``wanted`` (iterative walk)."""
    from oci_conform.checks.runtime_config.pointer import join
    found: dict[int, str] = {}
    stack: list[tuple[Any, str]] = [(data, "")]
    while stack and len(found) < len(wanted):
        node, here = stack.pop()
        if isinstance(node, dict):
            if id(node) in wanted:
                found[id(node)] = here
            stack.extend((v, join(here, k)) for k, v in node.items())
        elif isinstance(node, list):
            stack.extend((v, join(here, i)) for i, v in enumerate(node))
    return found


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def parse_bytes(raw: bytes, limit: int = MAX_BYTES) -> Parsed:
    """Decode and parse ``raw``; every way it can be wrong becomes a Problem."""
    if len(raw) > limit:
        return Parsed(problems=[Problem(f"document is larger than the {limit}-byte limit "
                                        f"({len(raw)} bytes or more read); not parsed",
                                        rule="limit")])
    if raw.startswith(b"\xef\xbb\xbf"):
        return Parsed(problems=[Problem("document starts with a UTF-8 byte order mark, "
                                        "which JSON text must not carry", line=1, column=1,
                                        rule="encoding")])
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        return Parsed(problems=[Problem(f"document is not valid UTF-8 (byte {exc.start}: "
                                        f"{exc.reason})", line=line, rule="encoding")])
    return parse_text(text)


def _too_deep_problem(text: str, deep: int) -> Parsed:
    line, col = _line_col(text, deep)
    return Parsed(text=text, problems=[Problem(
        f"document nests deeper than {MAX_DEPTH} levels; not parsed", line=line, column=col,
        rule="limit")])


def parse_text(text: str) -> Parsed:
    """Parse ``text``; a text nesting deeper than MAX_DEPTH is refused (that first, before
    any other problem). Parsed first: the depth of a text that parsed is found at C speed
    (``valid_depth_exceeds``), of one that did not token by token."""
    crowded = too_many_openers(text)
    if crowded:
        return Parsed(text=text, problems=[Problem(f"document {crowded}; not parsed",
                                                   rule="limit")])
    hook = _Duplicates()
    try:
        data = json.loads(text, object_pairs_hook=hook, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        deep = depth_exceeds(text, MAX_DEPTH)
        if deep is not None:
            return _too_deep_problem(text, deep)
        return Parsed(text=text, problems=[Problem(f"not valid JSON: {exc.msg}",
                                                   line=exc.lineno, column=exc.colno)])
    except (ValueError, RecursionError) as exc:
        deep = depth_exceeds(text, MAX_DEPTH)
        if deep is not None:
            return _too_deep_problem(text, deep)
        return Parsed(text=text, problems=[Problem(f"not valid JSON: {exc}")])
    deep = valid_depth_exceeds(text, MAX_DEPTH)     # C speed; dropped values included
    if deep is not None:
        return _too_deep_problem(text, deep)
    parsed = Parsed(data=data, text=text)
    if hook.found:
        where = _pointers_of(data, {obj for obj, _ in hook.found})
        from oci_conform.checks.runtime_config.pointer import join
        for obj, key in hook.found:
            parsed.problems.append(Problem(f"duplicate object key {key!r} (the last value is used)",
                                           pointer=join(where.get(obj, ""), key),
                                           rule="duplicate"))
    return parsed
