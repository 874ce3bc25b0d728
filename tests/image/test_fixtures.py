"""Every committed fixture: good ones pass, each bad one fails exactly its named clause."""
from __future__ import annotations

import pytest

from oci_conform.checks.image.document import validate_document
from tests.image.helpers import FIXTURES, explain, outcome_sets, validate

GOOD = sorted((FIXTURES / "good").iterdir())
BAD = sorted((FIXTURES / "bad").iterdir())
DOC_GOOD = sorted((FIXTURES / "documents" / "good").glob("*.json"))
DOC_BAD = sorted((FIXTURES / "documents" / "bad").glob("*.json"))


@pytest.mark.parametrize("path", GOOD, ids=lambda p: p.name)
def test_good_image_has_no_failure(path):
    results = validate(path)
    failed, errors = outcome_sets(results)
    assert not failed and not errors, explain(results)
    assert sum(r.outcome.value == "pass" for r in results) >= 5


@pytest.mark.parametrize("path", BAD, ids=lambda p: p.name)
def test_bad_image_fails_exactly_its_clause(path):
    clause = path.name.split("--")[0]
    results = validate(path)
    failed, errors = outcome_sets(results)
    assert failed == {clause}, explain(results)
    assert not errors, errors
    bad = next(r for r in results if r.clause == clause)
    assert bad.findings and bad.findings[0].location, "a failure names its place"


def _doc(path, version="1.1.1"):
    report, kind = validate_document(path.read_bytes(), path.name, version)
    results = report.outcomes(path.name, (), "doc", version=version)
    return results, kind


@pytest.mark.parametrize("path", DOC_GOOD, ids=lambda p: p.name)
def test_good_document_passes(path):
    results, kind = _doc(path)
    failed, errors = outcome_sets(results)
    assert kind and not failed and not errors, explain(results)


@pytest.mark.parametrize("path", DOC_BAD, ids=lambda p: p.name)
def test_bad_document_fails_exactly_its_clause(path):
    parts = path.stem.split("--")
    version = "main" if parts[0] == "main" else "1.1.1"
    clause = parts[1] if parts[0] == "main" else parts[0]
    results, _ = _doc(path, version)
    failed, errors = outcome_sets(results)
    assert failed == {clause}, explain(results)
    assert not errors
    finding = next(r for r in results if r.clause == clause).findings[0]
    assert finding.file == path.name


def test_main_only_rule_is_na_under_1_1_1():
    path = next(p for p in DOC_BAD if "no-duplicate-names" in p.name)
    results, _ = _doc(path, "1.1.1")
    dup = next(r for r in results if r.clause == "image.considerations.json.no-duplicate-names")
    assert dup.outcome.value == "n/a" and "would be fail" in dup.message


def test_every_outcome_clause_is_declared_judged():
    from oci_conform.checks.image import declarations
    declared = {c for d in declarations() for c in d.clauses}
    seen = set()
    for path in GOOD + BAD:
        seen |= {r.clause for r in validate(path)}
    for path in DOC_GOOD + DOC_BAD:
        seen |= {r.clause for r in _doc(path, "main")[0]}
    assert seen <= declared, sorted(seen - declared)
