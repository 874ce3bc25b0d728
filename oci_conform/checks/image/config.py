"""Image configs (application/vnd.oci.image.config.v1+json), alone or against the layers."""
from __future__ import annotations

import re
from typing import Any

from oci_conform.checks.image.annotations import check_annotations
from oci_conform.checks.image.grammar import GOARCH, GOOS, VARIANTS, digest_problems
from oci_conform.checks.image.props import (
    is_bool,
    is_int,
    is_object,
    is_objects,
    is_str,
    is_strings,
    json_type,
    optional,
    required,
)
from oci_conform.checks.image.report import Report, pointer

_ENV_RE = re.compile(r"^[^=\x00]+=[^\x00]*$", re.DOTALL)
_USER_RE = re.compile(r"^[^:\x00]+(?::[^:\x00]+)?$")


def check_config(report: Report, doc: Any, version: str) -> None:
    """Every document-level rule of an image config."""
    if not isinstance(doc, dict):
        report.fail("image.config.json-object", "a config must be a JSON object, not "
                    f"{json_type(doc)}", "", "object", json_type(doc))
        return
    report.saw("image.config.json-object")
    arch, os_ = doc.get("architecture"), doc.get("os")
    if required(report, doc, "architecture", "/architecture", clause="image.config.properties.4",
                types="image.config.property-types", test=is_str, what="a string"):
        if report.check("image.config.properties.4", arch != "", "architecture is empty",
                        "/architecture", "a GOARCH value", '""'):
            report.check("image.config.properties.5", arch in GOARCH,
                         f"architecture {arch!r} is not GOARCH", "/architecture")
    if required(report, doc, "os", "/os", clause="image.config.properties.6",
                types="image.config.property-types", test=is_str, what="a string"):
        if report.check("image.config.properties.6", os_ != "", "os is empty", "/os",
                        "a GOOS value", '""'):
            report.check("image.config.properties.7", os_ in GOOS, f"os {os_!r} is not GOOS",
                         "/os")
    if optional(report, doc, "variant", "/variant", may="image.config.properties.14",
                types="image.config.property-types", test=is_str, what="a string",
                rules=("image.config.properties.15",)):
        variant = doc["variant"]
        if isinstance(arch, str) and arch in VARIANTS:
            report.check("image.config.properties.15", variant in VARIANTS[arch],
                         f"variant {variant!r} is not listed for {arch}", "/variant")
    optional(report, doc, "author", "/author", may="image.config.properties.3",
             types="image.config.property-types", test=is_str, what="a string")
    optional(report, doc, "os.version", "/os.version", may="image.config.properties.8",
             types="image.config.property-types", test=is_str, what="a string")
    if optional(report, doc, "os.features", "/os.features", may="image.config.properties.11",
                types="image.config.property-types", test=is_strings,
                what="an array of strings", rules=("image.config.properties.13",)):
        from oci_conform.checks.image.index import check_windows_features
        check_windows_features(report, os_, doc["os.features"], "/os.features",
                               "image.config.properties.13")
    if optional(report, doc, "created", "/created", may="image.config.properties.2",
                types="image.config.property-types", test=is_str, what="a string"):
        report.check("image.config.property-formats", _is_time(doc["created"]),
                     "created is not an RFC 3339 date-time", "/created", "RFC 3339",
                     doc["created"])
    if optional(report, doc, "config", "/config", may="image.config.properties.16",
                types="image.config.property-types", test=is_object, what="an object"):
        _check_exec(report, doc["config"])
    _check_rootfs(report, doc, version)
    _check_history(report, doc)


_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")
_PORT = re.compile(r"^\d{1,5}(/(tcp|udp))?$")


def _is_time(value: Any) -> bool:
    return isinstance(value, str) and bool(_RFC3339.match(value))


