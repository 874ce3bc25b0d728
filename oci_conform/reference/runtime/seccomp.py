"""Compile ``linux.seccomp`` into a BPF filter (native architecture only).

Syscall numbers come from the kernel headers installed on the host
(``asm/unistd_64.h``); names unknown there are skipped, as libseccomp-based runtimes
skip names the kernel does not know.  All conditions of one rule must hold (AND).
"""
from __future__ import annotations

import errno as errno_mod
import os
import re
from functools import lru_cache
from pathlib import Path

from oci_conform.reference.runtime.bpf import JEQ_K, JGE_K, JGT_K, Program
from oci_conform.reference.runtime.errors import RuntimeFailure

TYPE_CHECKING = False   # typing is not imported at run time (start-up cost)
if TYPE_CHECKING:
    from typing import Any
    JSON = dict[str, Any]

HEADERS = {"x86_64": ["/usr/include/x86_64-linux-gnu/asm/unistd_64.h",
                      "/usr/include/asm/unistd_64.h"],
           "aarch64": ["/usr/include/asm-generic/unistd.h"]}
AUDIT_ARCH = {"x86_64": 0xC000003E, "aarch64": 0xC00000B7}
NATIVE_NAMES = {"x86_64": "SCMP_ARCH_X86_64", "aarch64": "SCMP_ARCH_AARCH64"}
COMPAT = {"SCMP_ARCH_X86", "SCMP_ARCH_X32", "SCMP_ARCH_ARM"}
RET = {"SCMP_ACT_KILL": 0x00000000, "SCMP_ACT_KILL_THREAD": 0x00000000,
       "SCMP_ACT_KILL_PROCESS": 0x80000000, "SCMP_ACT_TRAP": 0x00030000,
       "SCMP_ACT_ERRNO": 0x00050000, "SCMP_ACT_TRACE": 0x7FF00000,
       "SCMP_ACT_LOG": 0x7FFC0000, "SCMP_ACT_ALLOW": 0x7FFF0000,
       "SCMP_ACT_NOTIFY": 0x7FC00000}
FLAGS = {"SECCOMP_FILTER_FLAG_TSYNC": 1, "SECCOMP_FILTER_FLAG_LOG": 2,
         "SECCOMP_FILTER_FLAG_SPEC_ALLOW": 4}
OPS = ("SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE", "SCMP_CMP_EQ", "SCMP_CMP_GE",
       "SCMP_CMP_GT", "SCMP_CMP_MASKED_EQ")
X32_BIT = 0x40000000
FLAG_NEW_LISTENER = 8


def uses_notify(sec: JSON) -> bool:
    return any(isinstance(r, dict) and r.get("action") == "SCMP_ACT_NOTIFY"
               for r in sec.get("syscalls") or [])


def filter_flags(sec: JSON) -> int:
    """seccomp(2) flags for the config (a notify rule adds NEW_LISTENER)."""
    flags = 0
    for name in sec.get("flags") or []:
        flags |= FLAGS.get(name, 0)
    if uses_notify(sec):
        flags |= FLAG_NEW_LISTENER
    return flags


@lru_cache(maxsize=1)
def syscall_table() -> dict[str, int]:
    for path in HEADERS.get(os.uname().machine, []):
        try:
            text = Path(path).read_text()
        except OSError:
            continue
        return {m[1]: int(m[2]) for m in re.finditer(r"#define __NR_(\w+)\s+(\d+)", text)}
    return {}


def validate(sec: Any) -> None:
    compile_filter(sec)


def _where(path: str, why: str) -> RuntimeFailure:
    return RuntimeFailure(f"config.json /linux/seccomp{path}: {why}")


def _action(name: Any, errno_ret: Any, where: str) -> int:
    if name not in RET:
        raise _where(where, f"action {name!r} is not supported")
    base = RET[name]
    if errno_ret is not None and name not in ("SCMP_ACT_ERRNO", "SCMP_ACT_TRACE"):
        raise _where(where, f"errnoRet is set but {name} does not return an errno")
    if name in ("SCMP_ACT_ERRNO", "SCMP_ACT_TRACE"):
        default = errno_mod.EPERM if name == "SCMP_ACT_ERRNO" else 0
        value = default if errno_ret is None else errno_ret
        if not isinstance(value, int) or not 0 <= value <= 0xFFFF:
            raise _where(where, f"errnoRet {value!r} is out of range")
        return base | value
    return base


