"""``create``: validate, reserve the id, fork the container, drive it to ``created``."""
from __future__ import annotations

import os

from oci_conform.reference.runtime import cgroups, config, hooks, init, namespaces, unixsock
from oci_conform.reference.runtime import console as console_mod
from oci_conform.reference.runtime.channel import Channel
from oci_conform.reference.runtime.errors import RuntimeFailure
from oci_conform.reference.runtime.ops import INIT_TIMEOUT, SIGKILL, noop, undo
from oci_conform.reference.runtime.state import SOCKET, Container, proc_start_time

TYPE_CHECKING = False   # typing is not imported at run time (start-up cost)
if TYPE_CHECKING:
    from typing import Any

    from oci_conform.reference.runtime.ops import Warn
    JSON = dict[str, Any]


# -- create ----------------------------------------------------------------------------------
def create(root: str, cid: str, bundle: str, pid_file: str | None = None,
           console_socket: str | None = None, warn: Warn = noop,
           preserve_fds: int = 0, no_new_keyring: bool = False) -> Container:
    bundle = os.path.abspath(bundle)
    cfg = config.load_bundle(bundle)
    linux = cfg.get("linux", {})
    proc = cfg.get("process") or {}
    plan = namespaces.plan(linux)
    if proc.get("terminal") and not console_socket:
        raise RuntimeFailure("process.terminal is true: --console-socket is required")
    if console_socket and not proc.get("terminal"):
        raise RuntimeFailure("--console-socket given but process.terminal is not true")
    sec = linux.get("seccomp") or {}
    prog, sec_flags, notify = None, 0, False
    if sec:
        from oci_conform.reference.runtime import seccomp
        prog, sec_flags = seccomp.compile_filter(sec), seccomp.filter_flags(sec)
        notify = seccomp.uses_notify(sec)
        if notify:
            import json  # noqa: F401 - the init writes the agent's JSON after pivot_root
    rel = cgroups.relpath(linux.get("cgroupsPath"), cid)
    # The init cannot import later: after pivot_root the host's files are gone, and in a
    # user namespace it may not be allowed to read them. Load what it needs now.
    if any(cfg.get("hooks", {}).values()):
        hooks.preload()
    if proc.get("terminal"):
        console_mod.preload()
    if any("tmpcopyup" in (m.get("options") or []) for m in cfg.get("mounts", [])):
        import shutil  # noqa: F401
    if proc.get("rlimits"):
        import resource  # noqa: F401 - the init may not reach the stdlib (user namespace)
    ctr = Container.reserve(root, cid)
    ctr.doc = {"ociVersion": cfg["ociVersion"], "id": cid, "status": "creating",
               "bundle": bundle, "annotations": cfg.get("annotations") or {},
               "runtime": {"creator": os.getpid(),
                           "creator_start": proc_start_time(os.getpid()),
                           "hooks": cfg.get("hooks") or {}, "has_process": bool(proc),
                           "cgroup": rel, "cgroups": [],
                           # what exec needs: the process to start from, the filter
                           "process": proc, "seccomp": sec or None}}
    ctr.save()
    ctx: dict[str, Any] = {"state_dir": ctr.dir, "seccomp": prog, "preserve_fds": preserve_fds,
           "cgroup_rel": rel, "id": cid, "no_new_keyring": no_new_keyring,
           "seccomp_flags": sec_flags,
           "console_socket": os.path.abspath(console_socket) if console_socket else None,
           "setgroups": not (plan.new_user or plan.join_user) or _setgroups_allowed(linux)}
    hook_stage = False
    try:
        # made here, as host root: a user-namespaced init could not bind or connect them
        ctx["listener"] = unixsock.listen(os.path.join(ctr.dir, SOCKET))
        if ctx["console_socket"]:
            ctx["console"] = unixsock.connect(ctx["console_socket"])
        if notify:
            ctx["seccomp_agent"] = unixsock.connect(sec["listenerPath"])
            ctx["seccomp_metadata"] = sec.get("listenerMetadata", "")
        hook_stage = _spawn(ctr, cfg, plan, rel, ctx)
    except BaseException as exc:
        undo(ctr)
        if hook_stage or ctr.private.get("hooks_began"):
            hooks.run_all("poststop", ctr.private.get("hooks", {}),
                          dict(ctr.public(), status="stopped"), warn)
        if isinstance(exc, (RuntimeFailure, hooks.HookFailed)):
            raise RuntimeFailure(str(exc)) from None
        if isinstance(exc, OSError):
            raise RuntimeFailure(f"create: {exc}") from None
        raise
    if pid_file:
        write_pid_file(pid_file, ctr.doc["pid"])
    return ctr


def _setgroups_allowed(linux: JSON) -> bool:
    return True


def write_pid_file(path: str, pid: int) -> None:
    tmp = f"{path}.tmp{os.getpid()}"
    with open(tmp, "w") as fh:
        fh.write(str(pid))
    os.replace(tmp, path)


def _spawn(ctr: Container, cfg: JSON, plan: namespaces.Plan, rel: str, ctx: JSON) -> bool:
    """Fork the intermediate, drive it and the init through the handshake.

    Returns True once the hooks stage began (a later failure must run poststop)."""
    mine, theirs = unixsock.pair()
    join_fds = namespaces.open_join_fds(plan)
    pid = os.fork()
    if pid == 0:
        mine.close()
        init.intermediate(Channel(theirs), cfg, plan, join_fds, ctx)
        os._exit(1)
    theirs.close()
    for key in ("listener", "console", "seccomp_agent"):
        if ctx.get(key) is not None:
            ctx[key].close()
    for _, fd in join_fds:
        os.close(fd)
    ch = Channel(mine)
    try:
        try:
            ctr.private["cgroups"] = cgroups.setup(rel, (cfg.get("linux") or {})
                                                   .get("resources") or {}, pid)
        except RuntimeFailure:
            os.kill(pid, SIGKILL)
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
        if msg.get("rootbind"):
            ctr.private["rootbind"] = [cfg["root"]["path"],
                                       dict(plan.join).get("mount")]
        ctr.doc["pid"] = init_pid
        ctr.private["starttime"] = proc_start_time(init_pid)
        ctr.save()
        msg = _expect(ch)
        if not msg.get("hooks"):
            raise RuntimeFailure(f"create: unexpected message from the container: {msg}")
        if (cfg.get("linux") or {}).get("netDevices"):
            from oci_conform.reference.runtime import netdev
            netdev.move_all(cfg["linux"], init_pid)
        state = ctr.public()
        ctr.private["hooks_began"] = True
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


