"""``linux.seccomp``: errno use, notify listener, syscall names, argument indexes."""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from oci_conform.checks.runtime_config.context import Ctx
from oci_conform.checks.runtime_config.obs import Obs, judge
from oci_conform.checks.runtime_config.pointer import get
from oci_conform.checks.runtime_config.syscalls import SYSCALL_NAMES

L = "rt.config-linux."
S = "/linux/seccomp"
ERRNO_ACTIONS = ("SCMP_ACT_ERRNO", "SCMP_ACT_TRACE")
ACTIONS = ("SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_TRAP",
           "SCMP_ACT_ERRNO", "SCMP_ACT_TRACE", "SCMP_ACT_ALLOW", "SCMP_ACT_LOG", "SCMP_ACT_NOTIFY")
MAX_ARGS = 6


def check_seccomp(doc: dict[str, Any], ctx: Ctx) -> Iterator[Obs]:
    sec = get(doc, "linux", "seccomp")
    if not isinstance(sec, dict):
        return
    default = sec.get("defaultAction")
    if "defaultErrnoRet" in sec and default in ACTIONS:
        yield judge(L + "seccomp.4", f"{S}/defaultErrnoRet", default in ERRNO_ACTIONS,
                    f"defaultErrnoRet is set but {default} returns no errno",
                    "SCMP_ACT_ERRNO or SCMP_ACT_TRACE", default)
    if "listenerMetadata" in sec:
        yield judge(L + "seccomp.14", f"{S}/listenerMetadata", "listenerPath" in sec,
                    "listenerMetadata is set without listenerPath", "listenerPath", "absent")
    syscalls = sec.get("syscalls")
    rules = [r for r in syscalls if isinstance(r, dict)] if isinstance(syscalls, list) else []
    actions = {default} | {r.get("action") for r in rules}
    if "SCMP_ACT_NOTIFY" in actions:
        yield judge(L + "seccomp.7", S, isinstance(sec.get("listenerPath"), str)
                    and bool(sec.get("listenerPath")),
                    "SCMP_ACT_NOTIFY is used but no listenerPath names the agent's socket",
                    "listenerPath", "absent")
    if isinstance(syscalls, list):
        for i, rule in enumerate(syscalls):
            if isinstance(rule, dict):
                yield from _rule(rule, f"{S}/syscalls/{i}")


def _rule(rule: dict[str, Any], where: str) -> Iterator[Obs]:
    names = rule.get("names")
    if isinstance(names, list):
        for j, name in enumerate(names):
            if isinstance(name, str):
                yield judge(L + "seccomp.17", f"{where}/names/{j}", name in SYSCALL_NAMES,
                            f"{name!r} is not a Linux system call name", "a system call name",
                            name)
    action = rule.get("action")
    if "errnoRet" in rule and action in ACTIONS:
        yield judge(L + "seccomp.21", f"{where}/errnoRet", action in ERRNO_ACTIONS,
                    f"errnoRet is set but {action} returns no errno",
                    "SCMP_ACT_ERRNO or SCMP_ACT_TRACE", action)
    args = rule.get("args")
    if isinstance(args, list):
        for k, arg in enumerate(args):
            index = arg.get("index") if isinstance(arg, dict) else None
            if isinstance(index, int) and not isinstance(index, bool):
                yield judge(L + "seccomp.23", f"{where}/args/{k}/index", 0 <= index < MAX_ARGS,
                            "system calls have six arguments (index 0..5)", "0..5", index)
