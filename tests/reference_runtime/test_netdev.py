"""linux.netDevices on the reference runtime: real veth pairs, moved by rtnetlink.

Each test makes its own veth pair (and network namespaces) on the host and deletes them in
a ``finally``; a moved veth end also disappears with the container's network namespace.
"""
from __future__ import annotations

import os
import subprocess
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from oci_conform.reference.runtime import netdev, rtnetlink
from oci_conform.reference.runtime.errors import RuntimeFailure
from tests.reference_runtime.conftest import (
    CGROUP_PARENT,
    cgroup_dirs,
    mounts_under,
    processes_rooted_in,
)

pytestmark = pytest.mark.integration

ADDR4, ADDR6, ALIAS = "198.18.93.7/32", "2001:db8:93::7/64", "198.18.94.1/24"
LINK_SCOPE, DYNAMIC = "198.18.95.1/32", "198.18.96.1/32"
PROBE = ("ls /sys/class/net > /results/ifaces; cat /sys/class/net/{n}/flags > /results/flags; "
         "ip -o addr show dev {n} > /results/addr 2>&1")


def ip(*args: str, check: bool = True) -> str:
    done = subprocess.run(["ip", *args], capture_output=True, text=True, timeout=10,
                          check=False)
    if check and done.returncode != 0:
        raise AssertionError(f"ip {' '.join(args)}: {done.stderr.strip()}")
    return done.stdout


def host_has(name: str) -> bool:
    return subprocess.run(["ip", "link", "show", "dev", name], capture_output=True,
                          check=False).returncode == 0


def addresses(name: str, netns: str | None = None) -> str:
    pre = ("-n", netns) if netns else ()
    return ip(*pre, "-o", "addr", "show", "dev", name)


@contextmanager
def veth(addrs: tuple[str, ...] = (ADDR4,)) -> Iterator[tuple[str, str]]:
    """A veth pair (host end, peer); the peer carries ``addrs``. Deleted afterwards."""
    host = f"ocv{uuid.uuid4().hex[:8]}"
    peer = host + "p"
    ip("link", "add", host, "type", "veth", "peer", "name", peer)
    try:
        for addr in addrs:
            ip("addr", "add", addr, "dev", peer)
        yield host, peer
    finally:
        ip("link", "del", host, check=False)
        ip("link", "del", peer, check=False)


@contextmanager
def netns() -> Iterator[str]:
    """A named network namespace (``ip netns``), deleted afterwards."""
    name = f"ocns{uuid.uuid4().hex[:8]}"
    ip("netns", "add", name)
    try:
        yield name
    finally:
        ip("netns", "del", name, check=False)


@contextmanager
def holder(*setup: str) -> Iterator[int]:
    """A process in a new network namespace (after ``setup`` shell commands ran in it)."""
    script = "".join(f"{cmd}; " for cmd in setup) + "echo ready; exec sleep 60"
    proc = subprocess.Popen(["unshare", "-n", "sh", "-c", script], stdout=subprocess.PIPE,
                            text=True)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        yield proc.pid
    finally:
        proc.kill()
        proc.wait()


def gone(name: str, timeout: float = 5) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not host_has(name):
            return True
        time.sleep(0.05)
    return False


def run_to_end(rt, cid: str, bundle: Path) -> None:
    created = rt.create(cid, bundle)
    assert created.code == 0, created.err
    assert rt("start", cid).code == 0
    assert rt.wait_status(cid, "stopped")["status"] == "stopped"


def test_moved_renamed_up_with_its_permanent_global_addresses(rt):
    with veth() as (host, peer):
        ip("addr", "add", ADDR6, "dev", peer, "nodad")
        ip("addr", "add", ALIAS, "dev", peer, "label", f"{peer}:al")
        ip("addr", "add", LINK_SCOPE, "dev", peer, "scope", "link")
        ip("addr", "add", DYNAMIC, "dev", peer, "valid_lft", "300", "preferred_lft", "300")
        want = f"ocn{host[3:]}"
        bundle, cfg = rt.bundle("nd1", ["sh", "-c", PROBE.format(n=want)], ociVersion="1.3.0")
        cfg["linux"]["netDevices"] = {peer: {"name": want}}
        rt.write(bundle, cfg)
        created = rt.create("nd1", bundle)
        assert created.code == 0, created.err
        assert not host_has(peer)                        # moved at create, before start
        assert rt("start", "nd1").code == 0
        assert rt.wait_status("nd1", "stopped")["status"] == "stopped"
        results = bundle.parent / "results"
        ifaces = (results / "ifaces").read_text().split()
        assert want in ifaces and peer not in ifaces
        assert int((results / "flags").read_text(), 16) & rtnetlink.IFF_UP
        addr = (results / "addr").read_text()
        for kept in (ADDR4, ADDR6, ALIAS, f"{want}:al"):
            assert kept in addr, addr
        for dropped in (LINK_SCOPE, DYNAMIC):        # not permanent-and-global: not copied
            assert dropped not in addr, addr
        assert rt("delete", "nd1").code == 0
        # never moved back: the veth dies with the container's network namespace
        assert gone(host) and not host_has(peer)


