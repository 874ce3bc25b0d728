"""Build the container's root filesystem in its mount namespace, then pivot into it.

``prepare`` runs before ``pivot_root`` (mounts, devices, /dev links); ``finish`` runs
after it (propagation, masked and readonly paths, readonly root).  Every path from
the config is resolved inside the rootfs by :mod:`safe_path`.
"""
from __future__ import annotations

import os
import stat

from oci_conform.reference.runtime import mountopts, safe_path
from oci_conform.reference.runtime import syscalls as sc
from oci_conform.reference.runtime.devices import create_devices, dev_links

TYPE_CHECKING = False   # typing is not imported at run time (start-up cost)
if TYPE_CHECKING:
    from typing import Any
    JSON = dict[str, Any]

# statvfs flag bits that mount(2) knows under the same values
_KEEP_FLAGS = sc.MS_NOSUID | sc.MS_NODEV | sc.MS_NOEXEC | sc.MS_NOATIME | sc.MS_NODIRATIME \
    | sc.MS_RELATIME | sc.MS_RDONLY


def _statvfs_flags(path: str) -> int:
    f = os.statvfs(path).f_flag
    out = 0
    for bit in (1, 2, 4, 8, 1024, 2048, 4096):     # ST_RDONLY..ST_RELATIME(4096)
        if f & bit:
            out |= sc.MS_RELATIME if bit == 4096 else bit
    return out & _KEEP_FLAGS


