"""An OCI image layout in a folder."""
from __future__ import annotations

import os
from pathlib import Path
from typing import BinaryIO

from oci_conform.drivers.files import UnsafePath, open_regular
from oci_conform.drivers.image_sources.base import SMALL_LIMIT, SourceError

MAX_BLOB_FILES = 200_000


class LayoutDir:
    kind = "oci-layout"
    parallel_blobs = True          # each open_blob is its own file: safe from several threads

    def __init__(self, root: Path, label: str = ""):
        self.root = root
        self.label = label or f"oci:{root}"
        if not root.is_dir():
            raise SourceError(f"{root} is not a folder")
        self._real = root.resolve()
        self.file_prefix = f"{root}/"

    def _inside(self, path: Path) -> bool:
        try:
            path.resolve().relative_to(self._real)
            return True
        except (ValueError, OSError, RuntimeError):
            return False

    def read_small(self, name: str, limit: int = SMALL_LIMIT) -> bytes | None:
        path = self.root / name
        if not (path.exists() or path.is_symlink()):
            return None
        if not self._inside(path):
            raise SourceError(f"{name} is a link out of the layout; not read")
        try:
            with open_regular(path) as f:
                data = f.read(limit + 1)
        except UnsafePath as exc:
            raise SourceError(str(exc).replace(str(path), name)) from None
        if len(data) > limit:
            raise SourceError(f"{name} is larger than {limit} bytes; refused")
        return data

    def has_dir(self, name: str) -> bool:
        return (self.root / name).is_dir()

    def blob_names(self) -> list[str]:
        blobs = self.root / "blobs"
        names: list[str] = []
        if not blobs.is_dir():
            return names
        for dirpath, dirnames, filenames in os.walk(blobs):
            rel = Path(dirpath).relative_to(blobs)
            for fn in filenames + [d for d in dirnames if (Path(dirpath) / d).is_symlink()]:
                names.append(str(rel / fn) if str(rel) != "." else fn)
                if len(names) > MAX_BLOB_FILES:
                    raise SourceError(f"more than {MAX_BLOB_FILES} files under blobs/; refused")
        return sorted(names)

    def _blob_path(self, digest: str) -> Path | None:
        alg, sep, enc = digest.partition(":")
        if not sep or "/" in alg or "/" in enc or alg in ("", ".", "..") or enc in ("", ".", ".."):
            return None
        return self.root / "blobs" / alg / enc

    def blob_problem(self, digest: str) -> str:
        path = self._blob_path(digest)
        if path is None or not (path.exists() or path.is_symlink()):
            return ""
        if not self._inside(path):
            return f"blobs/{digest.replace(':', '/')} is a link out of the layout; not read"
        if not path.is_file():
            return f"blobs/{digest.replace(':', '/')} is not a regular file"
        return ""

    def open_blob(self, digest: str) -> BinaryIO | None:
        path = self._blob_path(digest)
        if path is None or not path.is_file() or self.blob_problem(digest):
            return None
        try:
            return open_regular(path)      # refuses a FIFO swapped in after the check
        except UnsafePath:
            return None

    def close(self) -> None:
        pass
