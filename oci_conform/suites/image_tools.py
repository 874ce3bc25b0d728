"""Image consumers as implementations: feed real tools a corpus of malformed OCI layouts
(one violation each, from drivers/image_sources/corpus.py) and record, clause by clause,
whether each tool rejects the violation (pass) or lets it through (fail).

A tool that rejects the valid control image cannot be judged (error). Evidence is
the tool's argv, exit code and stderr tail.
"""
from __future__ import annotations

import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from oci_conform.model.outcome import Outcome
from oci_conform.model.results import CaseResult, Implementation
from oci_conform.suites.base import RunContext

TOOLS = ("skopeo-copy", "umoci-unpack")
BINARY = {"skopeo-copy": "skopeo", "umoci-unpack": "umoci"}


def _skopeo(exe: str, image: Path, work: Path, kind: str) -> list[str]:
    src = f"oci:{image}:latest" if kind == "oci" else f"docker-archive:{image}"
    return [exe, "--insecure-policy", "copy", src, f"oci:{work / 'out'}:copy"]


def _umoci(exe: str, image: Path, work: Path, kind: str) -> list[str]:
    return [exe, "unpack", "--image", f"{image}:latest", str(work / "bundle")]


ARGV: dict[str, Callable[[str, Path, Path, str], list[str]]] = {"skopeo-copy": _skopeo,
                                                                "umoci-unpack": _umoci}
READS = {"skopeo-copy": ("oci", "docker-archive"), "umoci-unpack": ("oci",)}


def _cases():
    from oci_conform.drivers.image_sources.corpus import DOCKER_CASES, LAYOUT_CASES
    return LAYOUT_CASES + DOCKER_CASES


class ImageToolsSuite:
    name = "image-tools"
    kind = "image-tool"
    option = "--image-tool"
    help = "image consumer column: TOOL or TOOL=BINARY (tools: " + ", ".join(TOOLS) + ")"

    def clause_ids(self) -> frozenset[str]:
        from oci_conform.drivers.image_sources.tool_cases import clause_ids
        return frozenset(c.clause for c in _cases()) | clause_ids()

    def parse_implementation(self, text: str) -> Implementation:
        name, _, binary = text.partition("=")
        if name not in TOOLS:
            raise ValueError(f"unknown image tool {name!r} (known: {', '.join(TOOLS)})")
        return _impl(name, binary)

    def default_implementations(self, ctx: RunContext) -> list[Implementation]:
        return [_impl(t) for t in TOOLS]

    def run(self, impl: Implementation, ctx: RunContext) -> Iterator[CaseResult]:
        from oci_conform.drivers.image_sources.build import write_docker_archive, write_layout
        from oci_conform.drivers.image_sources.corpus import build_case
        from oci_conform.drivers.image_sources.tools import run
        base = Path(ctx.workdir) / "image-tools" / impl.name
        base.mkdir(parents=True, exist_ok=True)
        controls = {}
        for kind, make in (("oci", lambda: write_layout(base / "control")),
                           ("docker-archive", lambda: write_docker_archive(base / "control.tar"))):
            if kind in READS[impl.name]:
                controls[kind] = run(ARGV[impl.name](impl.command, make(),
                                                     _fresh(base / "control-work"), kind),
                                     timeout=60)
        shutil.rmtree(base / "control-work", ignore_errors=True)
        for case in _cases():
            if not ctx.selection.wants([case.clause], name=case.name):
                continue
            if case.kind not in READS[impl.name]:
                yield CaseResult(case.clause, impl.name, Outcome.NA, case=f"tool:{case.name}",
                                 message=f"{impl.name} does not read {case.kind} images")
                continue
            control = controls[case.kind]
            started = time.monotonic()
            if not control.ok:
                yield CaseResult(case.clause, impl.name, Outcome.ERROR, case=f"tool:{case.name}",
                                 message="the tool rejects the valid control image; its "
                                         "verdicts mean nothing", evidence=control.evidence())
                continue
            image = build_case(case, base / "corpus")
            work = _fresh(base / "work")
            result = run(ARGV[impl.name](impl.command, image, work, case.kind), timeout=60)
            shutil.rmtree(work, ignore_errors=True)
            rejected = not result.ok
            yield CaseResult(
                case.clause, impl.name, Outcome.PASS if rejected else Outcome.FAIL,
                case=f"tool:{case.name}",
                message=(f"rejected {case.name} (exit {result.exit})" if rejected else
                         f"accepted {case.name}: the violation went through (exit 0)"),
                evidence={"case": case.name, **result.evidence(),
                          "control_exit": control.exit},
                duration=time.monotonic() - started)
        if "oci" in controls:
            yield from _tool_cases(impl, ctx, base, controls["oci"])


