"""``mounts``: destinations per platform and spec version, options, idmapped mounts."""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from oci_conform.checks.runtime_config.common import is_abs, namespaces
from oci_conform.checks.runtime_config.context import Ctx
from oci_conform.checks.runtime_config.process import WINDOWS_ABS
from oci_conform.model.judging import Observation, failed, observed, passed


def check_mounts(doc: dict[str, Any], ctx: Ctx) -> Iterator[Observation]:
    mounts = doc.get("mounts")
    if not isinstance(mounts, list):
        return
    for i, mount in enumerate(mounts):
        if isinstance(mount, dict):
            yield from _destination(mount, f"/mounts/{i}", ctx)
            yield from _options(mount, f"/mounts/{i}")
            if ctx.platform == "linux":
                yield from _idmapped(doc, mount, f"/mounts/{i}")
    if ctx.platform == "windows":
        yield from _windows_nesting(mounts)


def destination_clause(ctx: Ctx) -> tuple[str, bool]:
    """(clause, relative allowed) for a mount destination on this platform and version."""
    if not ctx.at_least("1.2.0"):
        return "rt.config.mounts.4-pre-1.2", False
    if ctx.platform == "windows":
        return "rt.config.mounts.6", False
    if ctx.platform == "solaris":
        return "rt.config.mounts.8", False
    if ctx.platform == "linux":
        return "rt.config.mounts.4", True
    return "rt.config.mounts.9", False


def _destination(mount: dict[str, Any], where: str, ctx: Ctx) -> Iterator[Observation]:
    dest = mount.get("destination")
    if not isinstance(dest, str):
        return
    clause, _relative_ok = destination_clause(ctx)
    absolute = bool(WINDOWS_ABS.match(dest)) if ctx.platform == "windows" else is_abs(dest)
    yield observed(clause, absolute, "mount destination is not an absolute path",
                   location=f"{where}/destination", expected="an absolute path", actual=dest)


def _options(mount: dict[str, Any], where: str) -> Iterator[Observation]:
    options = mount.get("options")
    if not isinstance(options, list):
        return
    for j, option in enumerate(options):
        if isinstance(option, str):
            yield observed("rt.config.mounts.11", bool(option.strip()), "empty mount option",
                           location=f"{where}/options/{j}", expected="an option name",
                           actual=option)


def _idmapped(doc: dict[str, Any], mount: dict[str, Any], where: str) -> Iterator[Observation]:
    uid, gid = mount.get("uidMappings"), mount.get("gidMappings")
    options = [o for o in mount.get("options") or [] if isinstance(o, str)] \
        if isinstance(mount.get("options"), list) else []
    if uid is not None:
        yield observed("rt.config.posixmounts.5", gid is not None,
                       "uidMappings is set without gidMappings", location=f"{where}/uidMappings",
                       expected="gidMappings too", actual="absent")
        yield observed("rt.config.posixmounts.4", bool({"idmap", "ridmap"} & set(options)),
                       "an idmapped mount should carry the idmap or ridmap option",
                       location=f"{where}/options", expected="idmap or ridmap among options",
                       actual=options)
    if gid is not None:
        yield observed("rt.config.posixmounts.9", uid is not None,
                       "gidMappings is set without uidMappings", location=f"{where}/gidMappings",
                       expected="uidMappings too", actual="absent")
        yield observed("rt.config.posixmounts.8", bool({"idmap", "ridmap"} & set(options)),
                       "an idmapped mount should carry the idmap or ridmap option",
                       location=f"{where}/options", expected="idmap or ridmap among options",
                       actual=options)
    for option, clause in (("idmap", "rt.config.linux-mount-options.61-f"),
                           ("ridmap", "rt.config.linux-mount-options.62-f")):
        if option in options:
            ok = uid is not None or gid is not None or "user" in namespaces(doc)
            yield observed(clause, ok,
                           f"option {option} needs uidMappings/gidMappings or a user namespace",
                           location=f"{where}/options", expected="mappings or a user namespace",
                           actual="neither")


def _windows_nesting(mounts: list[Any]) -> Iterator[Observation]:
    dests = [(i, m["destination"].rstrip("\\/").lower()) for i, m in enumerate(mounts)
             if isinstance(m, dict) and isinstance(m.get("destination"), str)]
    for i, dest in dests:
        outer = next((j for j, other in dests if j != i and dest.startswith(other + "\\")), None)
        if outer is None:
            yield passed("rt.config.mounts.7")
        else:
            yield failed("rt.config.mounts.7",
                         f"destination is nested within mount {outer}'s destination",
                         location=f"/mounts/{i}/destination", expected="no nesting", actual=dest)
