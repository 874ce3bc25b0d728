"""The runtime suite against the real runc and crun (crun through the probed wrapper).

The whole suite runs once per runtime in a session-scoped fixture (``--jobs`` 3); the
tests only read its results.  Nothing here asserts that runc or crun pass a clause they
fail: failures are kept, with evidence; the expectations files in expectations/ name
the known ones, and a test shows that no failure is unaccounted for.
"""
from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

import pytest

from oci_conform.catalog.loader import default_catalog
from oci_conform.expectations_file import load_expectations
from oci_conform.model.expectations import apply_expectations
from oci_conform.model.outcome import Outcome
from oci_conform.model.results import CaseResult, Implementation, Results
from oci_conform.orchestrate import finish
from oci_conform.suites.base import RunContext, Selection
from oci_conform.suites.runtime import SUITE, all_cases
from oci_conform.suites.runtime.sandbox import CGROUP_ROOT, mounts_under, processes_under

pytestmark = pytest.mark.integration
REPO = Path(__file__).resolve().parents[2]
ISSUE2_SLICE = ("rt.runtime.state.1", "rt.runtime.state.2", "rt.runtime.state.4",
                "rt.runtime.state.7", "rt.runtime.state.8", "rt.runtime.query-state.2",
                "rt.runtime.query-state.3")


class Run:
    def __init__(self, impl: Implementation, results: list[CaseResult], work: Path,
                 cgroup_parent: str, leftovers: dict[str, list[str]]) -> None:
        self.impl, self.results, self.work = impl, results, work
        self.cgroup_parent, self.leftovers = cgroup_parent, leftovers

    def outcomes(self, clause: str) -> list[Outcome]:
        return [r.outcome for r in self.results if r.clause == clause]


def _leftovers(work: Path, cgroup_parent: str) -> dict[str, list[str]]:
    cgroups = [str(p) for p in CGROUP_ROOT.glob(f"*/{cgroup_parent}")] + \
        [str(p) for p in CGROUP_ROOT.glob(cgroup_parent)]
    states = [str(p) for p in work.rglob("state/oc-*")] if work.exists() else []
    return {"processes": [str(p) for p in processes_under(work)],
            "mounts": mounts_under(work), "cgroups": cgroups, "state": states}


@pytest.fixture(scope="session")
def runs() -> dict[str, Run]:
    out: dict[str, Run] = {}
    catalog = default_catalog()
    for name in ("runc", "crun"):
        if shutil.which(name) is None:
            continue
        work = Path(tempfile.mkdtemp(prefix=f"oc-it-{name}-"))
        ctx = RunContext(catalog=catalog, workdir=work, selection=Selection(), jobs=3)
        impl = next(i for i in SUITE.default_implementations(ctx) if i.name == name)
        results = list(SUITE.run(impl, ctx))
        target = ctx.cache["runtime_targets"][name]
        out[name] = Run(impl, results, work, target.cgroup_parent,
                        _leftovers(work, target.cgroup_parent))
        shutil.rmtree(work, ignore_errors=True)
    if not out:
        pytest.skip("neither runc nor crun is installed")
    return out


@pytest.fixture(params=["runc", "crun"])
def run(request: pytest.FixtureRequest, runs: dict[str, Run]) -> Run:
    if request.param not in runs:
        pytest.skip(f"{request.param} is not installed")
    return runs[request.param]


def test_every_case_produced_outcomes(run: Run) -> None:
    cases = {r.case for r in run.results}
    assert len(cases) >= 100
    assert {f"runtime:{c.name}" for c in all_cases()} <= cases
    assert run.impl.available and run.impl.version


def test_issue2_state_slice_is_judged_and_passes(run: Run) -> None:
    for clause in ISSUE2_SLICE:
        got = run.outcomes(clause)
        assert got and Outcome.ERROR not in got, (clause, got)
        assert Outcome.PASS in got, (clause, got)


def test_nothing_left_behind(run: Run) -> None:
    """The harness removes everything; what the runtime itself left is its leak outcome,
    which passes unless the runtime's expectations file records that leak."""
    assert run.leftovers == {"processes": [], "mounts": [], "cgroups": [], "state": []}
    assert run.outcomes("harness.runtime.cleanup") == [Outcome.PASS]
    path = REPO / "expectations" / f"{run.impl.name}-{run.impl.version.split('+')[0]}.json"
    known = {e.clause for e in load_expectations(path)} if path.exists() else set()
    for clause in ("harness.runtime.leak-mounts", "harness.runtime.leak-cgroups",
                   "harness.runtime.leak-state"):
        allowed = [Outcome.PASS, Outcome.FAIL] if clause in known else [Outcome.PASS]
        got = run.outcomes(clause)
        assert len(got) == 1 and got[0] in allowed, (clause, got)


def test_failing_cells_carry_evidence_and_clause(run: Run) -> None:
    catalog = default_catalog()
    bad = [r for r in run.results if r.outcome in (Outcome.FAIL, Outcome.ERROR)]
    for r in bad:
        assert r.clause in catalog.clauses
        assert r.message
        if not r.clause.startswith("harness."):
            assert r.evidence.runs, r.case
            assert r.evidence.facts.get("container_id")


def test_skips_have_reasons(run: Run) -> None:
    for r in run.results:
        if r.outcome is Outcome.SKIP:
            assert r.message, r.case


def test_host_limits_are_skips_not_failures(run: Run) -> None:
    """No AppArmor/SELinux here: those clauses skip with the reason, before running."""
    for clause in ("rt.config.linux-process.1", "rt.config.linux-process.22"):
        got = [r for r in run.results if r.clause == clause]
        assert got and all(r.outcome is Outcome.SKIP and "host" in r.message for r in got)


def test_expectations_account_for_every_failure(run: Run) -> None:
    """Known deviations are recorded with a reason and a link; nothing else fails."""
    path = REPO / "expectations" / f"{run.impl.name}-{run.impl.version.split('+')[0]}.json"
    if not path.exists():
        pytest.skip(f"no expectations file {path.name}")
    catalog = default_catalog()
    results = Results(tool_version="t", catalog_version=catalog.version, started="now",
                      implementations=[run.impl], results=[
                          CaseResult.from_dict(r.to_dict()) for r in run.results])
    finish(results, catalog, {})
    apply_expectations(results, load_expectations(path))
    left = sorted({(r.clause, r.case) for r in results.results if r.outcome is Outcome.FAIL})
    assert not left, json.dumps(left, indent=1)
