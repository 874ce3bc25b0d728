"""``annotations`` and the host names: key naming, the reserved namespace, UTS."""
from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

from oci_conform.checks.runtime_config.common import namespaces, namespaces_unreadable
from oci_conform.checks.runtime_config.context import Ctx
from oci_conform.model.judging import Observation, observed

REVERSE_DOMAIN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]*(\.[A-Za-z0-9_-]+)+(\.[^.]+)*$")
RESERVED = "org.opencontainers."
# Keys this spec lists, and the image-spec's own org.opencontainers.image.* keys.
DEFINED_PREFIX = "org.opencontainers.image."


def check_annotations(doc: dict[str, Any], ctx: Ctx) -> Iterator[Observation]:
    notes = doc.get("annotations")
    if not isinstance(notes, dict):
        return
    for key in notes:
        if not key:
            continue
        where = "/annotations/" + key.replace("~", "~0").replace("/", "~1")
        yield observed("rt.config.annotations.7", bool(REVERSE_DOMAIN.match(key)),
                       "annotation key is not in reverse domain notation", location=where,
                       expected="e.g. com.example.key", actual=key)
        if key.startswith(RESERVED) or key == RESERVED.rstrip("."):
            yield observed("rt.config.annotations.8", key.startswith(DEFINED_PREFIX),
                           "key is in the reserved org.opencontainers namespace but is not "
                           "defined there",
                           location=where, expected="a key defined by the OCI specs", actual=key)


def check_uts(doc: dict[str, Any], ctx: Ctx) -> Iterator[Observation]:
    """hostname/domainname with no UTS namespace would rename the host (runc/crun refuse)."""
    if ctx.platform != "linux" or namespaces_unreadable(doc):
        return
    for field, clause in (("hostname", "rt.config.hostname.1"),
                          ("domainname", "rt.config.domainname.1")):
        value = doc.get(field)
        if isinstance(value, str) and value:
            yield observed(clause, "uts" in namespaces(doc),
                           f"{field} is set but the container has no uts namespace, so it would "
                           "change the runtime's own host name",
                           location=f"/{field}", expected="a uts namespace in linux.namespaces",
                           actual="none")


GOOS = frozenset(("aix", "android", "darwin", "dragonfly", "freebsd", "illumos", "ios", "js",
                  "linux", "netbsd", "openbsd", "plan9", "solaris", "wasip1", "windows", "zos"))
GOARCH = frozenset(("386", "amd64", "arm", "arm64", "loong64", "mips", "mips64", "mips64le",
                    "mipsle", "ppc64", "ppc64le", "riscv64", "s390x", "wasm"))
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")
SIGNAL = re.compile(r"^(SIG[A-Z0-9+-]+|[0-9]+)$")


def check_image_annotations(doc: dict[str, Any], ctx: Ctx) -> Iterator[Observation]:
    """Values of the image-derived annotations (empty values are treated as unset)."""
    notes = doc.get("annotations")
    if not isinstance(notes, dict):
        return
    rules: tuple[tuple[str, str, Callable[[str], bool], str], ...] = (
        ("org.opencontainers.image.os", "rt.config.annotations.image-os",
         lambda v: v in GOOS, "a GOOS value such as linux"),
        ("org.opencontainers.image.architecture", "rt.config.annotations.image-architecture",
         lambda v: v in GOARCH, "a GOARCH value such as amd64"),
        ("org.opencontainers.image.created", "rt.config.annotations.image-created",
         lambda v: bool(RFC3339.match(v)), "an RFC 3339 date-time"),
        ("org.opencontainers.image.stopSignal", "rt.config.annotations.image-stop-signal",
         lambda v: bool(SIGNAL.match(v)), "a signal name such as SIGTERM, or a number"))
    for key, clause, valid, expected in rules:
        value = notes.get(key)
        if isinstance(value, str) and value:
            yield observed(clause, valid(value), f"{key} does not hold a valid image-spec value",
                           location="/annotations/" + key, expected=expected, actual=value)
