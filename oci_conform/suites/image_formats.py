"""Format comparison: image-spec clauses against OCI layout, docker-archive, Docker V2
Schema 2 (in a registry) and appc ACI, engines as image producers (``podman save``
in three formats, ``buildah push`` to an OCI layout; see ``drivers/engines.py``; ``docker
save`` from a dockerd of our own, see ``drivers/dockerd.py``), and the conversions the tools
offer between formats, both ways (``drivers/image_sources/conversions.py``): each converts an
image the toolkit wrote, and its output is judged.

Each cell says whether the format meets the clause (judged on a real image made by
umoci/skopeo/actool from a busybox rootfs), has its own equivalent (judged by the
equivalent clause, message ``equivalent: ...``), or cannot express it (n/a, reason).
"""
from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

from oci_conform.catalog.loader import Catalog
from oci_conform.drivers.image_sources.conversions import BY_NAME as CONVERSION
from oci_conform.drivers.image_sources.conversions import CONVERSIONS
from oci_conform.model.declaration import Declaration
from oci_conform.model.evidence import Evidence
from oci_conform.model.judging import (
    Observation,
    Why,
    case_results,
    errored,
    not_judged,
    roll_up,
)
from oci_conform.model.outcome import Outcome
from oci_conform.model.results import CaseResult, Implementation
from oci_conform.suites.base import RunContext

JUDGE = "judge"
# Engine columns: each writes one of the formats above, judged by that format's row rules.
ENGINE_FORMAT = {"podman-docker-archive": "docker-archive", "podman-oci-archive": "oci-layout",
                 "podman-oci-dir": "oci-layout", "buildah-oci": "oci-layout",
                 "containerd-export": "oci-layout",
                 "docker-save": "docker-archive"}       # dockerd of our own, `docker save`
# Conversion columns: the output of one tool conversion, judged by its format's row rules.
CONVERSION_FORMAT = {c.name: c.output for c in CONVERSIONS}
PRODUCED_FORMAT = {**ENGINE_FORMAT, **CONVERSION_FORMAT}
FORMATS = ("oci-layout", "docker-archive", "docker-v2s2", "appc-aci", *ENGINE_FORMAT,
           *CONVERSION_FORMAT)
# Which real image stands for each format (names from tools.make_real_images).
IMAGE_OF = {"oci-layout": ("multi-platform", "umoci-gzip"), "docker-archive": ("docker-archive",),
            "docker-v2s2": ("docker-v2s2-list", "docker-v2s2"), "appc-aci": ("appc-aci",)}
NEEDS = {"oci-layout": ("umoci",), "docker-archive": ("umoci", "skopeo"),
         "docker-v2s2": ("umoci", "skopeo", "docker-registry"),
         "appc-aci": ("actool",), "podman-docker-archive": ("podman",),
         "podman-oci-archive": ("podman",), "podman-oci-dir": ("podman",),
         "buildah-oci": ("podman", "buildah"), "containerd-export": ("containerd", "ctr"),
         "docker-save": ("dockerd",),     # with Debian's /usr/bin/docker (drivers/dockerd.py)
         **{c.name: c.needs for c in CONVERSIONS}}

