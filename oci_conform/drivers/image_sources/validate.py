"""``image validate``: open the source a reference names, hand it to the walk and checks,
and turn what they observed into CaseResults (the judging is ``model.judging``'s)."""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from oci_conform.checks.image.layer import Limits
from oci_conform.checks.image.report import Report
from oci_conform.drivers.image_sources.base import CORRUPT_STREAM, SourceError
from oci_conform.drivers.image_sources.refs import ImageRef
from oci_conform.model.evidence import Evidence, HttpExchange
from oci_conform.model.judging import errored, roll_up
from oci_conform.model.results import CaseResult

CASE = "image:validate"


@dataclass
class Options:
    """How image validation runs: spec version, limits, plain http."""

    version: str = "1.1.1"
    limits: Limits = field(default_factory=Limits)
    insecure: bool = True          # plain http for registries on loopback


@dataclass
class Seen:
    """What one validation observed: the report, plain facts and HTTP exchanges."""

    report: Report
    facts: dict[str, Any] = field(default_factory=dict)
    exchanges: list[HttpExchange] = field(default_factory=list)


Validator = Callable[[ImageRef, Options], Seen]


def _oci(ref: ImageRef, opts: Options) -> Seen:
    from oci_conform.drivers.image_sources.layout import validate_layout
    from oci_conform.drivers.image_sources.layout_dir import LayoutDir
    from oci_conform.drivers.image_sources.tar_archive import TarArchive
    src = LayoutDir(Path(ref.location), ref.text) if ref.kind == "oci" else \
        TarArchive(Path(ref.location), "oci-archive", ref.text)
    try:
        report, facts = validate_layout(src, opts.version, opts.limits, ref.selector)
        return Seen(report, facts)
    finally:
        src.close()


def _docker_archive(ref: ImageRef, opts: Options) -> Seen:
    from oci_conform.drivers.image_sources.docker_archive import validate_docker_archive
    from oci_conform.drivers.image_sources.tar_archive import TarArchive
    src = TarArchive(Path(ref.location), "docker-archive", ref.text)
    try:
        report, facts = validate_docker_archive(src, opts.version, opts.limits)
        return Seen(report, facts)
    finally:
        src.close()


def _aci(ref: ImageRef, opts: Options) -> Seen:
    import os

    from oci_conform.checks.appc.aci import check_aci
    from oci_conform.drivers.files import open_regular
    path = Path(ref.location)
    report = Report()
    with open_regular(path) as raw:
        size = os.fstat(raw.fileno()).st_size
        facts = check_aci(report, raw, path.name, size, opts.limits)
    return Seen(report, {"source": ref.text, **facts})


def _registry(ref: ImageRef, opts: Options) -> Seen:
    from oci_conform.drivers.image_sources.registry_walk import validate_registry_image
    report, facts, exchanges = validate_registry_image(ref, opts.version, opts.limits,
                                                       opts.insecure)
    return Seen(report, facts, exchanges)


VALIDATORS: dict[str, Validator] = {"oci": _oci, "oci-archive": _oci,
                                    "docker-archive": _docker_archive, "aci": _aci,
                                    "docker": _registry}


def validate_ref(ref: ImageRef, opts: Options, implementation: str = "",
                 declared: frozenset[str] = frozenset()) -> list[CaseResult]:
    """Validate one image; a source that cannot be read at all is a harness error."""
    name = implementation or ref.text
    started = time.monotonic()
    try:
        seen = VALIDATORS[ref.kind](ref, opts)
    except (SourceError, *CORRUPT_STREAM) as exc:
        # a compressed archive whose stream breaks only past its headers (corrupt xz data in
        # a member) fails on the member's first read, not while it is indexed
        reason = f"cannot read {ref.text}: {_one_line(exc)}"
        verdicts = roll_up([errored(_entry_clause(ref.kind), reason, location=ref.text)])
        return [CaseResult(v.clause, name, v.outcome, case=CASE, message=v.summary(),
                           findings=v.findings) for v in verdicts.values()]
    seen.facts["seconds"] = round(time.monotonic() - started, 3)
    evidence = Evidence.of(facts=seen.facts)
    results = seen.report.outcomes(name, declared, CASE, evidence, version=opts.version)
    if seen.exchanges:
        # The HTTP exchanges go with the outcomes that need them, not onto every row.
        with_http = Evidence.of(facts=seen.facts, exchanges=seen.exchanges)
        for i, r in enumerate(results):
            if i == 0 or r.outcome.value in ("fail", "error"):
                r.evidence = with_http
    return results


def _one_line(exc: BaseException) -> str:
    text = getattr(exc, "strerror", None) or str(exc)
    return " ".join(str(text).split())


def _entry_clause(kind: str) -> str:
    """The clause an unreadable source breaks at its entry point."""
    if kind == "docker-archive":
        return "docker.save.manifest-json"
    if kind == "aci":
        return "appc.aci.archive.tar"
    if kind == "docker":
        return "docker.manifest-v2-2.schema-version"
    return "image.image-layout.content.3"
