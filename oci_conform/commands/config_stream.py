"""The results document of a many-file run, written while the files are judged.

Each file's outcomes and its implementation entry are appended to two spool files as soon as
the file is judged, so the run keeps none of them in memory; at the end the document is put
together in the target file: the head (provenance, spec versions, clause snapshot) as the
whole-run document has it, then the implementations and outcomes copied from the spools,
one JSON value a line (the standard library's C encoder: ``indent`` would force the slow
pure-Python one). A reader gets the same JSON value as from a whole-run document.
"""
from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import IO, Any

from oci_conform.model.results import Results

SPOOLED = ("implementations", "results")


class Spool:
    """Items of one JSON array, each one line, in an unnamed temporary file."""

    def __init__(self, folder: str | None) -> None:
        # a lone surrogate (from a hostile file) is written as its \uXXXX escape: inside a
        # JSON string that reads back as the same value, where strict UTF-8 would raise
        self.handle: IO[str] = tempfile.TemporaryFile("w+", encoding="utf-8",
                                                      errors="backslashreplace", dir=folder)
        self.count = 0

    def add(self, item: dict[str, Any]) -> None:
        self.handle.write((",\n  " if self.count else "  ")
                          + json.dumps(item, ensure_ascii=False))
        self.count += 1

    def copy_to(self, out: IO[str]) -> None:
        if not self.count:
            out.write("[]")
            return
        out.write("[\n")
        self.handle.flush()
        self.handle.seek(0)
        shutil.copyfileobj(self.handle, out, 1 << 20)
        out.write("\n ]")

    def close(self) -> None:
        self.handle.close()


class ResultsStream:
    """Collects outcomes file by file; ``write`` puts the document together."""

    def __init__(self, folder: str | None = None) -> None:
        self.spools = {key: Spool(folder) for key in SPOOLED}

    def add(self, results: Results) -> None:
        """One file's implementation and outcomes (``results`` may be dropped afterwards)."""
        for impl in results.implementations:
            self.spools["implementations"].add(impl.to_dict())
        spool = self.spools["results"]
        for r in results.results:
            spool.add(r.to_dict())

    def write(self, head: Results, out: IO[str]) -> None:
        """The whole document: ``head`` (finished, without implementations and outcomes) with
        the spooled lists in their places."""
        data = head.to_dict()
        out.write("{")
        for n, (key, value) in enumerate(data.items()):
            out.write(("," if n else "") + "\n " + json.dumps(key) + ": ")
            if key in self.spools:
                self.spools[key].copy_to(out)
            else:
                out.write(json.dumps(value, indent=1, ensure_ascii=False).replace("\n", "\n "))
        out.write("\n}\n")

    def close(self) -> None:
        for spool in self.spools.values():
            spool.close()


def write_atomic(target: Path | None, fill: Any) -> None:
    """Call ``fill(handle)`` on stdout (``target`` None), in place on a device or FIFO, or on
    a temporary file renamed over ``target`` once complete (readers never see half a file)."""
    if target is None:
        fill(sys.stdout)
        sys.stdout.flush()
        return
    if target.exists() and not target.is_file():
        with open(target, "w", encoding="utf-8", errors="backslashreplace") as handle:
            fill(handle)
        return
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", errors="backslashreplace") as handle:
            fill(handle)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def tap_part(one: Results, number: int, fail_on: str) -> str:
    """One file's TAP 14 subtest and its test point, numbered ``number`` in the run: the
    lines the whole-run TAP report has for it, except that a clause's spec link points into
    the release this file is judged by (as in the text report), not the run's one release."""
    from oci_conform.report.tap import _subtest, cells_by_implementation, escape
    impl = one.implementations[0]
    lines, failed = _subtest(one, impl.name, cells_by_implementation(one).get(impl.name, {}),
                             fail_on)
    label = impl.name + (f" {impl.version}" if impl.version else "")
    lines.append(f"{'not ok' if failed else 'ok'} {number} - {escape(label)}")
    return "\n".join(lines) + "\n"


def tap_end(head: Results, files: int) -> str:
    """The run's end: the harness-error test point when incomplete, then the plan (TAP 14
    takes the plan after the test points, so nothing has to be known before the first
    file)."""
    from oci_conform.report.tap import _yaml_value
    planned = files + (0 if head.complete else 1)
    lines = []
    if not head.complete:
        lines += [f"not ok {planned} - harness errors (results incomplete)", "  ---",
                  "  harness_errors:"]
        lines += [f"    - {_yaml_value(p)}" for p in head.incomplete_reasons()]
        lines.append("  ...")
    return "\n".join([*lines, f"1..{planned}"]) + "\n"
