"""SARIF 2.1.0 for findings located in files (image documents, config.json).

Only findings with ``file`` set are reported, from fail, xpass, error and xfail outcomes (an
xfail carries an external suppression with the expectation's reason). One rule per clause, with
its summary and spec link; MUST -> error, SHOULD -> warning, MAY -> note. Line and column come
from Finding.line/column (filled by the checks from the JSON pointer). The fingerprint hashes
clause, file, pointer and message, so it survives reordering and unrelated changes. A result
beyond the version its implementation claims is a ``note`` marked "beyond claimed version" in
its message and ``beyondClaim`` property (kept out of the exit code, so never gating).
"""
from __future__ import annotations

import hashlib
import json
from typing import Any
from urllib.parse import quote

from oci_conform.model.outcome import Level, Outcome
from oci_conform.model.results import CaseResult, ClauseInfo, Finding, Results
from oci_conform.report._shared import BEYOND, clause_info, encode_output, sorted_results

FORMAT = "sarif"
DESCRIPTION = "SARIF 2.1.0 (findings located in files)"

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://github.com/opencontainers"
FINGERPRINT_KEY = "ociConformFinding/v1"
_REPORTED = (Outcome.FAIL, Outcome.XPASS, Outcome.ERROR, Outcome.XFAIL)
_LEVELS = {Level.MUST: "error", Level.MUST_NOT: "error", Level.SHOULD: "warning",
           Level.SHOULD_NOT: "warning", Level.MAY: "note"}


def sarif_level(level: Level) -> str:
    return _LEVELS[level]


def fingerprint(clause: str, f: Finding) -> str:
    """A stable hash of what identifies a finding (not its line: lines move when files change)."""
    key = "\0".join((clause, f.file, f.location, f.message))
    return hashlib.sha256(encode_output(key)).hexdigest()


def artifact_uri(path: str) -> str:
    """A URI reference for a file: relative paths stay relative, absolute ones become file://."""
    if path.startswith("/"):
        return "file://" + quote(path, errors="backslashreplace")
    return quote(path, errors="backslashreplace")


def _rule(info: ClauseInfo) -> dict[str, Any]:
    rule: dict[str, Any] = {
        "id": info.id,
        "shortDescription": {"text": info.summary or info.id},
        "fullDescription": {"text": f"{info.level.value}: {info.summary or info.id}"},
        "defaultConfiguration": {"level": sarif_level(info.level)},
        "properties": {"spec": info.spec, "document": info.document, "level": info.level.value,
                       "tags": [info.spec, info.level.value]},
    }
    if info.link:
        rule["helpUri"] = info.link
        rule["help"] = {"text": f"{info.summary} See {info.link}"}
    return rule


def _message(r: CaseResult, f: Finding) -> str:
    text = f.message
    if f.expected or f.actual:
        text += f" (expected {f.expected or '-'}, got {f.actual or '-'})"
    if f.location:
        text += f" at {f.location}"
    mark = f", {BEYOND}" if r.beyond_claim else ""
    return f"{text} [{r.outcome.value} on {r.implementation}{mark}]"


def _location(f: Finding) -> dict[str, Any]:
    physical: dict[str, Any] = {"artifactLocation": {"uri": artifact_uri(f.file)}}
    if f.line > 0:
        region: dict[str, Any] = {"startLine": f.line}
        if f.column > 0:
            region["startColumn"] = f.column
        physical["region"] = region
    return {"physicalLocation": physical}


def _result(r: CaseResult, f: Finding, info: ClauseInfo, index: int) -> dict[str, Any]:
    result: dict[str, Any] = {
        "ruleId": info.id, "ruleIndex": index,
        # beyond the claimed version: shown, kept out of the exit code, so never above a note
        "level": "note" if r.beyond_claim else sarif_level(info.level),
        "message": {"text": _message(r, f)},
        "locations": [_location(f)],
        "partialFingerprints": {FINGERPRINT_KEY: fingerprint(info.id, f)},
        "properties": {"implementation": r.implementation, "outcome": r.outcome.value},
    }
    if f.location:
        result["properties"]["pointer"] = f.location
    if r.case:
        result["properties"]["case"] = r.case
    if r.beyond_claim:
        result["properties"]["beyondClaim"] = r.beyond_claim
    if r.outcome is Outcome.XFAIL:
        result["suppressions"] = [{"kind": "external", "status": "accepted",
                                   "justification": r.expectation or "expected failure"}]
    return result


def _invocation(results: Results) -> dict[str, Any]:
    inv: dict[str, Any] = {"executionSuccessful": results.complete}
    if results.command:
        inv["commandLine"] = " ".join(results.command)
    if not results.complete:
        inv["toolExecutionNotifications"] = [{"level": "error", "message": {"text": p}}
                                             for p in results.incomplete_reasons()]
    return inv


def sarif_document(results: Results) -> dict[str, Any]:
    rules: list[dict[str, Any]] = []
    index: dict[str, int] = {}
    out: list[dict[str, Any]] = []
    for r in sorted_results(results):
        if r.outcome not in _REPORTED:
            continue
        before = len(out)
        for f in r.findings:
            if not f.file:
                continue
            info = clause_info(results, r.clause)
            if info.id not in index:
                index[info.id] = len(rules)
                rules.append(_rule(info))
            out.append(_result(r, f, info, index[info.id]))
        if r.omitted_findings and len(out) > before:
            out[-1]["properties"]["omittedFindings"] = r.omitted_findings
    driver = {"name": "oci-conform", "version": results.tool_version,
              "informationUri": INFORMATION_URI, "rules": rules}
    run: dict[str, Any] = {
        "tool": {"driver": driver}, "results": out, "invocations": [_invocation(results)],
        "properties": {"catalogVersion": results.catalog_version, "specs": results.specs,
                       "started": results.started, "finished": results.finished,
                       "implementations": [i.to_dict() for i in results.implementations]},
    }
    return {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}


def render(results: Results) -> str:
    return json.dumps(sarif_document(results), indent=1, ensure_ascii=False) + "\n"