def _check_exec(report: Report, cfg: dict) -> None:
    """The execution parameters (config.config): types, then formats."""
    t = "image.config.property-types"
    optional(report, cfg, "Entrypoint", "/config/Entrypoint", may="image.config.properties.21",
             types=t, test=is_strings, what="an array of strings")
    optional(report, cfg, "Cmd", "/config/Cmd", may="image.config.properties.22", types=t,
             test=is_strings, what="an array of strings")
    optional(report, cfg, "Volumes", "/config/Volumes", may="image.config.properties.24",
             types=t, test=is_object, what="an object")
    optional(report, cfg, "WorkingDir", "/config/WorkingDir", may="image.config.properties.25",
             types=t, test=is_str, what="a string")
    optional(report, cfg, "StopSignal", "/config/StopSignal", may="image.config.properties.28",
             types=t, test=is_str, what="a string")
    optional(report, cfg, "ArgsEscaped", "/config/ArgsEscaped",
             may="image.config.properties.29", types=t, test=is_bool, what="a boolean")
    optional(report, cfg, "Memory", "/config/Memory", may="image.config.properties.30",
             types=t, test=is_int, what="an integer")
    optional(report, cfg, "MemorySwap", "/config/MemorySwap", may="image.config.properties.31",
             types=t, test=is_int, what="an integer")
    optional(report, cfg, "CpuShares", "/config/CpuShares", may="image.config.properties.32",
             types=t, test=is_int, what="an integer")
    optional(report, cfg, "Healthcheck", "/config/Healthcheck",
             may="image.config.properties.33", types=t, test=is_object, what="an object")
    if optional(report, cfg, "ExposedPorts", "/config/ExposedPorts",
                may="image.config.properties.19", types=t, test=is_object, what="an object"):
        for port in cfg["ExposedPorts"]:
            report.check("image.config.property-formats", bool(_PORT.match(port)),
                         f"ExposedPorts key {port!r} is not port, port/tcp or port/udp",
                         "/config/ExposedPorts" + pointer(port), "port[/tcp|/udp]", port)
    if optional(report, cfg, "Env", "/config/Env", may="image.config.properties.20", types=t,
                test=is_strings, what="an array of strings"):
        for i, e in enumerate(cfg["Env"]):
            report.check("image.config.property-formats", bool(_ENV_RE.match(e)),
                         f"Env entry {e!r} is not VARIABLE=VALUE", "/config/Env" + pointer(i),
                         "VARIABLE=VALUE", e)
    if optional(report, cfg, "User", "/config/User", may="image.config.properties.18", types=t,
                test=is_str, what="a string") and cfg["User"] != "":
        report.check("image.config.property-formats", bool(_USER_RE.match(cfg["User"])),
                     f"User {cfg['User']!r} is not user, uid, user:group or uid:gid",
                     "/config/User", "user[:group]", cfg["User"])
    if "Labels" in cfg and cfg["Labels"] is not None:
        check_annotations(report, cfg["Labels"], "/config/Labels", "image.config.properties.27")


def _check_rootfs(report: Report, doc: dict, version: str) -> None:
    t = "image.config.property-types"
    if not required(report, doc, "rootfs", "/rootfs", clause="image.config.properties.34",
                    types=t, test=is_object, what="an object"):
        return
    rootfs = doc["rootfs"]
    if required(report, rootfs, "type", "/rootfs/type", clause="image.config.properties.35",
                types=t, test=is_str, what="a string"):
        report.check("image.config.properties.36", rootfs["type"] == "layers",
                     "rootfs.type must be 'layers'", "/rootfs/type", "layers", rootfs["type"])
    if not required(report, rootfs, "diff_ids", "/rootfs/diff_ids",
                    clause="image.config.properties.38", types=t,
                    test=lambda v: isinstance(v, list), what="an array"):
        return
    for i, d in enumerate(rootfs["diff_ids"]):
        if not report.check(t, isinstance(d, str), f"a diff_id must be a string, not "
                            f"{json_type(d)}", "/rootfs/diff_ids" + pointer(i)):
            continue
        for clause, msg in digest_problems(d, version):
            report.fail(clause, f"diff_id: {msg}", "/rootfs/diff_ids" + pointer(i))


def _check_history(report: Report, doc: dict) -> None:
    t = "image.config.property-types"
    ids = doc["rootfs"].get("diff_ids") if isinstance(doc.get("rootfs"), dict) else None
    if not optional(report, doc, "history", "/history", may="image.config.properties.39",
                    types=t, test=is_objects, what="an array of objects"):
        return
    history = doc["history"]
    for i, h in enumerate(history):
        here = "/history" + pointer(i)
        if optional(report, h, "created", here + "/created", may="image.config.properties.40",
                    types=t, test=is_str, what="a string"):
            report.check("image.config.property-formats", _is_time(h["created"]),
                         "history created is not an RFC 3339 date-time", here + "/created",
                         "RFC 3339", h["created"])
        optional(report, h, "author", here + "/author", may="image.config.properties.41",
                 types=t, test=is_str, what="a string")
        optional(report, h, "created_by", here + "/created_by",
                 may="image.config.properties.42", types=t, test=is_str, what="a string")
        optional(report, h, "comment", here + "/comment", may="image.config.properties.43",
                 types=t, test=is_str, what="a string")
        optional(report, h, "empty_layer", here + "/empty_layer",
                 may="image.config.properties.44", types=t, test=is_bool, what="a boolean")
    if not isinstance(ids, list):
        return
    filled = sum(1 for h in history if h.get("empty_layer") is not True)
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
