"""The shared benchmark helpers: alternating order, spreads, ratios, measured children."""
from __future__ import annotations

import os
import sys

import pytest

from benchmarks._common import Series, alternate, pair_ratios, process_cpu, ratio_line, run_timed


def test_rounds_alternate_and_flip_order() -> None:
    calls: list[str] = []
    a, b, c = Series("a"), Series("b"), Series("c")

    def step(name: str, seconds: float):  # type: ignore[no-untyped-def]
        def run() -> float:
            calls.append(name)
            return seconds
        return run

    alternate([(a, step("a", 1.0)), (b, step("b", 2.0)), (c, step("c", 4.0))], rounds=2)
    assert calls == ["a", "b", "c",  "a", "b", "c",  "c", "b", "a"]   # warm-up, then A B C / C B A
    assert a.seconds == [1.0, 1.0] and c.seconds == [4.0, 4.0]
    assert pair_ratios(c, a) == [4.0, 4.0]


def test_ratio_line_gives_the_median_ratio_and_the_per_round_spread() -> None:
    slow, fast = Series("slow", [2.0, 3.0, 9.0]), Series("fast", [1.0, 1.0, 3.0])
    line = ratio_line(slow, fast, "(x)")
    assert line.startswith("slow / fast: 3.00 (per-round 2.00/3.00/3.00) (x)")
    assert "CPU" not in line
    slow.cpu, fast.cpu = [1.0, 1.0, 1.0], [0.5, 0.5, 0.5]
    assert ratio_line(slow, fast, "").endswith("CPU time ratio 2.00")


def test_run_timed_measures_a_real_child() -> None:
    burn = "x = 0\nfor i in range(3_000_000): x += i\nb = bytearray(64 << 20)"
    seconds, rss_kib, cpu = run_timed([sys.executable, "-c", burn])
    assert seconds > 0
    if os.path.exists("/usr/bin/time"):
        assert rss_kib > 60 * 1024          # the 64 MiB buffer shows in the peak RSS
        assert cpu > 0.05


def test_run_timed_refuses_an_unexpected_exit_code() -> None:
    with pytest.raises(SystemExit, match="failed"):
        run_timed([sys.executable, "-c", "raise SystemExit(3)"])
    assert run_timed([sys.executable, "-c", "raise SystemExit(1)"], ok_codes=(0, 1))[0] > 0


def test_process_cpu_reads_a_live_process() -> None:
    before = process_cpu(os.getpid())
    x = 0
    for i in range(2_000_000):
        x += i
    assert process_cpu(os.getpid()) >= before
