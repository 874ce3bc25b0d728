"""The runsc probe finds flags that run a container here, and the runtime suite judges it."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from oci_conform.drivers.bundle import find_busybox
from oci_conform.suites.runtime import runsc

pytestmark = [pytest.mark.integration,
              pytest.mark.skipif(shutil.which("runsc") is None, reason="runsc not installed"),
              pytest.mark.skipif(find_busybox() is None, reason="busybox-static not installed")]


def test_probe_finds_a_working_flag_set(tmp_path: Path) -> None:
    flags = runsc.probe_flags(shutil.which("runsc") or "runsc", tmp_path)
    assert flags is not None, "runsc ran no container with any probed flag set"
    assert flags in runsc.FLAG_SETS
    impls = runsc.implementations(tmp_path)
    assert len(impls) == 1 and impls[0].available
    assert impls[0].command.split()[1:] == list(flags)


def test_a_bogus_binary_is_not_offered_as_working(tmp_path: Path) -> None:
    fake = tmp_path / "fake-runsc"
    fake.write_text("#!/bin/sh\nexit 1\n")
    fake.chmod(0o755)
    assert runsc.probe_flags(str(fake), tmp_path) is None


def test_runtime_cases_are_judged_on_runsc(tmp_path: Path) -> None:
    """A few lifecycle cases through the runtime suite on runsc with the probed flags:
    judged outcomes with runsc's own evidence, never skips."""
    import tempfile

    from oci_conform.catalog.loader import default_catalog
    from oci_conform.model.outcome import Outcome
    from oci_conform.suites.base import RunContext, RuntimeOptions
    from oci_conform.suites.runtime import RuntimeSuite

    names = ("state-document-created", "state-document-running", "create-invalid-id-errors")
    work = Path(tempfile.mkdtemp(prefix="oc-runsc-"))
    try:
        ctx = RunContext(catalog=default_catalog(), workdir=work, jobs=1,
                         runtime=RuntimeOptions(timeout=30))
        impls = runsc.implementations(work)
        assert impls and impls[0].available, impls
        results = list(RuntimeSuite(only=names).run(impls[0], ctx))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    judged = [r for r in results if r.case in {f"runtime:{n}" for n in names}]
    assert judged and all(r.outcome in (Outcome.PASS, Outcome.FAIL) for r in judged), \
        [(r.case, r.clause, r.outcome, r.message) for r in judged]
    assert any(r.outcome is Outcome.PASS for r in judged)
    argv = [run.argv for r in judged for run in r.evidence.runs]
    assert any("--network=none" in a for a in argv)


def test_cases_that_could_not_observe_gvisor_are_judged_now(tmp_path: Path) -> None:
    """These cases were ``error`` on runsc (gVisor's /proc lacks the rows the probes read, a
    refusal's reason is only in runsc's sandbox log, kill's control used a created container,
    a hook that never ran stopped the case). Each is now judged: the limits read back through
    getrlimit pass, the refusals name their fault, and what gVisor does not offer is a fail
    that says so."""
    import tempfile

    from oci_conform.catalog.loader import default_catalog
    from oci_conform.model.outcome import Outcome
    from oci_conform.suites.base import RunContext, RuntimeOptions
    from oci_conform.suites.runtime import RuntimeSuite

    passes = ("process-rlimit-rlimit_nofile", "state-without-id-errors",
              "kill-unknown-id-errors", "root-path-missing-errors", "process-cwd")
    fails = {"process-umask": "umask call of PID 1",
             "process-capabilities-ambient": "no CapAmb row",
             "namespace-cgroup-rooted-view": "lists no cgroup",
             "kill-stopped-errors": "another reason than its state",
             "hook-startContainer-failure-handling": "hook never ran"}
    work = Path(tempfile.mkdtemp(prefix="oc-runsc-obs-"))
    try:
        ctx = RunContext(catalog=default_catalog(), workdir=work, jobs=2,
                         runtime=RuntimeOptions(timeout=30))
        impls = runsc.implementations(work)
        assert impls and impls[0].available, impls
        results = [r for r in RuntimeSuite(only=(*passes, *fails)).run(impls[0], ctx)
                   if r.case != "runtime:leak-check"]
    finally:
        shutil.rmtree(work, ignore_errors=True)
    seen = {(r.case.removeprefix("runtime:"), r.outcome, r.message) for r in results}
    assert not [s for s in seen if s[1] is Outcome.ERROR], seen
    for name in passes:
        assert {s[1] for s in seen if s[0] == name} == {Outcome.PASS}, (name, seen)
    for name, words in fails.items():
        mine = [s for s in seen if s[0] == name]
        assert any(s[1] is Outcome.FAIL and words in s[2] for s in mine), (name, mine)
