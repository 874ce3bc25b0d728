"""JSON pointers (RFC 6901): build them, read through them, expand ``*`` patterns."""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

MISSING = object()


def escape(token: str | int) -> str:
    return str(token).replace("~", "~0").replace("/", "~1")


def join(base: str, *tokens: str | int) -> str:
    if len(tokens) == 1:                 # the usual call: one step down
        token = str(tokens[0])
        if "~" in token or "/" in token:
            token = escape(token)
        return base + "/" + token
    return base + "".join("/" + escape(t) for t in tokens)


def split(pattern: str) -> list[str]:
    return [t.replace("~1", "/").replace("~0", "~") for t in pattern.split("/")[1:]] \
        if pattern else []


def get(doc: Any, *tokens: str | int, default: Any = None) -> Any:
    """The value at ``tokens`` under ``doc`` (``default`` when any step is absent)."""
    cur = doc
    for tok in tokens:
        if isinstance(cur, dict) and isinstance(tok, str) and tok in cur:
            cur = cur[tok]
        elif isinstance(cur, list) and isinstance(tok, int) and 0 <= tok < len(cur):
            cur = cur[tok]
        else:
            return default
    return cur


def items(value: Any) -> Iterator[tuple[int | str, Any]]:
    """(index, item) of a list or (key, value) of an object; nothing for scalars."""
    if isinstance(value, list):
        yield from enumerate(value)
    elif isinstance(value, dict):
        yield from value.items()


def expand(doc: Any, pattern: str) -> Iterator[str]:
    """Every concrete pointer in ``doc`` matching ``pattern`` (``*`` = any key or index)."""
    def walk(node: Any, tokens: list[str], here: str) -> Iterator[str]:
        if not tokens:
            yield here
            return
        head, rest = tokens[0], tokens[1:]
        if head == "*":
            for key, child in items(node):
                yield from walk(child, rest, join(here, key))
        elif isinstance(node, dict) and head in node:
            yield from walk(node[head], rest, join(here, head))
    yield from walk(doc, split(pattern), "")


def matches(pattern_tokens: list[str], tokens: list[str]) -> bool:
    return len(pattern_tokens) == len(tokens) and all(
        p == "*" or p == t for p, t in zip(pattern_tokens, tokens, strict=False))
