"""Run the registry cases against one registry and turn verdicts into CaseResults."""
from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests

from oci_conform.catalog.loader import Catalog
from oci_conform.drivers.registry_http import Exchange, RegistryClient
from oci_conform.model.outcome import Outcome
from oci_conform.model.results import CaseResult, Finding
from oci_conform.suites.base import Selection
from oci_conform.suites.registry import cases_discovery, cases_manage, cases_pull, cases_push
from oci_conform.suites.registry.framework import (
    MAX_EXCHANGES,
    Case,
    CaseError,
    CaseSkip,
    Judge,
    Verdict,
)
from oci_conform.suites.registry.session import CODE_RE, ERROR_CODES, FixtureError, Session

SPEC = "distribution-spec"
P = "dist.spec."
CLEANUP_CLAUSE = "harness.registry.cleanup"
WARN_CLAUSES = (P + "warnings.2", P + "warnings.3", P + "warnings.1")
REDIRECT = P + "api.2-c"
RETRY_AFTER = P + "error-codes.6"
REQ_CLAIMED = P + "requirements.3"
EC = P + "error-codes."
RUN_ERRORS = (EC + "1", EC + "2", EC + "3", EC + "5")
MAX_ERROR_BODIES = 400
PM, PB = P + "pulling-manifests.", P + "pulling-blobs."
RUN_PULLS = (PM + "6", PM + "11", PM + "digest-header-required", PM + "12",
             PB + "digest-header-required")
MAX_PULLS = 400
MANIFEST_PATH = re.compile(r"^/v2/.+/manifests/([^/]+)$")
BLOB_PATH = re.compile(r"^/v2/.+/blobs/([a-z0-9]+(?:[+._-][a-z0-9]+)*:[A-Za-z0-9=_-]+)$")
REQ_PULL = P + "requirements.1"
REQ_OTHER = P + "requirements.2"
MAX_EXCHANGES_QUIET = 12      # exchanges kept for a pass / n/a / skip (fails keep 40)
PROFILES = {"v1.0": "1.0.0", "v1.1": "1.1.1", "dev": "main"}


def _summary_warnings(s: Session, j: Judge) -> None:
    """Warning headers seen anywhere in the run: form ``299 - "text"``, 4096 bytes at most."""
    raise NotImplementedError  # replaced by the runner, which holds every exchange


CASES: list[Case] = [*cases_pull.CASES, *cases_push.CASES, *cases_discovery.CASES,
                     *cases_manage.CASES]
SUMMARY_CASES: list[Case] = [
    Case("warning-headers", "errors", WARN_CLAUSES, _summary_warnings, write=False),
    Case("pull-category", "summary", (REQ_PULL,), _summary_warnings, write=False),
    Case("push-discovery-management-categories", "summary", (REQ_OTHER,), _summary_warnings),
    Case("redirects", "summary", (REDIRECT,), _summary_warnings, write=False),
    Case("rate-limit-retry-after", "errors", (RETRY_AFTER,), _summary_warnings, write=False),
    Case("claimed-categories-complete", "summary", (REQ_CLAIMED,), _summary_warnings),
    Case("error-bodies-run-wide", "errors", RUN_ERRORS, _summary_warnings, write=False),
    Case("pull-responses-run-wide", "pull", RUN_PULLS, _summary_warnings, write=False),
]


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

    def add(self, exchanges: list[Exchange]) -> None:
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


def _relevant_first(exchanges: list[Exchange], verdict: Verdict) -> list[Exchange]:
    """The exchanges a finding points at first (a failing cell shows its request on top)."""
    places = {f.location for f in verdict.findings if f.location} | set(verdict.locations)
    if not places:
        return exchanges
    hit = [e for e in exchanges if f"{e.method} {e.url}" in places]
    chosen = {id(e) for e in hit}
    return hit + [e for e in exchanges if id(e) not in chosen]


def all_cases() -> list[Case]:
    return [*CASES, *SUMMARY_CASES]


def all_clause_ids() -> set[str]:
    ids = {c for case in all_cases() for c in case.clauses}
    ids.add(CLEANUP_CLAUSE)
    return ids


def check_count() -> int:
    """Declared checks: one per (case, clause)."""
    return sum(len(case.clauses) for case in all_cases())


@dataclass
class RunOptions:
    profile: str = "v1.1"
    read_only: bool = False
    namespace: str = ""
    selection: Selection = field(default_factory=Selection)


