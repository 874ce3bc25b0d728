"""Annotation maps (and config Labels): string keys and values, pre-defined key rules."""
from __future__ import annotations

import re
from typing import Any

from oci_conform.checks.image import clauses as C
from oci_conform.checks.image.report import Report, pointer

REF_NAME = "org.opencontainers.image.ref.name"
_REF_CHARS = re.compile(r"^[A-Za-z0-9]+(?:[-._:@/+][A-Za-z0-9]+)*$")


def check_annotations(report: Report, value: Any, where: str, clause: str,
                      on_layout_index: bool = False) -> None:
    """``value`` is an annotations map at pointer ``where``; ``clause`` is the owner's rule."""
    if value is None:
        return
    if not isinstance(value, dict):
        report.fail(clause, "annotations must be an object of strings", where,
                    "object", type(value).__name__)
        return
    report.saw(clause)
    bad = [k for k, v in value.items() if not isinstance(v, str)]
    for k in bad:
        report.fail(C.ANN_STRINGS, f"annotation {k!r} has a {type(value[k]).__name__} value",
                    where + pointer(k), "string", repr(value[k])[:60])
    if not bad:
        report.saw(C.ANN_STRINGS)
    ref = value.get(REF_NAME)
    if isinstance(ref, str):
        report.check(C.ANN_REFNAME_WHERE, on_layout_index,
                     f"{REF_NAME} is meaningful only on descriptors in a layout's index.json",
                     where + pointer(REF_NAME))
        report.check(C.ANN_REFNAME_CHARS, bool(_REF_CHARS.match(ref)),
                     f"{REF_NAME} value {ref!r} uses characters outside A-Za-z0-9 and -._:@/+",
                     where + pointer(REF_NAME))