NO_FILES = "the registry API has no files or folders"
# clause -> {format: JUDGE | "=other.clause" (equivalent) | reason it cannot be expressed}
ROWS: dict[str, dict[str, str]] = {
    "image.image-layout.content.3": {
        "oci-layout": JUDGE, "docker-archive": "no oci-layout marker (Docker before 25 and "
        "skopeo's docker-archive write none)", "docker-v2s2": NO_FILES,
        "appc-aci": "an ACI is identified by its manifest, not a marker file"},
    "image.image-layout.blobs.1": {
        "oci-layout": JUDGE, "docker-archive": "=docker.save.config-id",
        "docker-v2s2": "=image.descriptor.properties.3", "appc-aci": "=appc.aci.image-id"},
    "image.descriptor.properties.3": {
        "oci-layout": JUDGE, "docker-archive": "manifest.json names files by path; no digests",
        "docker-v2s2": JUDGE, "appc-aci": "=appc.aci.image-id"},
    "image.descriptor.properties.5": {
        "oci-layout": JUDGE, "docker-archive": "manifest.json records no sizes",
        "docker-v2s2": JUDGE, "appc-aci": "no descriptors (a dependency's size is optional)"},
    "image.manifest.image-manifest-property-descriptions.9": {
        "oci-layout": JUDGE, "docker-archive": "=docker.save.manifest-json",
        "docker-v2s2": "=docker.manifest-v2-2.config", "appc-aci": "=appc.aci.manifest.json"},
    "image.manifest.image-manifest-property-descriptions.4": {
        "oci-layout": JUDGE, "docker-archive": "manifest.json has no media type",
        "docker-v2s2": "=docker.manifest-v2-2.media-type", "appc-aci": "=appc.manifest.ac-kind"},
    "image.manifest.image-manifest-property-descriptions.16": {
        "oci-layout": JUDGE, "docker-archive": "=docker.save.paths-exist",
        "docker-v2s2": "=docker.manifest-v2-2.layers",
        "appc-aci": "one rootfs, no layers (dependencies name other whole images)"},
    "image.image-index.property-descriptions.9": {
        "oci-layout": JUDGE, "docker-archive": "several images per archive, but no platform "
        "index", "docker-v2s2": "=docker.manifest-list.manifests",
        "appc-aci": "one image per os/arch; discovery picks, no index document"},
    "image.image-index.property-descriptions.19": {
        "oci-layout": JUDGE, "docker-archive": "no platform index",
        "docker-v2s2": "=docker.manifest-list.platform", "appc-aci": "=appc.manifest.os-arch"},
    "image.config.properties.4": {
        "oci-layout": JUDGE, "docker-archive": "=docker.image.architecture",
        "docker-v2s2": "=docker.image.architecture", "appc-aci": "=appc.manifest.os-arch"},
    "image.config.properties.6": {
        "oci-layout": JUDGE, "docker-archive": "=docker.image.os",
        "docker-v2s2": "=docker.image.os", "appc-aci": "=appc.manifest.os-arch"},
    "image.config.properties.20": {
        "oci-layout": JUDGE, "docker-archive": "=docker.image.env",
        "docker-v2s2": "=docker.image.env", "appc-aci": "=appc.manifest.app-environment"},
    "image.config.properties.38": {
        "oci-layout": JUDGE, "docker-archive": "=docker.save.layers-match",
        "docker-v2s2": JUDGE, "appc-aci": "no layers, so no DiffIDs"},
    "image.layer.distributable-format.1": {
        "oci-layout": JUDGE, "docker-archive": JUDGE, "docker-v2s2": JUDGE,
        "appc-aci": "=appc.aci.archive.tar"},
    "image.layer.distributable-format.2": {
        "oci-layout": JUDGE, "docker-archive": JUDGE, "docker-v2s2": JUDGE,
        "appc-aci": "=appc.aci.archive.tar"},
    "image.layer.whiteouts.2": {
        "oci-layout": JUDGE, "docker-archive": JUDGE, "docker-v2s2": JUDGE,
        "appc-aci": "no whiteouts: an ACI carries a complete rootfs"},
    "image.annotations.rules.1": {
        "oci-layout": JUDGE, "docker-archive": "no annotations (only RepoTags)",
        "docker-v2s2": "schema 2 has no annotations field",
        "appc-aci": "=appc.manifest.annotations"},
}


