"""Small predicates the semantic checks share (pure, no I/O)."""
from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any, TypeGuard

from oci_conform.checks.runtime_config.pointer import get
from oci_conform.model.judging import Observation, observed, passed

CPU_LIST = re.compile(r"^\s*\d+(-\d+)?(\s*,\s*\d+(-\d+)?)*\s*$")


def is_abs(value: Any) -> bool:
    return isinstance(value, str) and value.startswith("/")


def is_int(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def cpu_list_ok(text: str) -> bool:
    """``0-3,7`` style lists: numbers and ascending ranges separated by commas."""
    if not CPU_LIST.match(text):
        return False
    for part in text.split(","):
        lo, _, hi = part.strip().partition("-")
        if hi and int(hi) < int(lo):
            return False
    return True


def namespaces(doc: Any) -> dict[str, dict[str, Any]]:
    """Linux namespace type -> its entry (the first one of each type)."""
    found: dict[str, dict[str, Any]] = {}
    entries = get(doc, "linux", "namespaces")
    if isinstance(entries, list):
        for entry in entries:
            if isinstance(entry, dict) and isinstance(entry.get("type"), str):
                found.setdefault(entry["type"], entry)
    return found


def has_namespace_list(doc: Any) -> bool:
    return isinstance(get(doc, "linux", "namespaces"), list)


def device_key(dev: dict[str, Any]) -> tuple[str, ...]:
    """(type, major, minor) of a device entry as text, whatever JSON types they hold."""
    import json
    return tuple(json.dumps(dev.get(f), sort_keys=True) for f in ("type", "major", "minor"))


def value_rule(prop: str, values: str, ok: bool, message: str, **where: Any
               ) -> Iterator[Observation]:
    """A rule on the value of an optional field (``prop``, a MAY "may be set" clause): the
    field is present, which ``prop`` allows, and its value keeps or breaks ``values``, the
    document's MUST on field values (the finding names ``prop``)."""
    yield passed(prop)
    yield observed(values, ok, f"{message} (the value rule of {prop})", **where)


def namespaces_unreadable(doc: Any) -> bool:
    """True when ``linux`` or ``linux.namespaces`` is there but of the wrong type: the rules
    that depend on which namespaces exist cannot be judged (the type error is judged)."""
    linux = doc.get("linux") if isinstance(doc, dict) else None
    if "linux" in doc and not isinstance(linux, dict):
        return True
    return isinstance(linux, dict) and "namespaces" in linux and \
        not isinstance(linux["namespaces"], list)
