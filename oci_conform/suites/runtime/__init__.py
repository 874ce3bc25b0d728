"""The runtime behaviour suite: any OCI runtime binary, clause by clause.

``--runtime NAME=[WRAPPER:]BINARY [GLOBAL_ARG ...]`` adds a runtime, e.g. ``runc=runc``
or ``crun=hide-cgroup2:crun --systemd-cgroup``.  Cases live in one module per group.
"""
from __future__ import annotations

import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

from oci_conform.catalog.loader import Catalog
from oci_conform.drivers.bundle import BundleError, build_base_rootfs
from oci_conform.drivers.host_probes import HostFacts, probe_host
from oci_conform.drivers.runtime_cli import CommandError, RuntimeCommand, run_bounded
from oci_conform.model.declaration import Declaration
from oci_conform.model.judging import Why, case_results, errored, not_judged, roll_up
from oci_conform.model.results import CaseResult, Implementation
from oci_conform.suites.base import RunContext, Selection
from oci_conform.suites.runtime import (
    cgroup_ownership,
    cgroups,
    devices_sysctl,
    features,
    lifecycle_hooks,
    mount_options,
    mounts_root,
    namespaces,
    net_devices,
    preflight,
    process,
    sched_io,
    security,
    state_ops,
)
from oci_conform.suites.runtime import runsc as runsc_probe
from oci_conform.suites.runtime.case import (
    Case,
)
from oci_conform.suites.runtime.runner import (
    HARNESS_CLAUSES,
    leak_results,
    remove_cgroup_parent,
    run_cases,
    unmet,
)
from oci_conform.suites.runtime.target import RuntimeTarget, discover
from oci_conform.suites.runtime.wrapper_probe import needs_wrapper

GROUP_MODULES = (state_ops, lifecycle_hooks, process, sched_io, mounts_root, mount_options,
                 namespaces, net_devices, devices_sysctl, cgroups, cgroup_ownership,
                 security, features)
# The reference runtime first: it is the matrix's first column.
KNOWN_RUNTIMES = ("oci-conform-runtime", "runc", "crun")


def find_runtime(name: str) -> str | None:
    """A runtime binary on PATH, or installed beside this Python (a virtualenv's bin/)."""
    found = shutil.which(name)
    if found:
        return name
    beside = Path(sys.executable).parent / name
    return str(beside) if beside.is_file() and os.access(beside, os.X_OK) else None


def all_cases() -> list[Case]:
    cases: list[Case] = []
    for module in GROUP_MODULES:
        cases.extend(module.CASES)
    return cases


def select(cases: list[Case], selection: Selection) -> list[Case]:
    return [c for c in cases if selection.wants(c.clauses, c.group, c.name)]


def parse_runtime(text: str) -> Implementation:
    """``NAME=[WRAPPER:]BINARY [ARGS...]`` -> Implementation (ValueError with a reason)."""
    name, sep, value = text.partition("=")
    name = name.strip()
    if not sep or not name or not value.strip():
        raise ValueError(f"--runtime wants NAME=COMMAND, got {text!r}")
    try:
        cmd = RuntimeCommand.parse(value)
    except CommandError as exc:
        raise ValueError(f"--runtime {name}: {exc}") from None
    impl = Implementation(name=name, kind="runtime", command=cmd.text())
    if cmd.resolved() is None:
        impl.available, impl.reason = False, f"{cmd.binary} is not installed (not on PATH)"
    return impl


