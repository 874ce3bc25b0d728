"""Other platforms' sections: Windows, VM, z/OS — judged when they are present."""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from oci_conform.checks.runtime_config.common import is_abs
from oci_conform.checks.runtime_config.context import Ctx
from oci_conform.checks.runtime_config.obs import Obs, bad, good, judge
from oci_conform.checks.runtime_config.pointer import get

C = "rt.config."
V = "rt.config-vm."
Z = "rt.config-zos."


def check_platform_sections(doc: dict[str, Any], ctx: Ctx) -> Iterator[Obs]:
    if ctx.platform == "windows":
        yield judge(C + "platform-specific-configuration.10", "/windows",
                    isinstance(doc.get("windows"), dict),
                    "a Windows config needs the windows section", "a windows object", "absent")
    yield from _vm(doc)
    yield from _zos(doc)


def _vm(doc: dict[str, Any]) -> Iterator[Obs]:
    for path, clause in ((("hypervisor", "path"), "hypervisor-object.3"),
                         (("kernel", "path"), "kernel-object.3"),
                         (("kernel", "initrd"), "kernel-object.6"),
                         (("image", "path"), "image-object.3")):
        value = get(doc, "vm", *path)
        if isinstance(value, str):
            yield judge(V + clause, "/vm/" + "/".join(path), is_abs(value),
                        "not an absolute path", "an absolute path", value)


def _zos(doc: dict[str, Any]) -> Iterator[Obs]:
    entries = get(doc, "zos", "namespaces")
    if not isinstance(entries, list):
        return
    seen: set[str] = set()
    for i, entry in enumerate(entries):
        if not isinstance(entry, dict):
            continue
        path, kind = entry.get("path"), entry.get("type")
        if isinstance(path, str) and path:
            yield judge(Z + "config-zosnamespaces.3", f"/zos/namespaces/{i}/path", is_abs(path),
                        "namespace path is not absolute", "an absolute path", path)
        if isinstance(kind, str):
            if kind in seen:
                yield bad(Z + "config-zosnamespaces.8", f"/zos/namespaces/{i}/type",
                          f"namespace type {kind!r} is listed twice", "each type once", kind)
            else:
                seen.add(kind)
                yield good(Z + "config-zosnamespaces.8", f"/zos/namespaces/{i}/type")
