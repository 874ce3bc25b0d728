"""The operations: create, start, state, kill, delete (and run = create+start+wait)."""
from __future__ import annotations

import os
import signal
import socket
import time
from pathlib import Path
from typing import Any, Callable

from oci_conform.reference.runtime import cgroups, config, hooks, init, namespaces, seccomp
from oci_conform.reference.runtime import syscalls as sc
from oci_conform.reference.runtime.channel import Channel
from oci_conform.reference.runtime.errors import RuntimeFailure
from oci_conform.reference.runtime.state import Container, proc_start_time

JSON = dict[str, Any]
INIT_TIMEOUT = 60.0
PR_SET_CHILD_SUBREAPER = 36
Warn = Callable[[str], None]


def _noop(_: str) -> None:
    pass


# -- create ----------------------------------------------------------------------------------
def create(root: Path, cid: str, bundle: Path, pid_file: str | None = None,
           console_socket: str | None = None, warn: Warn = _noop) -> Container:
    bundle = bundle.absolute()
    cfg = config.load_bundle(bundle)
    linux = cfg.get("linux", {})
    proc = cfg.get("process") or {}
    plan = namespaces.plan(linux)
    if "mount" not in plan.new:
        raise RuntimeFailure("config.json /linux/namespaces: this runtime needs a new mount "
                             "namespace")
    if proc.get("terminal") and not console_socket:
        raise RuntimeFailure("process.terminal is true: --console-socket is required")
    if console_socket and not proc.get("terminal"):
        raise RuntimeFailure("--console-socket given but process.terminal is not true")
    prog = seccomp.compile_filter(linux["seccomp"]) if linux.get("seccomp") else None
    rel = cgroups.relpath(linux.get("cgroupsPath"), cid)
    ctr = Container.reserve(root, cid)
    ctr.doc = {"ociVersion": cfg["ociVersion"], "id": cid, "status": "creating",
               "bundle": str(bundle), "annotations": cfg.get("annotations") or {},
               "runtime": {"creator": os.getpid(),
                           "creator_start": proc_start_time(os.getpid()),
                           "hooks": cfg.get("hooks") or {}, "has_process": bool(proc),
                           "cgroup": rel, "cgroups": []}}
    ctr.save()
    ctx = {"state_dir": str(ctr.dir), "seccomp": prog,
           "console_socket": os.path.abspath(console_socket) if console_socket else None,
           "setgroups": not (plan.new_user or plan.join_user) or _setgroups_allowed(linux)}
    hook_stage = False
    try:
        hook_stage = _spawn(ctr, cfg, plan, rel, ctx)
    except BaseException as exc:
        _undo(ctr)
        if hook_stage or isinstance(exc, hooks.HookFailed):
            hooks.run_all("poststop", ctr.private.get("hooks", {}),
                          dict(ctr.public(), status="stopped"), warn)
        if isinstance(exc, (RuntimeFailure, hooks.HookFailed)):
            raise RuntimeFailure(str(exc)) from None
        if isinstance(exc, OSError):
            raise RuntimeFailure(f"create: {exc}") from None
        raise
    if pid_file:
        _write_pid_file(pid_file, ctr.doc["pid"])
    return ctr


def _setgroups_allowed(linux: JSON) -> bool:
    return True


def _write_pid_file(path: str, pid: int) -> None:
    tmp = f"{path}.tmp{os.getpid()}"
    with open(tmp, "w") as fh:
        fh.write(str(pid))
    os.replace(tmp, path)


def _spawn(ctr: Container, cfg: JSON, plan: namespaces.Plan, rel: str, ctx: JSON) -> bool:
    """Fork the intermediate, drive it and the init through the handshake.

    Returns True once the hooks stage began (a later failure must run poststop)."""
    mine, theirs = socket.socketpair()
    join_fds = namespaces.open_join_fds(plan)
    pid = os.fork()
    if pid == 0:
        mine.close()
        init.intermediate(Channel(theirs), cfg, plan, join_fds, ctx)
        os._exit(1)
    theirs.close()
    for _, fd in join_fds:
        os.close(fd)
    ch = Channel(mine)
    try:
        try:
            ctr.private["cgroups"] = cgroups.setup(rel, (cfg.get("linux") or {})
                                                   .get("resources") or {}, pid)
        except RuntimeFailure:
            os.kill(pid, signal.SIGKILL)
            raise
        ctr.save()
        ch.send(go=True)
        msg = _expect(ch)
        if msg.get("userns"):
            namespaces.write_maps(pid, cfg.get("linux", {}))
            ch.send(mapped=True)
            msg = _expect(ch)
        init_pid = msg.get("pid")
        if not isinstance(init_pid, int):
            raise RuntimeFailure(f"create: unexpected message from the container: {msg}")
        ctr.doc["pid"] = init_pid
        ctr.private["starttime"] = proc_start_time(init_pid)
        ctr.save()
        msg = _expect(ch)
        if not msg.get("hooks"):
            raise RuntimeFailure(f"create: unexpected message from the container: {msg}")
        state = ctr.public()
        try:
            hooks.run_all("prestart", ctr.private["hooks"], state)
            hooks.run_all("createRuntime", ctr.private["hooks"], state)
        except hooks.HookFailed:
            ch.send(ok=False)
            raise
        ch.send(ok=True, state=state)
        msg = _expect(ch)
        if not msg.get("ready"):
            raise RuntimeFailure(f"create: unexpected message from the container: {msg}")
        ctr.doc["status"] = "created"
        ctr.save()
        return True
    finally:
        ch.close()
        _reap(pid)


