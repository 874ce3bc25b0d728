"""Validate state and features documents with the project's runtime JSON Schemas."""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from referencing import Registry, Resource

SCHEMA_DIR = Path(__file__).resolve().parents[2] / "schemas"


@lru_cache(maxsize=1)
def _registry() -> Registry | None:
    resources = []
    for path in SCHEMA_DIR.glob("runtime-*.schema.json"):
        try:
            doc = json.loads(path.read_text())
        except (OSError, json.JSONDecodeError):
            continue
        if "$id" in doc:
            resources.append((doc["$id"], Resource.from_contents(doc)))
    return Registry().with_resources(resources) if resources else None


def validate(document: Any, name: str) -> list[str] | None:
    """Problems of ``document`` against ``runtime-<name>.schema.json`` (None: no schema)."""
    path = SCHEMA_DIR / f"runtime-{name}.schema.json"
    registry = _registry()
    if registry is None or not path.exists():
        return None
    try:
        schema = json.loads(path.read_text())
        validator = Draft202012Validator(schema, registry=registry)
        return [f"{'/' + '/'.join(map(str, e.absolute_path))}: {e.message}"[:300]
                for e in validator.iter_errors(document)]
    except Exception as exc:  # a broken schema is reported, not raised
        return [f"schema {path.name} unusable: {exc}"]
