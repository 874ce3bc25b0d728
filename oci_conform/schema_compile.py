"""A JSON Schema, compiled into one fast yes/no check (a subset of draft 2020-12).

``jsonschema`` walks a document generically, about 15 µs per node here: 50 results files of
2,000 outcomes took a minute to check. The results schema uses a dozen keywords only, so
it compiles into nested closures that answer one question, *is this valid?*, at a fraction
of that cost. Saying *why not* stays jsonschema's job: a caller runs it on the failing part
only (the messages and pointers users see do not change).

The compiler knows exactly the keywords below and refuses any other (``Unsupported``), so a
schema that grows a new keyword can never be half-checked in silence: the caller then uses
jsonschema for everything.

Two callers: the results file (``results_file``) and the runtime-spec documents
(``checks/runtime_config/schema``), which compile with ``strict_integers``: ``1.0`` is not an
integer there, because the runtimes' JSON decoders refuse it for integer fields. For those,
``schema_errors`` names the errors of a refused document in the same keyword subset.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

Check = Callable[[Any], bool]

IGNORED = frozenset({"description", "title", "$comment", "$schema", "$id", "$defs",
                     "examples", "default"})
KNOWN = frozenset({"type", "enum", "const", "required", "properties",
                   "additionalProperties", "items", "minLength", "minimum", "maximum",
                   "minItems", "propertyNames", "$ref", "format", "pattern"}) | IGNORED
FormatCheck = Callable[[Any, str], bool]      # (value, format name) -> conforms


class Unsupported(ValueError):
    """The schema uses a keyword (or a form of one) this compiler does not check."""


def _is_integer(v: Any) -> bool:
    t = type(v)
    return t is int or (t is float and v.is_integer())


TYPES: dict[str, Check] = {
    "object": lambda v: type(v) is dict,
    "array": lambda v: type(v) is list,
    "string": lambda v: type(v) is str,
    "boolean": lambda v: type(v) is bool,
    "null": lambda v: v is None,
    "number": lambda v: type(v) is int or type(v) is float,
    "integer": _is_integer,
}
STRICT_TYPES: dict[str, Check] = {**TYPES, "integer": lambda v: type(v) is int}


class Compiler:
    """Compiles schemas of one root document; ``$ref`` is resolved within that root."""

    def __init__(self, root: Mapping[str, Any], formats: FormatCheck | None = None,
                 max_depth: int | None = None, strict_integers: bool = False) -> None:
        self.root = root
        self.formats = formats
        self.max_depth = max_depth
        self.types = STRICT_TYPES if strict_integers else TYPES
        self.refs: dict[str, Check] = {}

    def compile(self, schema: Any) -> Check:
        if schema is True:
            return lambda _v: True
        if schema is False:
            return lambda _v: False
        if not isinstance(schema, dict):
            raise Unsupported(f"schema {schema!r} is not an object")
        unknown = set(schema) - KNOWN
        if unknown:
            raise Unsupported(f"keyword {sorted(unknown)[0]!r}")
        kind = schema.get("type")
        obj = self._object(schema, kind == "object")
        arr = self._array(schema, kind == "array")
        # an object (array) check that already refuses other types stands for "type" too
        typed = None if (obj and kind == "object") or (arr and kind == "array") \
            else self._type(schema)
        open_value = obj is None and arr is None and kind in (None, "object", "array") \
            and not ({"$ref", "enum", "const"} & set(schema))
        depth = None
        if open_value and self.max_depth is not None:
            limit = self.max_depth                # a value the schema leaves open: bound it
            depth = lambda v: shallow(v, limit)   # noqa: E731
        return _all([p for p in (typed, self._value(schema), obj, arr, depth, self._ref(schema))
                     if p is not None])

    def _type(self, schema: dict[str, Any]) -> Check | None:
        kind = schema.get("type")
        if kind is None:
            return None
        names = [kind] if isinstance(kind, str) else list(kind)
        if any(n not in self.types for n in names):
            raise Unsupported(f"type {kind!r}")
        checks = [self.types[n] for n in names]
        if len(checks) == 1:
            return checks[0]
        if len(checks) == 2:
            a, b = checks
            return lambda v: a(v) or b(v)
        return lambda v: any(c(v) for c in checks)

    def _value(self, schema: dict[str, Any]) -> Check | None:
        """enum, const (strings only: Python's 1 == True would blur JSON's types), pattern,
        minLength, minimum, maximum, format (through the caller's format check)."""
        checks: list[Check] = []
        if "format" in schema:
            if self.formats is None:
                raise Unsupported("format without a format check")
            name, conforms = schema["format"], self.formats
            checks.append(lambda v: conforms(v, name))
        if "enum" in schema or "const" in schema:
            allowed = list(schema.get("enum", [])) + ([schema["const"]] if "const" in schema
                                                      else [])
            if not all(isinstance(a, str) for a in allowed):
                raise Unsupported("enum or const of non-strings")
            chosen = frozenset(allowed)
            if "enum" in schema and "const" in schema:
                raise Unsupported("enum and const together")
            checks.append(lambda v: type(v) is str and v in chosen)
        if "pattern" in schema:
            found = re.compile(schema["pattern"]).search     # anywhere, as jsonschema does
            checks.append(lambda v: type(v) is not str or found(v) is not None)
        if "minLength" in schema:
            least = int(schema["minLength"])
            checks.append(lambda v: type(v) is not str or len(v) >= least)
        if "minimum" in schema:
            floor = schema["minimum"]
            checks.append(lambda v: type(v) not in (int, float) or v >= floor)
        if "maximum" in schema:
            ceiling = schema["maximum"]
            checks.append(lambda v: type(v) not in (int, float) or v <= ceiling)
        return _all(checks) if checks else None

    def _object(self, schema: dict[str, Any], only: bool) -> Check | None:
        """required, properties, additionalProperties, propertyNames; ``only``: the type is
        object alone, so a non-object fails here (one call instead of two). A member whose
        schema is a bare scalar type is checked inline (no call per member)."""
        if "propertyNames" in schema:
            names = self.compile(schema["propertyNames"])
            rest = self._object({k: v for k, v in schema.items() if k != "propertyNames"},
                                only)
            if rest is None:
                return lambda v: (not only) if type(v) is not dict else all(map(names, v))
            return lambda v: rest(v) and (type(v) is not dict or all(map(names, v)))
        if not ({"required", "properties", "additionalProperties"} & set(schema)):
            return None
        required = frozenset(schema.get("required", ()))
        simple: dict[str, frozenset[type]] = {}
        nested: dict[str, Check] = {}
        for key, sub in schema.get("properties", {}).items():
            types = _scalar_types(sub)
            if types is not None:
                simple[key] = types
            else:
                nested[key] = self.compile(sub)
        extra_schema = schema.get("additionalProperties", True)
        closed = extra_schema is False
        extra_types = None if closed or extra_schema is True else _scalar_types(extra_schema)
        extra = None if closed or extra_schema is True or extra_types is not None \
            else self.compile(extra_schema)
        allowed = frozenset(simple) | frozenset(nested)
        if not allowed and not required and extra_types is not None:
            return lambda v: (not only) if type(v) is not dict \
                else set(map(type, v.values())) <= extra_types

        def check(v: Any) -> bool:
            if type(v) is not dict:
                return not only            # else "type" says whether it is allowed
            keys = v.keys()
            if required and not required <= keys:
                return False
            if closed and not keys <= allowed:
                return False
            for key, item in v.items():
                types = simple.get(key)
                if types is not None:
                    if type(item) not in types:
                        return False
                    continue
                sub = nested.get(key)
                if sub is not None:
                    if not sub(item):
                        return False
                elif extra_types is not None:
                    if type(item) not in extra_types:
                        return False
                elif extra is not None and not extra(item):
                    return False
            return True
        return check

    def _array(self, schema: dict[str, Any], only: bool) -> Check | None:
        if "minItems" in schema:
            least = int(schema["minItems"])
            rest = self._array({k: v for k, v in schema.items() if k != "minItems"}, only)
            if rest is None:
                return lambda v: (not only) if type(v) is not list else len(v) >= least
            return lambda v: rest(v) and (type(v) is not list or len(v) >= least)
        if "items" not in schema:
            return None
        types = _scalar_types(schema["items"])
        if types is not None:
            if only:
                return lambda v: type(v) is list and set(map(type, v)) <= types
            return lambda v: type(v) is not list or set(map(type, v)) <= types
        item = self.compile(schema["items"])
        if only:
            return lambda v: type(v) is list and all(map(item, v))
        return lambda v: type(v) is not list or all(map(item, v))

    def _ref(self, schema: dict[str, Any]) -> Check | None:
        ref = schema.get("$ref")
        if ref is None:
            return None
        if not isinstance(ref, str) or not ref.startswith("#/"):
            raise Unsupported(f"$ref {ref!r} (only local refs)")
        if ref not in self.refs:
            self.refs[ref] = lambda v: self.refs[ref](v)     # a cycle resolves later
            target: Any = self.root
            for part in ref[2:].split("/"):
                part = part.replace("~1", "/").replace("~0", "~")
                if not isinstance(target, dict) or part not in target:
                    raise Unsupported(f"$ref {ref!r} does not resolve")
                target = target[part]
            self.refs[ref] = self.compile(target)
        return self.refs[ref]


SCALARS: dict[str, frozenset[type]] = {
    "string": frozenset({str}), "boolean": frozenset({bool}), "null": frozenset({type(None)}),
    "number": frozenset({int, float}),
    "integer": frozenset({int}),   # 1.0 is a JSON integer too: refused here, so the caller's
}                                  # jsonschema, which has the last word, judges it


_TYPE_ONLY = frozenset({"type"}) | IGNORED


def _scalar_types(schema: Any) -> frozenset[type] | None:
    """The Python types a schema that only names scalar types accepts, else None."""
    if not isinstance(schema, dict) or not schema.keys() <= _TYPE_ONLY:
        return None
    kind = schema.get("type")
    if isinstance(kind, str):
        return SCALARS.get(kind)
    if not isinstance(kind, list) or not kind or any(n not in SCALARS for n in kind):
        return None
    return frozenset().union(*(SCALARS[n] for n in kind))


def _all(checks: list[Check]) -> Check:
    """One check that passes when every one of ``checks`` does (no generator per call)."""
    if not checks:
        return lambda _v: True
    if len(checks) == 1:
        return checks[0]
    if len(checks) == 2:
        a, b = checks
        return lambda v: a(v) and b(v)
    first, rest = checks[0], _all(checks[1:])
    return lambda v: first(v) and rest(v)


def shallow(value: Any, limit: int) -> bool:
    """True when ``value`` nests arrays/objects at most ``limit`` levels deep."""
    if type(value) is dict:
        children: Any = value.values()
    elif type(value) is list:
        children = value
    else:
        return True
    if limit <= 0:
        return False
    return all(shallow(c, limit - 1) for c in children if type(c) in (dict, list))


def compile_schema(schema: Mapping[str, Any], root: Mapping[str, Any] | None = None,
                   formats: FormatCheck | None = None, max_depth: int | None = None,
                   strict_integers: bool = False) -> Check:
    """A yes/no check for ``schema`` (its ``$ref``s resolved in ``root``, default itself;
    ``format`` judged by ``formats``; a value the schema leaves open, such as a free-form
    object, may nest at most ``max_depth`` levels; ``strict_integers``: only a JSON number
    without a fraction part or exponent, parsed as ``int``, is an integer); raises
    Unsupported for a keyword it does not know."""
    return Compiler(root if root is not None else schema, formats, max_depth,
                    strict_integers).compile(schema)
