"""The ``process`` object: cwd, args, env, rlimits, capabilities, user, scheduling."""
from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from oci_conform.checks.runtime_config.common import cpu_list_ok, is_abs, is_int, value_rule
from oci_conform.checks.runtime_config.context import Ctx
from oci_conform.linux_capabilities import NAMES as CAP_NAMES
from oci_conform.model.judging import Observation, failed, observed, passed

RLIMITS = frozenset("RLIMIT_" + n for n in (
    "AS", "CORE", "CPU", "DATA", "FSIZE", "LOCKS", "MEMLOCK", "MSGQUEUE", "NICE", "NOFILE",
    "NPROC", "RSS", "RTPRIO", "RTTIME", "SIGPENDING", "STACK"))
CAPABILITIES = frozenset(CAP_NAMES)
WINDOWS_ABS = re.compile(r"^([A-Za-z]:[\\/]|\\\\)")
UINT32 = 2**32 - 1


def check_process(doc: dict[str, Any], ctx: Ctx) -> Iterator[Observation]:
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


def _cwd(proc: dict[str, Any], ctx: Ctx) -> Iterator[Observation]:
    cwd = proc.get("cwd")
    if isinstance(cwd, str):
        ok = bool(WINDOWS_ABS.match(cwd)) if ctx.platform == "windows" else is_abs(cwd)
        yield observed("rt.config.process.9", ok, "cwd is not an absolute path",
                       location="/process/cwd", expected="an absolute path", actual=cwd)


def _args(proc: dict[str, Any], ctx: Ctx) -> Iterator[Observation]:
    args = proc.get("args")
    if ctx.platform == "windows":
        has = (isinstance(args, list) and args) or "commandLine" in proc
        yield observed("rt.config.process.12-b", bool(has),
                       "on Windows a process needs args or commandLine", location="/process",
                       expected="args or commandLine", actual="neither")
        return
    if args is None:
        clause = ("rt.config.process.12" if ctx.at_least("1.0.2")
                  else "rt.config.process.11-pre-1.0.2")
        yield failed(clause, "process.args is missing; at least one entry (the program) is "
                     "required",
                     location="/process/args", expected="at least one entry", actual="absent")
    elif isinstance(args, list):
        if not ctx.at_least("1.0.2"):
            yield passed("rt.config.process.11-pre-1.0.2")
        yield observed("rt.config.process.12", len(args) >= 1,
                       "process.args is empty; at least one entry (the program) is required",
                       location="/process/args", expected="at least one entry", actual=args)


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


def _env(proc: dict[str, Any]) -> Iterator[Observation]:
    env = proc.get("env")
    if not isinstance(env, list):
        return
    for i, entry in enumerate(env):
        problem = env_problem(entry)
        yield from value_rule("rt.config.process.10", "rt.config.property-values", not problem,
                              f"environment entry {problem}", location=f"/process/env/{i}",
                              expected="NAME=VALUE", actual=entry)


def _rlimits(proc: dict[str, Any]) -> Iterator[Observation]:
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
            yield observed("rt.config.posixprocess.3", kind in RLIMITS,
                           f"{kind} is not a resource limit the kernel knows",
                           location=f"{where}/type", expected="one of RLIMIT_AS ... RLIMIT_STACK",
                           actual=kind)
            if kind in seen:
                yield failed("rt.config.posixprocess.9",
                             f"{kind} is listed twice (first at index {seen[kind]})",
                             location=f"{where}/type", expected="each type once", actual=kind)
            else:
                seen[kind] = i
                yield passed("rt.config.posixprocess.9")
        soft, hard = item.get("soft"), item.get("hard")
        if is_int(soft) and is_int(hard):
            yield observed("rt.config.posixprocess.7", soft <= hard,
                           "the soft limit is above the hard limit (the kernel refuses it)",
                           location=f"{where}/soft", expected=f"soft <= {hard}", actual=soft)


def _user(proc: dict[str, Any]) -> Iterator[Observation]:
    user = proc.get("user")
    if not isinstance(user, dict):
        return
    for field, clause in (("uid", "rt.config.posixuser.1"),
                          ("gid", "rt.config.posixuser.2")):
        value = user.get(field)
        if value is None:
            yield failed(clause, f"user.{field} is required on POSIX platforms",
                         location=f"/process/user/{field}", expected=f"member {field!r}",
                         actual="absent")
        elif is_int(value):
            yield observed(clause, 0 <= value <= UINT32, f"user.{field} is outside 0..{UINT32}",
                           location=f"/process/user/{field}", expected=f"0..{UINT32}", actual=value)
    umask = user.get("umask")
    if is_int(umask):
        yield observed("rt.config.posixuser.3", 0 <= umask <= 0o777, "umask has bits beyond 0777",
                       location="/process/user/umask", expected="0..511 (0777)", actual=umask)
    gids = user.get("additionalGids")
    if isinstance(gids, list):
        for i, gid in enumerate(gids):
            if is_int(gid):
                yield from value_rule("rt.config.posixuser.4", "rt.config.property-values",
                                      0 <= gid <= UINT32, "group id out of range",
                                      location=f"/process/user/additionalGids/{i}",
                                      expected=f"0..{UINT32}", actual=gid)


