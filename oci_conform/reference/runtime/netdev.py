"""``linux.netDevices``: move host interfaces into the container's network namespace.

``validate`` runs with the other config checks, before anything exists: the container
has a network namespace other than the runtime's, every key names a host interface that
may leave its namespace, names are valid, no two devices want one name, and no target
name is taken in the container namespace (``lo`` in a new one; the real list in one
joined by path).  ``move_all`` runs in the runtime's own process while the container
init, its mounts built, waits for the hooks: it checks the names again in the real
namespace, then per device saves its permanent global-scope addresses, moves and renames
it in one RTM_NEWLINK, re-adds the addresses and sets it up.

Failure: if a device fails part-way, the devices this call already moved (the failing one
too, if the kernel moved it before refusing its name) are moved back under their host
names with their addresses and up state.  Once ``move_all`` has returned, a later create
failure kills the init; when its network namespace goes away the kernel destroys virtual
devices (a veth pair disappears from the host, both ends) and returns physical ones to
the initial namespace under their container names.  ``delete`` never moves a device back
(the spec forbids it).  This module is imported only for configs that have netDevices.
"""
from __future__ import annotations

import os

from oci_conform.reference.runtime import rtnetlink
from oci_conform.reference.runtime.errors import RuntimeFailure

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any
    JSON = dict[str, Any]

WHERE = "config.json /linux/netDevices"
IFNAMSIZ = 16


def name_ok(name: str, template: bool = False) -> bool:
    """A Linux interface name: 1-15 bytes, no '/', ':' or white space, not '.' or '..'.

    With ``template``, one ``%d`` (the kernel fills in a free number) is allowed."""
    raw = name.encode()
    if template and raw.count(b"%") == 1 and b"%d" in raw:
        raw = raw.replace(b"%d", b"0")
    return (0 < len(name.encode()) < IFNAMSIZ and name not in (".", "..")
            and not any(b in b"/:% \t\n\v\f\r" for b in raw))


def is_template(name: str) -> bool:
    return "%" in name


def targets(devices: JSON) -> dict[str, str]:
    """Host name -> name in the container (the host name when ``name`` is absent)."""
    return {key: (entry or {}).get("name") or key for key, entry in devices.items()}


# -- validate --------------------------------------------------------------------------------
def validate(linux: JSON) -> None:
    """Raise RuntimeFailure, naming the config place, for netDevices this runtime cannot move."""
    devices = linux.get("netDevices")
    if not isinstance(devices, dict):
        raise RuntimeFailure(f"{WHERE}: must be an object")
    joined = _netns_path(linux)
    _check_entries(devices)
    with rtnetlink.Rtnl() as host:
        links = {link.name: link for link in host.links()}
    for key in devices:
        link = links.get(key)
        if link is None:
            raise RuntimeFailure(f"{WHERE}/{key}: no such interface on the host")
        if link.flags & rtnetlink.IFF_LOOPBACK:
            raise RuntimeFailure(f"{WHERE}/{key}: a loopback interface cannot leave its "
                                 "network namespace")
    if joined is None:
        taken = {"lo"}             # what every new network namespace starts with
    else:
        taken = _names_in(joined)
    _check_free(devices, taken)


def _netns_path(linux: JSON) -> str | None:
    """The path of a joined network namespace, None for a new one; refuse none at all."""
    for ns in linux.get("namespaces") or []:
        if isinstance(ns, dict) and ns.get("type") == "network":
            path = ns.get("path")
            if not path:
                return None
            if _same_file(path, "/proc/thread-self/ns/net"):
                raise RuntimeFailure(f"{WHERE}: the network namespace {path} is the "
                                     "runtime's own, so there is nowhere to move devices to")
            return str(path)
    raise RuntimeFailure(f"{WHERE}: moving devices needs a network namespace for the "
                         "container (add one of type network to /linux/namespaces)")


def _same_file(a: str, b: str) -> bool:
    try:
        sa, sb = os.stat(a), os.stat(b)
    except OSError:
        return False
    return (sa.st_dev, sa.st_ino) == (sb.st_dev, sb.st_ino)


def _check_entries(devices: JSON) -> None:
    for key, entry in devices.items():
        if not name_ok(key):
            raise RuntimeFailure(f"{WHERE}/{key}: not a valid interface name (1-15 bytes, "
                                 "no '/', ':', '%' or white space, not '.' or '..')")
        if not isinstance(entry, dict):
            raise RuntimeFailure(f"{WHERE}/{key}: must be an object")
        name = entry.get("name")
        if name is not None and not (isinstance(name, str) and name_ok(name, True)):
            raise RuntimeFailure(f"{WHERE}/{key}/name: {name!r} is not a valid interface "
                                 "name (1-15 bytes, no '/', ':' or white space, not '.' or "
                                 "'..'; one %d allowed as a template)")
    seen: dict[str, str] = {}
    for key, target in targets(devices).items():
        if is_template(target):
            continue
        if target in seen:
            raise RuntimeFailure(f"{WHERE}/{key}: {seen[target]} is moved under the name "
                                 f"{target} too")
        seen[target] = key


def _check_free(devices: JSON, taken: set[str]) -> None:
    for key, target in targets(devices).items():
        if not is_template(target) and target in taken:
            where = f"{WHERE}/{key}/name" if (devices[key] or {}).get("name") else \
                f"{WHERE}/{key}"
            raise RuntimeFailure(f"{where}: {target} already exists in the container's "
                                 "network namespace (end the name in %d to let the kernel "
                                 "pick a free one)")


