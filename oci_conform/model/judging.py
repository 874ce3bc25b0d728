"""The judging core: observations in, one verdict per clause out.

Every check, case and suite judges through this module, so the rules below hold once:

- an ``Observation`` is one thing seen for one clause: ``pass``, ``fail`` (with a finding),
  ``error`` (the harness could not judge), or a reason why it was not judged;
- why something was not judged decides its outcome in one table (``NOT_JUDGED``): this host
  cannot run it -> ``skip``; it does not apply to this subject -> ``n/a``;
- a clause not in force at the version judged is ``n/a`` everywhere (``not_in_force``);
- ``roll_up`` folds observations into one ``Verdict`` per clause with one severity order
  (``outcome.SEVERITY``), streaming, with findings capped and the rest counted;
- a clause declared but never observed is never a pass: static checks say ``n/a`` (nothing in
  the subject it applies to), behaviour cases say ``error`` (the case did not observe it).
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from itertools import repeat
from typing import Any, Protocol

from oci_conform.model.evidence import Evidence
from oci_conform.model.outcome import RANK, Outcome
from oci_conform.model.results import CaseResult, Finding

MAX_FINDINGS = 50            # findings kept per clause; the rest are counted


class Why(StrEnum):
    """Why a clause was not judged on a subject. ``NOT_JUDGED`` maps each to its outcome."""

    HOST_LIMIT = "host-limit"              # this host cannot run it (probe says so)
    NOT_INSTALLED = "not-installed"        # the implementation is not on this host
    NOT_SELECTED = "not-selected"          # the user's options leave it out (read-only, ...)
    NOT_IN_FORCE = "not-in-force"          # the clause does not hold at the version judged
    OTHER_PLATFORM = "other-platform"      # the clause binds another platform
    ABSENT = "absent"                      # the subject has nothing it applies to
    NOT_OFFERED = "not-offered"            # an optional feature the subject does not offer
    OTHER_SUBJECT = "other-subject"        # the clause binds someone else (producer vs consumer)


# skip: could not be run here; n/a: does not apply to this subject.
NOT_JUDGED: dict[Why, Outcome] = {
    Why.HOST_LIMIT: Outcome.SKIP, Why.NOT_INSTALLED: Outcome.SKIP,
    Why.NOT_SELECTED: Outcome.SKIP,
    Why.NOT_IN_FORCE: Outcome.NA, Why.OTHER_PLATFORM: Outcome.NA, Why.ABSENT: Outcome.NA,
    Why.NOT_OFFERED: Outcome.NA, Why.OTHER_SUBJECT: Outcome.NA,
}
JUDGED = frozenset({Outcome.PASS, Outcome.FAIL, Outcome.ERROR})


@dataclass(frozen=True, slots=True)
class Observation:
    """One thing seen (or not judged) for one clause."""

    clause: str
    outcome: Outcome                 # pass, fail, error, skip or n/a
    message: str = ""
    finding: Finding | None = None   # what is wrong, where (fail and error)
    why: Why | None = None           # set when not judged


def passed(clause: str, message: str = "") -> Observation:
    if message:
        return Observation(clause, Outcome.PASS, message)
    found = _PLAIN_PASSES.get(clause)       # observations are immutable: one per clause
    if found is None:
        if len(_PLAIN_PASSES) >= 4096:
            _PLAIN_PASSES.clear()
        found = _PLAIN_PASSES[clause] = Observation(clause, Outcome.PASS)
    return found


_PLAIN_PASSES: dict[str, Observation] = {}


def plain_passes(clauses: Iterable[str]) -> list[Observation]:
    """``passed(c)`` for each clause of ``clauses``, in one call."""
    known = _PLAIN_PASSES
    return [known.get(c) or passed(c) for c in clauses]


def failed(clause: str, message: str, *, location: str = "", expected: Any = "",
           actual: Any = "", file: str = "", line: int = 0, column: int = 0) -> Observation:
    finding = Finding(message=message, location=location, expected=str(expected),
                      actual=_short(actual), file=file, line=line, column=column)
    return Observation(clause, Outcome.FAIL, message, finding)


def observed(clause: str, ok: bool, message: str, **where: Any) -> Observation:
    """``passed`` when ``ok``, else ``failed`` with the same message and place."""
    return passed(clause, message) if ok else failed(clause, message, **where)


def errored(clause: str, message: str, *, location: str = "") -> Observation:
    finding = Finding(message=message, location=location)
    return Observation(clause, Outcome.ERROR, message, finding)


def not_judged(clause: str, why: Why, reason: str) -> Observation:
    """A clause left unjudged: the one place that decides ``skip`` versus ``n/a``."""
    return Observation(clause, NOT_JUDGED[why], reason, why=why)


def not_in_force(clause: str, reason: str) -> Observation:
    return not_judged(clause, Why.NOT_IN_FORCE, reason)


class VersionedClause(Protocol):
    """What the in-force rule needs of a catalog clause."""

    id: str
    since: str
    until: str
    platform: str

    def holds_for(self, spec: Any, version: str) -> bool: ...


def in_force(clause: VersionedClause, spec: Any, version: str, platform: str = ""
             ) -> Observation | None:
    """``None`` when ``clause`` holds at ``version`` on ``platform``; else the n/a observation.

    The one in-force rule: since/until against the spec's version list (a version the catalog
    does not know is taken as in force), and the clause's platform against the subject's.
    """
    if platform and clause.platform and clause.platform != platform:
        return not_judged(clause.id, Why.OTHER_PLATFORM,
                          f"binds the {clause.platform} platform, not {platform}")
    if version and not clause.holds_for(spec, version):
        span = (f"since {clause.since}" if clause.since else "") + (
            f"{', ' if clause.since else ''}until {clause.until}" if clause.until else "")
        return not_in_force(clause.id, f"not in force at version {version} ({span})")
    return None


@dataclass
class Verdict:
    """All observations of one clause on one subject, rolled up."""

    clause: str
    outcome: Outcome
    message: str = ""
    findings: list[Finding] = field(default_factory=list)
    omitted: int = 0                              # findings beyond the cap
    counts: dict[Outcome, int] = field(default_factory=dict)     # observations per outcome

    def summary(self) -> str:
        """The message plus how many parts went which way when they differ."""
        if len(self.counts) < 2:
            return self.message
        parts = [f"{n} {o.value}" for o, n in sorted(self.counts.items(),
                                                     key=lambda kv: RANK[kv[0]])]
        mixed = len(self.counts) > 1
        return self.message + (f" ({', '.join(parts)})" if mixed else "")


class _Fold:
    """The running roll-up of one clause (first messages kept, findings capped)."""

    __slots__ = ("clause", "outcome", "messages", "findings", "omitted", "counts", "cap")

    def __init__(self, clause: str, cap: int):
        self.clause, self.cap = clause, cap
        self.outcome: Outcome | None = None
        self.messages: dict[Outcome, list[str]] = {}
        self.findings: dict[Outcome, list[Finding]] = {}
        # plain dicts: a Counter costs several times more to make, and there is one per
        # clause per subject (hundreds per config document)
        self.omitted: dict[Outcome, int] = {}
        self.counts: dict[Outcome, int] = {}

    def add(self, obs: Observation, times: int = 1) -> None:
        """Fold in ``obs`` seen ``times`` times (as that many calls with 1 would)."""
        o = obs.outcome
        self.counts[o] = self.counts.get(o, 0) + times
        if self.outcome is None or RANK[o] < RANK[self.outcome]:
            self.outcome = o
        msgs = self.messages.setdefault(o, [])
        if obs.message and len(msgs) < 3 and obs.message not in msgs:
            msgs.append(obs.message)
        if obs.finding is not None:
            kept = self.findings.setdefault(o, [])
            room = min(max(self.cap - len(kept), 0), times)
            kept.extend(repeat(obs.finding, room))
            if times > room:
                self.omitted[o] = self.omitted.get(o, 0) + times - room

    def verdict(self) -> Verdict:
        assert self.outcome is not None
        o = self.outcome
        msgs = self.messages.get(o, [])
        n = self.counts[o]
        message = "; ".join(msgs)
        if o is Outcome.FAIL and n > len(msgs):
            message += f" (and {n - len(msgs)} more)"
        return Verdict(self.clause, o, message[:500], list(self.findings.get(o, [])),
                       self.omitted.get(o, 0), self.counts)


def roll_up(observations: Iterable[Observation], declared: Iterable[str] = (), *,
            unobserved: Outcome = Outcome.NA,
            unobserved_reason: str = "nothing in this subject it applies to",
            max_findings: int = MAX_FINDINGS) -> dict[str, Verdict]:
    """One verdict per clause, in declared order then first-seen order.

    A declared clause nobody observed gets ``unobserved`` (``n/a`` for static checks,
    ``error`` for behaviour cases): never ``pass``.
    """
    return roll_up_repeated(((obs, 1) for obs in observations), declared,
                            unobserved=unobserved, unobserved_reason=unobserved_reason,
                            max_findings=max_findings)


def roll_up_repeated(observations: Iterable[tuple[Observation, int]],
                     declared: Iterable[str] = (), *, unobserved: Outcome = Outcome.NA,
                     unobserved_reason: str = "nothing in this subject it applies to",
                     max_findings: int = MAX_FINDINGS) -> dict[str, Verdict]:
    """``roll_up`` of observations each seen a number of times: ``(obs, n)`` counts as ``obs``
    given ``n`` times over, in one step (a layer's 20,000 "entry path is inside the root"
    passes are one pair, not 20,000 observations)."""
    if unobserved is Outcome.PASS:
        raise ValueError("an unobserved clause can never pass")
    # only clauses observed (most declared ones are not); a clause seen once keeps its one
    # observation, and gets a _Fold only when a second one comes (most are seen once)
    folds: dict[str, _Fold | Observation] = {}
    for obs, times in observations:
        if times <= 0:
            continue
        fold = folds.get(obs.clause)
        if fold is None and times == 1:
            folds[obs.clause] = obs
            continue
        if fold is None or isinstance(fold, Observation):
            first, fold = fold, _Fold(obs.clause, max_findings)
            folds[obs.clause] = fold
            if first is not None:
                fold.add(first)
        fold.add(obs, times)
    out: dict[str, Verdict] = {}
    for cid in declared:
        if cid not in out:
            fold = folds.get(cid)
            out[cid] = Verdict(cid, unobserved, unobserved_reason) if fold is None \
                else _verdict(fold, max_findings)
    for cid, fold in folds.items():
        if cid not in out:
            out[cid] = _verdict(fold, max_findings)
    return out


def _verdict(fold: _Fold | Observation, cap: int) -> Verdict:
    """The verdict of a fold, or of a clause's only observation (what a _Fold of that one
    observation would give, without making one)."""
    if not isinstance(fold, Observation):
        return fold.verdict()
    obs = fold
    o, message, finding = obs.outcome, obs.message, obs.finding
    if o is Outcome.FAIL and not message:
        message = " (and 1 more)"
    findings: list[Finding] = []
    omitted = 0
    if finding is not None:
        if cap > 0:
            findings = [finding]
        else:
            omitted = 1
    return Verdict(obs.clause, o, message[:500], findings, omitted, {o: 1})


def case_results(verdicts: Iterable[Verdict], implementation: str, case: str, *,
                 evidence: Evidence | None = None, duration: float = 0.0) -> Iterator[CaseResult]:
    """CaseResults from verdicts: the one way a verdict becomes a results entry."""
    shared = evidence if evidence else None     # an empty one is made anew for each entry
    for v in verdicts:
        message = v.message if len(v.counts) < 2 else v.summary()
        yield CaseResult(v.clause, implementation, v.outcome, case, message, v.findings,
                         shared if shared is not None else Evidence(), duration,
                         omitted_findings=v.omitted)


def rolled_results(observations: Iterable[Observation], declared: Iterable[str],
                   implementation: str, case: str, *, evidence: Evidence | None = None,
                   unobserved: Outcome = Outcome.NA,
                   unobserved_reason: str = "nothing in this subject it applies to",
                   max_findings: int = MAX_FINDINGS,
                   place: Callable[[Finding], Finding] | None = None,
                   pass_message: Callable[[int], str] | None = None,
                   first: Mapping[str, Observation] | None = None) -> list[CaseResult]:
    """``roll_up`` then ``case_results`` in one pass: the same entries in the same order,
    without a ``Verdict`` for a clause seen once or not at all (most clauses of a document).

    A verdict with findings or a pass is finished first: ``place`` rewrites each finding
    (file, line, column), and ``pass_message(count)`` gives a pass without a message one.
    ``first``: observations seen before ``observations``, one per clause (clause id ->
    observation), taken in as a whole (the n/a part every document of a context shares).
    """
    if unobserved is Outcome.PASS:
        raise ValueError("an unobserved clause can never pass")
    # a clause's observations: the one seen, or a _Fold once a second, different one comes;
    # the same observation seen again (a plain pass is one shared value) is only counted
    folds: dict[str, _Fold | Observation] = dict(first) if first else {}
    times: dict[str, int] = {}
    for obs in observations:
        cid = obs.clause
        fold = folds.get(cid)
        if fold is None:
            folds[cid] = obs
        elif fold is obs:
            times[cid] = times.get(cid, 1) + 1
        else:
            if isinstance(fold, Observation):
                earlier, fold = fold, _Fold(cid, max_findings)
                folds[cid] = fold
                fold.add(earlier, times.pop(cid, 1))
            fold.add(obs)
    shared = evidence if evidence else None     # an empty one is made anew for each entry
    out: list[CaseResult] = []
    add = out.append
    single, passing, failing = Observation, Outcome.PASS, Outcome.FAIL
    one_pass = pass_message(1) if pass_message is not None else ""

    def passes(cid: str, count: int, messages: list[str]) -> CaseResult:
        """The entry of a clause that only passed, ``count`` times: what ``_Fold.verdict``
        and ``_folded`` give, without a Verdict (most clauses seen more than once)."""
        message = "; ".join(messages)[:500]
        if not message and pass_message is not None:
            message = pass_message(count)
        return CaseResult(cid, implementation, passing, case, message, [], shared, 0.0)

    def folded(cid: str, fold: _Fold | Observation) -> CaseResult:
        """The entry of a clause seen more than once (the same observation again, or not)."""
        if isinstance(fold, single):              # one observation, seen times[cid] times
            if fold.outcome is passing and fold.finding is None and shared is not None:
                return passes(cid, times[cid], [fold.message] if fold.message else [])
            one, fold = fold, _Fold(cid, max_findings)
            fold.add(one, times[cid])
        elif (fold.outcome is passing and len(fold.counts) == 1 and not fold.findings
              and shared is not None):
            return passes(cid, fold.counts[passing], fold.messages.get(passing, []))
        return _folded(fold.verdict(), implementation, case, shared, place, pass_message)

    for cid in dict.fromkeys(declared):
        fold = folds.pop(cid, None)
        if fold is None:
            add(CaseResult(cid, implementation, unobserved, case, unobserved_reason, [],
                           shared if shared is not None else Evidence(), 0.0))
        elif type(fold) is Observation and cid not in times:
            # the common cases in line (_single gives the same): a plain pass, and an
            # observation with a short message and no finding (n/a, skip, pass)
            finding, message = fold.finding, fold.message
            if finding is not None or shared is None or len(message) > 500:
                add(_single(fold, implementation, case, shared, max_findings, place,
                            pass_message, passing, failing))
            elif message:
                add(CaseResult(cid, implementation, fold.outcome, case, message, [], shared,
                               0.0))
            elif fold.outcome is passing and one_pass:
                add(CaseResult(cid, implementation, passing, case, one_pass, [], shared, 0.0))
            else:
                add(_single(fold, implementation, case, shared, max_findings, place,
                            pass_message, passing, failing))
        else:
            add(folded(cid, fold))
    for cid, fold in folds.items():      # observed but not declared, in first-seen order
        if isinstance(fold, single) and cid not in times:
            add(_single(fold, implementation, case, shared, max_findings, place, pass_message,
                        passing, failing))
        else:
            add(folded(cid, fold))
    return out


def _single(obs: Observation, implementation: str, case: str, shared: Evidence | None,
            cap: int, place: Callable[[Finding], Finding] | None,
            pass_message: Callable[[int], str] | None, passing: Outcome, failing: Outcome
            ) -> CaseResult:
    """The entry of a clause's only observation: what ``_verdict`` then ``case_results``
    would give."""
    o, message, finding = obs.outcome, obs.message, obs.finding
    if not message:
        if o is failing:
            message = " (and 1 more)"
        elif o is passing and pass_message is not None:
            message = pass_message(1)
    elif len(message) > 500:
        message = message[:500]
    findings: list[Finding] = []
    omitted = 0
    if finding is not None:
        if cap > 0:
            findings.append(place(finding) if place is not None else finding)
        else:
            omitted = 1
    return CaseResult(obs.clause, implementation, o, case, message, findings,
                      shared if shared is not None else Evidence(), 0.0,
                      omitted_findings=omitted)


def _folded(v: Verdict, implementation: str, case: str, shared: Evidence | None,
            place: Callable[[Finding], Finding] | None,
            pass_message: Callable[[int], str] | None) -> CaseResult:
    """The entry of a clause observed more than once, finished as ``rolled_results`` says."""
    if v.outcome is Outcome.PASS and not v.message and pass_message is not None:
        v.message = pass_message(v.counts[Outcome.PASS])
    if v.findings and place is not None:
        v.findings = [place(f) for f in v.findings]
    return CaseResult(v.clause, implementation, v.outcome, case,
                      v.message if len(v.counts) < 2 else v.summary(), v.findings,
                      shared if shared is not None else Evidence(), 0.0,
                      omitted_findings=v.omitted)


class Judge:
    """A collector for code that judges step by step: call ``check``/``fail``/... then
    ``verdicts``. It only gathers ``Observation`` values; ``roll_up`` does the judging."""

    def __init__(self, declared: Iterable[str] = (), *, strict: bool = False):
        self.declared = tuple(declared)
        self.strict = strict            # refuse observations of undeclared clauses
        self.observations: list[Observation] = []
        self.notes: list[str] = []

    def add(self, obs: Observation) -> Observation:
        if self.strict and obs.clause not in self.declared:
            raise ValueError(f"judged undeclared clause {obs.clause}")
        self.observations.append(obs)
        return obs

    def check(self, clause: str, ok: bool, message: str, **where: Any) -> bool:
        self.add(observed(clause, ok, message, **where))
        return ok

    def passed(self, clause: str, message: str = "") -> None:
        self.add(passed(clause, message))

    def fail(self, clause: str, message: str, **where: Any) -> None:
        self.add(failed(clause, message, **where))

    def error(self, clause: str, message: str, location: str = "") -> None:
        self.add(errored(clause, message, location=location))

    def not_judged(self, clause: str, why: Why, reason: str) -> None:
        self.add(not_judged(clause, why, reason))

    def note(self, text: str) -> None:
        self.notes.append(text)

    def verdicts(self, *, unobserved: Outcome = Outcome.NA,
                 unobserved_reason: str = "nothing in this subject it applies to",
                 max_findings: int = MAX_FINDINGS) -> dict[str, Verdict]:
        return roll_up(self.observations, self.declared, unobserved=unobserved,
                       unobserved_reason=unobserved_reason, max_findings=max_findings)


def _short(value: Any, limit: int = 300) -> str:
    text = value if isinstance(value, str) else repr(value) if not isinstance(
        value, (int, float, bool, type(None), list, dict)) else _json_text(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _json_text(value: Any) -> str:
    import json
    try:
        return json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        return repr(value)
