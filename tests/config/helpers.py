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


def outcome_message(results: list[CaseResult], clause: str) -> str:
    """The message and finding messages of ``clause``'s result, as one text."""
    r = next(r for r in results if r.clause == clause)
    return " ".join([r.message, *(f.message for f in r.findings)])


def load(path: Path) -> Any:
    return json.loads(path.read_text())


VALUES = {"config": "rt.config.property-values", "state": "rt.runtime.state.property-values",
          "features": "rt.features.property-values"}
STRICT = ("MUST", "MUST NOT")


def fails_its_rule(results: list[CaseResult], clause: str, kind: str = "config",
                   also: set[str] | None = None) -> bool:
    """True when ``results`` fail exactly the rule a fixture named after ``clause`` breaks.

    That is ``clause`` itself (plus its companions), or, for a wrong value of an optional
    field (``clause`` a MAY or SHOULD "may be set" line), the document's MUST on field
    values, with a finding that names ``clause`` (issue #15: a MUST, never the MAY).
    """
    from oci_conform.catalog.loader import default_catalog
    extra = set(also or ())
    got = failed(results) - extra
    if got == {clause} | COMPANIONS.get(clause, set()):
        return True
    level = default_catalog().clauses[clause].level.value
    values = next((r for r in results if r.clause == VALUES[kind]), None)
    return (got == {VALUES[kind]} and level not in STRICT and values is not None
            and any(clause in f.message for f in values.findings))
