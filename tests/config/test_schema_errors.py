"""The runtime schemas' own checks agree with jsonschema: the compiled yes/no check
(``schema_compile`` with strict integers) and the error listing (``schema_errors``).

The yes/no check decides whether errors are listed at all: a "valid" it gives wrongly would
turn a schema error into passes. The listing decides which clauses fail and where. So both
are held to python-jsonschema's own answer (``Draft202012Validator`` with our integer rule)
on every runtime document of the fixtures and the corpus, and on thousands of mutations of
valid documents (every value of every place swapped for values of other types, ranges and
forms, and every member removed): the same validity, and the same errors (place, keyword,
keyword value, failing value, message; compared as sorted lists, since jsonschema visits the
extra members of an object in a ``set``'s order).
"""
from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from oci_conform.checks.runtime_config import schema
from oci_conform.schema_compile import Unsupported, compile_schema
from oci_conform.schema_errors import iter_errors, json_equal, listable

from .helpers import REPO

KINDS = ("config", "state", "features")
CORPUS = REPO / "fixtures" / "corpus" / "runtime"
REPLACEMENTS: tuple[Any, ...] = (None, True, False, 0, 1, -1, 1.0, 2.5, 2**64, -(2**63) - 1, "",
                                 "x", "1KB", "CAP_X", "MPOL_DEFAULT", [], ["x"], [1], {},
                                 {"": 1}, {"k": "v"})


def jsonschema_valid(kind: str, doc: Any) -> bool:
    return not any(True for _ in schema.validator(kind).iter_errors(doc))


def fast_valid(kind: str, doc: Any) -> bool:
    check = schema._compiled(kind)
    assert check is not None
    return check(doc)


def _key(error: Any) -> tuple[str, ...]:
    return (repr(list(error.absolute_path)), str(error.validator), repr(error.validator_value),
            repr(error.instance), error.message)


def same_errors(kind: str, doc: Any) -> bool:
    """Our listing names exactly jsonschema's errors; returns jsonschema's "valid"."""
    want = sorted(_key(e) for e in schema.validator(kind).iter_errors(doc))
    got = sorted(_key(e) for e in iter_errors(schema.inlined_schema(kind), doc))
    assert got == want, (got[:3], want[:3])
    return not want


def _documents() -> Iterator[tuple[str, Path]]:
    for entry in json.loads((CORPUS / "index.json").read_text()):
        yield entry["kind"], CORPUS / entry["file"]
    for kind, folder in (("config", REPO / "fixtures" / "config"),
                         ("state", REPO / "fixtures" / "config" / "state"),
                         ("features", REPO / "fixtures" / "config" / "features")):
        for sub in ("good", "bad"):
            for path in sorted((folder / sub).glob("*.json")):
                yield kind, path


def _load(path: Path) -> Any:
    try:
        return json.loads(path.read_bytes())
    except ValueError:
        return None


def test_every_runtime_schema_compiles_and_its_errors_are_named_without_jsonschema() -> None:
    for kind in KINDS:
        assert schema._compiled(kind) is not None and schema._listable(kind), kind


def test_an_unknown_keyword_is_refused_by_both() -> None:
    for bad in ({"type": "object", "properties": {"a": {"oneOf": []}}},
                {"items": [{"type": "string"}]}, {"type": "object", "maxProperties": 1}):
        assert not listable(bad)
        with pytest.raises(Unsupported):
            compile_schema(bad, strict_integers=True)
    assert not listable({"$ref": "#/x"}) and not listable({"items": False})
    assert listable({"title": "t", "items": True, "additionalProperties": False})


def test_integers_are_strict_only_when_asked() -> None:
    strict = compile_schema({"type": "integer"}, strict_integers=True)
    loose = compile_schema({"type": "integer"})
    assert strict(3) and not strict(3.0) and not strict(True) and loose(3.0)
    assert [e.validator for e in iter_errors({"type": "integer"}, 3.0)] == ["type"]
    assert not list(iter_errors({"type": "integer"}, 3.0, strict_integers=False))