def test_name_template_gets_a_free_number_from_the_kernel(rt):
    with veth() as (_, peer):
        bundle, cfg = rt.bundle("nd2", ["sh", "-c", "ls /sys/class/net > /results/ifaces"],
                                ociVersion="1.3.0")
        cfg["linux"]["netDevices"] = {peer: {"name": "ocx%d"}}
        rt.write(bundle, cfg)
        run_to_end(rt, "nd2", bundle)
        ifaces = (bundle.parent / "results" / "ifaces").read_text().split()
        assert [i for i in ifaces if i.startswith("ocx")] == ["ocx0"], ifaces


def test_host_name_kept_when_no_name_given(rt):
    with veth() as (_, peer):
        bundle, cfg = rt.bundle("nd3", ["sh", "-c", PROBE.format(n=peer)], ociVersion="1.3.0")
        cfg["linux"]["netDevices"] = {peer: {}}
        rt.write(bundle, cfg)
        run_to_end(rt, "nd3", bundle)
        assert ADDR4 in (bundle.parent / "results" / "addr").read_text()


def _missing(cfg, peer):
    cfg["linux"]["netDevices"] = {"ocnope0": {}}
    return "config.json /linux/netDevices/ocnope0: no such interface on the host"


def _clash(cfg, peer):
    cfg["linux"]["netDevices"] = {peer: {"name": "lo"}}
    return f"config.json /linux/netDevices/{peer}/name: lo already exists in the container"


def _no_netns(cfg, peer):
    cfg["linux"]["namespaces"] = [n for n in cfg["linux"]["namespaces"]
                                  if n["type"] != "network"]
    cfg["linux"]["netDevices"] = {peer: {}}
    return "config.json /linux/netDevices: moving devices needs a network namespace"


def _bad_name(cfg, peer):
    cfg["linux"]["netDevices"] = {peer: {"name": "a/b"}}
    return f"config.json /linux/netDevices/{peer}/name: 'a/b' is not a valid interface name"


def _too_long(cfg, peer):
    cfg["linux"]["netDevices"] = {peer: {"name": "x" * 16}}
    return f"config.json /linux/netDevices/{peer}/name:"


def _twice(cfg, peer):
    cfg["linux"]["netDevices"] = {peer: {"name": "same0"}, "lo": {"name": "same0"}}
    return "config.json /linux/netDevices/lo: " + peer + " is moved under the name same0 too"


def _loopback(cfg, peer):
    cfg["linux"]["netDevices"] = {"lo": {"name": "lo2"}}
    return "config.json /linux/netDevices/lo: a loopback interface cannot leave"


@pytest.mark.parametrize("change", [_missing, _clash, _no_netns, _bad_name, _too_long,
                                    _twice, _loopback])
def test_refused_before_anything_moves_and_leaves_no_trace(rt, change):
    name = change.__name__.strip("_").replace("_", "-")
    with veth() as (_, peer):
        index = ip("-o", "link", "show", "dev", peer).split(":")[0]
        bundle, cfg = rt.bundle(name, ["sh", "-c", "echo ran > /results/ran"],
                                ociVersion="1.3.0")
        want = change(cfg, peer)
        rt.write(bundle, cfg)
        res = rt.create(name, bundle)
        assert res.code != 0
        assert len(res.err.strip().splitlines()) == 1, res.err
        assert want in res.err, res.err
        assert not (rt.root / name).exists()
        assert not cgroup_dirs(f"{CGROUP_PARENT}/{name}")
        assert not processes_rooted_in(bundle)
        assert not mounts_under(rt.dir)
        # the interface is still on the host, same index, same address
        assert ip("-o", "link", "show", "dev", peer).split(":")[0] == index
        assert ADDR4 in addresses(peer)