def _expect(ch: Channel) -> JSON:
    msg = ch.recv(INIT_TIMEOUT)
    if msg.get("error"):
        raise RuntimeFailure(f"create: {msg['error']}")
    if msg.get("eof"):
        raise RuntimeFailure("create: the container init exited during setup")
    return msg


def _reap(pid: int) -> None:
    try:
        os.waitpid(pid, 0)
    except ChildProcessError:
        pass


def _undo(ctr: Container) -> None:
    """Remove everything a (partly) created container holds: process, cgroups, state."""
    pid = ctr.doc.get("pid")
    if isinstance(pid, int) and ctr.alive():
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
        wait_gone(pid, ctr.private.get("starttime"), 10)
    folders = ctr.private.get("cgroups", [])
    cgroups.kill_all([f for f in folders if f.endswith("/" + ctr.private.get("cgroup", "")
                                                        .rsplit("/", 1)[-1])])
    cgroups.remove(folders, ctr.private.get("cgroup", "").rsplit("/", 1)[-1])
    ctr.destroy()


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
def start(root: Path, cid: str, warn: Warn = _noop) -> Container:
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
        hooks.run_all("poststart", ctr.private["hooks"], ctr.public())
    except hooks.HookFailed as exc:
        _destroy_after_failure(ctr, warn)
        raise RuntimeFailure(str(exc)) from None
    return ctr


def _signal_start(ctr: Container) -> str:
    """Tell the init to exec; '' once the exec happened, else the init's complaint."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    here = os.getcwd()
    try:
        os.chdir(ctr.dir)
        try:
            sock.connect("exec.sock")
        finally:
            os.chdir(here)
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
    _undo(ctr)
    hooks.run_all("poststop", ctr.private.get("hooks", {}), state, warn)


# -- kill / delete ---------------------------------------------------------------------------
def parse_signal(text: str) -> int:
    text = text.strip().upper()
    if text.isdigit():
        num = int(text)
        if not 0 < num < signal.NSIG:
            raise RuntimeFailure(f"invalid signal number {num}")
        return num
    name = text if text.startswith("SIG") else "SIG" + text
    try:
        return int(signal.Signals[name])
    except KeyError:
        raise RuntimeFailure(f"unknown signal {text!r}") from None


def kill(root: Path, cid: str, sig: str = "TERM") -> None:
    ctr = Container.load(root, cid)
    num = parse_signal(sig)
    status = ctr.status()
    if status not in ("created", "running"):
        raise RuntimeFailure(f"container {cid!r} is {status}: cannot send a signal")
    try:
        os.kill(ctr.doc["pid"], num)
    except ProcessLookupError:
        raise RuntimeFailure(f"container {cid!r} is not running") from None


def delete(root: Path, cid: str, force: bool = False, warn: Warn = _noop) -> None:
    ctr = Container.load(root, cid)
    status = ctr.status()
    if status != "stopped" and not force:
        raise RuntimeFailure(f"container {cid!r} is {status}, not stopped: cannot delete "
                             "(use --force)")
    state = dict(ctr.public(), status="stopped")
    state.pop("pid", None)
    ran = ctr.private.get("started") or ctr.doc.get("status") == "created"
    _undo(ctr)
    if ran:
        hooks.run_all("poststop", ctr.private.get("hooks", {}), state, warn)


# -- run -------------------------------------------------------------------------------------
def run(root: Path, cid: str, bundle: Path, pid_file: str | None, console_socket: str | None,
        warn: Warn = _noop) -> int:
    """create + start, wait for the process (we are its subreaper), delete; its status."""
    sc.prctl(PR_SET_CHILD_SUBREAPER, 1)
    ctr = create(root, cid, bundle, pid_file, console_socket, warn)
    pid = ctr.doc["pid"]
    try:
        start(root, cid, warn)
    except RuntimeFailure:
        raise
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
