"""What a campaign records: problems per input, grouped per target, and saved reproducers."""
from __future__ import annotations

import hashlib
import json
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

KINDS = ("crash", "hang", "unsafe", "leak", "5xx", "litter")


@dataclass
class Problem:
    kind: str                      # one of KINDS
    message: str
    last_frame: str = ""
    project_frame: str = ""
    traceback: str = ""

    @property
    def signature(self) -> str:
        where = self.project_frame or self.last_frame
        if self.kind == "hang":                  # the module it spins in, not the line
            where = where.split(":")[0]
        head = self.message.split(":", 1)[0] if self.kind == "crash" else self.message[:80]
        return f"{self.kind}|{head}|{where}"


@dataclass
class Outcome:
    """What one input did."""

    problems: list[Problem] = field(default_factory=list)
    code: Any = None
    elapsed: float = 0.0
    rss_kb: int = 0


@dataclass
class Finding:
    """One distinct problem of a target, with its smallest reproducer."""

    target: str
    kind: str
    message: str
    last_frame: str
    project_frame: str
    count: int
    fixture: str
    size: int
    traceback: str = ""


@dataclass
class TargetRecord:
    name: str
    inputs: int = 0
    seconds: float = 0.0
    peak_rss_kb: int = 0
    slowest: float = 0.0
    codes: Counter = field(default_factory=Counter)
    problems: Counter = field(default_factory=Counter)
    findings: dict[str, Finding] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        return {"target": self.name, "inputs": self.inputs, "seconds": round(self.seconds, 1),
                "inputs_per_second": round(self.inputs / self.seconds, 1) if self.seconds else 0,
                "peak_rss_mib": round(self.peak_rss_kb / 1024, 1),
                "slowest_input_s": round(self.slowest, 3),
                "exit_codes": {str(k): v for k, v in sorted(self.codes.items(), key=str)},
                "problems": {k: self.problems.get(k, 0) for k in KINDS},
                "findings": [asdict(f) for f in self.findings.values()], **self.extra}


def save_fixture(folder: Path, target: str, data: bytes, problem: Problem,
                 meta: dict[str, Any]) -> Path:
    """fixtures/fuzz/<target>/<sha>.bin and its .json sidecar; returns the .bin path."""
    digest = hashlib.sha256(data).hexdigest()[:16]
    where = folder / target
    where.mkdir(parents=True, exist_ok=True)
    path = where / f"{digest}.bin"
    if path.is_file() and path.with_suffix(".json").is_file():
        return path            # the same input failed two ways: the first sidecar stays
    path.write_bytes(data)
    side = {"target": target, "failed": problem.kind, "message": problem.message[:2000],
            "last_frame": problem.last_frame, "project_frame": problem.project_frame,
            "traceback_tail": problem.traceback[-1500:], **meta}
    path.with_suffix(".json").write_text(json.dumps(side, indent=1, ensure_ascii=True) + "\n")
    return path


def note(record: TargetRecord, outcome: Outcome, data: bytes, fixtures: Path | None,
         meta: dict[str, Any]) -> None:
    """Count an input's outcome; keep the smallest reproducer of each distinct problem."""
    record.inputs += 1
    record.codes[outcome.code] += 1
    if outcome.rss_kb > record.peak_rss_kb:
        record.peak_rss_kb = outcome.rss_kb
        record.extra["peak_rss_input"] = {"index": meta.get("index"), "size": len(data)}
    if outcome.elapsed > record.slowest:
        record.slowest = outcome.elapsed
        record.extra["slowest_input"] = {"index": meta.get("index"), "size": len(data)}
    seen: set[str] = set()
    for p in outcome.problems:
        record.problems[p.kind] += 1
        sig = p.signature
        if sig in seen:
            continue
        seen.add(sig)
        old = record.findings.get(sig)
        if old is not None:
            old.count += 1
            if len(data) >= old.size:
                continue
            shared = any(f.fixture == old.fixture for k, f in record.findings.items() if k != sig)
            if fixtures is not None and old.fixture and not shared:
                Path(old.fixture).unlink(missing_ok=True)
                Path(old.fixture).with_suffix(".json").unlink(missing_ok=True)
        path = save_fixture(fixtures, record.name, data, p, meta) if fixtures else None
        record.findings[sig] = Finding(
            record.name, p.kind, p.message[:500], p.last_frame, p.project_frame,
            old.count if old else 1, str(path) if path else "", len(data), p.traceback[-3000:])