def _tool_cases(impl: Implementation, ctx: RunContext, base: Path, control) -> Iterator[CaseResult]:
    """Cases that judge the consumer itself: accept / reject / apply / convert."""
    from oci_conform.drivers.image_sources.tool_cases import cases
    from oci_conform.drivers.image_sources.tools import run
    for case in cases():
        if not ctx.selection.wants(list(case.clauses), name=case.name):
            continue
        label = f"tool:{case.name}"
        if impl.name not in case.tools:
            why = "does not store or copy images (the case judges copiers)" \
                if "umoci-unpack" not in case.tools else \
                {"convert": "does not write a runtime config.json",
                 "custom": "is not the tool this case drives",
                 "apply": "does not apply layers to a filesystem"}.get(
                    case.expect, "is not the kind of tool the clause binds")
            for clause in _declared(case):
                yield CaseResult(clause, impl.name, Outcome.NA, case=label,
                                 message=f"{impl.name} {why}")
            continue
        if not control.ok:
            for clause in _declared(case):
                yield CaseResult(clause, impl.name, Outcome.ERROR, case=label,
                                 message="the tool rejects the valid control image; its "
                                         "verdicts mean nothing", evidence=control.evidence())
            continue
        started = time.monotonic()
        folder = base / "tool-cases" / case.name
        shutil.rmtree(folder, ignore_errors=True)
        folder.parent.mkdir(parents=True, exist_ok=True)
        try:
            image = case.make(folder)
        except (OSError, RuntimeError, ValueError) as exc:
            for clause in _declared(case):
                yield CaseResult(clause, impl.name, Outcome.ERROR, case=label,
                                 message=f"could not build the test image: {exc}")
            continue
        work = _fresh(base / "work")
        if case.custom:
            result, problems = case.custom(impl.command, image, work)
        else:
            result = run(ARGV[impl.name](impl.command, image, work, "oci"), timeout=60)
        evidence = {"case": case.name, **result.evidence()}
        if case.custom and (not result.argv or result.argv[0] != impl.command):
            # the harness's own step failed (no registry, ...): nothing about the tool
            for clause in case.clauses:
                yield CaseResult(clause, impl.name, Outcome.ERROR, case=label,
                                 message=f"cannot run the case: {result.stderr[-300:]}",
                                 evidence=evidence)
            shutil.rmtree(work, ignore_errors=True)
            shutil.rmtree(folder, ignore_errors=True)
            continue
        if case.custom and result.ok:
            for clause in case.clauses:
                found = problems.get(clause)
                outcome = Outcome.ERROR if found is None else \
                    Outcome.FAIL if found else Outcome.PASS
                yield CaseResult(clause, impl.name, outcome, case=label,
                                 message="; ".join(found) if found else
                                 f"{case.name}: as the clause asks" if found is not None else
                                 "the case did not look at this clause", evidence=evidence,
                                 duration=time.monotonic() - started)
            shutil.rmtree(work, ignore_errors=True)
            shutil.rmtree(folder, ignore_errors=True)
            continue
        try:
            yield from _verdicts(case, impl.name, result, image, work, label, evidence,
                                 time.monotonic() - started)
        finally:
            shutil.rmtree(work, ignore_errors=True)
            shutil.rmtree(folder, ignore_errors=True)


