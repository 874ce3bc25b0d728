"""Image configs (application/vnd.oci.image.config.v1+json), alone or against the layers."""
from __future__ import annotations

import re
from typing import Any

from oci_conform.checks.image.annotations import check_annotations
from oci_conform.checks.image.grammar import GOARCH, GOOS, VARIANTS, digest_problems
from oci_conform.checks.image.report import Report, pointer

_ENV_RE = re.compile(r"^[^=\x00]+=[^\x00]*$", re.DOTALL)
_USER_RE = re.compile(r"^[^:\x00]+(?::[^:\x00]+)?$")


def check_config(report: Report, doc: Any, version: str) -> None:
    """Every document-level rule of an image config."""
    if not isinstance(doc, dict):
        report.fail("image.config.properties.4", "a config must be a JSON object", "", "object",
                    type(doc).__name__)
        return
    arch, os_ = doc.get("architecture"), doc.get("os")
    if report.check("image.config.properties.4", isinstance(arch, str) and arch != "",
                    "architecture is required", "/architecture", "string", repr(arch)):
        report.check("image.config.properties.5",
                     arch in GOARCH, f"architecture {arch!r} is not GOARCH",
                     "/architecture")
    if report.check("image.config.properties.6",
                    isinstance(os_, str) and os_ != "", "os is required", "/os",
                    "string", repr(os_)):
        report.check("image.config.properties.7", os_ in GOOS, f"os {os_!r} is not GOOS", "/os")
    variant = doc.get("variant")
    if isinstance(variant, str) and arch in VARIANTS:
        report.check("image.config.properties.15", variant in VARIANTS[arch],
                     f"variant {variant!r} is not listed for {arch}", "/variant")
    _check_types(report, doc, TOP_FIELDS, "")
    from oci_conform.checks.image.index import check_windows_features
    check_windows_features(report, os_, doc.get("os.features"), "/os.features",
                           "image.config.properties.13")
    if "created" in doc and doc["created"] is not None:
        report.check("image.config.properties.2", _is_time(doc["created"]),
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
    "author": ("image.config.properties.3", lambda v: isinstance(v, str), "a string"),
    "os.version": ("image.config.properties.8", lambda v: isinstance(v, str), "a string"),
    "os.features": ("image.config.properties.11", _strings, "an array of strings"),
    "variant": ("image.config.properties.14", lambda v: isinstance(v, str), "a string"),
    "config": ("image.config.properties.16", lambda v: isinstance(v, dict), "an object"),
    "history": ("image.config.properties.39", lambda v: isinstance(v, list)
                and all(isinstance(h, dict) for h in v), "an array of objects"),
}
EXEC_FIELDS = {
    "ExposedPorts": ("image.config.properties.19", lambda v: isinstance(v, dict), "an object"),
    "Entrypoint": ("image.config.properties.21", _strings, "an array of strings"),
    "Cmd": ("image.config.properties.22", _strings, "an array of strings"),
    "Volumes": ("image.config.properties.24", lambda v: isinstance(v, dict), "an object"),
    "WorkingDir": ("image.config.properties.25", lambda v: isinstance(v, str), "a string"),
    "StopSignal": ("image.config.properties.28", lambda v: isinstance(v, str), "a string"),
    "ArgsEscaped": ("image.config.properties.29", lambda v: isinstance(v, bool), "a boolean"),
    "Memory": ("image.config.properties.30", _integer, "an integer"),
    "MemorySwap": ("image.config.properties.31", _integer, "an integer"),
    "CpuShares": ("image.config.properties.32", _integer, "an integer"),
    "Healthcheck": ("image.config.properties.33", lambda v: isinstance(v, dict), "an object"),
}
HISTORY_FIELDS = {
    "created": ("image.config.properties.40", _is_time, "an RFC 3339 date-time"),
    "author": ("image.config.properties.41", lambda v: isinstance(v, str), "a string"),
    "created_by": ("image.config.properties.42", lambda v: isinstance(v, str), "a string"),
    "comment": ("image.config.properties.43", lambda v: isinstance(v, str), "a string"),
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
            report.check("image.config.properties.20",
                         isinstance(e, str) and bool(_ENV_RE.match(e)),
                         f"Env entry {e!r} is not NAME=VALUE", "/config/Env" + pointer(i))
    elif env is not None:
        report.fail("image.config.properties.20", "Env must be an array of strings", "/config/Env")
    user = cfg.get("User")
    if user not in (None, ""):
        report.check("image.config.properties.18",
                     isinstance(user, str) and bool(_USER_RE.match(user)),
                     f"User {user!r} is not user, uid, user:group or uid:gid", "/config/User")
    if "Labels" in cfg:
        check_annotations(report, cfg["Labels"], "/config/Labels", "image.config.properties.27")


def _check_rootfs(report: Report, rootfs: Any, version: str) -> None:
    if not report.check("image.config.properties.34",
                        isinstance(rootfs, dict), "rootfs is required",
                        "/rootfs"):
        return
    if report.check("image.config.properties.35", isinstance(rootfs.get("type"), str),
                    "rootfs.type must be a string", "/rootfs/type", "string",
                    repr(rootfs.get("type"))):
        report.check("image.config.properties.36", rootfs.get("type") == "layers",
                     "rootfs.type must be 'layers'", "/rootfs/type", "layers",
                     repr(rootfs.get("type")))
    ids = rootfs.get("diff_ids")
    if not isinstance(ids, list):
        report.fail("image.config.properties.38",
                    "rootfs.diff_ids must be an array", "/rootfs/diff_ids")
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
    report.check("image.config.properties.44", filled == len(ids),
                 "history entries without empty_layer must match the layers one to one",
                 "/history", f"{len(ids)} (number of diff_ids)", str(filled))


def check_diff_ids(report: Report, doc: Any, diff_ids: list[str | None]) -> None:
    """The config's rootfs.diff_ids against the digests of the uncompressed layers."""
    if not isinstance(doc, dict) or not isinstance(doc.get("rootfs"), dict):
        return
    declared = doc["rootfs"].get("diff_ids")
    if not isinstance(declared, list):
        return
    if not report.check("image.config.properties.38", len(declared) == len(diff_ids),
                        "rootfs.diff_ids and manifest layers differ in number",
                        "/rootfs/diff_ids", str(len(diff_ids)), str(len(declared))):
        return
    if [d for d in diff_ids if d] and sorted(map(str, declared)) == sorted(
            map(str, diff_ids)) and list(declared) != list(diff_ids):
        report.fail("image.manifest.image-manifest-property-descriptions.19",
                    "the layers are the config's diff_ids in another "
                    "order: layers must be listed base first, in stack order",
                    "/rootfs/diff_ids", " ".join(map(str, diff_ids))[:200],
                    " ".join(map(str, declared))[:200])
        return
    report.saw("image.manifest.image-manifest-property-descriptions.19")
    for i, (want, got) in enumerate(zip(declared, diff_ids, strict=True)):
        if got is None:
            continue
        report.check("image.config.properties.38", want == got,
                     f"diff_id of layer {i} does not match the uncompressed layer",
                     "/rootfs/diff_ids" + pointer(i), str(got), str(want))
