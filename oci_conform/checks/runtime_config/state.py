"""The state document a runtime's ``state`` operation prints."""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from oci_conform.checks.runtime_config.context import SEMVER, Ctx
from oci_conform.checks.runtime_config.obs import Obs, bad, good, judge

R = "rt.runtime."
STANDARD_STATUS = ("creating", "created", "running", "stopped")


def check_state(doc: dict[str, Any], ctx: Ctx) -> Iterator[Obs]:
    version = doc.get("ociVersion")
    if isinstance(version, str):
        yield judge(R + "state.1", "/ociVersion", bool(SEMVER.match(version)),
                    "ociVersion is not a SemVer 2.0.0 version", "MAJOR.MINOR.PATCH", version)
    status = doc.get("status")
    if isinstance(status, str) and status:
        # Runtimes may add states (runc and crun report "paused"): any name is accepted,
        # the standard ones are what this clause can confirm.
        if status in STANDARD_STATUS:
            yield good(R + "state.5", "/status")
    pid = doc.get("pid")
    if status in ("created", "running") and ctx.platform == "linux":
        if pid is None:
            yield bad(R + "state.7", "/pid", f"pid is required while the container is {status}",
                      "a process id", "absent")
        elif isinstance(pid, int) and not isinstance(pid, bool):
            yield judge(R + "state.7", "/pid", pid > 0,
                        f"a {status} container has a process, so pid must be positive", "> 0", pid)
    bundle = doc.get("bundle")
    if isinstance(bundle, str):
        yield judge(R + "state.8", "/bundle", bundle.startswith("/"),
                    "bundle must be an absolute path", "an absolute path", bundle)
    notes = doc.get("annotations")
    if isinstance(notes, dict):
        for key in notes:
            if not key:
                yield bad(R + "state.9", "/annotations", "annotation key is empty",
                          "a non-empty key", key)