class ImageFormatsSuite:
    name = "image-formats"
    kind = "image-format"
    option = "--image-format"
    help = ("image format column: FORMAT or FORMAT=REF (formats: " + ", ".join(FORMATS)
            + "; REF: an image to judge instead of the one built from busybox)")

    def clause_ids(self) -> frozenset[str]:
        return frozenset(c for d in declarations() for c in d.clauses)

    def parse_implementation(self, text: str) -> Implementation:
        name, _, ref = text.partition("=")
        if name not in FORMATS:
            raise ValueError(f"unknown image format {name!r} (known: {', '.join(FORMATS)})")
        impl = _impl(name)
        if ref:
            impl.command = ref
        return impl

    def default_implementations(self, ctx: RunContext) -> list[Implementation]:
        return [_impl(f) for f in FORMATS]

    def run(self, impl: Implementation, ctx: RunContext) -> Iterator[CaseResult]:
        started = time.monotonic()
        ref, why = _image_for(impl, ctx)
        made = ctx.cache.get("image_formats_conversions", {}).get(impl.name, {})
        if not ref:
            # an installed tool that could not convert the toolkit's own (whole) image: nothing
            # was judged, which must show (error), not pass as "not installed"
            failed = impl.name in CONVERSION and impl.available
            for clause in sorted(ROWS):
                if ctx.selection.wants([clause]):
                    obs = errored(clause, f"the conversion failed: {why}") if failed \
                        else not_judged(clause, Why.NOT_INSTALLED, why)
                    yield _row(obs, impl.name, Evidence(facts=dict(made)))
            return
        judged = _judge(ref, ctx)
        for clause, cells in sorted(ROWS.items()):
            if ctx.selection.wants([clause]):
                rule = cells[PRODUCED_FORMAT.get(impl.name, impl.name)]
                cell = _cell(clause, rule, judged, impl.name, ref, ctx.catalog,
                             time.monotonic() - started)
                yield replace(cell, evidence=replace(cell.evidence, facts={
                    **cell.evidence.facts, **made})) if made else cell
        # Every other clause the validator judged on this format's image, as it came out.
        for clause, seen in sorted(judged.items()):
            if clause not in ROWS and ctx.selection.wants([clause]) \
                    and seen.outcome is not Outcome.NA:
                yield CaseResult(clause, impl.name, seen.outcome, case="image-formats:validate",
                                 message=seen.message, findings=seen.findings[:10],
                                 evidence=replace(seen.evidence, facts={
                                     "format": impl.name, "image": ref, **made,
                                     **seen.evidence.facts}))


def _impl(name: str) -> Implementation:
    from oci_conform.drivers.image_sources import tools as T
    missing = [t for t in NEEDS[name] if not T.which(t)]
    versions = "; ".join(v for v in (T.tool_version(t) for t in NEEDS[name]
                                     if t != "docker-registry") if v)
    return Implementation(name=name, kind="image-format",
                          command=f"built by {', '.join(NEEDS[name])}" + (
                              f" ({CONVERSION[name].doc})" if name in CONVERSION else ""),
                          version=versions, available=not missing,
                          reason=f"not installed: {', '.join(missing)}" if missing else "")


def _image_for(impl: Implementation, ctx: RunContext) -> tuple[str, str]:
    if not impl.command.startswith("built by"):
        return impl.command, ""
    if impl.name in ENGINE_FORMAT:
        return _engine_image(impl.name, ctx)
    if impl.name in CONVERSION:
        return _converted_image(impl.name, ctx)
    prepared = _prepare(ctx)
    ref = next((prepared["refs"][n] for n in IMAGE_OF[impl.name] if n in prepared["refs"]), "")
    return ref, ("; ".join(prepared["problems"]) or "image not built")


def _prepare(ctx: RunContext) -> dict:
    """Build the real images once per run, judge them all, then stop the registry."""
    cache = ctx.cache.setdefault("image_formats", {})
    if "refs" in cache:
        return cache
    from oci_conform.drivers.docker_registry import DockerRegistry, RegistryStartError
    from oci_conform.drivers.image_sources import tools as T
    registry = None
    try:
        registry = DockerRegistry().start()
    except (RegistryStartError, OSError) as exc:
        ctx.progress(f"[image-formats] no registry: {exc}")
    try:
        ctx.progress("[image-formats] building busybox images with umoci, skopeo, actool")
        images = T.make_real_images(Path(ctx.workdir) / "image-formats",
                                    registry.url if registry else "")
        cache.update(refs=images.refs, problems=images.problems, judged={})
        for fmt in IMAGE_OF:
            ref = next((images.refs[n] for n in IMAGE_OF[fmt] if n in images.refs), "")
            if ref:
                _judge(ref, ctx)
    finally:
        if registry:
            registry.stop()
            registry.cleanup()
    return cache


