"""The run loop: inputs per target from a fixed seed, judged, counted and saved."""
from __future__ import annotations

import json
import os
import random
import re
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from fuzzlib import trees
from fuzzlib.pool import Runner
from fuzzlib.record import Outcome, Problem, TargetRecord, note
from fuzzlib.targets import Target

TB_FRAME = re.compile(r'File "([^"]+)", line (\d+), in (\S+)')
EXIT_CODES = {0, 1, 2, 3, 4}
INTERNAL_ERROR = "internal error (harness)"  # the CLI's one line for an exception it caught


@dataclass
class Settings:
    seed: int = 1
    count: int = 100
    time_limit: float = 10.0
    memory_mib: int = 1024
    nice: int = 0
    fixtures: Path | None = None
    out: Path | None = None
    budget: float = 0.0              # seconds per target; 0 = no budget (count only)
    cli_every: int = 1               # 1 = every input through the whole command line; N = one
                                     # in N, the others through the parser tier (entries.py)
    progress: bool = True


@dataclass
class Sandbox:
    """The run's own folder: canaries, the job folders, a private HOME and TMPDIR."""

    root: Path
    canaries: list[Path] = field(default_factory=list)

    @classmethod
    def make(cls, parent: Path | None = None) -> Sandbox:
        root = Path(tempfile.mkdtemp(prefix="oci-conform-fuzz-", dir=parent))
        box = cls(root)
        for sub in ("job/in", "job/cwd", "home", "tmp"):
            (root / sub).mkdir(parents=True)
        box.canaries = [root / "canary", Path(trees.CANARY_ABS)]
        box.reset_canaries()
        return box

    @property
    def job_in(self) -> Path:
        return self.root / "job" / "in"

    @property
    def job_cwd(self) -> Path:
        return self.root / "job" / "cwd"

    def reset_canaries(self) -> None:
        """Each canary holds only its secret file. The absolute one is shared by every run
        on the host, so it is never removed, only emptied of what does not belong."""
        for c in self.canaries:
            if c.is_symlink() or c.is_file():
                c.unlink()
            c.mkdir(parents=True, exist_ok=True)
            for name in os.listdir(c):
                if name != "secret":
                    path = c / name
                    if path.is_dir() and not path.is_symlink():
                        shutil.rmtree(path, ignore_errors=True)
                    else:
                        path.unlink(missing_ok=True)
            secret = c / "secret"
            if not secret.is_file() or secret.read_text() != trees.SECRET + "\n":
                secret.write_text(trees.SECRET + "\n")

    def canary_changes(self) -> list[str]:
        """What appeared in a canary folder since the last look (then removed)."""
        changed = []
        for c in self.canaries:
            try:
                extra = sorted(n for n in os.listdir(c) if n != "secret")
            except OSError:
                extra = []                       # gone: made again below, nothing written
            if extra:
                changed.append(f"{c}: {', '.join(extra[:5])}")
            try:
                if (c / "secret").read_text() != trees.SECRET + "\n":
                    changed.append(f"{c}/secret was rewritten")
            except OSError:
                pass
        self.reset_canaries()
        return changed

    def clear_job(self) -> None:
        for sub in (self.job_in, self.job_cwd):
            shutil.rmtree(sub, ignore_errors=True)
            if sub.exists():                      # a folder we could not remove (modes)
                os.system(f"chmod -R u+rwx '{sub}'")  # noqa: S605 - our own temp path
                shutil.rmtree(sub, ignore_errors=True)
            sub.mkdir(parents=True, exist_ok=True)

    def remove(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)    # the shared canary stays (see above)


def _listing(folder: Path) -> set[str]:
    out = set()
    for dirpath, dirnames, filenames in os.walk(folder):
        for n in dirnames + filenames:
            out.add(os.path.relpath(os.path.join(dirpath, n), folder))
    return out


def _cache(sub: str, name: str) -> bool:
    """The project's own cache in HOME (~/.cache/oci-conform) is by design, not litter."""
    return sub == "home" and (name == ".cache" or name.startswith(".cache/oci-conform"))


FH_FRAME = re.compile(r'File "([^"]+)", line (\d+) in (\S+)')