def _names_in(netns_path: str) -> set[str]:
    fd = os.open(netns_path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        with rtnetlink.Rtnl.inside(fd) as inside:
            return {link.name for link in inside.links()}
    finally:
        os.close(fd)


# -- move ------------------------------------------------------------------------------------
class _Device:
    """One host interface to move: where it is now, what to restore, where it went."""

    __slots__ = ("key", "target", "index", "up", "addrs", "moved")

    def __init__(self, key: str, target: str, link: rtnetlink.Link,
                 addrs: list[rtnetlink.Addr]) -> None:
        self.key, self.target, self.index = key, target, link.index
        self.up = bool(link.flags & rtnetlink.IFF_UP)
        self.addrs = addrs
        self.moved: rtnetlink.Link | None = None


def move_all(linux: JSON, pid: int) -> None:
    """Move every netDevices entry into the network namespace of process ``pid``."""
    devices = linux["netDevices"]
    try:
        ctr_fd = os.open(f"/proc/{pid}/ns/net", os.O_RDONLY | os.O_CLOEXEC)
    except OSError as exc:
        raise RuntimeFailure(f"{WHERE}: cannot open the container's network namespace: "
                             f"{exc.strerror}") from None
    own_fd = os.open("/proc/thread-self/ns/net", os.O_RDONLY | os.O_CLOEXEC)
    host = ctr = None
    try:
        host, ctr = rtnetlink.Rtnl(), rtnetlink.Rtnl.inside(ctr_fd)
        plan = _plan(host, ctr, devices)
        done: list[_Device] = []
        try:
            for dev in plan:
                dev.moved, err = transfer(host, ctr, ctr_fd, dev.index, dev.target,
                                          dev.addrs, dev.key, True)
                if dev.moved is not None:
                    done.append(dev)
                if err:
                    raise RuntimeFailure(f"{WHERE}/{dev.key}: {err}")
        except (RuntimeFailure, OSError) as exc:
            text = str(exc) if isinstance(exc, RuntimeFailure) else _oserror(exc)
            raise RuntimeFailure(text + _return_home(ctr, host, own_fd, done)) from None
    except OSError as exc:
        raise RuntimeFailure(_oserror(exc)) from None
    finally:
        for sock in (host, ctr):
            if sock is not None:
                sock.close()
        os.close(ctr_fd)
        os.close(own_fd)


def _oserror(exc: OSError) -> str:
    return f"{WHERE}: netlink: {exc.strerror or exc}"


def _plan(host: rtnetlink.Rtnl, ctr: rtnetlink.Rtnl, devices: JSON) -> list[_Device]:
    """Look the devices up on the host (with their addresses); check names in the container."""
    _check_free(devices, {link.name for link in ctr.links()})
    links = {link.name: link for link in host.links()}
    plan = []
    for key, target in targets(devices).items():
        link = links.get(key)
        if link is None:
            raise RuntimeFailure(f"{WHERE}/{key}: no such interface on the host")
        keep = [a for a in host.addresses(link.index)
                if a.flags & rtnetlink.IFA_F_PERMANENT
                and a.scope == rtnetlink.RT_SCOPE_UNIVERSE]
        plan.append(_Device(key, target, link, keep))
    return plan


def transfer(src: rtnetlink.Rtnl, dst: rtnetlink.Rtnl, dst_fd: int, index: int, name: str,
             addrs: list[rtnetlink.Addr], old_name: str, up: bool
             ) -> tuple[rtnetlink.Link | None, str]:
    """Move link ``index`` from src's namespace to dst's as ``name``, add ``addrs``, set up.

    Returns the link as it is in dst (None if it never arrived) and an error text, "" when
    every step worked.  IPv4 labels ``old_name[:alias]`` (``old_name``: the name the saved
    addresses were read under) follow the new name."""
    before = {link.index for link in dst.links()}
    err = ""
    try:
        src.move(index, dst_fd, name)
    except OSError as exc:
        err = f"cannot move it as {name}: {exc.strerror}"
    arrived = [link for link in dst.links() if link.index not in before]
    if not arrived:
        return None, err or f"it did not arrive in the target namespace as {name}"
    link = arrived[0]
    if err:
        return link, err
    for addr in addrs:
        try:
            dst.add_address(link.index, addr, _label(addr.label, old_name, link.name))
        except OSError as exc:
            return link, f"cannot restore address {addr} on {link.name}: {exc.strerror}"
    if up:
        try:
            dst.set_up(link.index)
        except OSError as exc:
            return link, f"cannot set {link.name} up: {exc.strerror}"
    return link, ""


def _label(label: str | None, old: str, new: str) -> str | None:
    """An IPv4 label ``old`` or ``old:alias`` renamed to ``new``; None when it cannot be."""
    if not label or not (label == old or label.startswith(old + ":")):
        return None
    renamed = new + label[len(old):]
    return renamed if len(renamed.encode()) < IFNAMSIZ else None


def _return_home(ctr: rtnetlink.Rtnl, host: rtnetlink.Rtnl, host_fd: int,
                 done: list[_Device]) -> str:
    """Move ``done`` back to the host as they were; a note on what happened."""
    back, lost = [], []
    for dev in reversed(done):
        assert dev.moved is not None
        _, err = transfer(ctr, host, host_fd, dev.moved.index, dev.key, dev.addrs, dev.key,
                          dev.up)
        if err:
            lost.append(f"{dev.key} ({err})")
        else:
            back.append(dev.key)
    note = f"; moved back to the host: {', '.join(back)}" if back else ""
    return note + (f"; could not move back: {', '.join(lost)}" if lost else "")