def test_joined_namespace_keeps_the_device_after_delete(rt):
    with veth() as (_, peer), netns() as ns:
        bundle, cfg = rt.bundle("nd4", ["true"], ociVersion="1.3.0")
        cfg["linux"]["namespaces"] = [
            n if n["type"] != "network" else {"type": "network", "path": f"/run/netns/{ns}"}
            for n in cfg["linux"]["namespaces"]]
        cfg["linux"]["netDevices"] = {peer: {"name": "ocj0"}}
        rt.write(bundle, cfg)
        run_to_end(rt, "nd4", bundle)
        assert rt("delete", "nd4").code == 0
        assert ADDR4 in addresses("ocj0", ns)            # still there: not moved back
        assert "UP" in ip("-n", ns, "-o", "link", "show", "dev", "ocj0")
        assert not host_has(peer)


def test_name_taken_in_a_joined_namespace_is_refused(rt):
    with veth() as (_, peer), veth() as (other, other_peer), netns() as ns:
        ip("link", "set", other_peer, "netns", ns, "name", "ocj1")
        bundle, cfg = rt.bundle("nd5", ["true"], ociVersion="1.3.0")
        cfg["linux"]["namespaces"] = [
            n if n["type"] != "network" else {"type": "network", "path": f"/run/netns/{ns}"}
            for n in cfg["linux"]["namespaces"]]
        cfg["linux"]["netDevices"] = {peer: {"name": "ocj1"}}
        rt.write(bundle, cfg)
        res = rt.create("nd5", bundle)
        assert res.code != 0
        assert f"/linux/netDevices/{peer}/name: ocj1 already exists" in res.err, res.err
        assert not (rt.root / "nd5").exists()
        assert host_has(peer) and ADDR4 in addresses(peer)


def test_failure_part_way_moves_the_devices_back():
    """IPv6 off in the target: the second device's address cannot be restored, so both
    devices come back to the host with their names, addresses and up state."""
    with veth() as (_, first), veth((ADDR4, ADDR6)) as (_, second), \
            holder("sysctl -qw net.ipv6.conf.all.disable_ipv6=1",
                   "sysctl -qw net.ipv6.conf.default.disable_ipv6=1") as pid:
        ip("link", "set", first, "up")
        linux = {"namespaces": [{"type": "network"}],
                 "netDevices": {first: {"name": "ocm0"}, second: {"name": "ocm1"}}}
        netdev.validate(linux)
        with pytest.raises(RuntimeFailure) as err:
            netdev.move_all(linux, pid)
        text = str(err.value)
        assert text.startswith(f"config.json /linux/netDevices/{second}: cannot restore "
                               "address 2001:db8:93::7/64"), text
        assert f"moved back to the host: {second}, {first}" in text
        assert "UP" in ip("-o", "link", "show", "dev", first).split(">")[0]
        assert "UP" not in ip("-o", "link", "show", "dev", second).split(">")[0]
        assert ADDR4 in addresses(first)
        assert ADDR4 in addresses(second) and ADDR6 in addresses(second)


def test_refused_rename_still_reports_the_moved_link():
    """The kernel moves first and renames after: a refused name leaves the device in the
    target namespace, and ``transfer`` says where it is so it can be brought back."""
    with veth() as (_, peer), holder() as pid:
        fd, own = os.open(f"/proc/{pid}/ns/net", os.O_RDONLY), os.open("/proc/self/ns/net",
                                                                           os.O_RDONLY)
        try:
            with rtnetlink.Rtnl() as host, rtnetlink.Rtnl.inside(fd) as inside:
                index = next(lk.index for lk in host.links() if lk.name == peer)
                addrs = host.addresses(index)
                link, err = netdev.transfer(host, inside, fd, index, "lo", addrs, peer, True)
                assert link is not None and link.name == peer and "File exists" in err
                assert not host_has(peer)
                back, err = netdev.transfer(inside, host, own, link.index, peer, addrs, peer,
                                            False)
                assert err == "" and back is not None and back.name == peer
        finally:
            os.close(fd)
            os.close(own)
        assert ADDR4 in addresses(peer)
