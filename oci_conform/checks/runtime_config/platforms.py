"""Other platforms' sections: Windows, VM, z/OS, FreeBSD — judged when they are present."""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from oci_conform.checks.runtime_config.common import is_abs, is_int
from oci_conform.checks.runtime_config.context import Ctx
from oci_conform.checks.runtime_config.obs import Obs, bad, good, judge
from oci_conform.checks.runtime_config.pointer import get

C = "rt.config."
V = "rt.config-vm."
Z = "rt.config-zos."
W = "rt.config-windows."
F = "rt.config-freebsd."
ZOS_DEVICE_TYPES = ("c", "b", "u", "p")
JAIL_IP_VALUES = ("disable", "new", "inherit")
INT64 = (-2**63, 2**63 - 1)
UINT32 = 2**32 - 1


def check_platform_sections(doc: dict[str, Any], ctx: Ctx) -> Iterator[Obs]:
    if ctx.platform == "windows":
        yield judge(C + "platform-specific-configuration.10", "/windows",
                    isinstance(doc.get("windows"), dict),
                    "a Windows config needs the windows section", "a windows object", "absent")
    yield from _vm(doc)
    yield from _zos(doc)
    if ctx.platform == "windows":
        yield from _windows_network(doc)
    if ctx.platform == "zos":
        yield from _zos_devices(doc)
        yield from _zos_process(doc)
    if ctx.platform == "freebsd":
        yield from _freebsd_network(doc)


def _windows_network(doc: dict[str, Any]) -> Iterator[Obs]:
    """A network namespace given by name leaves every other network field unset."""
    network = get(doc, "windows", "network")
    if not isinstance(network, dict) or "networkNamespace" not in network:
        return
    others = sorted(k for k in network if k != "networkNamespace")
    yield judge(W + "network.6-b", "/windows/network", not others,
                "networkNamespace is set together with other network fields",
                "networkNamespace alone", ", ".join(others))


def _zos_devices(doc: dict[str, Any]) -> Iterator[Obs]:
    """The z/OS devices array of the first z/OS text (1.1.0 to 1.2.0)."""
    devices = get(doc, "zos", "devices")
    if not isinstance(devices, list):
        return
    seen: dict[tuple[Any, Any, Any], int] = {}
    for i, dev in enumerate(devices):
        where = f"/zos/devices/{i}"
        if not isinstance(dev, dict):
            yield bad(Z + "devices.3", where, "a devices entry must be an object", "an object",
                      dev)
            continue
        kind = dev.get("type")
        yield judge(Z + "devices.3", f"{where}/type", kind in ZOS_DEVICE_TYPES,
                    "device type must be one of c, b, u, p", "c, b, u or p",
                    kind if kind is not None else "absent")
        path = dev.get("path")
        yield judge(Z + "devices.4", f"{where}/path", isinstance(path, str) and bool(path),
                    "a device needs its path in the container", "a path string",
                    path if path is not None else "absent")
        if kind in ("c", "b", "u"):
            for field in ("major", "minor"):
                value = dev.get(field)
                yield judge(Z + "devices.6", f"{where}/{field}",
                            is_int(value) and INT64[0] <= value <= INT64[1],
                            f"a type {kind!r} device needs an int64 {field}", "an int64",
                            value if value is not None else "absent")
            key = (kind, dev.get("major"), dev.get("minor"))
            if key in seen:
                yield bad(Z + "devices.8", where, f"same type/major/minor as device {seen[key]}",
                          "distinct devices", f"{kind} {key[1]}:{key[2]}")
            else:
                seen[key] = i
                yield good(Z + "devices.8", where)
        if "fileMode" in dev:
            mode = dev["fileMode"]
            yield judge(Z + "devices.7", f"{where}/fileMode", is_int(mode) and 0 <= mode <= UINT32,
                        "fileMode is a uint32 permission value", f"0..{UINT32}", mode)


def _zos_process(doc: dict[str, Any]) -> Iterator[Obs]:
    value = get(doc, "process", "noNewPrivileges")
    if value is not None:
        yield judge(C + "zosprocess.1", "/process/noNewPrivileges", isinstance(value, bool),
                    "noNewPrivileges is a boolean", "true or false", value)


def _freebsd_network(doc: dict[str, Any]) -> Iterator[Obs]:
    """A private vnet leaves ip4/ip6 unset; a shared one sets both to inherit."""
    jail = get(doc, "freebsd", "jail")
    if not isinstance(jail, dict):
        return
    vnet = jail.get("vnet")
    # Values outside disable/new/inherit are the field rules' failures, not these.
    if any(k in jail and jail[k] not in JAIL_IP_VALUES for k in ("ip4", "ip6")):
        return
    set_ip = [k for k in ("ip4", "ip6") if k in jail]
    if vnet == "new":
        yield judge(F + "config-free-bsdjail.27", "/freebsd/jail", not set_ip,
                    "a container with its own vnet should leave ip4 and ip6 unset",
                    "ip4 and ip6 absent", ", ".join(f"{k}={jail[k]}" for k in set_ip))
    elif vnet is None or vnet == "inherit":
        wrong = [k for k in ("ip4", "ip6") if jail.get(k) != "inherit"]
        yield judge(F + "config-free-bsdjail.28", "/freebsd/jail", not wrong,
                    "a container sharing the parent's vnet should set ip4 and ip6 to inherit",
                    "ip4 = ip6 = inherit",
                    ", ".join(f"{k}={jail.get(k, 'absent')}" for k in wrong))


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
