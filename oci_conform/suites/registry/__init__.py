"""The registry suite: distribution-spec clause by clause against any registry URL.

``SUITE`` plugs into ``oci-conform matrix`` (``--registry NAME=URL``); ``declarations()``
lists every case and the clause ids it judges (the judged set and ``clauses --where``).
"""
from __future__ import annotations

from oci_conform.model.declaration import Declaration
from oci_conform.suites.registry.runner import PROFILES, all_cases, check_count
from oci_conform.suites.registry.suite import SUITE, RegistrySuite, preflight, profile_of

__all__ = ["SUITE", "RegistrySuite", "PROFILES", "all_cases", "check_count", "declarations",
           "preflight", "profile_of"]

SELECT = "oci-conform registry test URL --case {name}"


def declarations() -> list[Declaration]:
    """Every registry case (the table in each cases module and the run-wide summaries),
    plus the two harness checks, with the clause ids each judges."""
    out = [Declaration(name=f"registry:{case.name}",
                       where=f"{case.run.__module__}:{case.run.__qualname__}",
                       clauses=tuple(case.clauses), suite="registry",
                       select=SELECT.format(name=case.name))
           for case in all_cases()]
    out.append(Declaration(name="registry:cleanup",
                           where="oci_conform.suites.registry.runner:RegistryRun._cleanup",
                           clauses=("harness.registry.cleanup",), suite="registry",
                           select="oci-conform registry test URL"))
    out.append(Declaration(name="registry:reachable",
                           where="oci_conform.suites.registry.suite:reachable",
                           clauses=("harness.registry.reachable",), suite="registry",
                           select="oci-conform registry test URL --case reachable"))
    return out
