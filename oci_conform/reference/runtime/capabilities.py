"""Capability names and numbers, and applying the five sets to the calling process."""
from __future__ import annotations

from oci_conform.linux_capabilities import NAMES
from oci_conform.reference.runtime import syscalls as sc

SETS = ("bounding", "effective", "permitted", "inheritable", "ambient")


def known(name: object) -> bool:
    return isinstance(name, str) and name in NAMES


def last_cap() -> int:
    try:
        with open("/proc/sys/kernel/cap_last_cap") as fh:
            return int(fh.read().strip())
    except (OSError, ValueError):
        return len(NAMES) - 1


def mask(names: list[str]) -> int:
    out = 0
    for name in names:
        if name in NAMES and NAMES.index(name) <= last_cap():
            out |= 1 << NAMES.index(name)
    return out


def drop_bounding(keep: int) -> None:
    """Drop every capability not in ``keep`` from the bounding set (needs CAP_SETPCAP)."""
    for cap in range(last_cap() + 1):
        if keep >> cap & 1:
            continue
        if sc.prctl(sc.PR_CAPBSET_READ, cap) == 1:
            sc.prctl(sc.PR_CAPBSET_DROP, cap)


def apply_sets(caps: dict[str, list[str]]) -> None:
    """Set effective/permitted/inheritable, then raise the ambient ones (after setuid)."""
    eff, perm, inh = (mask(caps.get(k, [])) for k in ("effective", "permitted", "inheritable"))
    sc.capset(eff, perm, inh)
    sc.prctl(sc.PR_CAP_AMBIENT, sc.PR_CAP_AMBIENT_CLEAR_ALL)
    # the kernel only allows ambient caps that are both permitted and inheritable;
    # like runc, others are skipped rather than failing the start
    amb = mask(caps.get("ambient", [])) & perm & inh
    for cap in range(last_cap() + 1):
        if amb >> cap & 1:
            sc.prctl(sc.PR_CAP_AMBIENT, sc.PR_CAP_AMBIENT_RAISE, cap)
