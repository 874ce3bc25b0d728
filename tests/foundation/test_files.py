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


def test_output_to_a_device_writes_through_and_never_replaces_the_node(tmp_path: Path) -> None:
    """`-o /dev/null` once renamed a temp file over the host's /dev/null."""
    import stat as st

    from oci_conform.results_file import write_output
    before = os.stat("/dev/null")
    write_output("report\n", "/dev/null")
    after = os.stat("/dev/null")
    assert st.S_ISCHR(after.st_mode) and after.st_ino == before.st_ino
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    try:
        write_output("x" * 10, fifo)
        assert os.read(reader, 100) == b"x" * 10
        assert st.S_ISFIFO(os.stat(fifo).st_mode)
    finally:
        os.close(reader)
