"""The provenance of a results document: started with the tool, catalog and host, finished
with the end time, the spec versions judged and the clauses seen.

Kept apart from ``orchestrate`` (which re-exports these) so that commands judging files in
process, such as ``config validate``, start without the orchestrator's imports (tempfile,
traceback, signals, the suites package).
"""
from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from typing import Any

from oci_conform import __version__
from oci_conform.catalog.loader import Catalog, clause_infos
from oci_conform.host import host_facts
from oci_conform.model.results import Results


def now() -> str:
    """The time now in UTC, ISO 8601 to the second (``2026-12-07T05:01:04+00:00``); written
    with ``time`` because importing ``datetime`` costs a few milliseconds of start-up."""
    return time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime())


def new_results(catalog: Catalog, command: Iterable[str]) -> Results:
    """The one place a results document is started: provenance and the start time."""
    return Results(tool_version=__version__, catalog_version=catalog.version, started=now(),
                   host=host_facts(), command=list(command))


def finish(results: Results, catalog: Catalog, spec_versions: Mapping[str, str], *,
           ids: Iterable[str] | None = None,
           cache: dict[tuple[tuple[str, str], ...], dict[str, Any]] | None = None) -> Results:
    """Stamp the end time, the spec versions judged (asked for, else the catalog's default)
    and the clause snapshot; flag unknown ids.

    ``ids``: the clause ids of the outcomes when they are not in ``results.results`` (a
    streamed run keeps only the ids); ``cache``: clause snapshots already made for the same
    catalog, by spec versions (a run over many files makes each once)."""
    results.finished = now()
    results.specs = {name: spec_versions.get(name) or spec.default_version
                     for name, spec in catalog.specs.items()}
    ids = {r.clause for r in results.results} if ids is None else \
        ids if isinstance(ids, (set, frozenset)) else set(ids)     # only read below
    if cache is None:
        results.clauses.update(clause_infos(catalog, ids, results.specs))
    else:
        known = cache.setdefault(tuple(sorted(results.specs.items())), {})
        missing = ids - known.keys()
        if missing:
            known.update(clause_infos(catalog, missing, results.specs))
        results.clauses.update({cid: known[cid] for cid in ids & known.keys()})
    unknown = sorted(ids - results.clauses.keys())
    if unknown:
        results.harness_errors.append(
            f"outcomes name clause ids missing from the catalog: {', '.join(unknown[:10])}"
            + (" ..." if len(unknown) > 10 else ""))
    return results
