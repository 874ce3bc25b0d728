"""Image consumers as implementations: feed real tools (skopeo copy, umoci unpack) images
and judge the tools only against rules that bind consumers.

Two kinds of cases:

- the malformed-image corpus (``drivers/image_sources/corpus.py``, one broken image rule
  each). Those rules bind the image's producer, so a tool accepting such an image breaks
  none of them: the row is n/a (``Why.OTHER_SUBJECT``) with what the tool did as a note. Only
  where a consumer-binding clause asks readers to refuse the fault (``Case.consumer``) is
  the tool judged, on that clause;
- the consumer cases (``tool_cases.py``): accept / reject / apply / convert, each naming the
  consumer clauses it judges.

Every case runs after a control (the same base image without the fault, which the tool must
accept); a failing control makes the case ``error``. All judging goes through
``model.judging``; evidence is typed (``ProcessRun``).
"""
from __future__ import annotations

import shutil
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from oci_conform.model.declaration import Declaration
from oci_conform.model.evidence import Evidence
from oci_conform.model.judging import (
    Judge,
    Observation,
    Why,
    case_results,
    errored,
    not_judged,
    observed,
    roll_up,
)
from oci_conform.model.results import CaseResult, Implementation
from oci_conform.suites.base import RunContext

TOOLS = ("skopeo-copy", "umoci-unpack", "podman-load", "ctr-import")
BINARY = {"skopeo-copy": "skopeo", "umoci-unpack": "umoci", "podman-load": "podman",
          "ctr-import": "ctr"}
# Engines read the corpus only (the consumer cases name the tools they were written for).
CORPUS_ONLY = ("podman-load", "ctr-import")
BAD_CONTROL = "the tool rejects the control image (the same image without the fault); " \
              "its verdicts mean nothing"


def _skopeo(exe: str, image: Path, work: Path, kind: str) -> list[str]:
    src = f"oci:{image}:latest" if kind == "oci" else f"docker-archive:{image}"
    return [exe, "--insecure-policy", "copy", src, f"oci:{work / 'out'}:copy"]


def _umoci(exe: str, image: Path, work: Path, kind: str) -> list[str]:
    return [exe, "unpack", "--image", f"{image}:latest", str(work / "bundle")]


def _podman_load(exe: str, image: Path, work: Path, kind: str) -> list[str]:
    from oci_conform.drivers.engines import podman_load_argv
    return podman_load_argv(exe, image, work)


def _ctr_import(command: str, image: Path, work: Path, kind: str) -> list[str]:
    """``command`` is ``CTR --address SOCKET`` of the containerd ``run`` started."""
    import shlex

    from oci_conform.drivers.engines import ctr_import_argv
    words = shlex.split(command)
    return ctr_import_argv(words[0], words[-1], image)


ARGV: dict[str, Callable[[str, Path, Path, str], list[str]]] = {
    "skopeo-copy": _skopeo, "umoci-unpack": _umoci, "podman-load": _podman_load,
    "ctr-import": _ctr_import}
READS = {"skopeo-copy": ("oci", "docker-archive"), "umoci-unpack": ("oci",),
         "podman-load": ("oci", "docker-archive"), "ctr-import": ("oci", "docker-archive")}


def _docker_load(command: str, image: Path, work: Path, kind: str) -> list[str]:
    """``command`` is ``DOCKER -H unix://SOCKET`` of the dockerd ``run`` started."""
    import shlex

    from oci_conform.drivers.dockerd import docker_load_argv
    words = shlex.split(command)
    return docker_load_argv(words[0], words[-1], image)


# The Docker engine: `docker load` into a dockerd the suite starts (drivers/dockerd.py).
# Docker 20.10 reads docker-archive tarballs only (OCI archives came with Docker 25).
# (mypy typed the tuples by their first literal's length)
TOOLS = (*TOOLS, "docker-load")  # type: ignore[assignment]
BINARY["docker-load"] = "dockerd"
CORPUS_ONLY = (*CORPUS_ONLY, "docker-load")  # type: ignore[assignment]
ARGV["docker-load"] = _docker_load
READS["docker-load"] = ("docker-archive",)


