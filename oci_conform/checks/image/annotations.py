"""Annotation maps (and config Labels): string keys and values, pre-defined key rules."""
from __future__ import annotations

import re
from typing import Any

from oci_conform.checks.image.report import Report, pointer

REF_NAME = "org.opencontainers.image.ref.name"
BASE_NAME = "org.opencontainers.image.base.name"
_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
_DOMAIN = rf"(?:{_LABEL})(?:\.{_LABEL})*(?::[0-9]+)?"
_REFERENCE = re.compile(rf"^(?:{_DOMAIN}/)?{_COMPONENT}(?:/{_COMPONENT})*"
                        r"(?::[\w][\w.-]{0,127})?(?:@[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[0-9a-fA-F]{32,})?$")
_REVERSE_DNS = re.compile(r"^[A-Za-z0-9-]+(\.[A-Za-z0-9_-]+)+")
_REF_CHARS = re.compile(r"^[A-Za-z0-9]+(?:[-._:@/+][A-Za-z0-9]+)*$")


def check_annotations(report: Report, value: Any, where: str, clause: str,
                      on_layout_index: bool = False) -> None:
    """``value`` is an annotations map at pointer ``where``; ``clause`` is the owner's rule."""
    if value is None:
        report.fail("image.annotations.rules.7",
                    "annotations is null: leave it out or use {}", where)
        return
    if not isinstance(value, dict):
        report.fail(clause, "annotations must be an object of strings", where,
                    "object", type(value).__name__)
        return
    report.saw(clause)
    report.saw("image.annotations.rules.7")
    for key in getattr(value, "duplicates", ()):
        report.fail("image.annotations.rules.3", f"annotation key {key!r} appears twice",
                    where + pointer(key))
    if not getattr(value, "duplicates", ()):
        report.saw("image.annotations.rules.3")
    # The rules reserving org.opencontainers.* keys bind other specifications' authors, not
    # image producers (annotations.toml says why): such keys are valid here, not judged.
    for key in value:
        if key.startswith("org.opencontainers."):
            continue
        if clause != "image.config.properties.27":
            report.check("image.annotations.rules.4", bool(_REVERSE_DNS.match(key)),
                         f"annotation key {key!r} is not in reverse-domain form",
                         where + pointer(key))
    bad = [k for k, v in value.items() if not isinstance(v, str)]
    for k in bad:
        clause_for = ("image.annotations.rules.2" if value[k] is None
                      else "image.annotations.rules.1")
        report.fail(clause_for, f"annotation {k!r} has a {type(value[k]).__name__} value",
                    where + pointer(k), "string", repr(value[k])[:60])
    if not any(value[k] is not None for k in bad):
        report.saw("image.annotations.rules.1")
    if not any(value[k] is None for k in bad):
        report.saw("image.annotations.rules.2")
    base = value.get(BASE_NAME)
    if isinstance(base, str):
        if report.check("image.annotations.pre-defined-annotation-keys.7",
                        bool(_REFERENCE.match(base)),
                        f"{BASE_NAME} {base!r} is not an image reference",
                        where + pointer(BASE_NAME)):
            first = base.split("/", 1)[0]
            report.check("image.annotations.pre-defined-annotation-keys.8",
                         "/" in base and ("." in first or ":" in first
                                                                or first == "localhost"),
                         f"{BASE_NAME} {base!r} does not name its registry host",
                         where + pointer(BASE_NAME))
    ref = value.get(REF_NAME)
    if isinstance(ref, str):
        report.check("image.annotations.pre-defined-annotation-keys.3", on_layout_index,
                     f"{REF_NAME} is meaningful only on descriptors in a layout's index.json",
                     where + pointer(REF_NAME))
        report.check("image.annotations.pre-defined-annotation-keys.4", bool(_REF_CHARS.match(ref)),
                     f"{REF_NAME} value {ref!r} uses characters outside A-Za-z0-9 and -._:@/+",
                     where + pointer(REF_NAME))
