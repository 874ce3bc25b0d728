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
        return frozenset(c.clause for c in _cases())

    def parse_implementation(self, text: str) -> Implementation:
        name, _, binary = text.partition("=")
        if name not in TOOLS:
            raise ValueError(f"unknown image tool {name!r} (known: {', '.join(TOOLS)})")
        return _impl(name, binary)

    def default_implementations(self, ctx: RunContext) -> list[Implementation]:
        return [_impl(t) for t in TOOLS]

    def run(self, impl: Implementation, ctx: RunContext) -> Iterator[CaseResult]:
        from oci_conform.drivers.image_sources.build import write_layout
        from oci_conform.drivers.image_sources.corpus import build_case
        from oci_conform.drivers.image_sources.tools import run
        from oci_conform.drivers.image_sources.build import write_docker_archive
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
