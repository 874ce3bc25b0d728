"""Keep outcomes to the rules of the spec version being judged."""
from __future__ import annotations

from dataclasses import replace

from oci_conform.catalog.loader import Catalog
from oci_conform.model.outcome import Outcome
from oci_conform.model.results import CaseResult


def for_version(results: list[CaseResult], catalog: Catalog,
                versions: dict[str, str]) -> list[CaseResult]:
    """A clause not in force in the judged version becomes n/a, its finding kept in the message."""
    out = []
    for r in results:
        clause = catalog.clauses.get(r.clause)
        if clause is None:
            out.append(r)
            continue
        spec = catalog.specs[clause.spec]
        version = versions.get(clause.spec, spec.default_version)
        if clause.holds_for(spec, version) or r.outcome in (Outcome.NA, Outcome.ERROR):
            out.append(r)
            continue
        span = f"since {clause.since}" if clause.since else f"until {clause.until}"
        gist = f": would be {r.outcome.value}: {r.message}" if r.outcome is Outcome.FAIL else ""
        out.append(replace(r, outcome=Outcome.NA,
                           message=f"not a rule of {clause.spec} {version} ({span}){gist}"))
    return out
