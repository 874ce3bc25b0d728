"""``--keep [DIR]`` (runtime test, matrix): keep the folders of failing runtime cases.

Each failing case's folder (its bundles with rootfs and config.json, the probe results, the
runtime's output files) is copied to ``DIR/IMPLEMENTATION/CASE-TOKEN`` with the paths in
its config.json moved there, so the replay line in the report works after the run. Without
DIR a fresh folder ``oci-conform-kept-*`` is made in the system temp folder; an empty one
is removed at the end. The folder is printed at the end of the run.
"""
from __future__ import annotations

import argparse
import shutil
import tempfile
from pathlib import Path

from oci_conform.commands.common import UsageError


def add_keep_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--keep", nargs="?", const="", default=None, metavar="DIR",
                        help="keep the bundles and outputs of failing runtime cases in DIR "
                             "(default: a new oci-conform-kept-* folder in the temp folder); "
                             "each failure's evidence has a shell line that replays it there")


def keep_folder(args: argparse.Namespace) -> Path | None:
    """The folder --keep asked for, made now (None without --keep; UsageError when DIR
    cannot be a folder)."""
    value = getattr(args, "keep", None)
    if value is None:
        return None
    if value == "":
        return Path(tempfile.mkdtemp(prefix="oci-conform-kept-"))
    folder = Path(value)
    if folder.exists() and not folder.is_dir():
        raise UsageError(f"--keep {value}: exists and is not a folder")
    if not folder.exists() and not folder.parent.is_dir():
        raise UsageError(f"--keep {value}: folder {str(folder.parent)!r} does not exist")
    folder.mkdir(exist_ok=True)
    return folder.resolve()


def kept_line(folder: Path | None, made_here: bool) -> str:
    """The line printed at the end: where the failing cases were kept ('' without --keep).
    A folder made for this run that stayed empty is removed."""
    if folder is None:
        return ""
    cases = [p for impl in sorted(folder.iterdir()) if impl.is_dir()
             for p in sorted(impl.iterdir()) if p.is_dir()] if folder.is_dir() else []
    if not cases:
        if made_here:
            shutil.rmtree(folder, ignore_errors=True)
        return "--keep: no failing runtime case, nothing kept"
    return (f"--keep: the folders of {len(cases)} failing runtime case(s) are in {folder} "
            "(each failure's replay line in the report runs there)")
