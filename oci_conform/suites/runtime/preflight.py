"""Before any runtime case runs: is there anything to judge with, on this host?

One problem found here makes the whole column one ``error`` outcome on
``harness.runtime.usable`` (exit code 3) with one line naming it, instead of one error per
case: the binary given is missing or does not answer ``--version``, the harness is not
root, the kernel lacks a namespace every case uses, or no static busybox is installed.
Host limits that only some cases meet (a controller, a capability, a namespace kind) stay
per-case skips, and ``limits_line`` sums them up once.
"""
from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from oci_conform.drivers.bundle import find_busybox
from oci_conform.drivers.runtime_cli import RuntimeCommand, run_bounded
from oci_conform.model.evidence import Evidence, ProcessRun
from oci_conform.model.judging import case_results, errored, roll_up
from oci_conform.model.results import CaseResult

USABLE = "harness.runtime.usable"
VERSION_TIMEOUT = 10.0
# namespaces every case's config asks for (the base config of drivers.bundle)
NEEDED_NAMESPACES = ("mnt", "pid", "ipc", "uts")


def binary_problem(cmd: RuntimeCommand) -> str:
    """'' when the binary of ``cmd`` can be run, else a one-line reason naming it."""
    path = cmd.resolved()
    if path is None:
        where = "no such file" if "/" in cmd.binary else "not on PATH"
        return f"runtime binary {cmd.binary!r} not found ({where})"
    if not os.access(path, os.X_OK) or not Path(path).is_file():
        return f"runtime binary {path!r} is not an executable file"
    return ""


def version_problem(cmd: RuntimeCommand, timeout: float = VERSION_TIMEOUT
                    ) -> tuple[str, ProcessRun]:
    """Run ``BINARY --version`` (through its wrapper): '' when it answers, else why not."""
    argv = cmd.argv(["--version"])
    ran = run_bounded(argv, timeout=timeout, limit=64 * 1024)
    run = ProcessRun(argv, ran.exit_code, ran.stdout[-2000:], ran.stderr[-2000:],
                     timed_out=ran.timed_out, error=ran.error)
    if ran.ok and ran.stdout.strip():
        return "", run
    if ran.ok:
        return f"{cmd.binary} --version printed nothing: not an OCI runtime?", run
    last = (ran.stderr.strip().splitlines() or [""])[-1][:200]
    why = ran.reason() if ran.timed_out or ran.error else f"exit {ran.exit_code}"
    return f"{cmd.binary} --version failed ({why}{': ' + last if last else ''})", run


def host_problem(uid: int | None = None, ns_dir: Path = Path("/proc/self/ns")) -> str:
    """'' when this host can run the suite at all, else the one reason it cannot."""
    uid = os.geteuid() if uid is None else uid
    if uid != 0:
        return (f"the runtime suite needs root (running as uid {uid}): the runtime it drives "
                "creates namespaces, mounts and cgroups; run it as root (the static "
                "validators need no root)")
    missing = [ns for ns in NEEDED_NAMESPACES if not (ns_dir / ns).exists()]
    if missing:
        return ("this kernel lacks namespaces every case uses: "
                + ", ".join(missing) + f" (nothing in {ns_dir})")
    if find_busybox() is None:
        return "no static busybox on this host (install busybox-static)"
    return ""


def problem_for(cmd: RuntimeCommand) -> tuple[str, ProcessRun | None]:
    """The first reason the runtime suite cannot run ``cmd`` here ('' when none)."""
    found = binary_problem(cmd) or host_problem()
    if found:
        return found, None
    return version_problem(cmd)


def unusable(impl: str, problem: str, run: ProcessRun | None = None) -> list[CaseResult]:
    """The column's one outcome: ``harness.runtime.usable`` = error, naming the problem."""
    verdicts = roll_up([errored(USABLE, f"nothing judged: {problem}")], [USABLE])
    evidence = Evidence.of(runs=[run] if run else [])
    return list(case_results(verdicts.values(), impl, "runtime:usable", evidence=evidence))


def limits_line(impl: str, reasons: Iterable[str]) -> str:
    """One line summing up the host limits that make cases skip ('' when none)."""
    counts = Counter(reasons)
    if not counts:
        return ""
    parts = [f"{why} ({n} case{'s' if n > 1 else ''})" for why, n in counts.most_common(6)]
    more = len(counts) - 6
    return (f"[runtime] {impl}: {sum(counts.values())} cases skip on this host: "
            + "; ".join(parts) + (f"; and {more} more reasons" if more > 0 else ""))