def test_the_listing_words_errors_as_jsonschema_does() -> None:
    doc = {"a": 1, "b": "", "c": [], "d": -1, "e": 9, "f": "zz", "g": {"": 1}}
    sub = {"type": "object", "required": ["a", "x", "y"],
           "properties": {"a": {"type": ["string", "null"]}, "b": {"minLength": 1},
                          "c": {"minItems": 2}, "d": {"minimum": 0}, "e": {"maximum": 5},
                          "f": {"pattern": "^a", "enum": ["a", "b"]},
                          "g": {"propertyNames": {"minLength": 1}}},
           "additionalProperties": False}
    got = [(e.absolute_path, e.validator, e.message) for e in iter_errors(sub, doc)]
    assert got == [
        ([], "required", "'x' is a required property"),
        ([], "required", "'y' is a required property"),
        (["a"], "type", "1 is not of type 'string', 'null'"),
        (["b"], "minLength", "'' should be non-empty"),
        (["c"], "minItems", "[] is too short"),
        (["d"], "minimum", "-1 is less than the minimum of 0"),
        (["e"], "maximum", "9 is greater than the maximum of 5"),
        (["f"], "pattern", "'zz' does not match '^a'"),
        (["f"], "enum", "'zz' is not one of ['a', 'b']"),
        (["g"], "minLength", "'' should be non-empty")]
    extra = [e.message for e in iter_errors(sub, {**doc, "z": 1, "q": 2})]
    assert "Additional properties are not allowed ('q', 'z' were unexpected)" in extra
    from jsonschema import Draft202012Validator
    for value in (doc, {**doc, "z": 1, "q": 2}, [], "x", None):
        assert sorted(map(_key, iter_errors(sub, value))) == \
            sorted(map(_key, Draft202012Validator(sub).iter_errors(value)))


def test_agreement_on_every_fixture_and_corpus_document() -> None:
    seen = {True: 0, False: 0}
    for kind, path in _documents():
        doc = _load(path)
        if doc is None:
            continue
        want = same_errors(kind, doc)          # also: the same errors as jsonschema
        assert fast_valid(kind, doc) is want, (kind, str(path))
        seen[want] += 1
    assert seen[True] >= 300 and seen[False] >= 100, seen


def _places(doc: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield path
    if isinstance(doc, dict):
        for key, value in doc.items():
            yield from _places(value, (*path, key))
    elif isinstance(doc, list):
        for n, value in enumerate(doc[:3]):
            yield from _places(value, (*path, n))


def _replaced(doc: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    copy = json.loads(json.dumps(doc))
    node = copy
    for step in path[:-1]:
        node = node[step]
    if value is _REMOVE:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return copy


_REMOVE = object()


@pytest.mark.parametrize("kind, name", [("config", "full.json"), ("config", "linux-1.2.json"),
                                        ("config", "windows-hyperv.json"),
                                        ("config", "vm.json"), ("config", "freebsd.json")])
def test_agreement_on_mutations_of_a_valid_document(kind: str, name: str) -> None:
    base = json.loads((REPO / "fixtures" / "config" / "good" / name).read_text())
    assert jsonschema_valid(kind, base)
    checked = disagreements = invalid = 0
    for place in _places(base):
        for value in (*REPLACEMENTS, *([_REMOVE] if place else [])):
            doc = _replaced(base, place, value)
            want = same_errors(kind, doc)
            invalid += not want
            checked += 1
            if fast_valid(kind, doc) is not want:
                disagreements += 1
                pytest.fail(f"{name} {place} = {value!r}: jsonschema says valid={want}")
    assert checked > 150 and invalid > 40 and disagreements == 0


@pytest.mark.parametrize("kind", ["state", "features"])
def test_agreement_on_mutations_of_state_and_features(kind: str) -> None:
    folder = REPO / "fixtures" / "config" / kind / "good"
    bases = [json.loads(p.read_text()) for p in sorted(folder.glob("*.json"))]
    assert bases
    invalid = 0
    for base in bases:
        for place in _places(base):
            for value in (*REPLACEMENTS, *([_REMOVE] if place else [])):
                doc = _replaced(base, place, value)
                want = same_errors(kind, doc)
                invalid += not want
                assert fast_valid(kind, doc) is want, (place, value)
    assert invalid > 20


def test_json_equality_keeps_booleans_apart_from_numbers() -> None:
    assert json_equal(1, 1.0) and not json_equal(True, 1)
    assert not json_equal(0, False) and json_equal([1, "a"], [1.0, "a"])
    assert not json_equal("1", 1) and json_equal({"a": [1]}, {"a": [1.0]})


def _modules_after(argv: list[str]) -> set[str]:
    script = ("import sys, io, contextlib\nfrom oci_conform.cli import main\n"
              "with contextlib.redirect_stdout(io.StringIO()):\n"
              f"    main({argv!r})\n"
              "print('\\n'.join(sorted(sys.modules)))")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=120, check=True)
    return set(done.stdout.split())


def test_configs_valid_or_not_are_judged_without_jsonschema() -> None:
    good = str(REPO / "fixtures" / "config" / "good" / "minimal.json")
    bad = next(str(p) for p in sorted((REPO / "fixtures" / "config" / "bad").glob("*.json"))
               if not jsonschema_valid("config", _load(p)))
    _modules_after(["config", "validate", good])   # a cold catalog cache is written once
    loaded = _modules_after(["config", "validate", good])
    assert "jsonschema" not in loaded
    # nor the orchestrator and what only it needs (provenance comes from its own module)
    assert not {"oci_conform.orchestrate", "tempfile", "platform", "hashlib"} & loaded
    assert "jsonschema" not in _modules_after(["config", "validate", bad])
