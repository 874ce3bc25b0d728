"""Image configs (application/vnd.oci.image.config.v1+json), alone or against the layers."""
from __future__ import annotations

import re
from typing import Any

from oci_conform.checks.image import clauses as C
from oci_conform.checks.image.annotations import check_annotations
from oci_conform.checks.image.grammar import GOARCH, GOOS, VARIANTS, digest_problems
from oci_conform.checks.image.report import Report, pointer

_ENV_RE = re.compile(r"^[^=\x00]+=[^\x00]*$", re.DOTALL)
_USER_RE = re.compile(r"^[^:\x00]+(?::[^:\x00]+)?$")


def check_config(report: Report, doc: Any, version: str) -> None:
    """Every document-level rule of an image config."""
    if not isinstance(doc, dict):
        report.fail(C.CFG_ARCH, "a config must be a JSON object", "", "object",
                    type(doc).__name__)
        return
    arch, os_ = doc.get("architecture"), doc.get("os")
    if report.check(C.CFG_ARCH, isinstance(arch, str) and arch != "",
                    "architecture is required", "/architecture", "string", repr(arch)):
        report.check(C.CFG_GOARCH, arch in GOARCH, f"architecture {arch!r} is not GOARCH",
                     "/architecture")
    if report.check(C.CFG_OS, isinstance(os_, str) and os_ != "", "os is required", "/os",
                    "string", repr(os_)):
        report.check(C.CFG_GOOS, os_ in GOOS, f"os {os_!r} is not GOOS", "/os")
    variant = doc.get("variant")
    if isinstance(variant, str) and arch in VARIANTS:
        report.check(C.CFG_VARIANT, variant in VARIANTS[arch],
                     f"variant {variant!r} is not listed for {arch}", "/variant")
    cfg = doc.get("config")
    if isinstance(cfg, dict):
        _check_exec(report, cfg)
    _check_rootfs(report, doc.get("rootfs"), version)
    _check_history(report, doc)


def _check_exec(report: Report, cfg: dict) -> None:
    env = cfg.get("Env")
    if isinstance(env, list):
        for i, e in enumerate(env):
            report.check(C.CFG_ENV, isinstance(e, str) and bool(_ENV_RE.match(e)),
                         f"Env entry {e!r} is not NAME=VALUE", "/config/Env" + pointer(i))
    elif env is not None:
        report.fail(C.CFG_ENV, "Env must be an array of strings", "/config/Env")
    user = cfg.get("User")
    if user not in (None, ""):
        report.check(C.CFG_USER, isinstance(user, str) and bool(_USER_RE.match(user)),
                     f"User {user!r} is not user, uid, user:group or uid:gid", "/config/User")
    if "Labels" in cfg:
        check_annotations(report, cfg["Labels"], "/config/Labels", C.CFG_LABELS)


def _check_rootfs(report: Report, rootfs: Any, version: str) -> None:
    if not report.check(C.CFG_ROOTFS, isinstance(rootfs, dict), "rootfs is required",
                        "/rootfs"):
        return
    report.check(C.CFG_ROOTFS_TYPE, rootfs.get("type") == "layers",
                 "rootfs.type must be 'layers'", "/rootfs/type", "layers",
                 repr(rootfs.get("type")))
    ids = rootfs.get("diff_ids")
    if not isinstance(ids, list):
        report.fail(C.CFG_DIFF_IDS, "rootfs.diff_ids must be an array", "/rootfs/diff_ids")
        return
    for i, d in enumerate(ids):
        for clause, msg in digest_problems(d, version):
            report.fail(clause, f"diff_id: {msg}", "/rootfs/diff_ids" + pointer(i))


def _check_history(report: Report, doc: dict) -> None:
    history, ids = doc.get("history"), (doc.get("rootfs") or {}).get("diff_ids")
    if not isinstance(history, list) or not isinstance(ids, list):
        return
    filled = sum(1 for h in history if isinstance(h, dict) and not h.get("empty_layer"))
    report.check(C.CFG_HISTORY_EMPTY, filled == len(ids),
                 "history entries without empty_layer must match the layers one to one",
                 "/history", f"{len(ids)} (number of diff_ids)", str(filled))


def check_diff_ids(report: Report, doc: Any, diff_ids: list[str | None]) -> None:
    """The config's rootfs.diff_ids against the digests of the uncompressed layers."""
    if not isinstance(doc, dict) or not isinstance(doc.get("rootfs"), dict):
        return
    declared = doc["rootfs"].get("diff_ids")
    if not isinstance(declared, list):
        return
    if not report.check(C.CFG_DIFF_IDS, len(declared) == len(diff_ids),
                        "rootfs.diff_ids and manifest layers differ in number",
                        "/rootfs/diff_ids", str(len(diff_ids)), str(len(declared))):
        return
    for i, (want, got) in enumerate(zip(declared, diff_ids, strict=True)):
        if got is None:
            continue
        report.check(C.CFG_DIFF_IDS, want == got,
                     f"diff_id of layer {i} does not match the uncompressed layer",
                     "/rootfs/diff_ids" + pointer(i), str(got), str(want))
