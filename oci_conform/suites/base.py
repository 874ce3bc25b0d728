"""The one small interface every suite implements, and what a run hands it.

A suite names the kind of implementation it judges (``runtime``, ``registry``,
``image``, ...), the command-line option that adds one (``--runtime NAME=CMD``),
how to find the default ones on this machine, and yields CaseResults for one
implementation at a time. The orchestrator knows nothing more about it.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from oci_conform.catalog.loader import Catalog
from oci_conform.interrupts import StopFlag
from oci_conform.model.results import CaseResult, Implementation


@dataclass(frozen=True)
class Selection:
    """Which cases to run: by clause id (or id prefix), by group, by text. Empty = all."""

    clauses: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()
    text: str = ""

    def wants(self, clause_ids: Iterable[str], group: str = "", name: str = "") -> bool:
        ids = tuple(clause_ids)
        if self.clauses and not any(c == s or c.startswith(s.rstrip("*").rstrip(".") + ".")
                                    for c in ids for s in self.clauses):
            return False
        if self.groups and group not in self.groups:
            return False
        if self.text:
            hay = " ".join((*ids, group, name)).lower()
            if self.text.lower() not in hay:
                return False
        return True


@dataclass(frozen=True)
class RuntimeOptions:
    """Options of the runtime suite."""

    timeout: float = 20.0            # seconds per runtime call
    keep: bool = False               # keep the bundles of failing cases
    keep_dir: str = ""               # ... in this folder (made by the command)


@dataclass(frozen=True)
class RegistryOptions:
    """Options of the registry suite."""

    profile: str = "v1.1"
    read_only: bool = False
    namespace: str = ""
    credentials: Any = None          # drivers.registry_http.Credentials, or None (anonymous)
    insecure: bool = False           # do not verify TLS
    request_timeout: float = 120.0   # seconds per request, headers and body together
    deadline: float = 1800.0         # seconds for the whole suite on one registry
    allow_insecure_realm: bool = False   # basic credentials to a plain-http realm elsewhere
    cases: tuple[str, ...] = ()      # run only these registry cases (by name)


@dataclass
class RunContext:
    """What a suite may use while it runs: the catalog, a private temp folder, typed options.

    ``spec_versions`` maps a spec name to the version the user asked to judge at
    (``--spec-version``); absent means the catalog's default. ``cache`` is scratch space
    suites share within one run (built images, prepared targets), never options.
    """

    catalog: Catalog
    workdir: Path
    selection: Selection = field(default_factory=Selection)
    jobs: int = 1
    spec_versions: dict[str, str] = field(default_factory=dict)
    runtime: RuntimeOptions = field(default_factory=RuntimeOptions)
    registry: RegistryOptions = field(default_factory=RegistryOptions)
    cache: dict[str, Any] = field(default_factory=dict)
    progress: Callable[[str], None] = lambda _msg: None
    debug: bool = False              # --debug: tracebacks of harness errors on stderr
    stop: StopFlag = field(default_factory=StopFlag)   # set by SIGINT/SIGTERM: start no case

    def spec_version(self, spec: str) -> str:
        """The version of ``spec`` this run judges at: asked for, else the catalog default."""
        asked = self.spec_versions.get(spec)
        return asked or self.catalog.specs[spec].default_version


@runtime_checkable
class Suite(Protocol):
    """A set of checks over one kind of implementation."""

    name: str          # e.g. "runtime"
    kind: str          # the Implementation.kind it accepts
    option: str        # the matrix option that adds an implementation, e.g. "--runtime"
    help: str          # one line for that option's help

    def clause_ids(self) -> frozenset[str]:
        """Every clause id any of its checks can judge."""

    def parse_implementation(self, text: str) -> Implementation:
        """An implementation from ``NAME=VALUE`` (raise ValueError with a one-line reason)."""

    def default_implementations(self, ctx: RunContext) -> list[Implementation]:
        """The implementations found on this machine (unavailable ones with a reason)."""

    def run(self, impl: Implementation, ctx: RunContext) -> Iterator[CaseResult]:
        """Judge ``impl``, yielding one CaseResult per clause and case.

        A suite may also offer ``selected_clause_ids(selection) -> set[str]`` (the clauses
        its selected cases judge): the orchestrator then fills the column of an unavailable
        implementation with exactly those skips, also under --group and -k selections.

        When ``ctx.stop`` is set (SIGINT/SIGTERM) the orchestrator closes the iterator at the
        next result, so cleanup belongs in ``finally`` blocks; a suite whose class sets
        ``stops_itself = True`` watches ``ctx.stop`` itself (finishing the running case and
        its own summary outcomes) and is read to its end instead."""
