"""``linux.devices``, the device allow-list and ``linux.netDevices``."""
from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from oci_conform.checks.runtime_config.common import is_abs, is_int, namespaces
from oci_conform.checks.runtime_config.context import Ctx
from oci_conform.checks.runtime_config.obs import Obs, bad, good, judge
from oci_conform.checks.runtime_config.pointer import get, join

L = "rt.config-linux."
ACCESS = re.compile(r"^[rwm]{1,3}$")


def check_devices(doc: dict[str, Any], ctx: Ctx) -> Iterator[Obs]:
    devices = get(doc, "linux", "devices")
    if not isinstance(devices, list):
        return
    seen: dict[tuple[Any, Any, Any], int] = {}
    for i, dev in enumerate(devices):
        if not isinstance(dev, dict):
            continue
        where = f"/linux/devices/{i}"
        if isinstance(dev.get("path"), str):
            yield judge(L + "devices.4", f"{where}/path", is_abs(dev["path"]),
                        "device path is not an absolute path", "an absolute path", dev["path"])
        kind = dev.get("type")
        if kind in ("c", "b", "u"):
            missing = [f for f in ("major", "minor") if f not in dev]
            yield judge(L + "devices.7", where, not missing,
                        f"a type {kind!r} device needs major and minor numbers",
                        "major and minor", f"missing {', '.join(missing)}")
            key = (kind, dev.get("major"), dev.get("minor"))
            if not missing and key in seen:
                yield bad(L + "devices.11", where, f"same type/major/minor as device {seen[key]}",
                          "distinct devices", f"{kind} {key[1]}:{key[2]}")
            elif not missing:
                seen[key] = i
                yield good(L + "devices.11", where)
        mode = dev.get("fileMode")
        if is_int(mode):
            yield judge(L + "devices.8", f"{where}/fileMode", 0 <= mode <= 0o7777,
                        "fileMode holds permission bits only (0..07777, written in decimal)",
                        "0..4095", mode)


def check_allow_list(doc: dict[str, Any], ctx: Ctx) -> Iterator[Obs]:
    rules = get(doc, "linux", "resources", "devices")
    if not isinstance(rules, list):
        return
    for i, rule in enumerate(rules):
        if isinstance(rule, dict) and isinstance(rule.get("access"), str) and rule["access"]:
            yield judge(L + "device-allowedlist.6", f"/linux/resources/devices/{i}/access",
                        bool(ACCESS.match(rule["access"])) and len(set(rule["access"])) ==
                        len(rule["access"]), "access is a combination of r, w and m",
                        "e.g. rwm", rule["access"])


def interface_name_ok(name: str) -> bool:
    """Linux interface names: 1..15 bytes, no '/', ':' or white space, not '.' or '..'."""
    return (0 < len(name.encode()) <= 15 and name not in (".", "..")
            and not any(c in name for c in "/: \t\n"))


def check_net_devices(doc: dict[str, Any], ctx: Ctx) -> Iterator[Obs]:
    devices = get(doc, "linux", "netDevices")
    if not isinstance(devices, dict):
        return
    yield judge(L + "network-devices.1", "/linux/netDevices", "network" in namespaces(doc),
                "netDevices are moved into the container's network namespace, but it has none",
                "a network namespace", "none")
    for host_name, spec in devices.items():
        where = join("/linux/netDevices", host_name)
        yield judge(L + "network-devices.1", where, interface_name_ok(host_name),
                    "not a valid network interface name", "1-15 chars, no '/', ':' or spaces",
                    host_name)
        name = spec.get("name") if isinstance(spec, dict) else None
        if isinstance(name, str) and name:
            yield judge(L + "network-devices.2", f"{where}/name", interface_name_ok(name),
                        "not a valid network interface name", "1-15 chars, no '/', ':' or spaces",
                        name)
