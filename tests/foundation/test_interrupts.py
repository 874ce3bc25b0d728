"""interrupts.catching: the first signal sets the flag, the second raises, handlers restored."""
from __future__ import annotations

import os
import signal
import threading

import pytest

from oci_conform.interrupts import Interrupted, StopFlag, catching


def test_first_signal_sets_the_flag_second_raises_then_handlers_come_back() -> None:
    before = signal.getsignal(signal.SIGTERM)
    said: list[str] = []
    with catching(said.append) as stop:
        os.kill(os.getpid(), signal.SIGTERM)
        assert stop.is_set() and stop.signal_name == "SIGTERM"
        with pytest.raises(Interrupted):
            os.kill(os.getpid(), signal.SIGINT)
        os.kill(os.getpid(), signal.SIGINT)       # a third: ignored, cleanup goes on
    assert stop.signal_name == "SIGTERM"
    assert len(said) == 2 and said[0].startswith("SIGTERM: stopping")
    assert signal.getsignal(signal.SIGTERM) is before


def test_at_once_raises_on_the_first_signal() -> None:
    with catching(at_once=True) as stop, pytest.raises(Interrupted):
        os.kill(os.getpid(), signal.SIGINT)
    assert stop.signal_name == "SIGINT"


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


@pytest.mark.parametrize("ignore", [True, False])
def test_a_signal_just_after_a_stopped_run_does_not_kill_the_command(ignore: bool) -> None:
    """The second Ctrl-C of a short run can land after the run's block ended, while the
    command writes what it kept: after a stop it is ignored, so the command still exits 130
    (the control: without ignore_late_signals the late signal is an uncaught
    KeyboardInterrupt, and Python then ends the process by SIGINT)."""
    import subprocess
    import sys
    script = ("import os, signal, sys\n"
              "from oci_conform.interrupts import catching, ignore_late_signals\n"
              "with catching(lambda _m: None) as stop:\n"
              "    os.kill(os.getpid(), signal.SIGINT)\n"
              f"if {ignore} and stop.is_set():\n"
              "    ignore_late_signals()\n"
              "os.kill(os.getpid(), signal.SIGINT)\n"
              "sys.exit(130)\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=60,
                          env={**os.environ, "PYTHONPATH": os.getcwd()})
    assert done.returncode == (130 if ignore else -signal.SIGINT), done.stderr
