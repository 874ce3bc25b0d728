"""The image-source interface drivers implement (defined in ``checks.image.source``)."""
from __future__ import annotations

import lzma
import tarfile
import zlib

from oci_conform.checks.image.source import SMALL_LIMIT, ImageSource, SourceError

__all__ = ["CORRUPT_STREAM", "SMALL_LIMIT", "ImageSource", "SourceError"]

# What reading a damaged (possibly compressed) tar can raise: zlib's and lzma's errors are
# not OSErrors, so a corrupt gzip or xz archive escaped as an internal error before.
CORRUPT_STREAM = (tarfile.TarError, EOFError, OSError, zlib.error, lzma.LZMAError)
