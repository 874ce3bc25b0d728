"""The ``process`` object: cwd, args, env, rlimits, capabilities, user, scheduling."""
from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from oci_conform.checks.runtime_config.common import cpu_list_ok, is_abs, is_int
from oci_conform.checks.runtime_config.context import Ctx
from oci_conform.checks.runtime_config.obs import Obs, bad, good, judge
from oci_conform.linux_capabilities import NAMES as CAP_NAMES

C = "rt.config."
RLIMITS = frozenset("RLIMIT_" + n for n in (
    "AS", "CORE", "CPU", "DATA", "FSIZE", "LOCKS", "MEMLOCK", "MSGQUEUE", "NICE", "NOFILE",
    "NPROC", "RSS", "RTPRIO", "RTTIME", "SIGPENDING", "STACK"))
CAPABILITIES = frozenset(CAP_NAMES)
CAP_SETS = {"effective": "linux-process.5", "bounding": "linux-process.6",
            "inheritable": "linux-process.7", "permitted": "linux-process.8",
            "ambient": "linux-process.9"}
WINDOWS_ABS = re.compile(r"^([A-Za-z]:[\\/]|\\\\)")
UINT32 = 2**32 - 1


def check_process(doc: dict[str, Any], ctx: Ctx) -> Iterator[Obs]:
    proc = doc.get("process")
    if not isinstance(proc, dict):
        return
    yield from _cwd(proc, ctx)
    yield from _args(proc, ctx)
    yield from _env(proc)
    if ctx.posix:
        yield from _rlimits(proc)
        yield from _user(proc)
    if ctx.platform == "linux":
        yield from _capabilities(proc, ctx)
        yield from _linux_misc(proc)
        yield from _scheduler(proc)


def _cwd(proc: dict[str, Any], ctx: Ctx) -> Iterator[Obs]:
    cwd = proc.get("cwd")
    if isinstance(cwd, str):
        ok = bool(WINDOWS_ABS.match(cwd)) if ctx.platform == "windows" else is_abs(cwd)
        yield judge(C + "process.9", "/process/cwd", ok, "cwd is not an absolute path",
                    "an absolute path", cwd)


def _args(proc: dict[str, Any], ctx: Ctx) -> Iterator[Obs]:
    args = proc.get("args")
    if ctx.platform == "windows":
        has = (isinstance(args, list) and args) or isinstance(proc.get("commandLine"), str)
        yield judge(C + "process.12-b", "/process", bool(has),
                    "on Windows a process needs args or commandLine", "args or commandLine",
                    "neither")
        return
    if args is None:
        clause = "process.12" if ctx.at_least("1.0.2") else "process.11-pre-1.0.2"
        yield bad(C + clause, "/process/args", "process.args is missing; at least one "
                  "entry (the program) is required", "at least one entry", "absent")
    elif isinstance(args, list):
        if not ctx.at_least("1.0.2"):
            yield good(C + "process.11-pre-1.0.2", "/process/args")
        yield judge(C + "process.12", "/process/args", len(args) >= 1,
                    "process.args is empty; at least one entry (the program) is required",
                    "at least one entry", args)


def env_problem(entry: Any) -> str:
    """Why ``entry`` is not a NAME=VALUE environment string ('' when it is one)."""
    if not isinstance(entry, str):
        return ""
    name, eq, _ = entry.partition("=")
    if not eq:
        return "has no '=' (expected NAME=VALUE)"
    if not name:
        return "has an empty variable name"
    if "\0" in entry:
        return "contains a NUL character"
    return ""


def _env(proc: dict[str, Any]) -> Iterator[Obs]:
    env = proc.get("env")
    if not isinstance(env, list):
        return
    for i, entry in enumerate(env):
        problem = env_problem(entry)
        yield judge(C + "process.10", f"/process/env/{i}", not problem,
                    f"environment entry {problem}", "NAME=VALUE", entry)


def _rlimits(proc: dict[str, Any]) -> Iterator[Obs]:
    limits = proc.get("rlimits")
    if not isinstance(limits, list):
        return
    seen: dict[str, int] = {}
    for i, item in enumerate(limits):
        if not isinstance(item, dict):
            continue
        where = f"/process/rlimits/{i}"
        kind = item.get("type")
        if isinstance(kind, str):
            yield judge(C + "posixprocess.3", f"{where}/type", kind in RLIMITS,
                        f"{kind} is not a resource limit the kernel knows",
                        "one of RLIMIT_AS ... RLIMIT_STACK", kind)
            if kind in seen:
                yield bad(C + "posixprocess.9", f"{where}/type",
                          f"{kind} is listed twice (first at index {seen[kind]})",
                          "each type once", kind)
            else:
                seen[kind] = i
                yield good(C + "posixprocess.9", f"{where}/type")
        soft, hard = item.get("soft"), item.get("hard")
        if is_int(soft) and is_int(hard):
            yield judge(C + "posixprocess.7", f"{where}/soft", soft <= hard,
                        "the soft limit is above the hard limit (the kernel refuses it)",
                        f"soft <= {hard}", soft)


