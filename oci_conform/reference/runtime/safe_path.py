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
        try:
            return sc.openat2(rootfd, rel, flags, _RESOLVE)
        except OSError as exc:
            raise OSError(exc.errno, f"{path} (inside the rootfs): {os.strerror(exc.errno or 0)}"
                          ) from None
    return _walk(rootfd, _parts(path), flags)


def _walk(rootfd: int, parts: list[str], flags: int, create: str = "") -> int:
    """Component walk: symlinks are read and re-resolved from the root, ``..`` clamps.

    ``create`` is "" (nothing), "dir" or "file": missing components are made as
    folders (the last one as ``create`` says), following dangling links inside the root.
    """
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
            try:
                st = os.lstat(part, dir_fd=cur)
            except FileNotFoundError:
                if not create:
                    raise
                _make(cur, part, "dir" if not last else create)
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
            stack.append(os.open(part, fl | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=cur))
        return os.dup(stack[-1]) if len(stack) > 1 else os.open(".", flags, dir_fd=rootfd)
    finally:
        for fd in stack:
            os.close(fd)


def _make(dirfd: int, name: str, kind: str) -> None:
    real = os.open(fd_path(dirfd), os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        if kind == "dir":
            os.mkdir(name, 0o755, dir_fd=real)
        else:
            os.close(os.open(name, os.O_CREAT | os.O_WRONLY | os.O_NOFOLLOW | os.O_CLOEXEC,
                             0o644, dir_fd=real))
    except FileExistsError:
        pass
    finally:
        os.close(real)


def ensure(rootfd: int, path: str, is_dir: bool = True) -> int:
    """Like :func:`open_in_root`, first creating what is missing (folders, and a final
    file when ``is_dir`` is False) inside the root, through links scoped to the root."""
    try:
        return open_in_root(rootfd, path)
    except FileNotFoundError:
        pass
    try:
        fd = _walk(rootfd, _parts(path), os.O_PATH | os.O_CLOEXEC, "dir" if is_dir else "file")
    except OSError as exc:
        raise OSError(exc.errno, f"cannot create {path} inside the rootfs: "
                                 f"{exc.strerror or exc}") from None
    os.close(fd)
    return open_in_root(rootfd, path)


def release() -> None:
    """Kept for callers; nothing is cached any more."""


def real_path(fd: int) -> str:
    return os.readlink(fd_path(fd))


def inside(root: str, path: str) -> bool:
    root = root.rstrip("/") or "/"
    return root == "/" or path == root or path.startswith(root + "/")
