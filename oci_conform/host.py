"""Facts about the machine a run happens on, for provenance and for skip decisions."""
from __future__ import annotations

import os
import sys
from pathlib import Path

from oci_conform import __version__


def cgroup_mode(root: Path = Path("/sys/fs/cgroup")) -> str:
    """``v2`` (unified), ``hybrid`` (v1 controllers plus a v2 mount), ``v1``, or ``none``."""
    if (root / "cgroup.controllers").exists():
        return "v2"
    if not root.is_dir():
        return "none"
    if (root / "unified" / "cgroup.controllers").exists():
        return "hybrid"
    return "v1" if any(root.iterdir()) else "none"


def os_release() -> str:
    try:
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                return line.split("=", 1)[1].strip('"')
    except OSError:
        pass
    return ""


def _uname() -> tuple[str, str, str, str]:
    """(node, system, release, machine): os.uname where it exists (no import of platform,
    which costs more than the rest of a small command's start-up), else platform's."""
    if hasattr(os, "uname"):
        u = os.uname()
        return u.nodename, u.sysname, u.release, u.machine
    import platform
    p = platform.uname()
    return p.node, p.system, p.release, p.machine


def host_facts() -> dict[str, str | bool | int]:
    """A small, stable set of host facts for the results' provenance."""
    node, system, release, machine = _uname()
    return {"hostname": node, "system": system, "kernel": release, "machine": machine,
            "os": os_release(), "python": sys.version.split()[0],
            "cgroup_mode": cgroup_mode(), "root": os.geteuid() == 0 if hasattr(os, "geteuid")
            else False, "cpus": os.cpu_count() or 0, "oci_conform": __version__}
