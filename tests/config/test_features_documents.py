"""The features-documents suite on the real runtimes here, and the features rules it adds."""
from __future__ import annotations

import shutil
import sys

import pytest

from oci_conform.catalog.loader import default_catalog
from oci_conform.suites.base import RunContext
from oci_conform.suites.features_documents import SUITE, NoDocument, run_features

from .helpers import failed, judge_doc


def _run(name: str, command: str, tmp_path) -> dict[str, str]:
    impl = SUITE.parse_implementation(f"{name}={command}")
    ctx = RunContext(catalog=default_catalog(), workdir=tmp_path)
    return {r.clause: r.outcome.value for r in SUITE.run(impl, ctx)}


def test_suite_ids_are_catalog_clauses() -> None:
    assert SUITE.clause_ids() <= set(default_catalog().clauses)
    assert "rt.features-linux.linux-features-seccomp.11" in SUITE.clause_ids()


@pytest.mark.integration
@pytest.mark.skipif(not shutil.which("runc"), reason="runc is not installed")
def test_runc_features_document_has_no_failures(tmp_path) -> None:
    outcomes = _run("runc-features", "runc features", tmp_path)
    assert set(outcomes) == set(SUITE.clause_ids())
    assert "fail" not in outcomes.values() and "error" not in outcomes.values(), outcomes
    assert outcomes["rt.features-linux.linux-features-seccomp.3"] == "pass"
    assert outcomes["rt.features.mount-options.3"] == "pass"


def test_reference_runtime_features_document_has_no_failures(tmp_path) -> None:
    from oci_conform.suites.features_documents import BUILTIN
    outcomes = _run("reference-features", BUILTIN["reference-features"], tmp_path)
    assert "fail" not in outcomes.values() and "error" not in outcomes.values(), outcomes
    assert outcomes["rt.features.specification-version.5"] == "pass"


@pytest.mark.integration
@pytest.mark.skipif(not shutil.which("crun"), reason="crun is not installed")
def test_crun_features_is_judged_or_na_with_reason(tmp_path) -> None:
    impl = SUITE.parse_implementation("crun-features=crun features")
    results = list(SUITE.run(impl, RunContext(catalog=default_catalog(), workdir=tmp_path)))
    values = {r.outcome.value for r in results}
    assert values and "error" not in values and "fail" not in values
    assert "skip" not in values            # skip is for host limits only
    if values == {"n/a"}:     # crun before 1.9 has no features operation: nothing to judge
        assert "no features operation" in results[0].message


def test_a_failing_command_is_an_error_not_a_pass(tmp_path) -> None:
    with pytest.raises(NoDocument) as info:
        run_features(f"{sys.executable} -c 'import sys; sys.exit(3)'", tmp_path)
    assert not info.value.unsupported
    outcomes = _run("broken", f"{sys.executable} -c 'import sys; sys.exit(3)'", tmp_path)
    assert set(outcomes.values()) == {"error"}


def test_printed_garbage_fails_the_document_clause(tmp_path) -> None:
    outcomes = _run("garbage", f"{sys.executable} -c 'print(123)'", tmp_path)
    assert "fail" in outcomes.values()


BASE = {"ociVersionMin": "1.0.0", "ociVersionMax": "1.3.0",
        "mountOptions": ["ro", "acl", "rbind"],
        "linux": {"seccomp": {"knownFlags": ["SECCOMP_FILTER_FLAG_LOG"],
                              "supportedFlags": ["SECCOMP_FILTER_FLAG_LOG"]}}}


def test_filesystem_data_options_are_flagged() -> None:
    assert failed(judge_doc(BASE, "features")) == set()
    for option in ("mode=755", "user_xattr"):
        doc = {**BASE, "mountOptions": ["ro", option]}
        assert failed(judge_doc(doc, "features")) == {"rt.features.mount-options.3"}


def test_supported_flags_must_be_known() -> None:
    doc = {**BASE, "linux": {"seccomp": {"knownFlags": [], "supportedFlags": [
        "SECCOMP_FILTER_FLAG_LOG"]}}}
    assert failed(judge_doc(doc, "features")) == {"rt.features-linux.linux-features-seccomp.11"}
