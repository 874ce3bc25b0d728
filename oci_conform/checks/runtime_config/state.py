"""The state document a runtime's ``state`` operation prints."""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from oci_conform.checks.runtime_config.context import SEMVER, Ctx
from oci_conform.model.judging import Observation, failed, observed, passed

STANDARD_STATUS = ("creating", "created", "running", "stopped")


def check_state(doc: dict[str, Any], ctx: Ctx) -> Iterator[Observation]:
    version = doc.get("ociVersion")
    if isinstance(version, str):
        yield observed("rt.runtime.state.1", bool(SEMVER.match(version)),
                       "ociVersion is not a SemVer 2.0.0 version", location="/ociVersion",
                       expected="MAJOR.MINOR.PATCH", actual=version)
    status = doc.get("status")
    if isinstance(status, str) and status:
        # Runtimes may add states (runc and crun report "paused"): any name is accepted,
        # the standard ones are what this clause can confirm.
        if status in STANDARD_STATUS:
            yield passed("rt.runtime.state.5")
    pid = doc.get("pid")
    if status in ("created", "running") and ctx.platform == "linux":
        if pid is None:
            yield failed("rt.runtime.state.7", f"pid is required while the container is {status}",
                         location="/pid", expected="a process id", actual="absent")
        elif isinstance(pid, int) and not isinstance(pid, bool):
            yield observed("rt.runtime.state.7", pid > 0,
                           f"a {status} container has a process, so pid must be positive",
                           location="/pid", expected="> 0", actual=pid)
    bundle = doc.get("bundle")
    if isinstance(bundle, str):
        yield observed("rt.runtime.state.8", bundle.startswith("/"),
                       "bundle must be an absolute path", location="/bundle",
                       expected="an absolute path", actual=bundle)
    notes = doc.get("annotations")
    if isinstance(notes, dict):
        for key in notes:
            if not key:
                yield failed("rt.runtime.state.9", "annotation key is empty",
                             location="/annotations", expected="a non-empty key", actual=key)