def main_thread_block(dump: str) -> str:
    """The main thread's stack in a faulthandler dump of every thread: the block that runs
    the worker's job (the dump lists threads newest first, so the first block is often a
    helper thread, such as the HTTP client's deadline watchdog, idle in its wait)."""
    blocks = dump.split("\n\n") if dump else [""]
    for block in blocks:
        if "in run_job" in block:
            return block
    return blocks[0]


def stack_frame(dump: str, ours: bool) -> str:
    """The innermost frame of the main thread in a faulthandler dump (optionally ours)."""
    block = main_thread_block(dump)
    for m in FH_FRAME.finditer(block):          # faulthandler lists the innermost first
        name, line, func = m.groups()
        if ours and "/oci_conform/" not in name:
            continue
        cut = name.rfind("/oci_conform/")
        return f"{name[cut + 1:] if cut >= 0 else name}:{line} in {func}"
    return ""


def frame_of(text: str) -> str:
    found = TB_FRAME.findall(text)
    if not found:
        return ""
    name, line, func = found[-1]
    cut = name.rfind("/oci_conform/")
    return f"{name[cut + 1:] if cut >= 0 else name}:{line} in {func}"


def project_frame_of(text: str) -> str:
    ours = [f for f in TB_FRAME.findall(text) if "/oci_conform/" in f[0]]
    if not ours:
        return ""
    name, line, func = ours[-1]
    return f"{name[name.rfind('/oci_conform/') + 1:]}:{line} in {func}"


def judge_answer(answer: dict[str, Any], time_limit: float) -> list[Problem]:
    """Crash, hang, leak from one worker answer."""
    code = answer.get("code")
    if code == "harness-error":
        raise RuntimeError(f"fuzz harness error in the worker: {answer.get('exception')}")
    if code == "hang":
        stack = answer.get("stack", "")
        spent = f" ({answer['cpu']:g} s of CPU)" if "cpu" in answer else ""
        return [Problem("hang", f"no answer within {time_limit:g} s{spent}",
                        stack_frame(stack, False),
                        stack_frame(stack, True), stack)]
    if code == "died":
        return [Problem("crash", answer.get("exception", "worker died"))]
    if code == "exception":
        return [Problem("crash", answer.get("exception", ""), answer.get("last_frame", ""),
                        answer.get("project_frame", ""), answer.get("traceback", ""))]
    problems = []
    stderr = answer.get("stderr", "")
    if "Traceback (most recent call last)" in stderr:
        last = stderr.strip().splitlines()[-1][:300]
        problems.append(Problem("crash", f"traceback on stderr (exit {code}): {last}",
                                frame_of(stderr), project_frame_of(stderr), stderr))
    elif INTERNAL_ERROR in stderr:          # the CLI's catch-all: exit 3 for an escaped bug
        line = next(x for x in stderr.splitlines() if INTERNAL_ERROR in x)
        problems.append(Problem("crash", f"caught as a harness error (exit {code}): "
                                         f"{line[:300]}"))
    elif code not in EXIT_CODES:
        problems.append(Problem("crash", f"exit code {code!r} is none of 0-4"))
    for marker in answer.get("markers_found", []):
        what = "the canary secret (a file outside the input)" if marker == trees.SECRET \
            else "a credential"
        problems.append(Problem("leak", f"output shows {what}"))
    return problems