# Engines as consumers by pull (suites/image_pull.py): each pulls the OCI corpus from a
# read-only loopback registry of ours that serves the layouts as they are.
from oci_conform.suites import image_pull as _pull  # noqa: E402

TOOLS = (*TOOLS, *_pull.PULL_TOOLS)  # type: ignore[assignment]
BINARY.update(_pull.BINARY)
CORPUS_ONLY = (*CORPUS_ONLY, *_pull.PULL_TOOLS)  # type: ignore[assignment]
ARGV.update(_pull.ARGV)
READS.update({name: ("oci",) for name in _pull.PULL_TOOLS})


def _cases(impl_name: str = ""):
    """The corpus a column reads (the pull columns get their pull-only cases too)."""
    from oci_conform.drivers.image_sources.corpus import DOCKER_CASES, LAYOUT_CASES
    return LAYOUT_CASES + DOCKER_CASES + _pull.cases_for(impl_name)


def _corpus_clauses(case) -> tuple[str, ...]:
    return (case.clause, case.consumer) if case.consumer else (case.clause,)


class ImageToolsSuite:
    name = "image-tools"
    kind = "image-tool"
    option = "--image-tool"
    help = "image consumer column: TOOL or TOOL=BINARY (tools: " + ", ".join(TOOLS) + ")"

    def clause_ids(self) -> frozenset[str]:
        return frozenset(c for d in declarations() for c in d.clauses)

    def parse_implementation(self, text: str) -> Implementation:
        name, _, binary = text.partition("=")
        if name not in TOOLS:
            raise ValueError(f"unknown image tool {name!r} (known: {', '.join(TOOLS)})")
        return _impl(name, binary)

    def default_implementations(self, ctx: RunContext) -> list[Implementation]:
        return [_impl(t) for t in TOOLS]

    def run(self, impl: Implementation, ctx: RunContext) -> Iterator[CaseResult]:
        if impl.name in _pull.PULL_TOOLS:
            yield from _pull_column(self._run, impl, ctx)
            return
        if impl.name == "docker-load":
            yield from _with_dockerd(self._run, impl, ctx)
            return
        if impl.name != "ctr-import":
            yield from self._run(impl, ctx)
            return
        yield from _with_containerd(self._run, impl, ctx)

    def _run(self, impl: Implementation, ctx: RunContext) -> Iterator[CaseResult]:
        from oci_conform.drivers.image_sources.build import write_docker_archive, write_layout
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
        for case in _cases(impl.name):
            if ctx.selection.wants(list(_corpus_clauses(case)), name=case.name):
                yield from _corpus_case(case, impl, controls, base)
        if "oci" in controls and impl.name not in CORPUS_ONLY:
            yield from _tool_cases(impl, ctx, base, controls["oci"])


def _with_containerd(run, impl: Implementation, ctx: RunContext) -> Iterator[CaseResult]:
    """Run the ``ctr-import`` column against a containerd of its own, stopped after."""
    import shlex
    from dataclasses import replace

    from oci_conform.drivers.engines import Containerd, ContainerdError
    try:
        daemon = Containerd(Path(ctx.workdir) / "image-tools" / "containerd").start()
    except (ContainerdError, OSError) as exc:
        clauses = {c for case in _cases(impl.name) for c in _corpus_clauses(case)
                   if ctx.selection.wants([c], name=case.name)}
        yield from _rows([not_judged(c, Why.NOT_INSTALLED, f"cannot start containerd: {exc}")
                          for c in sorted(clauses)], impl.name, "tool:containerd", Evidence())
        return
    try:
        yield from run(replace(impl, command=shlex.join([impl.command, "--address",
                                                         str(daemon.socket)])), ctx)
    finally:
        daemon.stop()


