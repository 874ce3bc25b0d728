"""The operations on an existing container: start, kill, delete; run = create+start+wait.

Kept free of the heavy imports ``create`` needs, so these commands start fast.
"""
from __future__ import annotations

import os
import time

from oci_conform.reference.runtime.errors import RuntimeFailure
from oci_conform.reference.runtime.state import SOCKET, Container, proc_start_time

TYPE_CHECKING = False   # typing, pathlib, socket and signal are not imported at start-up
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any
    JSON = dict[str, Any]
    Warn = Callable[[str], None]

INIT_TIMEOUT = 60.0
PR_SET_CHILD_SUBREAPER = 36
SIGKILL = 9


def noop(_: str) -> None:
    pass


def _run_hooks(kind: str, ctr: Container, state: JSON, warn: Warn | None = None) -> None:
    """Run hooks of ``kind`` if the container has any (imports hooks only then)."""
    if not (ctr.private.get("hooks") or {}).get(kind):
        return
    from oci_conform.reference.runtime import hooks
    try:
        hooks.run_all(kind, ctr.private["hooks"], state, warn)
    except hooks.HookFailed as exc:
        raise RuntimeFailure(str(exc)) from None


def undo(ctr: Container) -> None:
    """Remove everything a (partly) created container holds: process, cgroups, state."""
    pid = ctr.doc.get("pid")
    if isinstance(pid, int) and ctr.alive():
        try:
            os.kill(pid, SIGKILL)
        except OSError:
            pass
        if ctr.private.get("freezer"):      # a frozen process dies only once thawed
            _thaw_quietly(ctr.private["freezer"])
        wait_gone(pid, ctr.private.get("starttime"), 10)
    from oci_conform.reference.runtime import cgroups
    folders = ctr.private.get("cgroups", [])
    cgroups.kill_all([f for f in folders if f.endswith("/" + ctr.private.get("cgroup", "")
                                                        .rsplit("/", 1)[-1])])
    cgroups.remove(folders, ctr.private.get("cgroup", "").rsplit("/", 1)[-1])
    if ctr.private.get("rootbind"):
        from oci_conform.reference.runtime.rootfs import detach_root
        try:
            detach_root(*ctr.private["rootbind"])
        except OSError as exc:
            if exc.errno not in (22, 2):     # EINVAL/ENOENT: already gone
                raise RuntimeFailure(f"delete: {exc}") from None
    ctr.destroy()


def _thaw_quietly(path: str) -> None:
    from oci_conform.reference.runtime import freezer
    try:
        freezer.set_frozen(path, False)
    except RuntimeFailure:
        pass


