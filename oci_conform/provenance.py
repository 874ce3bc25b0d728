"""The provenance of a results document: started with the tool, catalog and host, finished
with the end time, the spec versions judged and the clauses seen.

Kept apart from ``orchestrate`` (which re-exports these) so that commands judging files in
process, such as ``config validate``, start without the orchestrator's imports (tempfile,
traceback, signals, the suites package).
"""
from __future__ import annotations

import time
from collections.abc import Iterable, Mapping

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


def finish(results: Results, catalog: Catalog, spec_versions: Mapping[str, str]) -> Results:
    """Stamp the end time, the spec versions judged (asked for, else the catalog's default)
    and the clause snapshot; flag unknown ids."""
    results.finished = now()
    results.specs = {name: spec_versions.get(name) or spec.default_version
                     for name, spec in catalog.specs.items()}
    ids = {r.clause for r in results.results}
    results.clauses.update(clause_infos(catalog, ids, results.specs))
    unknown = sorted(ids - set(results.clauses))
    if unknown:
        results.harness_errors.append(
            f"outcomes name clause ids missing from the catalog: {', '.join(unknown[:10])}"
            + (" ..." if len(unknown) > 10 else ""))
    return results
