"""Invoke an OCI runtime binary: global args, a timeout per call, output to files.

A runtime's stdout/stderr go to files, never pipes: a detached container can hold
a pipe open for its whole life.  Every call returns an :class:`Invocation`, a small
record that is kept as evidence (argv, exit code, output tails, duration).

A runtime command is written ``[WRAPPER:]BINARY [GLOBAL_ARG ...]`` (shell words).
The only wrapper today is ``hide-cgroup2``: it runs the runtime in a private mount
namespace where the cgroup2 mount of a hybrid-cgroup host is unmounted, which is
what crun needs on such a host.
"""
from __future__ import annotations

import os
import shlex
import shutil
import signal
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from oci_conform.drivers import runsc_logs
from oci_conform.model.evidence import ProcessRun

TAIL = 2000
DEFAULT_TIMEOUT = 20.0
WRAPPERS: dict[str, list[str]] = {
    # sh -c SCRIPT ARG0 ARGS...: $0 is the runtime binary, "$@" its arguments.
    "hide-cgroup2": ["unshare", "-m", "sh", "-c",
                     'umount -l /sys/fs/cgroup/unified 2>/dev/null; exec "$0" "$@"'],
}


class CommandError(ValueError):
    """A runtime command string cannot be used (unknown wrapper, empty, bad quoting)."""


@dataclass(frozen=True)
class RuntimeCommand:
    """How to start one runtime: an optional wrapper, the binary and its global args."""

    binary: str
    global_args: tuple[str, ...] = ()
    wrapper: str = ""

    @classmethod
    def parse(cls, text: str) -> RuntimeCommand:
        """``[WRAPPER:]BINARY [ARGS...]`` -> RuntimeCommand (raises CommandError)."""
        try:
            words = shlex.split(text)
        except ValueError as exc:
            raise CommandError(f"cannot split {text!r}: {exc}") from None
        if not words:
            raise CommandError("empty runtime command")
        head, wrapper = words[0], ""
        if ":" in head and not head.startswith("/"):
            wrapper, head = head.split(":", 1)
            if wrapper not in WRAPPERS:
                raise CommandError(f"unknown wrapper {wrapper!r} (known: {', '.join(WRAPPERS)})")
            if not head:
                raise CommandError(f"no binary after {wrapper}:")
        if "/" in head and not os.path.isabs(head):
            head = os.path.abspath(head)    # cases run the runtime from other folders
        return cls(binary=head, global_args=tuple(words[1:]), wrapper=wrapper)

    def text(self) -> str:
        head = f"{self.wrapper}:{self.binary}" if self.wrapper else self.binary
        return shlex.join([head, *self.global_args])

    def resolved(self) -> str | None:
        """The binary's absolute path, or None when it is not installed."""
        return shutil.which(self.binary)

    def argv(self, args: list[str]) -> list[str]:
        inner = [self.binary, *self.global_args, *args]
        if not self.wrapper:
            return inner
        return [*WRAPPERS[self.wrapper], *inner]


@dataclass
class Invocation:
    """One runtime call as evidence."""

    argv: list[str]
    exit_code: int | None           # None: killed after the timeout, or could not start
    stdout: str = ""                # the tail of stdout
    stderr: str = ""                # the tail of stderr
    duration: float = 0.0
    timed_out: bool = False
    error: str = ""                 # could not start (binary missing, ...)
    config: str = ""                # the config used, as a diff from the base config

    @property
    def ok(self) -> bool:
        return self.exit_code == 0

    def run(self) -> ProcessRun:
        """This call as typed evidence."""
        return ProcessRun(list(self.argv), self.exit_code, self.stdout, self.stderr,
                          self.duration, self.timed_out, self.error, self.config)

    @property
    def failed(self) -> bool:
        """The runtime reported an error (exit 1..255), not a hang, crash or failure to start."""
        return self.exit_code is not None and self.exit_code > 0

    @property
    def crashed(self) -> bool:
        """The runtime was killed by a signal (negative return code)."""
        return self.exit_code is not None and self.exit_code < 0

    def brief(self) -> str:
        state = "timed out" if self.timed_out else (self.error or f"exit {self.exit_code}")
        tail = self.stderr.strip().splitlines()[-1:] if self.stderr.strip() else []
        return f"{' '.join(self.argv[-3:])}: {state}" + (f" ({tail[0][:160]})" if tail else "")


