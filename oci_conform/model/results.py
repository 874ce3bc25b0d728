"""The results document: provenance plus one CaseResult per (clause, implementation).

Everything here is plain data with ``to_dict``/``from_dict``; the JSON form is
described by ``schemas/results.schema.json``.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from oci_conform.model.evidence import Evidence
from oci_conform.model.outcome import Level, Outcome

RESULTS_FORMAT = "oci-conform/results/v1"
JSON = dict[str, Any]


@dataclass(frozen=True)
class Finding:
    """One observed problem (or note): where it is, what was expected, what was there."""

    message: str
    location: str = ""           # JSON pointer, tar entry, "GET /v2/..." request, path
    expected: str = ""
    actual: str = ""
    file: str = ""               # the file the location points into, when there is one
    line: int = 0                # 1-based line of the location in that file (0 = unknown)
    column: int = 0              # 1-based column (0 = unknown)

    def to_dict(self) -> JSON:
        return {k: v for k, v in asdict(self).items() if v not in ("", 0)}

    @classmethod
    def from_dict(cls, data: JSON) -> Finding:
        texts = {k: str(data.get(k, "")) for k in ("message", "location", "expected", "actual",
                                                    "file")}
        return cls(**texts, line=int(data.get("line", 0)), column=int(data.get("column", 0)))


@dataclass
class Implementation:
    """One column of the matrix: a runtime, registry, image format or tool."""

    name: str
    kind: str                    # runtime | registry | image-format | image-tool | image | config
    command: str = ""            # how it was invoked (binary, URL, reference)
    version: str = ""
    spec_version: str = ""       # the spec version it claims, which selects clause meanings
    available: bool = True
    reason: str = ""             # why it is unavailable, when it is

    def to_dict(self) -> JSON:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: JSON) -> Implementation:
        return cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})


@dataclass(frozen=True)
class ClauseInfo:
    """The part of a catalog clause a report needs, copied into the results."""

    id: str
    spec: str
    document: str
    section: str
    level: Level
    summary: str
    link: str

    def to_dict(self) -> JSON:
        data = asdict(self)
        data["level"] = self.level.value
        return data

    @classmethod
    def from_dict(cls, data: JSON) -> ClauseInfo:
        return cls(id=data["id"], spec=data["spec"], document=data["document"],
                   section=data.get("section", ""), level=Level(data["level"]),
                   summary=data["summary"], link=data.get("link", ""))


@dataclass(slots=True)        # hundreds per judged document: slots make each cheaper to build
class CaseResult:
    """The outcome of one clause on one implementation, with what was seen."""

    clause: str
    implementation: str
    outcome: Outcome
    case: str = ""               # the check or case that judged it
    message: str = ""            # one line: the reason of a skip/n/a/error, the gist of a fail
    findings: list[Finding] = field(default_factory=list)
    evidence: Evidence = field(default_factory=Evidence)
    duration: float = 0.0
    expectation: str = ""        # the reason from an expectations file (xfail/xpass)
    omitted_findings: int = 0    # findings beyond the cap, counted
    beyond_claim: str = ""       # set when the clause is newer than the version the
    #                              implementation claims: why (kept out of the exit code)

    def to_dict(self) -> JSON:
        data: JSON = {"clause": self.clause, "implementation": self.implementation,
                      "outcome": self.outcome.value}
        optional: JSON = {"case": self.case, "message": self.message,
                          "findings": [f.to_dict() for f in self.findings],
                          "omitted_findings": self.omitted_findings,
                          "evidence": self.evidence.to_dict(), "duration": round(self.duration, 4),
                          "expectation": self.expectation, "beyond_claim": self.beyond_claim}
        data.update({k: v for k, v in optional.items() if v})
        return data

    @classmethod
    def from_dict(cls, data: JSON) -> CaseResult:
        return cls(clause=data["clause"], implementation=data["implementation"],
                   outcome=Outcome(data["outcome"]), case=data.get("case", ""),
                   message=data.get("message", ""),
                   findings=[Finding.from_dict(f) for f in data.get("findings", [])],
                   evidence=Evidence.from_dict(data.get("evidence", {})),
                   duration=float(data.get("duration", 0.0)),
                   expectation=data.get("expectation", ""),
                   omitted_findings=int(data.get("omitted_findings", 0)),
                   beyond_claim=str(data.get("beyond_claim", "")))


@dataclass
class Results:
    """A whole run: provenance, the implementations, the clauses seen, and the outcomes."""

    tool_version: str
    catalog_version: str
    started: str
    finished: str = ""
    host: JSON = field(default_factory=dict)
    specs: dict[str, str] = field(default_factory=dict)      # spec -> version judged
    implementations: list[Implementation] = field(default_factory=list)
    clauses: dict[str, ClauseInfo] = field(default_factory=dict)
    results: list[CaseResult] = field(default_factory=list)
    harness_errors: list[str] = field(default_factory=list)  # problems that left results incomplete
    command: list[str] = field(default_factory=list)
    merged_from: list[JSON] = field(default_factory=list)    # provenance of merged inputs
    interrupted: str = ""            # the signal that stopped the run early ("SIGINT"), or ""
    # wall seconds each column took (implementation name -> seconds, setup included): the
    # next run's --jobs scheduling starts the longest lanes first from these
    column_seconds: dict[str, float] = field(default_factory=dict)

    @property
    def complete(self) -> bool:
        return not self.harness_errors and not self.interrupted

    def incomplete_reasons(self) -> list[str]:
        """Why these results are incomplete, one line each (the interruption first)."""
        stopped = [f"interrupted by {self.interrupted}: results incomplete (the run stopped "
                   "early; cases not started have no outcome)"] if self.interrupted else []
        return stopped + list(self.harness_errors)

    def implementation(self, name: str) -> Implementation | None:
        return next((i for i in self.implementations if i.name == name), None)

    def to_dict(self) -> JSON:
        return {
            "format": RESULTS_FORMAT,
            "tool": {"name": "oci-conform", "version": self.tool_version},
            "catalog_version": self.catalog_version,
            "started": self.started, "finished": self.finished,
            "command": self.command, "host": self.host, "specs": self.specs,
            "complete": self.complete, "harness_errors": self.harness_errors,
            **({"interrupted": self.interrupted} if self.interrupted else {}),
            **({"column_seconds": {k: round(v, 2) for k, v in self.column_seconds.items()}}
               if self.column_seconds else {}),
            "implementations": [i.to_dict() for i in self.implementations],
            "clauses": {cid: c.to_dict() for cid, c in sorted(self.clauses.items())},
            "results": [r.to_dict() for r in self.results],
            **({"merged_from": self.merged_from} if self.merged_from else {}),
        }

    @classmethod
    def from_dict(cls, data: JSON) -> Results:
        return cls(
            tool_version=data["tool"]["version"], catalog_version=data["catalog_version"],
            started=data["started"], finished=data.get("finished", ""),
            host=dict(data.get("host", {})), specs=dict(data.get("specs", {})),
            implementations=[Implementation.from_dict(i) for i in data["implementations"]],
            clauses={cid: ClauseInfo.from_dict(c) for cid, c in data["clauses"].items()},
            results=[CaseResult.from_dict(r) for r in data["results"]],
            harness_errors=list(data.get("harness_errors", [])),
            command=list(data.get("command", [])),
            merged_from=list(data.get("merged_from", [])),
            interrupted=str(data.get("interrupted", "")),
            column_seconds={str(k): float(v)
                            for k, v in dict(data.get("column_seconds", {})).items()},
        )
