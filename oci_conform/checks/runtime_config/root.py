"""``root`` and ``ociVersion``: the root filesystem field and the declared spec version."""
from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from oci_conform.checks.runtime_config.context import SEMVER, Ctx
from oci_conform.model.judging import Observation, failed, observed, passed

VOLUME_GUID = re.compile(r"^\\\\\?\\Volume\{[0-9A-Fa-f]{8}(-[0-9A-Fa-f]{4}){3}"
                         r"-[0-9A-Fa-f]{12}\}\\?$")


def check_version(doc: dict[str, Any], ctx: Ctx) -> Iterator[Observation]:
    version = doc.get("ociVersion")
    if isinstance(version, str):
        yield observed("rt.config.specification-version.1", bool(SEMVER.match(version)),
                       "ociVersion is not a SemVer 2.0.0 version", location="/ociVersion",
                       expected="MAJOR.MINOR.PATCH[-pre][+build]", actual=version)


def check_root(doc: dict[str, Any], ctx: Ctx) -> Iterator[Observation]:
    root = doc.get("root")
    if ctx.platform == "windows":
        yield from _windows_root(doc, root)
        return
    if root is None:
        yield failed("rt.config.root.4", "root is required on this platform", location="/root",
                     expected="a root object", actual="absent")
        return
    yield passed("rt.config.root.4")
    if isinstance(root, dict) and isinstance(root.get("path"), str):
        path = root["path"]
        if not path:
            yield failed("rt.config.root.5", "root.path is empty", location="/root/path",
                         expected="a path", actual=path)
        else:
            yield observed("rt.config.root.7", path.rstrip("/").split("/")[-1] == "rootfs",
                           "root.path is not the conventional 'rootfs'", location="/root/path",
                           expected="rootfs", actual=path)


def _windows_root(doc: dict[str, Any], root: Any) -> Iterator[Observation]:
    windows = doc.get("windows")
    windows = windows if isinstance(windows, dict) else {}
    if "hyperv" in windows:
        yield observed("rt.config.root.3", root is None,
                       "root must not be set for a Hyper-V container", location="/root",
                       expected="absent", actual=root)
        return
    yield observed("rt.config.root.2", root is not None,
                   "root is required for a Windows Server container", location="/root",
                   expected="a root object", actual="absent")
    if not isinstance(root, dict):
        return
    path = root.get("path")
    if isinstance(path, str):
        yield observed("rt.config.root.6", bool(VOLUME_GUID.match(path)),
                       "on Windows root.path must be a volume GUID path", location="/root/path",
                       expected=r"\\?\Volume{GUID}\ ", actual=path)
    yield observed("rt.config.root.10", root.get("readonly", False) is False,
                   "on Windows root.readonly must be omitted or false", location="/root/readonly",
                   expected="false", actual=root.get("readonly"))
