"""Probes of the host a runtime suite runs on: what it can and cannot show here.

Each probe reads the kernel's own interfaces (``/proc``, ``/sys``) or tries the
thing once; nothing is hard-coded.  :class:`HostFacts` is what skip decisions read.
"""
from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

from oci_conform.drivers.runtime_cli import run_bounded
from oci_conform.host import cgroup_mode
from oci_conform.linux_capabilities import NAMES as CAP_NAMES

CGROUP_ROOT = Path("/sys/fs/cgroup")


def caps_from_mask(mask: int) -> list[str]:
    """Capability names of the bits set in ``mask`` (unknown bits as CAP_<n>)."""
    return [CAP_NAMES[i] if i < len(CAP_NAMES) else f"CAP_{i}"
            for i in range(64) if mask >> i & 1]


def mask_from_caps(names: list[str]) -> int:
    mask = 0
    for name in names:
        if name in CAP_NAMES:
            mask |= 1 << CAP_NAMES.index(name)
    return mask


def proc_status(pid: int | str = "self") -> dict[str, str]:
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return {}
    return dict(line.split(":\t", 1) for line in text.splitlines() if ":\t" in line)


def _read(path: str | Path) -> str:
    try:
        return Path(path).read_text().strip()
    except OSError:
        return ""


def _tries(argv: list[str]) -> bool:
    return run_bounded(argv, timeout=10).ok


def v1_controllers(root: Path = CGROUP_ROOT) -> list[str]:
    """Mounted cgroup v1 hierarchies (named ones included), by folder name."""
    if not root.is_dir() or (root / "cgroup.controllers").exists():
        return []
    return sorted(p.name for p in root.iterdir()
                  if p.is_dir() and not p.is_symlink() and p.name != "unified")


def v2_controllers(root: Path = CGROUP_ROOT) -> list[str]:
    for cand in (root / "cgroup.controllers", root / "unified" / "cgroup.controllers"):
        if cand.exists():
            return _read(cand).split()
    return []


def root_propagation() -> str:
    """``shared``, ``slave`` or ``private``: how / is mounted in our mount namespace."""
    for line in _read("/proc/self/mountinfo").splitlines():
        parts = line.split()
        if len(parts) > 6 and parts[4] == "/":
            tags = parts[6:parts.index("-")] if "-" in parts else []
            if any(t.startswith("shared:") for t in tags):
                return "shared"
            if any(t.startswith("master:") for t in tags):
                return "slave"
            return "private"
    return "unknown"


@dataclass
class HostFacts:
    """What the host offers a container runtime."""

    cgroup_mode: str = "none"
    v1_controllers: list[str] = field(default_factory=list)
    v2_controllers: list[str] = field(default_factory=list)
    bounding_caps: list[str] = field(default_factory=list)
    apparmor: bool = False
    selinux: bool = False
    seccomp: bool = False
    user_namespaces: bool = False
    time_namespace: bool = False
    cgroup_namespace: bool = False
    root_propagation: str = "unknown"
    is_root: bool = False
    hugepages: bool = False
    unshare: bool = False

    def to_dict(self) -> dict[str, object]:
        return asdict(self)

    def has_controller(self, name: str) -> bool:
        if self.cgroup_mode in ("v1", "hybrid"):
            return any(name in c.split(",") for c in self.v1_controllers)
        return name in self.v2_controllers

    def has_cap(self, name: str) -> bool:
        return name in self.bounding_caps


def probe_host() -> HostFacts:
    """Probe this machine once."""
    status = proc_status()
    bounding = int(status.get("CapBnd", "0"), 16)
    ns = Path("/proc/self/ns")
    userns = (_read("/proc/sys/user/max_user_namespaces") not in ("", "0")
              and _tries(["unshare", "-U", "true"]))
    return HostFacts(
        cgroup_mode=cgroup_mode(), v1_controllers=v1_controllers(),
        v2_controllers=v2_controllers(), bounding_caps=caps_from_mask(bounding),
        apparmor=_read("/sys/module/apparmor/parameters/enabled") == "Y"
        and Path("/sys/kernel/security/apparmor").exists(),
        selinux=Path("/sys/fs/selinux/enforce").exists(),
        seccomp="Seccomp" in status,
        user_namespaces=userns,
        time_namespace=(ns / "time").exists() and _tries(["unshare", "-T", "true"]),
        cgroup_namespace=(ns / "cgroup").exists(),
        root_propagation=root_propagation(),
        is_root=os.geteuid() == 0,
        hugepages=Path("/sys/kernel/mm/hugepages").is_dir()
        and any(Path("/sys/kernel/mm/hugepages").iterdir()),
        unshare=_tries(["unshare", "--help"]),
    )
