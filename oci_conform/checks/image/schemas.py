"""Our JSON Schemas for the image-spec media types (schemas/image-*.json), loaded once."""
from __future__ import annotations

import json
from functools import cache, lru_cache
from itertools import islice
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from referencing import Registry, Resource

SCHEMA_DIR = Path(__file__).resolve().parents[2] / "schemas"
BY_MEDIA_TYPE = {
    "application/vnd.oci.descriptor.v1+json": "image-descriptor.json",
    "application/vnd.oci.image.manifest.v1+json": "image-manifest.json",
    "application/vnd.oci.image.index.v1+json": "image-index.json",
    "application/vnd.oci.image.config.v1+json": "image-config.json",
    "application/vnd.oci.layout.header.v1+json": "image-layout.json",
}


@lru_cache(maxsize=1)
def _registry() -> Registry:
    resources = []
    for name in BY_MEDIA_TYPE.values():
        schema = json.loads((SCHEMA_DIR / name).read_text())
        resources.append((schema["$id"], Resource.from_contents(schema)))
    return Registry().with_resources(resources)


@cache
def _validator(name: str) -> Draft202012Validator:
    schema = json.loads((SCHEMA_DIR / name).read_text())
    return Draft202012Validator(schema, registry=_registry())


def schema_errors(media_type: str, doc: Any, limit: int | None = None
                  ) -> list[tuple[str, str]] | None:
    """(JSON pointer, message) for each schema error, or the first ``limit`` of them (the
    rest are never computed: a document with 10,000 bad entries costs what 20 do); None
    when no schema covers the type."""
    name = BY_MEDIA_TYPE.get(media_type)
    if name is None:
        return None
    errors = islice(_validator(name).iter_errors(doc), limit)
    return [("".join(f"/{p}" for p in e.absolute_path), e.message) for e in errors]
