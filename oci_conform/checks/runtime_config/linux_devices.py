"""``linux.devices``, the device allow-list and ``linux.netDevices``."""
from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from oci_conform.checks.runtime_config.common import (
    device_key,
    is_abs,
    is_int,
    namespaces,
    namespaces_unreadable,
    value_rule,
)
from oci_conform.checks.runtime_config.context import Ctx
from oci_conform.checks.runtime_config.pointer import get, join
from oci_conform.model.judging import Observation, failed, observed, passed

ACCESS = re.compile(r"^[rwm]{1,3}$")


def check_devices(doc: dict[str, Any], ctx: Ctx) -> Iterator[Observation]:
    devices = get(doc, "linux", "devices")
    if not isinstance(devices, list):
        return
    seen: dict[tuple[str, ...], int] = {}
    for i, dev in enumerate(devices):
        if not isinstance(dev, dict):
            continue
        where = f"/linux/devices/{i}"
        if isinstance(dev.get("path"), str):
            yield observed("rt.config-linux.devices.4", is_abs(dev["path"]),
                           "device path is not an absolute path", location=f"{where}/path",
                           expected="an absolute path", actual=dev["path"])
        kind = dev.get("type")
        if kind in ("c", "b", "u"):
            missing = [f for f in ("major", "minor") if f not in dev]
            yield observed("rt.config-linux.devices.7", not missing,
                           f"a type {kind!r} device needs major and minor numbers", location=where,
                           expected="major and minor", actual=f"missing {', '.join(missing)}")
            key = device_key(dev)
            if not missing and key in seen:
                yield failed("rt.config-linux.devices.11",
                             f"same type/major/minor as device {seen[key]}", location=where,
                             expected="distinct devices", actual=f"{kind} {key[1]}:{key[2]}")
            elif not missing:
                seen[key] = i
                yield passed("rt.config-linux.devices.11")
        mode = dev.get("fileMode")
        if is_int(mode):
            yield observed("rt.config-linux.devices.8", 0 <= mode <= 0o7777,
                           "fileMode holds permission bits only (0..07777, written in decimal)",
                           location=f"{where}/fileMode", expected="0..4095", actual=mode)


def check_allow_list(doc: dict[str, Any], ctx: Ctx) -> Iterator[Observation]:
    rules = get(doc, "linux", "resources", "devices")
    if not isinstance(rules, list):
        return
    for i, rule in enumerate(rules):
        access = rule.get("access") if isinstance(rule, dict) else None
        if isinstance(access, str) and access:
            yield from value_rule("rt.config-linux.device-allowedlist.6",
                                  "rt.config.property-values",
                                  bool(ACCESS.match(access)) and len(set(access)) == len(access),
                                  "access is a combination of r, w and m",
                                  location=f"/linux/resources/devices/{i}/access",
                                  expected="e.g. rwm", actual=access)


def interface_name_ok(name: str) -> bool:
    """Linux interface names: 1..15 bytes, no '/', ':' or white space, not '.' or '..'."""
    return (0 < len(name.encode()) <= 15 and name not in (".", "..")
            and not any(c in name for c in "/: \t\n"))


def check_net_devices(doc: dict[str, Any], ctx: Ctx) -> Iterator[Observation]:
    devices = get(doc, "linux", "netDevices")
    if not isinstance(devices, dict) or namespaces_unreadable(doc):
        return
    yield observed("rt.config-linux.network-devices.1", "network" in namespaces(doc),
                   "netDevices are moved into the container's network namespace, but it has none",
                   location="/linux/netDevices", expected="a network namespace", actual="none")
    for host_name, spec in devices.items():
        where = join("/linux/netDevices", host_name)
        yield observed("rt.config-linux.network-devices.1", interface_name_ok(host_name),
                       "not a valid network interface name", location=where,
                       expected="1-15 chars, no '/', ':' or spaces", actual=host_name)
        name = spec.get("name") if isinstance(spec, dict) else None
        if isinstance(name, str) and name:
            yield observed("rt.config-linux.network-devices.2", interface_name_ok(name),
                           "not a valid network interface name", location=f"{where}/name",
                           expected="1-15 chars, no '/', ':' or spaces", actual=name)
