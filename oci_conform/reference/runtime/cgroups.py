"""Control groups: create the container's cgroup, apply ``linux.resources``, remove it.

Works on cgroup v1, hybrid (v1 controllers plus a v2 mount: limits go through v1) and
v2 hosts.  ``validate`` refuses, before anything is created, resources whose
controller is not present on this host.
"""
from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from oci_conform.reference.runtime.errors import RuntimeFailure

ROOT = Path("/sys/fs/cgroup")
JSON = dict[str, Any]
DEFAULT_PARENT = "oci-conform-runtime"


def mode() -> str:
    if (ROOT / "cgroup.controllers").exists():
        return "v2"
    if (ROOT / "unified" / "cgroup.controllers").exists():
        return "hybrid"
    return "v1" if ROOT.is_dir() and any(ROOT.iterdir()) else "none"


def v1_hierarchies() -> dict[str, Path]:
    """Controller name -> mount folder, for every v1 hierarchy (named ones as name=X)."""
    found: dict[str, Path] = {}
    try:
        lines = Path("/proc/self/mountinfo").read_text().splitlines()
    except OSError:
        return found
    for line in lines:
        pre, _, post = line.partition(" - ")
        fields = pre.split()
        pfields = post.split()
        if len(pfields) < 3 or pfields[0] != "cgroup":
            continue
        point = Path(fields[4])
        for opt in pfields[2].split(","):
            if opt in ("rw", "ro") or opt.startswith(("relatime", "noatime", "nosuid",
                                                        "nodev", "noexec", "clone_children",
                                                        "release_agent", "xattr")):
                continue
            found.setdefault(opt, point)
    return found


def v2_root() -> Path | None:
    m = mode()
    if m == "v2":
        return ROOT
    if m == "hybrid":
        return ROOT / "unified"
    return None


def _v2_controllers() -> set[str]:
    root = v2_root()
    if root is None:
        return set()
    try:
        return set((root / "cgroup.controllers").read_text().split())
    except OSError:
        return set()


def relpath(cgroups_path: str | None, cid: str) -> str:
    """The cgroup folder relative to each hierarchy root."""
    if not cgroups_path:
        return f"{DEFAULT_PARENT}/{cid}"
    if ":" in cgroups_path and not cgroups_path.startswith("/"):
        raise RuntimeFailure("config.json /linux/cgroupsPath: systemd slice:prefix:name "
                             "paths are not supported (give a path)")
    parts = [p for p in cgroups_path.split("/") if p]
    if any(p in (".", "..") for p in parts) or not parts:
        raise RuntimeFailure(f"config.json /linux/cgroupsPath: {cgroups_path!r} is not a "
                             "plain path")
    return "/".join(parts)


# -- what each resource needs ---------------------------------------------------------------
_NEEDS = {"memory": "memory", "cpu": "cpu", "pids": "pids", "blockIO": "blkio",
          "hugepageLimits": "hugetlb", "network": "net_cls", "rdma": "rdma",
          "devices": "devices"}
_V2_NEEDS = {"memory": "memory", "cpu": "cpu", "pids": "pids", "blockIO": "io",
             "hugepageLimits": "hugetlb", "rdma": "rdma"}


def _present(value: Any) -> bool:
    return value not in (None, {}, [], "")


def validate(res: JSON, cgroups_path: str | None) -> None:
    """Refuse resources this host or runtime cannot apply (no side effects)."""
    if not isinstance(res, dict):
        raise RuntimeFailure("config.json /linux/resources: must be an object")
    relpath(cgroups_path, "x")
    m = mode()
    if m == "none":
        if any(_present(v) for v in res.values()):
            raise RuntimeFailure("config.json /linux/resources: no cgroup filesystem on this host")
        return
    if m == "v2":
        ctrls = _v2_controllers()
        for key, value in res.items():
            if not _present(value) or key == "unified":
                continue
            if key == "devices":
                if _devices_nontrivial(value):
                    raise RuntimeFailure("config.json /linux/resources/devices: device rules on "
                                         "cgroup v2 need eBPF, which this runtime does not do")
                continue
            need = _V2_NEEDS.get(key)
            if need is None or need not in ctrls:
                raise RuntimeFailure(f"config.json /linux/resources/{key}: not supported on "
                                     "this host's cgroup v2")
        return
    hier = v1_hierarchies()
    for key, value in res.items():
        if not _present(value):
            continue
        if key == "unified":
            raise RuntimeFailure("config.json /linux/resources/unified: needs cgroup v2 "
                                 f"(this host is {m})")
        need = _NEEDS.get(key)
        if need is None:
            raise RuntimeFailure(f"config.json /linux/resources/{key}: not supported")
        if key == "network" and value.get("priorities"):
            need = "net_prio"
        if need not in hier:
            raise RuntimeFailure(f"config.json /linux/resources/{key}: the {need} cgroup "
                                 "controller is not mounted on this host")
        if key == "cpu" and (_present(value.get("cpus")) or _present(value.get("mems"))) \
                and "cpuset" not in hier:
            raise RuntimeFailure("config.json /linux/resources/cpu: no cpuset controller")
    mem = res.get("memory") or {}
    if mem.get("swap") is not None and not _exists_v1("memory", "memory.memsw.limit_in_bytes"):
        raise RuntimeFailure("config.json /linux/resources/memory/swap: swap accounting is "
                             "off on this host")


