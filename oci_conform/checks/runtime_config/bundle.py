"""Bundle rules, the one part of config validation that looks at the filesystem.

Given a bundle folder, say whether ``config.json`` sits at its root and whether
``root.path`` names a directory there. Everything else is judged from the document.
"""
from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from oci_conform.checks.runtime_config.obs import Obs, bad, good, judge

CONFIG_NAME = "config.json"


def config_file(bundle: Path) -> Iterator[Obs]:
    """rt.bundle.container-format.1: the bundle holds config.json directly at its root."""
    path = bundle / CONFIG_NAME
    if path.is_file():
        yield good("rt.bundle.container-format.1", "")
        return
    others = sorted(p.name for p in bundle.glob("*.json"))[:5] if bundle.is_dir() else []
    yield bad("rt.bundle.container-format.1", "", f"no {CONFIG_NAME} at the root of bundle "
              f"{bundle}", f"{bundle}/{CONFIG_NAME}", ", ".join(others) or "absent")


def root_directory(bundle: Path, doc: Any, platform: str) -> Iterator[Obs]:
    """rt.config.root.8: root.path (relative to the bundle) is an existing directory;
    rt.bundle.container-format.2: that directory sits in the bundle folder with config.json."""
    if platform == "windows" or not isinstance(doc, dict):
        return
    root = doc.get("root")
    path = root.get("path") if isinstance(root, dict) else None
    if not isinstance(path, str) or not path:
        return
    target = Path(path) if os.path.isabs(path) else bundle / path
    if target.is_dir():
        yield from _beside_config(bundle, target, path)
    yield judge("rt.config.root.8", "/root/path", target.is_dir(),
                f"root.path does not name a directory ({target} "
                f"{'is not a directory' if target.exists() else 'does not exist'})",
                "an existing directory", str(target))


def _beside_config(bundle: Path, target: Path, path: str) -> Iterator[Obs]:
    """The root filesystem resolves (links followed) to a place inside the bundle folder."""
    try:
        home, real = bundle.resolve(strict=True), target.resolve(strict=True)
    except (OSError, RuntimeError):
        return
    inside = real != home and home in real.parents
    yield judge("rt.bundle.container-format.2", "/root/path", inside,
                "the root filesystem is not in the bundle folder beside config.json",
                f"a directory under {home}", f"{path} -> {real}")