class RegistryRun:
    """One registry, one profile: runs every selected case, then the summaries, then cleanup."""

    def __init__(self, client: RegistryClient, catalog: Catalog, impl_name: str,
                 options: RunOptions, progress: Callable[[str], None] = lambda _m: None):
        self.client = client
        self.catalog = catalog
        self.impl = impl_name
        self.options = options
        self.version = PROFILES.get(options.profile, options.profile)
        self.progress = progress
        self.session = Session(client, options.namespace, options.read_only, self.version)
        self.known = frozenset(catalog.clauses)
        self.warnings: list[tuple[str, str]] = []
        self.warning_bytes: dict[str, int] = {}      # per response: combined Warning size
        self.group_results: dict[str, list[tuple[str, Outcome]]] = {}
        self.observed = Observed()

    # -- per case -----------------------------------------------------------------------

    def _not_in_force(self, case: Case, clause: str) -> str:
        spec = self.catalog.specs.get(SPEC)
        if case.since and spec and self.version in spec.versions and case.since in spec.versions \
                and spec.index(self.version) < spec.index(case.since):
            return f"{case.name} concerns an API added in distribution-spec {case.since}"
        entry = self.catalog.clauses.get(clause)
        if entry is not None and spec is not None and not entry.holds_for(spec, self.version):
            return f"{clause} is not in force in distribution-spec {self.version}"
        return ""

    def run_case(self, case: Case, body: Callable[[Session, Judge], None]) -> list[CaseResult]:
        dropped = frozenset(c for c in case.clauses if c not in self.known)
        judge = Judge(case, dropped)
        started = time.monotonic()
        not_in_force = {c: r for c in case.clauses if (r := self._not_in_force(case, c))}
        missing, reason = Outcome.ERROR, "the case ended without judging this clause"
        if len(not_in_force) == len(case.clauses):
            for clause, why in not_in_force.items():
                judge.na(clause, why)
        elif case.write and self.options.read_only:
            missing, reason = Outcome.SKIP, "read-only mode: this case pushes content"
        else:
            self.client.take()
            try:
                body(self.session, judge)
            except CaseSkip as exc:
                missing, reason = Outcome.SKIP, str(exc)
            except (CaseError, FixtureError) as exc:
                missing, reason = Outcome.ERROR, str(exc)
            except requests.RequestException as exc:
                missing, reason = Outcome.ERROR, f"HTTP failure: {type(exc).__name__}: {exc}"
            except Exception as exc:  # a bug in one case must not stop the others
                missing, reason = Outcome.ERROR, f"case crashed: {type(exc).__name__}: {exc}"
            for clause, why in not_in_force.items():
                judge.verdicts[clause] = Verdict(clause, Outcome.NA, why)
        exchanges = self.client.take()
        self._collect_warnings(exchanges)
        self.observed.add(exchanges)
        duration = time.monotonic() - started
        return [self._result(case, v, exchanges, judge.notes, duration)
                for v in judge.finish(missing, reason)]

    def _result(self, case: Case, verdict: Verdict, exchanges: list[Exchange],
                notes: list[str], duration: float) -> CaseResult:
        evidence: dict[str, Any] = {"profile": self.options.profile,
                                    "spec_version": self.version, "group": case.group}
        if exchanges:
            exchanges = _relevant_first(exchanges, verdict)
            keep = MAX_EXCHANGES if verdict.outcome in (Outcome.FAIL, Outcome.ERROR) \
                else MAX_EXCHANGES_QUIET
            evidence["http"] = [e.to_dict() for e in exchanges[:keep]]
            if len(exchanges) > keep:
                evidence["http_omitted"] = len(exchanges) - keep
        if notes:
            evidence["notes"] = notes
        if self.client.withheld:
            evidence["credentials_withheld"] = self.client.withheld
        message = verdict.message or ""
        return CaseResult(clause=verdict.clause, implementation=self.impl,
                          outcome=verdict.outcome, case=f"registry:{case.name}",
                          message=message[:400], findings=verdict.findings, evidence=evidence,
                          duration=duration)

    def _collect_warnings(self, exchanges: list[Exchange]) -> None:
        for ex in exchanges:
            for key, value in ex.response_headers.items():
                if key.lower() == "warning":
                    self.warnings.append((ex.line(), value))
                    self.warning_bytes[ex.line()] = self.warning_bytes.get(ex.line(), 0) \
                        + len(value)

    # -- summaries ----------------------------------------------------------------------

    def _warnings(self, s: Session, j: Judge) -> None:
        if not self.warnings:
            for clause in WARN_CLAUSES:
                j.na(clause, "no Warning header was seen in the run")
            return
        for line, value in self.warnings:
            for item, code, agent, date in split_warnings(value):
                ok = code == "299" and agent == "-" and date is None
                j.check(WARN_CLAUSES[0], ok, f"Warning {item[:80]!r}" + (
                        "" if code else " is not a warning-value (code agent \"text\")") + (
                        f" has a warn-date {date!r}" if date is not None else ""),
                        expected='299 - "<text>" (no date)', actual=item[:200], location=line)
        for line, total in self.warning_bytes.items():
            j.check(WARN_CLAUSES[1], total <= 4096, f"{total} bytes of Warning headers",
                    expected="<= 4096 bytes per response", actual=total, location=line)
        line, value = self.warnings[0]
        j.check(WARN_CLAUSES[2], value.strip().startswith("299 "),
                f"{len(self.warnings)} Warning header(s) seen, e.g. {value[:80]!r}",
                expected="informational warnings (299)", actual=value[:200], location=line)

    def _redirects(self, s: Session, j: Judge) -> None:
        """api.2-c: a redirect is allowed anywhere; RFC 9110 wants it to name its target."""
        if not self.observed.redirects:
            j.na(REDIRECT, "the registry sent no redirect in this run")
            return
        for line, code, location in self.observed.redirects[:20]:
            j.check(REDIRECT, bool(location), f"HTTP {code} redirect"
                    + (f" to {location[:100]}" if location else " without Location"),
                    expected="a 3xx with a Location header", actual=location or "no Location",
                    location=line)

    def _retry_after(self, s: Session, j: Judge) -> None:
        """error-codes.6: every 429 seen carries Retry-After (seconds or an HTTP date)."""
        if not self.observed.too_many:
            j.na(RETRY_AFTER, "the registry sent no 429 in this run")
            return
        for line, value in self.observed.too_many[:20]:
            ok = value is not None and (value.strip().isdigit() or _http_date(value))
            j.check(RETRY_AFTER, bool(ok), f"429 with Retry-After {value!r}",
                    expected="Retry-After: <seconds> or <HTTP-date>", actual=value,
                    location=line)

    def _error_bodies(self, s: Session, j: Judge) -> None:
        """error-codes.1/2/3/5 on every 4xx body of the run that is JSON (cut bodies and
        other formats are left out: the spec only shapes JSON error bodies)."""
        judged = 0
        for line, text in self.observed.error_bodies:
            doc = _json_object(text)
            if doc is None:
                continue
            judged += 1
            errors = doc.get("errors")
            items = errors if isinstance(errors, list) else []
            shaped = bool(items) and all(isinstance(i, dict) and isinstance(i.get("code"), str)
                                         for i in items)
            j.check(RUN_ERRORS[0], shaped, "JSON 4xx body " + ("has" if shaped else "lacks")
                    + " an errors list of objects with a code",
                    expected='{"errors":[{"code":..., "message":..., "detail":...}]}',
                    actual=text[:300], location=line)
            if not shaped:
                continue
            codes = [str(i["code"]) for i in items]
            bad = [c for c in codes if not CODE_RE.match(c)]
            j.check(RUN_ERRORS[1], not bad, f"codes {codes}", expected="[A-Z_]+", actual=bad,
                    location=line)
            msgs = [i["message"] for i in items if "message" in i
                    and not isinstance(i["message"], str)]
            j.check(RUN_ERRORS[2], not msgs, "message fields are strings", expected="string",
                    actual=msgs, location=line)
            unknown = [c for c in codes if c not in ERROR_CODES]
            j.check(RUN_ERRORS[3], not unknown, f"codes {codes}" + (
                    f"; not in the spec's table: {unknown}" if unknown else ""),
                    expected=", ".join(sorted(ERROR_CODES)), actual=unknown, location=line)
        for clause in RUN_ERRORS:
            if clause not in j.verdicts:
                j.na(clause, f"no JSON 4xx error body to judge ({judged} seen)")

    def _pull_responses(self, s: Session, j: Judge) -> None:
        """Headers of every successful manifest GET/HEAD and blob GET of the run."""
        for line, kind, method, ref, headers in self.observed.pulls:
            dcd = headers.get("docker-content-digest")
            if kind == "blob":
                j.check(RUN_PULLS[4], dcd is not None, "blob GET carries Docker-Content-Digest",
                        expected="Docker-Content-Digest", actual=dcd or "absent", location=line)
                continue
            ctype = headers.get("content-type", "")
            j.check(RUN_PULLS[0], ";" not in ctype, f"manifest Content-Type {ctype!r}",
                    expected="no parameters", actual=ctype, location=line)
            if method == "GET":
                for clause in RUN_PULLS[1:3]:
                    j.check(clause, dcd is not None, "manifest GET carries "
                            "Docker-Content-Digest", expected="Docker-Content-Digest",
                            actual=dcd or "absent", location=line)
            if dcd is not None and ":" in ref and dcd.split(":")[0] == ref.split(":")[0]:
                j.check(RUN_PULLS[3], dcd == ref, f"{method} by digest: Docker-Content-Digest "
                        f"{dcd[:30]}", expected=ref, actual=dcd, location=line)
        for clause in RUN_PULLS:
            if clause not in j.verdicts:
                j.na(clause, "no successful pull of this kind was seen in the run")

    def _claimed(self, s: Session, j: Judge) -> None:
        """requirements.3: a category with one working endpoint must have all of them."""
        if self.options.read_only:
            raise CaseSkip("read-only mode exercises no push or management endpoint")
        worked = self.observed.worked
        claimed = False
        for category, endpoints in CATEGORY_ENDPOINTS.items():
            if not any(e in worked for e in endpoints):
                j.note(f"{category}: no endpoint answered success; category not claimed")
                continue
            claimed = True
            missing = [e for e in endpoints if e not in worked]
            j.check(REQ_CLAIMED, not missing, f"{category}: endpoints that worked: "
                    f"{', '.join(e for e in endpoints if e in worked)}",
                    expected=f"every {category} endpoint ({', '.join(endpoints)}) answers "
                    "success at least once", actual=f"never succeeded: {', '.join(missing)}"
                    if missing else "all", location=category)
        if not claimed:
            j.na(REQ_CLAIMED, "no push, discovery or management endpoint worked in this run")

    def _category(self, groups: tuple[str, ...], clause: str, what: str) -> Callable[
            [Session, Judge], None]:
        def judge(s: Session, j: Judge) -> None:
            outcomes = [(name, o) for g in groups for name, o in self.group_results.get(g, [])]
            failed = sorted({name for name, o in outcomes if o == Outcome.FAIL})
            judged = [o for _, o in outcomes if o in (Outcome.PASS, Outcome.FAIL)]
            if not judged:
                raise CaseSkip(f"no {what} case was judged in this run")
            j.check(clause, not failed, f"{len(judged)} {what} checks, failing cases: "
                    f"{', '.join(failed) or 'none'}", expected=f"every {what} case passes",
                    actual=", ".join(failed))
        return judge

    # -- the run ------------------------------------------------------------------------

    def run(self) -> Iterator[CaseResult]:
        sel = self.options.selection
        bodies: dict[str, Callable[[Session, Judge], None]] = {
            "warning-headers": self._warnings,
            "pull-category": self._category(("pull",), REQ_PULL, "pull"),
            "push-discovery-management-categories": self._category(
                ("push", "discovery", "referrers", "management"), REQ_OTHER,
                "push/discovery/management"),
            "redirects": self._redirects,
            "rate-limit-retry-after": self._retry_after,
            "claimed-categories-complete": self._claimed,
            "error-bodies-run-wide": self._error_bodies,
            "pull-responses-run-wide": self._pull_responses,
        }
        try:
            for case in CASES:
                if not sel.wants(case.clauses, case.group, case.name):
                    continue
                self.progress(f"[registry] {self.impl}: {case.name}")
                results = self.run_case(case, case.run)
                for r in results:
                    self.group_results.setdefault(case.group, []).append((case.name, r.outcome))
                yield from results
            for case in SUMMARY_CASES:
                if sel.wants(case.clauses, case.group, case.name):
                    yield from self.run_case(case, bodies[case.name])
        finally:
            cleanup = self._cleanup()
        if cleanup is not None:
            yield cleanup

    def _cleanup(self) -> CaseResult | None:
        if self.options.read_only:
            return None
        self.client.take()
        started = time.monotonic()
        try:
            left = self.session.cleanup()
        except Exception as exc:  # report, never raise from cleanup
            left = [f"cleanup stopped: {type(exc).__name__}: {exc}"]
        exchanges = self.client.take()
        pushed = len(self.session.ledger.manifests) + len(self.session.ledger.blobs)
        evidence: dict[str, Any] = {"removed": pushed - len(left), "pushed": pushed,
                                    "left": left}
        failing = [e for e in exchanges if e.status not in (200, 202, 204, 404)]
        if failing:
            evidence["http"] = [e.to_dict() for e in failing[:MAX_EXCHANGES]]
        if CLEANUP_CLAUSE not in self.known:
            return None
        if not pushed:
            return CaseResult(CLEANUP_CLAUSE, self.impl, Outcome.NA, case="registry:cleanup",
                              message="nothing was pushed", evidence=evidence)
        outcome = Outcome.FAIL if left else Outcome.PASS
        message = (f"removed all {pushed} manifests and blobs pushed" if not left else
                   f"could not remove {len(left)} of {pushed} items: {'; '.join(left[:5])}")
        return CaseResult(CLEANUP_CLAUSE, self.impl, outcome, case="registry:cleanup",
                          message=message[:400], evidence=evidence,
                          findings=[Finding(message=line, location=line.split(":")[0])
                                    for line in left[:50]],
                          duration=time.monotonic() - started)
