"""The registry suite object: implementations, starting registries, one run per registry.

``SUITE`` plugs into ``oci-conform matrix`` (``--registry NAME=URL``). Without a registry
given, it starts Debian's ``docker-registry`` on loopback for the run, and the bundled
reference registry when its module offers the start hook (see ``REFERENCE_HOOK``).

Options come from ``RunContext.registry`` (profile, read-only, namespace, credentials, TLS,
request timeout, run deadline, insecure realm, cases). Fail fast: before any case runs the
registry must answer ``GET /v2/``; when it does not, the column is ONE ``error`` outcome
(``harness.registry.reachable``) naming why, not one error per check.
"""
from __future__ import annotations

import contextlib
import importlib
import importlib.util
import re
from collections.abc import Iterator, Sequence
from typing import Any
from urllib.parse import urlsplit

import requests

from oci_conform.drivers.docker_registry import (
    DockerRegistry,
    RegistryStartError,
    binary_path,
    registry_version,
)
from oci_conform.drivers.registry_http import Credentials, RegistryClient
from oci_conform.model.evidence import Evidence, HttpExchange
from oci_conform.model.judging import Judge, case_results
from oci_conform.model.results import CaseResult, Implementation
from oci_conform.suites.base import RunContext
from oci_conform.suites.registry.runner import (
    PROFILES,
    RegistryRun,
    RunOptions,
    all_cases,
    all_clause_ids,
    check_count,
)

START_DOCKER = "start:docker-registry"
START_REFERENCE = "start:oci-conform-registry"
REFERENCE_MODULE = "oci_conform.reference.registry"
REFERENCE_HOOK = "running"    # running(folder: Path) -> ContextManager[str base URL]
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")

class RegistrySuite:
    """distribution-spec behaviour checks over HTTP."""

    stops_itself = True    # stops starting cases on ctx.stop; its cleanup outcome stays
    name = "registry"
    kind = "registry"
    option = "--registry"
    help = ("a registry to test, as NAME[@PROFILE]=URL (e.g. local=http://127.0.0.1:5000, "
            "local@dev=http://127.0.0.1:5000; PROFILE is v1.0, v1.1 or dev; URL may be "
            "start:docker-registry or start:oci-conform-registry)")

    def clause_ids(self) -> frozenset[str]:
        """Every clause id a case can judge that the catalog holds (main-only extras drop)."""
        from oci_conform.catalog.loader import default_catalog
        try:
            known = set(default_catalog().clauses)
        except Exception:  # an invalid catalog is reported by the catalog's own command
            known = set()
        ids = all_clause_ids()
        return frozenset(ids & known) if known else frozenset(ids)

    def parse_implementation(self, text: str) -> Implementation:
        """``NAME=URL`` or ``NAME@PROFILE=URL``: the profile (v1.0, v1.1, dev) overrides
        ``registry_profile`` for this column only; URL may also name a registry the suite
        starts (``start:docker-registry``, ``start:oci-conform-registry``)."""
        label, sep, url = text.partition("=")
        name, at, profile = label.partition("@")
        if not sep or not name or not url or (at and not profile):
            raise ValueError(f"--registry wants NAME=URL or NAME@PROFILE=URL, got {text!r}")
        if not NAME_RE.match(name):
            raise ValueError(f"registry name {name!r} may hold letters, digits, '.', '_', '-'")
        if at and profile not in PROFILES:
            raise ValueError(f"registry profile {profile!r} in {text!r} is not one of "
                             f"{', '.join(PROFILES)}")
        if url in (START_DOCKER, START_REFERENCE):
            impl = self._reference() if url == START_REFERENCE else self._docker()
            impl.name = name
        else:
            parts = urlsplit(url)
            if parts.scheme not in ("http", "https") or not parts.netloc:
                raise ValueError(f"registry URL {url!r} must be http:// or https://host[:port], "
                                 f"{START_DOCKER} or {START_REFERENCE}")
            impl = Implementation(name=name, kind=self.kind, command=url.rstrip("/"),
                                  spec_version="")
        impl.spec_version = PROFILES[profile] if at else ""
        return impl

    def default_implementations(self, ctx: RunContext) -> list[Implementation]:
        return [self._reference(), self._docker()]   # the reference registry comes first

    def _docker(self) -> Implementation:
        path = binary_path()
        return Implementation(
            name="docker-registry", kind=self.kind, command=START_DOCKER,
            version=registry_version(path) if path else "", available=bool(path),
            reason="" if path else "docker-registry is not installed (apt-get install "
                                   "docker-registry)")

    def _reference(self) -> Implementation:
        impl = Implementation(name="oci-conform-registry", kind=self.kind,
                              command=START_REFERENCE)
        try:
            spec = importlib.util.find_spec(REFERENCE_MODULE)
        except (ImportError, ValueError):
            spec = None
        if spec is None:
            impl.available = False
            impl.reason = f"the reference registry ({REFERENCE_MODULE}) is not part of this build"
            return impl
        module = importlib.import_module(REFERENCE_MODULE)
        if not callable(getattr(module, REFERENCE_HOOK, None)):
            impl.available = False
            impl.reason = (f"{REFERENCE_MODULE} has no {REFERENCE_HOOK}(folder) hook to start "
                           "it on loopback")
        impl.version = str(getattr(module, "__version__", ""))
        return impl

    @contextlib.contextmanager
    def _endpoint(self, impl: Implementation, ctx: RunContext,
                  profile: str = "v1.1") -> Iterator[str]:
        if impl.command == START_DOCKER:
            with DockerRegistry(folder=None) as reg:
                impl.version = impl.version or reg.version
                yield reg.url
        elif impl.command == START_REFERENCE:
            module = importlib.import_module(REFERENCE_MODULE)
            folder = ctx.workdir / f"reference-registry-{impl.name}"
            folder.mkdir(parents=True, exist_ok=True)
            with getattr(module, REFERENCE_HOOK)(folder, profile=profile) as url:
                yield str(url)
        else:
            yield impl.command

    def run(self, impl: Implementation, ctx: RunContext) -> Iterator[CaseResult]:
        pinned = profile_of(impl.spec_version)     # NAME@PROFILE=URL in the matrix
        options = RunOptions(profile=pinned or ctx.registry.profile,
                             read_only=ctx.registry.read_only,
                             namespace=ctx.registry.namespace,
                             selection=ctx.selection, cases=tuple(ctx.registry.cases),
                             stopped=ctx.stop.is_set)
        impl.spec_version = PROFILES.get(options.profile, options.profile)
        creds = ctx.registry.credentials
        credentials = creds if isinstance(creds, Credentials) else Credentials()
        try:
            endpoint = self._endpoint(impl, ctx, options.profile)
            url = endpoint.__enter__()
        except (RegistryStartError, OSError) as exc:
            yield reachable(impl.name, f"could not start {impl.name}: {exc}")
            return
        try:
            with RegistryClient(url, credentials=credentials,
                                verify_tls=not ctx.registry.insecure,
                                timeout=ctx.registry.request_timeout,
                                deadline=ctx.registry.deadline,
                                allow_insecure_realm=ctx.registry.allow_insecure_realm
                                ) as client:
                problem = preflight(client)
                seen = client.take()
                if problem or options.wants_reachable():
                    yield reachable(impl.name, problem, seen, client.base_url)
                if problem:
                    return
                run = RegistryRun(client, ctx.catalog, impl.name, options, ctx.progress)
                yield from run.run()
        finally:
            endpoint.__exit__(None, None, None)


