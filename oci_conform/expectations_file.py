"""Read and write expectations files: a bounded read of a regular file, an atomic write.

The format and its rules are ``oci_conform.model.expectations``; this module is only the I/O
(the model stays free of it), as ``results_file`` is for results.
"""
from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from oci_conform.drivers.files import UnsafePath, read_regular
from oci_conform.model.expectations import (
    Expectation,
    ExpectationsError,
    dump_expectations,
    parse_expectations,
    read_entries,
)
from oci_conform.results_file import write_text_atomic

MAX_EXPECTATIONS_BYTES = 16 * 1024 * 1024


def read_text(path: Path | str) -> str:
    """The text of an expectations file (special files refused, size bounded, UTF-8);
    ExpectationsError in one line otherwise."""
    try:
        return read_regular(path, MAX_EXPECTATIONS_BYTES).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ExpectationsError(f"{path}: not UTF-8 (byte {exc.start})") from None
    except UnsafePath as exc:
        raise ExpectationsError(str(exc)) from None


def load_expectations(path: Path | str) -> list[Expectation]:
    """The entries of a file; ExpectationsError naming the file and entry on any problem."""
    return parse_expectations(read_text(path), str(path))


def check_file(path: Path | str) -> tuple[list[Expectation], list[str]]:
    """The usable entries of a file and every problem in it (one line each)."""
    try:
        text = read_text(path)
    except ExpectationsError as exc:
        return [], [str(exc)]
    return read_entries(text, str(path))


def save_expectations(path: Path, entries: Iterable[Expectation]) -> None:
    write_text_atomic(path, dump_expectations(entries))
