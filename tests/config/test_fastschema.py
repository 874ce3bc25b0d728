"""The quick yes/no schema check (checks/runtime_config/fastschema.py) agrees with jsonschema.

It decides whether jsonschema is asked at all: a "valid" it gives wrongly would turn a schema
error into passes. So it is held to jsonschema's own answer on every runtime document of the
fixtures and the corpus, and on thousands of mutations of valid documents (every value of
every place swapped for values of other types, ranges and forms, and every member removed).
"""
from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from oci_conform.checks.runtime_config import fastschema, schema

from .helpers import REPO

KINDS = ("config", "state", "features")
CORPUS = REPO / "fixtures" / "corpus" / "runtime"
REPLACEMENTS: tuple[Any, ...] = (None, True, False, 0, 1, -1, 1.0, 2.5, 2**64, -(2**63) - 1, "",
                                 "x", "1KB", "CAP_X", "MPOL_DEFAULT", [], ["x"], [1], {},
                                 {"": 1}, {"k": "v"})


def jsonschema_valid(kind: str, doc: Any) -> bool:
    return not any(True for _ in schema.validator(kind).iter_errors(doc))


def fast_valid(kind: str, doc: Any) -> bool:
    return fastschema.is_valid(schema.inlined_schema(kind), doc)


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


def test_every_runtime_schema_is_judged_by_the_quick_check() -> None:
    for kind in KINDS:
        assert fastschema.supported(schema.inlined_schema(kind)), kind


def test_an_unknown_keyword_is_not_supported() -> None:
    assert not fastschema.supported({"type": "object", "properties": {"a": {"oneOf": []}}})
    assert not fastschema.supported({"items": [{"type": "string"}]})
    assert not fastschema.supported({"$ref": "#/x"})
    assert fastschema.supported({"title": "t", "items": True, "additionalProperties": False})


def test_agreement_on_every_fixture_and_corpus_document() -> None:
    seen = {True: 0, False: 0}
    for kind, path in _documents():
        doc = _load(path)
        if doc is None:
            continue
        want = jsonschema_valid(kind, doc)
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
            want = jsonschema_valid(kind, doc)
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
                want = jsonschema_valid(kind, doc)
                invalid += not want
                assert fast_valid(kind, doc) is want, (place, value)
    assert invalid > 20


def test_json_equality_keeps_booleans_apart_from_numbers() -> None:
    assert fastschema.json_equal(1, 1.0) and not fastschema.json_equal(True, 1)
    assert not fastschema.json_equal(0, False) and fastschema.json_equal([1, "a"], [1.0, "a"])
    assert not fastschema.json_equal("1", 1) and fastschema.json_equal({"a": [1]}, {"a": [1.0]})


def _modules_after(argv: list[str]) -> set[str]:
    script = ("import sys, io, contextlib\nfrom oci_conform.cli import main\n"
              "with contextlib.redirect_stdout(io.StringIO()):\n"
              f"    main({argv!r})\n"
              "print('\\n'.join(sorted(sys.modules)))")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=120, check=True)
    return set(done.stdout.split())


def test_a_valid_config_is_judged_without_jsonschema_and_a_bad_one_with_it() -> None:
    good = str(REPO / "fixtures" / "config" / "good" / "minimal.json")
    bad = next(str(p) for p in sorted((REPO / "fixtures" / "config" / "bad").glob("*.json"))
               if not jsonschema_valid("config", _load(p)))
    assert "jsonschema" not in _modules_after(["config", "validate", good])
    assert "jsonschema" in _modules_after(["config", "validate", bad])
