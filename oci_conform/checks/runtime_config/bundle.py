"""Bundle rules, the one part of config validation that looks at the filesystem.

Given a bundle folder, say whether ``config.json`` sits at its root and whether
``root.path`` names a directory there. Everything else is judged from the document.
"""
from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from oci_conform.model.judging import Observation, failed, observed, passed

CONFIG_NAME = "config.json"


def config_file(bundle: Path) -> Iterator[Observation]:
    """rt.bundle.container-format.1: the bundle holds config.json directly at its root."""
    path = bundle / CONFIG_NAME
    if path.is_file():
        yield passed("rt.bundle.container-format.1")
        return
    others = sorted(p.name for p in bundle.glob("*.json"))[:5] if bundle.is_dir() else []
    yield failed("rt.bundle.container-format.1",
                 f"no {CONFIG_NAME} at the root of bundle " f"{bundle}", location="",
                 expected=f"{bundle}/{CONFIG_NAME}", actual=", ".join(others) or "absent")


def root_directory(bundle: Path, doc: Any, platform: str) -> Iterator[Observation]:
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
    yield observed("rt.config.root.8", target.is_dir(),
                   f"root.path does not name a directory ({target} "
                   f"{'is not a directory' if target.exists() else 'does not exist'})",
                   location="/root/path", expected="an existing directory", actual=str(target))


def _beside_config(bundle: Path, target: Path, path: str) -> Iterator[Observation]:
    """The root filesystem resolves (links followed) to a place inside the bundle folder."""
    try:
        home, real = bundle.resolve(strict=True), target.resolve(strict=True)
    except (OSError, RuntimeError):
        return
    inside = real != home and home in real.parents
    yield observed("rt.bundle.container-format.2", inside,
                   "the root filesystem is not in the bundle folder beside config.json",
                   location="/root/path", expected=f"a directory under {home}",
                   actual=f"{path} -> {real}")
