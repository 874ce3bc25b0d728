"""Every fuzz target on a fixed seed and a bounded count: no crash, hang, escape, leak or 5xx.

One test per target so a failure names it; the findings (message, last frame, a saved
reproducer in the test's temp folder) are in the assertion message. The whole file is
bounded to about three minutes on a busy 2-core host: COUNT inputs per target, each
under TIME_LIMIT seconds, and a BUDGET per target as a last cap.
"""
from __future__ import annotations

import os

import pytest
from fuzzlib.campaign import Settings, run_target
from fuzzlib.targets import all_targets

pytestmark = pytest.mark.fuzz

SEED = int(os.environ.get("OCI_CONFORM_FUZZ_SEED", "1"))
COUNT = int(os.environ.get("OCI_CONFORM_FUZZ_COUNT", "30"))
TIME_LIMIT = 3.0
BUDGET = 12.0
TARGETS = all_targets()


def describe(record) -> str:
    lines = [f"{record.name}: {record.inputs} inputs, problems {dict(record.problems)}"]
    for f in record.findings.values():
        where = f.project_frame or f.last_frame
        lines.append(f"  {f.kind} x{f.count}: {f.message[:200]} @ {where or '?'}"
                     f"\n    reproducer: {f.fixture}")
    return "\n".join(lines)


@pytest.mark.parametrize("name", list(TARGETS))
def test_target_survives_hostile_inputs(name, sandbox, tmp_path):
    settings = Settings(seed=SEED, count=COUNT, time_limit=TIME_LIMIT, budget=BUDGET,
                        fixtures=tmp_path / "found", progress=False)
    record = run_target(TARGETS[name], settings, sandbox)
    assert record.inputs > 0, f"{name}: no input ran"
    if sum(record.problems.values()):
        pytest.fail(describe(record), pytrace=False)
