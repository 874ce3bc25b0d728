"""Every good fixture passes; every bad fixture fails exactly the clause in its name."""
from __future__ import annotations

import pytest

from oci_conform.catalog.loader import default_catalog
from oci_conform.checks.runtime_config.engine import judged_clause_ids

from .helpers import BAD, GOOD, failed, fails_its_rule, judge_file

GOOD_FILES = sorted(GOOD.glob("*.json"))
BAD_FILES = sorted(BAD.glob("*.json"))


def test_fixture_sets_are_there() -> None:
    assert len(GOOD_FILES) >= 7
    assert len(BAD_FILES) >= 250


@pytest.mark.parametrize("path", GOOD_FILES, ids=lambda p: p.name)
def test_good_fixture_fails_nothing(path) -> None:
    results = judge_file(path)
    assert failed(results) == set(), [(r.clause, r.message) for r in results
                                      if r.outcome.value == "fail"]
    assert any(r.outcome.value == "pass" for r in results)


@pytest.mark.parametrize("path", BAD_FILES, ids=lambda p: p.stem)
def test_bad_fixture_fails_exactly_its_clause(path) -> None:
    clause = path.stem
    results = judge_file(path)
    assert fails_its_rule(results, clause), sorted(failed(results))
    bad = next(r for r in results if r.outcome.value == "fail")
    finding = bad.findings[0]
    assert finding.location.startswith("/") and finding.line > 0 and finding.file == str(path)


def test_bad_fixture_names_are_catalog_clauses_the_validator_judges() -> None:
    catalog = default_catalog()
    judged = judged_clause_ids("config")
    for path in BAD_FILES:
        assert path.stem in catalog.clauses, path.name
        assert path.stem in judged, path.name


def test_every_bad_clause_also_passes_somewhere() -> None:
    """The good side of each checked clause: some good fixture examines it and passes."""
    passed: set[str] = set()
    for path in GOOD_FILES:
        passed |= {r.clause for r in judge_file(path) if r.outcome.value == "pass"}
    # Clauses judged only when a discouraged or version-specific thing is present.
    only_bad = {"rt.config-linux.memory.5", "rt.config-linux.memory.6",
                "rt.config-linux.pids.2-pre-1.3",
                "rt.config.linux-process.3-pre-1.1", "rt.config.mounts.4-pre-1.2",
                "rt.config.process.11-pre-1.0.2"}
    missing = {p.stem for p in BAD_FILES} - passed - only_bad
    assert not missing, sorted(missing)


DOC_FIXTURES = [(kind, path) for kind in ("state", "features")
                for path in sorted((GOOD.parent / kind / "bad").glob("*.json"))]


@pytest.mark.parametrize("kind", ["state", "features"])
def test_state_and_features_good_fixtures(kind) -> None:
    for path in sorted((GOOD.parent / kind / "good").glob("*.json")):
        results = judge_file(path, kind)
        assert failed(results) == set() and any(r.outcome.value == "pass" for r in results)


@pytest.mark.parametrize("kind,path", DOC_FIXTURES, ids=lambda v: getattr(v, "stem", v))
def test_state_and_features_bad_fixtures(kind, path) -> None:
    # A state document that breaks any rule also breaks "follows the state schema" (state.12,
    # or its 1.0.x form state.12-pre-1.1, which its own fixture breaks alone).
    extra = {"rt.runtime.state.12"} if kind == "state" and "pre-1.1" not in path.stem else set()
    results = judge_file(path, kind)
    assert fails_its_rule(results, path.stem, kind, extra), sorted(failed(results))


RAW_FILES = sorted((GOOD.parent / "raw").glob("*.json"))


@pytest.mark.parametrize("path", RAW_FILES, ids=lambda p: p.stem)
def test_raw_fixture_fails_its_clause(path) -> None:
    """Bytes that are not UTF-8 break the glossary's encoding rule (and nothing else: the
    bundle rule is about where config.json sits, not what it holds)."""
    results = judge_file(path)
    assert failed(results) == {path.stem}
    bad = next(r for r in results if r.clause == path.stem)
    assert "UTF-8" in bad.message and bad.findings[0].line > 0


def test_raw_fixtures_are_there() -> None:
    assert [p.stem for p in RAW_FILES] == ["rt.glossary.json.1"]
