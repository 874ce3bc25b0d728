"""Observations: what one check saw at one place, for one clause.

A check yields an ``Obs`` for every value it examined: ``ok=True`` when the value
satisfies the clause, ``ok=False`` (with expected/actual) when it does not.
Observations roll up into one verdict per clause: any failure -> fail, else any
examined value -> pass, else n/a (nothing to judge).
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Obs:
    clause: str
    pointer: str
    ok: bool
    message: str = ""
    expected: str = ""
    actual: str = ""


def good(clause: str, pointer: str) -> Obs:
    return Obs(clause, pointer, True)


def bad(clause: str, pointer: str, message: str, expected: str = "", actual: Any = "") -> Obs:
    return Obs(clause, pointer, False, message, expected, show(actual))


def judge(clause: str, pointer: str, ok: bool, message: str, expected: str = "",
          actual: Any = "") -> Obs:
    """``good`` when ``ok``, else ``bad`` with the message."""
    return good(clause, pointer) if ok else bad(clause, pointer, message, expected, actual)


def show(value: Any, limit: int = 120) -> str:
    """A short, one-line rendering of a JSON value for a finding."""
    if isinstance(value, str) and value == "":
        return ""
    import json
    try:
        text = json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else value
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


Checks = Iterator[Obs]
