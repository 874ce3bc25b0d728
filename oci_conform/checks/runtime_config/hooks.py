"""``hooks``: absolute paths and NAME=VALUE environments (timeouts are schema rules)."""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from oci_conform.checks.runtime_config.common import is_abs
from oci_conform.checks.runtime_config.context import Ctx
from oci_conform.checks.runtime_config.obs import Obs, judge
from oci_conform.checks.runtime_config.process import env_problem

C = "rt.config."
KINDS = ("prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop")


def clauses_for(kind: str) -> tuple[str, str]:
    """(path-absolute clause, env clause) for a hook kind: prestart has its own lines."""
    return (C + "hooks.4", C + "hooks.6") if kind == "prestart" else (C + "hooks.13",
                                                                      C + "hooks.15")


def check_hooks(doc: dict[str, Any], ctx: Ctx) -> Iterator[Obs]:
    hooks = doc.get("hooks")
    if not isinstance(hooks, dict):
        return
    for kind in KINDS:
        entries = hooks.get(kind)
        if not isinstance(entries, list):
            continue
        path_clause, env_clause = clauses_for(kind)
        for i, hook in enumerate(entries):
            if not isinstance(hook, dict):
                continue
            where = f"/hooks/{kind}/{i}"
            if isinstance(hook.get("path"), str):
                yield judge(path_clause, f"{where}/path", is_abs(hook["path"]),
                            "hook path is not absolute", "an absolute path", hook["path"])
            env = hook.get("env")
            if isinstance(env, list):
                for j, entry in enumerate(env):
                    problem = env_problem(entry)
                    yield judge(env_clause, f"{where}/env/{j}", not problem,
                                f"environment entry {problem}", "NAME=VALUE", entry)
