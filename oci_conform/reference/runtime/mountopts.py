"""config.json mount options -> mount(2) flags, propagation flags and a data string."""
from __future__ import annotations

from oci_conform.reference.runtime import syscalls as sc

SET = {"ro": sc.MS_RDONLY, "nosuid": sc.MS_NOSUID, "nodev": sc.MS_NODEV,
       "noexec": sc.MS_NOEXEC, "sync": sc.MS_SYNCHRONOUS, "dirsync": sc.MS_DIRSYNC,
       "remount": sc.MS_REMOUNT, "mand": sc.MS_MANDLOCK, "noatime": sc.MS_NOATIME,
       "nodiratime": sc.MS_NODIRATIME, "bind": sc.MS_BIND, "rbind": sc.MS_BIND | sc.MS_REC,
       "relatime": sc.MS_RELATIME, "strictatime": sc.MS_STRICTATIME,
       "lazytime": sc.MS_LAZYTIME, "iversion": sc.MS_I_VERSION, "silent": sc.MS_SILENT,
       "nosymfollow": sc.MS_NOSYMFOLLOW}
CLEAR = {"rw": sc.MS_RDONLY, "suid": sc.MS_NOSUID, "dev": sc.MS_NODEV, "exec": sc.MS_NOEXEC,
         "async": sc.MS_SYNCHRONOUS, "nomand": sc.MS_MANDLOCK, "atime": sc.MS_NOATIME,
         "diratime": sc.MS_NODIRATIME, "norelatime": sc.MS_RELATIME,
         "nostrictatime": sc.MS_STRICTATIME, "nolazytime": sc.MS_LAZYTIME,
         "noiversion": sc.MS_I_VERSION, "loud": sc.MS_SILENT, "symfollow": sc.MS_NOSYMFOLLOW,
         "defaults": 0}
PROPAGATION = {"private": sc.MS_PRIVATE, "rprivate": sc.MS_PRIVATE | sc.MS_REC,
               "shared": sc.MS_SHARED, "rshared": sc.MS_SHARED | sc.MS_REC,
               "slave": sc.MS_SLAVE, "rslave": sc.MS_SLAVE | sc.MS_REC,
               "unbindable": sc.MS_UNBINDABLE, "runbindable": sc.MS_UNBINDABLE | sc.MS_REC}
# recursive forms, applied with mount_setattr(AT_RECURSIVE): option -> (set, clear)
_AT = sc.MOUNT_ATTR__ATIME
RECURSIVE = {"rro": (sc.MOUNT_ATTR_RDONLY, 0), "rrw": (0, sc.MOUNT_ATTR_RDONLY),
             "rnosuid": (sc.MOUNT_ATTR_NOSUID, 0), "rsuid": (0, sc.MOUNT_ATTR_NOSUID),
             "rnodev": (sc.MOUNT_ATTR_NODEV, 0), "rdev": (0, sc.MOUNT_ATTR_NODEV),
             "rnoexec": (sc.MOUNT_ATTR_NOEXEC, 0), "rexec": (0, sc.MOUNT_ATTR_NOEXEC),
             "rnodiratime": (sc.MOUNT_ATTR_NODIRATIME, 0),
             "rdiratime": (0, sc.MOUNT_ATTR_NODIRATIME),
             "rnoatime": (sc.MOUNT_ATTR_NOATIME, _AT), "ratime": (sc.MOUNT_ATTR_RELATIME, _AT),
             "rrelatime": (sc.MOUNT_ATTR_RELATIME, _AT),
             "rnorelatime": (sc.MOUNT_ATTR_RELATIME, _AT),
             "rstrictatime": (sc.MOUNT_ATTR_STRICTATIME, _AT),
             "rnostrictatime": (sc.MOUNT_ATTR_RELATIME, _AT),
             "rnosymfollow": (sc.MOUNT_ATTR_NOSYMFOLLOW, 0),
             "rsymfollow": (0, sc.MOUNT_ATTR_NOSYMFOLLOW)}
# options this runtime knows but refuses (idmapped mounts)
UNSUPPORTED = {"idmap", "ridmap"}
# atime-mode flags: setting one clears the others
ATIME = sc.MS_NOATIME | sc.MS_RELATIME | sc.MS_STRICTATIME


class Parsed:
    """Flags to set, flags to clear, propagation changes, and the fs data string parts."""

    def __init__(self) -> None:
        self.flags = 0
        self.clear = 0
        self.propagation: list[int] = []
        self.data: list[str] = []
        self.rec_set = 0
        self.rec_clr = 0
        self.copyup = False         # tmpcopyup: seed a tmpfs with what it covers

    @property
    def bind(self) -> bool:
        return bool(self.flags & sc.MS_BIND)


def parse(options: list[str]) -> Parsed:
    """Later options win over earlier ones, as with mount(8)."""
    out = Parsed()
    for opt in options:
        if opt in SET:
            bit = SET[opt]
            if bit & ATIME:
                out.flags &= ~ATIME
            out.flags |= bit
            out.clear &= ~bit
        elif opt in CLEAR:
            out.flags &= ~CLEAR[opt]
            out.clear |= CLEAR[opt]
        elif opt in PROPAGATION:
            out.propagation.append(PROPAGATION[opt])
        elif opt in RECURSIVE:
            _recursive(out, *RECURSIVE[opt])
        elif opt == "tmpcopyup":
            out.copyup = True
        elif opt in UNSUPPORTED:
            raise ValueError(f"mount option {opt!r} is not supported by this runtime")
        else:
            out.data.append(opt)
    return out


def _recursive(out: Parsed, bits: int, clear: int) -> None:
    """Fold one recursive option into the mount_setattr sets (the last option wins)."""
    if clear == _AT:                    # an atime mode replaces the previous one
        out.rec_set = (out.rec_set & ~_AT) | bits
        out.rec_clr |= _AT
    elif bits:
        out.rec_set |= bits
        out.rec_clr &= ~bits
    else:
        out.rec_clr |= clear
        out.rec_set &= ~clear


def supported() -> list[str]:
    return sorted(set(SET) | set(CLEAR) | set(PROPAGATION) | set(RECURSIVE) | {"tmpcopyup"})
