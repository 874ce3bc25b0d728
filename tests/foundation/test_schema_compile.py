"""The compiled schema check agrees with jsonschema on results documents.

Soundness is what matters: whatever the compiled check accepts, jsonschema accepts too
(a document it refuses goes to jsonschema, which has the last word). Mutations of a real
results document (wrong types, unknown members, missing members, bad values, deep nesting)
are judged by both; an unknown keyword makes the compiler refuse the schema.
"""
from __future__ import annotations

import copy
import json
import random

import pytest

from oci_conform.results_file import (
    MAX_DEPTH,
    _fast_checks,
    document_problems,
    results_validator,
)
from oci_conform.schema_compile import Unsupported, compile_schema
from tests.report.conftest import sample_results

WEIRD = [None, True, False, 0, -1, 1.5, 2.0, "", "x", "SIGINT", [], ["a"], [1], {}, {"a": 1},
         {"argv": ["x"], "exit_code": 1}, "maybe", "pass", "2026-11-29T10:00:00Z"]


def _paths(value, path=()):
    yield path
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _paths(v, (*path, k))
    elif isinstance(value, list):
        for n, v in enumerate(value):
            yield from _paths(v, (*path, n))


def _mutate(doc: dict, rng: random.Random) -> dict:
    doc = copy.deepcopy(doc)
    path = rng.choice(list(_paths(doc))[1:])
    parent = doc
    for part in path[:-1]:
        parent = parent[part]
    last = path[-1]
    action = rng.random()
    if action < 0.6:
        parent[last] = copy.deepcopy(rng.choice(WEIRD))
    elif action < 0.8 and isinstance(parent, dict):
        del parent[last]
    elif isinstance(parent, dict):
        parent[f"extra{rng.randrange(3)}"] = rng.choice(WEIRD)
    else:
        parent.append(copy.deepcopy(rng.choice(WEIRD)))
    return doc


def test_the_results_schema_compiles() -> None:
    assert _fast_checks() is not None


def test_compiled_check_is_sound_against_jsonschema() -> None:
    whole = _fast_checks()[0]
    validator = results_validator()
    doc = json.loads(json.dumps(sample_results().to_dict()))
    assert whole(doc) and validator.is_valid(doc)
    rng = random.Random(20261207)
    refused = accepted = 0
    for _ in range(1500):
        bad = _mutate(doc, rng)
        fast, slow = whole(bad), validator.is_valid(bad)
        assert slow or not fast, json.dumps(bad)[:400]
        refused += not slow
        accepted += slow
        if not fast and slow:                      # the compiled check may only be stricter
            assert document_problems(bad) == [] or "nested" in document_problems(bad)[0]
    assert refused > 500 and accepted > 100        # both kinds were exercised


def test_open_values_are_bounded_in_depth() -> None:
    doc = json.loads(json.dumps(sample_results().to_dict()))
    deep: object = "leaf"
    for _ in range(MAX_DEPTH + 1):
        deep = [deep]
    doc["host"]["nested"] = deep
    assert not _fast_checks()[0](doc)
    assert document_problems(doc) == [
        "/host/nested" + "/0" * (MAX_DEPTH - 2) + ": nested deeper than 64 levels: refused"]


@pytest.mark.parametrize("schema", [{"type": "object", "patternProperties": {}},
                                    {"oneOf": [{"type": "string"}]},
                                    {"enum": [1, 2]},
                                    {"$ref": "https://elsewhere.invalid/s.json"}])
def test_a_keyword_it_does_not_know_is_refused(schema: dict) -> None:
    with pytest.raises(Unsupported):
        compile_schema(schema)


def test_keywords_it_knows() -> None:
    check = compile_schema({
        "type": "object", "required": ["a"], "additionalProperties": False,
        "properties": {"a": {"type": "string", "minLength": 2, "pattern": "^x"},
                       "n": {"type": ["integer", "null"], "minimum": 0},
                       "e": {"enum": ["p", "q"]}, "c": {"const": "k"},
                       "l": {"type": "array", "items": {"$ref": "#/$defs/s"}},
                       "m": {"type": "object", "additionalProperties": {"type": "string"}}},
        "$defs": {"s": {"type": "string"}}})
    assert check({"a": "xy", "n": None, "e": "p", "c": "k", "l": ["s"], "m": {"k": "v"}})
    for bad in ({}, {"a": "x"}, {"a": "yy"}, {"a": "xy", "z": 1}, {"a": "xy", "n": -1},
                {"a": "xy", "n": True}, {"a": "xy", "e": "r"}, {"a": "xy", "c": "j"},
                {"a": "xy", "l": [1]}, {"a": "xy", "m": {"k": 1}}, [], "xy"):
        assert not check(bad), bad
