"""A pytest plugin: oci-conform's checks as pytest items (inert unless an ``--oci-*`` option).

``pytest --oci-runtime runc=runc``, ``--oci-registry URL``, ``--oci-image REF``,
``--oci-config PATH`` add one item per (case, clause, implementation); each carries the
clause id, its level and spec link as markers (``oci_clause``, ``oci_level``, ``oci_must`` /
``oci_should`` / ``oci_may``, ``oci_runtime`` ...) and as JUnit properties, so pytest's own
``-k``, ``-m``, ``-x`` and ``--junitxml`` select and report them. Outcomes map as: pass ->
passed, fail -> failed, error -> error (in setup), skip and n/a -> skipped. With
``--oci-expectations FILE`` an expected failure is a strict xfail of its own item (case and
clause): it must still fail, while the other cases of the same clause stay plain items.

Static inputs (config, image) are judged while collecting (local files, fast). Behaviour
suites run when their first item runs: a runtime case by case, a registry once for the cases
selected. Everything goes through the project's public entry points.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from oci_conform.model.expectations import Expectation, expect
from oci_conform.model.outcome import RANK, Outcome
from oci_conform.model.results import CaseResult, Implementation

OPTIONS = ("oci_runtime", "oci_registry", "oci_image", "oci_config")
MARKERS = {
    "oci_clause(id)": "an oci-conform clause id judged by this item",
    "oci_level(level)": "the RFC 2119 level of the clause (MUST, SHOULD NOT, ...)",
    "oci_spec(link)": "the link to the clause in its spec",
    "oci_must": "the clause is a MUST or MUST NOT",
    "oci_should": "the clause is a SHOULD or SHOULD NOT",
    "oci_may": "the clause is a MAY",
    "oci_runtime": "a runtime behaviour case", "oci_registry": "a registry case",
    "oci_image": "an image validation", "oci_config": "a runtime config validation",
}


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("oci-conform", "OCI conformance items (oci-conform)")
    group.addoption("--oci-runtime", action="append", default=[], metavar="NAME=CMD",
                    help="add the runtime suite's cases on this runtime (e.g. runc=runc)")
    group.addoption("--oci-registry", action="append", default=[], metavar="URL",
                    help="add the registry suite's cases on this registry ([NAME=]URL)")
    group.addoption("--oci-image", action="append", default=[], metavar="REF",
                    help="add the image checks of this image (oci:DIR, docker-archive:FILE...)")
    group.addoption("--oci-config", action="append", default=[], metavar="PATH",
                    help="add the runtime config checks of this config.json or bundle")
    group.addoption("--oci-expectations", default="", metavar="FILE",
                    help="an oci-conform expectations file: expected failures become strict "
                         "xfail")


def _active(config: pytest.Config) -> bool:
    return any(config.getoption(name) for name in OPTIONS)


def pytest_configure(config: pytest.Config) -> None:
    for marker, text in MARKERS.items():
        config.addinivalue_line("markers", f"{marker}: {text}")


# --- the run: lazily judged outcomes, shared by the items -------------------------------

Runner = Callable[[tuple[str, ...]], list[CaseResult]]


@dataclass
class Column:
    """One implementation: how to judge its cases, and what was judged so far."""

    kind: str                       # runtime | registry | image | config
    impl: Implementation
    runner: Runner                  # case names -> outcomes (static columns: already known)
    whole: bool = False             # the runner judges every selected case in one go
    done: dict[str, list[CaseResult]] = field(default_factory=dict)
    tried: set[str] = field(default_factory=set)

    def outcomes(self, case: str, selected: Sequence[str]) -> list[CaseResult]:
        if case not in self.tried:
            names = tuple(dict.fromkeys(selected)) if self.whole else (case,)
            self.tried.update(names)
            for result in self.runner(names):
                self.done.setdefault(_case_of(result), []).append(result)
        return self.done.get(case, [])

    def problems(self) -> list[str]:
        """Messages of what went wrong outside the cases (the harness, an unreachable
        registry, a leak check): why a clause may have no outcome."""
        return [f"{r.clause}: {r.message}" for name, results in self.done.items()
                if name in {"harness", "reachable", "usable", "leak-check", "cleanup"}
                for r in results if r.outcome in (Outcome.ERROR, Outcome.FAIL)]


def _case_of(result: CaseResult) -> str:
    """The case name of a result (``runtime:NAME`` and such become ``NAME``)."""
    return result.case.rsplit(":", 1)[-1] if result.case else ""


def _expect(results: list[CaseResult], impl: Implementation,
            expectations: list[Expectation], cases: Iterable[Any] = ()) -> list[CaseResult]:
    """The outcomes with the expectations applied (the project's own rules). ``cases``: every
    case of the column, so a clause-only entry knows how many cases judge its clause even when
    the outcomes come one case at a time."""
    if not expectations:
        return results
    return expect(results, {impl.name: impl.version}, expectations, _siblings(impl, cases))


def _siblings(impl: Implementation, cases: Iterable[Any]) -> dict[tuple[str, str], int]:
    """(implementation, clause) -> how many of ``cases`` judge the clause."""
    counts: dict[tuple[str, str], int] = {}
    for case in cases:
        for clause in set(case.clauses):
            counts[(impl.name, clause)] = counts.get((impl.name, clause), 0) + 1
    return counts


def _execute(suite: Any, impl: Implementation, **options: Any) -> list[CaseResult]:
    from oci_conform.catalog.loader import default_catalog
    from oci_conform.orchestrate import RunRequest, SuiteRequest, execute
    request = RunRequest((SuiteRequest(suite, (impl,)),), command=("pytest",), **options)
    results = execute(request, default_catalog())
    if results.implementations:
        impl.version = results.implementations[0].version or impl.version
    problems = [CaseResult("harness", impl.name, Outcome.ERROR, case="harness", message=p)
                for p in results.harness_errors]
    return [*results.results, *problems]


# --- columns from the options -----------------------------------------------------------

Columns = list[tuple["Column", list[Any]]]

def _runtime_columns(texts: list[str], expectations: list[Expectation]) -> Columns:
    from oci_conform.suites.runtime import RuntimeSuite, parse_runtime
    out = []
    for text in texts:
        impl = _parsed(parse_runtime, text, "--oci-runtime")
        suite = RuntimeSuite()
        cases = suite.cases()

        def run(names: tuple[str, ...], suite: Any = suite, impl: Implementation = impl,
                cases: list[Any] = cases) -> list[CaseResult]:
            suite.only = names
            return _expect(_execute(suite, impl), impl, expectations, cases)
        out.append((Column("runtime", impl, run), cases))
    return out


def _registry_columns(texts: list[str], expectations: list[Expectation]) -> Columns:
    from oci_conform.suites.base import RegistryOptions
    from oci_conform.suites.registry.runner import all_cases
    from oci_conform.suites.registry.suite import SUITE
    out = []
    for text in texts:
        impl = _parsed(SUITE.parse_implementation, text if "=" in text.split("://")[0]
                       else f"registry={text}", "--oci-registry")
        cases = all_cases()

        def run(names: tuple[str, ...], impl: Implementation = impl,
                cases: list[Any] = cases) -> list[CaseResult]:
            return _expect(_execute(SUITE, impl, registry=RegistryOptions(cases=names)), impl,
                           expectations, cases)
        out.append((Column("registry", impl, run, whole=True), cases))
    return out


def _static_column(kind: str, impl: Implementation, results: list[CaseResult],
                   expectations: list[Expectation]) -> tuple[Column, list[Any]]:
    judged = _expect(results, impl, expectations)
    column = Column(kind, impl, lambda _names: judged)
    cases: dict[str, set[str]] = {}
    for r in judged:
        cases.setdefault(_case_of(r), set()).add(r.clause)
    return column, [_StaticCase(name, kind, tuple(sorted(ids))) for name, ids in cases.items()]


@dataclass(frozen=True)
class _StaticCase:
    """A catalog check run as a pytest item: name, group and clauses."""

    name: str
    group: str
    clauses: tuple[str, ...]


def _config_columns(paths: list[str], expectations: list[Expectation]) -> Columns:
    from oci_conform.commands.config import validate_path
    out = []
    for path in paths:
        results, impl, error = validate_path(path, "config", None, None)
        if error:
            raise pytest.UsageError(f"--oci-config {path}: {error}")
        out.append(_static_column("config", impl, results, expectations))
    return out


def _image_columns(refs: list[str], expectations: list[Expectation]) -> Columns:
    from oci_conform.drivers.image_sources.refs import parse_ref
    from oci_conform.drivers.image_sources.validate import Options, validate_ref
    out = []
    for text in refs:
        ref = _parsed(parse_ref, text, "--oci-image")
        impl = Implementation(name=ref.text, kind="image", command=ref.text,
                              spec_version=Options().version)
        out.append(_static_column("image", impl, validate_ref(ref, Options()), expectations))
    return out


def _parsed(parse: Callable[[str], Any], text: str, option: str) -> Any:
    try:
        return parse(text)
    except ValueError as exc:
        raise pytest.UsageError(f"{option} {text}: {exc}") from None


# --- items ------------------------------------------------------------------------------

class OciColumn(pytest.Collector):
    """The items of one implementation (its node id names the suite and implementation)."""

    def collect(self) -> Iterable[pytest.Item]:
        return []


class OciFailure(Exception):
    """A clause the implementation did not meet (reported without a traceback)."""


class OciHarnessError(Exception):
    """The harness could not judge the clause (pytest reports an error)."""


class OciItem(pytest.Item):
    """One (case, clause) on one implementation."""

    def __init__(self, *, column: Column, case: str, clause: str, **kw: Any) -> None:
        super().__init__(**kw)
        self.column, self.case, self.clause = column, case, clause
        self.outcome: CaseResult | None = None

    def setup(self) -> None:
        if not self.column.impl.available:
            pytest.skip(f"skip: {self.column.impl.reason or 'not available'}")
        selected = [i.case for i in self.session.items
                    if isinstance(i, OciItem) and i.column is self.column]
        results = self.column.outcomes(self.case, selected)
        mine = [r for r in results if r.clause == self.clause]
        if not mine:
            why = "; ".join(self.column.problems()) or "the case ended without judging it"
            raise OciHarnessError(f"{self.clause}: not observed: {why}")
        self.outcome = min(mine, key=lambda r: RANK[r.outcome])
        if self.outcome.outcome in (Outcome.XFAIL, Outcome.XPASS):
            self.add_marker(pytest.mark.xfail(strict=True, raises=OciFailure,
                                              reason=self.outcome.expectation or "expected"))
        if self.outcome.outcome is Outcome.ERROR:
            raise OciHarnessError(_describe(self.outcome))

    def runtest(self) -> None:
        result = self.outcome
        assert result is not None
        if result.outcome in (Outcome.FAIL, Outcome.XFAIL):
            raise OciFailure(_describe(result))
        if result.outcome in (Outcome.SKIP, Outcome.NA):
            pytest.skip(f"{result.outcome.value}: {result.message or 'no reason given'}")

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException],
                     style: Any = None) -> str:
        if isinstance(excinfo.value, OciFailure | OciHarnessError):
            return str(excinfo.value)
        return str(super().repr_failure(excinfo, style))

    def _repr_failure_py(self, excinfo: pytest.ExceptionInfo[BaseException],
                         style: Any = None) -> Any:
        """Setup errors too are our one-paragraph message, not a traceback into pytest."""
        if isinstance(excinfo.value, OciFailure | OciHarnessError):
            return str(excinfo.value)
        return super()._repr_failure_py(excinfo, style)

    def reportinfo(self) -> tuple[str, int | None, str]:
        return self.column.impl.command or self.column.impl.name, None, self.name


def _describe(result: CaseResult) -> str:
    head = f"{result.clause} {result.outcome.value} on {result.implementation}"
    lines = [f"{head}: {result.message}" if result.message else head]
    for f in result.findings[:20]:
        where = f"{f.file}:{f.line}" if f.file and f.line else (f.location or f.file)
        detail = f" (expected {f.expected}, got {f.actual})" if f.expected or f.actual else ""
        lines.append(f"  {where + ': ' if where else ''}{f.message}{detail}")
    return "\n".join(lines)


_SAFE = re.compile(r"[^A-Za-z0-9_.=:+@-]+")


def _items(session: pytest.Session, column: Column, cases: list[Any]) -> list[OciItem]:
    from oci_conform.catalog.loader import clause_infos, default_catalog
    infos = clause_infos(default_catalog(), {c for case in cases for c in case.clauses})
    label = f"oci-{column.kind}[{column.impl.name}]"
    parent = OciColumn.from_parent(session, name=label, nodeid=label)
    items = []
    for case in cases:
        for clause in case.clauses:
            item = OciItem.from_parent(parent, name=f"{_SAFE.sub('_', case.name)}[{clause}]",
                                       column=column, case=case.name, clause=clause)
            _decorate(item, column, case, infos.get(clause))
            items.append(item)
    # counted in pytest's "collected N items" line like any collected node
    session.ihook.pytest_collectreport(report=pytest.CollectReport(
        parent.nodeid, "passed", None, list(items)))
    return items


def _decorate(item: OciItem, column: Column, case: Any, info: Any) -> None:
    level = info.level.value if info else ""
    link = info.link if info else ""
    item.add_marker(getattr(pytest.mark, f"oci_{column.kind}"))
    item.add_marker(pytest.mark.oci_clause(item.clause))
    if info:
        item.add_marker(pytest.mark.oci_level(level))
        item.add_marker(getattr(pytest.mark, f"oci_{info.level.tier}"))
        item.add_marker(pytest.mark.oci_spec(link))
    for key in (case.group, column.impl.name, item.clause):
        item.extra_keyword_matches.add(key)
    item.user_properties.extend([("clause", item.clause), ("level", level), ("link", link),
                                 ("implementation", column.impl.name), ("case", case.name)])


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config,
                                  items: list[pytest.Item]) -> None:
    """Add the OCI items before pytest's own -k/-m deselection sees the list."""
    if not _active(config):
        return
    path = config.getoption("oci_expectations")
    expectations: list[Expectation] = []
    if path:
        from oci_conform.expectations_file import load_expectations
        from oci_conform.model.expectations import ExpectationsError
        try:
            expectations = load_expectations(Path(path))
        except ExpectationsError as exc:
            raise pytest.UsageError(f"--oci-expectations: {exc}") from None
    columns = [*_config_columns(config.getoption("oci_config"), expectations),
               *_image_columns(config.getoption("oci_image"), expectations),
               *_runtime_columns(config.getoption("oci_runtime"), expectations),
               *_registry_columns(config.getoption("oci_registry"), expectations)]
    for column, cases in columns:
        items.extend(_items(session, column, cases))
