"""Merge the results of several runs (say one CI job per runtime or per machine) into one.

The rule for a case that comes more than once -- the same (clause, implementation, case):

1. a judged outcome beats ``error`` (an error only says the harness could not judge);
2. otherwise the result from the run that *finished* later wins;
3. on equal finish times, the input given later on the command line wins.

Implementations are unioned by name. The same name with two different versions, both
available, is a conflict (the merged column would mix two programs): ``MergeError``. An
available entry beats an unavailable one. Clauses are unioned (later input wins). Harness
errors are unioned. Each input's provenance is kept in ``merged_from`` (inputs that were
themselves merged contribute their own ``merged_from`` entries, so provenance stays flat).
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from oci_conform.model.outcome import Outcome
from oci_conform.model.results import CaseResult, Implementation, Results


class MergeError(ValueError):
    """Inputs that cannot be combined into one honest matrix."""


@dataclass(frozen=True)
class Source:
    """One input: a name for messages and provenance, and its results."""

    name: str
    results: Results


def _provenance(src: Source) -> list[dict[str, Any]]:
    r = src.results
    if r.merged_from:
        return [dict(entry) for entry in r.merged_from]
    return [{"source": src.name, "tool_version": r.tool_version,
             "catalog_version": r.catalog_version, "started": r.started, "finished": r.finished,
             "command": r.command, "host": r.host, "specs": r.specs, "complete": r.complete,
             "implementations": [i.name for i in r.implementations],
             "results": len(r.results)}]


def _prefer(old: tuple[CaseResult, str, int], new: tuple[CaseResult, str, int]) -> bool:
    """True when ``new`` (result, finished, input order) should replace ``old``."""
    old_error = old[0].outcome is Outcome.ERROR
    new_error = new[0].outcome is Outcome.ERROR
    if old_error != new_error:
        return old_error
    return (new[1], new[2]) >= (old[1], old[2])


def _merge_implementations(sources: Sequence[Source]) -> list[Implementation]:
    merged: dict[str, tuple[Implementation, str]] = {}
    for src in sources:
        for impl in src.results.implementations:
            seen = merged.get(impl.name)
            if seen is None:
                merged[impl.name] = (impl, src.name)
                continue
            old, where = seen
            if old.available and impl.available and old.version and impl.version \
                    and old.version != impl.version:
                raise MergeError(
                    f"implementation {impl.name!r} is version {old.version} in {where} but "
                    f"{impl.version} in {src.name}; give the columns distinct names")
            if impl.available or not old.available:
                merged[impl.name] = (impl, src.name)
    return [impl for impl, _ in merged.values()]


def _merge_host(sources: Sequence[Source]) -> dict[str, Any]:
    """Facts all inputs agree on as they are; facts that differ as their distinct values."""
    keys: list[str] = []
    for src in sources:
        keys.extend(k for k in src.results.host if k not in keys)
    host: dict[str, Any] = {}
    for key in keys:
        values: list[Any] = []
        for src in sources:
            if key in src.results.host and src.results.host[key] not in values:
                values.append(src.results.host[key])
        host[key] = values[0] if len(values) == 1 else ", ".join(map(str, values))
    return host


def _merge_cases(sources: Sequence[Source]) -> list[CaseResult]:
    chosen: dict[tuple[str, str, str], tuple[CaseResult, str, int]] = {}
    for order, src in enumerate(sources):
        for r in src.results.results:
            key = (r.clause, r.implementation, r.case)
            candidate = (r, src.results.finished, order)
            if key not in chosen or _prefer(chosen[key], candidate):
                chosen[key] = candidate
    return [entry[0] for entry in chosen.values()]


def merge(sources: Sequence[Source], command: Sequence[str] = ()) -> Results:
    """One Results from many (raises MergeError on conflicting implementations)."""
    if not sources:
        raise MergeError("nothing to merge")
    runs = [s.results for s in sources]
    clauses = {}
    specs: dict[str, str] = {}
    harness: list[str] = []
    provenance: list[dict[str, Any]] = []
    for src in sources:
        clauses.update(src.results.clauses)
        specs.update(src.results.specs)
        harness.extend(e for e in src.results.incomplete_reasons() if e not in harness)
        provenance.extend(_provenance(src))
    latest = max(runs, key=lambda r: r.finished or r.started)
    return Results(
        tool_version=latest.tool_version, catalog_version=latest.catalog_version,
        started=min(r.started for r in runs), finished=max(r.finished for r in runs),
        host=_merge_host(sources), specs=specs,
        implementations=_merge_implementations(sources), clauses=clauses,
        results=_merge_cases(sources), harness_errors=harness, command=list(command),
        merged_from=provenance)
