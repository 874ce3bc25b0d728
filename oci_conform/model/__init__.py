"""Outcomes, findings, evidence, implementations and the results document."""
from oci_conform.model.outcome import Level, Outcome, worst
from oci_conform.model.results import (
    CaseResult,
    ClauseInfo,
    Finding,
    Implementation,
    Results,
)

__all__ = ["Level", "Outcome", "worst", "CaseResult", "ClauseInfo", "Finding",
           "Implementation", "Results"]
