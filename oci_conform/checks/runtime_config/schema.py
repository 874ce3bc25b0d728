"""Validate a document against our runtime-spec JSON Schemas, offline, and file each
error under the clause it expresses (see ``clausemap``).

Schemas are loaded once per process from ``oci_conform/schemas`` into a
``referencing`` registry; nothing is fetched. Integers are strict: ``1.0`` is not
an integer here, because the runtimes' JSON decoders reject it for integer fields.
"""
from __future__ import annotations

import json
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

from oci_conform.checks.runtime_config.clausemap import ClauseMap
from oci_conform.checks.runtime_config.context import Ctx
from oci_conform.checks.runtime_config.pointer import join
from oci_conform.model.judging import Observation, failed, plain_passes
from oci_conform.schema_compile import Check, Unsupported, compile_schema

SCHEMA_DIR = Path(__file__).resolve().parents[2] / "schemas"
BASE = "https://oci-conform.invalid/schemas/"
SCHEMA_FILES = {"config": "runtime-config.schema.json", "state": "runtime-state.schema.json",
                "features": "runtime-features.schema.json"}
DEFS_FILE = "runtime-defs.schema.json"
_TYPE_NAMES = {dict: "object", list: "array", str: "string", bool: "boolean", int: "integer",
               float: "number", type(None): "null"}


def load_schema(name: str) -> dict[str, Any]:
    return json.loads((SCHEMA_DIR / name).read_text(encoding="utf-8"))


def inline_refs(node: Any, defs: dict[str, Any]) -> Any:
    """``node`` with every ``$ref`` into the shared definitions replaced by its target.

    Our schemas have no recursive definitions, so the result is finite; validating
    it skips reference resolution, which is most of jsonschema's time on a config.
    """
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith(BASE + DEFS_FILE + "#/$defs/"):
            target = inline_refs(defs[ref.rsplit("/", 1)[1]], defs)
            rest = {k: inline_refs(v, defs) for k, v in node.items() if k != "$ref"}
            return {**target, **rest} if rest else target
        return {k: inline_refs(v, defs) for k, v in node.items()}
    if isinstance(node, list):
        return [inline_refs(v, defs) for v in node]
    return node


@cache
def inlined_schema(kind: str) -> dict[str, Any]:
    """The schema of ``kind`` (config, state, features) with the shared definitions inlined."""
    defs = load_schema(DEFS_FILE)["$defs"]
    local = {f"#/$defs/{name}": f"{BASE}{DEFS_FILE}#/$defs/{name}" for name in defs}
    defs = {name: _absolute(d, local) for name, d in defs.items()}
    return inline_refs(load_schema(SCHEMA_FILES[kind]), defs)  # type: ignore[no-any-return]


@cache
def validator(kind: str) -> Any:
    """A Draft 2020-12 validator for ``kind`` (config, state, features), built offline."""
    from jsonschema import Draft202012Validator, validators

    def strict_int(_checker: Any, value: Any) -> bool:
        return isinstance(value, int) and not isinstance(value, bool)

    checker = Draft202012Validator.TYPE_CHECKER.redefine("integer", strict_int)
    cls = validators.extend(Draft202012Validator, type_checker=checker)
    return cls(inlined_schema(kind))


@cache
def _compiled(kind: str) -> Check | None:
    """The compiled yes/no check of ``kind``'s schema, or None when it uses a keyword the
    compiler does not know."""
    try:
        return compile_schema(inlined_schema(kind), strict_integers=True)
    except Unsupported:
        return None


@cache
def _listable(kind: str) -> bool:
    """Whether ``schema_errors`` can name the errors of ``kind``'s schema itself (asked only
    when a document is invalid)."""
    from oci_conform.schema_errors import listable
    return listable(inlined_schema(kind))


def schema_errors(kind: str, doc: Any) -> Iterator[Any]:
    """The schema errors of ``doc``, as jsonschema's ``iter_errors`` gives them: none after
    one compiled yes/no pass for a valid document (the usual case); our own listing of the
    same keywords for an invalid one; jsonschema only for a schema outside that subset."""
    check = _compiled(kind)
    if check is not None and check(doc):
        return iter(())
    if _listable(kind):
        from oci_conform.schema_errors import iter_errors  # only for an invalid document
        return iter_errors(inlined_schema(kind), doc, strict_integers=True)
    return validator(kind).iter_errors(doc)  # type: ignore[no-any-return]


def _absolute(node: Any, local: dict[str, str]) -> Any:
    """Turn the definitions file's own ``#/$defs/x`` references into absolute ones."""
    if isinstance(node, dict):
        return {k: (local.get(v, v) if k == "$ref" else _absolute(v, local))
                for k, v in node.items()}
    if isinstance(node, list):
        return [_absolute(v, local) for v in node]
    return node