def profile_of(spec_version: str) -> str:
    """The profile whose spec version ``spec_version`` is ("" when none)."""
    return next((p for p, v in PROFILES.items() if v == spec_version and spec_version), "")


def preflight(client: RegistryClient) -> str:
    """"" when ``GET /v2/`` works (after auth); else why nothing can be judged."""
    try:
        resp = client.request("GET", "/v2/")
    except requests.RequestException as exc:
        return f"cannot reach {client.base_url}: {type(exc).__name__}: {exc}"[:300]
    if resp.status_code == 401:
        how = "anonymous access refused" if client.credentials.anonymous else \
            "the credentials were refused"
        return (f"authentication failed at {client.base_url}/v2/: {how} "
                f"(WWW-Authenticate: {resp.headers.get('WWW-Authenticate', 'none')[:120]})")
    if resp.status_code != 200:
        return (f"{client.base_url}/v2/ answered {resp.status_code}: not a distribution-spec "
                "registry endpoint")
    return ""


def reachable(impl: str, problem: str, exchanges: Sequence[HttpExchange] = (),
              url: str = "") -> CaseResult:
    """harness.registry.reachable: the one outcome that says whether anything could be judged
    (pass: ``GET /v2/`` answered 200; error: why not, with the exchanges that show it)."""
    j = Judge(("harness.registry.reachable",), strict=True)
    if problem:
        j.error("harness.registry.reachable", f"nothing judged: {problem}",
                location=f"GET {url}/v2/" if url else "")
    else:
        j.passed("harness.registry.reachable", f"GET {url}/v2/ answered 200")
    verdict = j.verdicts()["harness.registry.reachable"]
    evidence = Evidence.of(exchanges=list(exchanges), max_exchanges=8)
    return next(case_results([verdict], impl, "registry:reachable", evidence=evidence))


def describe() -> dict[str, Any]:
    """Counts for docs and tests: cases, declared checks, clause ids."""
    return {"cases": len(all_cases()), "checks": check_count(),
            "clauses": len(all_clause_ids())}


SUITE = RegistrySuite()
