"""Build busybox bundles: a rootfs from busybox-static and a config.json written by us.

The base rootfs is built once per run (one symlink per applet from ``busybox --list``,
a minimal /etc/passwd and /etc/group); each case gets its own copy in which only the
busybox binary is hard-linked.  ``base_config`` is a plain Linux container config with
an ``ociVersion`` chosen by the caller (the one the runtime accepts).
"""
from __future__ import annotations

import copy
import json
import os
import shutil
import stat
from pathlib import Path
from typing import Any

from oci_conform.drivers.runtime_cli import run_bounded

JSON = dict[str, Any]
BUSYBOX_CANDIDATES = ("/usr/bin/busybox", "/bin/busybox", "/usr/lib/initramfs-tools/bin/busybox")
PASSWD = ("root:x:0:0:root:/root:/bin/sh\n"
          "daemon:x:1:1:daemon:/usr/sbin:/bin/false\n"
          "tester:x:1000:1000:tester:/home/tester:/bin/sh\n"
          "nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n")
GROUP = ("root:x:0:\ndaemon:x:1:\ntester:x:1000:\nextra1:x:2001:\nextra2:x:2002:\n"
         "nogroup:x:65534:\n")
DIRS = ("bin", "etc", "proc", "sys", "dev", "tmp", "root", "home/tester", "results", "mnt",
        "var", "run")
DEFAULT_CAPS = ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"]
MASKED = ["/proc/acpi", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list",
          "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi", "/sys/firmware"]
READONLY = ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"]


class BundleError(RuntimeError):
    """The bundle cannot be built on this host (busybox missing, ...)."""


def find_busybox() -> Path | None:
    """A statically linked busybox, or None."""
    for cand in BUSYBOX_CANDIDATES:
        path = Path(cand)
        if path.is_file() and _is_static(path):
            return path
    return None


def _is_static(path: Path) -> bool:
    try:
        with path.open("rb") as fh:
            head = fh.read(1 << 16)
    except OSError:
        return False
    # A dynamic ELF names its interpreter (PT_INTERP): look for the loader's path.
    return head.startswith(b"\x7fELF") and b"/ld-linux" not in head and b"ld-musl" not in head


def applets(busybox: Path) -> list[str]:
    out = run_bounded([str(busybox), "--list"], timeout=10).stdout
    return sorted({a.strip() for a in out.split() if a.strip() and "/" not in a})


def build_base_rootfs(dest: Path, busybox: Path | None = None) -> Path:
    """A busybox rootfs at ``dest`` (one symlink per applet under /bin)."""
    busybox = busybox or find_busybox()
    if busybox is None:
        raise BundleError("no statically linked busybox found (install busybox-static)")
    for d in DIRS:
        (dest / d).mkdir(parents=True, exist_ok=True)
    shutil.copy2(busybox, dest / "bin" / "busybox")
    for name in applets(busybox):
        link = dest / "bin" / name
        if name != "busybox" and not link.exists():
            link.symlink_to("busybox")
    (dest / "usr").mkdir(exist_ok=True)
    if not (dest / "usr" / "bin").exists():
        (dest / "usr" / "bin").symlink_to("../bin")
    (dest / "sbin").symlink_to("bin") if not (dest / "sbin").exists() else None
    (dest / "etc" / "passwd").write_text(PASSWD)
    (dest / "etc" / "group").write_text(GROUP)
    (dest / "etc" / "hostname").write_text("oci-conform\n")
    (dest / "tmp").chmod(0o1777)
    (dest / "results").chmod(0o777)
    return dest


def copy_rootfs(base: Path, dest: Path) -> Path:
    """A private copy of ``base``: folders made anew with the same modes, the busybox binary
    and the applet symlinks hard-linked, the few other files copied (cases may write them).

    A symlink's target cannot be changed in place, so sharing its inode is safe; linking
    the ~280 applet links costs a tenth of creating them (and ``shutil.copytree``, which
    also copies each one's metadata, cost more than the runtime calls of some cases).
    """
    _copy_tree(str(base), str(dest))
    return dest


