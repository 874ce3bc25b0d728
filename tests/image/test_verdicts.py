"""Verdicts people can trust: a wrong type or format fails a MUST that says so; a shape error
lands on the clause it breaks and says what is wrong."""
from __future__ import annotations

import json

import pytest

from oci_conform.catalog.loader import default_catalog
from oci_conform.checks.image.document import validate_document
from tests.image.helpers import FIXTURES

GOOD = FIXTURES / "documents" / "good"


def _judge(doc, kind: str, version: str = "1.1.1"):
    report, _ = validate_document(json.dumps(doc).encode(), "d.json", version, kind)
    return [r for r in report.outcomes("d", (), "doc", version=version)
            if r.outcome.value == "fail"]


def _config(**changes):
    doc = json.loads((GOOD / "config.json").read_text())
    for key, value in changes.items():
        if key.startswith("config."):
            doc["config"][key[7:]] = value
        else:
            doc[key] = value
    return doc


@pytest.mark.parametrize("changes, clause", [
    ({"variant": 123}, "image.config.property-types"),
    ({"config.User": 1234}, "image.config.property-types"),
    ({"config.Env": ["foo"]}, "image.config.property-formats"),
    ({"config.User": "a:b:c"}, "image.config.property-formats"),
    ({"created": "yesterday"}, "image.config.property-formats"),
    ({"config.ExposedPorts": {"eighty/tcp": {}}}, "image.config.property-formats"),
    ({"author": ["me"]}, "image.config.property-types"),
    ({"config.Memory": "1g"}, "image.config.property-types"),
])
def test_a_bad_value_fails_a_must_of_the_config_never_the_may(changes, clause):
    failed = _judge(_config(**changes), "config")
    catalog = default_catalog()
    assert [r.clause for r in failed] == [clause], [(r.clause, r.message) for r in failed]
    assert catalog.clauses[clause].level.value == "MUST"


@pytest.mark.parametrize("kind, doc, clause", [
    ("manifest", [1, 2], "image.manifest.json-object"),
    ("index", "text", "image.image-index.json-object"),
    ("config", 5, "image.config.json-object"),
    ("descriptor", None, "image.descriptor.json-object"),
])
def test_a_document_that_is_not_an_object_fails_only_that(kind, doc, clause):
    failed = _judge(doc, kind)
    assert [r.clause for r in failed] == [clause]
    assert "must be a JSON object" in failed[0].message


def test_an_os_of_the_wrong_type_is_not_reported_missing():
    failed = _judge(_config(os=7), "config")
    assert [r.clause for r in failed] == ["image.config.property-types"]
    assert "os must be a string, not integer" in failed[0].message
    index = json.loads((GOOD / "index.json").read_text())
    index["manifests"][0]["platform"]["os"] = ["linux"]
    failed = _judge(index, "index")
    assert [r.clause for r in failed] == ["image.image-index.property-types"]
    assert "required" not in failed[0].message and "not array" in failed[0].message


def test_a_missing_os_is_reported_missing():
    doc = _config()
    del doc["os"]
    failed = _judge(doc, "config")
    assert [(r.clause, r.message) for r in failed] == [("image.config.properties.6",
                                                        "os is missing")]


def test_a_field_newer_than_the_declared_version_is_judged_by_its_own_version():
    """variant (since 1.1.0) in a config judged as 1.0.2: its rules are judged as 1.1.0 defines
    them (kept, marked beyond the claim), plus a separate finding on the declared version."""
    doc = _config(variant="v9", architecture="arm64")
    report, _ = validate_document(json.dumps(doc).encode(), "c.json", "1.0.2", "config")
    results = {r.clause: r for r in report.outcomes("c", (), "doc", version="1.0.2")}
    assert results["image.config.properties.14"].outcome.value == "pass"
    assert results["image.config.properties.14"].beyond_claim
    assert results["image.config.properties.15"].outcome.value == "pass"
    too_old = results["image.spec.declared-version"]
    assert too_old.outcome.value == "fail" and "too old" in too_old.message
    bad = _config(variant="v99", architecture="arm64")
    report, _ = validate_document(json.dumps(bad).encode(), "c.json", "1.0.2", "config")
    results = {r.clause: r for r in report.outcomes("c", (), "doc", version="1.0.2")}
    assert results["image.config.properties.15"].outcome.value == "fail"
    # judged as 1.1.1 the same field is simply in force
    report, _ = validate_document(json.dumps(doc).encode(), "c.json", "1.1.1", "config")
    results = {r.clause: r for r in report.outcomes("c", (), "doc", version="1.1.1")}
    assert results["image.spec.declared-version"].outcome.value == "pass"
    assert not results["image.config.properties.14"].beyond_claim


def test_an_artifact_type_judged_as_1_0_2_keeps_its_rule_and_flags_the_version():
    doc = json.loads((GOOD / "manifest.json").read_text())
    doc["artifactType"] = "not a type"
    report, _ = validate_document(json.dumps(doc).encode(), "m.json", "1.0.2", "manifest")
    results = {r.clause: r for r in report.outcomes("m", (), "doc", version="1.0.2")}
    rule = results["image.manifest.image-manifest-property-descriptions.7"]
    assert rule.outcome.value == "fail" and rule.beyond_claim
    assert results["image.spec.declared-version"].outcome.value == "fail"


def test_a_present_layers_array_passes_its_presence_rule():
    doc = json.loads((GOOD / "manifest.json").read_text())
    report, _ = validate_document(json.dumps(doc).encode(), "m.json", "1.1.1", "manifest")
    results = {r.clause: r for r in report.outcomes("m", (), "doc", version="1.1.1")}
    assert results["image.manifest.image-manifest-property-descriptions.16"].outcome.value \
        == "pass"


def test_a_layout_missing_a_referenced_blob_is_valid_and_says_so():
    """A layout may lack referenced blobs (readers fetch them from an external store): the
    rule about that binds readers, so the image is not failed; the row says what is missing."""
    from tests.image.helpers import validate
    results = validate(FIXTURES / "good" / "oci-layer-blob-missing")
    assert not [r for r in results if r.outcome.value in ("fail", "error")]
    row = next(r for r in results if r.clause == "image.image-layout.blobs.4")
    assert row.outcome.value == "n/a" and "not in the layout" in row.message