def wait_gone(pid: int, start: int | None, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    delay = 0.001
    while time.monotonic() < deadline:
        now = proc_start_time(pid)
        if now is None or (start is not None and now != start):
            return True
        try:
            os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            pass
        time.sleep(delay)
        delay = min(delay * 2, 0.05)
    return False


# -- start -----------------------------------------------------------------------------------
def start(root: str, cid: str, warn: Warn = noop) -> Container:
    ctr = Container.load(root, cid)
    status = ctr.status()
    if status != "created":
        raise RuntimeFailure(f"container {cid!r} is {status}, not created: cannot start")
    if not ctr.private.get("has_process"):
        raise RuntimeFailure(f"container {cid!r} has no process in its config: cannot start")
    ctr.private["started"] = True
    ctr.save()
    problem = _signal_start(ctr)
    if problem:
        _destroy_after_failure(ctr, warn)
        raise RuntimeFailure(f"start: {problem}")
    try:
        _run_hooks("poststart", ctr, ctr.public())
    except RuntimeFailure:
        _destroy_after_failure(ctr, warn)
        raise
    return ctr


def _signal_start(ctr: Container) -> str:
    """Tell the init to exec; '' once the exec happened, else the init's complaint."""
    from oci_conform.reference.runtime import unixsock
    try:
        sock = unixsock.connect(os.path.join(ctr.dir, SOCKET))
    except OSError as exc:
        return f"cannot reach the container init: {exc}"
    try:
        sock.sendall(b"start\n")
        sock.settimeout(INIT_TIMEOUT)
        chunks = []
        while True:
            data = sock.recv(4096)
            if not data:
                break
            chunks.append(data)
        return b"".join(chunks).decode("utf-8", "replace").strip()
    except OSError as exc:
        return f"cannot reach the container init: {exc}"
    finally:
        sock.close()


def _destroy_after_failure(ctr: Container, warn: Warn) -> None:
    state = dict(ctr.public(), status="stopped")
    state.pop("pid", None)
    undo(ctr)
    _run_hooks("poststop", ctr, state, warn)


# -- pause / resume -------------------------------------------------------------------------
def pause(root: str, cid: str, frozen: bool = True) -> None:
    from oci_conform.reference.runtime import freezer
    ctr = Container.load(root, cid)
    status = ctr.status()
    want = ("created", "running") if frozen else ("paused",)
    if status not in want:
        raise RuntimeFailure(f"container {cid!r} is {status}: cannot "
                             f"{'pause' if frozen else 'resume'}")
    path = ctr.private.get("freezer") or freezer.control_file(ctr.private.get("cgroup", ""))
    if not ctr.private.get("freezer"):
        ctr.private["freezer"] = path
        ctr.save()
    freezer.set_frozen(path, frozen)


# -- kill / delete ---------------------------------------------------------------------------
def parse_signal(text: str) -> int:
    """A signal number from a number or a name with or without SIG (TERM, SIGKILL, RTMIN)."""
    import _signal  # the C module: its SIG* constants, without the Signals enum set-up
    text = text.strip().upper()
    if text.isdigit():
        num = int(text)
        if not 0 < num < _signal.NSIG:
            raise RuntimeFailure(f"invalid signal number {num}")
        return num
    name = text if text.startswith("SIG") else "SIG" + text
    found = getattr(_signal, name, None) if not name.startswith("SIG_") else None
    if not isinstance(found, int):
        raise RuntimeFailure(f"unknown signal {text!r}")
    return found


def kill(root: str, cid: str, sig: str = "TERM", every: bool = False) -> None:
    """Signal the container's init; with ``every`` (``--all``) every process of its
    cgroup (the way to reach them all when the container shares a pid namespace)."""
    ctr = Container.load(root, cid)
    num = parse_signal(sig)
    status = ctr.status()
    if status not in ("created", "running", "paused"):
        raise RuntimeFailure(f"container {cid!r} is {status}: cannot send a signal")
    if every:
        from oci_conform.reference.runtime.update import pids
        for pid in pids(ctr):
            try:
                os.kill(pid, num)
            except ProcessLookupError:
                pass
        return
    try:
        os.kill(ctr.doc["pid"], num)
    except ProcessLookupError:
        raise RuntimeFailure(f"container {cid!r} is not running") from None


def delete(root: str, cid: str, force: bool = False, warn: Warn = noop) -> None:
    ctr = Container.load(root, cid)
    status = ctr.status()
    if status != "stopped" and not force:
        raise RuntimeFailure(f"container {cid!r} is {status}, not stopped: cannot delete "
                             "(use --force)")
    state = dict(ctr.public(), status="stopped")
    state.pop("pid", None)
    ran = ctr.private.get("started") or ctr.doc.get("status") == "created"
    undo(ctr)
    if ran:
        _run_hooks("poststop", ctr, state, warn)


# -- run -------------------------------------------------------------------------------------
def run(root: str, cid: str, bundle: str, pid_file: str | None, console_socket: str | None,
        warn: Warn = noop, preserve_fds: int = 0, no_new_keyring: bool = False) -> int:
    """create + start, wait for the process (we are its subreaper), delete; its status."""
    from oci_conform.reference.runtime import syscalls as sc
    from oci_conform.reference.runtime.create import create
    sc.prctl(PR_SET_CHILD_SUBREAPER, 1)
    ctr = create(root, cid, bundle, pid_file, console_socket, warn, preserve_fds,
                 no_new_keyring)
    pid = ctr.doc["pid"]
    start(root, cid, warn)          # on failure start has already destroyed the container
    code = 255
    while True:
        try:
            got, status = os.waitpid(-1, 0)
        except ChildProcessError:
            break
        if got == pid:
            code = os.waitstatus_to_exitcode(status)
            code = 128 - code if code < 0 else code
            break
    delete(root, cid, force=True, warn=warn)
    return code
