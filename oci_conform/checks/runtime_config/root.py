"""``root`` and ``ociVersion``: the root filesystem field and the declared spec version."""
from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from oci_conform.checks.runtime_config.context import SEMVER, Ctx
from oci_conform.checks.runtime_config.obs import Obs, bad, good, judge

C = "rt.config."
VOLUME_GUID = re.compile(r"^\\\\\?\\Volume\{[0-9A-Fa-f]{8}(-[0-9A-Fa-f]{4}){3}"
                         r"-[0-9A-Fa-f]{12}\}\\?$")


def check_version(doc: dict[str, Any], ctx: Ctx) -> Iterator[Obs]:
    version = doc.get("ociVersion")
    if isinstance(version, str):
        yield judge(C + "specification-version.1", "/ociVersion", bool(SEMVER.match(version)),
                    "ociVersion is not a SemVer 2.0.0 version", "MAJOR.MINOR.PATCH[-pre][+build]",
                    version)


def check_root(doc: dict[str, Any], ctx: Ctx) -> Iterator[Obs]:
    root = doc.get("root")
    if ctx.platform == "windows":
        yield from _windows_root(doc, root)
        return
    if root is None:
        yield bad(C + "root.4", "/root", "root is required on this platform", "a root object",
                  "absent")
        return
    yield good(C + "root.4", "/root")
    if isinstance(root, dict) and isinstance(root.get("path"), str):
        path = root["path"]
        if not path:
            yield bad(C + "root.5", "/root/path", "root.path is empty", "a path", path)
        else:
            yield judge(C + "root.7", "/root/path", path.rstrip("/").split("/")[-1] == "rootfs",
                        "root.path is not the conventional 'rootfs'", "rootfs", path)


def _windows_root(doc: dict[str, Any], root: Any) -> Iterator[Obs]:
    windows = doc.get("windows")
    windows = windows if isinstance(windows, dict) else {}
    if "hyperv" in windows:
        yield judge(C + "root.3", "/root", root is None,
                    "root must not be set for a Hyper-V container", "absent", root)
        return
    yield judge(C + "root.2", "/root", root is not None,
                "root is required for a Windows Server container", "a root object", "absent")
    if not isinstance(root, dict):
        return
    path = root.get("path")
    if isinstance(path, str):
        yield judge(C + "root.6", "/root/path", bool(VOLUME_GUID.match(path)),
                    "on Windows root.path must be a volume GUID path",
                    r"\\?\Volume{GUID}\ ", path)
    yield judge(C + "root.10", "/root/readonly", root.get("readonly", False) is False,
                "on Windows root.readonly must be omitted or false", "false", root.get("readonly"))
