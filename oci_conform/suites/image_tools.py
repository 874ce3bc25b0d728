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


def _skopeo(exe: str, image: Path, work: Path) -> list[str]:
    return [exe, "--insecure-policy", "copy", f"oci:{image}:latest", f"oci:{work / 'out'}:copy"]


def _umoci(exe: str, image: Path, work: Path) -> list[str]:
    return [exe, "unpack", "--image", f"{image}:latest", str(work / "bundle")]


ARGV: dict[str, Callable[[str, Path, Path], list[str]]] = {"skopeo-copy": _skopeo,
                                                           "umoci-unpack": _umoci}


def _cases():
    from oci_conform.drivers.image_sources.corpus import LAYOUT_CASES
    # Cases a consumer of a tagged image can meet (it never sees a missing oci-layout's tag
    # resolution differently from a missing index.json: both are kept, both are telling).
    return LAYOUT_CASES


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
        base = Path(ctx.workdir) / "image-tools" / impl.name
        base.mkdir(parents=True, exist_ok=True)
        control = run(ARGV[impl.name](impl.command, write_layout(base / "control"),
                                      _fresh(base / "control-work")), timeout=60)
        shutil.rmtree(base / "control-work", ignore_errors=True)
        for case in _cases():
            if not ctx.selection.wants([case.clause], name=case.name):
                continue
            started = time.monotonic()
            if not control.ok:
                yield CaseResult(case.clause, impl.name, Outcome.ERROR, case=f"tool:{case.name}",
                                 message="the tool rejects the valid control image; its "
                                         "verdicts mean nothing", evidence=control.evidence())
                continue
            image = build_case(case, base / "corpus")
            work = _fresh(base / "work")
            result = run(ARGV[impl.name](impl.command, image, work), timeout=60)
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
