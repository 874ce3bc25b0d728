"""A broken runtime must not break the harness: fakes that hang, crash, lie and leak.

The fakes live in fixtures/fake-runtimes/ (named fakes).  ``fake-liar`` and
``fake-leaky`` call runc underneath, so these tests are integration tests.  The bound on
time is the pytest timeout of each test, not a wall-clock assertion.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from oci_conform.catalog.loader import default_catalog
from oci_conform.model.outcome import Outcome
from oci_conform.model.results import CaseResult
from oci_conform.suites.base import RunContext, RuntimeOptions, Selection
from oci_conform.suites.runtime import SUITE, parse_runtime
from oci_conform.suites.runtime.sandbox import processes_under

FAKES = Path(__file__).resolve().parents[2] / "fixtures" / "fake-runtimes"
pytestmark = pytest.mark.integration


def run_fake(name: str, selection: Selection, timeout: float = 2.0
             ) -> tuple[list[CaseResult], Path]:
    work = Path(tempfile.mkdtemp(prefix="oc-fake-"))
    ctx = RunContext(catalog=default_catalog(), workdir=work, selection=selection, jobs=2,
                     runtime=RuntimeOptions(timeout=timeout))
    impl = parse_runtime(f"{name}={FAKES / name}")
    try:
        results = list(SUITE.run(impl, ctx))
        leftovers = processes_under(work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    assert not leftovers, f"processes left under the run folder: {leftovers}"
    return results, work


def by_clause(results: list[CaseResult]) -> dict[str, list[CaseResult]]:
    out: dict[str, list[CaseResult]] = {}
    for r in results:
        out.setdefault(r.clause, []).append(r)
    return out


@pytest.mark.timeout(180)
def test_hanging_runtime_gives_errors_and_finishes() -> None:
    results, work = run_fake("fake-hang", Selection(groups=("state",),
                                                    text="unknown-id"))
    judged = [r for r in results if not r.clause.startswith("harness.")]
    assert judged and all(r.outcome is Outcome.ERROR for r in judged), \
        [(r.clause, r.outcome) for r in judged]
    assert all("timed out" in r.message for r in judged)
    ev = judged[0].evidence.runs
    assert any(i.timed_out for i in ev)
    assert not work.exists()


@pytest.mark.timeout(180)
def test_crashing_runtime_never_passes() -> None:
    results, _ = run_fake("fake-crash", Selection(groups=("state",)))
    judged = [r for r in results if not r.clause.startswith("harness.")]
    assert judged
    assert not [r for r in judged if r.outcome is Outcome.PASS], "a crash judged as pass"
    assert {Outcome.ERROR, Outcome.FAIL} & {r.outcome for r in judged}
    crash = [r for r in judged if "crashed" in r.message]
    assert crash, "error cases must say the runtime crashed rather than reported an error"


@pytest.mark.timeout(300)
def test_lying_state_fails_the_state_clauses_with_evidence() -> None:
    if shutil.which("runc") is None:
        pytest.skip("runc is not installed")
    results, _ = run_fake("fake-liar", Selection(text="state-document-created"))
    cl = by_clause(results)
    for cid in ("rt.runtime.state.2", "rt.runtime.state.8"):
        r = cl[cid][0]
        assert r.outcome is Outcome.FAIL, (cid, r.outcome, r.message)
        assert r.findings and r.evidence.facts.get("state", {}).get("id") == "not-the-id"
        assert r.evidence.runs
    assert cl["harness.runtime.leak-state"][0].outcome is Outcome.PASS


@pytest.mark.timeout(300)
def test_leaky_runtime_fails_leak_check_and_is_cleaned_up() -> None:
    if shutil.which("runc") is None:
        pytest.skip("runc is not installed")
    results, work = run_fake("fake-leaky", Selection(text="state-document-created"))
    cl = by_clause(results)
    leak = cl["harness.runtime.leak-processes"][0]
    assert leak.outcome is Outcome.FAIL and leak.findings
    assert cl["harness.runtime.cleanup"][0].outcome is Outcome.PASS
    # Only this run's stray counts: other runs of this test on a shared machine leave their
    # own `sleep 600` for a moment, so a machine-wide count before/after is not evidence.
    assert _sleepers_from(work) == [], "the stray process was not removed"


def test_a_refusal_that_names_no_reason_is_looked_at_again() -> None:
    """crun sometimes refuses a faulty bundle with only "write to sync socket: Broken pipe":
    that refusal is tried again (the fake garbles the first create only), and the verdict
    rests on the message that says why, not on an `error` for a reason it cannot see."""
    if shutil.which("runc") is None:
        pytest.skip("runc is not installed")
    results, _ = run_fake("fake-garbled", Selection(text="namespace-duplicate-type-errors"),
                          timeout=20.0)
    cell = by_clause(results)["rt.config-linux.namespaces.8"][0]
    assert cell.outcome is Outcome.PASS, cell.message
    stderrs = [run.stderr for run in cell.evidence.runs if "create" in run.argv]
    assert any("Broken pipe" in text for text in stderrs), stderrs   # the garbled try is kept
    assert "Broken pipe" not in cell.message


@pytest.mark.timeout(600)
def test_truthful_cases_try_all_entries_at_once_then_each_on_a_refusal(monkeypatch) -> None:
    """features-capabilities-truthful puts every announced capability in one config; the
    reference runtime accepts its own list that way (one create), and refuses the list with
    the liar's extra CAP_BOGUS, which the case then finds by halving the list."""
    import sys
    script = Path(sys.executable).parent / "oci-conform-runtime"
    if not script.exists():
        pytest.skip("the reference runtime's script is not installed beside this Python")
    selection = Selection(text="features-capabilities-truthful")
    clause = "rt.features-linux.linux-features-capabilities.2"
    work = Path(tempfile.mkdtemp(prefix="oc-fake-"))
    try:
        ctx = RunContext(catalog=default_catalog(), workdir=work, selection=selection, jobs=1,
                         runtime=RuntimeOptions(timeout=20.0))
        honest = list(SUITE.run(parse_runtime(f"reference={script}"), ctx))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    cell = by_clause(honest)[clause][0]
    honest_caps = json.loads(subprocess.run([str(script), "features"], capture_output=True,
                                            check=True).stdout)["linux"]["capabilities"]
    assert cell.outcome is Outcome.PASS and "in one config" in cell.message, cell.message
    creates = [run.argv[-1] for run in cell.evidence.runs if "create" in run.argv]
    assert len(creates) == 1 and creates[0].endswith("-h1"), creates
    monkeypatch.setenv("OCI_CONFORM_FAKE_UNDER", str(script))
    results, _ = run_fake("fake-features-liar", selection, timeout=20.0)
    cell = by_clause(results)[clause][0]
    assert cell.outcome is Outcome.FAIL and "CAP_BOGUS" in str(cell.findings), cell.findings
    tried = cell.evidence.replay.count(" create ")     # every call, in order
    announced = len(honest_caps) + 1
    assert 2 < tried < announced, (tried, announced)   # halves: not one create per entry


def _sleepers_from(work: Path) -> list[int]:
    """Live `sleep 600` processes whose working folder is (or was) under ``work``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")[:2]
            cwd = os.readlink(entry / "cwd")
        except OSError:
            continue
        if argv == [b"sleep", b"600"] and cwd.startswith(str(work) + "/"):
            found.append(int(entry.name))
    return found


def test_fakes_are_executable_and_named_fakes() -> None:
    for name in ("fake-hang", "fake-crash", "fake-liar", "fake-leaky", "fake-garbled",
                 "fake-features-liar"):
        path = FAKES / name
        assert path.is_file() and os.access(path, os.X_OK)
        assert "FAKE" in path.read_text()