def _user(proc: dict[str, Any]) -> Iterator[Obs]:
    user = proc.get("user")
    if not isinstance(user, dict):
        return
    for field, clause in (("uid", "posixuser.1"), ("gid", "posixuser.2")):
        value = user.get(field)
        if value is None:
            yield bad(C + clause, f"/process/user/{field}", f"user.{field} is required on POSIX "
                      "platforms", f"member {field!r}", "absent")
        elif is_int(value):
            yield judge(C + clause, f"/process/user/{field}", 0 <= value <= UINT32,
                        f"user.{field} is outside 0..{UINT32}", f"0..{UINT32}", value)
    umask = user.get("umask")
    if is_int(umask):
        yield judge(C + "posixuser.3", "/process/user/umask", 0 <= umask <= 0o777,
                    "umask has bits beyond 0777", "0..511 (0777)", umask)
    gids = user.get("additionalGids")
    if isinstance(gids, list):
        for i, gid in enumerate(gids):
            if is_int(gid):
                yield judge(C + "posixuser.4", f"/process/user/additionalGids/{i}",
                            0 <= gid <= UINT32, "group id out of range", f"0..{UINT32}", gid)


def _capabilities(proc: dict[str, Any], ctx: Ctx) -> Iterator[Obs]:
    """Unknown names: an error before 1.1.0, only a runtime warning since (so a MAY-level note)."""
    caps = proc.get("capabilities")
    if not isinstance(caps, dict):
        return
    strict = not ctx.at_least("1.1.0")
    for name, suffix in CAP_SETS.items():
        suffix = "linux-process.3-pre-1.1" if strict else suffix
        values = caps.get(name)
        if not isinstance(values, list):
            continue
        for i, cap in enumerate(values):
            if isinstance(cap, str):
                yield judge(C + suffix, f"/process/capabilities/{name}/{i}", cap in CAPABILITIES,
                            f"{cap} is not a Linux capability name", "CAP_<NAME> known to Linux",
                            cap)


def _linux_misc(proc: dict[str, Any]) -> Iterator[Obs]:
    adj = proc.get("oomScoreAdj")
    if is_int(adj):
        yield judge(C + "linux-process.11", "/process/oomScoreAdj", -1000 <= adj <= 1000,
                    "oom_score_adj accepts -1000..1000 only", "-1000..1000", adj)
    label = proc.get("selinuxLabel")
    if isinstance(label, str) and label:
        yield judge(C + "linux-process.22", "/process/selinuxLabel", label.count(":") >= 2,
                    "an SELinux label has the form user:role:type[:level]",
                    "user:role:type[:level]", label)
    prio = proc.get("ioPriority")
    if isinstance(prio, dict) and is_int(prio.get("priority")):
        yield judge(C + "linux-process.25-b", "/process/ioPriority/priority",
                    0 <= prio["priority"] <= 7, "I/O priority levels are 0 (highest) to 7",
                    "0..7", prio["priority"])
    affinity = proc.get("execCPUAffinity")
    if isinstance(affinity, dict):
        for field, clause in (("initial", "linux-process.27"), ("final", "linux-process.28")):
            value = affinity.get(field)
            if isinstance(value, str) and value:
                yield judge(C + clause, f"/process/execCPUAffinity/{field}", cpu_list_ok(value),
                            "not a CPU list such as 0-3,7", "a CPU list such as 0-3,7", value)


def _scheduler(proc: dict[str, Any]) -> Iterator[Obs]:
    sched = proc.get("scheduler")
    if not isinstance(sched, dict):
        return
    where = "/process/scheduler"
    policy = sched.get("policy")
    nice = sched.get("nice")
    if is_int(nice):
        yield judge(C + "linux-process.16", f"{where}/nice", -20 <= nice <= 19,
                    "nice values run from -20 to 19", "-20..19", nice)
    prio = sched.get("priority")
    if is_int(prio) and isinstance(policy, str):
        realtime = policy in ("SCHED_FIFO", "SCHED_RR")
        ok = 1 <= prio <= 99 if realtime else prio == 0
        yield judge(C + "linux-process.17", f"{where}/priority", ok,
                    f"{policy} takes priority {'1..99' if realtime else '0'}",
                    "1..99" if realtime else "0", prio)
    if policy == "SCHED_DEADLINE":
        run, dead, period = (sched.get(k, 0) for k in ("runtime", "deadline", "period"))
        if all(is_int(v) for v in (run, dead, period)):
            ok = run <= dead and (period == 0 or dead <= period)
            yield judge(C + "linux-process.20", f"{where}/deadline", ok,
                        "SCHED_DEADLINE needs runtime <= deadline <= period",
                        "runtime <= deadline <= period", f"{run} / {dead} / {period}")