def _pull_column(run, impl: Implementation, ctx: RunContext) -> Iterator[CaseResult]:
    """A pull column: the registry serving the column's folder first (dockerd must be told
    its address), then the engine's daemon, each stopped after."""
    from dataclasses import replace

    from oci_conform.drivers.layout_registry import LayoutRegistry
    base = Path(ctx.workdir) / "image-tools" / impl.name
    base.mkdir(parents=True, exist_ok=True)
    try:
        registry = LayoutRegistry(base).start()
    except OSError as exc:
        clauses = {c for case in _cases(impl.name) for c in _corpus_clauses(case)
                   if ctx.selection.wants([c], name=case.name)}
        yield from _rows([errored(c, f"cannot start the loopback layout registry: {exc}")
                          for c in sorted(clauses)], impl.name, "tool:layout-registry",
                         Evidence())
        return
    with registry:
        def pulls(engine: Implementation, ctx: RunContext) -> Iterator[CaseResult]:
            command = _pull.with_registry(engine.command, base, registry.host)
            return run(replace(engine, command=command), ctx)
        if impl.name == "ctr-pull":
            yield from _with_containerd(pulls, impl, ctx)
        elif impl.name == "docker-pull":
            yield from _with_dockerd(pulls, impl, ctx, insecure=[registry.host])
        else:
            yield from pulls(impl, ctx)


def _with_dockerd(run, impl: Implementation, ctx: RunContext, insecure: list[str] | None = None
                  ) -> Iterator[CaseResult]:
    """Run the ``docker-load`` (or ``docker-pull``) column against a dockerd of its own,
    stopped after (``insecure``: plain-http registries it may pull from).  The client is
    Debian's /usr/bin/docker unless the column names another binary."""
    import shlex
    from dataclasses import replace

    from oci_conform.drivers.dockerd import DOCKER_CLI, Dockerd, DockerdError
    daemon = Dockerd(Path(ctx.workdir) / "image-tools" / "dockerd",
                     insecure_registries=list(insecure or []))
    try:
        daemon.start()
    except (DockerdError, OSError) as exc:
        daemon.stop()
        clauses = {c for case in _cases(impl.name) for c in _corpus_clauses(case)
                   if ctx.selection.wants([c], name=case.name)}
        yield from _rows([not_judged(c, Why.NOT_INSTALLED, f"cannot start dockerd: {exc}")
                          for c in sorted(clauses)], impl.name, "tool:dockerd", Evidence())
        return
    client = DOCKER_CLI if Path(impl.command).name == "dockerd" else impl.command
    try:
        yield from run(replace(impl, command=shlex.join([client, "-H",
                                                         f"unix://{daemon.socket}"])), ctx)
    finally:
        daemon.stop()


def _rows(observations: Iterable[Observation], impl: str, label: str, evidence: Evidence,
          duration: float = 0.0) -> Iterator[CaseResult]:
    """CaseResults of one case, judged by ``model.judging.roll_up``."""
    verdicts = roll_up(observations).values()
    yield from case_results(verdicts, impl, label, evidence=evidence, duration=duration)


def _corpus_case(case, impl: Implementation, controls: dict, base: Path
                 ) -> Iterator[CaseResult]:
    from oci_conform.drivers.image_sources.corpus import build_case
    from oci_conform.drivers.image_sources.tools import run
    label = f"tool:{case.name}"
    clauses = _corpus_clauses(case)
    if case.kind not in READS[impl.name]:
        why = f"{impl.name} does not read {case.kind} images"
        if impl.name in _pull.PULL_TOOLS:
            why += " (it pulls from a registry, which has no form for an archive's own files)"
        yield from _rows([not_judged(c, Why.NOT_OFFERED, why) for c in clauses], impl.name,
                         label, Evidence())
        return
    control = controls[case.kind]
    if not control.ok:
        yield from _rows([errored(c, BAD_CONTROL) for c in clauses], impl.name, label,
                         Evidence.of(runs=[control.process_run()]))
        return
    started = time.monotonic()
    image = build_case(case, base / "corpus")
    work = _fresh(base / "work")
    result = run(ARGV[impl.name](impl.command, image, work, case.kind), timeout=60)
    shutil.rmtree(work, ignore_errors=True)
    did = (f"rejected {case.name} (exit {result.exit})" if not result.ok
           else f"accepted {case.name} (exit 0)")
    judged_by = (f"the reader is judged on {case.consumer}" if case.consumer else
                 "no consumer rule asks readers to refuse this fault")
    obs = [not_judged(case.clause, Why.OTHER_SUBJECT,
                      f"{did}; {case.clause} is a rule on the image (its producer), and "
                      f"{judged_by}")]
    if case.consumer and case.consumer_tools and impl.name not in case.consumer_tools:
        obs.append(not_judged(case.consumer, Why.OTHER_SUBJECT,
                              f"{did}; the rule binds {', '.join(case.consumer_tools)}, not "
                              f"{impl.name}"))
    elif case.consumer:
        obs.append(observed(case.consumer, not result.ok,
                            did if not result.ok else f"{did}: readers must refuse this fault",
                            location=case.name))
    evidence = Evidence.of(runs=[control.process_run(), result.process_run()],
                           facts={"case": case.name, "control_exit": control.exit})
    yield from _rows(obs, impl.name, label, evidence, time.monotonic() - started)