def show(value: Any, limit: int = 120) -> str:
    """A short, one-line rendering of a JSON value for a finding."""
    if isinstance(value, str):
        return value if len(value) <= limit else value[: limit - 1] + "…"
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def type_name(value: Any) -> str:
    return _TYPE_NAMES.get(type(value), type(value).__name__)


def _describe(error: Any) -> tuple[str, str, str]:
    """(message, expected, actual) for one schema error, in short words."""
    kw, want, got = error.validator, error.validator_value, error.instance
    if kw == "type":
        return (f"must be of type {want}", str(want), f"{type_name(got)} {show(got, 60)}")
    if kw == "enum":
        return ("is not one of the allowed values", ", ".join(map(str, want)), show(got))
    if kw in ("minimum", "maximum"):
        word = "at least" if kw == "minimum" else "at most"
        return (f"must be {word} {want}", f"{word} {want}", show(got))
    if kw == "pattern":
        return ("does not have the required form", f"matching {want}", show(got))
    if kw == "minItems":
        return (f"must hold at least {want} item(s)", f">= {want} items", f"{len(got)} items")
    if kw == "minLength":
        return ("must not be empty", "a non-empty string", show(got))
    if kw == "propertyNames":
        return ("object keys must not be empty", "non-empty keys", show(list(got)))
    return (error.message[:200], "", "")


def _missing(error: Any) -> list[str]:
    inst = error.instance if isinstance(error.instance, dict) else {}
    return [name for name in error.validator_value if name not in inst]


VALUE_KEYWORDS = frozenset(("type", "enum", "const", "pattern", "format", "minimum", "maximum",
                            "exclusiveMinimum", "exclusiveMaximum", "minLength", "maxLength",
                            "minItems", "maxItems", "uniqueItems", "propertyNames",
                            "additionalProperties"))


def values_clause(kind: str) -> str:
    """The MUST a document breaks when a field it carries has a wrong type or value."""
    if kind == "state":
        return "rt.runtime.state.property-values"
    if kind == "features":
        return "rt.features.property-values"
    return "rt.config.property-values"


def schema_observations(kind: str, doc: Any, cmap: ClauseMap,
                        optional: frozenset[str] = frozenset()) -> Iterator[Observation]:
    """One failing observation per schema error, then a passing one per examined value.

    A type, format, pattern or value-list error is filed under the clause of its place when
    that clause is a MUST; when it is only a MAY or SHOULD (``optional``: "this field may be
    set"), under the document's MUST on field values, the finding naming the field's clause.
    """
    seen: set[tuple[str, str]] = set()
    for error in schema_errors(kind, doc):
        tokens = [str(t) for t in error.absolute_path]
        here = join("", *tokens)
        if error.validator == "required":
            for name in _missing(error):
                if (here, name) in seen:
                    continue
                seen.add((here, name))
                yield failed(cmap.clause_for(tokens + [name], "required"),
                             f"required member {name!r} is missing", location=join(here, name),
                             expected=f"member {name!r}", actual="absent")
            continue
        message, expected, actual = _describe(error)
        clause = cmap.clause_for(tokens, error.validator)
        if error.validator in VALUE_KEYWORDS and clause in optional:
            clause, message = values_clause(kind), f"{message} (the value rule of {clause})"
        yield failed(clause, message, location=here, expected=expected, actual=actual)
    yield from plain_passes([clause for clause, _pointer in cmap.present(doc)])


@cache
def clause_map(kind: str) -> ClauseMap:
    from oci_conform.checks.runtime_config import clausemap as cm
    rows, fallback = {"config": (cm.CONFIG_ROWS, cm.CONFIG_FALLBACK),
                      "state": (cm.STATE_ROWS, cm.STATE_FALLBACK),
                      "features": (cm.FEATURES_ROWS, cm.FEATURES_FALLBACK)}[kind]
    return ClauseMap(rows, fallback)


def config_schema(doc: Any, ctx: Ctx) -> Iterator[Observation]:
    """The schema rules of config.json, each error under the clause of its place."""
    return schema_observations("config", doc, clause_map("config"), ctx.optional)


def state_schema(doc: Any, ctx: Ctx) -> Iterator[Observation]:
    """The schema rules of the state document."""
    return schema_observations("state", doc, clause_map("state"), ctx.optional)


def features_schema(doc: Any, ctx: Ctx) -> Iterator[Observation]:
    """The schema rules of the features document."""
    return schema_observations("features", doc, clause_map("features"), ctx.optional)
