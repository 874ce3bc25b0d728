"""``linux.seccomp``: errno use, notify listener, syscall names, argument indexes."""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from oci_conform.checks.runtime_config.context import Ctx
from oci_conform.checks.runtime_config.pointer import get
from oci_conform.checks.runtime_config.syscalls import SYSCALL_NAMES
from oci_conform.model.judging import Observation, observed

S = "/linux/seccomp"
ERRNO_ACTIONS = ("SCMP_ACT_ERRNO", "SCMP_ACT_TRACE")
ACTIONS = ("SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_TRAP",
           "SCMP_ACT_ERRNO", "SCMP_ACT_TRACE", "SCMP_ACT_ALLOW", "SCMP_ACT_LOG", "SCMP_ACT_NOTIFY")
MAX_ARGS = 6


def check_seccomp(doc: dict[str, Any], ctx: Ctx) -> Iterator[Observation]:
    sec = get(doc, "linux", "seccomp")
    if not isinstance(sec, dict):
        return
    default = sec.get("defaultAction")
    if "defaultErrnoRet" in sec and default in ACTIONS:
        yield observed("rt.config-linux.seccomp.4", default in ERRNO_ACTIONS,
                       f"defaultErrnoRet is set but {default} returns no errno",
                       location=f"{S}/defaultErrnoRet", expected="SCMP_ACT_ERRNO or SCMP_ACT_TRACE",
                       actual=default)
    if "listenerMetadata" in sec:
        yield observed("rt.config-linux.seccomp.14", "listenerPath" in sec,
                       "listenerMetadata is set without listenerPath",
                       location=f"{S}/listenerMetadata", expected="listenerPath", actual="absent")
    syscalls = sec.get("syscalls")
    rules = [r for r in syscalls if isinstance(r, dict)] if isinstance(syscalls, list) else []
    actions = {a for a in (default, *(r.get("action") for r in rules)) if isinstance(a, str)}
    if "SCMP_ACT_NOTIFY" in actions:
        yield observed("rt.config-linux.seccomp.7",
                       sec.get("listenerPath") not in (None, ""),
                       "SCMP_ACT_NOTIFY is used but no listenerPath names the agent's socket",
                       location=S, expected="listenerPath", actual="absent")
    if isinstance(syscalls, list):
        for i, rule in enumerate(syscalls):
            if isinstance(rule, dict):
                yield from _rule(rule, f"{S}/syscalls/{i}")


def _rule(rule: dict[str, Any], where: str) -> Iterator[Observation]:
    names = rule.get("names")
    if isinstance(names, list):
        for j, name in enumerate(names):
            if isinstance(name, str):
                yield observed("rt.config-linux.seccomp.17", name in SYSCALL_NAMES,
                               f"{name!r} is not a Linux system call name",
                               location=f"{where}/names/{j}", expected="a system call name",
                               actual=name)
    action = rule.get("action")
    if "errnoRet" in rule and action in ACTIONS:
        yield observed("rt.config-linux.seccomp.21", action in ERRNO_ACTIONS,
                       f"errnoRet is set but {action} returns no errno",
                       location=f"{where}/errnoRet", expected="SCMP_ACT_ERRNO or SCMP_ACT_TRACE",
                       actual=action)
    args = rule.get("args")
    if isinstance(args, list):
        for k, arg in enumerate(args):
            index = arg.get("index") if isinstance(arg, dict) else None
            if isinstance(index, int) and not isinstance(index, bool):
                yield observed("rt.config-linux.seccomp.23", 0 <= index < MAX_ARGS,
                               "system calls have six arguments (index 0..5)",
                               location=f"{where}/args/{k}/index", expected="0..5", actual=index)