def _copy_tree(src: str, dst: str) -> None:
    os.mkdir(dst)
    with os.scandir(src) as entries:
        for entry in entries:
            to = os.path.join(dst, entry.name)
            if entry.is_symlink():
                try:
                    os.link(entry.path, to, follow_symlinks=False)
                except OSError:
                    os.symlink(os.readlink(entry.path), to)
            elif entry.is_dir():
                _copy_tree(entry.path, to)
            elif entry.name == "busybox":
                try:
                    os.link(entry.path, to)
                except OSError:
                    shutil.copy2(entry.path, to)
            else:
                shutil.copyfile(entry.path, to)
                os.chmod(to, stat.S_IMODE(entry.stat().st_mode))
    os.chmod(dst, stat.S_IMODE(os.stat(src).st_mode))


def base_config(oci_version: str, args: list[str], results_dir: Path,
                cgroups_path: str = "", hostname: str = "oci-conform") -> JSON:
    """A plain Linux config.json: busybox rootfs, /results bound rw from ``results_dir``."""
    return {
        "ociVersion": oci_version,
        "process": {
            "terminal": False,
            "user": {"uid": 0, "gid": 0},
            "args": list(args),
            "env": ["PATH=/bin:/usr/bin:/sbin", "TERM=xterm"],
            "cwd": "/",
            "capabilities": {k: list(DEFAULT_CAPS) for k in
                             ("bounding", "effective", "permitted")},
            "rlimits": [{"type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024}],
            "noNewPrivileges": True,
        },
        "root": {"path": "rootfs", "readonly": False},
        "hostname": hostname,
        "mounts": [
            {"destination": "/proc", "type": "proc", "source": "proc"},
            {"destination": "/dev", "type": "tmpfs", "source": "tmpfs",
             "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]},
            {"destination": "/dev/pts", "type": "devpts", "source": "devpts",
             "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"]},
            {"destination": "/dev/shm", "type": "tmpfs", "source": "shm",
             "options": ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]},
            {"destination": "/dev/mqueue", "type": "mqueue", "source": "mqueue",
             "options": ["nosuid", "noexec", "nodev"]},
            {"destination": "/sys", "type": "sysfs", "source": "sysfs",
             "options": ["nosuid", "noexec", "nodev", "ro"]},
            {"destination": "/results", "type": "bind", "source": str(results_dir),
             "options": ["rbind", "rw"]},
        ],
        "linux": {
            "namespaces": [{"type": t} for t in ("pid", "network", "ipc", "uts", "mount")],
            "maskedPaths": list(MASKED),
            "readonlyPaths": list(READONLY),
            **({"cgroupsPath": cgroups_path} if cgroups_path else {}),
            "resources": {"devices": [{"allow": False, "access": "rwm"}]},
        },
    }


def write_bundle(bundle: Path, config: JSON, base_rootfs: Path | None = None) -> Path:
    """Write ``config.json`` (and a rootfs copy when ``base_rootfs`` is given)."""
    bundle.mkdir(parents=True, exist_ok=True)
    if base_rootfs is not None and not (bundle / "rootfs").exists():
        copy_rootfs(base_rootfs, bundle / "rootfs")
    (bundle / "config.json").write_text(json.dumps(config, indent=2))
    return bundle


def mutated(config: JSON, *mutations: Any) -> JSON:
    """A deep copy of ``config`` with each mutation (a function taking the dict) applied."""
    cfg = copy.deepcopy(config)
    for m in mutations:
        m(cfg)
    return cfg


def config_diff(base: JSON, config: JSON, limit: int = 2000) -> str:
    """What ``config`` changes against ``base``, one JSON pointer a line (bounded text).

    ``+ /p: v`` added, ``- /p`` removed, ``~ /p: v`` changed (lists compared whole, except
    that the paths and values are kept short).  "" when they are equal.
    """
    lines: list[str] = []
    _diff(base, config, "", lines)
    text = "\n".join(lines)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _diff(old: Any, new: Any, at: str, out: list[str]) -> None:
    if len(out) > 200:
        return
    if isinstance(old, dict) and isinstance(new, dict):
        for key in old:
            if key not in new:
                out.append(f"- {at}/{_escape(key)}")
        for key, value in new.items():
            where = f"{at}/{_escape(key)}"
            if key not in old:
                out.append(f"+ {where}: {_short(value)}")
            else:
                _diff(old[key], value, where, out)
    elif old != new:
        out.append(f"~ {at or '/'}: {_short(new)}")


def _escape(key: str) -> str:
    return str(key).replace("~", "~0").replace("/", "~1")


def _short(value: Any, limit: int = 300) -> str:
    text = json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    return text if len(text) <= limit else text[: limit - 1] + "…"
