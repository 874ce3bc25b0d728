"""``update``, ``ps`` and ``events --stats``: a running container's cgroup, changed or read.

``update`` takes a ``linux.resources`` object (``--resources FILE``, ``-`` for stdin) and
runc's flags (``--memory 64m``, ``--pids-limit 50``...), the flags winning; the result is
checked with create's rules, then written to the container's folders.  ``ps`` lists the
pids of every process in the container's cgroup (and below it); ``events --stats``
prints one stats document as runc does.
"""
from __future__ import annotations

import os

from oci_conform.reference.runtime.errors import RuntimeFailure
from oci_conform.reference.runtime.state import Container

TYPE_CHECKING = False   # typing is not imported at run time (start-up cost)
if TYPE_CHECKING:
    from typing import Any

    from oci_conform.reference.runtime.argv import Args
    JSON = dict[str, Any]

MAX_RESOURCES = 1 << 20
_UNITS = {"": 1, "b": 1, "k": 1 << 10, "kb": 1 << 10, "m": 1 << 20, "mb": 1 << 20,
          "g": 1 << 30, "gb": 1 << 30, "t": 1 << 40, "tb": 1 << 40}
# flag dest -> (resources section, field, kind: bytes / int / str)
FLAGS = {"memory": ("memory", "limit", "bytes"), "memory_swap": ("memory", "swap", "bytes"),
         "memory_reservation": ("memory", "reservation", "bytes"),
         "kernel_memory_tcp": ("memory", "kernelTCP", "bytes"),
         "pids_limit": ("pids", "limit", "int"), "cpu_quota": ("cpu", "quota", "int"),
         "cpu_period": ("cpu", "period", "int"), "cpu_share": ("cpu", "shares", "int"),
         "cpu_rt_period": ("cpu", "realtimePeriod", "int"),
         "cpu_rt_runtime": ("cpu", "realtimeRuntime", "int"),
         "cpuset_cpus": ("cpu", "cpus", "str"), "cpuset_mems": ("cpu", "mems", "str"),
         "blkio_weight": ("blockIO", "weight", "int")}


def parse_bytes(flag: str, text: str) -> int:
    """``64m``, ``1g``, ``4096``, ``-1`` (unlimited) -> bytes."""
    low = text.strip().lower()
    if low == "-1":
        return -1
    digits = low.rstrip("kmgtb")
    unit = low[len(digits):]
    if not digits.isdigit() or unit not in _UNITS:
        raise RuntimeFailure(f"--{flag.replace('_', '-')} {text!r}: not a size "
                             "(a number with k, m, g or t, or -1)")
    return int(digits) * _UNITS[unit]


