"""Which clauses of a case count, at which runtime-spec version, for one runtime.

- By default a runtime is judged on every case at the newest spec version: a clause in force
  at the version the runtime claims counts; one that only holds at a newer version keeps its
  observed outcome and is marked beyond the claim (kept out of the exit code by the model);
  one in force at neither is n/a.
- With ``--spec-version X`` the run judges at X: clauses in force at X count (unmarked),
  the rest are n/a, and so are cases whose behaviour is newer than X.

Not in force is never a skip: skip is for host limits only.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from oci_conform.catalog.loader import Catalog
from oci_conform.catalog.model import Spec
from oci_conform.model.judging import Observation, in_force, not_in_force

SPEC = "runtime-spec"


@dataclass
class JudgingPlan:
    """For one case on one runtime: its clauses not in force, and those beyond the claim."""

    not_in_force: dict[str, Observation] = field(default_factory=dict)
    beyond: dict[str, str] = field(default_factory=dict)     # clause -> why it is beyond


def _at(spec: Spec, version: str) -> int:
    return spec.index(version) if version in spec.versions else len(spec.versions)


def plan_for(clauses: tuple[str, ...], since: str, catalog: Catalog, runtime: str,
             claimed: str, asked: str = "") -> JudgingPlan:
    """The plan for a case judging ``clauses`` whose behaviour appears in ``since``.

    ``claimed``: the catalog version the runtime claims ("" = unknown: nothing is beyond);
    ``asked``: the version the user asked to judge at ("" = the default described above).
    """
    plan = JudgingPlan()
    spec = catalog.specs.get(SPEC)
    if spec is None:
        return plan
    newest = spec.default_version
    for cid in clauses:
        clause = catalog.clauses.get(cid)
        if clause is None:
            continue
        if asked:
            if since and _at(spec, since) > _at(spec, asked):
                plan.not_in_force[cid] = not_in_force(
                    cid, f"the behaviour appears in runtime-spec {since}; judged at {asked}")
            elif (obs := in_force(clause, spec, asked)) is not None:
                plan.not_in_force[cid] = obs
            continue
        at_claim = not claimed or (clause.holds_for(spec, claimed) and not (
            since and _at(spec, since) > _at(spec, claimed)))
        if at_claim:
            continue
        if clause.holds_for(spec, newest):
            newer = clause.since if clause.since and _at(spec, clause.since) > _at(
                spec, claimed) else since
            plan.beyond[cid] = f"clause since {newer}; {runtime} claims {claimed}"
        elif (obs := in_force(clause, spec, claimed)) is not None:
            plan.not_in_force[cid] = obs
    return plan
