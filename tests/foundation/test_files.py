"""Safe opening of user-given paths: special files are refused without blocking."""
from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from oci_conform.drivers.files import UnsafePath, check_directory, open_regular, read_regular


def _within(seconds: float, fn) -> object:
    box: dict[str, object] = {}

    def run() -> None:
        try:
            box["value"] = fn()
        except BaseException as exc:   # noqa: BLE001 - handed back to the test
            box["error"] = exc
    t = threading.Thread(target=run, daemon=True)
    t.start()
    t.join(seconds)
    assert not t.is_alive(), "blocked"
    if "error" in box:
        raise box["error"]  # type: ignore[misc]
    return box.get("value")


def test_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    with pytest.raises(UnsafePath, match="FIFO"):
        _within(5, lambda: read_regular(fifo))


def test_character_device_is_refused() -> None:
    with pytest.raises(UnsafePath, match="character device"):
        _within(5, lambda: read_regular("/dev/zero"))


def test_directory_and_missing_are_refused_with_one_line(tmp_path: Path) -> None:
    with pytest.raises(UnsafePath, match="directory"):
        open_regular(tmp_path)
    with pytest.raises(UnsafePath, match="cannot open"):
        open_regular(tmp_path / "absent")
    with pytest.raises(UnsafePath, match="not a directory"):
        check_directory("/dev/null")


def test_regular_file_reads_and_size_bound(tmp_path: Path) -> None:
    f = tmp_path / "a.json"
    f.write_bytes(b"{}" * 10)
    assert read_regular(f) == b"{}" * 10
    with pytest.raises(UnsafePath, match="larger than"):
        read_regular(f, max_bytes=5)


def test_the_atomic_writer_never_replaces_a_special_file(tmp_path: Path) -> None:
    from oci_conform.results_file import write_text_atomic
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    with pytest.raises(UnsafePath, match="a FIFO, not a regular file: not replaced"):
        write_text_atomic(fifo, "x")
    assert fifo.is_fifo() and sorted(p.name for p in tmp_path.iterdir()) == ["fifo"]
    link = tmp_path / "null"
    link.symlink_to("/dev/null")
    with pytest.raises(UnsafePath, match="symbolic link"):
        write_text_atomic(link, "x")
    assert link.is_symlink() and os.path.realpath(link) == "/dev/null"
    write_text_atomic(tmp_path / "plain", "a")
    write_text_atomic(tmp_path / "plain", "b")
    assert (tmp_path / "plain").read_text() == "b"
