"""Run work under a child subreaper that reaps orphaned processes as soon as they exit.

Runtimes leave processes behind on purpose: ``runsc create`` starts the sandbox and gofer
and exits, ``runc create`` leaves the container's init. Such orphans go to the nearest
ancestor marked as a *child subreaper*, else to PID 1. When PID 1 is slow to reap (a VM's
init here takes about a second), the orphan stays a zombie, and a runtime that waits for
its sandbox to be gone by signalling it with signal 0 (``runsc delete`` does, in 100 ms
steps) waits that long on every container.

:func:`run_reaped` forks: the child does the work; the parent marks itself a subreaper,
reaps every child the moment its ``SIGCHLD`` arrives (a blocking ``sigwaitinfo``, no
polling), passes SIGINT, SIGTERM and SIGHUP on to the child, and returns the child's exit
status once the child has exited. The child leads a process group of its own, so a signal
to the parent's group (a terminal's Ctrl-C) reaches it once, through the parent, exactly
as it reached the parent before.
"""
from __future__ import annotations

import os
import signal
import sys
import traceback
from collections.abc import Callable

PR_SET_CHILD_SUBREAPER = 36
PASSED_ON = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
WATCHED = {signal.SIGCHLD, *PASSED_ON}


def _mark_subreaper() -> bool:
    """Make this process a child subreaper (Linux 3.4+); False where that is refused."""
    if not sys.platform.startswith("linux"):
        return False
    import ctypes  # only where a lane is reaped: not on every command's start-up
    try:
        # the interpreter's own symbols include libc's prctl: no find_library (which runs
        # ldconfig in a subprocess) for every lane
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def _reap_ready(worker: int) -> int | None:
    """Reap every child that has exited; the worker's exit status once it is among them."""
    status: int | None = None
    while True:
        try:
            pid, raw = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return status
        if pid == 0:
            return status
        if pid == worker:
            status = os.waitstatus_to_exitcode(raw)


def _reap_until_done(worker: int) -> int:
    """Block on signals only: reap on SIGCHLD, pass the others on; the worker's status."""
    while True:
        info = signal.sigwaitinfo(WATCHED)
        if info.si_signo == signal.SIGCHLD:
            status = _reap_ready(worker)
            if status is not None:
                return status
        else:
            try:
                os.kill(worker, info.si_signo)
            except ProcessLookupError:
                pass


def run_reaped(work: Callable[[], None]) -> int | None:
    """Run ``work`` in a forked child under this process as its subreaper.

    Returns the child's exit status (0 when ``work`` returned, 1 when it raised), or None
    when this host has no subreapers (``work`` did not run: the caller runs it itself).
    The parent's signal mask is restored before returning; zombies still arriving after
    the worker ended are left to whoever reaps this process's orphans next.
    """
    if not _mark_subreaper():
        return None
    old = signal.pthread_sigmask(signal.SIG_BLOCK, WATCHED)
    sys.stdout.flush()
    sys.stderr.flush()
    worker = os.fork()
    if worker == 0:                                   # the worker
        code = 1
        try:
            os.setpgid(0, 0)
            signal.pthread_sigmask(signal.SIG_SETMASK, old)
            work()
            code = 0
        except BaseException:      # noqa: BLE001 - said on stderr; the status says it too
            traceback.print_exc()
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
    try:
        return _reap_until_done(worker)
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)