def _engine_image(column: str, ctx: RunContext) -> tuple[str, str]:
    """Make one engine column's image once per run: (image reference, or why not)."""
    cache = ctx.cache.setdefault("image_formats_engines", {})
    if column not in cache:
        folder = Path(ctx.workdir) / "engine-images"
        folder.mkdir(parents=True, exist_ok=True)
        ctx.progress(f"[image-formats] {column}: making its image")
        if column == "docker-save":
            made = _docker_save(folder)
        else:
            made = _containerd_export(folder) if column == "containerd-export" \
                else _podman_image(column, folder)
        cache[column] = made
    return cache[column]


def _converted_image(column: str, ctx: RunContext) -> tuple[str, str]:
    """Run one conversion once per run: (the output's reference, or why there is none)."""
    cache = ctx.cache.setdefault("image_formats_converted", {})
    if column not in cache:
        ctx.progress(f"[image-formats] {column}: {CONVERSION[column].doc}")
        made = CONVERSION[column].make(Path(ctx.workdir) / "conversions" / column)
        cache[column] = (made.ref, made.why)
        # what the cells show of the conversion: the input the toolkit wrote, the tool calls
        ctx.cache.setdefault("image_formats_conversions", {})[column] = {
            "converted_from": made.source,
            "conversion": [f"{' '.join(r.argv)} -> exit {r.exit}" for r in made.runs]}
    return cache[column]


def _podman_image(column: str, folder: Path) -> tuple[str, str]:
    """podman import of a busybox rootfs into a store of its own, then ``podman save`` or
    ``buildah push``; the store is removed, the written image stays in ``folder``."""
    from oci_conform.drivers import engines as E
    store = E.EngineStore(folder / f"store-{column}")
    try:
        made = store.import_busybox()
        if not made.ok:
            return "", f"podman import failed: {made.stderr[-300:]}"
        if column == "buildah-oci":
            result, ref = E.buildah_push_oci(store, folder / column)
        else:
            result, ref = E.podman_save(store, column.removeprefix("podman-"), folder / column)
        return (ref, "") if result.ok else ("", f"{result.argv[0]}: {result.stderr[-300:]}")
    finally:
        store.cleanup()


def _containerd_export(folder: Path) -> tuple[str, str]:
    """containerd started on a socket of its own, fed the toolkit's own OCI image
    (``ctr images import``), asked to ``ctr images export`` it, then stopped."""
    from oci_conform.drivers import engines as E
    from oci_conform.drivers.image_sources.build import write_layout
    try:
        daemon = E.Containerd(folder / "containerd").start()
    except (E.ContainerdError, OSError) as exc:
        return "", str(exc)
    try:
        archive = E.oci_archive_of_layout(write_layout(folder / "ctr-source"),
                                          folder / "ctr-source.tar")
        runs, ref = E.containerd_export(daemon, archive, folder / "containerd-export.tar")
        bad = next((r for r in runs if not r.ok), None)
        return ("", f"{' '.join(bad.argv[3:6])}: {bad.stderr[-300:]}") if bad else (ref, "")
    finally:
        daemon.stop()


def _docker_save(folder: Path) -> tuple[str, str]:
    """A dockerd of our own (``drivers/dockerd.py``): ``docker import`` of a busybox rootfs,
    ``docker save`` of it, then the daemon is stopped and its store removed."""
    from oci_conform.drivers.bundle import BundleError
    from oci_conform.drivers.dockerd import IMAGE, Dockerd, DockerdError
    daemon = Dockerd(folder / "dockerd")
    try:
        daemon.start()
        made = daemon.import_busybox()
        if not made.ok:
            return "", f"docker import failed: {made.stderr[-300:]}"
        out = folder / "docker-save.tar"
        saved = daemon.docker("save", "-o", str(out), IMAGE)
        return (f"docker-archive:{out}", "") if saved.ok \
            else ("", f"docker save failed: {saved.stderr[-300:]}")
    except (DockerdError, BundleError, OSError) as exc:
        return "", str(exc)
    finally:
        daemon.stop()


