"""Control groups: create the container's cgroup, apply ``linux.resources``, remove it.

Works on cgroup v1, hybrid (v1 controllers plus a v2 mount: limits go through v1) and
v2 hosts.  ``validate`` refuses, before anything is created, resources whose
controller is not present on this host.  Folders are made and removed race-free:
containers created and deleted at the same time may share parent folders.

The mount table is read once per process (one CLI call is one process); paths are
plain strings (no pathlib: this module is imported at ``create``'s start-up).
"""
from __future__ import annotations

import os
import time

from oci_conform.reference.runtime.errors import RuntimeFailure

TYPE_CHECKING = False   # typing is not imported at start-up
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any
    JSON = dict[str, Any]

ROOT = "/sys/fs/cgroup"
DEFAULT_PARENT = "oci-conform-runtime"
HUGEPAGES = "/sys/kernel/mm/hugepages"
_cache: dict[str, Any] = {}
# mount options of a v1 cgroup mount that are not controller names
_NOT_CTRL = ("rw", "ro", "relatime", "noatime", "nosuid", "nodev", "noexec", "clone_children",
             "release_agent", "xattr", "cpuset_v2_mode", "favordynmods", "noprefix")


def mode() -> str:
    """``v2``, ``hybrid``, ``v1`` or ``none`` (cached for the process)."""
    found = _cache.get("mode")
    if found is None:
        if os.path.exists(f"{ROOT}/cgroup.controllers"):
            found = "v2"
        elif os.path.exists(f"{ROOT}/unified/cgroup.controllers"):
            found = "hybrid"
        else:
            found = "v1" if os.path.isdir(ROOT) and os.listdir(ROOT) else "none"
        _cache["mode"] = found
    return found


def v1_hierarchies() -> dict[str, str]:
    """Controller name -> mount folder, for every v1 hierarchy (named ones as name=X)."""
    found = _cache.get("v1")
    if found is None:
        found = _cache["v1"] = _parse_mountinfo()
    return dict(found)


def _parse_mountinfo() -> dict[str, str]:
    found: dict[str, str] = {}
    try:
        with open("/proc/self/mountinfo") as fh:
            lines = fh.read().splitlines()
    except OSError:
        return found
    for line in lines:
        pre, _, post = line.partition(" - ")
        pfields = post.split()
        if len(pfields) < 3 or pfields[0] != "cgroup":
            continue
        point = pre.split()[4]
        for opt in pfields[2].split(","):
            if opt.split("=", 1)[0] not in _NOT_CTRL:
                found.setdefault(opt, point)
    return found


def v2_root() -> str | None:
    m = mode()
    if m == "v2":
        return ROOT
    if m == "hybrid":
        return f"{ROOT}/unified"
    return None


def v2_controllers() -> set[str]:
    """Controllers the v2 root offers (empty without a v2 hierarchy)."""
    root = v2_root()
    if root is None:
        return set()
    try:
        return set(_read(f"{root}/cgroup.controllers").split())
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


# -- validation (no side effects) -----------------------------------------------------------
def present(value: Any) -> bool:
    return value not in (None, {}, [], "")


def validate(res: JSON, cgroups_path: str | None) -> None:
    """Refuse resources this host or runtime cannot apply (no side effects)."""
    if not isinstance(res, dict):
        raise RuntimeFailure("config.json /linux/resources: must be an object")
    relpath(cgroups_path, "x")
    for key, value in res.items():
        kind = list if key in ("devices", "hugepageLimits") else dict
        if value is not None and not isinstance(value, kind):
            raise RuntimeFailure(f"config.json /linux/resources/{key}: must be an "
                                 f"{'array' if kind is list else 'object'}")
    m = mode()
    if m == "none":
        if any(present(v) for v in res.values()):
            raise RuntimeFailure("config.json /linux/resources: no cgroup filesystem on this host")
        return
    if present(res.get("hugepageLimits")):
        _check_page_sizes(res["hugepageLimits"])
    if m == "v2":
        from oci_conform.reference.runtime import cgroups_v2
        cgroups_v2.check(res, v2_controllers())
        return
    from oci_conform.reference.runtime import cgroups_v1
    cgroups_v1.check(res, v1_hierarchies(), m)


