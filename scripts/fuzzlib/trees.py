"""File trees as data: pack them into tar bytes, and lay them out on disk without escaping.

A tree is a list of Node: regular files, folders, symlinks, hard links, FIFOs and
character devices, each with a relative path. Hostile nodes (absolute names, ``..``,
links out) are the point of the exercise, so :func:`materialize` writes each node only
where it stays inside the destination, and never through a symlink it made itself.
"""
from __future__ import annotations

import io
import os
import posixpath
import stat
import tarfile
from dataclasses import dataclass
from pathlib import Path

CANARY_ABS = "/tmp/oci-conform-fuzz-canary"   # absolute escapes aim here
SECRET = "FUZZ-CANARY-SECRET-6f1d"             # content of canary files; must never be shown


@dataclass
class Node:
    path: str
    kind: str = "file"          # file | dir | symlink | hardlink | fifo | chardev
    data: bytes = b""
    target: str = ""            # symlink or hard link target
    mode: int = 0o644


def pack(nodes: list[Node], fmt: int = tarfile.PAX_FORMAT) -> bytes:
    """An uncompressed tar holding the nodes in order, names as given."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=fmt) as tar:
        for node in nodes:
            info = tarfile.TarInfo(node.path)
            info.mode = node.mode
            info.mtime = 1700000000
            data = b""
            if node.kind == "file":
                info.type, data = tarfile.REGTYPE, node.data
                info.size = len(data)
            elif node.kind == "dir":
                info.type, info.mode = tarfile.DIRTYPE, 0o755
            elif node.kind == "symlink":
                info.type, info.linkname = tarfile.SYMTYPE, node.target
            elif node.kind == "hardlink":
                info.type, info.linkname = tarfile.LNKTYPE, node.target
            elif node.kind == "fifo":
                info.type = tarfile.FIFOTYPE
            elif node.kind == "chardev":
                info.type, info.devmajor, info.devminor = tarfile.CHRTYPE, 1, 5
            try:
                tar.addfile(info, io.BytesIO(data) if data else None)
            except (ValueError, UnicodeError):
                continue          # a name tarfile itself refuses to write
    return buf.getvalue()


def unpack(data: bytes) -> list[Node]:
    """The nodes of a tar made by :func:`pack` (used to replay saved layout inputs)."""
    nodes = []
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:") as tar:
        for m in tar:
            if m.isfile():
                f = tar.extractfile(m)
                nodes.append(Node(m.name, "file", f.read() if f else b"", mode=m.mode))
            elif m.isdir():
                nodes.append(Node(m.name, "dir"))
            elif m.issym():
                nodes.append(Node(m.name, "symlink", target=m.linkname))
            elif m.islnk():
                nodes.append(Node(m.name, "hardlink", target=m.linkname))
            elif m.isfifo():
                nodes.append(Node(m.name, "fifo"))
            elif m.ischr():
                nodes.append(Node(m.name, "chardev"))
    return nodes


def _inside(root: Path, rel: str) -> Path | None:
    """The on-disk path for a node name, or None when it would leave ``root``."""
    norm = posixpath.normpath(rel)
    if rel.startswith("/") or norm.startswith("..") or norm in (".", ""):
        return None
    dest = root / norm
    parent = dest.parent
    probe = parent
    while probe != root:                      # no component may be a link we made
        if probe.is_symlink():
            return None
        probe = probe.parent
    return dest


def materialize(nodes: list[Node], root: Path) -> None:
    """Write the nodes under ``root`` (created); nodes that would leave it are skipped."""
    root.mkdir(parents=True, exist_ok=True)
    for node in nodes:
        try:
            _write(node, root)
        except OSError:
            continue              # a name this file system refuses (too long, ...): skipped


def _write(node: Node, root: Path) -> None:
    """One node under ``root``, or nothing when it would leave it."""
    dest = _inside(root, node.path)
    if dest is None or dest.is_symlink() or (dest.exists() and node.kind != "dir"):
        return
    dest.parent.mkdir(parents=True, exist_ok=True)
    if node.kind == "file":
        dest.write_bytes(node.data)
    elif node.kind == "dir":
        dest.mkdir(exist_ok=True)
    elif node.kind == "symlink":
        os.symlink(node.target, dest)
    elif node.kind == "hardlink":
        src = _inside(root, node.target)
        if src is not None and src.is_file() and not src.is_symlink():
            os.link(src, dest)
    elif node.kind == "fifo":
        os.mkfifo(dest)
    elif node.kind == "chardev":
        try:
            os.mknod(dest, stat.S_IFCHR | 0o644, os.makedev(1, 5))   # /dev/zero
        except PermissionError:
            os.mkfifo(dest)