def _tool_cases(impl: Implementation, ctx: RunContext, base: Path, control
                ) -> Iterator[CaseResult]:
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
            yield from _rows([not_judged(c, Why.OTHER_SUBJECT, f"{impl.name} {why}")
                              for c in _declared(case)], impl.name, label, Evidence())
            continue
        if not control.ok:
            yield from _rows([errored(c, BAD_CONTROL) for c in _declared(case)], impl.name,
                             label, Evidence.of(runs=[control.process_run()]))
            continue
        yield from _one_tool_case(case, impl, base, control, label, run)


def _one_tool_case(case, impl: Implementation, base: Path, control, label: str, run
                   ) -> Iterator[CaseResult]:
    started = time.monotonic()
    folder = base / "tool-cases" / case.name
    shutil.rmtree(folder, ignore_errors=True)
    folder.parent.mkdir(parents=True, exist_ok=True)
    try:
        image = case.make(folder)
    except (OSError, RuntimeError, ValueError) as exc:
        yield from _rows([errored(c, f"could not build the test image: {exc}")
                          for c in _declared(case)], impl.name, label, Evidence())
        return
    control_run = control
    if case.control is not None:
        # a refusal means something only if the same image without the fault is accepted
        control_run = run(ARGV[impl.name](impl.command, case.control(folder.with_name(
            case.name + "-control")), _fresh(base / "control-work"), "oci"), timeout=60)
        shutil.rmtree(folder.with_name(case.name + "-control"), ignore_errors=True)
        shutil.rmtree(base / "control-work", ignore_errors=True)
        if not control_run.ok:
            yield from _rows([errored(c, BAD_CONTROL) for c in _declared(case)], impl.name,
                             label, Evidence.of(runs=[control_run.process_run()]))
            shutil.rmtree(folder, ignore_errors=True)
            return
    work = _fresh(base / "work")
    try:
        if case.custom:
            result, problems = case.custom(impl.command, image, work)
        else:
            result, problems = run(ARGV[impl.name](impl.command, image, work, "oci"),
                                   timeout=60), {}
        evidence = Evidence.of(runs=[control_run.process_run(), result.process_run()],
                               facts={"case": case.name, "own_control": case.control is not None})
        if case.custom:
            obs = list(_custom(case, impl.command, result, problems))
        elif case.expect == "convert" and result.ok:
            judged = _conversion(image, work)
            if isinstance(judged, Observation):
                obs = [judged]
            else:
                report, facts = judged
                evidence.facts.update(facts)
                yield from report.outcomes(impl.name, (), label, evidence)
                return
        else:
            obs = list(_verdicts(case, result, image, work))
        yield from _rows(obs, impl.name, label, evidence, time.monotonic() - started)
    finally:
        shutil.rmtree(work, ignore_errors=True)
        shutil.rmtree(folder, ignore_errors=True)


def _declared(case) -> tuple[str, ...]:
    """The clauses a case reports on when it cannot run (convert: only the umbrella)."""
    return case.clauses if case.expect != "convert" else \
        ("image.conversion.to-oci-runtime-configuration.1",)


