"""Shared helpers for the benchmarks: alternating rounds, spreads, ratios, peak RSS.

Every benchmark runs the project (A) and its baseline (B) in the same run, one round of A,
then one of B, then A again ..., so load that drifts during the run hits both alike. A
spread is printed as min/median/max; a ratio per pair (A_i / B_i) shows how steady the
comparison is, and the ratio of medians is the headline figure.
"""
from __future__ import annotations

import os
import platform
import re
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

TIME = "/usr/bin/time"


@dataclass
class Series:
    """The samples of one contender (seconds, and optionally peak RSS in KiB)."""

    name: str
    seconds: list[float] = field(default_factory=list)
    rss_kib: list[int] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)     # CPU seconds, where measured

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    def spread(self, unit: str = "s") -> str:
        scale = 1000.0 if unit == "ms" else 1.0
        lo, mid, hi = (min(self.seconds), self.median, max(self.seconds))
        digits = 0 if unit == "ms" else 3
        return (f"{lo * scale:.{digits}f}/{mid * scale:.{digits}f}/{hi * scale:.{digits}f} "
                f"{unit}")

    def peak_mib(self) -> float | None:
        good = [k for k in self.rss_kib if k > 0]
        return max(good) / 1024 if good else None


Sample = float | tuple[float, int] | tuple[float, int, float]


def alternate(contenders: Sequence[tuple[Series, Callable[[], Sample]]],
              rounds: int, warmup: int = 1) -> None:
    """Run each contender once per round, in turn (A B C, then C B A, ...), after ``warmup``
    untimed rounds. A callable returns seconds, (seconds, peak RSS KiB) or (seconds, peak
    RSS KiB, CPU seconds)."""
    for _ in range(warmup):
        for _, run in contenders:
            run()
    for n in range(rounds):
        order = contenders if n % 2 == 0 else list(reversed(contenders))
        for series, run in order:
            got = run()
            if isinstance(got, tuple):
                series.seconds.append(got[0])
                series.rss_kib.append(got[1])
                if len(got) > 2:
                    series.cpu.append(got[2])
            else:
                series.seconds.append(got)


def pair_ratios(a: Series, b: Series) -> list[float]:
    """A_i / B_i for each round."""
    return [x / y for x, y in zip(a.seconds, b.seconds, strict=True) if y > 0]


def ratio_line(a: Series, b: Series, meaning: str) -> str:
    """One line: ratio of medians and the min/median/max of the per-round ratios."""
    ratios = pair_ratios(a, b)
    line = (f"{a.name} / {b.name}: {a.median / b.median:.2f} (per-round "
            f"{min(ratios):.2f}/{statistics.median(ratios):.2f}/{max(ratios):.2f}) {meaning}")
    if a.cpu and b.cpu and statistics.median(b.cpu) > 0:
        line += f"; CPU time ratio {statistics.median(a.cpu) / statistics.median(b.cpu):.2f}"
    return line


def table(series: Sequence[Series], unit: str = "s") -> str:
    """min/median/max (and peak RSS where measured) of each series, one line each."""
    width = max(len(s.name) for s in series)
    lines = []
    for s in series:
        peak = s.peak_mib()
        rss = f"  peak RSS {peak:.0f} MiB" if peak is not None else ""
        cpu = f"  CPU median {statistics.median(s.cpu):.3f} s" if s.cpu else ""
        lines.append(f"  {s.name:<{width}}  min/median/max {s.spread(unit)}{cpu}{rss}")
    return "\n".join(lines)


def run_timed(argv: Sequence[str] | str, *, shell: bool = False,
              ok_codes: Sequence[int] = (0,), cwd: str | None = None,
              timeout: float = 3600) -> tuple[float, int, float]:
    """(wall seconds, peak RSS KiB, CPU seconds) of one command; SystemExit on an
    unexpected exit code.

    Peak RSS comes from ``/usr/bin/time -v`` when installed, else -1."""
    cmd: list[str]
    if shell:
        cmd = ["/bin/bash", "-c", str(argv if isinstance(argv, str) else " ".join(argv))]
    else:
        cmd = list(argv)
    use_time = os.path.exists(TIME)
    if use_time:
        cmd = [TIME, "-v", *cmd]
    start = time.perf_counter()
    done = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=cwd,
                          timeout=timeout, check=False)
    seconds = time.perf_counter() - start
    err = done.stderr.decode(errors="replace")
    if done.returncode not in ok_codes:
        raise SystemExit(f"benchmark command failed ({done.returncode}): {' '.join(cmd)[:200]}"
                         f"\n{err[-800:]}")
    if not use_time:
        return seconds, -1, 0.0
    return seconds, _max_rss(err), _cpu(err)


def _cpu(text: str) -> float:
    found = re.findall(r"(?:User|System) time \(seconds\): ([0-9.]+)", text)
    return sum(float(x) for x in found)


def _max_rss(text: str) -> int:
    m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", text)
    return int(m.group(1)) if m else -1


def process_cpu(pid: int) -> float:
    """CPU seconds (user + system) a running process has used so far (Linux /proc)."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
        fields = handle.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def self_peak_kib() -> int:
    """Peak RSS of this process so far, in KiB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def machine_line() -> str:
    """Cores, load average and the interpreter (its build changes every Python figure), to
    print under every result."""
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    real = os.path.realpath(sys.executable)
    return (f"machine: {os.cpu_count()} cores, load average {load} (shared host); "
            f"Python {platform.python_version()} at {real}")