def hugepage_sizes() -> list[str]:
    """This host's huge page sizes, named as cgroup files name them (``2MB``, ``1GB``)."""
    try:
        names = os.listdir(HUGEPAGES)
    except OSError:
        return []
    sizes = []
    for name in names:
        kb = int(name[len("hugepages-"):-len("kB")]) if name.endswith("kB") else 0
        if kb >= 1 << 20:
            sizes.append((kb, f"{kb >> 20}GB"))
        elif kb >= 1 << 10:
            sizes.append((kb, f"{kb >> 10}MB"))
        elif kb:
            sizes.append((kb, f"{kb}KB"))
    return [name for _, name in sorted(sizes)]


def _check_page_sizes(limits: list[Any]) -> None:
    sizes = hugepage_sizes()
    for i, entry in enumerate(limits):
        size = entry.get("pageSize") if isinstance(entry, dict) else None
        if size not in sizes:
            raise RuntimeFailure(f"config.json /linux/resources/hugepageLimits/{i}/pageSize: "
                                 f"{size!r} is not a huge page size of this host "
                                 f"(it has: {', '.join(sizes) or 'none'})")


# -- creation ------------------------------------------------------------------------------
def _read(path: str) -> str:
    with open(path) as fh:
        return fh.read()


def _write(path: str, value: str) -> None:
    try:
        with open(path, "w") as fh:
            fh.write(value)
    except OSError as exc:
        raise RuntimeFailure(f"cannot write {value!r} to {path}: {exc.strerror}") from None


def mkdirs(base: str, rel: str, created: list[str],
           each: Callable[[str], None] | None = None) -> str:
    """Make ``base/rel`` level by level; append the folders this call made to ``created``.

    A folder that exists (maybe just made by a concurrent create) is used, not claimed.
    ``each`` runs on every level, made or found.  When a level vanishes under us (a
    concurrent delete removed a shared parent) the walk starts again from ``base``.
    """
    for _ in range(20):
        path = base
        try:
            for part in rel.split("/"):
                path = f"{path}/{part}"
                try:
                    os.mkdir(path)
                    created.append(path)
                except FileExistsError:
                    pass
                if each is not None:
                    each(path)
            return path
        except FileNotFoundError:
            continue
    raise RuntimeFailure(f"cgroup setup: {base}/{rel} keeps vanishing while it is made")


def setup(rel: str, res: JSON, pid: int) -> list[str]:
    """Create the cgroup on every hierarchy, apply limits, move ``pid`` in.

    Returns the folders to remove on delete: those this call created, plus the default
    parent (shared by all containers without a cgroupsPath; removed by whoever is last).
    On failure the created folders are removed and RuntimeFailure is raised.
    """
    created: list[str] = []
    # On v2 a concurrent delete can remove and another create remake a shared parent
    # between our enabling its controllers and writing our limits; start again then.
    attempts = 5 if mode() == "v2" else 1
    for attempt in range(attempts):
        try:
            paths = _create(rel, res, created)
            _apply(paths, res)
            for path in dict.fromkeys(paths.values()):
                _write(f"{path}/cgroup.procs", str(pid))
            break
        except (OSError, ValueError, RuntimeFailure) as exc:
            remove(created, rel.rsplit("/", 1)[-1])
            created.clear()
            if attempt + 1 < attempts and isinstance(exc, (OSError, RuntimeFailure)) \
                    and not isinstance(exc, ValueError):
                continue
            if isinstance(exc, RuntimeFailure):
                raise
            raise RuntimeFailure(f"cgroup setup: {exc}") from None
    if rel.startswith(DEFAULT_PARENT + "/") and rel.count("/") == 1:
        tops = {p.rsplit("/", 1)[0] for p in paths.values()}
        created.extend(sorted(tops - set(created)))
    return created


