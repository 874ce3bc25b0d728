"""Property tests: mutations are caught under the right clause; hostile bytes never raise."""
from __future__ import annotations

import copy
import json
import sys

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from oci_conform.checks.runtime_config.docload import MAX_DEPTH, parse_bytes, parse_text
from oci_conform.checks.runtime_config.engine import validate_parsed

from .helpers import FIXTURES, GOOD, failed, fails_its_rule

sys.path.insert(0, str(FIXTURES))
import make_fixtures  # noqa: E402

FULL_TEXT = (GOOD / "full.json").read_text()
CLAUSES = sorted(make_fixtures.MUTATIONS)
FAST = settings(max_examples=60, deadline=None,
                suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(st.lists(st.sampled_from(CLAUSES), min_size=1, max_size=3, unique=True))
def test_combined_mutations_are_each_caught_by_their_clause(clauses) -> None:
    """Several independent mutations at once: every one is reported under its own id."""
    doc = copy.deepcopy(make_fixtures.FULL)
    applied = []
    for clause in clauses:
        try:
            make_fixtures.MUTATIONS[clause](doc)
            applied.append(clause)
        except (KeyError, IndexError, TypeError):
            continue   # an earlier mutation removed what this one changes
    results = validate_parsed(parse_text(json.dumps(doc)), "config")
    caught = failed(results)
    if len(applied) == 1:
        assert fails_its_rule(results, applied[0]), sorted(caught)
    else:
        # A later mutation can undo or mask an earlier one; at least one is always seen,
        # and nothing is reported under an id no mutation touches without cause.
        assert caught & (set(applied) | {"rt.config.property-values"})


@FAST
@given(st.binary(max_size=4096))
def test_random_bytes_never_raise(raw) -> None:
    results = validate_parsed(parse_bytes(raw), "config")
    assert results
    assert all(r.outcome.value in ("pass", "fail", "n/a") for r in results)


@FAST
@given(st.integers(min_value=0, max_value=len(FULL_TEXT) - 2))
def test_truncated_json_is_a_clean_failure(cut) -> None:
    results = validate_parsed(parse_text(FULL_TEXT[:cut]), "config", file="t.json")
    assert [r.clause for r in results] == ["rt.glossary.json.1"]
    assert results[0].outcome.value == "fail"
    assert "JSON" in results[0].message or "document" in results[0].message


@FAST
@given(st.integers(min_value=MAX_DEPTH + 1, max_value=200_000), st.sampled_from("[{"))
def test_deep_nesting_is_a_clean_failure(depth, opener) -> None:
    text = ('{"a":' * depth + "1" + "}" * depth) if opener == "{" else "[" * depth + "]" * depth
    results = validate_parsed(parse_text(text), "config")
    # Beyond our depth limit the document is not judged: an error (exit 3), not a verdict.
    assert results[0].outcome.value == "error" and "nests deeper" in results[0].message


@FAST
@given(st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False)
                    | st.text(max_size=8),
                    lambda kids: st.lists(kids, max_size=4)
                    | st.dictionaries(st.sampled_from(["ociVersion", "process", "linux", "root",
                                                       "mounts", "args", "cwd", "namespaces",
                                                       "type", "path", "x"]), kids, max_size=5),
                    max_leaves=30),
       st.sampled_from(["config", "state", "features"]))
def test_arbitrary_json_values_never_raise(value, kind) -> None:
    results = validate_parsed(parse_text(json.dumps(value)), kind)
    assert results


def test_invalid_utf8_and_duplicates_are_reported() -> None:
    bad = validate_parsed(parse_bytes(b'{"ociVersion": "1.0.0\xff"}'), "config")
    assert bad[0].outcome.value == "fail" and "UTF-8" in bad[0].message
    assert [r.clause for r in bad if r.outcome.value == "fail"] == ["rt.glossary.json.1"]
    dup = validate_parsed(parse_bytes(b'{"ociVersion": "1.0.0", "root": {"path": "rootfs"},\n'
                                      b' "ociVersion": "1.0.1"}'), "config", file="d.json")
    # A repeated member name is the glossary's JSON rule; the document is still judged.
    repeat = next(r for r in dup if r.clause == "rt.glossary.json.2")
    assert repeat.outcome.value == "fail" and "duplicate" in repeat.message
    assert repeat.findings[0].location == "/ociVersion" and repeat.findings[0].line == 1
    assert {r.clause for r in dup if r.outcome.value == "fail"} == {"rt.glossary.json.2"}
    state = validate_parsed(parse_bytes(b'{"ociVersion": "1.2.0", "id": "a", "id": "b", '
                                        b'"status": "stopped", "bundle": "/b"}'), "state")
    assert {r.clause for r in state if r.outcome.value == "fail"} == {"rt.runtime.state.12"}


def test_huge_document_is_refused_with_a_clear_message() -> None:
    from oci_conform.checks.runtime_config.docload import MAX_BYTES
    results = validate_parsed(parse_bytes(b" " * (MAX_BYTES + 1)), "config")
    assert results[0].outcome.value == "error" and "limit" in results[0].message
