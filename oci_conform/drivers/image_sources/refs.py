"""Turn a user's image reference into a kind and a location (no I/O beyond peeking)."""
from __future__ import annotations

import tarfile
from dataclasses import dataclass
from pathlib import Path

from oci_conform.drivers.files import UnsafePath, open_regular
from oci_conform.drivers.image_sources.base import CORRUPT_STREAM

KINDS = ("oci", "oci-archive", "docker-archive", "aci", "docker")


@dataclass(frozen=True)
class ImageRef:
    """Where an image is (folder, archive or registry) and which one within it."""

    kind: str              # one of KINDS
    location: str          # folder, file, or host/name
    selector: str = ""     # tag, ref name or digest within the image
    text: str = ""         # as the user gave it


def parse_ref(text: str) -> ImageRef:
    """``oci:DIR[:REF]``, ``oci-archive:FILE[:REF]``, ``docker-archive:FILE``, ``aci:FILE``,
    ``docker://HOST/NAME:TAG|@DIGEST``, or a bare path recognised by its content.

    Raises ValueError with a one-line reason."""
    if text.startswith("docker://"):
        rest = text[len("docker://"):]
        if "/" not in rest:
            raise ValueError(f"{text}: docker:// needs HOST/NAME[:TAG|@DIGEST]")
        host, _, name = rest.partition("/")
        if "@" in name:
            name, _, sel = name.partition("@")
        else:
            last = name.rsplit("/", 1)[-1]
            sel = last.rsplit(":", 1)[1] if ":" in last else "latest"
            name = name[: len(name) - len(sel) - 1] if ":" in last else name
        if not name:
            raise ValueError(f"{text}: no repository name")
        return ImageRef("docker", f"{host}/{name}", sel, text)
    for kind in ("oci-archive", "docker-archive", "oci", "aci"):
        if text.startswith(kind + ":"):
            return _with_selector(kind, text[len(kind) + 1:], text)
    return sniff_path(Path(text), text)


def _with_selector(kind: str, rest: str, text: str) -> ImageRef:
    if not rest:
        raise ValueError(f"{text}: no path after {kind}:")
    if Path(rest).exists() or ":" not in rest:
        return ImageRef(kind, rest, "", text)
    path, _, sel = rest.rpartition(":")
    return ImageRef(kind, path, sel, text)


def sniff_path(path: Path, text: str) -> ImageRef:
    """A bare path: a folder with oci-layout, or an archive judged by its members."""
    if path.is_dir():
        return ImageRef("oci", str(path), "", text)
    if not (path.exists() or path.is_symlink()):
        raise ValueError(f"{text}: no such file or folder (or give a KIND: prefix)")
    try:
        raw = open_regular(path)
    except UnsafePath as exc:
        raise ValueError(str(exc)) from None
    try:
        with raw, tarfile.open(fileobj=raw, mode="r:*") as tar:
            names = set()
            for n, member in enumerate(tar):
                names.add(member.name.lstrip("./").rstrip("/"))
                if n > 5000:
                    break
                tar.members = []  # type: ignore[attr-defined]
    except CORRUPT_STREAM:
        if _looks_json(path):
            raise ValueError(f"{text}: not an image: a JSON document, not an image archive "
                             "(folder, tar or compressed tar); judge a single document with "
                             "image validate-document") from None
        raise ValueError(f"{text}: not an image: not an image archive (neither a folder, a "
                         "tar, nor a compressed tar)") from None
    if "manifest" in names and any(n == "rootfs" or n.startswith("rootfs/") for n in names):
        return ImageRef("aci", str(path), "", text)
    if "manifest.json" in names or "repositories" in names:
        return ImageRef("docker-archive", str(path), "", text)
    if "oci-layout" in names or "index.json" in names:
        return ImageRef("oci-archive", str(path), "", text)
    raise ValueError(f"{text}: archive is neither an OCI layout, a docker save archive nor an "
                     "ACI (give a KIND: prefix)")


def _looks_json(path: Path) -> bool:
    try:
        with open_regular(path) as f:
            head = f.read(64).lstrip()
    except OSError:
        return False
    return head[:1] in (b"{", b"[")
