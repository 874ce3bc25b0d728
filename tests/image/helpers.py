"""Shared helpers for the image tests."""
from __future__ import annotations

from pathlib import Path

from oci_conform.checks.image.layer import Limits
from oci_conform.drivers.image_sources.refs import parse_ref
from oci_conform.drivers.image_sources.validate import Options, validate_ref
from oci_conform.model.results import CaseResult

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "fixtures" / "image"


def validate(ref: str | Path, version: str = "1.1.1", limits: Limits | None = None
             ) -> list[CaseResult]:
    opts = Options(version=version, limits=limits or Limits())
    return validate_ref(parse_ref(str(ref)), opts)


def outcome_sets(results: list[CaseResult]) -> tuple[set[str], dict[str, str]]:
    """(failed clause ids, {errored clause id: message})."""
    failed = {r.clause for r in results if r.outcome.value == "fail"}
    errors = {r.clause: r.message for r in results if r.outcome.value == "error"}
    return failed, errors


def explain(results: list[CaseResult]) -> str:
    return "\n".join(f"{r.clause} {r.outcome.value}: {r.message} "
                     f"{[(f.location, f.message) for f in r.findings[:2]]}"
                     for r in results if r.outcome.value in ("fail", "error"))