class CliDriver:
    """Targets run as ``oci-conform`` command lines in the watchdog's worker."""

    def __init__(self, settings: Settings, sandbox: Sandbox):
        self.settings, self.box = settings, sandbox
        self.markers: tuple[str, ...] = (trees.SECRET,)
        self.runner = Runner(sandbox.root, settings.time_limit, settings.memory_mib,
                             settings.nice)

    def restart(self) -> None:
        self.runner.restart()

    def run(self, target: Target, data: bytes, full: bool = True) -> Outcome:
        from fuzzlib import entries
        box = self.box
        box.clear_job()
        assert target.prepare is not None
        job = target.prepare(data, box.job_in)
        before = _listing(box.job_in)
        tier = "cli" if full or not entries.has_entry(job.argv) else "parse"
        answer = self.runner.run(job.argv, box.job_cwd, job.stdin, self.markers, tier)
        problems = judge_answer(answer, self.settings.time_limit)
        problems += self.effects(before)
        return Outcome(problems, answer.get("code"), float(answer.get("elapsed", 0.0)),
                       int(answer.get("maxrss_kb", 0)))

    def effects(self, before: set[str]) -> list[Problem]:
        box = self.box
        out = [Problem("unsafe", f"wrote into a canary folder: {c}") for c in
               box.canary_changes()]
        new_in = sorted(_listing(box.job_in) - before)
        if new_in:
            out.append(Problem("unsafe", f"wrote into the input folder: {new_in[:3]}"))
        new_cwd = sorted(_listing(box.job_cwd))
        if new_cwd:
            out.append(Problem("unsafe", f"wrote into the working folder: {new_cwd[:3]}"))
        for sub in ("home", "tmp"):
            left = sorted(n for n in _listing(box.root / sub) if not _cache(sub, n))
            if left:
                out.append(Problem("litter", f"left files in {sub.upper()}: {left[:3]}"))
                for name in left:
                    path = box.root / sub / name
                    if path.is_dir() and not path.is_symlink():
                        shutil.rmtree(path, ignore_errors=True)
                    else:
                        path.unlink(missing_ok=True)
        return out

    def close(self) -> None:
        self.runner.close()


class Driver(Protocol):
    def run(self, target: Target, data: bytes, full: bool = True) -> Outcome: ...
    def restart(self) -> None: ...
    def close(self) -> None: ...


def input_for(target: Target, seed: int, index: int) -> bytes:
    return target.generate(random.Random(f"{seed}:{target.name}:{index}"))


def driver_for(target: Target, settings: Settings, box: Sandbox) -> Driver:
    if target.family == "cli":
        return CliDriver(settings, box)
    if target.family == "registry":
        from fuzzlib.registry_target import RegistryDriver
        return RegistryDriver(settings, box)
    from fuzzlib.client_target import ClientDriver
    return ClientDriver(settings, box)


def run_target(target: Target, settings: Settings, box: Sandbox) -> TargetRecord:
    """``settings.count`` inputs (or fewer when the per-target budget runs out)."""
    record = TargetRecord(target.name)
    driver = driver_for(target, settings, box)
    started = time.monotonic()
    try:
        for i in range(settings.count):
            if settings.budget and time.monotonic() - started > settings.budget:
                record.extra["stopped_by_budget"] = True
                break
            data = input_for(target, settings.seed, i)
            full = settings.cli_every <= 1 or i % settings.cli_every == 0
            outcome = driver.run(target, data, full)
            if not full:
                record.extra["parser_tier_inputs"] = record.extra.get("parser_tier_inputs", 0) + 1
            note(record, outcome, data, settings.fixtures,
                 {"seed": settings.seed, "index": i, "size": len(data)})
            if settings.progress and (i + 1) % 500 == 0:
                print(f"  {target.name}: {i + 1} inputs, "
                      f"{sum(record.problems.values())} problems", flush=True)
    finally:
        driver.close()                  # the registry driver notes its peak RSS on close
        record.extra.update(getattr(driver, "extra", {}))
        record.seconds = time.monotonic() - started
    return record


def replay(targets: dict[str, Target], folder: Path, settings: Settings,
           box: Sandbox) -> list[dict[str, Any]]:
    """Run every saved reproducer again; one row per fixture with what it did now."""
    rows = []
    drivers: dict[str, Driver] = {}
    try:
        for path in sorted(folder.glob("*/*.bin")):
            target = targets.get(path.parent.name)
            if target is None:
                rows.append({"fixture": str(path), "problems": ["unknown target"]})
                continue
            family = target.family
            if family not in drivers:
                drivers[family] = driver_for(target, settings, box)
            outcome = drivers[family].run(target, path.read_bytes())
            rows.append({"fixture": str(path), "target": target.name, "code": outcome.code,
                         "problems": [f"{p.kind}: {p.message} "
                                      f"[{p.project_frame or p.last_frame}]"
                                      for p in outcome.problems]})
    finally:
        for d in drivers.values():
            d.close()
    return rows


def write_summary(out: Path, records: list[TargetRecord], settings: Settings) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    doc = {"seed": settings.seed, "count": settings.count, "time_limit": settings.time_limit,
           "targets": [r.summary() for r in records]}
    path = out / "summary.json"
    path.write_text(json.dumps(doc, indent=1) + "\n")
    return path
