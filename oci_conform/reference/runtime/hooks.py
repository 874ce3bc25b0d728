"""Run lifecycle hooks: the state on stdin, args and env exactly, an optional timeout.

Failure rules (runtime-spec 1.3.0, the version this runtime announces): a failing
prestart, createRuntime, createContainer, startContainer or poststart hook is an
error that stops the container; a failing poststop hook is only a warning.
"""
from __future__ import annotations

import os
import sys

TYPE_CHECKING = False   # typing is not imported at run time (start-up cost)
if TYPE_CHECKING:
    from typing import Any
    JSON = dict[str, Any]

FATAL = ("prestart", "createRuntime", "createContainer", "startContainer", "poststart")


class HookFailed(Exception):
    """A hook exited non-zero, could not start, or ran past its timeout."""


def preload() -> None:
    """Import what running a hook needs (before pivot_root, nothing can be imported)."""
    import json  # noqa: F401
    import subprocess  # noqa: F401


def run_hook(kind: str, hook: JSON, state: JSON) -> None:
    import json
    import subprocess
    args = hook.get("args") or [hook["path"]]
    env = {}
    for item in hook.get("env") or []:
        key, _, value = item.partition("=")
        env[key] = value
    data = json.dumps(state).encode()
    timeout = hook.get("timeout")
    try:
        proc = subprocess.Popen(args, executable=hook["path"], env=env, stdin=subprocess.PIPE,
                                stdout=subprocess.DEVNULL, stderr=sys.stderr.fileno(),
                                close_fds=True, start_new_session=True)
    except OSError as exc:
        raise HookFailed(f"{kind} hook {hook['path']}: cannot start: {exc.strerror}") from None
    try:
        # communicate() writes as much as the hook reads and ignores a broken pipe on the
        # write and on the close that flushes it: a hook need not read its stdin at all.
        proc.communicate(data, timeout=timeout)
        code = proc.returncode
    except subprocess.TimeoutExpired:
        try:
            os.killpg(proc.pid, 9)
        except OSError:
            proc.kill()
        proc.wait()
        raise HookFailed(f"{kind} hook {hook['path']}: timed out after {timeout}s") from None
    if code != 0:
        raise HookFailed(f"{kind} hook {hook['path']}: exit status {code}")


def run_all(kind: str, hooks: JSON, state: JSON, warn: Any = None) -> None:
    """Run each hook of ``kind`` in order; fatal kinds stop at the first failure."""
    for hook in (hooks or {}).get(kind, []):
        try:
            run_hook(kind, hook, state)
        except HookFailed as exc:
            if kind in FATAL:
                raise
            if warn is not None:
                warn(f"warning: {exc}")
