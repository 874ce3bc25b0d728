"""Ctrl-C and SIGTERM during a run: stop starting cases, clean up, keep what was judged.

``catching(progress)`` is a context manager the commands that run cases wrap their run in.
While it is active, the first SIGINT or SIGTERM only sets the run's ``StopFlag``: suites and
the orchestrator look at it between cases, stop starting new ones, let the running case
finish and clean up (every runtime call has its own deadline), and the command writes the
results so far marked incomplete. A second signal raises ``Interrupted`` in the main thread
at once, but only inside a ``StopFlag.hard_stop_zone()`` (where cases run; the ``finally``
blocks of the suites still clean up): outside one the run is already gathering what it
judged, and a raise there would lose it, so the signal is only acknowledged. Later signals
are ignored so that cleanup is not broken in its turn, and once a run was stopped the
signals stay ignored after the block, while the command writes what it kept. A command
whose work is pure Python with no child processes (``image validate``) asks for
``at_once``: the first signal raises ``Interrupted`` already (its ``with`` blocks remove
its temp folders).

Exit status of an interrupted run (``model.verdict.exit_code``): 128 + the signal number,
as a shell reports it: 130 for SIGINT, 143 for SIGTERM.
"""
from __future__ import annotations

import os
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType

SIGNALS = (signal.SIGINT, signal.SIGTERM)


def say(message: str) -> None:
    """One line to stderr straight through its descriptor: safe inside a signal handler
    (a buffered write could be the one the signal interrupted), and shown under -q too."""
    try:
        os.write(2, (message + "\n").encode("utf-8", "replace"))
    except OSError:
        pass


class Interrupted(KeyboardInterrupt):
    """A second signal: stop now (a KeyboardInterrupt, so ``except Exception`` passes it)."""


class StopFlag:
    """Set once by the first signal; read by every thread of the run."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self.signal_name = ""
        self._zones = 0

    def set(self, signal_name: str) -> None:
        if not self.is_set():
            self.signal_name = signal_name
            self._event.set()

    def is_set(self) -> bool:
        return self._event.is_set()

    @contextmanager
    def hard_stop_zone(self) -> Iterator[None]:
        """Where a second signal may raise ``Interrupted`` (the main thread runs or waits
        for cases there); elsewhere it would break the gathering of the results."""
        self._zones += 1
        try:
            yield
        finally:
            self._zones -= 1

    @property
    def in_hard_stop_zone(self) -> bool:
        return self._zones > 0


@contextmanager
def catching(progress: Callable[[str], None] = say,
             flag: StopFlag | None = None, at_once: bool = False) -> Iterator[StopFlag]:
    """Handle SIGINT and SIGTERM as described in the module text while the block runs.

    Outside the main thread (where Python cannot install handlers) the flag is returned
    unhooked: the caller's own handling stays as it was."""
    stop = flag or StopFlag()
    if threading.current_thread() is not threading.main_thread():
        yield stop
        return
    count = 0

    def handle(signum: int, _frame: FrameType | None) -> None:
        nonlocal count
        count += 1
        name = signal.Signals(signum).name
        if count == 1 and at_once:
            stop.set(name)
            progress(f"{name}: stopping; the results so far are written")
            raise Interrupted(name)
        if count == 1:
            stop.set(name)
            progress(f"{name}: stopping: no new cases; the running one finishes and is cleaned "
                     "up, then the results so far are written (signal again to stop at once)")
        elif count == 2 and not at_once and stop.in_hard_stop_zone:
            progress(f"{name}: stopping at once; cleaning up")
            raise Interrupted(name)
        elif count == 2 and not at_once:
            progress(f"{name}: the run is already ending; writing the results so far")

    previous = {sig: signal.signal(sig, handle) for sig in SIGNALS}
    try:
        yield stop
    finally:
        for sig, old in previous.items():
            # after a stop a late signal (a second Ctrl-C just as the run ended) would kill
            # the command while it writes what it kept, or at interpreter exit (-2, no report)
            signal.signal(sig, signal.SIG_IGN if stop.is_set() else old)
