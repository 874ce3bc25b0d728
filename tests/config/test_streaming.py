"""``config validate`` of many files streams its text report: memory stays flat in the
number of files (before, every file's report was kept to the end: 142 MiB peak for 1,000
copies of full.json against 28 MiB now)."""
from __future__ import annotations

import os
import subprocess
import sys

from .helpers import GOOD, REPO

PROBE = """
import resource, sys
from oci_conform.cli import main
code = main(["config", "validate", *sys.argv[1:]])
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, code, file=sys.stderr)
"""


def _peak_kib(paths: list[str], out) -> tuple[int, int]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run([sys.executable, "-c", PROBE, *paths], stdout=out,
                          stderr=subprocess.PIPE, text=True, env=env, timeout=600, check=False)
    peak, code = done.stderr.strip().splitlines()[-1].split()
    return int(peak), int(code)


def test_memory_is_flat_in_the_number_of_files(tmp_path) -> None:
    text = (GOOD / "full.json").read_text()
    paths = []
    for i in range(200):
        path = tmp_path / f"c{i}.json"
        path.write_text(text)
        paths.append(str(path))
    with open(tmp_path / "few.txt", "w") as few_out, open(tmp_path / "many.txt", "w") as many:
        few, few_code = _peak_kib(paths[:20], few_out)
        lots, lots_code = _peak_kib(paths, many)
    assert few_code == lots_code == 0
    # Keeping every report grew about 110 KiB per file (22 MiB here); streaming keeps none.
    assert lots - few < 8 * 1024, (few, lots)
    report = (tmp_path / "many.txt").read_text().splitlines()
    assert len(report) == 201 and all("216 pass" in line for line in report[:-1])
    assert report[-1] == "verdict: conformant at --fail-on must (exit 0); 200 files"


def test_streamed_exit_code_is_the_worst_file(tmp_path, capsys) -> None:
    from oci_conform.cli import main

    from .helpers import BAD
    bad = str(BAD / "rt.config.process.9.json")
    assert main(["config", "validate", str(GOOD / "full.json"), bad]) == 1
    out = capsys.readouterr().out
    assert out.index("full.json") < out.index("rt.config.process.9.json")


def test_streamed_output_file_is_written_whole(tmp_path) -> None:
    from oci_conform.cli import main
    target = tmp_path / "report.txt"
    assert main(["config", "validate", str(GOOD / "full.json"), "-o", str(target)]) == 0
    assert "full.json" in target.read_text()
    assert main(["config", "validate", str(GOOD / "full.json"), str(tmp_path / "none.json"),
                 "-o", str(tmp_path / "partial.txt")]) == 2
    assert not (tmp_path / "partial.txt").exists()


def test_a_file_is_read_up_to_the_limit_in_pieces_of_its_size(tmp_path) -> None:
    """read_source asks for the file's size + 1, not the 8 MiB limit, and still stops one
    byte past the limit (so the size rule can refuse the document)."""
    from oci_conform.commands.config import _read_upto, read_source
    for size, limit in ((0, 10), (5, 10), (10, 10), (11, 10), (200_000, 70_000)):
        path = tmp_path / f"f{size}"
        path.write_bytes(bytes(range(256)) * (size // 256) + b"x" * (size % 256))
        raw, error = read_source(str(path), limit)
        assert not error and raw == path.read_bytes()[: limit + 1], (size, limit)

    class Growing:
        """A handle whose file stats as empty but holds more (it grew after the stat)."""

        def __init__(self, data: bytes, null) -> None:
            self.data, self.null, self.asked = data, null, []

        def fileno(self) -> int:
            return self.null.fileno()

        def read(self, n: int) -> bytes:
            self.asked.append(n)
            part, self.data = self.data[:n], self.data[n:]
            return part
    with open(os.devnull, "rb") as null:
        grown = Growing(b"y" * 100, null)
        assert _read_upto(grown, 50) == b"y" * 51
    assert grown.asked[0] == 1 and max(grown.asked) <= 50
