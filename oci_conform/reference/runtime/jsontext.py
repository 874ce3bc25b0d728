"""Read JSON text with the C scanner behind ``json``, without importing ``json``.

``create`` reads config.json on every call; ``import json`` brings ``re`` and ``enum``
with it, which cost more start-up time than the rest of ``create``'s imports (measured
with ``python -X importtime``).  ``_json.make_scanner`` is the same parser ``json.loads``
uses; this module only feeds it the options and checks what surrounds the value.
Stricter than ``json.loads`` in one way: NaN and Infinity, which JSON does not have,
are refused.
"""
from __future__ import annotations

import _json

WHITESPACE = " \t\n\r"


class JSONTextError(ValueError):
    """Not JSON; the message names the line and column."""


def _not_a_constant(name: str) -> object:
    raise ValueError(f"{name} is not a JSON value")


class _Options:
    """The attributes the C scanner reads from its context (as JSONDecoder has them)."""
    strict = True
    object_hook = None
    object_pairs_hook = None
    parse_float = float
    parse_int = int
    parse_constant = staticmethod(_not_a_constant)
    memo: dict[str, str] = {}


_scan = _json.make_scanner(_Options())  # type: ignore[arg-type]  # any object with these fields


def _where(text: str, pos: int) -> str:
    line = text.count("\n", 0, pos) + 1
    col = pos - (text.rfind("\n", 0, pos) + 1) + 1
    return f"line {line} column {col}"


def loads(text: str) -> object:
    """The value ``text`` holds (JSONTextError when it is not exactly one JSON value)."""
    start = len(text) - len(text.lstrip(WHITESPACE))
    try:
        value, end = _scan(text, start)
    except StopIteration as stop:
        pos = stop.value if isinstance(stop.value, int) else start
        raise JSONTextError(f"expecting a value at {_where(text, pos)}") from None
    except ValueError as exc:          # json.JSONDecodeError, or a refused constant
        at = getattr(exc, "pos", None)
        msg = getattr(exc, "msg", str(exc)).removesuffix(" at")
        raise JSONTextError(msg if at is None else f"{msg} at {_where(text, at)}") from None
    extra = len(text) - len(text[end:].lstrip(WHITESPACE))
    if extra != len(text):
        raise JSONTextError(f"extra data after the value at {_where(text, extra)}")
    return value
