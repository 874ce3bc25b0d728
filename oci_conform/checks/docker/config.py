"""The Docker image JSON (application/vnd.docker.container.image.v1+json)."""
from __future__ import annotations

import re
from typing import Any

from oci_conform.checks.image.props import (
    is_object,
    is_str,
    is_strings,
    json_type,
    optional,
    required,
)
from oci_conform.checks.image.report import Report, pointer

_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
_ENV = re.compile(r"^[^=\x00]+=[^\x00]*$", re.DOTALL)


def check_image_json(report: Report, doc: Any, version: str = "1.1.1") -> None:
    if not isinstance(doc, dict):
        report.fail("docker.image.json-object", "the image JSON must be a JSON object, not "
                    f"{json_type(doc)}", "", "object", json_type(doc))
        return
    report.saw("docker.image.json-object")
    t = "docker.image.property-types"
    if required(report, doc, "architecture", "/architecture", clause="docker.image.architecture",
                types=t, test=is_str, what="a string"):
        report.check("docker.image.architecture", doc["architecture"] != "",
                     "architecture is empty", "/architecture")
    if required(report, doc, "os", "/os", clause="docker.image.os", types=t, test=is_str,
                what="a string"):
        report.check("docker.image.os", doc["os"] != "", "os is empty", "/os")
    rootfs: Any = doc.get("rootfs")
    ok = False
    if required(report, doc, "rootfs", "/rootfs", clause="docker.image.rootfs", types=t,
                test=is_object, what="an object"):
        ok = rootfs.get("type") == "layers" and isinstance(rootfs.get("diff_ids"), list)
        report.check("docker.image.rootfs", ok,
                     "rootfs must be {type: layers, diff_ids: [...]}", "/rootfs")
    if optional(report, doc, "created", "/created", may="", types=t, test=is_str,
                what="a string"):
        report.check("docker.image.created", bool(_ISO.match(doc["created"])),
                     f"created {doc['created']!r} is not an ISO-8601 date-time", "/created")
    cfg = doc.get("config")
    if optional(report, doc, "config", "/config", may="", types=t, test=is_object,
                what="an object") and optional(report, cfg, "Env", "/config/Env", may="",
                                               types=t, test=is_strings,
                                               what="an array of strings"):
        for i, e in enumerate(cfg["Env"]):
            report.check("docker.image.env", bool(_ENV.match(e)),
                         f"Env entry {e!r} is not NAME=VALUE", "/config/Env" + pointer(i))
    history = doc.get("history")
    if ok and isinstance(history, list):
        filled = sum(1 for h in history if isinstance(h, dict) and not h.get("empty_layer"))
        report.check("docker.image.history", filled == len(rootfs["diff_ids"]),
                     "history entries without empty_layer do not match the layers", "/history",
                     str(len(rootfs["diff_ids"])), str(filled))


def check_diff_ids(report: Report, doc: Any, diff_ids: list[str | None], clause: str) -> None:
    rootfs = doc.get("rootfs") if isinstance(doc, dict) else None
    declared = rootfs.get("diff_ids") if isinstance(rootfs, dict) else None
    if not isinstance(declared, list):
        return
    if not report.check(clause, len(declared) == len(diff_ids),
                        "number of layers differs from rootfs.diff_ids", "/rootfs/diff_ids",
                        str(len(declared)), str(len(diff_ids))):
        return
    for i, (want, got) in enumerate(zip(declared, diff_ids, strict=True)):
        if got is not None:
            report.check(clause, want == got, f"layer {i} does not hash to its diff_id",
                         "/rootfs/diff_ids" + pointer(i), str(want), str(got))