def _capabilities(proc: dict[str, Any], ctx: Ctx) -> Iterator[Observation]:
    """Unknown names: an error before 1.1.0, only a runtime warning since (so a MAY-level note)."""
    caps = proc.get("capabilities")
    if not isinstance(caps, dict):
        return
    strict = not ctx.at_least("1.1.0")
    for name, clause in (("effective", "rt.config.linux-process.5"),
                         ("bounding", "rt.config.linux-process.6"),
                         ("inheritable", "rt.config.linux-process.7"),
                         ("permitted", "rt.config.linux-process.8"),
                         ("ambient", "rt.config.linux-process.9")):
        clause = "rt.config.linux-process.3-pre-1.1" if strict else clause
        values = caps.get(name)
        if not isinstance(values, list):
            continue
        for i, cap in enumerate(values):
            if isinstance(cap, str):
                yield observed(clause, cap in CAPABILITIES,
                               f"{cap} is not a Linux capability name",
                               location=f"/process/capabilities/{name}/{i}",
                               expected="CAP_<NAME> known to Linux", actual=cap)


def _linux_misc(proc: dict[str, Any]) -> Iterator[Observation]:
    adj = proc.get("oomScoreAdj")
    if is_int(adj):
        yield observed("rt.config.linux-process.11", -1000 <= adj <= 1000,
                       "oom_score_adj accepts -1000..1000 only", location="/process/oomScoreAdj",
                       expected="-1000..1000", actual=adj)
    label = proc.get("selinuxLabel")
    if isinstance(label, str) and label:
        yield observed("rt.config.linux-process.22", label.count(":") >= 2,
                       "an SELinux label has the form user:role:type[:level]",
                       location="/process/selinuxLabel", expected="user:role:type[:level]",
                       actual=label)
    prio = proc.get("ioPriority")
    if isinstance(prio, dict) and is_int(prio.get("priority")):
        yield observed("rt.config.linux-process.25-b", 0 <= prio["priority"] <= 7,
                       "I/O priority levels are 0 (highest) to 7",
                       location="/process/ioPriority/priority", expected="0..7",
                       actual=prio["priority"])
    affinity = proc.get("execCPUAffinity")
    if isinstance(affinity, dict):
        for field, clause in (("initial", "rt.config.linux-process.27"),
                              ("final", "rt.config.linux-process.28")):
            value = affinity.get(field)
            if isinstance(value, str) and value:
                yield from value_rule(clause, "rt.config.property-values", cpu_list_ok(value),
                                      "not a CPU list such as 0-3,7",
                                      location=f"/process/execCPUAffinity/{field}",
                                      expected="a CPU list such as 0-3,7", actual=value)


def _scheduler(proc: dict[str, Any]) -> Iterator[Observation]:
    sched = proc.get("scheduler")
    if not isinstance(sched, dict):
        return
    where = "/process/scheduler"
    policy = sched.get("policy")
    nice = sched.get("nice")
    if is_int(nice):
        yield observed("rt.config.linux-process.16", -20 <= nice <= 19,
                       "nice values run from -20 to 19", location=f"{where}/nice",
                       expected="-20..19", actual=nice)
    prio = sched.get("priority")
    if is_int(prio) and isinstance(policy, str):
        realtime = policy in ("SCHED_FIFO", "SCHED_RR")
        ok = 1 <= prio <= 99 if realtime else prio == 0
        yield observed("rt.config.linux-process.17", ok,
                       f"{policy} takes priority {'1..99' if realtime else '0'}",
                       location=f"{where}/priority", expected="1..99" if realtime else "0",
                       actual=prio)
    if policy == "SCHED_DEADLINE":
        run, dead, period = (sched.get(k, 0) for k in ("runtime", "deadline", "period"))
        if all(is_int(v) for v in (run, dead, period)):
            ok = run <= dead and (period == 0 or dead <= period)
            yield observed("rt.config.linux-process.20", ok,
                           "SCHED_DEADLINE needs runtime <= deadline <= period",
                           location=f"{where}/deadline", expected="runtime <= deadline <= period",
                           actual=f"{run} / {dead} / {period}")
