"""Judge one runtime-spec document: schema rules plus semantic checks, one verdict per clause.

``validate_parsed`` is pure apart from reading the catalog: a parsed document (and its text,
for line numbers) in, one CaseResult per clause the check table declares for the kind of
document out. Every verdict comes from ``model.judging``: checks yield observations, the
in-force rule turns clauses the judged version or platform does not hold into ``n/a``, and
``rolled_results`` folds the rest (a declared clause nobody observed is ``n/a``, never
``pass``).
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import replace
from functools import cache
from typing import Any

from oci_conform.checks.runtime_config import document, features
from oci_conform.checks.runtime_config.context import (
    PLATFORMS,
    RUNTIME_VERSIONS,
    Ctx,
    platform_of,
    spec_version_for,
)
from oci_conform.checks.runtime_config.docload import Parsed
from oci_conform.checks.runtime_config.table import KINDS, document_checks, judged
from oci_conform.jsonpos import PositionIndex
from oci_conform.model.evidence import Evidence, FileSpan
from oci_conform.model.judging import (
    Observation,
    Why,
    errored,
    failed,
    in_force,
    not_judged,
    passed,
    rolled_results,
)
from oci_conform.model.results import CaseResult, Finding

__all__ = ["KINDS", "judged_clause_ids", "make_context", "validate_parsed",
           "validate_config_document"]
FEATURES_SINCE = "1.1.0"
NOTHING = "nothing in this document for this clause to judge"
# Clauses whose text limits them to POSIX systems ("outside Windows"), which the catalog's
# single platform field cannot say: id prefixes, each followed by "." or the end.
POSIX_ONLY = ("rt.config.root.4", "rt.config.root.7", "rt.config.process.12",
              "rt.config.posixprocess", "rt.config.posixuser", "rt.config.posixmounts",
              "rt.config.hooks")
# Row clauses whose ``since`` marks a rewording, not a new field: 1.0.2 restated the hook
# entry fields (path, args, env, timeout) for the new hook kinds, but poststart and poststop
# entries had them from 1.0.0 on (the new kinds themselves are new fields: hooks.11/20/23).
RESTATED = frozenset(("rt.config.hooks.12", "rt.config.hooks.14", "rt.config.hooks.15",
                      "rt.config.hooks.16", "rt.config.hooks.17"))


def judged_clause_ids(kind: str | None = None) -> frozenset[str]:
    """Every clause id the validator can judge for ``kind`` (all kinds when None)."""
    kinds = KINDS if kind is None else (kind,)
    return frozenset().union(*(judged(k) for k in kinds))


def observations(kind: str, doc: Any, ctx: Ctx) -> list[Observation]:
    """Every observation of the schema and the semantic checks (never raises on bad input)."""
    if kind == "features" and isinstance(doc, dict):
        doc = features.drop_nulls(doc)
    found: list[Observation] = []
    for check in document_checks(kind, ctx.platform):
        if check.stage == "schema" or isinstance(doc, dict):
            found.extend(check.run(doc, ctx))
    return found


def make_context(kind: str, doc: Any, spec_version: str | None, platform: str | None,
                 versions: tuple[str, ...] = RUNTIME_VERSIONS) -> Ctx:
    declared_key = "ociVersionMax" if kind == "features" else "ociVersion"
    declared = spec_version or (doc.get(declared_key) if isinstance(doc, dict) else None)
    chosen = platform if platform in PLATFORMS else (platform_of(doc) if kind == "config"
                                                     else "linux")
    also = frozenset({"vm"}) if kind == "config" and isinstance(doc, dict) and \
        isinstance(doc.get("vm"), dict) else frozenset()
    version = spec_version_for(declared, versions)
    if kind == "features" and not spec_version and FEATURES_SINCE in versions and \
            version in versions and versions.index(version) < versions.index(FEATURES_SINCE):
        # ociVersionMax says which configs the runtime takes, not which features format it
        # prints; the format only exists since 1.1.0 (runc 1.1 prints it for 1.0.2-dev).
        version = FEATURES_SINCE
    return Ctx(platform=chosen, version=version, versions=versions, also=also)


class InForce:
    """The in-force rule for one document: ``judging.in_force`` per clause (cached), plus
    the POSIX-only clauses, which do not hold on Windows."""

    def __init__(self, catalog: Any, ctx: Ctx):
        self.catalog, self.ctx = catalog, ctx
        self.spec = catalog.specs.get("runtime-spec") if catalog else None
        self.memo: dict[str, Observation | None] = {}   # clause id -> __call__'s answer
        self._since: dict[str, str] = {}
        self._excluded: dict[tuple[str, ...], list[Observation]] = {}
        self._by_clause: dict[tuple[str, ...], dict[str, Observation]] = {}
        self._any_newer: bool | None = None
        # clauses with an older form (id + "-pre-..."): a rule changed on an existing field
        self._restated = {c.partition("-pre-")[0] for c in catalog.clauses
                          if "-pre-" in c} if catalog else set()

    def __call__(self, cid: str) -> Observation | None:
        """None when ``cid`` holds for this document, else its n/a observation."""
        if cid not in self.memo:
            self.memo[cid] = self._rule(cid)
        return self.memo[cid]

    def _rule(self, cid: str) -> Observation | None:
        ctx = self.ctx
        if ctx.platform == "windows" and any(cid == p or cid.startswith(p + ".")
                                             for p in POSIX_ONLY):
            return not_judged(cid, Why.OTHER_PLATFORM, "does not apply on windows")
        clause = self.catalog.clauses.get(cid) if self.catalog else None
        if clause is None or self.spec is None:
            return None
        platform = clause.platform if clause.platform in ctx.also else ctx.platform
        return in_force(clause, self.spec, ctx.version, platform)

    def newer(self, cid: str) -> str:
        """The release ``cid`` starts at when that is after the judged version, else ''."""
        clause = self.catalog.clauses.get(cid) if self.catalog else None
        spec, version = self.spec, self.ctx.version
        if clause is None or spec is None or not clause.since or version not in spec.versions:
            return ""
        return clause.since if spec.index(version) < spec.index(clause.since) else ""

    def any_newer(self) -> bool:
        """Whether any catalog clause starts after the judged version (``newer`` is '' for
        every clause otherwise); found once per rule."""
        if self._any_newer is None:
            self._any_newer = bool(self.catalog) and any(map(self.newer, self.catalog.clauses))
        return self._any_newer

    def field_since(self, cid: str) -> str:
        """The release that first defines the field whose row clause is ``cid``, when it is
        after the judged version ('' otherwise). A clause with an older form (an id plus
        ``-pre-...``) changed a rule on a field that existed before: not a new field."""
        found = self._since.get(cid)
        if found is None:
            found = self.newer(cid)
            if found and (cid in RESTATED or cid in self._restated):
                found = ""
            self._since[cid] = found
        return found

    def excluded(self, declared: tuple[str, ...]) -> list[Observation]:
        """The n/a observation of each clause of ``declared`` not in force, in order (made
        once per rule: every document judged in this context shares them)."""
        found = self._excluded.get(declared)
        if found is None:
            found = self._excluded[declared] = [x for x in map(self, declared)
                                                if x is not None]
        return found

    def excluded_by_clause(self, declared: tuple[str, ...]) -> dict[str, Observation]:
        """``excluded(declared)`` as clause id -> its n/a observation, in the same order."""
        found = self._by_clause.get(declared)
        if found is None:
            found = self._by_clause[declared] = {x.clause: x for x in self.excluded(declared)}
        return found


_RULES: dict[tuple[int, Ctx], InForce] = {}


def _rule_for(catalog: Any, ctx: Ctx) -> InForce:
    """The in-force rule for ``ctx``, shared by every document judged in the same context
    (a run over many files pays for each clause's rule once, not once per file)."""
    key = (id(catalog), ctx)
    rule = _RULES.get(key)
    if rule is None or rule.catalog is not catalog:
        if len(_RULES) >= 64:
            _RULES.clear()
        rule = _RULES[key] = InForce(catalog, ctx)
    return rule


@cache
def _declared(kind: str) -> tuple[str, ...]:
    return tuple(sorted(judged(kind)))


_OPTIONAL: dict[int, frozenset[str]] = {}


def _optional(catalog: Any) -> frozenset[str]:
    """The runtime-spec clauses below MUST level (cached per catalog)."""
    if catalog is None:
        return frozenset()
    if id(catalog) not in _OPTIONAL:
        _OPTIONAL.clear()
        _OPTIONAL[id(catalog)] = frozenset(
            c.id for c in catalog.clauses.values()
            if c.spec == "runtime-spec" and c.level.value not in ("MUST", "MUST NOT"))
    return _OPTIONAL[id(catalog)]


def _catalog() -> Any:
    from oci_conform.catalog.loader import CatalogError
    from oci_conform.checks.runtime_config.catalog_cache import runtime_catalog
    try:
        return runtime_catalog()
    except CatalogError:
        return None


def _in_force_only(observed: Iterable[Observation], rule: InForce, newer: dict[str, str]
                   ) -> list[Observation]:
    """The observations of clauses in force (the n/a observation of each declared clause
    not in force comes from ``rule.excluded``).

    A clause newer than the judged version still judges the fields of ``newer`` (pointer ->
    release): a field the declared version does not define is judged by the release that
    defines it (its own row clause, and any failure found under it).
    """
    kept: list[Observation] = []
    rows = set(newer.values())
    memo = rule.memo
    for obs in observed:
        cid = obs.clause
        if (memo[cid] if cid in memo else rule(cid)) is None or (
                newer and rule.newer(cid) and (cid in rows or _under(obs, newer))):
            kept.append(obs)
    return kept


def _under(obs: Observation, newer: dict[str, str]) -> bool:
    where = obs.finding.location if obs.finding is not None else ""
    return bool(where) and any(where == p or where.startswith(p + "/") for p in newer)


def newer_fields(doc: Any, rule: InForce) -> dict[str, str]:
    """Pointer -> row clause of each field (outermost only) the judged version does not
    define yet."""
    from oci_conform.checks.runtime_config.schema import clause_map
    found: dict[str, str] = {}
    if not rule.any_newer():
        return found            # no clause starts after the judged version: nothing to find
    for cid, pointer in sorted(clause_map("config").present(doc), key=lambda cp: cp[1]):
        if rule.field_since(cid) and not any(pointer.startswith(p + "/") for p in found):
            found.setdefault(pointer, cid)
    return found


def version_content(newer: dict[str, str], rule: InForce, declared: Any
                    ) -> Iterator[Observation]:
    """rt.config.specification-version.content: ociVersion names a release that defines every
    field the document carries."""
    if rule.spec is None:       # no catalog: nothing was compared, so nothing can pass
        yield errored("rt.config.specification-version.content",
                      "no catalog: the fields cannot be compared with ociVersion")
        return
    if not newer:
        yield passed("rt.config.specification-version.content",
                     "every field is defined by the release ociVersion names")
    for pointer, cid in newer.items():
        since = rule.field_since(cid)
        yield failed("rt.config.specification-version.content",
                     f"{pointer} is first defined in runtime-spec {since}, but ociVersion "
                     f"says {declared}", location=pointer,
                     expected=f"ociVersion {since} or later", actual=declared)


def validate_parsed(parsed: Parsed, kind: str = "config", *, file: str = "", impl: str = "",
                    spec_version: str | None = None, platform: str | None = None,
                    extra: Iterable[Observation] = (), catalog: Any = "default"
                    ) -> list[CaseResult]:
    """Verdicts for a parsed document (parse problems fail the clause they break)."""
    catalog = _catalog() if catalog == "default" else catalog
    spec = catalog.specs.get("runtime-spec") if catalog else None
    versions = spec.versions if spec else RUNTIME_VERSIONS
    impl = impl or file or "-"
    ctx = replace(make_context(kind, parsed.data, spec_version, platform, versions),
                  optional=_optional(catalog))
    rule = _rule_for(catalog, ctx)
    newer: dict[str, str] = {}
    declared: tuple[str, ...] = ()
    if not parsed.ok:
        obs = list(document.unparsed(kind, parsed))
    else:
        from oci_conform.checks.runtime_config.schema import clause_map
        with clause_map(kind).one_document():
            obs = observations(kind, parsed.data, ctx)
            obs.extend(extra)
            if kind == "config" and isinstance(parsed.data, dict):
                newer = newer_fields(parsed.data, rule)
                obs.extend(version_content(newer, rule, parsed.data.get("ociVersion")))
        obs.extend(_document_rules(kind, parsed, obs, rule))
        declared = _declared(kind)
    evidence = Evidence(files=[FileSpan(file)] if file else [],
                        facts={"spec_version": ctx.version, "platform": ctx.platform})
    # Positions only for a parsed document (its depth is bounded, so is the index; the json
    # module read it, so a pointer can be looked up along its own path first).
    positions = PositionIndex(parsed.text, valid_json=True) if parsed.text and parsed.ok \
        else None
    return rolled_results(_in_force_only(obs, rule, newer), declared, impl,
                          f"config-validate:{kind}", evidence=evidence,
                          unobserved_reason=NOTHING, first=rule.excluded_by_clause(declared),
                          place=lambda f: _place(f, positions, file), pass_message=_examined)


def _document_rules(kind: str, parsed: Parsed, obs: list[Observation], rule: InForce
                    ) -> Iterator[Observation]:
    """Rules on the whole document: its JSON text, and the state's schema summary."""
    if kind == "config":
        yield from document.json_text(parsed)
        return
    target = "rt.runtime.state.12" if kind == "state" else "rt.features.json"
    pre = kind == "state" and rule("rt.runtime.state.12") is not None and \
        rule("rt.runtime.state.12-pre-1.1") is None
    if pre:
        target = "rt.runtime.state.12-pre-1.1"
    problems = [failed(target, p.message, location=p.pointer, line=p.line, column=p.column)
                for p in parsed.problems]
    yield from problems
    if kind == "state":
        yield from document.state_layout([o for o in obs if rule(o.clause) is None] + problems,
                                         pre)


def _examined(count: int) -> str:
    """The message of a pass without one: how many values were examined."""
    return f"{count} value(s) examined"


def _place(finding: Finding, positions: PositionIndex | None, file: str) -> Finding:
    line, column = finding.line, finding.column
    if not line and positions is not None and finding.location is not None:
        line, column = positions.nearest(finding.location)
    return replace(finding, file=file, line=line, column=column,
                   location=finding.location or "/")


def validate_config_document(data: Any, text: str = "", spec_version: str | None = None,
                             platform: str | None = None, *, kind: str = "config",
                             impl: str = "", file: str = "") -> list[CaseResult]:
    """Verdicts for an already-parsed document (for other suites to call)."""
    return validate_parsed(Parsed(data=data, text=text), kind, file=file, impl=impl,
                           spec_version=spec_version, platform=platform)
