"""The registry-clients suite: real clients give judged outcomes; a FAKE client (a script of
raw HTTP requests, tests/registry_clients/fake_client.py) that breaks one client rule fails
exactly that clause, and the same fake without the break fails none."""
from __future__ import annotations

import shlex
import sys
from pathlib import Path

import pytest

from oci_conform.catalog.loader import default_catalog
from oci_conform.drivers.registry_clients import CLIENTS, locate
from oci_conform.model.outcome import Outcome
from oci_conform.model.results import CaseResult
from oci_conform.suites.base import RunContext, Selection
from oci_conform.suites.registry_clients import SUITE, declarations
from oci_conform.suites.registry_clients.judge import JUDGES

FAKE = Path(__file__).with_name("fake_client.py")
JUDGED = {Outcome.PASS, Outcome.FAIL}


def run_suite(spec: str, tmp_path: Path, clauses: tuple[str, ...] = ()) -> list[CaseResult]:
    impl = SUITE.parse_implementation(spec)
    ctx = RunContext(catalog=default_catalog(), workdir=tmp_path,
                     selection=Selection(clauses=clauses))
    return list(SUITE.run(impl, ctx))


def fake(broken: str = "") -> str:
    command = shlex.join([sys.executable, str(FAKE), *(["--break", broken] if broken else [])])
    return f"fake=script:{command}"


@pytest.fixture(scope="module")
def honest(tmp_path_factory: pytest.TempPathFactory) -> list[CaseResult]:
    return run_suite(fake(), tmp_path_factory.mktemp("honest"))


def test_the_honest_fake_client_breaks_no_rule(honest: list[CaseResult]) -> None:
    by_outcome = {o: sorted(r.clause for r in honest if r.outcome is o) for o in Outcome}
    assert not by_outcome[Outcome.FAIL] and not by_outcome[Outcome.ERROR], by_outcome
    assert {r.clause for r in honest} == {c for _, cs in JUDGES for c in cs}
    # every judge that has a step for this client observed something real
    assert len(by_outcome[Outcome.PASS]) >= 25, by_outcome


@pytest.mark.parametrize("broken, clause", [
    ("content-type-params", "dist.spec.pushing-manifests.2"),
    ("no-blob-digest-check", "dist.spec.pulling-blobs.5"),
    ("duplicate-referrers", "dist.spec.pushing-manifests-with-subject.5"),
    ("small-chunks", "dist.spec.pushing-a-blob-in-chunks.6"),
])
def test_a_fake_client_breaking_one_rule_fails_exactly_that_clause(
        tmp_path: Path, honest: list[CaseResult], broken: str, clause: str) -> None:
    results = run_suite(fake(broken), tmp_path)
    failed = {r.clause for r in results if r.outcome is Outcome.FAIL}
    assert failed == {clause}, [(r.clause, r.message) for r in results
                                if r.outcome is not Outcome.PASS]
    bad = next(r for r in results if r.clause == clause)
    assert bad.findings and bad.evidence.exchanges and bad.evidence.runs
    # the rest is judged as for the honest client
    same = {r.clause: r.outcome for r in honest if r.clause != clause}
    assert {r.clause: r.outcome for r in results if r.clause != clause} == same
    # nothing of the column is left: registries, recordings, the client's own folders
    assert not [p for p in (tmp_path / "registry-clients").rglob("*") if p.is_file()]


@pytest.mark.integration
@pytest.mark.parametrize("kind", CLIENTS)
def test_each_client_column_gives_judged_outcomes(tmp_path: Path, kind: str) -> None:
    _, _, reason = locate(kind)
    if reason:
        pytest.skip(reason)
    results = run_suite(kind, tmp_path, ("dist.spec.pulling-manifests.5",
                                         "dist.spec.pushing-manifests.1"))
    outcomes = {r.clause: r.outcome for r in results}
    assert set(outcomes) == {"dist.spec.pulling-manifests.5", "dist.spec.pushing-manifests.1"}
    assert JUDGED & set(outcomes.values()), [(r.clause, r.outcome, r.message) for r in results]
    assert not any(o is Outcome.ERROR for o in outcomes.values()), results


def test_declarations_cover_the_judges_and_name_real_code() -> None:
    decls = declarations()
    assert [d.name for d in decls] == [f"client:{name}" for name, _ in JUDGES]
    catalog = default_catalog()
    for d in decls:
        for cid in d.clauses:
            clause = catalog.clauses[cid]
            assert clause.binds == "client" and not clause.untestable, cid


def test_implementations_parse_with_one_line_errors() -> None:
    assert SUITE.parse_implementation("skopeo").name == "skopeo"
    assert SUITE.parse_implementation("mine=script:./c").command == "script:./c"
    with pytest.raises(ValueError, match="unknown registry client 'curl'"):
        SUITE.parse_implementation("curl")
    with pytest.raises(ValueError, match="script: wants a command"):
        SUITE.parse_implementation("x=script:")


def test_a_missing_client_is_a_column_of_skips_with_the_reason() -> None:
    from oci_conform.model.results import Implementation
    from oci_conform.orchestrate import RunRequest, SuiteRequest, execute
    missing = Implementation("ctr", "registry-client", command="ctr:", available=False,
                             reason="ctr is not installed")
    results = execute(RunRequest((SuiteRequest(SUITE, (missing,)),)), default_catalog(),
                      lambda _m: None)
    cells = [r for r in results.results if r.implementation == "ctr"]
    assert {r.clause for r in cells} == {c for _, cs in JUDGES for c in cs}
    assert {(r.outcome, r.message) for r in cells} == {(Outcome.SKIP, "ctr is not installed")}


def test_the_registry_password_never_reaches_the_results(honest: list[CaseResult]) -> None:
    import json
    text = json.dumps([r.to_dict() for r in honest])
    assert "--password" in text and "<redacted>" in text
    argv = next(run.argv for r in honest for run in r.evidence.runs if "--password" in run.argv)
    assert argv[argv.index("--password") + 1] == "<redacted>"


def test_the_oras_expectations_name_judged_clauses_with_a_reason_and_link() -> None:
    from oci_conform.model.expectations import parse_expectations
    path = Path(__file__).resolve().parents[2] / "expectations" / "oras-py-0.2.43.json"
    entries = parse_expectations(path.read_text(), str(path))
    judged = {c for _, cs in JUDGES for c in cs}
    assert entries and all(e.clause in judged and e.reason and e.link.startswith("https://")
                           and e.implementation == "oras" for e in entries)
    _, version, reason = locate("oras")
    if not reason:
        assert all(e.matches(e.clause, "oras", version, e.case) for e in entries)
