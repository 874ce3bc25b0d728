"""Is a document valid against one of our runtime schemas? A yes/no answer without jsonschema.

Our runtime schemas (``oci_conform/schemas/runtime-*.schema.json``, their ``$ref``s inlined)
use a handful of keywords. For a valid document, the usual case, the schema check needs no
more than this answer, and giving it here spares the command the import of jsonschema (about
70 ms, most of ``config validate``'s start-up). A document that is not valid, or a schema
with any keyword outside ``KEYWORDS``, goes to jsonschema, which names every error; so this
module only has to be right about validity. ``tests/config/test_fastschema.py`` holds it to
jsonschema's answer over the runtime corpora and thousands of mutated documents.

Semantics follow draft 2020-12 as jsonschema applies it with our integer rule (``1.0`` is
not an integer; ``true`` is neither an integer nor a number), ``pattern`` as ``re.search``,
and ``enum`` comparing JSON values (``1 == 1.0``; ``true`` is not ``1``).
"""
from __future__ import annotations

import re
from functools import cache
from typing import Any

# keywords this module judges, and annotations it may ignore
KEYWORDS = frozenset(("type", "properties", "items", "required", "enum", "minimum", "maximum",
                      "additionalProperties", "minLength", "pattern", "minItems",
                      "propertyNames"))
ANNOTATIONS = frozenset(("$schema", "$id", "$comment", "$defs", "title", "description",
                         "default", "examples"))
_SUBSCHEMA_MAPS = ("properties",)
_SUBSCHEMAS = ("items", "additionalProperties", "propertyNames")


def supported(schema: Any) -> bool:
    """True when every keyword of ``schema`` (and of its subschemas) is one this module judges
    (a boolean schema is supported too)."""
    if isinstance(schema, bool):
        return True
    if not isinstance(schema, dict) or not set(schema) <= KEYWORDS | ANNOTATIONS:
        return False
    for key in _SUBSCHEMA_MAPS:
        if key in schema and not (isinstance(schema[key], dict)
                                  and all(supported(s) for s in schema[key].values())):
            return False
    return all(supported(schema[key]) for key in _SUBSCHEMAS if key in schema)


def _is_type(value: Any, name: str) -> bool:
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
    if name == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if name == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    return False


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


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


@cache
def _regex(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def _object_valid(schema: dict[str, Any], value: dict[str, Any]) -> bool:
    if any(name not in value for name in schema.get("required", ())):
        return False
    props = schema.get("properties", {})
    if any(key in value and not is_valid(sub, value[key]) for key, sub in props.items()):
        return False
    if "additionalProperties" in schema:
        extra = schema["additionalProperties"]
        if any(not is_valid(extra, value[key]) for key in value if key not in props):
            return False
    names = schema.get("propertyNames")
    return names is None or all(is_valid(names, key) for key in value)


def _scalar_valid(schema: dict[str, Any], value: Any) -> bool:
    if isinstance(value, str):
        if len(value) < schema.get("minLength", 0):
            return False
        pattern = schema.get("pattern")
        if pattern is not None and not _regex(pattern).search(value):
            return False
    if _number(value):
        if "minimum" in schema and value < schema["minimum"]:
            return False
        if "maximum" in schema and value > schema["maximum"]:
            return False
    return True


def is_valid(schema: Any, value: Any) -> bool:
    """Whether ``value`` meets a schema that ``supported`` accepted."""
    if isinstance(schema, bool):
        return schema
    wanted = schema.get("type")
    if wanted is not None:
        names = wanted if isinstance(wanted, list) else [wanted]
        if not any(_is_type(value, name) for name in names):
            return False
    if "enum" in schema and not any(json_equal(value, v) for v in schema["enum"]):
        return False
    if isinstance(value, dict):
        return _object_valid(schema, value)
    if isinstance(value, list):
        if len(value) < schema.get("minItems", 0):
            return False
        items = schema.get("items")
        return items is None or all(is_valid(items, v) for v in value)
    return _scalar_valid(schema, value)
