"""Other platforms' sections: Windows, VM, z/OS, FreeBSD — judged when they are present."""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from oci_conform.checks.runtime_config.common import device_key, is_abs, is_int, value_rule
from oci_conform.checks.runtime_config.context import Ctx
from oci_conform.checks.runtime_config.pointer import get
from oci_conform.model.judging import Observation, failed, observed, passed

ZOS_DEVICE_TYPES = ("c", "b", "u", "p")
JAIL_IP_VALUES = ("disable", "new", "inherit")
INT64 = (-2**63, 2**63 - 1)
UINT32 = 2**32 - 1


def check_platform_sections(doc: dict[str, Any], ctx: Ctx) -> Iterator[Observation]:
    if ctx.platform == "windows":
        yield observed("rt.config.platform-specific-configuration.10",
                       "windows" in doc,
                       "a Windows config needs the windows section", location="/windows",
                       expected="a windows object", actual="absent")
    yield from _vm(doc)
    yield from _zos(doc)
    if ctx.platform == "windows":
        yield from _windows_network(doc)
    if ctx.platform == "zos":
        yield from _zos_devices(doc)
        yield from _zos_process(doc)
    if ctx.platform == "freebsd":
        yield from _freebsd_network(doc)


def _windows_network(doc: dict[str, Any]) -> Iterator[Observation]:
    """A network namespace given by name leaves every other network field unset."""
    network = get(doc, "windows", "network")
    if not isinstance(network, dict) or "networkNamespace" not in network:
        return
    others = sorted(k for k in network if k != "networkNamespace")
    yield observed("rt.config-windows.network.6-b", not others,
                   "networkNamespace is set together with other network fields",
                   location="/windows/network", expected="networkNamespace alone",
                   actual=", ".join(others))


def _zos_devices(doc: dict[str, Any]) -> Iterator[Observation]:
    """The z/OS devices array of the first z/OS text (1.1.0 to 1.2.0)."""
    devices = get(doc, "zos", "devices")
    if not isinstance(devices, list):
        return
    seen: dict[tuple[str, ...], int] = {}
    for i, dev in enumerate(devices):
        where = f"/zos/devices/{i}"
        if not isinstance(dev, dict):
            yield failed("rt.config-zos.devices.3", "a devices entry must be an object",
                         location=where, expected="an object", actual=dev)
            continue
        kind = dev.get("type")
        yield observed("rt.config-zos.devices.3", kind in ZOS_DEVICE_TYPES,
                       "device type must be one of c, b, u, p", location=f"{where}/type",
                       expected="c, b, u or p", actual=kind if kind is not None else "absent")
        path = dev.get("path")
        yield observed("rt.config-zos.devices.4", isinstance(path, str) and bool(path),
                       "a device needs its path in the container", location=f"{where}/path",
                       expected="a path string", actual=path if path is not None else "absent")
        if kind in ("c", "b", "u"):
            for field in ("major", "minor"):
                value = dev.get(field)
                yield observed("rt.config-zos.devices.6",
                               is_int(value) and INT64[0] <= value <= INT64[1],
                               f"a type {kind!r} device needs an int64 {field}",
                               location=f"{where}/{field}", expected="an int64",
                               actual=value if value is not None else "absent")
            key = device_key(dev)
            if key in seen:
                yield failed("rt.config-zos.devices.8",
                             f"same type/major/minor as device {seen[key]}", location=where,
                             expected="distinct devices", actual=f"{kind} {key[1]}:{key[2]}")
            else:
                seen[key] = i
                yield passed("rt.config-zos.devices.8")
        if "fileMode" in dev:
            mode = dev["fileMode"]
            yield from value_rule("rt.config-zos.devices.7", "rt.config.property-values",
                                  is_int(mode) and 0 <= mode <= UINT32,
                                  "fileMode is a uint32 permission value",
                                  location=f"{where}/fileMode", expected=f"0..{UINT32}",
                                  actual=mode)


def _zos_process(doc: dict[str, Any]) -> Iterator[Observation]:
    value = get(doc, "process", "noNewPrivileges")
    if value is not None:
        yield from value_rule("rt.config.zosprocess.1", "rt.config.property-values",
                              isinstance(value, bool), "noNewPrivileges is a boolean",
                              location="/process/noNewPrivileges", expected="true or false",
                              actual=value)


def _freebsd_network(doc: dict[str, Any]) -> Iterator[Observation]:
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
        yield observed("rt.config-freebsd.config-free-bsdjail.27", not set_ip,
                       "a container with its own vnet should leave ip4 and ip6 unset",
                       location="/freebsd/jail", expected="ip4 and ip6 absent",
                       actual=", ".join(f"{k}={jail[k]}" for k in set_ip))
    elif vnet is None or vnet == "inherit":
        wrong = [k for k in ("ip4", "ip6") if jail.get(k) != "inherit"]
        yield observed("rt.config-freebsd.config-free-bsdjail.28", not wrong,
                       "a container sharing the parent's vnet should set ip4 and ip6 to inherit",
                       location="/freebsd/jail", expected="ip4 = ip6 = inherit",
                       actual=", ".join(f"{k}={jail.get(k, 'absent')}" for k in wrong))


def _vm(doc: dict[str, Any]) -> Iterator[Observation]:
    for path, clause in ((("hypervisor", "path"), "rt.config-vm.hypervisor-object.3"),
                         (("kernel", "path"), "rt.config-vm.kernel-object.3"),
                         (("kernel", "initrd"), "rt.config-vm.kernel-object.6"),
                         (("image", "path"), "rt.config-vm.image-object.3")):
        value = get(doc, "vm", *path)
        if isinstance(value, str):
            yield observed(clause, is_abs(value), "not an absolute path",
                           location="/vm/" + "/".join(path), expected="an absolute path",
                           actual=value)


def _zos(doc: dict[str, Any]) -> Iterator[Observation]:
    entries = get(doc, "zos", "namespaces")
    if not isinstance(entries, list):
        return
    seen: set[str] = set()
    for i, entry in enumerate(entries):
        if not isinstance(entry, dict):
            continue
        path, kind = entry.get("path"), entry.get("type")
        if isinstance(path, str) and path:
            yield observed("rt.config-zos.config-zosnamespaces.3", is_abs(path),
                           "namespace path is not absolute", location=f"/zos/namespaces/{i}/path",
                           expected="an absolute path", actual=path)
        if isinstance(kind, str):
            if kind in seen:
                yield failed("rt.config-zos.config-zosnamespaces.8",
                             f"namespace type {kind!r} is listed twice",
                             location=f"/zos/namespaces/{i}/type", expected="each type once",
                             actual=kind)
            else:
                seen.add(kind)
                yield passed("rt.config-zos.config-zosnamespaces.8")
