"""``hooks``: absolute paths and NAME=VALUE environments (timeouts are schema rules)."""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from oci_conform.checks.runtime_config.common import is_abs, value_rule
from oci_conform.checks.runtime_config.context import Ctx
from oci_conform.checks.runtime_config.process import env_problem
from oci_conform.model.judging import Observation, observed

KINDS = ("prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop")


def clauses_for(kind: str) -> tuple[str, str]:
    """(path-absolute clause, env clause) for a hook kind: prestart has its own lines."""
    if kind == "prestart":
        return "rt.config.hooks.4", "rt.config.hooks.6"
    return "rt.config.hooks.13", "rt.config.hooks.15"


def check_hooks(doc: dict[str, Any], ctx: Ctx) -> Iterator[Observation]:
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
                yield observed(path_clause, is_abs(hook["path"]), "hook path is not absolute",
                               location=f"{where}/path", expected="an absolute path",
                               actual=hook["path"])
            env = hook.get("env")
            if isinstance(env, list):
                for j, entry in enumerate(env):
                    problem = env_problem(entry)
                    yield from value_rule(env_clause, "rt.config.property-values", not problem,
                                          f"environment entry {problem}",
                                          location=f"{where}/env/{j}", expected="NAME=VALUE",
                                          actual=entry)