def _judge(ref: str, ctx: RunContext) -> dict[str, CaseResult]:
    from oci_conform.drivers.image_sources.refs import parse_ref
    from oci_conform.drivers.image_sources.validate import Options, validate_ref
    cache = ctx.cache.setdefault("image_formats", {}).setdefault("judged", {})
    if ref not in cache:
        # rules not in force in the judged version come out n/a (e.g. main-only I-JSON rules)
        judged = validate_ref(parse_ref(ref), Options(version=ctx.spec_version("image-spec")))
        cache[ref] = {r.clause: r for r in judged}
    return cache[ref]


def _row(obs: Observation, impl: str, evidence: Evidence, case: str = "image-formats",
         duration: float = 0.0) -> CaseResult:
    """The CaseResult of one cell, judged by ``model.judging``."""
    verdict = roll_up([obs])[obs.clause]
    return next(case_results([verdict], impl, case, evidence=evidence, duration=duration))


def _cell(clause: str, rule: str, judged: dict[str, CaseResult], fmt: str, ref: str,
          catalog: Catalog, duration: float) -> CaseResult:
    facts = {"format": fmt, "image": ref}
    if rule == JUDGE or rule.startswith("="):
        target = clause if rule == JUDGE else rule[1:]
        seen = judged.get(target)
        if seen is None or seen.outcome is Outcome.NA:
            return _row(not_judged(clause, Why.ABSENT, "the format can express it; the test "
                                   f"image does not exercise {target}"), fmt,
                        Evidence(facts=facts))
        prefix = "" if rule == JUDGE else f"equivalent: {target}: "
        summary = catalog.clauses[target].summary if rule != JUDGE and target in catalog.clauses \
            else ""
        message = prefix + (summary if seen.outcome is Outcome.PASS and summary else seen.message)
        return CaseResult(clause, fmt, seen.outcome, case="image-formats", message=message,
                          findings=seen.findings[:10],
                          evidence=replace(seen.evidence, facts={
                              **facts, "judged_clause": target, **seen.evidence.facts}),
                          duration=duration, omitted_findings=seen.omitted_findings)
    return _row(not_judged(clause, Why.NOT_OFFERED, f"cannot express: {rule}"), fmt,
                Evidence(facts=facts))


def declarations() -> list[Declaration]:
    """One declaration per row of the format table (the row clause and its equivalents),
    one per tool conversion (the rules its output's format is judged by), plus the whole
    validator, whose other outcomes each column relays."""
    from oci_conform.checks.image import declarations as check_declarations
    out = []
    for clause, cells in sorted(ROWS.items()):
        judged = tuple(dict.fromkeys([clause] + [c[1:] for c in cells.values()
                                                 if c.startswith("=")]))
        out.append(Declaration(f"image-formats:{clause}", "oci_conform.suites.image_formats:_cell",
                               judged, "image-formats",
                               f"oci-conform matrix --suite image-formats --clause {clause}"))
    for conversion in CONVERSIONS:
        judged = tuple(dict.fromkeys(
            (clause if rule == JUDGE else rule[1:])
            for clause, cells in sorted(ROWS.items())
            for rule in (cells[conversion.output],) if rule == JUDGE or rule.startswith("=")))
        out.append(Declaration(
            f"image-formats:convert:{conversion.name}",
            "oci_conform.suites.image_formats:_converted_image", judged, "image-formats",
            f"oci-conform matrix --suite image-formats --image-format {conversion.name}"))
    relayed = tuple(sorted({c for d in check_declarations() for c in d.clauses}
                           - {c for d in out for c in d.clauses}))
    out.append(Declaration("image-formats:validate",
                           "oci_conform.suites.image_formats:ImageFormatsSuite.run", relayed,
                           "image-formats", "oci-conform matrix --suite image-formats"))
    return out


SUITE = ImageFormatsSuite()
