"""Thin ctypes wrappers for the Linux system calls the runtime needs (x86_64 and aarch64).

Each wrapper raises ``OSError`` with the kernel's errno on failure and names the call,
so a caller can turn it into a one-line error message.
"""
from __future__ import annotations

import ctypes
import os
import struct

_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long

# clone/unshare flags
CLONE_NEWNS = 0x00020000
CLONE_NEWCGROUP = 0x02000000
CLONE_NEWUTS = 0x04000000
CLONE_NEWIPC = 0x08000000
CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000
CLONE_NEWTIME = 0x00000080

# mount flags
MS_RDONLY = 1
MS_NOSUID = 2
MS_NODEV = 4
MS_NOEXEC = 8
MS_SYNCHRONOUS = 16
MS_REMOUNT = 32
MS_MANDLOCK = 64
MS_DIRSYNC = 128
MS_NOSYMFOLLOW = 256
MS_NOATIME = 1024
MS_NODIRATIME = 2048
MS_BIND = 4096
MS_MOVE = 8192
MS_REC = 16384
MS_SILENT = 32768
MS_POSIXACL = 1 << 16
MS_UNBINDABLE = 1 << 17
MS_PRIVATE = 1 << 18
MS_SLAVE = 1 << 19
MS_SHARED = 1 << 20
MS_RELATIME = 1 << 21
MS_I_VERSION = 1 << 23
MS_STRICTATIME = 1 << 24
MS_LAZYTIME = 1 << 25

MNT_DETACH = 2

# prctl
PR_SET_PDEATHSIG = 1
PR_SET_DUMPABLE = 4
PR_SET_KEEPCAPS = 8
PR_SET_SECCOMP = 22
PR_CAPBSET_READ = 23
PR_CAPBSET_DROP = 24
PR_SET_NO_NEW_PRIVS = 38
PR_GET_NO_NEW_PRIVS = 39
PR_CAP_AMBIENT = 47
PR_CAP_AMBIENT_RAISE = 2
PR_CAP_AMBIENT_CLEAR_ALL = 4
SECCOMP_MODE_FILTER = 2

_MACHINE = os.uname().machine
_NR = {
    "x86_64": {"pivot_root": 155, "capget": 125, "capset": 126, "setns": 308,
               "unshare": 272, "openat2": 437, "seccomp": 317, "setresuid": 117,
               "setresgid": 119, "setgroups": 116, "personality": 135,
               "mount_setattr": 442, "sched_setattr": 314, "ioprio_set": 251,
               "keyctl": 250},
    "aarch64": {"pivot_root": 41, "capget": 90, "capset": 91, "setns": 268,
                "unshare": 97, "openat2": 437, "seccomp": 277, "setresuid": 147,
                "setresgid": 149, "setgroups": 159, "personality": 92,
                "mount_setattr": 442, "sched_setattr": 274, "ioprio_set": 30,
                "keyctl": 219},
}.get(_MACHINE, {})


def _check(result: int, what: str) -> int:
    if result < 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")
    return result


def _syscall(name: str, *args: object) -> int:
    nr = _NR.get(name)
    if nr is None:
        raise OSError(38, f"{name}: not supported on {_MACHINE}")
    return _check(_libc.syscall(ctypes.c_long(nr), *args), name)


raw_syscall = _syscall      # for the few modules that call a syscall by name


def unshare(flags: int) -> None:
    _check(_libc.unshare(ctypes.c_int(flags)), "unshare")


def setns(fd: int, nstype: int = 0) -> None:
    _check(_libc.setns(ctypes.c_int(fd), ctypes.c_int(nstype)), "setns")


def _b(text: str | None) -> bytes | None:
    return None if text is None else os.fsencode(text)


def mount(source: str | None, target: str, fstype: str | None, flags: int = 0,
          data: str | None = None) -> None:
    res = _libc.mount(_b(source), _b(target), _b(fstype), ctypes.c_ulong(flags), _b(data))
    if res < 0:
        err = ctypes.get_errno()
        raise OSError(err, f"mount {source or ''} on {target} ({fstype or 'flags'} "
                           f"{flags:#x} {data or ''}): {os.strerror(err)}")


