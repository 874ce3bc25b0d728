"""Static checks of runtime-spec documents: config.json, state and features.

Entry points: ``engine.validate_parsed`` (a parsed document in, one CaseResult per
declared clause out) and ``engine.validate_config_document``. What is judged, and by which
code, is the check table (``table.checks``); ``declarations()`` exposes it.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from oci_conform.model.declaration import Declaration


def declarations() -> list[Declaration]:
    """One declaration per check of the table: its code, the ids it judges, how to run it."""
    from oci_conform.checks.runtime_config.table import checks
    from oci_conform.model.declaration import Declaration
    kinds = {"config": "config validate PATH", "state": "config validate --kind state PATH",
             "features": "config validate --kind features PATH"}
    return [Declaration(name=f"config-validate:{c.kind}", where=c.where, clauses=c.clauses,
                        suite="config", select=f"oci-conform {kinds[c.kind]}",
                        fixtures=("fixtures/config", "fixtures/corpus/runtime"))
            for c in checks()]