def _parse_int(flag: str, text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise RuntimeFailure(f"--{flag.replace('_', '-')} {text!r}: not an integer") from None


def from_flags(args: Args, base: JSON | None = None) -> JSON:
    """``base`` (a resources object) with every given flag applied."""
    if getattr(args, "kernel_memory", None) is not None:
        raise RuntimeFailure("--kernel-memory: kernel memory limits are not supported "
                             "(deprecated by the kernel)")
    res: JSON = {k: (dict(v) if isinstance(v, dict) else v) for k, v in (base or {}).items()}
    for dest, (section, field, kind) in FLAGS.items():
        text = getattr(args, dest, None)
        if text is None:
            continue
        value: Any = text if kind == "str" else \
            parse_bytes(dest, text) if kind == "bytes" else _parse_int(dest, text)
        res.setdefault(section, {})[field] = value
    return res


def read_resources(path: str) -> JSON:
    from oci_conform.reference.runtime.execproc import read_process_file
    try:
        doc = read_process_file(path)
    except RuntimeFailure as exc:
        raise RuntimeFailure(str(exc).replace("--process", "--resources", 1)) from None
    return doc


def update(root: str, args: Args) -> None:
    ctr = Container.load(root, args.id)
    status = ctr.status()
    if status not in ("created", "running", "paused"):
        raise RuntimeFailure(f"container {args.id!r} is {status}: cannot update")
    res = from_flags(args, read_resources(args.resources) if args.resources else None)
    if not res:
        raise RuntimeFailure("update: nothing to change (give --resources or a limit flag)")
    if res.get("devices"):
        raise RuntimeFailure("update --resources /devices: device rules cannot be updated")
    res.pop("devices", None)
    from oci_conform.reference.runtime import cgroups
    try:
        cgroups.validate(res, None)
    except RuntimeFailure as exc:
        raise RuntimeFailure(str(exc).replace("config.json /linux/resources",
                                              "update resources", 1)) from None
    paths = {k: p for k, p in cgroups.member_paths(ctr.private.get("cgroup", "")).items()
             if os.path.isdir(p)}
    if not paths:
        raise RuntimeFailure(f"container {args.id!r} has no cgroup folder")
    cgroups.apply_resources(paths, res)


# -- reading ------------------------------------------------------------------------------
def _folder(ctr: Container, prefer: tuple[str, ...]) -> dict[str, str]:
    from oci_conform.reference.runtime import cgroups
    paths = cgroups.member_paths(ctr.private.get("cgroup", ""))
    return {k: p for k, p in paths.items() if os.path.isdir(p)
            and (k in prefer or not prefer)}


def pids(ctr: Container) -> list[int]:
    """Every pid in the container's cgroup and its sub-folders."""
    found: set[int] = set()
    folders = _folder(ctr, ("pids", "memory", "unified", "name=systemd"))
    top = folders.get("pids") or folders.get("memory") or folders.get("unified") \
        or next(iter(folders.values()), None)
    if top is None:
        return []
    for dirpath, _, _ in os.walk(top):
        try:
            with open(f"{dirpath}/cgroup.procs") as fh:
                found.update(int(p) for p in fh.read().split())
        except (OSError, ValueError):
            continue
    return sorted(found)


def ps(root: str, args: Args) -> str:
    ctr = Container.load(root, args.id)
    if ctr.status() == "stopped":
        raise RuntimeFailure(f"container {args.id!r} is stopped")
    found = pids(ctr)
    if args.format == "json":
        return "[" + ",".join(str(p) for p in found) + "]"
    import subprocess
    argv = ["ps", *(args.rest or ["-ef"])]
    try:
        out = subprocess.run(argv, capture_output=True, text=True, timeout=30,
                             check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise RuntimeFailure(f"ps: cannot run {' '.join(argv)}: {exc}") from None
    if out.returncode != 0:
        raise RuntimeFailure(f"ps {' '.join(argv[1:])}: {out.stderr.strip()[:200]}")
    lines = out.stdout.splitlines()
    if not lines:
        return ""
    header = lines[0].split()
    if "PID" not in header:
        raise RuntimeFailure("ps: the output has no PID column")
    col = header.index("PID")
    keep = set(found)
    rows = [ln for ln in lines[1:] if len(ln.split()) > col and ln.split()[col].isdigit()
            and int(ln.split()[col]) in keep]
    return "\n".join([lines[0], *rows])


def _num(path: str) -> int | None:
    try:
        with open(path) as fh:
            text = fh.read().strip()
    except OSError:
        return None
    if text == "max":
        return 0
    try:
        return int(text)
    except ValueError:
        return None


def _kv(path: str) -> dict[str, int]:
    out: dict[str, int] = {}
    try:
        with open(path) as fh:
            for line in fh:
                key, _, value = line.partition(" ")
                if value.strip().lstrip("-").isdigit():
                    out[key] = int(value)
    except OSError:
        pass
    return out


def stats(ctr: Container) -> JSON:
    """runc's stats document (the fields this host's cgroups can fill)."""
    folders = _folder(ctr, ())
    data: JSON = {"cpu": {"usage": {}, "throttling": {}}, "memory": {}, "pids": {},
                  "blkio": {}, "hugetlb": {}}
    if "unified" in folders and "memory" not in folders:        # cgroup v2
        base = folders["unified"]
        cpu = _kv(f"{base}/cpu.stat")
        data["cpu"]["usage"] = {"total": cpu.get("usage_usec", 0) * 1000,
                                "user": cpu.get("user_usec", 0) * 1000,
                                "kernel": cpu.get("system_usec", 0) * 1000}
        data["memory"] = {"usage": {"usage": _num(f"{base}/memory.current") or 0,
                                    "limit": _num(f"{base}/memory.max") or 0},
                          "raw": _kv(f"{base}/memory.stat")}
        data["pids"] = {"current": _num(f"{base}/pids.current") or 0,
                        "limit": _num(f"{base}/pids.max") or 0}
        return data
    acct = folders.get("cpuacct")
    if acct:
        data["cpu"]["usage"]["total"] = _num(f"{acct}/cpuacct.usage") or 0
        try:
            with open(f"{acct}/cpuacct.usage_percpu") as fh:
                data["cpu"]["usage"]["percpu_usage"] = [int(x) for x in fh.read().split()]
        except (OSError, ValueError):
            pass
        split = _kv(f"{acct}/cpuacct.stat")
        tick = 10_000_000          # USER_HZ (100) ticks -> ns
        data["cpu"]["usage"]["usage_in_usermode"] = split.get("user", 0) * tick
        data["cpu"]["usage"]["usage_in_kernelmode"] = split.get("system", 0) * tick
    if folders.get("cpu"):
        thr = _kv(f"{folders['cpu']}/cpu.stat")
        data["cpu"]["throttling"] = {"periods": thr.get("nr_periods", 0),
                                     "throttled_periods": thr.get("nr_throttled", 0),
                                     "throttled_time": thr.get("throttled_time", 0)}
    mem = folders.get("memory")
    if mem:
        data["memory"] = {
            "usage": {"usage": _num(f"{mem}/memory.usage_in_bytes") or 0,
                      "max": _num(f"{mem}/memory.max_usage_in_bytes") or 0,
                      "limit": _num(f"{mem}/memory.limit_in_bytes") or 0,
                      "failcnt": _num(f"{mem}/memory.failcnt") or 0},
            "raw": _kv(f"{mem}/memory.stat")}
    if folders.get("pids"):
        data["pids"] = {"current": _num(f"{folders['pids']}/pids.current") or 0,
                        "limit": _num(f"{folders['pids']}/pids.max") or 0}
    return data


def events(root: str, args: Args) -> str:
    if not args.stats:
        raise RuntimeFailure("events: only --stats (one stats document) is supported")
    ctr = Container.load(root, args.id)
    if ctr.status() == "stopped":
        raise RuntimeFailure(f"container {args.id!r} is stopped")
    import json
    return json.dumps({"type": "stats", "id": args.id, "data": stats(ctr)})
