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
    _check_types(report, doc, TOP_FIELDS, "")
    from oci_conform.checks.image.index import check_windows_features
    check_windows_features(report, os_, doc.get("os.features"), "/os.features",
                           C.CFG_WINDOWS_FEATURES)
    if "created" in doc and doc["created"] is not None:
        report.check(C.CFG_CREATED, _is_time(doc["created"]),
                     "created is not an RFC 3339 date-time", "/created", "RFC 3339",
                     repr(doc["created"]))
    cfg = doc.get("config")
    if isinstance(cfg, dict):
        _check_types(report, cfg, EXEC_FIELDS, "/config")
        _check_exec(report, cfg)
    _check_rootfs(report, doc.get("rootfs"), version)
    _check_history(report, doc)


_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")


def _is_time(value: Any) -> bool:
    return isinstance(value, str) and bool(_RFC3339.match(value))


def _strings(v: Any) -> bool:
    return isinstance(v, list) and all(isinstance(x, str) for x in v)


def _integer(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


# field -> (clause, test, what it must be); null is allowed for every optional field.
TOP_FIELDS = {
    "author": (C.CFG_AUTHOR, lambda v: isinstance(v, str), "a string"),
    "os.version": (C.CFG_OS_VERSION, lambda v: isinstance(v, str), "a string"),
    "os.features": (C.CFG_OS_FEATURES, _strings, "an array of strings"),
    "variant": (C.CFG_VARIANT_TYPE, lambda v: isinstance(v, str), "a string"),
    "config": (C.CFG_CONFIG_OBJECT, lambda v: isinstance(v, dict), "an object"),
    "history": (C.CFG_HISTORY, lambda v: isinstance(v, list)
                and all(isinstance(h, dict) for h in v), "an array of objects"),
}
EXEC_FIELDS = {
    "ExposedPorts": (C.CFG_EXPOSED_PORTS, lambda v: isinstance(v, dict), "an object"),
    "Entrypoint": (C.CFG_ENTRYPOINT, _strings, "an array of strings"),
    "Cmd": (C.CFG_CMD, _strings, "an array of strings"),
    "Volumes": (C.CFG_VOLUMES, lambda v: isinstance(v, dict), "an object"),
    "WorkingDir": (C.CFG_WORKINGDIR, lambda v: isinstance(v, str), "a string"),
    "StopSignal": (C.CFG_STOPSIGNAL, lambda v: isinstance(v, str), "a string"),
    "ArgsEscaped": (C.CFG_ARGSESCAPED, lambda v: isinstance(v, bool), "a boolean"),
    "Memory": (C.CFG_MEMORY, _integer, "an integer"),
    "MemorySwap": (C.CFG_MEMORYSWAP, _integer, "an integer"),
    "CpuShares": (C.CFG_CPUSHARES, _integer, "an integer"),
    "Healthcheck": (C.CFG_HEALTHCHECK, lambda v: isinstance(v, dict), "an object"),
}
HISTORY_FIELDS = {
    "created": (C.CFG_HISTORY_CREATED, _is_time, "an RFC 3339 date-time"),
    "author": (C.CFG_HISTORY_AUTHOR, lambda v: isinstance(v, str), "a string"),
    "created_by": (C.CFG_HISTORY_CREATED_BY, lambda v: isinstance(v, str), "a string"),
    "comment": (C.CFG_HISTORY_COMMENT, lambda v: isinstance(v, str), "a string"),
}


def _check_types(report: Report, obj: dict, fields: dict, where: str) -> None:
    for name, (clause, test, what) in fields.items():
        if name in obj and obj[name] is not None:
            report.check(clause, test(obj[name]), f"{name} must be {what}",
                         where + pointer(name), what, type(obj[name]).__name__)


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
    if report.check(C.CFG_ROOTFS_TYPE_STRING, isinstance(rootfs.get("type"), str),
                    "rootfs.type must be a string", "/rootfs/type", "string",
                    repr(rootfs.get("type"))):
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
    history, ids = doc.get("history"), (doc.get("rootfs") or {}).get("diff_ids") \
        if isinstance(doc.get("rootfs"), dict) else None
    if isinstance(history, list):
        for i, h in enumerate(history):
            if isinstance(h, dict):
                _check_types(report, h, HISTORY_FIELDS, "/history" + pointer(i))
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
    if [d for d in diff_ids if d] and sorted(map(str, declared)) == sorted(
            map(str, diff_ids)) and list(declared) != list(diff_ids):
        report.fail(C.MAN_LAYERS_ORDER, "the layers are the config's diff_ids in another "
                    "order: layers must be listed base first, in stack order",
                    "/rootfs/diff_ids", " ".join(map(str, diff_ids))[:200],
                    " ".join(map(str, declared))[:200])
        return
    report.saw(C.MAN_LAYERS_ORDER)
    for i, (want, got) in enumerate(zip(declared, diff_ids, strict=True)):
        if got is None:
            continue
        report.check(C.CFG_DIFF_IDS, want == got,
                     f"diff_id of layer {i} does not match the uncompressed layer",
                     "/rootfs/diff_ids" + pointer(i), str(got), str(want))
