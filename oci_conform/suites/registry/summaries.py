"""Run-wide judgments: clauses judged over every exchange of a run, after the cases.

The runner records what each case's exchanges showed in a ``RunRecord`` (working endpoints,
redirects, 429s, error bodies, successful pulls, Warning headers, case outcomes per group).
Each function here is a pure judgment of that record on a ``Judge``; ``SUMMARY_CASES``
declares them like any other case.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

from oci_conform.model.evidence import HttpExchange
from oci_conform.model.outcome import Outcome
from oci_conform.suites.registry.framework import Case, Judge, NotJudged, Why, judged
from oci_conform.suites.registry.session import CODE_RE, ERROR_CODES

MAX_ERROR_BODIES = 400
MAX_PULLS = 400
MANIFEST_PATH = re.compile(r"^/v2/.+/manifests/([^/]+)$")
BLOB_PATH = re.compile(r"^/v2/.+/blobs/([a-z0-9]+(?:[+._-][a-z0-9]+)*:[A-Za-z0-9=_-]+)$")


# endpoint ids of the spec's endpoint table, per category (pull is requirements.1's)
CATEGORY_ENDPOINTS: dict[str, tuple[str, ...]] = {
    "push": ("end-4a", "end-5", "end-6", "end-7"),
    "content discovery": ("end-8a", "end-8b"),
    "content management": ("end-9", "end-10"),
}


def endpoint_of(method: str, url: str, status: int) -> str:
    """The endpoint id an exchange used successfully, or "" (by method and path shape;
    upload sessions are recognised by method, since their Location is the registry's)."""
    parts = urlsplit(url)
    path, query = parts.path, parse_qs(parts.query)
    if method == "POST" and path.endswith("/blobs/uploads/") and "mount" not in query \
            and "digest" not in query and status == 202:
        return "end-4a"
    if method == "PATCH" and status == 202:
        return "end-5"
    if method == "PUT" and "/manifests/" in path:
        return "end-7" if status == 201 else ""
    if method == "PUT" and "digest" in query and status == 201:
        return "end-6"
    if method == "GET" and path.endswith("/tags/list") and status == 200:
        return "end-8b" if "n" in query else "end-8a"
    if method == "DELETE" and status == 202:
        if "/manifests/" in path:
            return "end-9"
        if "/blobs/" in path and "/blobs/uploads/" not in path:
            return "end-10"
    return ""


@dataclass
class Observed:
    """What every exchange of the run showed: working endpoints, redirects, 429s."""

    worked: set[str] = field(default_factory=set)
    redirects: list[tuple[str, int, str]] = field(default_factory=list)
    too_many: list[tuple[str, str | None]] = field(default_factory=list)
    error_bodies: list[tuple[str, str]] = field(default_factory=list)   # 4xx with a body
    # successful GET/HEAD of manifests and GET of blobs: (line, kind, method, ref, headers)
    pulls: list[tuple[str, str, str, str, dict[str, str]]] = field(default_factory=list)

    def add(self, exchanges: list[HttpExchange]) -> None:
        for ex in exchanges:
            headers = {k.lower(): v for k, v in ex.response_headers.items()}
            code = ex.status or 0
            if 300 <= code < 400 and code != 304:
                self.redirects.append((ex.line(), code, headers.get("location", "")))
            elif code == 429:
                self.too_many.append((ex.line(), headers.get("retry-after")))
            if 400 <= code < 500 and ex.response_body.strip() and \
                    len(self.error_bodies) < MAX_ERROR_BODIES:
                self.error_bodies.append((ex.line(), ex.response_body))
            if code == 200 and ex.method in ("GET", "HEAD") and \
                    len(self.pulls) < MAX_PULLS:
                path = urlsplit(ex.url).path
                man, blob = MANIFEST_PATH.match(path), BLOB_PATH.match(path)
                if man:
                    self.pulls.append((ex.line(), "manifest", ex.method, man.group(1), headers))
                elif blob and ex.method == "GET":
                    self.pulls.append((ex.line(), "blob", ex.method, blob.group(1), headers))
            point = endpoint_of(ex.method, ex.url, code)
            if point:
                self.worked.add(point)


WARNING_RE = re.compile(r'\s*(\d{3}) ([^\s",]+) "((?:[^"\\]|\\.)*)"(?: "([^"]*)")?\s*(?:,|$)')


def split_warnings(value: str) -> list[tuple[str, str, str, str | None]]:
    """One Warning field value (several joined by commas) as (item, code, agent, date).

    Quoted texts may hold commas; a part that is not a warning-value comes back whole with
    an empty code, so the caller can fail it."""
    out: list[tuple[str, str, str, str | None]] = []
    pos = 0
    while pos < len(value) and value[pos:].strip():
        match = WARNING_RE.match(value, pos)
        if not match:
            out.append((value[pos:].strip(), "", "", None))
            break
        out.append((match.group(0).strip().rstrip(",").strip(), match.group(1),
                    match.group(2), match.group(4)))
        pos = match.end()
    return out


def _json_object(text: str) -> dict[str, Any] | None:
    """A recorded body as a JSON object, or None (not JSON, or cut by the recorder)."""
    try:
        doc = json.loads(text)
    except ValueError:
        return None
    return doc if isinstance(doc, dict) else None


def _http_date(value: str) -> bool:
    try:
        return parsedate_to_datetime(value) is not None
    except (TypeError, ValueError, IndexError):
        return False


@dataclass
class RunRecord:
    """What the run has seen so far, for the run-wide judgments."""

    read_only: bool = False
    observed: Observed = field(default_factory=Observed)
    warnings: list[tuple[str, str]] = field(default_factory=list)
    warning_bytes: dict[str, int] = field(default_factory=dict)   # per response
    group_results: dict[str, list[tuple[str, Outcome]]] = field(default_factory=dict)

    def add(self, exchanges: list[HttpExchange]) -> None:
        self.observed.add(exchanges)
        for ex in exchanges:
            for key, value in ex.response_headers.items():
                if key.lower() == "warning":
                    self.warnings.append((ex.line(), value))
                    self.warning_bytes[ex.line()] = self.warning_bytes.get(ex.line(), 0) \
                        + len(value)


def warning_headers(r: RunRecord, j: Judge) -> None:
    """Warning headers seen anywhere in the run: form ``299 - "text"``, 4096 bytes at most."""
    if not r.warnings:
        for clause in ("dist.spec.warnings.2", "dist.spec.warnings.3", "dist.spec.warnings.1"):
            j.not_judged(clause, Why.ABSENT, "no Warning header was seen in the run")
        return
    for line, value in r.warnings:
        for item, code, agent, date in split_warnings(value):
            ok = code == "299" and agent == "-" and date is None
            j.check("dist.spec.warnings.2", ok, f"Warning {item[:80]!r}" + (
                    "" if code else " is not a warning-value (code agent \"text\")") + (
                    f" has a warn-date {date!r}" if date is not None else ""),
                    expected='299 - "<text>" (no date)', actual=item[:200], location=line)
    for line, total in r.warning_bytes.items():
        j.check("dist.spec.warnings.3", total <= 4096, f"{total} bytes of Warning headers",
                expected="<= 4096 bytes per response", actual=total, location=line)
    line, value = r.warnings[0]
    j.check("dist.spec.warnings.1", value.strip().startswith("299 "),
            f"{len(r.warnings)} Warning header(s) seen, e.g. {value[:80]!r}",
            expected="informational warnings (299)", actual=value[:200], location=line)


def redirects(r: RunRecord, j: Judge) -> None:
    """api.2-c: a redirect is allowed anywhere; RFC 9110 wants it to name its target."""
    if not r.observed.redirects:
        j.not_judged("dist.spec.api.2-c", Why.ABSENT, "the registry sent no redirect in this run")
        return
    for line, code, location in r.observed.redirects[:20]:
        j.check("dist.spec.api.2-c", bool(location), f"HTTP {code} redirect"
                + (f" to {location[:100]}" if location else " without Location"),
                expected="a 3xx with a Location header", actual=location or "no Location",
                location=line)


def retry_after(r: RunRecord, j: Judge) -> None:
    """error-codes.6: every 429 seen carries Retry-After (seconds or an HTTP date)."""
    if not r.observed.too_many:
        j.not_judged("dist.spec.error-codes.6", Why.ABSENT, "the registry sent no 429 in this run")
        return
    for line, value in r.observed.too_many[:20]:
        ok = value is not None and (value.strip().isdigit() or _http_date(value))
        j.check("dist.spec.error-codes.6", bool(ok), f"429 with Retry-After {value!r}",
                expected="Retry-After: <seconds> or <HTTP-date>", actual=value, location=line)


def error_bodies(r: RunRecord, j: Judge) -> None:
    """error-codes.1/2/3/5 on every 4xx body of the run that is JSON (cut bodies and
    other formats are left out: the spec only shapes JSON error bodies)."""
    seen = 0
    for line, text in r.observed.error_bodies:
        doc = _json_object(text)
        if doc is None:
            continue
        seen += 1
        errors = doc.get("errors")
        items = errors if isinstance(errors, list) else []
        shaped = bool(items) and all(isinstance(i, dict) and isinstance(i.get("code"), str)
                                     for i in items)
        j.check("dist.spec.error-codes.1", shaped, "JSON 4xx body " + (
                "has" if shaped else "lacks") + " an errors list of objects with a code",
                expected='{"errors":[{"code":..., "message":..., "detail":...}]}',
                actual=text[:300], location=line)
        if not shaped:
            continue
        codes = [str(i["code"]) for i in items]
        bad = [c for c in codes if not CODE_RE.match(c)]
        j.check("dist.spec.error-codes.2", not bad, f"codes {codes}", expected="[A-Z_]+",
                actual=bad, location=line)
        msgs = [i["message"] for i in items if "message" in i
                and not isinstance(i["message"], str)]
        j.check("dist.spec.error-codes.3", not msgs, "message fields are strings",
                expected="string", actual=msgs, location=line)
        unknown = [c for c in codes if c not in ERROR_CODES]
        j.check("dist.spec.error-codes.5", not unknown, f"codes {codes}" + (
                f"; not in the spec's table: {unknown}" if unknown else ""),
                expected=", ".join(sorted(ERROR_CODES)), actual=unknown, location=line)
    for clause in ("dist.spec.error-codes.1", "dist.spec.error-codes.2",
                   "dist.spec.error-codes.3", "dist.spec.error-codes.5"):
        if not judged(j, clause):
            j.not_judged(clause, Why.ABSENT, f"no JSON 4xx error body to judge ({seen} seen)")


def pull_responses(r: RunRecord, j: Judge) -> None:
    """Headers of every successful manifest GET/HEAD and blob GET of the run."""
    for line, kind, method, ref, headers in r.observed.pulls:
        dcd = headers.get("docker-content-digest")
        if kind == "blob":
            j.check("dist.spec.pulling-blobs.digest-header-required", dcd is not None,
                    "blob GET carries Docker-Content-Digest", expected="Docker-Content-Digest",
                    actual=dcd or "absent", location=line)
            continue
        ctype = headers.get("content-type", "")
        j.check("dist.spec.pulling-manifests.6", ";" not in ctype,
                f"manifest Content-Type {ctype!r}", expected="no parameters", actual=ctype,
                location=line)
        if method == "GET":
            for clause in ("dist.spec.pulling-manifests.11",
                           "dist.spec.pulling-manifests.digest-header-required"):
                j.check(clause, dcd is not None, "manifest GET carries Docker-Content-Digest",
                        expected="Docker-Content-Digest", actual=dcd or "absent", location=line)
        if dcd is not None and ":" in ref and dcd.split(":")[0] == ref.split(":")[0]:
            j.check("dist.spec.pulling-manifests.12", dcd == ref, f"{method} by digest: "
                    f"Docker-Content-Digest {dcd[:30]}", expected=ref, actual=dcd,
                    location=line)
    for clause in ("dist.spec.pulling-manifests.6", "dist.spec.pulling-manifests.11",
                   "dist.spec.pulling-manifests.digest-header-required",
                   "dist.spec.pulling-manifests.12",
                   "dist.spec.pulling-blobs.digest-header-required"):
        if not judged(j, clause):
            j.not_judged(clause, Why.ABSENT, "no successful pull of this kind was seen in the run")


def claimed_categories(r: RunRecord, j: Judge) -> None:
    """requirements.3: a category with one working endpoint must have all of them."""
    if r.read_only:
        raise NotJudged(Why.NOT_SELECTED, "read-only mode exercises no push or management "
                                          "endpoint")
    worked = r.observed.worked
    claimed = False
    for category, endpoints in CATEGORY_ENDPOINTS.items():
        if not any(e in worked for e in endpoints):
            j.note(f"{category}: no endpoint answered success; category not claimed")
            continue
        claimed = True
        missing = [e for e in endpoints if e not in worked]
        j.check("dist.spec.requirements.3", not missing, f"{category}: endpoints that worked: "
                f"{', '.join(e for e in endpoints if e in worked)}",
                expected=f"every {category} endpoint ({', '.join(endpoints)}) answers "
                "success at least once", actual=f"never succeeded: {', '.join(missing)}"
                if missing else "all", location=category)
    if not claimed:
        j.not_judged("dist.spec.requirements.3", Why.NOT_OFFERED,
                     "no push, discovery or management endpoint worked in this run")


def _category_failures(r: RunRecord, groups: tuple[str, ...], what: str
                       ) -> tuple[int, list[str]]:
    outcomes = [(name, o) for g in groups for name, o in r.group_results.get(g, [])]
    failed = sorted({name for name, o in outcomes if o == Outcome.FAIL})
    judged_n = sum(1 for _, o in outcomes if o in (Outcome.PASS, Outcome.FAIL))
    if not judged_n:
        raise NotJudged(Why.NOT_SELECTED, f"no {what} case was judged in this run")
    return judged_n, failed


def pull_category(r: RunRecord, j: Judge) -> None:
    """requirements.1: every pull case passes."""
    n, failed = _category_failures(r, ("pull",), "pull")
    j.check("dist.spec.requirements.1", not failed, f"{n} pull checks, failing cases: "
            f"{', '.join(failed) or 'none'}", expected="every pull case passes",
            actual=", ".join(failed))


def other_categories(r: RunRecord, j: Judge) -> None:
    """requirements.2: every push, discovery and management case passes."""
    what = "push/discovery/management"
    n, failed = _category_failures(r, ("push", "discovery", "referrers", "management"), what)
    j.check("dist.spec.requirements.2", not failed, f"{n} {what} checks, failing cases: "
            f"{', '.join(failed) or 'none'}", expected=f"every {what} case passes",
            actual=", ".join(failed))


SUMMARY_CASES: list[Case] = [
    Case("warning-headers", "errors", ("dist.spec.warnings.2", "dist.spec.warnings.3",
                                       "dist.spec.warnings.1"), warning_headers, write=False),
    Case("pull-category", "summary", ("dist.spec.requirements.1",), pull_category,
         write=False),
    Case("push-discovery-management-categories", "summary", ("dist.spec.requirements.2",),
         other_categories),
    Case("redirects", "summary", ("dist.spec.api.2-c",), redirects, write=False),
    Case("rate-limit-retry-after", "errors", ("dist.spec.error-codes.6",), retry_after,
         write=False),
    Case("claimed-categories-complete", "summary", ("dist.spec.requirements.3",),
         claimed_categories),
    Case("error-bodies-run-wide", "errors", ("dist.spec.error-codes.1", "dist.spec.error-codes.2",
                                             "dist.spec.error-codes.3", "dist.spec.error-codes.5"),
         error_bodies, write=False),
    Case("pull-responses-run-wide", "pull", (
        "dist.spec.pulling-manifests.6", "dist.spec.pulling-manifests.11",
        "dist.spec.pulling-manifests.digest-header-required", "dist.spec.pulling-manifests.12",
        "dist.spec.pulling-blobs.digest-header-required"), pull_responses, write=False),
]