def prepare(cfg: JSON, in_userns: bool, new_ns: bool = True,
            cgroup: tuple[str, bool] = ("", False)) -> None:
    """Everything before pivot_root (or chroot).

    In a new mount namespace the host's mounts become slaves and the rootfs is bound
    onto itself here; in an inherited or joined one :func:`bind_root` did that already.
    ``cgroup`` is the container's cgroup folder (relative to each hierarchy) and whether
    a ``cgroup`` mount may be a new cgroup filesystem (in a cgroup namespace of its own,
    outside a user namespace) rather than binds of that folder.
    """
    root = cfg["root"]["path"]
    linux = cfg.get("linux", {})
    if new_ns:
        sc.mount(None, "/", None, sc.MS_REC | sc.MS_SLAVE)
        sc.mount(root, root, None, sc.MS_BIND | sc.MS_REC)
    rootfd = os.open(root, os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        bound_dev = False
        for m in cfg.get("mounts", []):
            mount_one(rootfd, root, m, cgroup)
            if m["destination"].rstrip("/") == "/dev" and m.get("type") == "bind":
                bound_dev = True
        if not bound_dev:
            create_devices(rootfd, linux.get("devices", []), in_userns)
            dev_links(rootfd)
        cwd = (cfg.get("process") or {}).get("cwd")
        if cwd:
            os.close(safe_path.ensure(rootfd, cwd))
    finally:
        os.close(rootfd)
        safe_path.release()


def mount_one(rootfd: int, root: str, m: JSON, cgroup: tuple[str, bool] = ("", False)) \
        -> None:
    opts = mountopts.parse(m.get("options", []))
    kind = m.get("type") or ("bind" if opts.bind else "")
    source = m.get("source") or kind or "none"
    is_bind = opts.bind or kind == "bind"
    is_dir = True
    if is_bind:
        flags = opts.flags | sc.MS_BIND
        is_dir = os.path.isdir(source)
    fd = safe_path.ensure(rootfd, m["destination"], is_dir=is_dir)
    try:
        target = safe_path.fd_path(fd)
        if not safe_path.inside(root, safe_path.real_path(fd)):
            raise OSError(1, f"mount destination {m['destination']} resolves outside the rootfs")
        if opts.flags & sc.MS_REMOUNT:
            # change the mount already at the destination (no new mount)
            extra = sc.MS_BIND if is_bind else 0
            sc.mount(None, target, None if is_bind else kind,
                     opts.flags | extra, None if is_bind else (",".join(opts.data) or None))
        elif kind == "cgroup":
            _mount_cgroup(target, opts, *cgroup)
        elif is_bind:
            sc.mount(source, target, None, flags & (sc.MS_BIND | sc.MS_REC))
            extra = flags & ~(sc.MS_BIND | sc.MS_REC | sc.MS_REMOUNT)
            if extra or opts.clear:
                os.close(fd)
                fd = safe_path.open_in_root(rootfd, m["destination"])
                target = safe_path.fd_path(fd)
                want = (_statvfs_flags(target) | extra) & ~opts.clear
                sc.mount(None, target, None, sc.MS_REMOUNT | sc.MS_BIND | want)
        else:
            below = _open_below(fd) if opts.copyup and kind == "tmpfs" else None
            sc.mount(source, target, kind, opts.flags & ~sc.MS_REMOUNT,
                     ",".join(opts.data) or None)
            if below is not None:
                _copy_up(below, rootfd, m["destination"])
        if opts.propagation or opts.rec_set or opts.rec_clr:
            os.close(fd)
            fd = safe_path.open_in_root(rootfd, m["destination"])
            for prop in opts.propagation:
                sc.mount(None, safe_path.fd_path(fd), None, prop)
            if opts.rec_set or opts.rec_clr:
                sc.mount_setattr(safe_path.fd_path(fd), opts.rec_set, opts.rec_clr)
    finally:
        os.close(fd)


def _open_below(fd: int) -> int:
    """A handle on the folder a tmpfs is about to cover (it stays reachable through it)."""
    return os.open(safe_path.fd_path(fd), os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)


def _copy_up(below: int, rootfd: int, dest: str) -> None:
    """tmpcopyup: copy what the new tmpfs covers into it (modes and links kept)."""
    import shutil
    try:
        top = safe_path.open_in_root(rootfd, dest)
        try:
            shutil.copytree(safe_path.fd_path(below), safe_path.fd_path(top), symlinks=True,
                            dirs_exist_ok=True)
            shutil.copystat(safe_path.fd_path(below), safe_path.fd_path(top))
        finally:
            os.close(top)
    finally:
        os.close(below)


def _mount_cgroup(target: str, opts: mountopts.Parsed, rel: str, new_fs: bool) -> None:
    """A cgroup mount that shows the container its own cgroup (its limits read back).

    cgroup v2: the cgroup2 filesystem when ``new_fs`` (its root is then the container's
    cgroup namespace root), else a bind of the container's folder.  v1/hybrid: a tmpfs
    holding one entry per hierarchy, each a v1 cgroup filesystem when ``new_fs``, else a
    bind of the container's folder of that hierarchy (a v1 filesystem cannot be mounted
    from a user namespace); co-mounted controllers get a symlink per name, as on hosts.
    """
    from oci_conform.reference.runtime import cgroups
    flags = opts.flags & (sc.MS_NOSUID | sc.MS_NODEV | sc.MS_NOEXEC | sc.MS_RELATIME)
    ro = opts.flags & sc.MS_RDONLY
    if cgroups.mode() == "v2":
        if new_fs or not rel:
            sc.mount("cgroup2", target, "cgroup2", flags | ro)
        else:
            _bind_ro(f"{cgroups.v2_root()}/{rel}", os.readlink(target), flags | ro)
        return
    sc.mount("tmpfs", target, "tmpfs", flags, "mode=755")
    base = os.readlink(target)
    for ctrl, point in sorted(cgroups.v1_hierarchies().items()):
        name = os.path.basename(str(point))
        sub = os.path.join(base, name)
        if not os.path.exists(sub):
            os.mkdir(sub)
            if new_fs or not rel:
                sc.mount("cgroup", sub, "cgroup", flags | ro, ctrl)
            else:
                _bind_ro(f"{point}/{rel}", sub, flags | ro)
        alias = os.path.join(base, ctrl)
        if ctrl != name and not ctrl.startswith("name=") and not os.path.lexists(alias):
            os.symlink(name, alias)
    if ro:
        sc.mount(None, base, None, sc.MS_REMOUNT | sc.MS_RDONLY | flags)


def _bind_ro(source: str, target: str, flags: int) -> None:
    """Bind ``source`` at ``target``, then apply ``flags`` (read-only, nosuid...) to it."""
    sc.mount(source, target, None, sc.MS_BIND)
    if flags:       # keep what the source has (a user namespace cannot clear locked flags)
        want = _statvfs_flags(target) | flags
        sc.mount(None, target, None, sc.MS_REMOUNT | sc.MS_BIND | want)


def bind_root(root: str) -> None:
    """In a mount namespace the container does not own: bind the rootfs onto itself,
    private, so every mount of the container sits below one mount that ``delete``
    detaches at once, and none of them propagates back to the namespace's other mounts."""
    sc.mount(root, root, None, sc.MS_BIND | sc.MS_REC)
    sc.mount(None, root, None, sc.MS_REC | sc.MS_PRIVATE)


def detach_root(root: str, ns_path: str | None) -> None:
    """Undo :func:`bind_root` (in the joined namespace ``ns_path`` when given)."""
    if not ns_path:
        sc.umount2(root, sc.MNT_DETACH)
        return
    fd = os.open(ns_path, os.O_RDONLY | os.O_CLOEXEC)
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            sc.setns(fd, sc.CLONE_NEWNS)
            sc.umount2(root, sc.MNT_DETACH)
            code = 0
        except OSError as exc:
            code = 0 if exc.errno in (2, 22) else 1
        finally:
            os._exit(code)
    os.close(fd)
    _, status = os.waitpid(pid, 0)
    if status:
        raise OSError(0, f"cannot detach {root} in the mount namespace {ns_path}")


def enter(root: str, new_ns: bool) -> None:
    """pivot_root in a new mount namespace; chroot in an inherited or joined one (where
    other processes' roots must not move), as runc does for an inherited one."""
    if new_ns:
        pivot(root)
        return
    os.chdir(root)
    os.chroot(".")
    os.chdir("/")


def pivot(root: str) -> None:
    """pivot_root(".", "."), then step into the old root (stacked on top) to detach it."""
    old = os.open("/", os.O_DIRECTORY | os.O_RDONLY | os.O_CLOEXEC)
    try:
        os.chdir(root)
        sc.pivot_root(".", ".")
        os.fchdir(old)
        sc.mount(None, ".", None, sc.MS_SLAVE | sc.MS_REC)
        sc.umount2(".", sc.MNT_DETACH)
    finally:
        os.close(old)
    os.chdir("/")


def finish(cfg: JSON) -> None:
    """After pivot_root: propagation, masked and readonly paths, readonly root."""
    linux = cfg.get("linux", {})
    prop = linux.get("rootfsPropagation")
    if prop:
        sc.mount(None, "/", None, mountopts.PROPAGATION[prop])
    rootfd = os.open("/", os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        for path in linux.get("maskedPaths", []):
            mask(rootfd, path)
        for path in linux.get("readonlyPaths", []):
            readonly(rootfd, path)
    finally:
        os.close(rootfd)
    if cfg["root"].get("readonly"):
        keep = _statvfs_flags("/")
        sc.mount(None, "/", None, sc.MS_REMOUNT | sc.MS_BIND | sc.MS_RDONLY | keep)


def mask(rootfd: int, path: str) -> None:
    try:
        fd = safe_path.open_in_root(rootfd, path)
    except (FileNotFoundError, NotADirectoryError):
        return
    try:
        target = safe_path.fd_path(fd)
        if stat.S_ISDIR(os.stat(target).st_mode):
            sc.mount("tmpfs", target, "tmpfs", sc.MS_RDONLY, "size=0k,mode=555")
        else:
            sc.mount("/dev/null", target, None, sc.MS_BIND)
    finally:
        os.close(fd)


def readonly(rootfd: int, path: str) -> None:
    try:
        fd = safe_path.open_in_root(rootfd, path)
    except (FileNotFoundError, NotADirectoryError):
        return
    try:
        target = safe_path.fd_path(fd)
        sc.mount(target, target, None, sc.MS_BIND | sc.MS_REC)
    finally:
        os.close(fd)
    fd = safe_path.open_in_root(rootfd, path)
    try:
        target = safe_path.fd_path(fd)
        keep = _statvfs_flags(target)
        sc.mount(None, target, None, sc.MS_REMOUNT | sc.MS_BIND | sc.MS_RDONLY | keep)
    finally:
        os.close(fd)
