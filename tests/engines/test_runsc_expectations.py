"""The runsc expectations file: well formed, only catalog clauses, gVisor's own source as the
link, and (on a machine with runsc) each sampled entry turns a real runsc failure into xfail."""
from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest

from oci_conform.catalog.loader import default_catalog
from oci_conform.expectations_file import load_expectations
from oci_conform.model.expectations import apply_expectations
from oci_conform.model.outcome import Outcome
from oci_conform.model.results import Results

REPO = Path(__file__).resolve().parents[2]
FILE = REPO / "expectations" / "runsc-0.0~20221219.0.json"


def test_entries_name_catalog_clauses_and_gvisor_sources() -> None:
    entries = load_expectations(FILE)
    assert entries
    clauses = default_catalog().clauses
    for e in entries:
        assert e.implementation == "runsc" and e.version == "0.0~20221219*"
        assert e.clause in clauses, e.clause
        assert e.link.startswith("https://github.com/google/gvisor/blob/release-20221219.0/")
        assert len(e.reason) > 40
    assert all(e.case.startswith("runtime:") for e in entries)
    assert len({(e.clause, e.case) for e in entries}) == len(entries)


@pytest.mark.integration
@pytest.mark.skipif(shutil.which("runsc") is None, reason="runsc not installed")
def test_sampled_entries_turn_real_failures_into_xfail() -> None:
    from oci_conform.suites.base import RunContext, RuntimeOptions
    from oci_conform.suites.runtime import RuntimeSuite, runsc

    names = ("mount-option-rro", "seccomp-filter-installed", "process-no-new-privileges-false")
    work = Path(tempfile.mkdtemp(prefix="oc-runsc-x-"))
    try:
        ctx = RunContext(catalog=default_catalog(), workdir=work, jobs=1,
                         runtime=RuntimeOptions(timeout=30))
        impl = runsc.implementations(work)[0]
        results = [r for r in RuntimeSuite(only=names).run(impl, ctx)
                   if r.case in {f"runtime:{n}" for n in names}]
    finally:
        shutil.rmtree(work, ignore_errors=True)
    assert impl.version.startswith("0.0~20221219"), impl.version
    run = Results(tool_version="test", catalog_version="test", started="now",
                  implementations=[impl], results=results)
    apply_expectations(run, load_expectations(FILE))
    expected = {(e.clause, e.case) for e in load_expectations(FILE)}
    sampled = [r for r in run.results if (r.clause, r.case) in expected]
    assert sampled, [(r.clause, r.outcome) for r in run.results]
    assert all(r.outcome is Outcome.XFAIL for r in sampled), \
        [(r.clause, r.outcome, r.message) for r in sampled]
