"""``mounts``: destinations per platform and spec version, options, idmapped mounts."""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from oci_conform.checks.runtime_config.common import is_abs, namespaces
from oci_conform.checks.runtime_config.context import Ctx
from oci_conform.checks.runtime_config.obs import Obs, bad, good, judge
from oci_conform.checks.runtime_config.process import WINDOWS_ABS

C = "rt.config."
IDMAP_CLAUSE = {"idmap": C + "linux-mount-options.61-f", "ridmap": C + "linux-mount-options.62-f"}


def check_mounts(doc: dict[str, Any], ctx: Ctx) -> Iterator[Obs]:
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
        return C + "mounts.4-pre-1.2", False
    if ctx.platform == "windows":
        return C + "mounts.6", False
    if ctx.platform == "solaris":
        return C + "mounts.8", False
    if ctx.platform == "linux":
        return C + "mounts.4", True
    return C + "mounts.9", False


def _destination(mount: dict[str, Any], where: str, ctx: Ctx) -> Iterator[Obs]:
    dest = mount.get("destination")
    if not isinstance(dest, str):
        return
    clause, _relative_ok = destination_clause(ctx)
    absolute = bool(WINDOWS_ABS.match(dest)) if ctx.platform == "windows" else is_abs(dest)
    yield judge(clause, f"{where}/destination", absolute,
                "mount destination is not an absolute path", "an absolute path", dest)


def _options(mount: dict[str, Any], where: str) -> Iterator[Obs]:
    options = mount.get("options")
    if not isinstance(options, list):
        return
    for j, option in enumerate(options):
        if isinstance(option, str):
            yield judge(C + "mounts.11", f"{where}/options/{j}", bool(option.strip()),
                        "empty mount option", "an option name", option)


def _idmapped(doc: dict[str, Any], mount: dict[str, Any], where: str) -> Iterator[Obs]:
    uid, gid = mount.get("uidMappings"), mount.get("gidMappings")
    options = [o for o in mount.get("options") or [] if isinstance(o, str)] \
        if isinstance(mount.get("options"), list) else []
    if uid is not None:
        yield judge(C + "posixmounts.5", f"{where}/uidMappings", gid is not None,
                    "uidMappings is set without gidMappings", "gidMappings too", "absent")
        yield judge(C + "posixmounts.4", f"{where}/options", bool({"idmap",
                                                                   "ridmap"} & set(options)),
                    "an idmapped mount should carry the idmap or ridmap option",
                    "idmap or ridmap among options", options)
    if gid is not None:
        yield judge(C + "posixmounts.9", f"{where}/gidMappings", uid is not None,
                    "gidMappings is set without uidMappings", "uidMappings too", "absent")
        yield judge(C + "posixmounts.8", f"{where}/options", bool({"idmap",
                                                                   "ridmap"} & set(options)),
                    "an idmapped mount should carry the idmap or ridmap option",
                    "idmap or ridmap among options", options)
    for option in ("idmap", "ridmap"):
        if option in options:
            ok = uid is not None or gid is not None or "user" in namespaces(doc)
            yield judge(IDMAP_CLAUSE[option], f"{where}/options", ok,
                        f"option {option} needs uidMappings/gidMappings or a user namespace",
                        "mappings or a user namespace", "neither")


def _windows_nesting(mounts: list[Any]) -> Iterator[Obs]:
    dests = [(i, m["destination"].rstrip("\\/").lower()) for i, m in enumerate(mounts)
             if isinstance(m, dict) and isinstance(m.get("destination"), str)]
    for i, dest in dests:
        outer = next((j for j, other in dests if j != i and dest.startswith(other + "\\")), None)
        if outer is None:
            yield good(C + "mounts.7", f"/mounts/{i}/destination")
        else:
            yield bad(C + "mounts.7", f"/mounts/{i}/destination",
                      f"destination is nested within mount {outer}'s destination",
                      "no nesting", dest)
