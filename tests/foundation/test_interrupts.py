"""interrupts.catching: the first signal sets the flag, the second raises inside a hard-stop
zone (and only there), handlers restored, or ignored after a stop."""
from __future__ import annotations

import os
import signal
import threading

import pytest

from oci_conform.interrupts import Interrupted, StopFlag, catching


def test_first_signal_sets_the_flag_second_raises_in_a_zone_then_signals_stay_ignored(
) -> None:
    said: list[str] = []
    with catching(said.append) as stop:
        with stop.hard_stop_zone():
            os.kill(os.getpid(), signal.SIGTERM)
            assert stop.is_set() and stop.signal_name == "SIGTERM"
            with pytest.raises(Interrupted):
                os.kill(os.getpid(), signal.SIGINT)
            os.kill(os.getpid(), signal.SIGINT)       # a third: ignored, cleanup goes on
    assert stop.signal_name == "SIGTERM"
    assert len(said) == 2 and said[0].startswith("SIGTERM: stopping")
    # the run was stopped: the command still has to write what it kept
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_IGN
    assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)


def test_a_second_signal_outside_a_zone_does_not_raise() -> None:
    """Once the suites are done (gathering, stamping, writing) a second Ctrl-C must not throw
    away what was judged: it is acknowledged, nothing is raised."""
    said: list[str] = []
    with catching(said.append) as stop:
        with stop.hard_stop_zone():
            os.kill(os.getpid(), signal.SIGINT)
        os.kill(os.getpid(), signal.SIGINT)           # the zone has ended: no raise
        assert stop.signal_name == "SIGINT"
    assert len(said) == 2 and "already ending" in said[1]
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)


def test_handlers_come_back_when_no_signal_came() -> None:
    before = signal.getsignal(signal.SIGTERM)
    with catching() as stop:
        assert signal.getsignal(signal.SIGTERM) is not before
    assert not stop.is_set() and signal.getsignal(signal.SIGTERM) is before


def test_at_once_raises_on_the_first_signal() -> None:
    with catching(at_once=True) as stop, pytest.raises(Interrupted):
        os.kill(os.getpid(), signal.SIGINT)
    assert stop.signal_name == "SIGINT"
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)


def test_outside_the_main_thread_nothing_is_hooked() -> None:
    seen: list[object] = []

    def worker() -> None:
        with catching() as stop:
            seen.extend([stop.is_set(), signal.getsignal(signal.SIGINT)])

    before = signal.getsignal(signal.SIGINT)
    thread = threading.Thread(target=worker)
    thread.start()
    thread.join()
    assert seen == [False, before]


def test_a_flag_is_set_once() -> None:
    flag = StopFlag()
    flag.set("SIGINT")
    flag.set("SIGTERM")
    assert flag.signal_name == "SIGINT"


@pytest.mark.parametrize("stopped", [True, False])
def test_a_signal_just_after_a_stopped_run_does_not_kill_the_command(stopped: bool) -> None:
    """The second Ctrl-C of a short run can land after the run's block ended, while the
    command writes what it kept: after a stop it is ignored, so the command still exits 130
    (the control: a block that was not stopped gives the handlers back, and the late signal
    is an uncaught KeyboardInterrupt; Python then ends the process by SIGINT)."""
    import subprocess
    import sys
    script = ("import os, signal, sys\n"
              "from oci_conform.interrupts import catching\n"
              "with catching(lambda _m: None) as stop:\n"
              f"    if {stopped}:\n"
              "        os.kill(os.getpid(), signal.SIGINT)\n"
              "os.kill(os.getpid(), signal.SIGINT)\n"
              "sys.exit(130)\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=60,
                          env={**os.environ, "PYTHONPATH": os.getcwd()})
    assert done.returncode == (130 if stopped else -signal.SIGINT), done.stderr


class _StopsAfterOneCase:
    """A suite of this test's own (no real part can time a signal this exactly): one outcome,
    then the first SIGINT, and it stops itself as the runtime suite does."""

    name, kind, option, help = "window", "runtime", "--runtime", ""
    stops_itself = True

    def __init__(self, clause: str) -> None:
        self.clause = clause

    def clause_ids(self) -> frozenset[str]:
        return frozenset({self.clause})

    def run(self, impl, ctx):  # type: ignore[no-untyped-def]
        from oci_conform.model.outcome import Outcome
        from oci_conform.model.results import CaseResult
        yield CaseResult(self.clause, impl.name, Outcome.PASS, case="window:one")
        os.kill(os.getpid(), signal.SIGINT)
        assert ctx.stop.is_set()


def test_a_second_signal_while_the_results_are_gathered_keeps_them(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The CI failure this guards: the second Ctrl-C of `runtime test` landed after the suite
    had stopped itself, while the run was being stamped, and the results were never written.
    The second signal here is sent from the run's own progress line that follows the suites."""
    from oci_conform.catalog.loader import default_catalog
    from oci_conform.model.results import Implementation
    from oci_conform.orchestrate import PlanItem, run_plan
    from oci_conform.suites.base import RunContext

    catalog = default_catalog()
    clause = sorted(c.id for c in catalog.select(spec="runtime-spec"))[0]

    def progress(message: str) -> None:
        if "stopped early" in message:
            os.kill(os.getpid(), signal.SIGINT)

    with catching(lambda _m: None) as stop:
        ctx = RunContext(catalog=catalog, workdir=tmp_path, progress=progress, stop=stop)
        impl = Implementation(name="window", kind="runtime")
        results = run_plan([PlanItem(_StopsAfterOneCase(clause), [impl])], ctx)
    assert results.interrupted == "SIGINT"
    assert [r.case for r in results.results] == ["window:one"]
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)
