"""The image-source interface: what drivers offer and the walk reads through.

Checks never open a source; drivers implement this Protocol (layout folders, tar
archives, registries) and the orchestration in ``drivers/image_sources`` hands the
checks documents and bounded streams read through it.
"""
from __future__ import annotations

from typing import BinaryIO, Protocol

SMALL_LIMIT = 8 * 1024 * 1024


class SourceError(Exception):
    """The source cannot be read at all (missing file, not an archive, registry down)."""


class ImageSource(Protocol):
    """Read-only access to an image's files and blobs; never extracts anything."""

    kind: str          # oci-layout | oci-archive | docker-archive | registry
    label: str         # what the user gave (for messages)

    def read_small(self, name: str, limit: int = SMALL_LIMIT) -> bytes | None:
        """A top-level document (``oci-layout``, ``index.json``...), None when absent.

        Raises SourceError when it is larger than ``limit``."""

    def has_dir(self, name: str) -> bool:
        """True when the folder ``name`` exists (``blobs``)."""

    def blob_names(self) -> list[str]:
        """Every reference under ``blobs/`` (``sha256/abc...``)."""

    def open_blob(self, digest: str) -> BinaryIO | None:
        """A bounded stream of the blob's bytes, None when the source does not hold it."""

    def blob_problem(self, digest: str) -> str:
        """Why a blob could not be opened safely ("" when it is fine or just absent)."""

    def close(self) -> None: ...