def umount2(target: str, flags: int = 0) -> None:
    _check(_libc.umount2(_b(target), ctypes.c_int(flags)), f"umount {target}")


def pivot_root(new_root: str, put_old: str) -> None:
    _syscall("pivot_root", _b(new_root), _b(put_old))


def sethostname(name: str) -> None:
    raw = name.encode()
    _check(_libc.sethostname(raw, ctypes.c_size_t(len(raw))), "sethostname")


def setdomainname(name: str) -> None:
    raw = name.encode()
    _check(_libc.setdomainname(raw, ctypes.c_size_t(len(raw))), "setdomainname")


def prctl(option: int, a2: int = 0, a3: int = 0, a4: int = 0, a5: int = 0) -> int:
    return _check(_libc.prctl(ctypes.c_int(option), ctypes.c_ulong(a2), ctypes.c_ulong(a3),
                              ctypes.c_ulong(a4), ctypes.c_ulong(a5)), f"prctl({option})")


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32),
                ("inheritable", ctypes.c_uint32)]


_CAP_V3 = 0x20080522


def capget() -> tuple[int, int, int]:
    """(effective, permitted, inheritable) masks of this thread."""
    hdr = _CapHeader(_CAP_V3, 0)
    data = (_CapData * 2)()
    _syscall("capget", ctypes.byref(hdr), data)
    join = lambda f: getattr(data[0], f) | (getattr(data[1], f) << 32)  # noqa: E731
    return join("effective"), join("permitted"), join("inheritable")


def capset(effective: int, permitted: int, inheritable: int) -> None:
    hdr = _CapHeader(_CAP_V3, 0)
    data = (_CapData * 2)()
    for i in range(2):
        data[i].effective = (effective >> (32 * i)) & 0xFFFFFFFF
        data[i].permitted = (permitted >> (32 * i)) & 0xFFFFFFFF
        data[i].inheritable = (inheritable >> (32 * i)) & 0xFFFFFFFF
    _syscall("capset", ctypes.byref(hdr), data)


def setresuid(r: int, e: int, s: int) -> None:
    # the raw syscall: glibc's wrapper would broadcast to all threads (we have one anyway)
    _syscall("setresuid", ctypes.c_uint(r), ctypes.c_uint(e), ctypes.c_uint(s))


def setresgid(r: int, e: int, s: int) -> None:
    _syscall("setresgid", ctypes.c_uint(r), ctypes.c_uint(e), ctypes.c_uint(s))


def setgroups(gids: list[int]) -> None:
    arr = (ctypes.c_uint * max(1, len(gids)))(*gids)
    _syscall("setgroups", ctypes.c_size_t(len(gids)), arr)


def personality(persona: int) -> int:
    return _syscall("personality", ctypes.c_ulong(persona))


class _OpenHow(ctypes.Structure):
    _fields_ = [("flags", ctypes.c_uint64), ("mode", ctypes.c_uint64),
                ("resolve", ctypes.c_uint64)]


RESOLVE_NO_XDEV = 0x01
RESOLVE_NO_MAGICLINKS = 0x02
RESOLVE_NO_SYMLINKS = 0x04
RESOLVE_BENEATH = 0x08
RESOLVE_IN_ROOT = 0x10
AT_FDCWD = -100


def openat2(dirfd: int, path: str, flags: int, resolve: int, mode: int = 0) -> int:
    how = _OpenHow(flags, mode, resolve)
    return _syscall("openat2", ctypes.c_int(dirfd), _b(path), ctypes.byref(how),
                    ctypes.c_size_t(ctypes.sizeof(how)))


def seccomp_filter(program: bytes, flags: int = 0) -> int:
    """Install a classic BPF filter (``program`` is packed sock_filter entries).

    Returns the kernel's result: the notify fd when ``flags`` asks for a new listener."""
    count = len(program) // 8

    class _Prog(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_char_p)]

    buf = ctypes.create_string_buffer(program, len(program))
    prog = _Prog(count, ctypes.cast(buf, ctypes.c_char_p))
    if flags:
        return _syscall("seccomp", ctypes.c_uint(1), ctypes.c_uint(flags), ctypes.byref(prog))
    return _check(_libc.prctl(ctypes.c_int(PR_SET_SECCOMP), ctypes.c_ulong(SECCOMP_MODE_FILTER),
                           ctypes.byref(prog), ctypes.c_ulong(0), ctypes.c_ulong(0)),
               "prctl(PR_SET_SECCOMP)")


