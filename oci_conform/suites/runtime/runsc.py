"""gVisor ``runsc`` as a runtime column: find the global flags it needs on this host.

runsc's defaults (the systrap/KVM platforms, cgroup setup, a network stack in the
container's net namespace) do not all work everywhere.  Like the ``hide-cgroup2``
probe for crun, we try a short list of flag sets from the least to the most
restrictive and keep the first that creates and starts a container (they are tried side by
side, each with its own state root and container id).  The flags
become the column's global args, so the matrix shows how runsc was run.
"""
from __future__ import annotations

import shutil
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from oci_conform.drivers.bundle import build_base_rootfs
from oci_conform.drivers.runtime_cli import RuntimeCLI, RuntimeCommand
from oci_conform.model.results import Implementation
from oci_conform.suites.runtime.wrapper_probe import probe_bundle

NAME = "runsc"
# From the least to the most restrictive.  ``--network=none`` keeps only loopback: the
# sandbox's own netstack finds no interface to take over in a fresh net namespace here.
# ``--ignore-cgroups`` comes last: with it no cgroup case can be judged.
FLAG_SETS: tuple[tuple[str, ...], ...] = (
    (),
    ("--network=none",),
    ("--platform=ptrace", "--network=none"),
    ("--platform=ptrace", "--ignore-cgroups", "--network=none"),
)
PROBE_TIMEOUT = 30.0


def _runs(cmd: RuntimeCommand, work: Path, rootfs: Path) -> bool:
    """Create and start one short container; True when both succeed."""
    bundle = probe_bundle(work, rootfs)
    name = f"oc-runsc-probe-{work.name}"
    cli = RuntimeCLI(cmd, work / "root", work / "logs", timeout=PROBE_TIMEOUT)
    try:
        return cli.create(name, bundle).ok and cli.start(name).ok
    finally:
        cli.delete(name, force=True)


def probe_flags(binary: str, workdir: Path) -> tuple[str, ...] | None:
    """The first flag set with which ``binary`` runs a container here, or None."""
    work = Path(tempfile.mkdtemp(prefix="runsc-probe-", dir=workdir))
    try:
        rootfs = workdir / "runtime-base-rootfs"
        if not rootfs.exists():
            build_base_rootfs(rootfs)
        # all at once: a flag set that fails takes as long as one that works (about 2 s
        # each here), and the run waits for this before any column starts
        with ThreadPoolExecutor(max_workers=len(FLAG_SETS)) as pool:
            runs = [pool.submit(_runs, RuntimeCommand(binary, flags), work / str(index), rootfs)
                    for index, flags in enumerate(FLAG_SETS)]
            return next((flags for flags, run in zip(FLAG_SETS, runs, strict=True)
                         if run.result()), None)
    except OSError:
        return None
    finally:
        shutil.rmtree(work, ignore_errors=True)


def implementations(workdir: Path) -> list[Implementation]:
    """The runsc column when runsc is installed (nothing otherwise: it is optional)."""
    binary = shutil.which(NAME)
    if binary is None:
        return []
    flags = probe_flags(binary, workdir)
    if flags is None:
        return [Implementation(name=NAME, kind="runtime", command=NAME, available=False,
                               reason="runsc is installed but runs no container with any "
                                      f"of the probed flag sets {list(FLAG_SETS)}")]
    return [Implementation(name=NAME, kind="runtime",
                           command=RuntimeCommand(binary, flags).text())]
