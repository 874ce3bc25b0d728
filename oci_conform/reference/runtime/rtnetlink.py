"""A small rtnetlink client (AF_NETLINK / NETLINK_ROUTE): list, move and configure links.

Only what ``linux.netDevices`` needs: dump links and addresses, move a link into another
network namespace under a new name, add an address, set a link up.  A request the kernel
refuses raises ``OSError`` with the kernel's errno.  A socket belongs to the network
namespace it was opened in; ``Rtnl.inside`` opens one in another namespace.
"""
from __future__ import annotations

import os
import socket
import struct

from oci_conform.reference.runtime import syscalls as sc

# message types, flags (linux/netlink.h, linux/rtnetlink.h)
NLMSG_ERROR, NLMSG_DONE = 2, 3
RTM_NEWLINK, RTM_GETLINK, RTM_NEWADDR, RTM_GETADDR = 16, 18, 20, 22
F_REQUEST, F_ACK, F_DUMP, F_EXCL, F_CREATE = 0x1, 0x4, 0x300, 0x200, 0x400
# link attributes and flags
IFLA_IFNAME, IFLA_NET_NS_FD = 3, 28
IFF_UP, IFF_LOOPBACK = 0x1, 0x8
# address attributes and flags
IFA_ADDRESS, IFA_LOCAL, IFA_LABEL, IFA_BROADCAST, IFA_FLAGS = 1, 2, 3, 4, 8
IFA_RT_PRIORITY, IFA_PROTO = 9, 11
IFA_F_PERMANENT = 0x80
# flags a new address may carry (the kernel sets the rest itself): nodad, optimistic,
# homeaddress, managetempaddr, noprefixroute, mcautojoin
IFA_F_SETTABLE = 0x02 | 0x04 | 0x10 | 0x100 | 0x200 | 0x400
RT_SCOPE_UNIVERSE = 0
COPIED_ADDR_ATTRS = (IFA_LOCAL, IFA_ADDRESS, IFA_BROADCAST, IFA_RT_PRIORITY, IFA_PROTO)

_HDR = struct.Struct("=IHHII")         # nlmsghdr: len, type, flags, seq, pid
_IFINFO = struct.Struct("=BxHiII")     # ifinfomsg: family, type, index, flags, change
_IFADDR = struct.Struct("=BBBBI")      # ifaddrmsg: family, prefixlen, flags, scope, index
_RTA = struct.Struct("=HH")            # rtattr: len, type
TIMEOUT = 10.0


class Link:
    """One network interface as the kernel reports it."""

    __slots__ = ("index", "name", "flags")

    def __init__(self, index: int, name: str, flags: int) -> None:
        self.index, self.name, self.flags = index, name, flags


class Addr:
    """One interface address: the ifaddrmsg header fields and its raw attributes."""

    __slots__ = ("family", "prefixlen", "flags", "scope", "attrs")

    def __init__(self, family: int, prefixlen: int, flags: int, scope: int,
                 attrs: dict[int, bytes]) -> None:
        self.family, self.prefixlen, self.flags = family, prefixlen, flags
        self.scope, self.attrs = scope, attrs

    @property
    def label(self) -> str | None:
        raw = self.attrs.get(IFA_LABEL)
        return raw.split(b"\0", 1)[0].decode(errors="replace") if raw else None

    def __str__(self) -> str:
        raw = self.attrs.get(IFA_LOCAL) or self.attrs.get(IFA_ADDRESS) or b""
        try:
            text = socket.inet_ntop(self.family, raw)
        except (OSError, ValueError):
            text = raw.hex()
        return f"{text}/{self.prefixlen}"


def attr(kind: int, payload: bytes) -> bytes:
    """One rtattr, padded to 4 bytes."""
    raw = _RTA.pack(_RTA.size + len(payload), kind) + payload
    return raw + b"\0" * (-len(raw) % 4)


def parse_attrs(data: bytes, offset: int) -> dict[int, bytes]:
    out: dict[int, bytes] = {}
    while offset + _RTA.size <= len(data):
        length, kind = _RTA.unpack_from(data, offset)
        if length < _RTA.size or offset + length > len(data):
            break
        out[kind & 0x3FFF] = data[offset + _RTA.size:offset + length]
        offset += (length + 3) & ~3
    return out


def _cstr(raw: bytes) -> str:
    return raw.split(b"\0", 1)[0].decode(errors="replace")