def mknod(path: str, mode: int, dev: int) -> None:
    os.mknod(path, mode, dev)


def has_openat2() -> bool:
    try:
        fd = openat2(AT_FDCWD, "/", os.O_PATH | os.O_CLOEXEC, 0)
    except OSError:
        return False
    os.close(fd)
    return True


def pack_u32(value: int) -> bytes:
    return struct.pack("=I", value)


class _MountAttr(ctypes.Structure):
    _fields_ = [("attr_set", ctypes.c_uint64), ("attr_clr", ctypes.c_uint64),
                ("propagation", ctypes.c_uint64), ("userns_fd", ctypes.c_uint64)]


AT_RECURSIVE = 0x8000
MOUNT_ATTR_RDONLY = 0x1
MOUNT_ATTR_NOSUID = 0x2
MOUNT_ATTR_NODEV = 0x4
MOUNT_ATTR_NOEXEC = 0x8
MOUNT_ATTR__ATIME = 0x70
MOUNT_ATTR_RELATIME = 0x0
MOUNT_ATTR_NOATIME = 0x10
MOUNT_ATTR_STRICTATIME = 0x20
MOUNT_ATTR_NODIRATIME = 0x80
MOUNT_ATTR_NOSYMFOLLOW = 0x200000


def mount_setattr(path: str, attr_set: int, attr_clr: int, recursive: bool = True) -> None:
    """Change mount attributes of ``path`` (and every mount below it when recursive)."""
    attr = _MountAttr(attr_set, attr_clr, 0, 0)
    _syscall("mount_setattr", ctypes.c_int(AT_FDCWD), _b(path),
             ctypes.c_uint(AT_RECURSIVE if recursive else 0), ctypes.byref(attr),
             ctypes.c_size_t(ctypes.sizeof(attr)))


SIOCGIFFLAGS, SIOCSIFFLAGS, IFF_UP = 0x8913, 0x8914, 0x1


def link_up(name: str) -> None:
    """Set the interface ``name`` of this network namespace up (ioctl on a UDP socket)."""
    fd = _check(_libc.socket(ctypes.c_int(2), ctypes.c_int(2 | 0o2000000), ctypes.c_int(0)),
                "socket")
    try:
        req = ctypes.create_string_buffer(name.encode().ljust(16, b"\0") + bytes(24))
        _check(_libc.ioctl(ctypes.c_int(fd), ctypes.c_ulong(SIOCGIFFLAGS), req),
               f"get flags of {name}")
        flags = struct.unpack_from("=H", req.raw, 16)[0]
        if not flags & IFF_UP:
            struct.pack_into("=H", req, 16, flags | IFF_UP)
            _check(_libc.ioctl(ctypes.c_int(fd), ctypes.c_ulong(SIOCSIFFLAGS), req),
                   f"set {name} up")
    finally:
        os.close(fd)


KEYCTL_JOIN_SESSION_KEYRING, KEYCTL_SETPERM, KEYCTL_DESCRIBE = 1, 5, 6
KEY_USR_SEARCH = 0x080000


def new_session_keyring(name: str) -> None:
    """Join a new session keyring ``name`` (the container's own, not the caller's) and
    let the keyring's owner search it, as runc does; a kernel without keys is fine."""
    try:
        ring = _syscall("keyctl", ctypes.c_long(KEYCTL_JOIN_SESSION_KEYRING), _b(name))
    except OSError as exc:
        if exc.errno == 38:         # ENOSYS
            return
        raise OSError(exc.errno, f"join a session keyring: {exc.strerror}") from None
    buf = ctypes.create_string_buffer(512)
    _syscall("keyctl", ctypes.c_long(KEYCTL_DESCRIBE), ctypes.c_long(ring), buf,
             ctypes.c_long(len(buf)))
    perm = int(buf.value.split(b";")[3], 16)
    _syscall("keyctl", ctypes.c_long(KEYCTL_SETPERM), ctypes.c_long(ring),
             ctypes.c_ulong(perm | KEY_USR_SEARCH))
