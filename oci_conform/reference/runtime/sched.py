"""process.scheduler (sched_setattr) and process.ioPriority (ioprio_set)."""
from __future__ import annotations

import ctypes
import os

from oci_conform.reference.runtime import syscalls as sc

TYPE_CHECKING = False   # typing is not imported at run time (start-up cost)
if TYPE_CHECKING:
    from typing import Any

POLICIES = {"SCHED_OTHER": 0, "SCHED_FIFO": 1, "SCHED_RR": 2, "SCHED_BATCH": 3,
            "SCHED_ISO": 4, "SCHED_IDLE": 5, "SCHED_DEADLINE": 6}
FLAGS = {"SCHED_FLAG_RESET_ON_FORK": 0x01, "SCHED_FLAG_RECLAIM": 0x02,
         "SCHED_FLAG_DL_OVERRUN": 0x04, "SCHED_FLAG_KEEP_POLICY": 0x08,
         "SCHED_FLAG_KEEP_PARAMS": 0x10, "SCHED_FLAG_UTIL_CLAMP_MIN": 0x20,
         "SCHED_FLAG_UTIL_CLAMP_MAX": 0x40}
IO_CLASSES = {"IOPRIO_CLASS_RT": 1, "IOPRIO_CLASS_BE": 2, "IOPRIO_CLASS_IDLE": 3}
IOPRIO_WHO_PROCESS = 1


class SchedAttr(ctypes.Structure):
    """The kernel's struct sched_attr (version 0 layout, 48 bytes)."""

    _fields_ = [("size", ctypes.c_uint32), ("sched_policy", ctypes.c_uint32),
                ("sched_flags", ctypes.c_uint64), ("sched_nice", ctypes.c_int32),
                ("sched_priority", ctypes.c_uint32), ("sched_runtime", ctypes.c_uint64),
                ("sched_deadline", ctypes.c_uint64), ("sched_period", ctypes.c_uint64)]


def scheduler_problem(sched: Any) -> str:
    """'' when ``sched`` is a scheduler object this runtime can apply, else why not."""
    if not isinstance(sched, dict):
        return "must be an object"
    if sched.get("policy") not in POLICIES or sched.get("policy") == "SCHED_ISO":
        return f"unknown or unsupported policy {sched.get('policy')!r}"
    flags = sched.get("flags", [])
    if not isinstance(flags, list) or any(f not in FLAGS for f in flags):
        return f"unknown flag in {flags!r}"
    for key in ("nice", "priority", "runtime", "deadline", "period"):
        if key in sched and not isinstance(sched[key], int):
            return f"{key} must be an integer"
    return ""


def io_priority_problem(prio: Any) -> str:
    """'' when ``prio`` is an ioPriority object this runtime can apply, else why not."""
    if not isinstance(prio, dict) or prio.get("class") not in IO_CLASSES:
        return "class must be IOPRIO_CLASS_RT, IOPRIO_CLASS_BE or IOPRIO_CLASS_IDLE"
    level = prio.get("priority", 0)
    if not isinstance(level, int) or not 0 <= level <= 7:
        return "priority must be an integer from 0 to 7"
    return ""


def apply_scheduler(sched: dict[str, Any]) -> None:
    """Set the calling process's scheduling policy and parameters (inherited by exec).

    The nice value is set first on its own: the kernel ignores ``sched_nice`` for real-time
    policies, and the spec's default (0) must not become whatever nice value we inherited."""
    os.setpriority(os.PRIO_PROCESS, 0, sched.get("nice", 0))
    attr = SchedAttr(size=ctypes.sizeof(SchedAttr), sched_policy=POLICIES[sched["policy"]],
                     sched_flags=sum(FLAGS[f] for f in sched.get("flags", [])),
                     sched_nice=sched.get("nice", 0), sched_priority=sched.get("priority", 0),
                     sched_runtime=sched.get("runtime", 0),
                     sched_deadline=sched.get("deadline", 0),
                     sched_period=sched.get("period", 0))
    sc.raw_syscall("sched_setattr", ctypes.c_int(0), ctypes.byref(attr), ctypes.c_uint(0))


def apply_io_priority(prio: dict[str, Any]) -> None:
    """Set the calling process's I/O scheduling class and level."""
    value = (IO_CLASSES[prio["class"]] << 13) | prio.get("priority", 0)
    sc.raw_syscall("ioprio_set", ctypes.c_int(IOPRIO_WHO_PROCESS), ctypes.c_int(0),
                   ctypes.c_int(value))
