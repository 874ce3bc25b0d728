"""A tar archive read in place (oci-archive, docker-archive): members indexed, never extracted."""
from __future__ import annotations

import posixpath
import tarfile
from pathlib import Path
from typing import BinaryIO

from oci_conform.drivers.files import UnsafePath, open_regular
from oci_conform.drivers.image_sources.base import CORRUPT_STREAM, SMALL_LIMIT, SourceError

MAX_MEMBERS = 200_000


def _norm(name: str) -> str:
    name = posixpath.normpath("/" + name).lstrip("/")
    return name


class TarArchive:
    """Members of a (possibly compressed) tar by normalized name; regular files only."""

    def __init__(self, path: Path, kind: str = "oci-archive", label: str = ""):
        self.path = path
        self.kind = kind
        self.label = label or f"{kind}:{path}"
        self.file_prefix = f"{path}!/"             # member of an archive, as jar: URLs do
        self.members: dict[str, tarfile.TarInfo] = {}
        self.odd: dict[str, str] = {}          # name -> why it is not a usable file
        self.links: dict[str, str] = {}        # symlink name -> normalized target (inside)
        self.raw_names: list[str] = []
        try:
            self.file = open_regular(path)
        except UnsafePath as exc:
            raise SourceError(str(exc)) from None
        try:
            self.tar = tarfile.open(fileobj=self.file, mode="r:*")
        except CORRUPT_STREAM:
            self.file.close()
            raise SourceError(f"{path}: not an image archive (not a tar, nor a gzip, bzip2 "
                              "or xz compressed tar)") from None
        try:
            self._index()
        except CORRUPT_STREAM as exc:
            self.tar.close()
            self.file.close()
            raise SourceError(f"{path}: tar archive is truncated or corrupt: {exc}") from None

    def _index(self) -> None:
        count = 0
        while True:
            member = self.tar.next()
            if member is None:
                break
            count += 1
            if count > MAX_MEMBERS:
                raise SourceError(f"{self.path}: more than {MAX_MEMBERS} members; refused")
            self.raw_names.append(member.name)
            name = _norm(member.name)
            if member.isfile() or member.islnk():
                self.members[name] = member
            elif member.issym():
                target = posixpath.normpath(posixpath.join(posixpath.dirname(name),
                                                           member.linkname))
                if member.linkname.startswith("/") or target.startswith(".."):
                    self.odd[name] = f"{member.name!r} is a symlink out of the archive"
                else:
                    self.links[name] = target
            elif not member.isdir():
                self.odd[name] = f"{member.name!r} is a special file"
            self.tar.members = []  # type: ignore[attr-defined]

    def read_small(self, name: str, limit: int = SMALL_LIMIT) -> bytes | None:
        f = self.open(name)
        if f is None:
            return None
        data = f.read(limit + 1)
        if len(data) > limit:
            raise SourceError(f"{name} is larger than {limit} bytes; refused")
        return data

    def resolve(self, name: str) -> str | None:
        """The regular member a name leads to through symlinks (None: absent, loop, escape)."""
        name = _norm(name)
        for _ in range(8):
            if name in self.members:
                return name
            if name not in self.links:
                return None
            name = self.links[name]
        return None

    def open(self, name: str) -> BinaryIO | None:
        real = self.resolve(name)
        member = self.members.get(real) if real else None
        if member is None:
            return None
        if member.islnk():
            target = self.members.get(_norm(member.linkname))
            if target is None or not target.isfile():
                return None
            member = target
        return self.tar.extractfile(member)  # type: ignore[return-value]

    def has_dir(self, name: str) -> bool:
        prefix = _norm(name) + "/"
        return any(n.startswith(prefix) for n in self.members) or any(
            _norm(n) == _norm(name) for n in self.raw_names)

    def names_under(self, folder: str) -> list[str]:
        prefix = _norm(folder) + "/"
        return sorted(n[len(prefix):] for n in [*self.members, *self.odd, *self.links]
                      if n.startswith(prefix))

    def blob_names(self) -> list[str]:
        return self.names_under("blobs")

    def blob_problem(self, digest: str) -> str:
        name = _norm("blobs/" + digest.replace(":", "/", 1))
        if name in self.links and self.resolve(name) is None:
            return f"{name} is a symlink that leads nowhere inside the archive"
        return self.odd.get(name, "")

    def open_blob(self, digest: str) -> BinaryIO | None:
        alg, sep, enc = digest.partition(":")
        if not sep or "/" in enc:
            return None
        return self.open(f"blobs/{alg}/{enc}")

    def close(self) -> None:
        self.tar.close()
        self.file.close()