def compile_filter(sec: Any) -> bytes:
    """The filter program for ``linux.seccomp`` (RuntimeFailure for what we cannot do)."""
    if not isinstance(sec, dict):
        raise _where("", "must be an object")
    machine = os.uname().machine
    if machine not in AUDIT_ARCH:
        raise _where("", f"seccomp is not supported on {machine}")
    table = syscall_table()
    if not table:
        raise _where("", "no syscall table on this host (kernel headers missing)")
    if sec.get("defaultAction") == "SCMP_ACT_NOTIFY":
        raise _where("/defaultAction", "SCMP_ACT_NOTIFY cannot be the default action")
    if uses_notify(sec) and not sec.get("listenerPath"):
        raise _where("/listenerPath", "SCMP_ACT_NOTIFY is used but listenerPath is not set")
    if sec.get("listenerPath") is not None and (not isinstance(sec["listenerPath"], str)
                                                 or not sec["listenerPath"].startswith("/")):
        raise _where("/listenerPath", "must be an absolute path")
    for arch in sec.get("architectures") or []:
        if arch != NATIVE_NAMES[machine] and arch not in COMPAT:
            raise _where("/architectures", f"unknown architecture {arch!r}")
    for flag in sec.get("flags") or []:
        if flag not in FLAGS:
            raise _where("/flags", f"flag {flag!r} is not supported")
    default = _action(sec.get("defaultAction"), sec.get("defaultErrnoRet"), "/defaultAction")
    prog = Program()
    ok = prog.label("arch")
    prog.ld(4)
    prog.jump(JEQ_K, AUDIT_ARCH[machine], ok, 0)
    prog.ret(RET["SCMP_ACT_KILL_PROCESS"])
    prog.here(ok)
    native = prog.label("native")
    prog.ld(0)
    prog.jump(JGE_K, X32_BIT, 0, native)
    prog.ret(RET["SCMP_ACT_ERRNO"] | errno_mod.ENOSYS)
    prog.here(native)
    for i, rule in enumerate(sec.get("syscalls") or []):
        where = f"/syscalls/{i}"
        if not isinstance(rule, dict) or not isinstance(rule.get("names"), list) \
                or not rule["names"] or not all(isinstance(n, str) and n for n in rule["names"]):
            raise _where(where, "needs a non-empty list of syscall names")
        act = _action(rule.get("action"), rule.get("errnoRet"), where + "/action")
        args = rule.get("args") or []
        for j, arg in enumerate(args):
            if not isinstance(arg, dict) or arg.get("op") not in OPS or \
                    not isinstance(arg.get("index"), int) or not 0 <= arg["index"] <= 5 or \
                    not isinstance(arg.get("value"), int):
                raise _where(f"{where}/args/{j}", "needs index 0-5, an integer value and a "
                                                  "known op")
        for name in rule["names"]:
            nr = table.get(name)
            if nr is None:
                continue
            _rule(prog, nr, act, args)
    prog.ret(default)
    return prog.assemble()


def _rule(prog: Program, nr: int, act: int, args: list[JSON]) -> None:
    end = prog.label("end")
    prog.ld(0)
    prog.jump(JEQ_K, nr, 0, end)
    for arg in args:
        _cond(prog, arg, end)
    prog.ret(act)
    prog.here(end)


def _cond(prog: Program, arg: JSON, fail: str) -> None:
    lo_off, hi_off = 16 + 8 * arg["index"], 20 + 8 * arg["index"]
    value = arg["value"] & 0xFFFFFFFFFFFFFFFF
    vhi, vlo = value >> 32, value & 0xFFFFFFFF
    op = arg["op"]
    ok = prog.label("ok")
    if op == "SCMP_CMP_MASKED_EQ":
        two = (arg.get("valueTwo") or 0) & 0xFFFFFFFFFFFFFFFF
        prog.ld(hi_off)
        prog.and_(vhi)
        prog.jump(JEQ_K, two >> 32, 0, fail)
        prog.ld(lo_off)
        prog.and_(vlo)
        prog.jump(JEQ_K, two & 0xFFFFFFFF, 0, fail)
    elif op == "SCMP_CMP_EQ":
        prog.ld(hi_off)
        prog.jump(JEQ_K, vhi, 0, fail)
        prog.ld(lo_off)
        prog.jump(JEQ_K, vlo, 0, fail)
    elif op == "SCMP_CMP_NE":
        prog.ld(hi_off)
        prog.jump(JEQ_K, vhi, 0, ok)
        prog.ld(lo_off)
        prog.jump(JEQ_K, vlo, fail, ok)
    elif op in ("SCMP_CMP_GT", "SCMP_CMP_GE"):
        prog.ld(hi_off)
        prog.jump(JGT_K, vhi, ok, 0)
        prog.jump(JEQ_K, vhi, 0, fail)
        prog.ld(lo_off)
        prog.jump(JGT_K if op == "SCMP_CMP_GT" else JGE_K, vlo, ok, fail)
    else:  # LT, LE
        prog.ld(hi_off)
        prog.jump(JGT_K, vhi, fail, 0)
        prog.jump(JEQ_K, vhi, 0, ok)
        prog.ld(lo_off)
        prog.jump(JGE_K if op == "SCMP_CMP_LT" else JGT_K, vlo, fail, ok)
    prog.here(ok)
