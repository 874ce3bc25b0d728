"""Negative cases: a refusal passes only with an accepted control and, when the runtime says
why, a message that names the fault.  The runtime-level test uses a MOCK runtime (a script
written by the test) that refuses every create for an unrelated reason, as a host that
cannot apply a limit would: the case must be ``error``, never ``pass``."""
from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

from oci_conform.catalog.loader import default_catalog
from oci_conform.drivers.runtime_cli import Invocation
from oci_conform.model.judging import Observation
from oci_conform.model.outcome import Outcome
from oci_conform.suites.base import RunContext, RuntimeOptions
from oci_conform.suites.runtime import RuntimeSuite, all_cases, parse_runtime
from oci_conform.suites.runtime.refusal import judge_refusal

ACCEPTED = Invocation(["rt", "create"], 0)


def refused(stderr: str, code: int = 1) -> Invocation:
    return Invocation(["rt", "create"], code, stderr=stderr)


def outcome(j: object) -> Outcome:
    assert isinstance(j, Observation)
    return j.outcome


def test_refusal_naming_the_fault_with_accepted_control_passes() -> None:
    j = judge_refusal("dup", refused("duplicate rlimit RLIMIT_NOFILE"), ("duplicate",), ACCEPTED)
    assert outcome(j) is Outcome.PASS


def test_control_refused_is_an_error_whatever_the_refusal_says() -> None:
    j = judge_refusal("dup", refused("duplicate rlimit"), ("duplicate",),
                      refused("setrlimit: operation not permitted"))
    assert outcome(j) is Outcome.ERROR and "control" in j.message   # type: ignore[union-attr]


def test_refusal_for_another_reason_is_never_a_pass() -> None:
    j = judge_refusal("dup", refused("setrlimit: operation not permitted"), ("duplicate",),
                      ACCEPTED)
    assert outcome(j) is Outcome.ERROR


def test_acceptance_fails_and_a_crash_or_hang_is_not_a_refusal() -> None:
    assert outcome(judge_refusal("dup", ACCEPTED, ("duplicate",), ACCEPTED)) is Outcome.FAIL
    crash = Invocation(["rt"], -11)
    assert outcome(judge_refusal("dup", crash, ("duplicate",), ACCEPTED)) is Outcome.FAIL
    hang = Invocation(["rt"], None, timed_out=True)
    assert outcome(judge_refusal("dup", hang, ("duplicate",), ACCEPTED)) is Outcome.ERROR


def test_a_silent_refusal_passes_on_its_exit_code() -> None:
    assert outcome(judge_refusal("dup", refused(""), ("duplicate",), ACCEPTED)) is Outcome.PASS


# A MOCK runtime: runc underneath, but every create fails as if the host refused a limit.
MOCK = """#!/bin/sh
# FAKE (mock) runtime for tests: refuses every create for a reason unrelated to the config
for arg in "$@"; do
  if [ "$arg" = "create" ]; then
    echo 'setrlimit RLIMIT_NOFILE: operation not permitted' >&2
    exit 1
  fi
done
exec runc "$@"
"""


@pytest.mark.integration
@pytest.mark.timeout(300)
def test_negative_case_whose_control_fails_is_an_error(tmp_path: Path) -> None:
    if shutil.which("runc") is None:
        pytest.skip("runc is not installed")
    fake = tmp_path / "fake-refuse-create"
    fake.write_text(MOCK)
    fake.chmod(0o755)
    work = Path(tempfile.mkdtemp(prefix="oc-refusal-"))
    names = ("process-rlimit-duplicate-type-errors", "namespace-duplicate-type-errors",
             "create-without-bundle-errors")
    assert set(names) <= {c.name for c in all_cases()}
    try:
        ctx = RunContext(catalog=default_catalog(), workdir=work, jobs=2,
                         runtime=RuntimeOptions(timeout=10))
        suite = RuntimeSuite(only=names)
        results = list(suite.run(parse_runtime(f"fake={fake}"), ctx))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    judged = [r for r in results if r.case in {f"runtime:{n}" for n in names}]
    assert {r.case for r in judged} == {f"runtime:{n}" for n in names}
    for r in judged:
        assert r.outcome is Outcome.ERROR, (r.case, r.outcome, r.message)
        assert "control" in r.message, r.message
    assert os.path.exists(fake)
