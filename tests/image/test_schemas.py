"""Our image JSON Schemas accept the good documents and reject what they can express."""
from __future__ import annotations

import json

import pytest
from jsonschema import Draft202012Validator

from oci_conform.checks.image.document import guess_kind
from oci_conform.checks.image.schemas import BY_MEDIA_TYPE, SCHEMA_DIR, schema_errors
from tests.image.helpers import FIXTURES


@pytest.mark.parametrize("name", sorted(set(BY_MEDIA_TYPE.values())))
def test_schema_is_valid(name):
    Draft202012Validator.check_schema(json.loads((SCHEMA_DIR / name).read_text()))


@pytest.mark.parametrize("path", sorted((FIXTURES / "documents" / "good").glob("*.json")),
                         ids=lambda p: p.name)
def test_good_documents_meet_the_schema(path):
    doc = json.loads(path.read_text())
    errors = schema_errors(guess_kind(doc), doc)
    assert not errors, errors


@pytest.mark.parametrize("stem", [
    "image.descriptor.sha-256.2--short-hex", "image.descriptor.property-types--size-string",
    "image.manifest.image-manifest-property-descriptions.9--no-config",
    "image.manifest.image-manifest-property-descriptions.6--empty-config-no-artifact-type",
    "image.image-index.property-descriptions.9--no-manifests",
    "image.config.properties.6--no-os", "image.config.properties.34--no-rootfs",
    "image.descriptor.properties.2--media-type-grammar"])
def test_bad_documents_fail_the_schema(stem):
    doc = json.loads((FIXTURES / "documents" / "bad" / f"{stem}.json").read_text())
    assert schema_errors(guess_kind(doc), doc)


def test_real_layout_documents_meet_the_schema():
    root = FIXTURES / "good" / "oci-multi"
    for blob in (root / "blobs" / "sha256").iterdir():
        data = blob.read_bytes()
        if data[:1] != b"{":
            continue
        doc = json.loads(data)
        assert not schema_errors(guess_kind(doc), doc), blob.name
