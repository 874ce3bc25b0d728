"""The state folder of each container under ``--root``: read, write (atomically), status.

``<root>/<id>/state.json`` holds the spec's state fields plus a private ``runtime``
object (start time of the init process, whether start happened, created cgroups, the
hooks and config parts later operations need).  The status is derived: a live init
process is ``created`` or ``running`` (did start happen?), a gone one ``stopped``.
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from oci_conform.reference.runtime.errors import RuntimeFailure

JSON = dict[str, Any]
ID_FIRST = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
ID_CHARS = ID_FIRST | frozenset("_.+-")
STATE_FILE = "state.json"
SOCKET = "exec.sock"


def check_id(cid: str) -> None:
    ok = 0 < len(cid) <= 1024 and cid[0] in ID_FIRST and all(c in ID_CHARS for c in cid)
    if not ok:
        raise RuntimeFailure(f"invalid container id {cid!r} (letters, digits, _ . + - only)")


def proc_start_time(pid: int) -> int | None:
    """Field 22 of /proc/<pid>/stat (None when the process is gone or a zombie)."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    rest = raw.rsplit(")", 1)[-1].split()
    if rest[0] in ("Z", "X"):
        return None
    return int(rest[19])


class Container:
    """One container's state folder and its state document."""

    def __init__(self, root: Path, cid: str, doc: JSON | None = None) -> None:
        self.root, self.id, self.doc = root, cid, doc if doc is not None else {}

    @property
    def dir(self) -> Path:
        return self.root / self.id

    @property
    def private(self) -> JSON:
        return self.doc.setdefault("runtime", {})

    # -- persistence ------------------------------------------------------------------------
    @classmethod
    def load(cls, root: Path, cid: str) -> Container:
        check_id(cid)
        path = root / cid / STATE_FILE
        try:
            doc = json.loads(path.read_text())
        except FileNotFoundError:
            raise RuntimeFailure(f"container {cid!r} does not exist") from None
        except (OSError, ValueError) as exc:
            raise RuntimeFailure(f"container {cid!r}: unreadable state: {exc}") from None
        return cls(root, cid, doc)

    @classmethod
    def reserve(cls, root: Path, cid: str) -> Container:
        """Make the state folder; a second container with the same id fails here."""
        check_id(cid)
        root.mkdir(parents=True, exist_ok=True, mode=0o711)
        try:
            (root / cid).mkdir(mode=0o711)
        except FileExistsError:
            raise RuntimeFailure(f"container {cid!r} already exists") from None
        return cls(root, cid)

    def save(self) -> None:
        tmp = self.dir / f".{STATE_FILE}.{os.getpid()}"
        tmp.write_text(json.dumps(self.doc))
        os.replace(tmp, self.dir / STATE_FILE)

    def destroy(self) -> None:
        import shutil
        shutil.rmtree(self.dir, ignore_errors=True)

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
        return "running" if self.private.get("started") else "created"

    def public(self) -> JSON:
        """The state document as the spec defines it."""
        status = self.status()
        out: JSON = {"ociVersion": self.doc.get("ociVersion"), "id": self.id,
                     "status": status, "bundle": self.doc.get("bundle")}
        if status in ("created", "running", "creating") and self.doc.get("pid"):
            out["pid"] = self.doc["pid"]
        if self.doc.get("annotations"):
            out["annotations"] = self.doc["annotations"]
        return out


def list_all(root: Path) -> list[Container]:
    out: list[Container] = []
    if not root.is_dir():
        return out
    for entry in sorted(root.iterdir()):
        if (entry / STATE_FILE).is_file():
            try:
                out.append(Container.load(root, entry.name))
            except RuntimeFailure:
                continue
    return out
