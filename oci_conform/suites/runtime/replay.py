"""Evidence a runtime developer can replay: one shell line, and the case's folder kept.

``replay_line`` turns the runtime calls a case made into one shell command line (``cd
CASE && RUNTIME --root state create --bundle bundle ID; RUNTIME --root state start ID;
...``, paths inside the case's folder made relative to it): pasted into a root shell it
makes the same calls against the same bundles. ``keep_case``
copies a failing case's folder (bundles with their rootfs and config.json, the probe
results, the runtime's output files; not the runtime's state) out of the run's temp
folder, and moves every path in its ``config.json`` files to the copy, so the replay line
works there after the run has removed its own folders.
"""
from __future__ import annotations

import os
import shlex
import shutil
import stat
from collections.abc import Iterable, Sequence
from pathlib import Path

from oci_conform.drivers.runtime_cli import Invocation

MAX_CALLS = 30
MAX_CHARS = 4000
NOT_KEPT = ("state",)          # the runtime's state root: rebuilt by the replay itself


def replay_line(calls: Sequence[Invocation], home: Path) -> str:
    """One shell line making ``calls`` again from the case folder ``home`` (consecutive
    repeats once; paths under ``home`` relative to it)."""
    argvs: list[list[str]] = []
    for call in calls:
        argv = [_relative(a, home) for a in call.argv]
        if not argvs or argvs[-1] != argv:
            argvs.append(argv)
    if not argvs:
        return ""
    shown = [shlex.join(a) for a in argvs[:MAX_CALLS]]
    more = len(argvs) - MAX_CALLS
    line = f"cd {shlex.quote(str(home))} && " + "; ".join(shown)
    if more > 0:
        line += f"  # and {more} more calls (see the runs in the evidence)"
    return line if len(line) <= MAX_CHARS else line[: MAX_CHARS - 1] + "…"


def _relative(arg: str, home: Path) -> str:
    prefix = f"{home}/"
    return arg[len(prefix):] or "." if arg.startswith(prefix) else arg


def keep_case(case_dir: Path, keep_root: Path, label: str) -> tuple[Path, list[str]]:
    """Copy ``case_dir`` into ``keep_root/label/NAME`` and move its paths there.

    Returns the copy and what could not be copied (special files are left out)."""
    dest = keep_root / label / case_dir.name
    dest.parent.mkdir(parents=True, exist_ok=True)
    problems: list[str] = []
    try:
        shutil.copytree(case_dir, dest, symlinks=True, ignore=_ignored(case_dir, problems))
    except shutil.Error as exc:
        problems.extend(f"{src}: {why}" for src, _dst, why in exc.args[0][:20])
    except OSError as exc:
        problems.append(f"{case_dir}: {exc.strerror or exc}")
    for config in _configs(dest):
        _move_paths(config, str(case_dir), str(dest), problems)
    return dest, problems


def moved(text: str, old: Path, new: Path) -> str:
    """``text`` with the folder ``old`` replaced by ``new`` (paths in a replay line)."""
    return text.replace(str(old), str(new))


def _ignored(top: Path, problems: list[str]):  # noqa: ANN202 - shutil's ignore callback
    def ignore(folder: str, names: Iterable[str]) -> set[str]:
        skip = set()
        for name in names:
            if folder == str(top) and name in NOT_KEPT:
                skip.add(name)
                continue
            try:
                mode = os.lstat(os.path.join(folder, name)).st_mode
            except OSError:
                skip.add(name)
                continue
            if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode) or stat.S_ISLNK(mode)):
                skip.add(name)          # a FIFO, socket or device node is not copied
                problems.append(f"{os.path.join(folder, name)}: special file, not kept")
        return skip
    return ignore


def _configs(root: Path) -> list[Path]:
    """The config.json of every bundle in the kept folder (not inside a rootfs)."""
    found = []
    for path in root.rglob("config.json"):
        rel = path.relative_to(root).parts
        if "rootfs" not in rel and path.is_file() and not path.is_symlink():
            found.append(path)
    return sorted(found)


def _move_paths(config: Path, old: str, new: str, problems: list[str]) -> None:
    try:
        text = config.read_text(encoding="utf-8")
        if old in text:
            config.write_text(text.replace(old, new), encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(f"{config}: paths not moved ({exc})")
