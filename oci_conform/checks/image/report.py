"""A thin collector of observations for the image checks.

Checks call ``check``/``fail``/``saw``/``error``/``note``; each call becomes a
``model.judging.Observation`` (with its JSON pointer turned into a line and column
through one ``PositionIndex`` per document). All judging (roll-up, severity, what
an unobserved clause is) happens in ``model.judging.roll_up``.

The collector is bounded at the source: per clause and outcome it keeps the first
``KEEP`` observations and only counts the rest (one representative kept), so a layer
with a million bad entries costs a counter, not a million findings.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from itertools import repeat

from oci_conform.catalog.loader import Catalog, default_catalog
from oci_conform.jsonpos import PositionIndex
from oci_conform.model.evidence import Evidence
from oci_conform.model.judging import (
    MAX_FINDINGS,
    Observation,
    case_results,
    errored,
    failed,
    in_force,
    not_in_force,
    passed,
    roll_up_repeated,
)
from oci_conform.model.outcome import Outcome
from oci_conform.model.results import CaseResult, Finding

KEEP = MAX_FINDINGS + 3     # observations kept per (clause, outcome); the rest are counted


class Report:
    """Observations of one subject (or one document of it), bounded per clause."""

    def __init__(self, file: str = "", text: str = "", version: str = ""):
        self.file = file            # the file locations point into
        self.version = version      # the image-spec version the document is judged as
        self.newer: dict[str, str] = {}   # clause -> version defining a field newer than that
        self._text = text           # its text, to turn JSON pointers into line/column
        self._index: PositionIndex | None = None
        self.kept: dict[tuple[str, Outcome], list[Observation]] = {}
        self.dropped: dict[tuple[str, Outcome], tuple[Observation, int]] = {}

    @property
    def text(self) -> str:
        return self._text

    @text.setter
    def text(self, value: str) -> None:
        self._text, self._index = value, None

    # -- recording ---------------------------------------------------------------------------
    def add(self, obs: Observation) -> None:
        key = (obs.clause, obs.outcome)
        kept = self.kept.setdefault(key, [])
        if len(kept) < KEEP:
            kept.append(obs)
        else:
            _, n = self.dropped.get(key, (obs, 0))
            self.dropped[key] = (obs, n + 1)

    def _counted(self, clause: str, outcome: Outcome) -> bool:
        """True (and counted) when this clause already holds all the observations kept of
        ``outcome``: the caller then builds nothing (the cost of a dropped one is a count)."""
        kept = self.kept.get((clause, outcome))
        if kept is None or len(kept) < KEEP:
            return False
        rep, n = self.dropped.get((clause, outcome), (kept[-1], 0))
        self.dropped[(clause, outcome)] = (rep, n + 1)
        return True

    def saw(self, clause: str) -> None:
        # ``_counted`` written out: this runs several times per tar entry of every layer
        key = (clause, Outcome.PASS)
        kept = self.kept.get(key)
        if kept is None or len(kept) < KEEP:
            self.add(passed(clause))
        else:
            rep, n = self.dropped.get(key, (kept[-1], 0))
            self.dropped[key] = (rep, n + 1)

    def saw_many(self, clause: str, times: int) -> None:
        """``saw(clause)`` ``times`` times over, in one step (same kept and counted)."""
        if times <= 0:
            return
        key = (clause, Outcome.PASS)
        kept = self.kept.setdefault(key, [])
        room = min(max(KEEP - len(kept), 0), times)
        kept.extend(repeat(passed(clause), room))
        if times > room:
            rep, n = self.dropped.get(key, (kept[-1], 0))
            self.dropped[key] = (rep, n + times - room)

    def fail(self, clause: str, message: str, location: str = "", expected: object = "",
             actual: object = "", file: str | None = None) -> None:
        if self._counted(clause, Outcome.FAIL):
            return
        line, column, where = self._position(location, file)
        self.add(failed(clause, message, location=location, expected=expected, actual=actual,
                        file=where, line=line, column=column))

    def check(self, clause: str, ok: bool, message: str, location: str = "",
              expected: object = "", actual: object = "") -> bool:
        """Record that ``clause`` was judged; a failure when ``ok`` is false."""
        if ok:
            self.saw(clause)
        else:
            self.fail(clause, message, location, expected, actual)
        return ok

    def error(self, clause: str, message: str, location: str = "") -> None:
        self.add(errored(clause, message, location=location))

    def note(self, clause: str, message: str, location: str = "") -> None:
        """A pass that says what was seen (kept as a finding for the reader)."""
        line, column, where = self._position(location, None)
        finding = Finding(message=message, location=location, file=where, line=line,
                          column=column)
        self.add(Observation(clause, Outcome.PASS, message, finding))

    def other(self, obs: Observation) -> None:
        """Any prepared observation (not judged, not in force, ...)."""
        self.add(obs)

    def _position(self, location: str, file: str | None) -> tuple[int, int, str]:
        where = self.file if file is None else file
        if not (where and self._text and (location == "" or location.startswith("/"))):
            return 0, 0, where
        if self._index is None:      # the text of a parsed document (or json.dumps output)
            self._index = PositionIndex(self._text, valid_json=True)
        line, column = self._index.nearest(location)
        return line, column, where

    def newer_field(self, name: str, where: str, clauses: tuple[str, ...], since: str = ""
                    ) -> None:
        """A present field whose rules are ``clauses``: when the version judged predates
        them, they are judged by the version that defines them (kept in ``newer``) and a
        separate observation says the declared version is too old for the content."""
        since = since or (_since(clauses[0]) if clauses else "")
        if not since or not self.version:
            return
        if _older(self.version, since):
            for clause in clauses:
                self.newer[clause] = since
            self.fail("image.spec.declared-version", f"{name} is defined since image-spec "
                      f"{since}; the declared version {self.version} is too old for this "
                      "content", where, f">= {since}", self.version)
        else:
            self.saw("image.spec.declared-version")

    def merge(self, other: Report) -> None:
        """Add every observation of ``other``, as ``add`` one by one would, but the counted
        ones in bulk (a layer of 20,000 entries adds a few counts, not 60,000 calls)."""
        for key, kept in other.kept.items():
            rep, repeats = other.dropped.get(key, (None, 0))
            if not kept and not repeats:
                continue
            mine = self.kept.setdefault(key, [])
            room = max(KEEP - len(mine), 0)
            mine.extend(kept[:room])
            over, last = len(kept) - min(room, len(kept)), kept[-1] if kept else None
            if repeats and rep is not None:
                fill = min(max(KEEP - len(mine), 0), repeats)
                mine.extend(repeat(rep, fill))
                if repeats > fill:
                    over, last = over + repeats - fill, rep
            if over and last is not None:
                _, n = self.dropped.get(key, (last, 0))
                self.dropped[key] = (last, n + over)
        self.newer.update(other.newer)

    # -- reading -----------------------------------------------------------------------------
    def repeated(self) -> Iterator[tuple[Observation, int]]:
        """The observations as ``(observation, times)``: each kept one once, then each
        counted representative with its count (``roll_up_repeated`` takes them so)."""
        for key, kept in self.kept.items():
            for obs in kept:
                yield obs, 1
            rep = self.dropped.get(key)
            if rep is not None:
                yield rep

    def _findings(self, outcome: Outcome) -> dict[str, list[Finding]]:
        out: dict[str, list[Finding]] = {}
        for (clause, o), kept in self.kept.items():
            if o is outcome:
                out[clause] = [obs.finding for obs in kept if obs.finding is not None]
        return out

    @property
    def problems(self) -> dict[str, list[Finding]]:
        """The kept findings of failures, by clause (a read-only view)."""
        return self._findings(Outcome.FAIL)

    @property
    def errors(self) -> dict[str, list[Finding]]:
        """The kept findings of harness errors, by clause (a read-only view)."""
        return self._findings(Outcome.ERROR)

    @property
    def observed(self) -> set[str]:
        """Every clause with at least one observation."""
        return {c for (c, _) in self.kept}

    @property
    def failed(self) -> set[str]:
        return {c for (c, o) in self.kept if o is Outcome.FAIL}

    def outcomes(self, implementation: str, declared: Iterable[str], case: str,
                 evidence: Evidence | None = None, *, version: str = "",
                 catalog: Catalog | None = None) -> list[CaseResult]:
        """One CaseResult per declared clause and per clause observed (``roll_up`` judges).

        With ``version`` (the image-spec version judged), a clause not in force there is
        n/a through ``model.judging.in_force``; what it would have been stays in the reason.
        """
        observed = sorted({c for c, _ in self.kept})
        order = sorted(set(declared) | set(observed))
        stream: Iterable[tuple[Observation, int]] = self.repeated()
        if version:
            stream = at_version(stream, catalog or default_catalog(), version, self.newer)
        verdicts = roll_up_repeated(stream, order)
        results = list(case_results(verdicts.values(), implementation, case,
                                    evidence=evidence or Evidence()))
        for r in results:
            if r.clause in self.newer and version:
                r.beyond_claim = (f"judged by image-spec {self.newer[r.clause]}, newer than "
                                  f"the declared {version}")
        return results


def at_version(observations: Iterable[tuple[Observation, int]], catalog: Catalog, version: str,
               newer: dict[str, str] | None = None) -> Iterator[tuple[Observation, int]]:
    """Observations (with their counts) with those of clauses not in force at ``version``
    made n/a, except the clauses of fields newer than ``version`` (``newer``), judged by the
    version defining them."""
    cache: dict[str, Observation | None] = {c: None for c in (newer or {})}
    for obs, times in observations:
        if obs.clause not in cache:
            clause = catalog.clauses.get(obs.clause)
            if clause is None:
                cache[obs.clause] = None
            else:
                spec = catalog.specs[clause.spec]
                at = version if clause.spec == "image-spec" else spec.default_version
                cache[obs.clause] = in_force(clause, spec, at)
        off = cache[obs.clause]
        if off is None:
            yield obs, times
        elif obs.outcome is Outcome.FAIL:
            yield not_in_force(obs.clause, f"{off.message}: would be fail: {obs.message}"), times
        else:
            yield off, times


def _since(clause_id: str) -> str:
    clause = default_catalog().clauses.get(clause_id)
    return clause.since if clause is not None else ""


def _older(version: str, since: str) -> bool:
    spec = default_catalog().specs["image-spec"]
    if version not in spec.versions or since not in spec.versions:
        return False
    return spec.index(version) < spec.index(since)


def pointer(*parts: object) -> str:
    """A JSON pointer from path parts (escaping ~ and /)."""
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)