def _declared(case) -> tuple[str, ...]:
    """The clauses a case reports on when it cannot run (convert: only the umbrella)."""
    return case.clauses if case.expect != "convert" else \
        ("image.conversion.to-oci-runtime-configuration.1",)


def _verdicts(case, tool: str, result, image: Path, work: Path, label: str, evidence: dict,
              duration: float) -> Iterator[CaseResult]:
    def row(clause: str, outcome: Outcome, message: str, findings=None) -> CaseResult:
        return CaseResult(clause, tool, outcome, case=label, message=message,
                          findings=findings or [], evidence=evidence, duration=duration)
    if case.expect == "reject":
        for clause in case.clauses:
            yield row(clause, Outcome.PASS if not result.ok else Outcome.FAIL,
                      f"rejected {case.name} (exit {result.exit})" if not result.ok else
                      f"accepted {case.name}: the tool should have failed (exit 0)")
        return
    if case.expect == "apply-or-reject" and not result.ok:
        for clause in case.clauses:
            yield row(clause, Outcome.PASS, f"rejected {case.name} (exit {result.exit}): "
                      "the disagreement was not trusted")
        return
    if not result.ok:
        for clause in _declared(case) if case.expect == "convert" else case.clauses:
            yield row(clause, Outcome.FAIL, f"failed on {case.name} (exit {result.exit}), "
                      "which it must handle")
        return
    if case.expect == "accept":
        for clause in case.clauses:
            yield row(clause, Outcome.PASS, f"handled {case.name} (exit 0)")
        return
    if case.expect in ("apply", "apply-or-reject"):
        problems = case.inspect(image, work) if case.inspect else []
        for clause in case.clauses:
            yield row(clause, Outcome.FAIL if problems else Outcome.PASS,
                      "; ".join(problems) if problems else
                      f"the result of {case.name} is as the image says")
        return
    yield from _conversion(case, tool, image, work, label, evidence)


def _conversion(case, tool: str, image: Path, work: Path, label: str,
                evidence: dict) -> Iterator[CaseResult]:
    import json

    from oci_conform.checks.image.conversion import (
        judge_conversion,
        parse_group,
        parse_group_ids,
        parse_passwd,
    )
    from oci_conform.drivers.image_sources.tool_cases import image_documents
    bundle = work / "bundle"
    try:
        runtime = json.loads((bundle / "config.json").read_bytes())
    except (OSError, ValueError) as exc:
        yield CaseResult("image.conversion.to-oci-runtime-configuration.1", tool, Outcome.ERROR,
                         case=label, message=f"no readable config.json after unpack: {exc}",
                         evidence=evidence)
        return
    config, manifest = image_documents(image)

    def etc(name: str) -> str:
        path = bundle / "rootfs" / "etc" / name
        return path.read_text(errors="replace") if path.is_file() and not path.is_symlink() \
            else ""
    report = judge_conversion(config, manifest, runtime, parse_passwd(etc("passwd")),
                              parse_group(etc("group")), parse_group_ids(etc("group")))
    evidence = {**evidence, "image_config": config.get("config", {}),
                "runtime_process": runtime.get("process", {}),
                "runtime_annotations": runtime.get("annotations", {})}
    yield from report.outcomes(tool, (), label, evidence)


def _fresh(path: Path) -> Path:
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    return path


def _impl(name: str, binary: str = "") -> Implementation:
    from oci_conform.drivers.image_sources.tools import tool_version, which
    exe = binary or which(BINARY[name]) or ""
    return Implementation(name=name, kind="image-tool", command=exe,
                          version=tool_version(BINARY[name]) if exe else "",
                          available=bool(exe) and Path(exe).exists(),
                          reason="" if exe else f"{BINARY[name]} is not installed")


SUITE = ImageToolsSuite()
