"""What a bundle folder holds, read with stats only (never opening, so never blocking).

The bundle checks (``checks.runtime_config.bundle``) judge these facts; this module is the
only part of config validation that looks at the filesystem around a document.
"""
from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

from oci_conform.drivers.files import kind_of

CONFIG_NAME = "config.json"


@dataclass(frozen=True)
class BundleFacts:
    """What a bundle folder holds, as seen on disk (config.json, root)."""

    folder: str
    config: str = ""                 # "" when config.json is a regular file, else what it is
    others: tuple[str, ...] = ()     # other *.json names at the folder's root (a few)
    root_path: str = ""              # root.path as the document gives it
    root_target: str = ""            # the path it names (relative to the folder)
    root: str = ""                   # "directory", "absent" or what else it is
    root_real: str = ""              # the resolved target, links followed
    root_inside: bool | None = None  # resolved inside the folder (None: could not resolve)


def _what(path: Path) -> str:
    try:
        mode = path.stat().st_mode
    except OSError:
        return "absent"
    return "" if stat.S_ISREG(mode) else kind_of(mode)


def bundle_facts(folder: Path, root_path: str | None = None) -> BundleFacts:
    """The facts of ``folder`` (and of ``root_path`` resolved against it, when given)."""
    config = _what(folder / CONFIG_NAME)
    try:
        others = tuple(sorted(p.name for p in folder.glob("*.json"))[:5]) if config else ()
    except OSError:
        others = ()
    if not isinstance(root_path, str) or not root_path:
        return BundleFacts(str(folder), config, others)
    target = Path(root_path) if os.path.isabs(root_path) else folder / root_path
    try:          # a path the OS cannot take (a NUL byte, a lone surrogate) is absent too
        mode = target.stat().st_mode
        root = "directory" if stat.S_ISDIR(mode) else kind_of(mode)
    except (OSError, ValueError):
        root = "absent"
    real, inside = "", None
    if root == "directory":
        try:
            home, resolved = folder.resolve(strict=True), target.resolve(strict=True)
            real, inside = str(resolved), resolved != home and home in resolved.parents
        except (OSError, RuntimeError):
            pass
    return BundleFacts(str(folder), config, others, root_path, str(target), root, real, inside)
