"""Does a runtime need the ``hide-cgroup2`` wrapper on this host?  Try it and see."""
from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from oci_conform.drivers.bundle import base_config, build_base_rootfs, write_bundle
from oci_conform.drivers.host_probes import HostFacts
from oci_conform.drivers.runtime_cli import RuntimeCLI, RuntimeCommand


def probe_bundle(work: Path, rootfs: Path) -> Path:
    """A bundle under ``work`` running ``true`` on ``rootfs`` (shared, linked), no resources:
    what a probe creates to see whether a runtime works here at all."""
    bundle = work / "bundle"
    cfg = base_config("1.0.0", ["true"], work / "results")
    cfg["linux"].pop("resources", None)
    (work / "results").mkdir(parents=True, exist_ok=True)
    write_bundle(bundle, cfg)
    if not (bundle / "rootfs").exists():
        (bundle / "rootfs").symlink_to(rootfs)
    return bundle


def _creates(cmd: RuntimeCommand, work: Path, rootfs: Path) -> bool:
    bundle = probe_bundle(work, rootfs)
    cli = RuntimeCLI(cmd, work / "root", work / "logs", timeout=15)
    made = cli.create("oc-probe", bundle).ok
    cli.delete("oc-probe", force=True)
    return made


def needs_wrapper(cmd: RuntimeCommand, host: HostFacts, workdir: Path) -> bool:
    """True on a hybrid-cgroup host when the runtime fails plainly and works wrapped."""
    if host.cgroup_mode != "hybrid" or not host.unshare:
        return False
    work = Path(tempfile.mkdtemp(prefix="wrapper-probe-", dir=workdir))
    try:
        rootfs = workdir / "runtime-base-rootfs"
        if not rootfs.exists():
            build_base_rootfs(rootfs)
        if _creates(cmd, work / "plain", rootfs):
            return False
        wrapped = RuntimeCommand(cmd.binary, cmd.global_args, "hide-cgroup2")
        return _creates(wrapped, work / "wrapped", rootfs)
    except OSError:
        return False
    finally:
        shutil.rmtree(work, ignore_errors=True)
