"""Device nodes in the container's /dev: the default set, ``linux.devices``, and links."""
from __future__ import annotations

import os
import stat

from oci_conform.reference.runtime import safe_path
from oci_conform.reference.runtime import syscalls as sc

TYPE_CHECKING = False   # typing is not imported at run time (start-up cost)
if TYPE_CHECKING:
    from typing import Any
    JSON = dict[str, Any]

DEFAULTS = [("/dev/null", 1, 3), ("/dev/zero", 1, 5), ("/dev/full", 1, 7),
            ("/dev/random", 1, 8), ("/dev/urandom", 1, 9), ("/dev/tty", 5, 0)]
LINKS = [("/proc/self/fd", "/dev/fd"), ("/proc/self/fd/0", "/dev/stdin"),
         ("/proc/self/fd/1", "/dev/stdout"), ("/proc/self/fd/2", "/dev/stderr")]
_TYPES = {"c": stat.S_IFCHR, "u": stat.S_IFCHR, "b": stat.S_IFBLK, "p": stat.S_IFIFO}


def create_devices(rootfd: int, devices: list[JSON], in_userns: bool) -> None:
    wanted = {d["path"]: d for d in devices}
    for path, major, minor in DEFAULTS:
        if path not in wanted:
            make(rootfd, {"path": path, "type": "c", "major": major, "minor": minor,
                          "fileMode": 0o666, "uid": 0, "gid": 0}, in_userns)
    for dev in devices:
        make(rootfd, dev, in_userns)


def _split(path: str) -> tuple[str, str]:
    parent, _, name = path.rstrip("/").rpartition("/")
    if not name or name in (".", ".."):
        raise OSError(22, f"device path {path!r} has no file name")
    return parent or "/", name


def make(rootfd: int, dev: JSON, in_userns: bool) -> None:
    """mknod the device inside the rootfs (bind the host's node in a user namespace)."""
    parent_path, name = _split(dev["path"])
    parent = safe_path.ensure(rootfd, parent_path)
    try:
        real = safe_path.real_path(parent)
        pdir = os.open(safe_path.fd_path(parent), os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        try:
            if _exists(pdir, name, dev):
                return
            mode = dev.get("fileMode", 0o666) & 0o7777
            if in_userns and dev.get("type") != "p":
                _bind_host(pdir, name, dev, real)
            else:
                devnum = os.makedev(dev.get("major", 0), dev.get("minor", 0))
                os.mknod(name, _TYPES[dev["type"]] | mode, devnum, dir_fd=pdir)
                os.chmod(name, mode, dir_fd=pdir)
                os.chown(name, dev.get("uid", 0) or 0, dev.get("gid", 0) or 0, dir_fd=pdir,
                         follow_symlinks=False)
        finally:
            os.close(pdir)
    finally:
        os.close(parent)


def _exists(pdir: int, name: str, dev: JSON) -> bool:
    """True when the same device is already there; an error for any other file."""
    try:
        st = os.lstat(name, dir_fd=pdir)
    except FileNotFoundError:
        return False
    kind = _TYPES[dev["type"]]
    same = stat.S_IFMT(st.st_mode) == kind and (
        kind == stat.S_IFIFO or (os.major(st.st_rdev), os.minor(st.st_rdev))
        == (dev.get("major", 0), dev.get("minor", 0)))
    if not same:
        raise OSError(17, f"{dev['path']} already exists in the rootfs and is not the "
                          "requested device")
    return True


def _bind_host(pdir: int, name: str, dev: JSON, real_parent: str) -> None:
    host = dev["path"]
    os.close(os.open(name, os.O_CREAT | os.O_WRONLY | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644,
                     dir_fd=pdir))
    fd = os.open(name, os.O_PATH | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=pdir)
    try:
        sc.mount(host, safe_path.fd_path(fd), None, sc.MS_BIND)
    finally:
        os.close(fd)


def dev_links(rootfd: int) -> None:
    """/dev/fd, stdin, stdout, stderr; /dev/ptmx -> pts/ptmx; /dev/core when /proc/kcore is."""
    links = list(LINKS)
    links.append(("pts/ptmx", "/dev/ptmx"))
    if os.path.exists("/proc/kcore"):
        links.append(("/proc/kcore", "/dev/core"))
    dev = safe_path.ensure(rootfd, "/dev")
    try:
        ddir = os.open(safe_path.fd_path(dev), os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        try:
            for target, path in links:
                name = path.rsplit("/", 1)[1]
                try:
                    os.symlink(target, name, dir_fd=ddir)
                except FileExistsError:
                    if name == "ptmx":
                        os.unlink(name, dir_fd=ddir)
                        os.symlink(target, name, dir_fd=ddir)
        finally:
            os.close(ddir)
    finally:
        os.close(dev)