@dataclass
class Ledger:
    """Every invocation of a run (thread-safe), for the benchmark's baseline."""

    calls: list[Invocation] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, inv: Invocation) -> None:
        with self._lock:
            self.calls.append(inv)

    def total(self) -> float:
        with self._lock:
            return sum(c.duration for c in self.calls)


def _tail(path: Path, limit: int = TAIL) -> str:
    try:
        with path.open("rb") as fh:
            fh.seek(0, os.SEEK_END)
            size = fh.tell()
            fh.seek(max(0, size - limit))
            return fh.read().decode("utf-8", "replace")
    except OSError:
        return ""


class Watchdog:
    """Kill a child's process group at its deadline while the caller blocks in ``wait``.

    The caller waits with a blocking ``wait()`` (no polling, so a short call is timed
    to the microsecond); this timer thread sends SIGTERM to the group at the deadline and
    SIGKILL ``grace`` seconds later if the child is still there.  ``done()`` disarms it
    (under a lock, so a reaped child's group is never signalled).
    """

    def __init__(self, proc: subprocess.Popen[Any], timeout: float, grace: float = 2.0):
        self.proc, self.grace = proc, grace
        self.fired = False
        self._lock = threading.Lock()
        self._finished = False
        self._timer = threading.Timer(timeout, self._fire)
        self._timer.daemon = True
        self._timer.start()

    def _signal(self, sig: int) -> bool:
        with self._lock:
            if self._finished:
                return False
            try:
                os.killpg(self.proc.pid, sig)
            except (ProcessLookupError, PermissionError):
                return False
            return True

    def _fire(self) -> None:
        self.fired = True
        if self._signal(signal.SIGTERM):
            self._timer = threading.Timer(self.grace, self._signal, (signal.SIGKILL,))
            self._timer.daemon = True
            self._timer.start()

    def done(self) -> None:
        with self._lock:
            self._finished = True
        self._timer.cancel()


def wait_bounded(proc: subprocess.Popen[Any], timeout: float) -> tuple[bool, float]:
    """Block until ``proc`` exits, killing its group at ``timeout``: (timed out, seconds).

    ``proc`` must lead its own session (``start_new_session=True``).
    """
    start = time.monotonic()
    dog = Watchdog(proc, timeout)
    try:
        proc.wait()
    finally:
        dog.done()
    return dog.fired, time.monotonic() - start


@dataclass
class Ran:
    """A helper command's result (``mount``, ``ip``, ``busybox --list``)."""

    exit_code: int | None            # None: could not start, or killed at its deadline
    stdout: str = ""
    stderr: str = ""
    timed_out: bool = False
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.exit_code == 0

    def reason(self) -> str:
        """"" when it succeeded, else why not (stderr, exit code, timeout)."""
        if self.ok:
            return ""
        if self.timed_out:
            return "timed out"
        return self.error or self.stderr.strip()[-300:] or f"exit {self.exit_code}"


def run_bounded(argv: list[str], timeout: float = 10.0, cwd: Path | None = None,
                limit: int = 1 << 20) -> Ran:
    """Run a short helper with captured output, a blocking wait and a watchdog.

    Output is read to the end and kept up to ``limit`` bytes per stream (bounded memory).
    """
    try:
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, cwd=cwd, start_new_session=True)
    except OSError as exc:
        return Ran(None, error=f"cannot start {argv[0]}: {exc}")
    dog = Watchdog(proc, timeout)
    chunks: dict[str, bytes] = {}

    def drain(name: str, stream: Any) -> None:
        kept = bytearray()
        for block in iter(lambda: stream.read(1 << 16), b""):
            if len(kept) < limit:
                kept += block[: limit - len(kept)]
        chunks[name] = bytes(kept)

    readers = [threading.Thread(target=drain, args=(n, s), daemon=True)
               for n, s in (("out", proc.stdout), ("err", proc.stderr))]
    for r in readers:
        r.start()
    try:
        proc.wait()
    finally:
        dog.done()
    for r in readers:
        r.join(timeout if not dog.fired else 1.0)    # a grandchild may hold a pipe open
    for stream in (proc.stdout, proc.stderr):
        if stream is not None:
            stream.close()
    text = {k: v.decode("utf-8", "replace") for k, v in chunks.items()}
    return Ran(None if dog.fired else proc.returncode, text.get("out", ""), text.get("err", ""),
               dog.fired)