class RuntimeSuite:
    stops_itself = True        # watches ctx.stop: the running case and the leak check finish
    name = "runtime"
    kind = "runtime"
    option = "--runtime"
    help = ("an OCI runtime as NAME=[WRAPPER:]BINARY [GLOBAL_ARGS] (e.g. runc=runc, "
            "'crun=hide-cgroup2:crun --systemd-cgroup'); repeatable")

    def __init__(self, only: tuple[str, ...] = ()) -> None:
        self._host: HostFacts | None = None
        self.only = only               # case names (--case); empty: every case

    def cases(self) -> list[Case]:
        cases = all_cases()
        return [c for c in cases if c.name in self.only] if self.only else cases

    def clause_ids(self) -> frozenset[str]:
        ids = {cid for case in all_cases() for cid in case.clauses}
        return frozenset(ids | HARNESS_CLAUSES | {preflight.USABLE})

    def selected_clause_ids(self, selection: Selection) -> set[str]:
        """The clauses the selected cases judge (the orchestrator's skip column)."""
        return {cid for case in select(self.cases(), selection) for cid in case.clauses}

    def parse_implementation(self, text: str) -> Implementation:
        return parse_runtime(text)

    def host(self) -> HostFacts:
        if self._host is None:
            self._host = probe_host()
        return self._host

    def default_implementations(self, ctx: RunContext) -> list[Implementation]:
        found = []
        for name in KNOWN_RUNTIMES:
            binary = find_runtime(name)
            if binary is None:
                found.append(Implementation(name=name, kind="runtime", command=name,
                                            available=False,
                                            reason=f"{name} is not installed (not on PATH)"))
                continue
            cmd = RuntimeCommand(binary)
            if needs_wrapper(cmd, self.host(), ctx.workdir):
                cmd = RuntimeCommand(binary, wrapper="hide-cgroup2")
            found.append(Implementation(name=name, kind="runtime", command=cmd.text()))
        found.extend(runsc_probe.implementations(ctx.workdir))   # optional: when installed
        return found

    def prepare(self, impl: Implementation, ctx: RunContext) -> RuntimeTarget:
        """Probe host and runtime, build the base rootfs: the target cases run against."""
        cmd = RuntimeCommand.parse(impl.command)
        work = Path(tempfile.mkdtemp(prefix=f"rt-{impl.name[:12]}-", dir=ctx.workdir))
        # user-namespaced containers must be able to walk down to their bundle
        for folder in (ctx.workdir, work):
            folder.chmod(0o711)
        mount_scratch(work)
        try:
            return self._target(impl, ctx, cmd, work)
        except BaseException:
            unmount_scratch(work)
            raise

    def _target(self, impl: Implementation, ctx: RunContext, cmd: RuntimeCommand,
                work: Path) -> RuntimeTarget:
        base = work / "base-rootfs"
        build_base_rootfs(base)
        target = RuntimeTarget(name=impl.name, command=cmd, host=self.host(), workdir=work,
                               base_rootfs=base,
                               timeout=ctx.runtime.timeout,
                               keep_dir=Path(ctx.runtime.keep_dir) if ctx.runtime.keep
                               and ctx.runtime.keep_dir else None)
        spec = ctx.catalog.specs.get("runtime-spec")
        discover(target, spec)
        target.judged_at = str(ctx.spec_versions.get("runtime-spec") or "")
        impl.version = impl.version or target.version
        impl.spec_version = target.spec_claim or target.claimed_version
        return target

    def run(self, impl: Implementation, ctx: RunContext) -> Iterator[CaseResult]:
        chosen = select(self.cases(), ctx.selection)
        if not impl.available:
            yield from _skip_all(chosen, impl, impl.reason)
            return
        problem, version_run = preflight.problem_for(RuntimeCommand.parse(impl.command))
        if problem:
            ctx.progress(f"[runtime] {impl.name}: nothing judged: {problem}")
            yield from preflight.unusable(impl.name, problem, version_run)
            return
        try:
            target = self.prepare(impl, ctx)
        except (BundleError, CommandError, OSError) as exc:
            yield from preflight.unusable(impl.name, f"cannot prepare: {exc}")
            return
        ctx.cache.setdefault("runtime_targets", {})[impl.name] = target
        ctx.progress(f"[runtime] {impl.name}: {target.command.text()} version "
                     f"{target.version or '?'}, spec {target.spec_claim or '?'} (judged "
                     f"{'at ' + target.judged_at if target.judged_at else 'at the newest'}), "
                     f"{len(chosen)} cases, jobs {ctx.jobs}")
        limits = preflight.limits_line(impl.name, (
            found.reason for case in chosen
            if (found := unmet(case, target)) is not None and found.why is Why.HOST_LIMIT))
        if limits:
            ctx.progress(limits)
        try:
            yield from run_cases(chosen, ctx.catalog, target, ctx.jobs, ctx.progress,
                                 ctx.stop)
        finally:
            remove_cgroup_parent(target, patience=1.0)   # also when the run is abandoned
            unmount_scratch(target.workdir)
            shutil.rmtree(target.workdir, ignore_errors=True)


def mount_scratch(folder: Path) -> bool:
    """Put a tmpfs on ``folder`` (bundles, state roots) when we may; disk otherwise."""
    return run_bounded(["mount", "-t", "tmpfs", "-o", "size=4g,mode=0711",
                        "oci-conform-scratch", str(folder)], timeout=10).ok


def unmount_scratch(folder: Path) -> None:
    if any(line.split()[4] == str(folder) for line in
           Path("/proc/self/mountinfo").read_text().splitlines() if len(line.split()) > 4):
        run_bounded(["umount", "-l", str(folder)], timeout=10)


def _skip_all(cases: list[Case], impl: Implementation, reason: str,
              why: Why | None = Why.NOT_INSTALLED) -> Iterator[CaseResult]:
    """Every selected clause not judged (``why``), or an error when ``why`` is None."""
    for case in cases:
        observations = [not_judged(cid, why, reason) if why else errored(cid, reason)
                        for cid in case.clauses]
        yield from case_results(roll_up(observations, case.clauses).values(), impl.name,
                                f"runtime:{case.name}")


def declarations() -> list[Declaration]:
    """What each case judges, where, and how to run just it (from the case tables)."""
    out = [Declaration(name=f"runtime:{c.name}", where=c.where or _where(c.flow),
                       clauses=c.clauses, suite="runtime",
                       select=f"oci-conform runtime test --case {c.name}")
           for c in all_cases()]
    out.append(Declaration(name="runtime:usable", where=_where(preflight.problem_for),
                           clauses=(preflight.USABLE,), suite="runtime",
                           select="oci-conform runtime test (before any case)"))
    out.append(Declaration(name="runtime:leak-check", where=_where(leak_results),
                           clauses=tuple(sorted(HARNESS_CLAUSES)), suite="runtime",
                           select="oci-conform runtime test (after any case)"))
    return out


def _where(func: object) -> str:
    name = str(getattr(func, "__qualname__", "?")).split(".<locals>")[0]
    return f"{getattr(func, '__module__', '?')}:{name}"


def catalog_problems(catalog: Catalog) -> list[str]:
    """Clause ids the cases use that the catalog does not know (for the contract test)."""
    return sorted(SUITE.clause_ids() - set(catalog.clauses))


SUITE = RuntimeSuite()
