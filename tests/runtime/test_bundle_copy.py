"""A case's rootfs copy: the same tree as the base, shared only where nothing can change it."""
from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from oci_conform.drivers.bundle import build_base_rootfs, copy_rootfs, find_busybox

pytestmark = pytest.mark.skipif(find_busybox() is None, reason="needs busybox-static")


def _tree(root: Path) -> list[tuple[str, str, str]]:
    return sorted((str(p.relative_to(root)), stat.filemode(os.lstat(p).st_mode),
                   os.readlink(p) if p.is_symlink() else "") for p in root.rglob("*"))


def test_copy_has_the_base_tree_with_modes_and_link_targets(tmp_path: Path) -> None:
    base = build_base_rootfs(tmp_path / "base")
    copy = copy_rootfs(base, tmp_path / "copy")
    assert _tree(copy) == _tree(base)
    assert stat.S_IMODE(os.stat(copy / "tmp").st_mode) == 0o1777
    assert os.readlink(copy / "bin" / "sh") == "busybox"


def test_copy_shares_only_what_cannot_be_changed_in_place(tmp_path: Path) -> None:
    base = build_base_rootfs(tmp_path / "base")
    copy = copy_rootfs(base, tmp_path / "copy")
    assert os.lstat(copy / "bin" / "ls").st_ino == os.lstat(base / "bin" / "ls").st_ino
    assert os.stat(copy / "etc" / "passwd").st_ino != os.stat(base / "etc" / "passwd").st_ino
    (copy / "etc" / "passwd").write_text("changed\n")
    (copy / "bin" / "ls").unlink()
    assert (base / "etc" / "passwd").read_text().startswith("root:")
    assert os.readlink(base / "bin" / "ls") == "busybox"
