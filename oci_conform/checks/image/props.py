"""Judging one field of a JSON object: present or not, of its type or not.

The clause a field's presence is judged by (a "may be present" MAY, an "is required" MUST) is
kept apart from the clause its type is judged by (the document's property-types MUST): a
present field of the wrong type fails the type clause and says what it is, never the MAY and
never "is required".
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from oci_conform.checks.image.report import Report

Test = Callable[[Any], bool]


def json_type(value: Any) -> str:
    """The JSON type name of a parsed value."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object" if isinstance(value, dict) else type(value).__name__


def is_str(v: Any) -> bool:
    return isinstance(v, str)


def is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def is_bool(v: Any) -> bool:
    return isinstance(v, bool)


def is_object(v: Any) -> bool:
    return isinstance(v, dict)


def is_strings(v: Any) -> bool:
    return isinstance(v, list) and all(isinstance(x, str) for x in v)


def is_objects(v: Any) -> bool:
    return isinstance(v, list) and all(isinstance(x, dict) for x in v)


def optional(report: Report, obj: dict, name: str, where: str, *, may: str, types: str,
             test: Test, what: str, rules: tuple[str, ...] = (), since: str = "") -> bool:
    """An optional field: absent (or null) is not judged; a value of the wrong type fails
    ``types``; a value of the right type passes ``may`` and ``types``. True when usable.

    A field newer than the version judged is judged by the version that defines it (its
    ``may`` clause and its other ``rules``), with a separate finding on the declared version.
    ``since`` names that version where ``may`` is not judged (a permission nobody can break).
    """
    if name not in obj or obj[name] is None:
        return False
    value = obj[name]
    clauses = tuple(c for c in (may, *rules) if c)
    if clauses or since:
        report.newer_field(name, where, clauses, since)
    if not test(value):
        report.fail(types, f"{name} must be {what}, not {json_type(value)}", where, what,
                    value)
        return False
    report.saw(types)
    if may:
        report.saw(may)
    return True


def required(report: Report, obj: dict, name: str, where: str, *, clause: str, types: str,
             test: Test, what: str) -> bool:
    """A required field: absent fails ``clause`` ("is missing"); present with the wrong type
    fails ``types`` and says what it is. True when present and of its type."""
    if name not in obj:
        report.fail(clause, f"{name} is missing", where, what, "(absent)")
        return False
    report.saw(clause)
    value = obj[name]
    if not test(value):
        report.fail(types, f"{name} must be {what}, not {json_type(value)}", where, what,
                    value)
        return False
    report.saw(types)
    return True
