"""The image-source interface drivers implement (defined in ``checks.image.source``)."""
from __future__ import annotations

from oci_conform.checks.image.source import SMALL_LIMIT, ImageSource, SourceError

__all__ = ["SMALL_LIMIT", "ImageSource", "SourceError"]
