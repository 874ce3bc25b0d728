"""Shared helpers for the config validation tests."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from oci_conform.checks.runtime_config.docload import parse_bytes, parse_text
from oci_conform.checks.runtime_config.engine import validate_parsed
from oci_conform.model.results import CaseResult

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "fixtures" / "config"
GOOD = FIXTURES / "good"
BAD = FIXTURES / "bad"

# Two clauses that state one constraint from both sides fail together.
COMPANIONS = {
    "rt.config-linux.cpu.4": {"rt.config-linux.cpu.6"},
    "rt.config-linux.cpu.6": {"rt.config-linux.cpu.4"},
    "rt.config.posixmounts.4": {"rt.config.posixmounts.8"},
    "rt.config.posixmounts.8": {"rt.config.posixmounts.4"},
}


def judge_file(path: Path, kind: str = "config", **kw: Any) -> list[CaseResult]:
    return validate_parsed(parse_bytes(path.read_bytes()), kind, file=str(path), **kw)


def judge_doc(doc: Any, kind: str = "config", **kw: Any) -> list[CaseResult]:
    return validate_parsed(parse_text(json.dumps(doc, indent=1)), kind, **kw)


def failed(results: list[CaseResult]) -> set[str]:
    return {r.clause for r in results if r.outcome.value == "fail"}


def outcome(results: list[CaseResult], clause: str) -> str:
    return next(r.outcome.value for r in results if r.clause == clause)


def load(path: Path) -> Any:
    return json.loads(path.read_text())
