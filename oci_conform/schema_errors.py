"""Name every error of a document against a schema, without jsonschema.

The partner of ``schema_compile``: the compiled check says *whether* a document is valid;
for one it refuses, this module says *why*, walking the same keyword subset the way
python-jsonschema (draft 2020-12) does: every keyword of a schema is applied, in the schema's
order, and each error carries the keyword, its value in the schema, the failing value, the
path to it and a message worded as jsonschema words it. So a caller that files errors by
place and keyword gets the same errors as from ``Draft202012Validator.iter_errors``, at a
fraction of the cost and without importing jsonschema (about 70 ms of start-up).

A part of the document that the compiled check of its subschema accepts is not walked (it
has no errors to name), so the cost is in the size of the wrong parts, not of the document.

One deliberate difference: for ``additionalProperties`` given a schema, jsonschema visits the
extra members in the order of a Python ``set`` (which changes from one process to the next);
here they come in the document's order. ``tests/config/test_schema_errors.py`` holds the
listing to jsonschema's on the runtime corpora and on thousands of mutated documents.
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from oci_conform.schema_compile import IGNORED, Check, Unsupported, compile_schema

LISTED = frozenset({"type", "enum", "const", "required", "properties", "additionalProperties",
                    "items", "minLength", "minimum", "maximum", "minItems", "propertyNames",
                    "pattern"}) | IGNORED
_SUBSCHEMAS = ("items", "additionalProperties", "propertyNames")


@dataclass
class SchemaError:
    """One error, with the attribute names of jsonschema's ``ValidationError`` that callers
    read (``validator`` is the keyword, ``absolute_path`` the place in the document)."""

    validator: str | None
    validator_value: Any
    instance: Any
    message: str
    absolute_path: list[str | int] = field(default_factory=list)


def listable(schema: Any) -> bool:
    """True when every keyword of ``schema`` and its subschemas is one this module names
    errors for (``$ref`` and ``format`` are not: the runtime schemas are inlined first)."""
    if isinstance(schema, bool):
        return True
    if not isinstance(schema, dict) or not set(schema) <= LISTED or schema.get("items") is False:
        return False                        # (jsonschema words "items": false its own way)
    props = schema.get("properties", {})
    if not isinstance(props, dict) or not all(listable(s) for s in props.values()):
        return False
    return all(listable(schema[key]) for key in _SUBSCHEMAS if key in schema)


def json_equal(a: Any, b: Any) -> bool:
    """Equality of JSON values: numbers by value, booleans apart from numbers."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if _number(a) and _number(b):
        return bool(a == b)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(json_equal(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(json_equal(a[k], b[k]) for k in a)
    return type(a) is type(b) and bool(a == b)


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _is_type(value: Any, name: str, strict_integers: bool) -> bool:
    if name == "object":
        return isinstance(value, dict)
    if name == "array":
        return isinstance(value, list)
    if name == "string":
        return isinstance(value, str)
    if name == "boolean":
        return isinstance(value, bool)
    if name == "null":
        return value is None
    if name == "number":
        return _number(value)
    if name == "integer":
        return type(value) is int or (not strict_integers and type(value) is float
                                      and value.is_integer())
    return False


@cache
def _regex(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def iter_errors(schema: Any, value: Any, *, strict_integers: bool = True
                ) -> Iterator[SchemaError]:
    """Every error of ``value`` against ``schema`` (one ``listable`` accepted), in the order
    jsonschema gives them; nothing for a valid value. (The compiled check is not asked about
    ``value`` itself: a caller usually lists errors because it already said no.)"""
    yield from _errors(schema, value, [], strict_integers, top=True)


_CHECKS: dict[tuple[int, bool], tuple[Any, Check | None]] = {}


def _accepted(schema: dict[str, Any], value: Any, strict: bool) -> bool:
    """True when the compiled check of ``schema`` accepts ``value`` (so it has no errors);
    False when it refuses it, or when the schema does not compile."""
    key = (id(schema), strict)
    entry = _CHECKS.get(key)
    if entry is None or entry[0] is not schema:
        if len(_CHECKS) >= 4096:
            _CHECKS.clear()
        try:
            check: Check | None = compile_schema(schema, strict_integers=strict)
        except Unsupported:
            check = None
        entry = _CHECKS[key] = (schema, check)     # the schema is kept: its id stays its own
    return entry[1] is not None and entry[1](value)


def _errors(schema: Any, value: Any, path: list[str | int], strict: bool, top: bool = False
            ) -> Iterator[SchemaError]:
    if schema is True:
        return
    if not top and type(value) in (dict, list) and schema is not False \
            and _accepted(schema, value, strict):
        return
    if schema is False:
        yield SchemaError(None, None, value, f"False schema does not allow {value!r}",
                          list(path))
        return
    for key, want in schema.items():
        if key in IGNORED:
            continue
        for message in _own(key, want, value, schema, strict):
            yield SchemaError(key, want, value, message, list(path))
        yield from _nested(key, want, value, schema, path, strict)


def _own(key: str, want: Any, value: Any, schema: dict[str, Any], strict: bool
         ) -> Iterator[str]:
    """The messages of keyword ``key`` itself (not of its subschemas) on ``value``."""
    if key == "type":
        names = [want] if isinstance(want, str) else want
        if not any(_is_type(value, n, strict) for n in names):
            yield f"{value!r} is not of type {', '.join(repr(n) for n in names)}"
    elif key == "enum":
        if not any(json_equal(each, value) for each in want):
            yield f"{value!r} is not one of {want!r}"
    elif key == "const":
        if not json_equal(want, value):
            yield f"{want!r} was expected"
    elif key == "required":
        if isinstance(value, dict):
            yield from (f"{name!r} is a required property" for name in want
                        if name not in value)
    elif key in ("minimum", "maximum"):
        if _number(value) and (value < want if key == "minimum" else value > want):
            word = "less than the minimum" if key == "minimum" else "greater than the maximum"
            yield f"{value!r} is {word} of {want!r}"
    elif key in ("minLength", "minItems"):
        if isinstance(value, str if key == "minLength" else list) and len(value) < want:
            yield f"{value!r} {'should be non-empty' if want == 1 else 'is too short'}"
    elif key == "pattern":
        if isinstance(value, str) and not _regex(want).search(value):
            yield f"{value!r} does not match {want!r}"
    elif key == "additionalProperties" and want is False and isinstance(value, dict):
        props = schema.get("properties", {})
        extras = sorted((k for k in value if k not in props), key=str)
        if extras:
            verb = "was" if len(extras) == 1 else "were"
            yield (f"Additional properties are not allowed "
                   f"({', '.join(repr(e) for e in extras)} {verb} unexpected)")


def _nested(key: str, want: Any, value: Any, schema: dict[str, Any], path: list[str | int],
            strict: bool) -> Iterator[SchemaError]:
    """The errors of the subschemas keyword ``key`` applies to parts of ``value``."""
    if key == "properties" and isinstance(value, dict):
        for name, sub in want.items():
            if name in value:
                yield from _errors(sub, value[name], [*path, name], strict)
    elif key == "additionalProperties" and isinstance(want, dict) and isinstance(value, dict):
        props = schema.get("properties", {})
        for name in value:
            if name not in props:
                yield from _errors(want, value[name], [*path, name], strict)
    elif key == "items" and isinstance(value, list):
        for n, item in enumerate(value):
            yield from _errors(want, item, [*path, n], strict)
    elif key == "propertyNames" and isinstance(value, dict):
        for name in value:
            yield from _errors(want, name, path, strict)