def _create(rel: str, res: JSON, created: list[str]) -> dict[str, str]:
    paths: dict[str, str] = {}
    m = mode()
    if m in ("v1", "hybrid"):
        from oci_conform.reference.runtime import cgroups_v1
        hier = v1_hierarchies()
        made: dict[str, str] = {}      # co-mounted controllers share one folder
        for ctrl, point in sorted(hier.items(), key=lambda kv: kv[1]):
            if point not in made:
                fill = cgroups_v1.cpuset_fill if point == hier.get("cpuset") else None
                made[point] = mkdirs(point, rel, created, fill)
            paths[ctrl] = made[point]
    root = v2_root()
    if root is not None:
        each = None
        if m == "v2":
            from oci_conform.reference.runtime import cgroups_v2
            each = cgroups_v2.enabler(cgroups_v2.needs(res))
        paths["unified"] = mkdirs(root, rel, created, each)
    return paths


def apply_resources(paths: dict[str, str], res: JSON) -> None:
    """Write ``res`` to existing folders (``update``); RuntimeFailure names the file."""
    try:
        _apply(paths, res)
    except (OSError, KeyError) as exc:
        raise RuntimeFailure(f"update: {exc}") from None


def _apply(paths: dict[str, str], res: JSON) -> None:
    if "unified" in paths and mode() == "v2":
        from oci_conform.reference.runtime import cgroups_v2
        cgroups_v2.apply(paths["unified"], res)
        return
    from oci_conform.reference.runtime import cgroups_v1
    cgroups_v1.apply(paths, res)


def member_paths(rel: str) -> dict[str, str]:
    """The container's folder on every hierarchy (controller -> path; ``unified`` for v2),
    without creating anything."""
    paths: dict[str, str] = {}
    if mode() in ("v1", "hybrid"):
        for ctrl, point in v1_hierarchies().items():
            paths[ctrl] = f"{point}/{rel}"
    root = v2_root()
    if root is not None:
        paths["unified"] = f"{root}/{rel}"
    return paths


def join(rel: str) -> None:
    """Move the calling process into the container's folders (each folder once)."""
    for path in dict.fromkeys(member_paths(rel).values()):
        if os.path.isdir(path):
            _write(f"{path}/cgroup.procs", "0")


# -- removal --------------------------------------------------------------------------------
def _procs(path: str) -> list[int]:
    try:
        return [int(p) for p in _read(f"{path}/cgroup.procs").split()]
    except (OSError, ValueError):
        return []


def kill_all(folders: list[str], sig: int = 9) -> None:
    for folder in folders:
        for pid in _procs(folder):
            try:
                os.kill(pid, sig)
            except OSError:
                pass


def remove(folders: list[str], leaf: str = "") -> list[str]:
    """rmdir the folders, deepest first; returns the container's own that stayed.

    Processes are killed only in the container's own folders (named ``leaf``, with no
    other listed folder below them); a parent that another container still uses (busy,
    not empty) is simply left for the last one out.
    """
    left = []
    for folder in sorted(folders, key=lambda f: -f.count("/")):
        own = bool(leaf) and folder.endswith("/" + leaf) and \
            not any(f.startswith(folder + "/") for f in folders)
        tries = 50 if own else 1
        for attempt in range(tries):
            try:
                os.rmdir(folder)
                break
            except FileNotFoundError:
                break
            except OSError:
                if not own:
                    break
                kill_all([folder])
                time.sleep(0.01 * (attempt + 1))
        else:
            left.append(folder)
    return left


def pids_in(folders: list[str]) -> list[int]:
    return sorted({p for f in folders for p in _procs(f)})