def _devices_nontrivial(rules: list[JSON]) -> bool:
    return any(r.get("allow") for r in rules)


def _exists_v1(ctrl: str, name: str) -> bool:
    point = v1_hierarchies().get(ctrl)
    return bool(point and (point / name).exists())


# -- creation ------------------------------------------------------------------------------
def _mkdirs(base: Path, rel: str, created: list[str]) -> Path:
    path = base
    for part in rel.split("/"):
        path = path / part
        if not path.is_dir():
            path.mkdir()
            created.append(str(path))
            _cpuset_inherit(path)
    return path


def _cpuset_inherit(path: Path) -> None:
    for name in ("cpuset.cpus", "cpuset.mems"):
        f = path / name
        if f.exists() and not (path / "cgroup.controllers").exists():
            try:
                if not f.read_text().strip():
                    f.write_text((path.parent / name).read_text())
            except OSError:
                pass


def setup(rel: str, res: JSON, pid: int) -> list[str]:
    """Create the cgroup on every hierarchy, apply limits, move ``pid`` in.

    Returns the folders this call created (removed by :func:`remove`).  On failure the
    created folders are removed and RuntimeFailure is raised.
    """
    created: list[str] = []
    try:
        paths = _create(rel, created)
        _apply(paths, res)
        for path in dict.fromkeys(paths.values()):
            _write(path / "cgroup.procs", str(pid))
    except (OSError, RuntimeFailure) as exc:
        remove(created, rel.rsplit("/", 1)[-1])
        if isinstance(exc, RuntimeFailure):
            raise
        raise RuntimeFailure(f"cgroup setup: {exc}") from None
    return created


def _create(rel: str, created: list[str]) -> dict[str, Path]:
    paths: dict[str, Path] = {}
    m = mode()
    if m in ("v1", "hybrid"):
        made: dict[Path, Path] = {}      # co-mounted controllers share one folder
        for ctrl, point in sorted(v1_hierarchies().items(), key=lambda kv: str(kv[1])):
            if point not in made:
                made[point] = _mkdirs(point, rel, created)
            paths[ctrl] = made[point]
    root = v2_root()
    if root is not None:
        if m == "v2":
            _enable_v2(root, rel)
        paths["unified"] = _mkdirs(root, rel, created)
    return paths


def _enable_v2(root: Path, rel: str) -> None:
    """Enable every available controller down to the container's parent folder."""
    ctrls = (root / "cgroup.controllers").read_text().split()
    path = root
    for part in rel.split("/"):
        want = " ".join(f"+{c}" for c in ctrls)
        try:
            (path / "cgroup.subtree_control").write_text(want)
        except OSError:
            for c in ctrls:
                try:
                    (path / "cgroup.subtree_control").write_text(f"+{c}")
                except OSError:
                    pass
        path = path / part
        if not path.is_dir():
            path.mkdir()
        try:
            ctrls = (path / "cgroup.controllers").read_text().split()
        except OSError:
            ctrls = []


def _write(path: Path, value: str) -> None:
    try:
        with open(path, "w") as fh:
            fh.write(value)
    except OSError as exc:
        raise RuntimeFailure(f"cannot write {value!r} to {path}: {exc.strerror}") from None


def _apply(paths: dict[str, Path], res: JSON) -> None:
    if "unified" in paths and mode() == "v2":
        from oci_conform.reference.runtime import cgroups_v2
        cgroups_v2.apply(paths["unified"], res)
        return
    from oci_conform.reference.runtime import cgroups_v1
    cgroups_v1.apply(paths, res)


# -- removal --------------------------------------------------------------------------------
def _procs(path: Path) -> list[int]:
    try:
        return [int(p) for p in (path / "cgroup.procs").read_text().split()]
    except (OSError, ValueError):
        return []


def kill_all(folders: list[str], sig: int = 9) -> None:
    for folder in folders:
        for pid in _procs(Path(folder)):
            try:
                os.kill(pid, sig)
            except OSError:
                pass


def remove(folders: list[str], leaf: str = "") -> list[str]:
    """rmdir the folders, deepest first; returns those that could not be removed.

    Processes are killed only in folders ending in ``leaf`` (the container's own); a
    parent folder that is still in use by another container is simply left.
    """
    left = []
    for folder in sorted(folders, key=lambda f: -f.count("/")):
        path = Path(folder)
        tries = 50 if (leaf and folder.endswith("/" + leaf)) else 1
        for attempt in range(tries):
            try:
                path.rmdir()
                break
            except FileNotFoundError:
                break
            except OSError:
                kill_all([folder])
                time.sleep(0.01 * (attempt + 1))
        else:
            if tries > 1:
                left.append(folder)
    return left


def pids_in(folders: list[str]) -> list[int]:
    return sorted({p for f in folders for p in _procs(Path(f))})
