"""The state folder of each container under ``--root``: read, write (atomically), status.

``<root>/<id>/state`` holds the spec's state fields plus a private ``runtime`` object
(start time of the init process, whether start happened, created cgroups, the hooks and
config parts later operations need), in the standard library's ``marshal`` format.  The
``state`` command prints the public part as JSON; the file itself is private to this
runtime.  marshal (a built-in module) is used rather than JSON because ``start``,
``kill`` and ``delete`` would otherwise spend most of their start-up importing ``json``
and ``re``.  The status is derived: a live init process is ``created`` or ``running``
(did start happen?), a gone one ``stopped``.

Only ``os``, ``marshal`` and our own small modules are imported here: every command
imports this module.
"""
from __future__ import annotations

import marshal
import os

from oci_conform.reference.runtime.errors import RuntimeFailure

TYPE_CHECKING = False   # typing itself is not imported: it costs more than this module
if TYPE_CHECKING:
    from typing import Any
    JSON = dict[str, Any]

ID_FIRST = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
ID_CHARS = ID_FIRST | frozenset("_.+-")
STATE_FILE = "state"
SOCKET = "exec.sock"
FORMAT = 1          # bumped when the private layout changes incompatibly


def check_id(cid: str) -> None:
    ok = 0 < len(cid) <= 1024 and cid[0] in ID_FIRST and all(c in ID_CHARS for c in cid)
    if not ok:
        raise RuntimeFailure(f"invalid container id {cid!r} (letters, digits, _ . + - only)")


def proc_start_time(pid: int) -> int | None:
    """Field 22 of /proc/<pid>/stat (None when the process is gone or a zombie)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            raw = fh.read()
    except OSError:
        return None
    rest = raw.rsplit(b")", 1)[-1].split()
    if rest[0] in (b"Z", b"X"):
        return None
    return int(rest[19])


class Container:
    """One container's state folder and its state document."""

    def __init__(self, root: str, cid: str, doc: JSON | None = None) -> None:
        self.root, self.id, self.doc = root, cid, doc if doc is not None else {}

    @property
    def dir(self) -> str:
        return os.path.join(self.root, self.id)

    @property
    def private(self) -> JSON:
        return self.doc.setdefault("runtime", {})

    # -- persistence ------------------------------------------------------------------------
    @classmethod
    def load(cls, root: str, cid: str) -> Container:
        check_id(cid)
        path = os.path.join(root, cid, STATE_FILE)
        try:
            with open(path, "rb") as fh:
                doc = marshal.load(fh)
        except FileNotFoundError:
            raise RuntimeFailure(f"container {cid!r} does not exist") from None
        except (OSError, EOFError, ValueError, TypeError) as exc:
            raise RuntimeFailure(f"container {cid!r}: unreadable state {path}: {exc}") from None
        if not isinstance(doc, dict) or doc.get("format") != FORMAT:
            raise RuntimeFailure(f"container {cid!r}: state {path} was written by another "
                                 "version of this runtime")
        return cls(root, cid, doc)

    @classmethod
    def reserve(cls, root: str, cid: str) -> Container:
        """Make the state folder; a second container with the same id fails here."""
        check_id(cid)
        os.makedirs(root, mode=0o711, exist_ok=True)
        try:
            os.mkdir(os.path.join(root, cid), 0o711)
        except FileExistsError:
            raise RuntimeFailure(f"container {cid!r} already exists") from None
        return cls(root, cid)

    def save(self) -> None:
        self.doc["format"] = FORMAT
        tmp = os.path.join(self.dir, f".{STATE_FILE}.{os.getpid()}")
        with open(tmp, "wb") as fh:
            marshal.dump(self.doc, fh)
        os.replace(tmp, os.path.join(self.dir, STATE_FILE))

    def destroy(self) -> None:
        """Remove the state folder (flat: the state file, the exec socket, temp files)."""
        try:
            names = os.listdir(self.dir)
        except FileNotFoundError:
            return
        for name in names:
            try:
                os.unlink(os.path.join(self.dir, name))
            except IsADirectoryError:
                pass
            except FileNotFoundError:
                pass
        try:
            os.rmdir(self.dir)
        except OSError:
            pass

    # -- status -----------------------------------------------------------------------------
    def alive(self) -> bool:
        pid = self.doc.get("pid")
        start = self.private.get("starttime")
        if not isinstance(pid, int) or pid <= 0:
            return False
        now = proc_start_time(pid)
        return now is not None and (start is None or now == start)

    def status(self) -> str:
        stored = self.doc.get("status", "creating")
        if stored == "creating":
            creator = self.private.get("creator")
            if isinstance(creator, int) and proc_start_time(creator) is not None:
                return "creating"
            return "stopped"
        if stored == "stopped" or not self.alive():
            return "stopped"
        if self.private.get("freezer"):
            from oci_conform.reference.runtime.freezer import is_frozen
            if is_frozen(self.private["freezer"]):
                return "paused"
        return "running" if self.private.get("started") else "created"

    def public(self) -> JSON:
        """The state document as the spec defines it."""
        status = self.status()
        out: JSON = {"ociVersion": self.doc.get("ociVersion"), "id": self.id,
                     "status": status, "bundle": self.doc.get("bundle")}
        if status in ("created", "running", "creating", "paused") and self.doc.get("pid"):
            out["pid"] = self.doc["pid"]
        if self.doc.get("annotations"):
            out["annotations"] = self.doc["annotations"]
        return out


def list_all(root: str) -> list[Container]:
    out: list[Container] = []
    try:
        names = sorted(os.listdir(root))
    except (FileNotFoundError, NotADirectoryError):
        return out
    for name in names:
        if os.path.isfile(os.path.join(root, name, STATE_FILE)):
            try:
                out.append(Container.load(root, name))
            except RuntimeFailure:
                continue
    return out