def _custom(case, command: str, result, problems: dict[str, list[str]]
            ) -> Iterator[Observation]:
    if not result.argv or result.argv[0] != command:
        # the harness's own step failed (no registry, ...): nothing about the tool
        for clause in case.clauses:
            yield errored(clause, f"cannot run the case: {result.stderr[-300:]}")
        return
    for clause in case.clauses:
        found = problems.get(clause)
        if not result.ok:
            yield observed(clause, False, f"the tool failed on {case.name} "
                           f"(exit {result.exit}), which it must handle", location=case.name)
        elif found is None:
            yield errored(clause, "the case did not look at this clause")
        else:
            yield observed(clause, not found, "; ".join(found) if found else
                           f"{case.name}: as the clause asks", location=case.name)


def _verdicts(case, result, image: Path, work: Path) -> Iterator[Observation]:
    """What the tool did, against what the case's consumer clauses ask of it."""
    j = Judge(_declared(case))
    if case.expect == "reject":
        for clause in case.clauses:
            j.check(clause, not result.ok,
                    f"rejected {case.name} (exit {result.exit})" if not result.ok else
                    f"accepted {case.name}: the tool should have failed (exit 0)",
                    location=case.name)
    elif case.expect == "apply-or-reject" and not result.ok:
        for clause in case.clauses:
            j.passed(clause, f"rejected {case.name} (exit {result.exit}): "
                     "the disagreement was not trusted")
    elif not result.ok:
        for clause in _declared(case):
            j.fail(clause, f"failed on {case.name} (exit {result.exit}), which it must handle",
                   location=case.name)
    elif case.expect == "accept":
        for clause in case.clauses:
            j.passed(clause, f"handled {case.name} (exit 0)")
    else:
        problems = case.inspect(image, work) if case.inspect else []
        for clause in case.clauses:
            j.check(clause, not problems, "; ".join(problems) if problems else
                    f"the result of {case.name} is as the image says", location=case.name)
    yield from j.observations


def _conversion(image: Path, work: Path):
    """The conversion.md judgement of the config.json umoci wrote: (report, facts), or the
    error observation when there is nothing to judge."""
    import json

    from oci_conform.checks.image.conversion import (
        judge_conversion,
        parse_group,
        parse_group_ids,
        parse_passwd,
    )
    from oci_conform.drivers.files import UnsafePath, read_regular
    from oci_conform.drivers.image_sources.tool_cases import image_documents
    bundle = work / "bundle"
    try:
        runtime = json.loads(read_regular(bundle / "config.json"))
    except (OSError, UnsafePath, ValueError) as exc:
        return errored("image.conversion.to-oci-runtime-configuration.1",
                       f"no readable config.json after unpack: {exc}")
    config, manifest = image_documents(image)

    def etc(name: str) -> str:
        path = bundle / "rootfs" / "etc" / name
        if not path.is_file() or path.is_symlink():
            return ""
        return read_regular(path, 1 << 20).decode(errors="replace")
    report = judge_conversion(config, manifest, runtime, parse_passwd(etc("passwd")),
                              parse_group(etc("group")), parse_group_ids(etc("group")))
    facts = {"image_config": config.get("config", {}),
             "runtime_process": runtime.get("process", {}),
             "runtime_annotations": runtime.get("annotations", {})}
    return report, facts


def declarations() -> list[Declaration]:
    """Each corpus case (the image rule it breaks, reported n/a for consumers, and the
    consumer rule that asks for refusal) and each consumer case, with its clauses."""
    from oci_conform.drivers.image_sources.tool_cases import cases
    select = "oci-conform matrix --suite image-tools --clause {}"
    out = [Declaration(f"tool:{c.name}", "oci_conform.suites.image_tools:_corpus_case",
                       _corpus_clauses(c), "image-tools", select.format(c.clause))
           for c in _cases()]
    out += [Declaration(f"tool:{c.name}", "oci_conform.suites.image_tools:_corpus_case",
                        _corpus_clauses(c), "image-tools", select.format(c.clause))
            for c in _pull.pull_cases()]
    out += [Declaration(f"tool:{c.name}", "oci_conform.suites.image_tools:_one_tool_case",
                        c.clauses, "image-tools", select.format(c.clauses[0]))
            for c in cases()]
    return out


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
