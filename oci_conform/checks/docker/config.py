"""The Docker image JSON (application/vnd.docker.container.image.v1+json)."""
from __future__ import annotations

import re
from typing import Any

from oci_conform.checks.image.report import Report, pointer

_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
_ENV = re.compile(r"^[^=\x00]+=[^\x00]*$", re.DOTALL)


def check_image_json(report: Report, doc: Any, version: str = "1.1.1") -> None:
    if not isinstance(doc, dict):
        report.fail("docker.image.architecture", "image JSON must be an object", "")
        return
    report.check("docker.image.architecture",
                 isinstance(doc.get("architecture"), str) and doc["architecture"] != "",
                 "architecture is missing", "/architecture")
    report.check("docker.image.os", isinstance(doc.get("os"), str) and doc["os"] != "",
                 "os is missing", "/os")
    rootfs: Any = doc.get("rootfs")
    ok = isinstance(rootfs, dict) and rootfs.get("type") == "layers" \
        and isinstance(rootfs.get("diff_ids"), list)
    report.check("docker.image.rootfs",
                 ok, "rootfs must be {type: layers, diff_ids: [...]}", "/rootfs")
    if "created" in doc:
        created = doc["created"]
        report.check("docker.image.created", isinstance(created, str) and bool(_ISO.match(created)),
                     f"created {doc['created']!r} is not an ISO-8601 date-time", "/created")
    cfg = doc.get("config")
    if isinstance(cfg, dict) and isinstance(cfg.get("Env"), list):
        for i, e in enumerate(cfg["Env"]):
            report.check("docker.image.env", isinstance(e, str) and bool(_ENV.match(e)),
                         f"Env entry {e!r} is not NAME=VALUE", "/config/Env" + pointer(i))
    history = doc.get("history")
    if ok and isinstance(history, list):
        filled = sum(1 for h in history if isinstance(h, dict) and not h.get("empty_layer"))
        report.check("docker.image.history", filled == len(rootfs["diff_ids"]),
                     "history entries without empty_layer do not match the layers", "/history",
                     str(len(rootfs["diff_ids"])), str(filled))


def check_diff_ids(report: Report, doc: Any, diff_ids: list[str | None], clause: str) -> None:
    declared = ((doc or {}).get("rootfs") or {}).get("diff_ids") if isinstance(doc, dict) else None
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
