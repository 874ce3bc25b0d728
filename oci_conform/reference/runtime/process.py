"""The container process: identity, capabilities, limits, and the final exec."""
from __future__ import annotations

import os

from oci_conform.reference.runtime import capabilities, rlimits, sched
from oci_conform.reference.runtime import syscalls as sc

TYPE_CHECKING = False   # typing is not imported at run time (start-up cost)
if TYPE_CHECKING:
    from typing import Any
    JSON = dict[str, Any]


def oom_score_adj(value: int | None) -> None:
    if value is not None:
        with open("/proc/self/oom_score_adj", "w") as fh:
            fh.write(str(value))


def early(proc: JSON, oom: bool = True) -> None:
    """At create, still in the host's /proc: oom_score_adj and rlimits."""
    if oom:
        oom_score_adj(proc.get("oomScoreAdj"))
    rlimits.apply(proc.get("rlimits", []))
    if proc.get("scheduler") is not None:
        sched.apply_scheduler(proc["scheduler"])
    if proc.get("ioPriority") is not None:
        sched.apply_io_priority(proc["ioPriority"])


def env_dict(env: list[str]) -> dict[str, str]:
    out = {}
    for item in env:
        key, sep, value = item.partition("=")
        if key:
            out[key] = value if sep else ""
    return out


def become(proc: JSON, seccomp_prog: bytes | None, setgroups_ok: bool = True,
           seccomp_flags: int = 0) -> int | None:
    """Switch to the configured user with the configured capability sets.

    Returns the seccomp notify fd when the filter was installed with a listener."""
    notify: int | None = None
    user = proc.get("user", {})
    caps = proc.get("capabilities")
    nnp = bool(proc.get("noNewPrivileges"))
    if seccomp_prog and not nnp:
        notify = sc.seccomp_filter(seccomp_prog, seccomp_flags)
    if caps is not None:
        capabilities.drop_bounding(capabilities.mask(caps.get("bounding", [])))
    sc.prctl(sc.PR_SET_KEEPCAPS, 1)
    if setgroups_ok:
        sc.setgroups(list(user.get("additionalGids", [])))
    sc.setresgid(user.get("gid", 0), user.get("gid", 0), user.get("gid", 0))
    sc.setresuid(user.get("uid", 0), user.get("uid", 0), user.get("uid", 0))
    sc.prctl(sc.PR_SET_KEEPCAPS, 0)
    if caps is not None:
        capabilities.apply_sets(caps)
    if user.get("umask") is not None:
        os.umask(user["umask"])
    if nnp:
        sc.prctl(sc.PR_SET_NO_NEW_PRIVS, 1)
        if seccomp_prog:
            notify = sc.seccomp_filter(seccomp_prog, seccomp_flags)
    return notify if seccomp_flags & 8 else None


def _not_found(name: str) -> OSError:
    # worded as runc words it: engines map "executable file not found" to status 127
    return OSError(2, f"exec: {name!r}: executable file not found in $PATH")


def check_executable(proc: JSON) -> None:
    """At create (as runc does): the program must exist, so a typo fails ``create``.

    A name with a ``/`` is taken relative to ``cwd``; a bare name is searched in the
    process's ``PATH``.  Raises OSError naming it."""
    env = env_dict(proc.get("env", []))
    name = proc["args"][0]
    if "/" in name:
        if not os.path.exists(os.path.join(proc.get("cwd", "/"), name)):
            raise OSError(2, f"exec: {name!r}: no such file or directory")
        return
    for folder in env.get("PATH", "/usr/local/bin:/usr/bin:/bin").split(":"):
        cand = os.path.join(folder or proc.get("cwd", "/"), name)
        if os.path.isfile(cand) and os.access(cand, os.X_OK):
            return
    raise _not_found(name)


def execute(proc: JSON) -> None:
    """chdir and exec; returns only by raising OSError."""
    env = env_dict(proc.get("env", []))
    os.chdir(proc.get("cwd", "/"))
    args = proc["args"]
    if "/" in args[0]:
        os.execve(args[0], args, env)
    path = env.get("PATH", "/usr/local/bin:/usr/bin:/bin")
    last: OSError | None = None
    for folder in path.split(":"):
        cand = os.path.join(folder or ".", args[0])
        try:
            os.execve(cand, args, env)
        except (FileNotFoundError, NotADirectoryError) as exc:
            last = exc
        except PermissionError as exc:
            last = exc
    raise _not_found(args[0]) if last is None or isinstance(last, FileNotFoundError) \
        else last


def keep_fds(count: int, extra: set[int] | None = None) -> None:
    """Let only stdio and the ``count`` descriptors after it survive the exec (as runc's
    ``--preserve-fds``): every later one becomes close-on-exec."""
    first = 3 + count
    try:
        fds = [int(n) for n in os.listdir("/proc/self/fd")]
    except OSError:                     # no /proc in the container: the common range
        fds = list(range(first, 1024))
    for fd in fds:
        if fd >= first or (extra and fd in extra):
            try:
                os.set_inheritable(fd, False)
            except OSError:
                pass
