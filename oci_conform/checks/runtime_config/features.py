"""The features document a runtime's ``features`` operation prints."""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from oci_conform.checks.runtime_config.context import SEMVER, Ctx, _triple
from oci_conform.checks.runtime_config.obs import Obs, bad, judge

FE, FL = "rt.features.", "rt.features-linux."
TOP_KEYS = frozenset(("ociVersionMin", "ociVersionMax", "hooks", "mountOptions", "annotations",
                      "potentiallyUnsafeConfigAnnotations", "linux"))
LINUX_KEYS = frozenset(("namespaces", "capabilities", "cgroup", "seccomp", "apparmor", "selinux",
                        "intelRdt", "mountExtensions", "netDevices", "memoryPolicy"))
HOOK_NAMES = frozenset(("prestart", "createRuntime", "createContainer", "startContainer",
                        "poststart", "poststop"))
REQUIRED = ("ociVersionMin", "ociVersionMax")
# Option names that only mean something to one filesystem (tmpfs, ext4, xfs, overlay, ...):
# mount(2) receives them in its data string, so they are not generic mount options.
# (acl/noacl are not here: they map to the MS_POSIXACL mount flag.)
FS_DATA_OPTIONS = frozenset(("user_xattr", "nouser_xattr", "discard", "nodiscard", "barrier",
                             "nobarrier", "inode64", "inode32", "journal_checksum",
                             "nojournal_checksum", "delalloc", "nodelalloc", "usrquota",
                             "grpquota", "prjquota"))


def drop_nulls(doc: Any) -> Any:
    """The document with null-valued optional members removed (they mean 'unknown')."""
    if isinstance(doc, dict):
        return {k: drop_nulls(v) for k, v in doc.items() if v is not None or k in REQUIRED}
    if isinstance(doc, list):
        return [drop_nulls(v) for v in doc]
    return doc


def check_features(doc: dict[str, Any], ctx: Ctx) -> Iterator[Obs]:
    versions: dict[str, tuple[int, int, int]] = {}
    for field, clause in (("ociVersionMin", "specification-version.1"),
                          ("ociVersionMax", "specification-version.3")):
        value = doc.get(field)
        if isinstance(value, str):
            ok = bool(SEMVER.match(value))
            yield judge(FE + clause, f"/{field}", ok, f"{field} is not a SemVer version",
                        "MAJOR.MINOR.PATCH", value)
            triple = _triple(value) if ok else None
            if triple is not None:
                versions[field] = triple
    if len(versions) == 2:
        yield judge(FE + "specification-version.5", "/ociVersionMax",
                    versions["ociVersionMax"] >= versions["ociVersionMin"],
                    "ociVersionMax is below ociVersionMin", f">= {doc['ociVersionMin']}",
                    doc["ociVersionMax"])
    yield from _known_keys(doc)
    hooks = doc.get("hooks")
    if isinstance(hooks, list):
        for i, name in enumerate(hooks):
            if isinstance(name, str):
                yield judge(FE + "hooks.1", f"/hooks/{i}", name in HOOK_NAMES,
                            "not a hook name of config.json", "prestart ... poststop", name)
    notes = doc.get("annotations")
    if isinstance(notes, dict):
        for key in notes:
            if not key:
                yield bad(FE + "annotations.3", "/annotations", "annotation key is empty",
                          "a non-empty key", key)
    if ctx.platform == "linux":
        yield from _mount_options(doc.get("mountOptions"))
    yield from _supported_flags(doc)


def _mount_options(options: Any) -> Iterator[Obs]:
    """Linux mountOptions name mount(8)/VFS options, not filesystem data (``key=value``)."""
    if not isinstance(options, list):
        return
    for i, name in enumerate(options):
        if isinstance(name, str):
            data = "=" in name or name in FS_DATA_OPTIONS
            yield judge(FE + "mount-options.3", f"/mountOptions/{i}", not data,
                        "a filesystem-specific option (passed as mount(2) data) is listed",
                        "a generic mount option name", name)


def _supported_flags(doc: dict[str, Any]) -> Iterator[Obs]:
    """seccomp.supportedFlags is a subset of seccomp.knownFlags."""
    seccomp = doc.get("linux", {}).get("seccomp") if isinstance(doc.get("linux"), dict) else None
    if not isinstance(seccomp, dict):
        return
    known, supported = seccomp.get("knownFlags"), seccomp.get("supportedFlags")
    if not isinstance(known, list) or not isinstance(supported, list):
        return
    for i, flag in enumerate(supported):
        if isinstance(flag, str):
            yield judge(FL + "linux-features-seccomp.11", f"/linux/seccomp/supportedFlags/{i}",
                        flag in known, "a supported flag missing from knownFlags",
                        "one of knownFlags", flag)


def _known_keys(doc: dict[str, Any]) -> Iterator[Obs]:
    for key in doc:
        yield judge(FE + "specification-version.6", f"/{key}", key in TOP_KEYS,
                    "property not defined by the runtime-spec features document",
                    "a defined property", key)
    linux = doc.get("linux")
    if isinstance(linux, dict):
        for key in linux:
            yield judge(FE + "specification-version.6", f"/linux/{key}", key in LINUX_KEYS,
                        "property not defined by the runtime-spec linux features",
                        "a defined property", key)
