"""``image validate``: a reference in, CaseResults out (one per clause the image touched)."""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from oci_conform.checks.docker import manifest as docker_manifest
from oci_conform.checks.docker.config import check_image_json
from oci_conform.checks.image.layer import Limits
from oci_conform.checks.image.layout import validate_layout
from oci_conform.checks.image.report import Report
from oci_conform.checks.image.walk import DOCKER_CONFIG, DOCKER_LIST, DOCKER_MANIFEST, EXTRA_CHECKS
from oci_conform.drivers.image_sources.base import SourceError
from oci_conform.drivers.image_sources.refs import ImageRef
from oci_conform.model.evidence import HttpExchange
from oci_conform.model.outcome import Outcome
from oci_conform.model.results import CaseResult

EXTRA_CHECKS.setdefault(DOCKER_MANIFEST, docker_manifest.check_v2s2)
EXTRA_CHECKS.setdefault(DOCKER_LIST, docker_manifest.check_list)
EXTRA_CHECKS.setdefault(DOCKER_CONFIG, check_image_json)


@dataclass
class Options:
    version: str = "1.1.1"
    limits: Limits = field(default_factory=Limits)
    insecure: bool = True          # plain http for registries on loopback


Validator = Callable[[ImageRef, Options], tuple[Report, dict]]


def _oci(ref: ImageRef, opts: Options) -> tuple[Report, dict]:
    from oci_conform.drivers.image_sources.layout_dir import LayoutDir
    from oci_conform.drivers.image_sources.tar_archive import TarArchive
    src = LayoutDir(Path(ref.location), ref.text) if ref.kind == "oci" else \
        TarArchive(Path(ref.location), "oci-archive", ref.text)
    try:
        return validate_layout(src, opts.version, opts.limits, ref.selector)
    finally:
        src.close()


def _docker_archive(ref: ImageRef, opts: Options) -> tuple[Report, dict]:
    from oci_conform.checks.docker.archive import validate_docker_archive
    from oci_conform.drivers.image_sources.tar_archive import TarArchive
    src = TarArchive(Path(ref.location), "docker-archive", ref.text)
    try:
        return validate_docker_archive(src, opts.version, opts.limits)
    finally:
        src.close()


def _aci(ref: ImageRef, opts: Options) -> tuple[Report, dict]:
    from oci_conform.checks.appc.aci import validate_aci
    return validate_aci(Path(ref.location), opts.limits)


def _registry(ref: ImageRef, opts: Options) -> tuple[Report, dict]:
    from oci_conform.drivers.image_sources.registry import validate_registry_image
    return validate_registry_image(ref, opts.version, opts.limits, opts.insecure)


VALIDATORS: dict[str, Validator] = {"oci": _oci, "oci-archive": _oci,
                                    "docker-archive": _docker_archive, "aci": _aci,
                                    "docker": _registry}


def validate_ref(ref: ImageRef, opts: Options, implementation: str = "",
                 universe: frozenset[str] = frozenset()) -> list[CaseResult]:
    """Validate one image; a source that cannot be read at all is a harness error."""
    name = implementation or ref.text
    started = time.monotonic()
    try:
        report, evidence = VALIDATORS[ref.kind](ref, opts)
    except (SourceError, OSError) as exc:
        return [CaseResult("image.image-layout.content.3" if ref.kind.startswith("oci") else
                           _entry_clause(ref.kind), name, Outcome.ERROR,
                           case="image:validate", message=f"cannot read {ref.text}: {exc}")]
    evidence["seconds"] = round(time.monotonic() - started, 3)
    exchanges = evidence.pop("exchanges", None)
    results = report.outcomes(name, universe, "image:validate", evidence)
    if exchanges:
        # The HTTP exchanges go with the outcomes that need them, not onto every row.
        for r in results:
            if r.outcome in (Outcome.FAIL, Outcome.ERROR) or r is results[0]:
                r.evidence.exchanges = [HttpExchange.from_dict(x) for x in exchanges]
    return results


def _entry_clause(kind: str) -> str:
    return {"docker-archive": "docker.save.manifest-json", "aci": "appc.aci.layout.manifest",
            "docker": "docker.manifest-v2-2.schema-version"}.get(
                kind, "image.image-layout.content.3")


def all_judged_ids() -> frozenset[str]:
    """Every clause id ``image validate`` and ``validate-document`` can judge."""
    from oci_conform.checks.appc import JUDGED as APPC
    from oci_conform.checks.docker import clauses as D
    from oci_conform.checks.image import clauses as C
    ids = {v for mod in (C, D) for k, v in vars(mod).items()
           if k.isupper() and isinstance(v, str) and not v.startswith("application/")
           and "." in v}
    return frozenset(ids | APPC)