class Rtnl:
    """A NETLINK_ROUTE socket in the network namespace it was opened in."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW | socket.SOCK_CLOEXEC,
                                  socket.NETLINK_ROUTE)
        self.sock.settimeout(TIMEOUT)
        self.sock.bind((0, 0))
        self.seq = 0

    @classmethod
    def inside(cls, netns_fd: int) -> Rtnl:
        """A socket opened in the network namespace ``netns_fd`` (this thread comes back)."""
        own = os.open("/proc/thread-self/ns/net", os.O_RDONLY | os.O_CLOEXEC)
        try:
            sc.setns(netns_fd, sc.CLONE_NEWNET)
            try:
                return cls()
            finally:
                sc.setns(own, sc.CLONE_NEWNET)
        finally:
            os.close(own)

    def close(self) -> None:
        self.sock.close()

    def __enter__(self) -> Rtnl:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def request(self, kind: int, flags: int, body: bytes) -> list[tuple[int, bytes]]:
        """Send one request; the replies' (type, payload), or OSError on a kernel error."""
        self.seq += 1
        seq = self.seq
        self.sock.sendto(_HDR.pack(_HDR.size + len(body), kind, flags, seq, 0) + body, (0, 0))
        replies: list[tuple[int, bytes]] = []
        while True:
            data = self.sock.recv(1 << 16)
            offset = 0
            while offset + _HDR.size <= len(data):
                length, mtype, _, mseq, _ = _HDR.unpack_from(data, offset)
                if length < _HDR.size:
                    raise OSError(0, "malformed netlink reply")
                payload = data[offset + _HDR.size:offset + length]
                offset += (length + 3) & ~3
                if mseq != seq:
                    continue
                if mtype in (NLMSG_ERROR, NLMSG_DONE):
                    code = -struct.unpack_from("=i", payload)[0] if len(payload) >= 4 else 0
                    if code > 0:
                        raise OSError(code, os.strerror(code))
                    return replies
                replies.append((mtype, payload))

    def links(self) -> list[Link]:
        out = []
        for mtype, data in self.request(RTM_GETLINK, F_REQUEST | F_DUMP,
                                        _IFINFO.pack(socket.AF_UNSPEC, 0, 0, 0, 0)):
            if mtype != RTM_NEWLINK:
                continue
            _, _, index, flags, _ = _IFINFO.unpack_from(data)
            name = _cstr(parse_attrs(data, _IFINFO.size).get(IFLA_IFNAME, b""))
            out.append(Link(index, name, flags))
        return out

    def addresses(self, index: int) -> list[Addr]:
        """Every address of the link ``index``, both families, in the kernel's order."""
        out = []
        for mtype, data in self.request(RTM_GETADDR, F_REQUEST | F_DUMP,
                                        _IFADDR.pack(socket.AF_UNSPEC, 0, 0, 0, 0)):
            if mtype != RTM_NEWADDR:
                continue
            family, plen, flags, scope, where = _IFADDR.unpack_from(data)
            if where != index:
                continue
            attrs = parse_attrs(data, _IFADDR.size)
            if IFA_FLAGS in attrs:
                flags = struct.unpack_from("=I", attrs[IFA_FLAGS])[0]
            out.append(Addr(family, plen, flags, scope, attrs))
        return out

    def move(self, index: int, netns_fd: int, name: str) -> None:
        """Move link ``index`` into the namespace ``netns_fd`` and name it ``name`` there."""
        body = (_IFINFO.pack(socket.AF_UNSPEC, 0, index, 0, 0)
                + attr(IFLA_NET_NS_FD, struct.pack("=I", netns_fd))
                + attr(IFLA_IFNAME, name.encode() + b"\0"))
        self.request(RTM_NEWLINK, F_REQUEST | F_ACK, body)

    def add_address(self, index: int, addr: Addr, label: str | None) -> None:
        flags = addr.flags & IFA_F_SETTABLE
        body = _IFADDR.pack(addr.family, addr.prefixlen, flags & 0xFF, addr.scope, index)
        body += b"".join(attr(k, addr.attrs[k]) for k in COPIED_ADDR_ATTRS if k in addr.attrs)
        if label:
            body += attr(IFA_LABEL, label.encode() + b"\0")
        body += attr(IFA_FLAGS, struct.pack("=I", flags))
        self.request(RTM_NEWADDR, F_REQUEST | F_ACK | F_CREATE | F_EXCL, body)

    def set_up(self, index: int) -> None:
        self.request(RTM_NEWLINK, F_REQUEST | F_ACK,
                     _IFINFO.pack(socket.AF_UNSPEC, 0, index, IFF_UP, IFF_UP))
