"""Judge one runtime-spec document: schema rules plus semantic checks, one verdict per clause.

``validate_document`` is pure: a parsed document (and its text, for line numbers)
in, a list of CaseResults out, one per clause this validator knows for the kind
of document, each ``pass``, ``fail`` (with findings) or ``n/a`` (with the reason).
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any

from oci_conform.checks.runtime_config import (
    annotation_keys,
    features,
    hooks,
    linux_devices,
    linux_misc,
    linux_namespaces,
    linux_resources,
    linux_seccomp,
    mounts,
    platforms,
    process,
    root,
    state,
)
from oci_conform.checks.runtime_config.clausemap import (
    CONFIG_FALLBACK,
    CONFIG_ROWS,
    FEATURES_FALLBACK,
    FEATURES_ROWS,
    STATE_FALLBACK,
    STATE_ROWS,
    ClauseMap,
)
from oci_conform.checks.runtime_config.context import (
    PLATFORMS,
    RUNTIME_VERSIONS,
    Ctx,
    platform_of,
    spec_version_for,
)
from oci_conform.checks.runtime_config.docload import Parsed, Problem
from oci_conform.checks.runtime_config.obs import Obs
from oci_conform.jsonpos import PositionIndex
from oci_conform.model.outcome import Outcome
from oci_conform.model.results import CaseResult, Finding

Check = Callable[[dict[str, Any], Ctx], Iterator[Obs]]
KINDS = ("config", "state", "features")
JSON_UTF8, JSON_NO_DUPLICATES = "rt.glossary.json.1", "rt.glossary.json.2"
STATE_LAYOUT_PRE_1_1 = "rt.runtime.state.12-pre-1.1"
FEATURES_SINCE = "1.1.0"
MAX_FINDINGS = 50

LINUX_CHECKS: tuple[Check, ...] = (
    annotation_keys.check_uts, linux_namespaces.check_namespaces, linux_namespaces.check_mappings,
    linux_namespaces.check_time_offsets, linux_namespaces.check_sysctl,
    linux_devices.check_devices, linux_devices.check_allow_list, linux_devices.check_net_devices,
    linux_resources.check_resources, linux_seccomp.check_seccomp, linux_misc.check_paths,
    linux_misc.check_intel_rdt, linux_misc.check_memory_policy)
CONFIG_CHECKS: tuple[Check, ...] = (
    root.check_version, root.check_root, process.check_process, mounts.check_mounts,
    hooks.check_hooks, annotation_keys.check_annotations, annotation_keys.check_image_annotations,
    platforms.check_platform_sections)

# Clause ids the semantic checks may name beyond the schema table (kept in step by a test).
SEMANTIC_IDS: dict[str, frozenset[str]] = {
    "config": frozenset({
        "rt.config.root.2", "rt.config.root.3", "rt.config.root.6", "rt.config.root.7",
        "rt.config.root.10", "rt.config.root.8", "rt.config.process.9", "rt.config.process.12",
        "rt.config.posixprocess.3", "rt.config.posixprocess.9", "rt.config.mounts.4",
        "rt.config.mounts.6", "rt.config.mounts.7", "rt.config.mounts.8", "rt.config.mounts.9",
        "rt.config.posixmounts.4", "rt.config.posixmounts.5", "rt.config.posixmounts.8",
        "rt.config.posixmounts.9", "rt.config.linux-mount-options.61-f",
        "rt.config.linux-mount-options.62-f", "rt.config.mounts.4-pre-1.2",
        "rt.config.process.12-b", "rt.config.process.11-pre-1.0.2",
        "rt.config.linux-process.3-pre-1.1", "rt.config.linux-process.25-b",
        "rt.config-linux.pids.2-pre-1.3", "rt.config.annotations.image-os",
        "rt.config.annotations.image-architecture", "rt.config.annotations.image-created",
        "rt.config.annotations.image-stop-signal", "rt.config.hooks.4", "rt.config.hooks.13",
        "rt.config.annotations.7", "rt.config.annotations.8",
        "rt.config.platform-specific-configuration.10", "rt.config-linux.namespaces.3",
        "rt.config-linux.namespaces.8", "rt.config-linux.devices.11",
        "rt.config-linux.cpu.4", "rt.config-linux.cpu.6", "rt.config-linux.block-io.8",
        "rt.config-linux.rdma.4", "rt.config-linux.seccomp.4", "rt.config-linux.seccomp.14",
        "rt.config-linux.seccomp.21", "rt.config-linux.cgroups-path.2",
        "rt.config-linux.intel-rdt.8", "rt.config-linux.intel-rdt.10",
        "rt.config-linux.masked-paths.2", "rt.config-linux.readonly-paths.2",
        "rt.config-vm.hypervisor-object.3", "rt.config-vm.kernel-object.3",
        "rt.config-vm.kernel-object.6", "rt.config-vm.image-object.3",
        "rt.config-zos.config-zosnamespaces.3", "rt.config-zos.config-zosnamespaces.8",
        "rt.glossary.json.1", "rt.glossary.json.2", "rt.bundle.container-format.2",
        "rt.config-linux.memory.5-pre-1.1", "rt.config-linux.memory.6-pre-1.1",
        "rt.config-windows.network.6-b", "rt.config-zos.devices.3", "rt.config-zos.devices.4",
        "rt.config-zos.devices.6", "rt.config-zos.devices.7", "rt.config-zos.devices.8",
        "rt.config.zosprocess.1", "rt.config-freebsd.config-free-bsdjail.27",
        "rt.config-freebsd.config-free-bsdjail.28"}),
    "state": frozenset({"rt.runtime.state.5", "rt.runtime.state.12-pre-1.1"}),
    "features": frozenset({"rt.features.specification-version.5",
                           "rt.features.specification-version.6", "rt.features.mount-options.3"}),
}
_ROWS = {"config": (CONFIG_ROWS, CONFIG_FALLBACK), "state": (STATE_ROWS, STATE_FALLBACK),
         "features": (FEATURES_ROWS, FEATURES_FALLBACK)}
_MAPS: dict[str, ClauseMap] = {}


def clause_map(kind: str) -> ClauseMap:
    if kind not in _MAPS:
        rows, fallback = _ROWS[kind]
        _MAPS[kind] = ClauseMap(rows, fallback)
    return _MAPS[kind]


@cache
def judged_clause_ids(kind: str | None = None) -> frozenset[str]:
    """Every clause id the validator can judge for ``kind`` (all kinds when None)."""
    kinds = KINDS if kind is None else (kind,)
    return frozenset().union(*(clause_map(k).clause_ids() | SEMANTIC_IDS[k] for k in kinds))


def observations(kind: str, doc: Any, ctx: Ctx) -> Iterator[Obs]:
    """Every observation of the schema and the semantic checks (never raises on bad input)."""
    from oci_conform.checks.runtime_config.schema import schema_observations
    if kind == "features" and isinstance(doc, dict):
        doc = features.drop_nulls(doc)
    yield from schema_observations(kind, doc, clause_map(kind))
    if not isinstance(doc, dict):
        return
    if kind == "state":
        yield from state.check_state(doc, ctx)
        return
    if kind == "features":
        yield from features.check_features(doc, ctx)
        return
    for check in CONFIG_CHECKS + (LINUX_CHECKS if ctx.platform == "linux" else ()):
        yield from check(doc, ctx)


@dataclass(frozen=True)
class Applicability:
    """Whether a clause is in force for the judged version and platform, and why not."""

    holds: bool
    reason: str = ""


# Clauses whose text limits them to POSIX systems or to "outside Windows", which the
# catalog's single platform field cannot say.
NOT_ON: dict[str, frozenset[str]] = {
    prefix: frozenset({"windows"}) for prefix in (
        "rt.config.root.4", "rt.config.root.7", "rt.config.process.12", "rt.config.posixprocess",
        "rt.config.posixuser", "rt.config.posixmounts", "rt.config.hooks")}
_APPLIES: dict[tuple[int, Ctx], dict[str, Applicability]] = {}


def _applicability(catalog: Any, ctx: Ctx) -> Callable[[str], Applicability]:
    """Whether each clause holds for ``ctx``; answers are cached per catalog and context."""
    memo = _APPLIES.setdefault((id(catalog), ctx), {})

    def cached(cid: str) -> Applicability:
        if cid not in memo:
            memo[cid] = check(cid)
        return memo[cid]

    def check(cid: str) -> Applicability:
        for prefix, excluded in NOT_ON.items():
            if ctx.platform in excluded and (cid == prefix or cid.startswith(prefix + ".")):
                return Applicability(False, f"does not apply on {ctx.platform}")
        clause = catalog.clauses.get(cid) if catalog else None
        if clause is None:
            return Applicability(True)
        if clause.platform and clause.platform != ctx.platform and clause.platform not in ctx.also:
            return Applicability(False, f"applies to {clause.platform}; this document targets "
                                        f"{ctx.platform}")
        spec = catalog.specs.get(clause.spec)
        if spec and not clause.holds_for(spec, ctx.version):
            return Applicability(False, f"not in force in runtime-spec {ctx.version}")
        return Applicability(True)
    return cached


@lru_cache(maxsize=8)
def _positions(text: str) -> PositionIndex:
    """One position index per document text (a str caches its hash: lookups are cheap)."""
    return PositionIndex(text)


def _position(text: str, pointer: str) -> tuple[int, int]:
    return _positions(text).nearest(pointer) if text else (0, 0)


def _finding(obs: Obs, text: str, file: str) -> Finding:
    line, col = _position(text, obs.pointer)
    return Finding(obs.message, location=obs.pointer or "/", expected=obs.expected,
                   actual=obs.actual, file=file, line=line, column=col)


def _problem_finding(problem: Problem, text: str, file: str) -> Finding:
    line, col = problem.line, problem.column
    if problem.pointer and not line:
        line, col = _position(text, problem.pointer)
    return Finding(problem.message, location=problem.pointer, file=file, line=line, column=col)


def _sorted(clauses: Iterable[str]) -> tuple[str, ...]:
    if isinstance(clauses, frozenset):
        return _sorted_frozen(clauses)
    return tuple(sorted(clauses))


@lru_cache(maxsize=8)
def _sorted_frozen(clauses: frozenset[str]) -> tuple[str, ...]:
    return tuple(sorted(clauses))


def roll_up(clauses: Iterable[str], obs: Iterable[Obs], applies: Callable[[str], Applicability],
            text: str, file: str, impl: str, case: str) -> list[CaseResult]:
    by_clause: dict[str, list[Obs]] = defaultdict(list)
    for o in obs:
        by_clause[o.clause].append(o)
    out = []
    for cid in _sorted(clauses):
        where = applies(cid)
        seen = by_clause.get(cid, [])
        if not where.holds:
            out.append(CaseResult(cid, impl, Outcome.NA, case=case, message=where.reason))
            continue
        failed = [o for o in seen if not o.ok]
        if failed:
            findings = [_finding(o, text, file) for o in failed[:MAX_FINDINGS]]
            more = f" (+{len(failed) - MAX_FINDINGS} more)" if len(failed) > MAX_FINDINGS else ""
            out.append(CaseResult(cid, impl, Outcome.FAIL, case=case,
                                  message=failed[0].message + more, findings=findings))
        elif seen:
            out.append(CaseResult(cid, impl, Outcome.PASS, case=case,
                                  message=f"{len(seen)} value(s) examined",
                                  evidence={"examined": list(dict.fromkeys(
                                      o.pointer for o in seen[:20]))}))
        else:
            out.append(CaseResult(cid, impl, Outcome.NA, case=case,
                                  message="nothing in this document for this clause to judge"))
    return out


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


def _catalog() -> Any:
    from oci_conform.catalog.loader import CatalogError
    from oci_conform.checks.runtime_config.catalog_cache import runtime_catalog
    try:
        return runtime_catalog()
    except CatalogError:
        return None


def validate_parsed(parsed: Parsed, kind: str = "config", *, file: str = "", impl: str = "",
                    spec_version: str | None = None, platform: str | None = None,
                    extra: Iterable[Obs] = (), catalog: Any = "default") -> list[CaseResult]:
    """Verdicts for a parsed document (parse problems become failures of the generic clause)."""
    catalog = _catalog() if catalog == "default" else catalog
    spec = catalog.specs.get("runtime-spec") if catalog else None
    versions = spec.versions if spec else RUNTIME_VERSIONS
    impl = impl or file or "-"
    case = f"config-validate:{kind}"
    fallback = clause_map(kind).fallback
    generic = [p for p in parsed.problems if kind != "config" or p.rule != "duplicate"]
    problems = [_problem_finding(p, parsed.text, file) for p in generic]
    if not parsed.ok:
        out = [CaseResult(fallback, impl, Outcome.FAIL, case=case,
                          message=problems[0].message if problems else "no document",
                          findings=problems)]
        encoding = [p for p in parsed.problems if p.rule == "encoding"]
        if kind == "config" and encoding:
            out.append(CaseResult(JSON_UTF8, impl, Outcome.FAIL, case=case,
                                  message=encoding[0].message, findings=[
                                      _problem_finding(p, parsed.text, file) for p in encoding]))
        return out
    ctx = make_context(kind, parsed.data, spec_version, platform, versions)
    obs = list(observations(kind, parsed.data, ctx)) + list(extra)
    if kind == "config":
        obs.extend(_json_text_obs(parsed))
    applies = _applicability(catalog, ctx)
    results = roll_up(judged_clause_ids(kind), obs, applies, parsed.text, file, impl, case)
    target = fallback
    if kind == "state" and not applies(fallback).holds and applies(STATE_LAYOUT_PRE_1_1).holds:
        target = STATE_LAYOUT_PRE_1_1
    if problems:
        for r in results:
            if r.clause == target:
                r.outcome, r.message = Outcome.FAIL, problems[0].message
                r.findings = problems + r.findings
    if kind == "state":
        _state_schema_rollup(results, fallback)
    for r in results:
        r.evidence.facts.setdefault("spec_version", ctx.version)
        r.evidence.facts.setdefault("platform", ctx.platform)
    return results


def _json_text_obs(parsed: Parsed) -> Iterator[Obs]:
    """Glossary rules on the JSON text of a config: plain UTF-8 (it decoded, so it is)
    and no object repeating a member name (each repeat is a finding)."""
    from oci_conform.checks.runtime_config.obs import bad, good
    yield good(JSON_UTF8, "")
    repeats = [p for p in parsed.problems if p.rule == "duplicate"]
    for p in repeats:
        yield bad(JSON_NO_DUPLICATES, p.pointer, p.message, "each member name once",
                  p.pointer.rsplit("/", 1)[-1])
    if not repeats:
        yield good(JSON_NO_DUPLICATES, "")


def _state_schema_rollup(results: list[CaseResult], fallback: str) -> None:
    """The state clause 'adheres to the schema' passes when no other state clause failed
    (before 1.1.0 the rule is its own clause, the layout the spec shows)."""
    failed = [r for r in results if r.outcome is Outcome.FAIL
              and r.clause not in (fallback, STATE_LAYOUT_PRE_1_1)]
    for r in results:
        if r.clause in (fallback, STATE_LAYOUT_PRE_1_1) and r.outcome is Outcome.NA and \
                r.message.startswith("not in force"):
            continue
        if r.clause in (fallback, STATE_LAYOUT_PRE_1_1) and r.outcome is not Outcome.FAIL:
            r.outcome = Outcome.FAIL if failed else Outcome.PASS
            r.message = (f"schema rules fail: {', '.join(sorted({f.clause for f in failed}))}"
                         if failed else "the document satisfies every schema rule")


def validate_config_document(data: Any, text: str = "", spec_version: str | None = None,
                             platform: str | None = None, *, kind: str = "config",
                             impl: str = "", file: str = "") -> list[CaseResult]:
    """Verdicts for an already-parsed document (for other suites to call)."""
    return validate_parsed(Parsed(data=data, text=text), kind, file=file, impl=impl,
                           spec_version=spec_version, platform=platform)
