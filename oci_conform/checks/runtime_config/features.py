"""The features document a runtime's ``features`` operation prints."""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from oci_conform.checks.runtime_config.common import value_rule
from oci_conform.checks.runtime_config.context import SEMVER, Ctx, _triple
from oci_conform.model.judging import Observation, failed, observed

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


def check_features(doc: dict[str, Any], ctx: Ctx) -> Iterator[Observation]:
    versions: dict[str, tuple[int, int, int]] = {}
    for field, clause in (("ociVersionMin", "rt.features.specification-version.1"),
                          ("ociVersionMax", "rt.features.specification-version.3")):
        value = doc.get(field)
        if isinstance(value, str):
            ok = bool(SEMVER.match(value))
            yield observed(clause, ok, f"{field} is not a SemVer version",
                           location=f"/{field}", expected="MAJOR.MINOR.PATCH", actual=value)
            triple = _triple(value) if ok else None
            if triple is not None:
                versions[field] = triple
    if len(versions) == 2:
        yield observed("rt.features.specification-version.5",
                       versions["ociVersionMax"] >= versions["ociVersionMin"],
                       "ociVersionMax is below ociVersionMin", location="/ociVersionMax",
                       expected=f">= {doc['ociVersionMin']}", actual=doc["ociVersionMax"])
    yield from _known_keys(doc)
    hooks = doc.get("hooks")
    if isinstance(hooks, list):
        for i, name in enumerate(hooks):
            if isinstance(name, str):
                yield from value_rule("rt.features.hooks.1", "rt.features.property-values",
                                      name in HOOK_NAMES, "not a hook name of config.json",
                                      location=f"/hooks/{i}", expected="prestart ... poststop",
                                      actual=name)
    notes = doc.get("annotations")
    if isinstance(notes, dict):
        for key in notes:
            if not key:
                yield failed("rt.features.annotations.3", "annotation key is empty",
                             location="/annotations", expected="a non-empty key", actual=key)
    if ctx.platform == "linux":
        yield from _mount_options(doc.get("mountOptions"))
    yield from _supported_flags(doc)


def _mount_options(options: Any) -> Iterator[Observation]:
    """Linux mountOptions name mount(8)/VFS options, not filesystem data (``key=value``)."""
    if not isinstance(options, list):
        return
    for i, name in enumerate(options):
        if isinstance(name, str):
            data = "=" in name or name in FS_DATA_OPTIONS
            yield observed("rt.features.mount-options.3", not data,
                           "a filesystem-specific option (passed as mount(2) data) is listed",
                           location=f"/mountOptions/{i}", expected="a generic mount option name",
                           actual=name)


def _supported_flags(doc: dict[str, Any]) -> Iterator[Observation]:
    """seccomp.supportedFlags is a subset of seccomp.knownFlags."""
    seccomp = doc.get("linux", {}).get("seccomp") if isinstance(doc.get("linux"), dict) else None
    if not isinstance(seccomp, dict):
        return
    known, supported = seccomp.get("knownFlags"), seccomp.get("supportedFlags")
    if not isinstance(known, list) or not isinstance(supported, list):
        return
    for i, flag in enumerate(supported):
        if isinstance(flag, str):
            yield observed("rt.features-linux.linux-features-seccomp.11", flag in known,
                           "a supported flag missing from knownFlags",
                           location=f"/linux/seccomp/supportedFlags/{i}",
                           expected="one of knownFlags", actual=flag)


def _known_keys(doc: dict[str, Any]) -> Iterator[Observation]:
    for key in doc:
        yield observed("rt.features.specification-version.6", key in TOP_KEYS,
                       "property not defined by the runtime-spec features document",
                       location=f"/{key}", expected="a defined property", actual=key)
    linux = doc.get("linux")
    if isinstance(linux, dict):
        for key in linux:
            yield observed("rt.features.specification-version.6", key in LINUX_KEYS,
                           "property not defined by the runtime-spec linux features",
                           location=f"/linux/{key}", expected="a defined property", actual=key)
