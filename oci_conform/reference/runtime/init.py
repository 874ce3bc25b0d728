"""The processes ``create`` forks: the intermediate (namespaces) and the container init.

intermediate: new session; wait until the runtime has put it in its cgroup; join
namespaces given by path; unshare a new user namespace (the runtime writes the id
maps) and then the other new namespaces; fork the container init; report its pid;
exit.  container init: build the rootfs, let the runtime run its hooks, pivot_root,
report ready, then wait on the exec socket for ``start`` and exec the program.
Nothing here may import after pivot_root: every module is imported at the top.
"""
from __future__ import annotations

import _signal
import os
import resource  # noqa: F401 - rlimits imports it lazily, maybe past a new user namespace
import sys

from oci_conform.reference.runtime import console as console_mod
from oci_conform.reference.runtime import hooks, namespaces, process, rootfs, unixsock
from oci_conform.reference.runtime import syscalls as sc
from oci_conform.reference.runtime.channel import Channel

TYPE_CHECKING = False   # typing is not imported at run time (start-up cost)
if TYPE_CHECKING:
    from typing import Any
    JSON = dict[str, Any]


def _fail(ch: Channel, exc: BaseException) -> None:
    msg = str(exc) or exc.__class__.__name__
    if isinstance(exc, OSError) and exc.strerror and exc.filename is None:
        msg = exc.strerror                  # our own message, without "[Errno N]"
    elif isinstance(exc, OSError) and exc.strerror and exc.strerror not in msg:
        msg = f"{msg}: {exc.strerror}"
    if not isinstance(exc, (OSError, hooks.HookFailed, ValueError)):
        msg = f"{type(exc).__name__}: {msg}"
    try:
        ch.send(error=msg)
    except OSError:
        pass


def intermediate(ch: Channel, cfg: JSON, plan: namespaces.Plan,
                 join_fds: list[tuple[str, int]], ctx: JSON) -> None:
    code = 1
    try:
        os.setsid()
        if not ch.recv().get("go"):
            os._exit(1)
        # still host root in the host's user namespace: inside a new one /proc/self may
        # belong to an unmapped owner (EACCES); the container init inherits the value
        process.oom_score_adj((cfg.get("process") or {}).get("oomScoreAdj"))
        namespaces.join(join_fds, ("user",))
        namespaces.join(join_fds, tuple(k for k in namespaces.JOIN_ORDER if k != "user"))
        if plan.new_user:
            sc.unshare(sc.CLONE_NEWUSER)
            ch.send(userns=True)
            if not ch.recv().get("mapped"):
                os._exit(1)
        if plan.new_user or plan.join_user:
            sc.setresgid(0, 0, 0)
            sc.setresuid(0, 0, 0)
        sc.unshare(plan.unshare_flags())
        bound = "mount" not in plan.new
        if bound:       # the inherited or joined mount namespace: one bind holds it all
            rootfs.bind_root(cfg["root"]["path"])
        if "time" in plan.new and (cfg.get("linux") or {}).get("timeOffsets"):
            namespaces.write_time_offsets(cfg["linux"]["timeOffsets"])
        gate_r, gate_w = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(gate_w)
            os.read(gate_r, 1)          # speak only after the pid message went out
            os.close(gate_r)
            container_init(ch, cfg, plan, ctx)
            os._exit(1)
        os.close(gate_r)
        ch.send(pid=pid, rootbind=bound)
        os.close(gate_w)
        code = 0
    except BaseException as exc:  # noqa: BLE001 - reported to the runtime, then exit
        _fail(ch, exc)
    finally:
        os._exit(code)


def container_init(ch: Channel, cfg: JSON, plan: namespaces.Plan, ctx: JSON) -> None:
    """The container's first process (pid 1 of a new pid namespace)."""
    try:
        os.setsid()
        if not ctx.get("no_new_keyring"):
            sc.new_session_keyring(f"_ses.{ctx['id']}")
        proc = cfg.get("process") or {}
        linux = cfg.get("linux", {})
        console, listener = ctx.get("console"), ctx["listener"]
        if "network" in plan.new:
            sc.link_up("lo")            # a new network namespace starts with lo down
        in_userns = plan.new_user or plan.join_user
        rootfs.prepare(cfg, in_userns, "mount" in plan.new,
                       (ctx.get("cgroup_rel", ""), "cgroup" in plan.new and not in_userns))
        if cfg.get("hostname"):
            sc.sethostname(cfg["hostname"])
        if cfg.get("domainname"):
            sc.setdomainname(cfg["domainname"])
        for key, value in (linux.get("sysctl") or {}).items():
            with open("/proc/sys/" + key.replace(".", "/"), "w") as fh:
                fh.write(str(value))
        if proc:
            process.early(proc, oom=False)      # oom_score_adj: set by the intermediate
        if linux.get("personality"):
            sc.personality(0x0008 if linux["personality"]["domain"] == "LINUX32" else 0)
        ch.send(hooks=True)
        reply = ch.recv()
        if not reply.get("ok"):
            os._exit(1)
        ctx["host_state"] = reply["state"]
        ctx["host_pid"] = reply["state"].get("pid")
        state = dict(reply["state"], pid=os.getpid())
        hooks.run_all("createContainer", cfg.get("hooks", {}), state)
        rootfs.enter(cfg["root"]["path"], "mount" in plan.new)
        rootfs.finish(cfg)
        if proc:
            process.check_executable(proc)
        if console is not None:
            console_mod.attach(console, proc)
        ch.send(ready=True)
        ch.close()
    except BaseException as exc:  # noqa: BLE001
        _fail(ch, exc)
        os._exit(1)
    _wait_and_exec(listener, cfg, proc, ctx, state)


def _send_notify_fd(ctx: JSON, state: JSON, fd: int) -> None:
    """The container process state as JSON, the seccomp fd alongside (SCM_RIGHTS)."""
    import json
    agent = ctx["seccomp_agent"]
    doc = {"ociVersion": state.get("ociVersion"), "fds": ["seccompFd"],
           "pid": ctx["host_pid"], "metadata": ctx.get("seccomp_metadata") or "",
           "state": dict(ctx["host_state"], status="running")}
    unixsock.send_fds(agent, json.dumps(doc).encode(), [fd])
    agent.close()
    os.close(fd)


def _wait_and_exec(listener: unixsock.Sock, cfg: JSON, proc: JSON, ctx: JSON,
                   state: JSON) -> None:
    conn = unixsock.accept(listener)
    listener.close()
    try:
        conn.recv(64)
        hooks.run_all("startContainer", cfg.get("hooks", {}), dict(state, status="created"))
        for sig in (_signal.SIGPIPE, _signal.SIGXFSZ, _signal.SIGINT, _signal.SIGTERM):
            _signal.signal(sig, _signal.SIG_DFL)     # as Python found them, not as it set them
        notify = process.become(proc, ctx.get("seccomp"), ctx.get("setgroups", True),
                                ctx.get("seccomp_flags", 0))
        if notify is not None:
            _send_notify_fd(ctx, state, notify)
        sys.stdout.flush()
        process.keep_fds(ctx.get("preserve_fds", 0))
        process.execute(proc)
    except BaseException as exc:  # noqa: BLE001
        msg = str(exc) or exc.__class__.__name__
        try:
            conn.sendall(msg.encode()[:4000])
        except OSError:
            pass
        os._exit(127)
