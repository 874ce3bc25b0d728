"""Every field of the state a hook reads, for every hook type, is its own cell."""
from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from oci_conform.model.outcome import Outcome
from oci_conform.suites.runtime import all_cases
from oci_conform.suites.runtime.case import flatten
from oci_conform.suites.runtime.lifecycle_hooks import (
    ANNOTATIONS,
    HOOK_STATUS,
    TYPES,
    HookRun,
    invoked_judgments,
    state_fields,
)

FIELDS = {"rt.runtime.state.1": "ociVersion", "rt.runtime.state.2": "id",
          "rt.runtime.state.4": "status", "rt.runtime.state.7": "pid",
          "rt.runtime.state.8": "bundle", "rt.runtime.state.9": "annotations"}
SB = SimpleNamespace(cid="oc-x-1", bundle=Path("/b/bundle"))
RUN = HookRun([], {}, {}, {}, {}, pid=4242)


def good(kind: str) -> dict:
    pid = 1 if kind in ("createContainer", "startContainer") else 4242
    return {"ociVersion": "1.2.0", "id": "oc-x-1", "status": HOOK_STATUS[kind], "pid": pid,
            "bundle": "/b/bundle", "annotations": dict(ANNOTATIONS)}


def outcomes(kind: str, doc: dict) -> dict[str, Outcome]:
    return {o.clause: o.outcome for o in flatten(state_fields(kind, doc, SB, RUN))}


def test_every_hook_type_has_a_case_judging_every_field() -> None:
    cases = {c.name: c for c in all_cases()}
    for kind in TYPES:
        case = cases[f"hook-{kind}-state-on-stdin"]
        assert set(FIELDS) <= set(case.clauses), kind


@pytest.mark.parametrize("kind", TYPES)
def test_a_right_state_passes_every_field(kind: str) -> None:
    got = outcomes(kind, good(kind))
    assert set(got) == set(FIELDS)
    pid = got.pop("rt.runtime.state.7")
    assert pid is (Outcome.NA if kind == "poststop" else Outcome.PASS), (kind, pid)
    assert set(got.values()) == {Outcome.PASS}, got


@pytest.mark.parametrize("kind", TYPES)
def test_each_wrong_field_fails_its_own_cell(kind: str) -> None:
    wrong = {"ociVersion": "1.0", "id": "other", "status": "weird", "bundle": "/",
             "annotations": {"x": "y"}}
    for cid, name in FIELDS.items():
        if name == "pid":
            continue
        doc = dict(good(kind), **{name: wrong[name]})
        got = outcomes(kind, doc)
        assert got[cid] is Outcome.FAIL, (kind, name)
        assert [c for c, o in got.items() if o is Outcome.FAIL] == [cid], (kind, name, got)


def test_status_due_per_hook_type_and_pid_rules() -> None:
    assert HOOK_STATUS == {"prestart": "creating", "createRuntime": "creating",
                           "createContainer": "creating", "startContainer": "created",
                           "poststart": "running", "poststop": "stopped"}
    # created or running: a pid is due; a runtime-namespace hook sees the runtime's pid
    assert outcomes("poststart", dict(good("poststart"), pid=0))["rt.runtime.state.7"] \
        is Outcome.FAIL
    assert outcomes("poststart", dict(good("poststart"), pid=7))["rt.runtime.state.7"] \
        is Outcome.FAIL
    # the container namespace sees its process as 1
    assert outcomes("startContainer", dict(good("startContainer"), pid=4242))[
        "rt.runtime.state.7"] is Outcome.FAIL
    # stopped: no pid is due
    doc = good("poststop")
    del doc["pid"]
    assert outcomes("poststop", doc)["rt.runtime.state.7"] is Outcome.NA
    # annotations are optional in the state: absent is n/a, not a pass
    doc = good("prestart")
    del doc["annotations"]
    assert outcomes("prestart", doc)["rt.runtime.state.9"] is Outcome.NA


def _invoked(kind: str, order: list[str]) -> list[Outcome]:
    run = HookRun(order, {}, {}, {}, {})
    return [o.outcome for o in flatten(invoked_judgments(kind, run, ("c",), ()))]


CREATE = ["OP create begin", "OP create end"]


@pytest.mark.parametrize(("order", "want"), [
    # set off by start, logged before start returned or after it: both part of start
    (CREATE + ["OP start begin", "HOOK h1", "OP start end", "PROG"], [Outcome.PASS] * 2),
    (CREATE + ["OP start begin", "OP start end", "HOOK h1", "PROG"], [Outcome.PASS] * 2),
    # run at create time, or only once the next operation began: not part of start
    (CREATE[:1] + ["HOOK h1"] + CREATE[1:] + ["OP start begin", "OP start end", "PROG"],
     [Outcome.FAIL, Outcome.PASS]),
    (CREATE + ["HOOK h1", "OP start begin", "OP start end", "PROG"],
     [Outcome.FAIL, Outcome.PASS]),
    (CREATE + ["OP start begin", "OP start end", "PROG", "OP delete begin", "HOOK h1"],
     [Outcome.FAIL, Outcome.FAIL]),
    # after the user program began
    (CREATE + ["OP start begin", "OP start end", "PROG", "HOOK h1"],
     [Outcome.PASS, Outcome.FAIL]),
])
def test_start_container_hook_is_judged_by_the_operation_that_set_it_off(
        order: list[str], want: list[Outcome]) -> None:
    """startContainer hooks run in the container once start releases it, so the hook may
    log after start returned (crun, now and then): that is still part of start. A hook run
    at create time, or in a later operation, is not; the user program must come after it."""
    assert _invoked("startContainer", order) == want


def test_host_hooks_are_still_judged_by_the_operation_running() -> None:
    """The runtime itself runs poststart: logged after start returned is not during start."""
    order = CREATE + ["OP start begin", "OP start end", "HOOK h1", "PROG"]
    assert _invoked("poststart", order)[0] is Outcome.FAIL