def run_command(argv: list[str], outdir: Path, timeout: float = DEFAULT_TIMEOUT,
                stdin_data: bytes | None = None, cwd: Path | None = None,
                pass_fds: tuple[int, ...] = (), tag: str = "call",
                keep_stdout: int = TAIL) -> Invocation:
    """Run ``argv`` with output to files under ``outdir``; never raises for the child's faults."""
    outdir.mkdir(parents=True, exist_ok=True)
    stamp = f"{tag}-{time.monotonic_ns()}"
    out_path, err_path = outdir / f"{stamp}.out", outdir / f"{stamp}.err"
    # stdin is a private empty file, not the host's /dev/null: some runtimes chown their
    # stdio to the container's user, and must not change the host's device node.
    empty = outdir / "empty-stdin"
    empty.touch()
    with out_path.open("wb") as out, err_path.open("wb") as err, empty.open("rb") as nothing:
        start = time.monotonic()        # the call itself: from fork to the blocking wait's end
        try:
            proc = subprocess.Popen(argv, stdout=out, stderr=err,
                                    stdin=subprocess.PIPE if stdin_data is not None
                                    else nothing,
                                    cwd=cwd, start_new_session=True, pass_fds=pass_fds)
        except OSError as exc:
            return Invocation(argv, None, error=f"cannot start: {exc}",
                              duration=time.monotonic() - start)
        dog = Watchdog(proc, timeout)
        try:
            if stdin_data is not None and proc.stdin:
                try:
                    proc.stdin.write(stdin_data)
                    proc.stdin.close()
                except BrokenPipeError:
                    pass
            proc.wait()                 # blocking: the watchdog enforces the deadline
        finally:
            duration = time.monotonic() - start
            dog.done()
        timed_out = dog.fired
    return Invocation(argv, None if timed_out else proc.returncode,
                      _tail(out_path, keep_stdout), _tail(err_path), duration, timed_out)


@dataclass
class RuntimeCLI:
    """A runtime bound to one state root: ``create``/``start``/``state``/``kill``/``delete``."""

    command: RuntimeCommand
    root: Path
    logdir: Path
    timeout: float = DEFAULT_TIMEOUT
    ledger: Ledger | None = None
    calls: list[Invocation] = field(default_factory=list)

    def call(self, *args: str, timeout: float | None = None, cwd: Path | None = None,
             pass_fds: tuple[int, ...] = (), with_root: bool = True,
             keep_stdout: int = TAIL) -> Invocation:
        root = ["--root", str(self.root)] if with_root else []
        sandbox_logs = None
        if with_root and runsc_logs.is_runsc(self.command.binary):
            # runsc writes why its sandbox failed to its debug logs, not to stderr
            sandbox_logs = self.logdir / "runsc-debug" / f"{time.monotonic_ns()}"
            root = [*runsc_logs.debug_log_args(sandbox_logs), *root]
        inv = run_command(self.command.argv([*root, *args]), self.logdir,
                          timeout or self.timeout, cwd=cwd, pass_fds=pass_fds,
                          tag=args[0] if args else "call", keep_stdout=keep_stdout)
        if sandbox_logs is not None and inv.failed:
            inv.stderr = runsc_logs.with_reason(inv.stderr, sandbox_logs)
        self.calls.append(inv)
        if self.ledger is not None:
            self.ledger.add(inv)
        return inv

    def create(self, cid: str, bundle: Path, *extra: str) -> Invocation:
        return self.call("create", "--bundle", str(bundle), *extra, cid)

    def start(self, cid: str) -> Invocation:
        return self.call("start", cid)

    def state(self, cid: str) -> Invocation:
        return self.call("state", cid, keep_stdout=1 << 16)

    def kill(self, cid: str, sig: str = "KILL") -> Invocation:
        return self.call("kill", cid, sig)

    def delete(self, cid: str, force: bool = False) -> Invocation:
        return self.call("delete", *(["--force"] if force else []), cid)

    def features(self) -> Invocation:
        return self.call("features", with_root=False, keep_stdout=1 << 20)

    def version(self) -> Invocation:
        return self.call("--version", with_root=False)
