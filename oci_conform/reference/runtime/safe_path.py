"""Resolve paths inside a root folder without ever leaving it.

Mount destinations, device paths and masked paths come from an untrusted config and
an untrusted rootfs: a symlink or ``..`` in them must not lead outside the rootfs.
With ``openat2(RESOLVE_IN_ROOT)`` the kernel does the scoping; without it we walk the
path component by component, resolving symlinks ourselves and clamping ``..`` at the
root.  Callers get an ``O_PATH`` file descriptor; ``fd_path`` gives the
``/proc/self/fd/N`` name to hand to mount(2), so the kernel uses exactly the object
we resolved, not a path that could be swapped in between.
"""
from __future__ import annotations

import errno
import os
import stat

from oci_conform.reference.runtime import syscalls as sc

_RESOLVE = sc.RESOLVE_IN_ROOT | sc.RESOLVE_NO_MAGICLINKS
_HAVE_OPENAT2: bool | None = None
MAX_LINKS = 40


def _openat2_ok() -> bool:
    global _HAVE_OPENAT2
    if _HAVE_OPENAT2 is None:
        _HAVE_OPENAT2 = sc.has_openat2()
    return _HAVE_OPENAT2


def fd_path(fd: int) -> str:
    return f"/proc/self/fd/{fd}"


def _parts(path: str) -> list[str]:
    return [p for p in path.split("/") if p not in ("", ".")]


def open_in_root(rootfd: int, path: str, flags: int = os.O_PATH) -> int:
    """An fd for ``path`` resolved with ``rootfd`` as ``/`` (raises OSError)."""
    flags |= os.O_CLOEXEC
    rel = "/".join(_parts(path)) or "."
    if _openat2_ok():
        return sc.openat2(rootfd, rel, flags, _RESOLVE)
    return _walk(rootfd, _parts(path), flags)


def _walk(rootfd: int, parts: list[str], flags: int) -> int:
    """Component walk: symlinks are read and re-resolved from the root, ``..`` clamps."""
    stack = [os.dup(rootfd)]
    links = 0
    todo = list(parts)
    try:
        while todo:
            part = todo.pop(0)
            if part == "..":
                if len(stack) > 1:
                    os.close(stack.pop())
                continue
            last = not todo
            cur = stack[-1]
            st = os.lstat(part, dir_fd=cur)
            if stat.S_ISLNK(st.st_mode):
                links += 1
                if links > MAX_LINKS:
                    raise OSError(errno.ELOOP, f"too many symlinks at {part}")
                target = os.readlink(part, dir_fd=cur)
                if target.startswith("/"):
                    while len(stack) > 1:
                        os.close(stack.pop())
                todo = _parts(target) + todo
                continue
            fl = flags if last else os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC
            stack.append(os.open(part, fl | os.O_NOFOLLOW, dir_fd=cur))
        return os.dup(stack[-1]) if len(stack) > 1 else os.open(".", flags, dir_fd=rootfd)
    finally:
        for fd in stack:
            os.close(fd)


def ensure(rootfd: int, path: str, is_dir: bool = True, mode: int = 0o755) -> int:
    """Like :func:`open_in_root`, creating missing folders (and a final file if
    ``is_dir`` is False) inside the root first."""
    try:
        return open_in_root(rootfd, path)
    except FileNotFoundError:
        pass
    parts = _parts(path)
    for i in range(1, len(parts) + 1):
        prefix = "/".join(parts[:i])
        try:
            fd = open_in_root(rootfd, prefix)
            os.close(fd)
            continue
        except FileNotFoundError:
            pass
        parent = open_in_root(rootfd, "/".join(parts[:i - 1]), os.O_PATH | os.O_DIRECTORY)
        try:
            name = parts[i - 1]
            if i < len(parts) or is_dir:
                os.mkdir(name, mode, dir_fd=parent)
            else:
                os.close(os.open(name, os.O_CREAT | os.O_WRONLY | os.O_NOFOLLOW | os.O_CLOEXEC,
                                 0o644, dir_fd=_real_dir(parent)))
        except FileExistsError:
            pass
        finally:
            os.close(parent)
    return open_in_root(rootfd, path)


def _real_dir(opath_fd: int) -> int:
    """openat(O_CREAT) refuses O_PATH dirfds on some kernels: reopen as a real dir fd."""
    fd = os.open(fd_path(opath_fd), os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    # the caller closes opath_fd; keep the real one alive until the create returns
    _KEEP.append(fd)
    return fd


_KEEP: list[int] = []


def release() -> None:
    while _KEEP:
        try:
            os.close(_KEEP.pop())
        except OSError:
            pass


def real_path(fd: int) -> str:
    return os.readlink(fd_path(fd))


def inside(root: str, path: str) -> bool:
    root = root.rstrip("/") or "/"
    return root == "/" or path == root or path.startswith(root + "/")
